/* A libFuzzer target for the tokenizer: any bytes, both encodings. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe.h"
#include "core/utf8.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A space in valid UTF-8 text, from its middle on, after a character
 * surely not white space: ASCII's graphic ones, or one of U+0800 to
 * U+0FFF (Indic, Thai), where there is none; or 0.  No piece spans it,
 * which encode_word takes for granted.
 */
static size_t
space_cut(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i;

	if (utf8_valid_prefix(text, len) != len)
		return 0;
	for (i = len / 2; i < len; i++) {
		if (s[i] != ' ' || i == 0)
			continue;
		if (s[i - 1] > ' ' && s[i - 1] < 0x7f)
			return i;
		if (i >= 3 && s[i - 3] == 0xe0)
			return i;
	}
	return 0;
}

/* Whether text cut at cut encodes as ids does. */
static int
same_when_cut(const struct bpe *enc, const char *text, size_t len, size_t cut,
    const struct bpe_ids *ids)
{
	struct bpe_ids parts = {NULL, 0, 0};
	int same;

	bpe_encode(enc, text, cut, 0, &parts);
	bpe_encode(enc, text + cut, len - cut, 0, &parts);
	same = parts.n == ids->n &&
	    (ids->n == 0 ||
		memcmp(parts.v, ids->v, ids->n * sizeof(*ids->v)) == 0);
	bpe_ids_release(&parts);
	return same;
}

/*
 * Checks what must hold for any input: utf8_valid_prefix, which checks
 * blocks first, ends where utf8_sanitize, which goes a character at a
 * time, makes its first change; the count equals the number of ids, with
 * special tokens or without; the ids decode to the input (after invalid
 * UTF-8 is replaced); encoding a prefix split where bpe_split_point says
 * gives the same ids, and so does one cut where space_cut says.
 */
static void
check(const struct bpe *enc, const char *text, size_t len)
{
	struct bpe_ids ids = {NULL, 0, 0};
	struct buf fixed = BUF_INIT, out = BUF_INIT;
	const char *tok;
	size_t n, i, tlen, cut, ok;

	n = bpe_encode(enc, text, len, BPE_SPECIAL, &ids);
	if (n != ids.n || n != bpe_encode(enc, text, len, BPE_SPECIAL, NULL))
		abort();
	ids.n = 0;
	n = bpe_encode(enc, text, len, 0, &ids);
	if (n != ids.n || n != bpe_encode(enc, text, len, 0, NULL))
		abort();
	for (i = 0; i < ids.n; i++) {
		if ((tok = bpe_token(enc, ids.v[i], &tlen)) == NULL)
			abort();
		buf_add(&out, tok, tlen);
	}
	utf8_sanitize(text, len, &fixed);
	ok = utf8_valid_prefix(text, len);
	if (ok > 0 && (fixed.len < ok || memcmp(fixed.s, text, ok) != 0))
		abort();
	if (ok == len ? fixed.len != len
		      : fixed.len < ok + 3 ||
		    memcmp(fixed.s + ok, "\xef\xbf\xbd", 3) != 0)
		abort();
	if (out.len != fixed.len ||
	    (out.len > 0 && memcmp(out.s, fixed.s, out.len) != 0))
		abort();
	if ((cut = bpe_split_point(text, len)) > 0 &&
	    !same_when_cut(enc, text, len, cut, &ids))
		abort();
	if ((cut = space_cut(text, len)) > 0 &&
	    !same_when_cut(enc, text, len, cut, &ids))
		abort();
	buf_release(&out);
	buf_release(&fixed);
	bpe_ids_release(&ids);
}

/*
 * The reference: every token's rank by its bytes, from bpe_token alone,
 * and BPE as its definition says, with nothing of bpe.c's tables, trie
 * or shortcuts.  Quadratic, so it is given pieces of at most REF_MAX bytes.
 */
#define REF_MAX 600
#define REF_BITS 20

struct ref {
	const struct bpe *enc;
	const char **tok;
	size_t *len;
	uint32_t *slot; /* rank + 1, 0: empty */
};

static struct ref refs[2];

static uint64_t
ref_hash(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325u;

	while (n-- > 0)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3u;
	return h;
}

static void
ref_init(struct ref *r, const struct bpe *enc)
{
	size_t n, i, s, mask = ((size_t)1 << REF_BITS) - 1;
	const char *t;

	r->enc = enc;
	for (n = 0; bpe_token(enc, (uint32_t)n, &i) != NULL; n++)
		;
	r->tok = xreallocarray(NULL, n, sizeof(*r->tok));
	r->len = xreallocarray(NULL, n, sizeof(*r->len));
	r->slot = xreallocarray(NULL, mask + 1, sizeof(*r->slot));
	memset(r->slot, 0, (mask + 1) * sizeof(*r->slot));
	for (i = 0; i < n; i++) {
		t = bpe_token(enc, (uint32_t)i, &r->len[i]);
		r->tok[i] = t;
		for (s = ref_hash(t, r->len[i]) & mask; r->slot[s] != 0;
		     s = (s + 1) & mask)
			;
		r->slot[s] = (uint32_t)i + 1;
	}
}

