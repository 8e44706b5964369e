/* utf8: validation and repair of UTF-8 text. */
#include <stdint.h>
#include <string.h>

#include "core/utf8.h"

/*
 * Returns the length of the well-formed sequence at s (1-4), or 0 when s
 * starts an invalid one; *sub gets the length of the maximal subpart of a
 * well-formed sequence that s starts with (at least 1), which is what one
 * U+FFFD replaces.
 */
static size_t
seq_len(const unsigned char *s, size_t len, size_t *sub)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t need, i;

	*sub = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		need = 2;
	else if (c >= 0xe0 && c <= 0xef)
		need = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		need = 4;
	else
		return 0;
	/* The second byte's range excludes overlongs and surrogates. */
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	for (i = 1; i < need; i++) {
		if (i >= len || s[i] < lo || s[i] > hi)
			return 0;
		*sub = i + 1;
		lo = 0x80;
		hi = 0xbf;
	}
	return need;
}

size_t
utf8_valid_prefix(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, n, sub;
	uint64_t w;

	while (i < len) {
		/* Eight ASCII bytes at a time: most text is mostly ASCII. */
		if (len - i >= 8) {
			memcpy(&w, s + i, 8);
			if ((w & 0x8080808080808080u) == 0) {
				i += 8;
				continue;
			}
		}
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((n = seq_len(s + i, len - i, &sub)) == 0)
			return i;
		i += n;
	}
	return len;
}

void
utf8_sanitize(const char *text, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, ok, sub;

	while (i < len) {
		ok = utf8_valid_prefix(text + i, len - i);
		buf_add(out, s + i, ok);
		i += ok;
		if (i == len)
			break;
		seq_len(s + i, len - i, &sub);
		buf_add(out, "\xef\xbf\xbd", 3);
		i += sub;
	}
}
