/* utf8: validation and repair of UTF-8 text. */
#include <stdint.h>
#include <string.h>

#include "core/cpu.h"
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

/* utf8_valid_prefix, a character at a time: it finds where text breaks. */
static size_t
prefix_by_chars(const unsigned char *s, size_t len)
{
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

/*
 * valid_by_blocks checks 32 bytes at a time, each against the three
 * before it, for the six ways UTF-8 breaks: a continuation byte where no
 * lead byte wants one or none where one does; C0, C1 and F5 to FF, which
 * never occur; and the second bytes that make an overlong form, a
 * surrogate or a code point past U+10FFFF.  Where these hold at every
 * byte, the text is valid.  Vectors of GCC and Clang, so the compiler
 * picks the target's own instructions (SSE2, NEON), and on x86-64 makes
 * a second copy for AVX2, taken where the CPU has it (core/cpu.h):
 * with SSE2 alone the check was 6% of the time of counting Thai.  A
 * character at a time takes 4 to 13 times as long over text of other
 * scripts than Latin, where most bytes are not ASCII, and the tokenizer
 * checks all it counts.
 */
#define BLOCK 32
typedef unsigned char block __attribute__((vector_size(BLOCK)));

/*
 * The helpers take vectors by address: passed by value, a vector of 32
 * bytes would be passed differently in the copy for AVX2 and in the other.
 */
static inline void
load_block(block *v, const unsigned char *p)
{
	memcpy(v, p, sizeof(*v));
}

/* Sets in *broken each lane of the BLOCK bytes at p that breaks UTF-8. */
static inline void
add_breaks(block *broken, const unsigned char *p)
{
	block b, p1, p2, p3, cont, want, never, second;

	load_block(&b, p);
	load_block(&p1, p - 1);
	load_block(&p2, p - 2);
	load_block(&p3, p - 3);
	cont = (block)((b & 0xc0) == 0x80);
	want = (block)((p1 >= 0xc0) | (p2 >= 0xe0) | (p3 >= 0xf0));
	never = (block)(((b & 0xfe) == 0xc0) | (b >= 0xf5));
	second =
	    (block)(((p1 == 0xe0) & (b < 0xa0)) | ((p1 == 0xed) & (b > 0x9f)) |
		((p1 == 0xf0) & (b < 0x90)) | ((p1 == 0xf4) & (b > 0x8f)));
	*broken |= (cont ^ want) | never | second;
}

static inline int
any_set(const block *v, unsigned char bits)
{
	uint64_t w[BLOCK / 8], any = 0;
	block masked = *v & bits;
	size_t i;

	memcpy(w, &masked, sizeof(w));
	for (i = 0; i < BLOCK / 8; i++)
		any |= w[i];
	return any != 0;
}

/* Whether all of s is valid UTF-8: the body of each copy. */
static inline __attribute__((always_inline)) int
valid_by_blocks(const unsigned char *s, size_t len)
{
	unsigned char head[3 + BLOCK] = {0};
	block broken = {0}, here, before;
	size_t i;

	if (len < 2 * BLOCK)
		return prefix_by_chars(s, len) == len;
	memcpy(head + 3, s, BLOCK);
	add_breaks(&broken, head + 3);
	for (i = BLOCK; i + BLOCK <= len; i += BLOCK) {
		load_block(&here, s + i);
		load_block(&before, s + i - 3);
		here |= before;
		if (any_set(&here, 0x80))
			add_breaks(&broken, s + i);
	}
	if (any_set(&broken, 0xff))
		return 0;
	/*
	 * Every byte before i is right about the three before it, so the
	 * text is whole characters up to the one that byte i - 1 is part of;
	 * from there the rest is checked a character at a time.
	 */
	for (i--; i > 0 && (s[i] & 0xc0) == 0x80; i--)
		;
	return prefix_by_chars(s + i, len - i) == len - i;
}

static int
valid_by_blocks_base(const unsigned char *s, size_t len)
{
	return valid_by_blocks(s, len);
}

#ifdef CPU_DISPATCH
static __attribute__((target("avx2"))) int
valid_by_blocks_avx2(const unsigned char *s, size_t len)
{
	return valid_by_blocks(s, len);
}
#endif

/* Most text is valid: the blocks say so sooner. */
size_t
utf8_valid_prefix(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	int valid;

#ifdef CPU_DISPATCH
	if (cpu_has_avx2())
		valid = valid_by_blocks_avx2(s, len);
	else
#endif
		valid = valid_by_blocks_base(s, len);
	return valid ? len : prefix_by_chars(s, len);
}

void
utf8_sanitize(const char *text, size_t len, struct buf *out)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i = 0, ok, sub;

	/* A character at a time: the blocks would read the rest at each break. */
	while (i < len) {
		ok = prefix_by_chars(s + i, len - i);
		buf_add(out, s + i, ok);
		i += ok;
		if (i == len)
			break;
		seq_len(s + i, len - i, &sub);
		buf_add(out, "\xef\xbf\xbd", 3);
		i += sub;
	}
}