static uint32_t
ref_rank(const struct ref *r, const char *p, size_t n)
{
	size_t s, mask = ((size_t)1 << REF_BITS) - 1;
	uint32_t v;

	for (s = ref_hash(p, n) & mask; (v = r->slot[s]) != 0;
	     s = (s + 1) & mask)
		if (r->len[v - 1] == n && memcmp(r->tok[v - 1], p, n) == 0)
			return v - 1;
	return UINT32_MAX;
}

/* Merges the lowest-ranked adjacent pair, the leftmost of equals, until none. */
static size_t
ref_merge(const struct ref *r, const char *p, size_t n, uint32_t *out)
{
	size_t start[REF_MAX + 1], m = n, i, k;
	uint32_t best, rk;

	for (i = 0; i <= n; i++)
		start[i] = i;
	for (;;) {
		best = UINT32_MAX;
		k = 0;
		for (i = 0; i + 1 < m; i++) {
			rk = ref_rank(r, p + start[i], start[i + 2] - start[i]);
			if (rk < best) {
				best = rk;
				k = i;
			}
		}
		if (best == UINT32_MAX)
			break;
		memmove(
		    start + k + 1, start + k + 2, (m - k - 1) * sizeof(*start));
		m--;
	}
	for (i = 0; i < m; i++)
		out[i] = ref_rank(r, p + start[i], start[i + 1] - start[i]);
	return m;
}

/*
 * Makes one pre-tokenized piece of the fuzz input, in both encodings: a
 * run from a small alphabet of lowercase letters, punctuation, CJK,
 * spaces, letters of two bytes or Thai, so that BPE has many merges to
 * get wrong, and compares bpe.c's ids (which take merge_long past a few
 * bytes, and split a piece where no token joins two characters of two
 * bytes or of three) with the reference's.  The
 * second CJK alphabet has characters that tokens join with only a part
 * of one of them: a token of cl100k_base begins within U+4E08 and ends
 * with U+B2E4, one of o200k_base within U+4E20 and ends with U+9664.
 */
static void
check_piece(struct ref *r, const uint8_t *data, size_t size)
{
	static const char *alphabets[][8] = {
	    {"a", "b", "e", "n", "r", "s", "t", "aa"},
	    {"-", "=", "*", "#", "!", ".", "_", "~"},
	    {"\xe4\xb8\x80", "\xe4\xba\x8c", "\xe4\xb8\xad", "\xe6\x96\x87",
		"\xe4\xba\xba", "\xe7\x9a\x84", "\xe6\x98\xaf", "\xe5\x9b\xbd"},
	    {" ", " ", " ", " ", " ", " ", " ", " "},
	    {"\xe7\x9a\x84", "\xe4\xb8\x88", "\xeb\x8b\xa4", "\xe4\xb8\xa0",
		"\xe9\x99\xa4", "\xe8\x8e\xb7", "\xe5\x8f\x96", "\xe6\x95\xb0"},
	    {"\xc9\xb2", "\xc9\x94", "n", "\xd0\xb0", "\xd1\x81", "\xc9\x94n",
		"\xc3\xa7", "e"},
	    {"\xe0\xb8\x81", "\xe0\xb8\x82", "\xe0\xb8\x84", "\xe0\xb8\x87",
		"\xe0\xb8\x88", "\xe0\xb8\x99", "\xe0\xb8\xa1", "\xe0\xb8\xb2"},
	};
	char text[4 * REF_MAX];
	uint32_t want[REF_MAX];
	struct bpe_ids got = {NULL, 0, 0};
	const char *const *abc =
	    alphabets[data[0] % (sizeof(alphabets) / sizeof(alphabets[0]))];
	size_t i, len = 0, n, piece;

	for (i = 1; i < size; i++) {
		piece = strlen(abc[data[i] % 8]);
		if (len + piece > REF_MAX)
			break;
		memcpy(text + len, abc[data[i] % 8], piece);
		len += piece;
	}
	if (len == 0)
		return;
	n = ref_merge(r, text, len, want);
	if (bpe_encode(r->enc, text, len, 0, &got) != n ||
	    memcmp(got.v, want, n * sizeof(*want)) != 0)
		abort();
	bpe_ids_release(&got);
}

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (refs[0].enc == NULL) {
		ref_init(&refs[0], bpe_find("cl100k_base"));
		ref_init(&refs[1], bpe_find("o200k_base"));
	}
	check(refs[0].enc, (const char *)data, size);
	check(refs[1].enc, (const char *)data, size);
	if (size > 1) {
		check_piece(&refs[0], data, size);
		check_piece(&refs[1], data, size);
	}
	return 0;
}
