/* mkvocab: turn a .tiktoken vocabulary into the blob common/vocab.S embeds. */
#include <err.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe_table.h"

struct token {
	unsigned char *bytes;
	size_t len;
};

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decodes base64 text of length n into out; returns the byte count or -1. */
static long
b64decode(const char *s, size_t n, unsigned char *out)
{
	size_t i, o = 0;
	uint32_t acc = 0;
	int bits = 0, v;

	for (i = 0; i < n && s[i] != '='; i++) {
		if ((v = b64val((unsigned char)s[i])) < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (unsigned char)(acc >> bits);
		}
	}
	return (long)o;
}

/*
 * Reads "base64 rank" lines.  tiktoken gives every rank exactly once, in
 * order; the blob relies on that, so anything else is an error.
 */
static struct token *
read_vocab(FILE *fp, size_t *count)
{
	struct token *tok = NULL, *grown;
	size_t n = 0, cap = 0, lineno = 0;
	char line[1024], *sp, *end;
	unsigned char buf[BPE_MAX_TOKEN_LEN + 1];
	unsigned long rank;
	long len;

	while (fgets(line, sizeof(line), fp) != NULL) {
		lineno++;
		if ((sp = strchr(line, ' ')) == NULL)
			errx(1, "line %zu: no rank", lineno);
		rank = strtoul(sp + 1, &end, 10);
		if (rank != n || (*end != '\n' && *end != '\0'))
			errx(
			    1, "line %zu: rank %lu out of order", lineno, rank);
		if ((size_t)(sp - line) > 4 * (BPE_MAX_TOKEN_LEN / 3))
			errx(1, "line %zu: token too long", lineno);
		len = b64decode(line, (size_t)(sp - line), buf);
		if (len <= 0)
			errx(1, "line %zu: bad base64", lineno);
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			if ((grown = realloc(tok, cap * sizeof(*tok))) == NULL)
				err(1, NULL);
			tok = grown;
		}
		if ((tok[n].bytes = malloc((size_t)len)) == NULL)
			err(1, NULL);
		memcpy(tok[n].bytes, buf, (size_t)len);
		tok[n].len = (size_t)len;
		n++;
	}
	if (ferror(fp))
		err(1, "read");
	*count = n;
	return tok;
}

static void
put32(uint32_t v, FILE *out)
{
	if (fwrite(&v, sizeof(v), 1, out) != 1)
		err(1, "write");
}

static void
put_words(const uint32_t *v, size_t n, FILE *out)
{
	if (fwrite(v, sizeof(*v), n, out) != n)
		err(1, "write");
}

static void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n, size)) == NULL)
		err(1, NULL);
	return p;
}

/*
 * The tag a slot of the table being built keeps to tell keys apart: a
 * key of up to four bytes is its own tag, so that a match of tag and
 * length needs no comparison of bytes; longer keys keep 32 bits of their
 * hash and are compared when they match.
 */
static uint32_t
slot_tag(const unsigned char *p, size_t n, uint64_t h)
{
	uint32_t lo;

	if (n > 4)
		return (uint32_t)(h >> 32);
	if (n == 1)
		return p[0];
	lo = p[0] | (uint32_t)p[1] << 8;
	/* The two pairs overlap when n is 3, and or gives the same byte. */
	return n == 2
	    ? lo
	    : lo | (p[n - 2] | (uint32_t)p[n - 1] << 8) << (8 * (n - 2));
}

/* The hash table of tokens, as the blob stores it. */
struct table {
	uint32_t *slots;
	size_t mask;
	unsigned bits;
};

/* Load factor under 0.5 keeps probe chains short for misses. */
static unsigned
table_bits(size_t n)
{
	unsigned bits = 1;

	while (((size_t)1 << bits) < 2 * n + 2)
		bits++;
	return bits;
}

