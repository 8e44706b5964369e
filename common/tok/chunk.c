/* chunk: text cut at line ends into pieces of at most N tokens. */
#include <string.h>

#include "tok/chunk.h"

int
chunk_lines(const struct counter *c, const char *text, size_t len, size_t max,
    chunk_fn *fn, void *arg)
{
	const char *s = text, *end = text + len, *start = text, *nl;
	size_t units = 0, line_units;
	long line = 1, first = 1;
	int rc;

	while (s < end) {
		nl = memchr(s, '\n', (size_t)(end - s));
		nl = nl != NULL ? nl + 1 : end;
		line_units = counter_units(c, s, (size_t)(nl - s));
		if (s > start && counter_tokens(c, units + line_units) > max) {
			if ((rc = fn(arg, start, (size_t)(s - start), first,
				 line - 1)) != 0)
				return rc;
			start = s;
			first = line;
			units = 0;
		}
		units += line_units;
		s = nl;
		line++;
	}
	if (s > start)
		return fn(arg, start, (size_t)(s - start), first, line - 1);
	return 0;
}

/* The start of the UTF-8 character that holds byte i of text. */
static size_t
char_start(const char *text, size_t i)
{
	while (i > 0 && ((unsigned char)text[i] & 0xc0) == 0x80)
		i--;
	return i;
}

size_t
chunk_cut(const struct counter *c, const char *text, size_t len, size_t max)
{
	size_t lo, hi, mid, one;

	if (len == 0 || counter_count(c, text, len) <= max)
		return len;
	/* The first character, however long, so that a cut moves on. */
	for (one = 1; one < len && ((unsigned char)text[one] & 0xc0) == 0x80;
	     one++)
		;
	lo = one;
	hi = len;
	while (hi - lo > 1) {
		mid = char_start(text, lo + (hi - lo) / 2);
		if (mid <= lo)
			break;
		if (counter_count(c, text, mid) <= max)
			lo = mid;
		else
			hi = mid;
	}
	return lo;
}