static void
table_build(struct table *t, const struct token *tok, size_t n)
{
	size_t i, s;
	uint64_t h;

	t->bits = table_bits(n);
	t->mask = ((size_t)1 << t->bits) - 1;
	t->slots = xcalloc(t->mask + 1, 2 * sizeof(*t->slots));
	for (i = 0; i < n; i++) {
		h = bpe_hash(tok[i].bytes, tok[i].len);
		for (s = h & t->mask; t->slots[2 * s + 1] != 0;
		     s = (s + 1) & t->mask)
			;
		t->slots[2 * s] = slot_tag(tok[i].bytes, tok[i].len, h);
		t->slots[2 * s + 1] =
		    (uint32_t)i | (uint32_t)tok[i].len << BPE_LEN_SHIFT;
	}
}

/* Returns the rank of the token p[0 .. len), or BPE_NONE. */
static uint32_t
table_find(const struct table *t, const struct token *tok,
    const unsigned char *p, size_t len)
{
	uint64_t h = bpe_hash(p, len);
	uint32_t tag = slot_tag(p, len, h), v, r;
	size_t s;

	for (s = h & t->mask; (v = t->slots[2 * s + 1]) != 0;
	     s = (s + 1) & t->mask) {
		r = v & BPE_RANK_MASK;
		if (t->slots[2 * s] == tag && tok[r].len == len &&
		    memcmp(tok[r].bytes, p, len) == 0)
			return r;
	}
	return BPE_NONE;
}

/* For each token, the longest token that is a proper prefix of it. */
static uint32_t *
prefix_tokens(const struct table *t, const struct token *tok, size_t n)
{
	uint32_t *prev = xcalloc(n, sizeof(*prev));
	size_t i, len;

	for (i = 0; i < n; i++) {
		prev[i] = BPE_NONE;
		for (len = tok[i].len - 1; len > 0 && prev[i] == BPE_NONE;
		     len--)
			prev[i] = table_find(t, tok, tok[i].bytes, len);
	}
	return prev;
}

/*
 * Runs BPE on the bytes of token r as tiktoken does (the lowest rank, the
 * leftmost of equals) and stores the two parts its last merge joins in
 * split[0 .. 1] (r itself for a byte).  Returns whether the run ends in r
 * with the ranks of its merges in order, which is what lets bpe.c decide
 * whether two tokens hold by undoing merges (pair_holds_fast).
 */
static int
token_run(
    const struct table *t, const struct token *tok, uint32_t r, uint32_t *split)
{
	const unsigned char *p = tok[r].bytes;
	size_t n = tok[r].len, m = n, i, k, start[BPE_MAX_TOKEN_LEN + 1];
	uint32_t pair[BPE_MAX_TOKEN_LEN], best, last = 0;
	int sorted = 1;

	split[0] = split[1] = r;
	for (i = 0; i <= n; i++)
		start[i] = i;
	for (i = 0; i + 1 < n; i++)
		pair[i] = table_find(t, tok, p + i, 2);
	while (m > 1) {
		best = BPE_NONE;
		k = 0;
		for (i = 0; i + 1 < m; i++) {
			if (pair[i] < best) {
				best = pair[i];
				k = i;
			}
		}
		if (best == BPE_NONE)
			return 0;
		sorted &= best >= last;
		last = best;
		if (m == 2) {
			split[0] = table_find(t, tok, p, start[1]);
			split[1] =
			    table_find(t, tok, p + start[1], n - start[1]);
		}
		memmove(
		    start + k + 1, start + k + 2, (m - k - 1) * sizeof(*start));
		memmove(
		    pair + k + 1, pair + k + 2, (m - k - 2) * sizeof(*pair));
		m--;
		if (k + 1 < m)
			pair[k] = table_find(
			    t, tok, p + start[k], start[k + 2] - start[k]);
		if (k > 0)
			pair[k - 1] = table_find(t, tok, p + start[k - 1],
			    start[k + 1] - start[k - 1]);
	}
	return sorted;
}

/*
 * Two words a token: its split, each part with its length above the rank
 * (BPE_ID_BITS), the first with BPE_SPLIT_SORTED.
 */
static uint32_t *
token_splits(const struct table *t, const struct token *tok, size_t n)
{
	uint32_t *split = xcalloc(n, 2 * sizeof(*split));
	size_t i, k;
	int sorted;

	for (i = 0; i < n; i++) {
		sorted = token_run(t, tok, (uint32_t)i, split + 2 * i);
		for (k = 2 * i; k < 2 * i + 2; k++)
			split[k] |= (uint32_t)tok[split[k]].len << BPE_ID_BITS;
		if (sorted)
			split[2 * i] |= BPE_SPLIT_SORTED;
	}
	return split;
}

/*
 * Writes the hash table as the blob has it: the same slots, wider, with
 * the last four bytes of a token of nine to BPE_TAIL_IN_SLOT, or the
 * offset of a longer token's bytes (off, by rank), in place of its tag.
 */
static void
put_slots(const struct table *t, const struct token *tok, const uint32_t *off,
    FILE *out)
{
	uint64_t k8;
	uint32_t v, r;
	size_t s;

	for (s = 0; s <= t->mask; s++) {
		k8 = 0;
		v = t->slots[2 * s + 1];
		r = v & BPE_RANK_MASK;
		if (v != 0)
			k8 = bpe_key8(tok[r].bytes, tok[r].len);
		put32((uint32_t)k8, out);
		put32((uint32_t)(k8 >> 32), out);
		put32(v, out);
		if (v == 0 || tok[r].len <= 8)
			put32(0, out);
		else if (tok[r].len <= BPE_TAIL_IN_SLOT)
			put32(bpe_load32(tok[r].bytes + tok[r].len - 4), out);
		else
			put32(off[r], out);
	}
}

/* The filter of bpe_table.h of the tokens of three bytes or more. */
static uint32_t *
filter_build(const struct token *tok, size_t n, unsigned bits)
{
	uint32_t *words = xcalloc((size_t)1 << (bits - 5), sizeof(*words));
	uint64_t h;
	size_t i;

	for (i = 0; i < n; i++) {
		if (tok[i].len < 3)
			continue;
		h = bpe_hash(tok[i].bytes, tok[i].len);
		words[bpe_filter_word(h, bpe_filter_mask(bits))] |=
		    bpe_filter_bits(bpe_filter_key(h));
	}
	return words;
}

/*
 * The walk filter of bpe_table.h: every prefix of three bytes or more of
 * a token in the first word of a pair, the token in the second.
 */
static uint32_t *
walk_build(const struct token *tok, size_t n, unsigned bits)
{
	uint32_t *words = xcalloc((size_t)2 << (bits - 5), sizeof(*words));
	uint64_t h;
	size_t i, len, w;

	for (i = 0; i < n; i++) {
		h = BPE_WALK_SEED;
		for (len = 1; len <= tok[i].len; len++) {
			h = bpe_walk(h, tok[i].bytes[len - 1]);
			if (len < 3)
				continue;
			w = 2 * bpe_walk_word(h, bpe_walk_shift(bits));
			words[w] |= bpe_filter_bits(bpe_walk_prefix_key(h));
			if (len == tok[i].len)
				words[w + 1] |=
				    bpe_filter_bits(bpe_walk_token_key(h));
		}
	}
	return words;
}

/*
 * Where a token joins two characters of w bytes, w a bit of widths (2 or
 * 3): after a continuation byte, at a lead byte of such a character.
 * Such a place with w bytes on each side puts those 2w bytes in the join
 * filter words, of 2^bits bits; one with fewer on a side sets the bit of
 * its two bytes in join_bytes.  A place in the text between two
 * characters of w bytes that neither names is one no token spans (bpe.c's
 * splits_between).  Without words, the places of the filter are only
 * counted; returns their number.
 */
static size_t
join_scan(const struct token *tok, size_t n, unsigned widths, uint32_t *words,
    unsigned bits, uint32_t *join_bytes)
{
	const unsigned char *b;
	size_t i, j, w, places = 0, bit;
	uint64_t h;

	for (i = 0; i < n; i++) {
		for (b = tok[i].bytes, j = 1; j < tok[i].len; j++) {
			w = bpe_join_width(b[j]);
			if ((b[j - 1] & 0xc0) != 0x80 || !(widths >> w & 1))
				continue;
			if (j >= w && tok[i].len - j >= w)
				places++;
			if (words == NULL)
				continue;
			if (j < w || tok[i].len - j < w) {
				bit = bpe_join_byte_bit(b[j - 1], b[j]);
				join_bytes[bit >> 5] |= 1u << (bit & 31);
			} else {
				h = bpe_join_hash(bpe_key8(b + j - w, 2 * w));
				words[bpe_filter_word(
				    h, bpe_filter_mask(bits))] |=
				    bpe_filter_bits(bpe_filter_key(h));
			}
		}
	}
	return places;
}

/*
 * The join filter, of 2^*bits bits, and join_bytes, for the widths it sets
 * in *widths.  Characters of three bytes always; of two only where the
 * vocabulary joins few of them: cl100k_base, at 1,621 places, spells
 * Cyrillic a letter or two a token, and 40% of the places between two
 * letters of a megabyte of Cyrillic are cuts, which took 11% off its
 * instructions; o200k_base, at 83,835, has whole words of it, only 10% are
 * cuts, and the parts cost 4% more than they saved.
 */
#define JOIN_TWO_PLACES 16384

static uint32_t *
join_build(const struct token *tok, size_t n, unsigned *bits, unsigned *widths,
    uint32_t join_bytes[BPE_JOIN_BYTE_WORDS])
{
	uint32_t *words;
	size_t places;

	*widths = 1u << 3;
	if (join_scan(tok, n, 1u << 2, NULL, 0, NULL) < JOIN_TWO_PLACES)
		*widths |= 1u << 2;
	places = join_scan(tok, n, *widths, NULL, 0, NULL);
	/* eight bits a place: places repeat, the keys are fewer */
	for (*bits = 10; ((size_t)1 << *bits) < 8 * places;)
		++*bits;
	words = xcalloc((size_t)1 << (*bits - 5), sizeof(*words));
	memset(join_bytes, 0, BPE_JOIN_BYTE_WORDS * sizeof(*join_bytes));
	join_scan(tok, n, *widths, words, *bits, join_bytes);
	return words;
}

/*
 * For the three bytes of each character from U+0800 to U+FFFF, at its
 * code point: the longest token they begin with, as rank | length <<
 * BPE_LEN_SHIFT, and BPE_LONGER when a token of more bytes begins with
 * them.
 */
static uint32_t *
three_bytes(const struct table *t, const struct token *tok, size_t n,
    const uint32_t *byte_rank, const uint32_t *pair_rank)
{
	uint32_t *three = xcalloc(65536, sizeof(*three)), cp, r;
	unsigned char b[3];
	size_t i;

	for (cp = 0x800; cp < 0x10000; cp++) {
		b[0] = (unsigned char)(0xe0 | cp >> 12);
		b[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (unsigned char)(0x80 | (cp & 0x3f));
		if ((r = table_find(t, tok, b, 3)) != BPE_NONE)
			three[cp] = r | 3u << BPE_LEN_SHIFT;
		else if ((r = pair_rank[b[0] << 8 | b[1]]) != BPE_NONE)
			three[cp] = r | 2u << BPE_LEN_SHIFT;
		else
			three[cp] = byte_rank[b[0]] | 1u << BPE_LEN_SHIFT;
	}
	for (i = 0; i < n; i++) {
		if (tok[i].len < 4 || (tok[i].bytes[0] & 0xf0) != 0xe0 ||
		    (tok[i].bytes[1] & 0xc0) != 0x80 ||
		    (tok[i].bytes[2] & 0xc0) != 0x80)
			continue;
		cp = (tok[i].bytes[0] & 0x0fu) << 12 |
		    (tok[i].bytes[1] & 0x3fu) << 6 | (tok[i].bytes[2] & 0x3fu);
		if (cp >= 0x800)
			three[cp] |= BPE_LONGER;
	}
	return three;
}

static void
write_blob(const struct token *tok, size_t n, FILE *out)
{
	uint32_t byte_rank[256], *pair_rank, *prev, *off;
	uint32_t *split, *filter, *walk, *three, *joins;
	uint32_t join_bytes[BPE_JOIN_BYTE_WORDS];
	unsigned filter_bits, join_bits, join_widths;
	struct table t;
	size_t i, total = 0;

	pair_rank = xcalloc(65536, sizeof(*pair_rank));
	off = xcalloc(n + 1, sizeof(*off));
	memset(byte_rank, 0xff, sizeof(byte_rank));
	memset(pair_rank, 0xff, 65536 * sizeof(*pair_rank));
	for (i = 0; i < n; i++) {
		off[i] = (uint32_t)total;
		total += tok[i].len;
		if (tok[i].len == 1)
			byte_rank[tok[i].bytes[0]] = (uint32_t)i;
		if (tok[i].len == 2)
			pair_rank[tok[i].bytes[0] << 8 | tok[i].bytes[1]] =
			    (uint32_t)i;
	}
	for (i = 0; i < 256; i++)
		if (byte_rank[i] == BPE_NONE)
			errx(1, "byte %zu has no token", i);
	if (n >= (size_t)1 << BPE_ID_BITS)
		errx(1, "too many tokens: %zu", n);
	table_build(&t, tok, n);
	prev = prefix_tokens(&t, tok, n);
	split = token_splits(&t, tok, n);
	filter_bits = t.bits + 2;
	three = three_bytes(&t, tok, n, byte_rank, pair_rank);
	filter = filter_build(tok, n, filter_bits);
	walk = walk_build(tok, n, filter_bits);
	joins = join_build(tok, n, &join_bits, &join_widths, join_bytes);

	put32(BPE_MAGIC, out);
	put32((uint32_t)n, out);
	put32(t.bits, out);
	put32((uint32_t)total, out);
	put32(filter_bits, out);
	put32(join_bits, out);
	put32(join_widths, out);
	put_words(byte_rank, 256, out);
	put_words(pair_rank, 65536, out);
	put_words(three, 65536, out);
	off[n] = (uint32_t)total;
	put_words(off, n + 1, out);
	put_slots(&t, tok, off, out);
	put_words(prev, n, out);
	put_words(split, 2 * n, out);
	put_words(filter, (size_t)1 << (filter_bits - 5), out);
	put_words(walk, (size_t)2 << (filter_bits - 5), out);
	put_words(join_bytes, BPE_JOIN_BYTE_WORDS, out);
	put_words(joins, (size_t)1 << (join_bits - 5), out);
	for (i = 0; i < n; i++)
		if (fwrite(tok[i].bytes, 1, tok[i].len, out) != tok[i].len)
			err(1, "write");
	free(joins);
	free(three);
	free(off);
	free(walk);
	free(filter);
	free(split);
	free(prev);
	free(pair_rank);
	free(t.slots);
}

int
main(int argc, char *argv[])
{
	struct token *tok;
	size_t i, n;

	if (argc != 1 || argv[0] == NULL) {
		fprintf(
		    stderr, "usage: mkvocab < vocab.tiktoken > vocab.bin\n");
		return 2;
	}
	tok = read_vocab(stdin, &n);
	if (n == 0)
		errx(1, "empty vocabulary");
	write_blob(tok, n, stdout);
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "write");
	for (i = 0; i < n; i++)
		free(tok[i].bytes);
	free(tok);
	return 0;
}
