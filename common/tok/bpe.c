/* bpe: exact tiktoken byte-pair encoding with built-in vocabularies. */
#include <sys/mman.h>

#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe.h"
#include "tok/bpe_table.h"
#include "tok/unicode_tab.h"
#include "core/utf8.h"
#include "core/util.h"

/* The blobs common/vocab.S embeds; see bpe_table.h for their layout. */
extern const uint32_t bpe_blob_cl100k_base[];
extern const uint32_t bpe_blob_o200k_base[];

/*
 * Pieces up to SMALL_PIECE bytes are merged by merge_small, in quadratic
 * time but with no search for tokens: most of its lookups are of what is
 * no token, which the filter turns away in the CPU's cache, where each
 * token merge_long finds costs misses of its own (its length, the pair
 * memo, the hash slot).  Measured with callgrind's cache model, 24 bytes
 * rather than 8 took a third fewer misses on English and Latin-script
 * text.  Not so where a piece begins with a character from U+0340 on
 * (Greek, Cyrillic, Arabic, Indic, Thai, CJK): its characters are of two
 * or three bytes, and merge_small spends half its merges, each a scan of
 * every part, putting the bytes of a character together, where
 * merge_long goes a token at a time.  Past 8 bytes merge_long takes
 * those: Cyrillic 12%, Thai 16% less time with cl100k_base.  Longer
 * pieces go to merge_long, which keeps its marks on the stack up to
 * LONG_ON_STACK bytes.
 */
#define SMALL_PIECE 24
#define SMALL_WIDE_PIECE 8
#define LONG_ON_STACK 4096

/*
 * The lookups that merge_small's loop makes: gcc stops inlining them there
 * once bpe_hash has grown its two parts, and the calls cost 5-8% of the
 * time on Cyrillic and Latin-script text.  So too the look at a set of
 * the piece cache, made for most pieces: called, it was 8% of the time of
 * counting Devanagari.
 */
#define HOT_INLINE inline __attribute__((always_inline))

/* The size of a huge page, that the caches' mapping is a multiple of. */
#define CACHE_ALIGN ((size_t)2 << 20)

enum pattern { PAT_CL100K, PAT_O200K };

struct special {
	const char *text;
	uint32_t id;
};

struct bpe {
	const char *name;
	const uint32_t *blob;
	enum pattern pattern;
	const struct special *specials;
	/* Views into the blob, set by bpe_find. */
	uint32_t ntokens;
	unsigned index; /* in encodings[]: the caches' keys hold it */
	/* of the hash slots, the filter's words and the join filter's */
	size_t mask, filter_mask, join_mask;
	unsigned walk_shift, join_widths;
	const uint32_t *byte_rank, *pair_rank, *three, *off, *slots, *prefix;
	const uint32_t *split;
	const uint32_t *filter, *walk, *join_bytes, *joins;
	const unsigned char *bytes;
};

static const struct special cl100k_specials[] = {
    {"<|endoftext|>", 100257},
    {"<|fim_prefix|>", 100258},
    {"<|fim_middle|>", 100259},
    {"<|fim_suffix|>", 100260},
    {"<|endofprompt|>", 100276},
    {NULL, 0},
};

static const struct special o200k_specials[] = {
    {"<|endoftext|>", 199999},
    {"<|endofprompt|>", 200018},
    {NULL, 0},
};

static struct bpe encodings[] = {
    {.name = "cl100k_base",
	.blob = bpe_blob_cl100k_base,
	.pattern = PAT_CL100K,
	.specials = cl100k_specials},
    {.name = "o200k_base",
	.blob = bpe_blob_o200k_base,
	.pattern = PAT_O200K,
	.specials = o200k_specials},
};

/*
 * bpe_filter_bits of every filter key: one load from 4 KB, where two
 * shifts by a variable count cost more instructions on x86-64 without
 * BMI2 (7% of them for Thai text with o200k_base).  It and the other
 * tables computed from constants are filled before main (tables_init, at
 * the end), so that any thread, and bpe_split_point without an encoding,
 * finds them whole.
 */
static uint32_t filter_masks[BPE_FILTER_KEYS];

static void
filter_masks_init(void)
{
	size_t i;

	for (i = 0; i < BPE_FILTER_KEYS; i++)
		filter_masks[i] = bpe_filter_bits((unsigned)i);
}

const struct bpe *
bpe_find(const char *name)
{
	struct bpe *e;
	size_t i;
	unsigned filter_bits;

	for (i = 0; i < sizeof(encodings) / sizeof(encodings[0]); i++) {
		e = &encodings[i];
		if (strcmp(e->name, name) != 0)
			continue;
		if (e->bytes == NULL) {
			if (e->blob[0] != BPE_MAGIC)
				errx(1, "built-in vocabulary '%s' is damaged",
				    name);
			e->ntokens = e->blob[1];
			e->index = (unsigned)i;
			e->mask = ((size_t)1 << e->blob[2]) - 1;
			filter_bits = e->blob[4];
			e->filter_mask = bpe_filter_mask(filter_bits);
			e->walk_shift = bpe_walk_shift(filter_bits);
			e->byte_rank = e->blob + BPE_HEADER_WORDS;
			e->pair_rank = e->byte_rank + 256;
			e->three = e->pair_rank + 65536;
			e->off = e->three + 65536;
			e->slots = e->off + e->ntokens + 1;
			e->prefix = e->slots + 4 * (e->mask + 1);
			e->split = e->prefix + e->ntokens;
			e->filter = e->split + 2 * e->ntokens;
			e->walk = e->filter + e->filter_mask + 1;
			e->join_bytes = e->walk + 2 * (e->filter_mask + 1);
			e->joins = e->join_bytes + BPE_JOIN_BYTE_WORDS;
			e->join_mask = bpe_filter_mask(e->blob[5]);
			e->join_widths = e->blob[6];
			e->bytes = (const unsigned char *)(e->joins +
			    e->join_mask + 1);
		}
		return e;
	}
	return NULL;
}

const char *
bpe_name(const struct bpe *enc)
{
	return enc->name;
}

/* Compares bytes 8 .. n of a and b, n > 8: two loads up to 16 bytes. */
static inline int
same_tail(const unsigned char *a, const unsigned char *b, size_t n)
{
	if (n <= 16)
		return bpe_load64(a + n - 8) == bpe_load64(b + n - 8);
	return memcmp(a + 8, b + 8, n - 8) == 0;
}

/* Whether key h may be in filter: whether its two bits are set. */
static inline int
in_filter(const struct bpe *e, const uint32_t *filter, uint64_t h)
{
	uint32_t bits = filter_masks[bpe_filter_key(h)];

	return (filter[bpe_filter_word(h, e->filter_mask)] & bits) == bits;
}

/*
 * Finds the key p[0 .. n), n > 2, of hash h and bpe_key8 k8 in the hash
 * slots; returns its rank.  A key of up to BPE_TAIL_IN_SLOT bytes is
 * told by its slot alone; a longer one by its first eight bytes, then the
 * rest of its bytes, which the slot points to: a long token's lookup
 * waited for three loads that missed the CPU's cache in turn (the slot,
 * the token's offset and its bytes); the offset's was 4% of the samples
 * of counting English prose.
 */
static inline uint32_t
probe_slots(const struct bpe *e, const unsigned char *p, size_t n, uint64_t k8,
    uint64_t h)
{
	const uint32_t *sl;
	uint32_t v, r;
	size_t i;

	for (i = h & e->mask; (v = (sl = e->slots + 4 * i)[2]) != 0;
	     i = (i + 1) & e->mask) {
		if ((sl[0] | (uint64_t)sl[1] << 32) != k8 ||
		    v >> BPE_LEN_SHIFT != n)
			continue;
		r = v & BPE_RANK_MASK;
		if (n <= 8)
			return r;
		if (n <= BPE_TAIL_IN_SLOT ? sl[3] == bpe_load32(p + n - 4)
					  : same_tail(e->bytes + sl[3], p, n))
			return r;
	}
	return BPE_NONE;
}

/* The low n bytes of a word, n <= 8. */
static const uint64_t key8_mask[9] = {0, 0xff, 0xffff, 0xffffff, 0xffffffff,
    0xffffffffff, 0xffffffffffff, 0xffffffffffffff, ~(uint64_t)0};

/*
 * bpe_key8 of p[0 .. n), n > 0, where room bytes may be read from p: one
 * load and a mask when there are eight.  bpe_key8's branches on the
 * length, which words of every length make hard to predict, were a third
 * of the mispredicted branches of counting English prose, and shifting
 * the mask by the length 2% of the instructions of counting Latin-script
 * text.
 */
static inline uint64_t
key8_at(const unsigned char *p, size_t n, size_t room)
{
	if (room < 8)
		return bpe_key8(p, n);
	return bpe_load64(p) & key8_mask[n < 8 ? n : 8];
}

/*
 * Returns the rank of the key p[0 .. n), 2 < n <= BPE_MAX_TOKEN_LEN, or
 * BPE_NONE, and leaves its hash in *h: the filter turns most keys away
 * before the hash slots are read.  Here and below, room is the number of
 * bytes that may be read from p, n or more.
 */
static HOT_INLINE uint32_t
lookup(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    uint64_t *h)
{
	uint64_t k8 = key8_at(p, n, room);

	*h = bpe_hash_key(p, n, k8);
	if (!in_filter(e, e->filter, *h))
		return BPE_NONE;
	return probe_slots(e, p, n, k8, *h);
}

/* Returns the rank of the token whose bytes are p[0 .. n), or BPE_NONE. */
static HOT_INLINE uint32_t
rank_of(const struct bpe *e, const unsigned char *p, size_t n, size_t room)
{
	uint64_t h;

	if (n == 2)
		return e->pair_rank[p[0] << 8 | p[1]];
	if (n > BPE_MAX_TOKEN_LEN)
		return BPE_NONE;
	return lookup(e, p, n, room, &h);
}

/*
 * The state of a merge, by the byte each part starts at: the rank of the
 * pair the part begins and its start in one word, its key, so that the
 * least key is the leftmost pair of the lowest rank, the one BPE merges
 * next (a part merged into the one before it keeps KEY_MAX); the part's
 * rank; the next part and the one before.  Nothing moves when two parts
 * merge, and the least key is found four at a time, without a branch that
 * depends on the data: that search is most of the work of merging a word
 * of Cyrillic or Greek.  A key is kept with its top bit flipped, so that
 * keys compare as signed numbers, which SSE2 compares in one instruction,
 * in the order of the unsigned ones.  The keys are padded with KEY_MAX to
 * a multiple of four.
 */
#define PART_BITS 9 /* parts start below 2 * BPE_MAX_TOKEN_LEN + 2 */
#define PART_MASK ((1u << PART_BITS) - 1)
#define KEY_MAX INT32_MAX
#define PADDED(n) (((n) + 3) & ~(size_t)3)

typedef int32_t keys4 __attribute__((vector_size(16)));

struct parts {
	int32_t *key;
	uint32_t *rank;
	uint16_t *next, *prev;
	size_t n;
	size_t room; /* of the bytes merged */
};

/* The key of the part at i whose pair has rank r (BPE_NONE: no pair). */
static inline int32_t
part_key(uint32_t r, size_t i)
{
	return (int32_t)((r << PART_BITS | (uint32_t)i) ^ 0x80000000u);
}

static inline uint32_t
key_rank(int32_t key)
{
	return ((uint32_t)key ^ 0x80000000u) >> PART_BITS;
}

static const keys4 lane_of[4] = {
    {-1, 0, 0, 0}, {0, -1, 0, 0}, {0, 0, -1, 0}, {0, 0, 0, -1}};

/*
 * Sets the key of part i by storing the four keys of its group whole.
 * parts_next loads the keys four at a time, and a load of four that were
 * just stored one by one cannot take them from the stores: it waits until
 * they have reached the cache.  Stored whole, they took 2-14% off the
 * time of counting each of six inputs of the bench (prose, C, chat,
 * Cyrillic, Latin, Greek), with 4-5% more instructions.
 */
static HOT_INLINE void
key_put(struct parts *ps, size_t i, int32_t key)
{
	keys4 v, k = {key, key, key, key}, m = lane_of[i & 3];

	memcpy(&v, ps->key + (i & ~(size_t)3), sizeof(v));
	v = (v & ~m) | (k & m);
	memcpy(ps->key + (i & ~(size_t)3), &v, sizeof(v));
}

static void
parts_init(
    const struct bpe *e, struct parts *ps, const unsigned char *p, size_t n)
{
	uint32_t r;
	size_t i;

	for (i = 0; i + 1 < n; i++) {
		ps->rank[i] = e->byte_rank[p[i]];
		r = e->pair_rank[p[i] << 8 | p[i + 1]];
		ps->key[i] = part_key(r, i);
		ps->next[i] = (uint16_t)(i + 1);
		ps->prev[i] = (uint16_t)(i - 1);
	}
	ps->rank[i] = e->byte_rank[p[i]];
	ps->key[i] = part_key(BPE_NONE, i);
	ps->next[i] = (uint16_t)(i + 1);
	ps->prev[i] = (uint16_t)(i - 1);
	for (i++; i < PADDED(n); i++)
		ps->key[i] = KEY_MAX;
	ps->n = n;
}

/* Returns the part that begins the next merge, or n if none does. */
static inline size_t
parts_next(const struct parts *ps)
{
	keys4 least, x, less;
	int32_t best;
	size_t i;

	memcpy(&least, ps->key, sizeof(least));
	for (i = 4; i < ps->n; i += 4) {
		memcpy(&x, ps->key + i, sizeof(x));
		less = x < least;
		least = (x & less) | (least & ~less);
	}
	best = least[0];
	for (i = 1; i < 4; i++)
		best = least[i] < best ? least[i] : best;
	return key_rank(best) == BPE_NONE >> PART_BITS
	    ? ps->n
	    : (uint32_t)best & PART_MASK;
}

/*
 * A lookup begun: the key's hash, and its word of the filter read and its
 * hash slot asked for, so that the two lookups of a merge wait for memory
 * together.  Made one after the other, a lookup's wait for the filter,
 * and then for the slot, came before the other's: on the Latin file with
 * cl100k_base, 38% of merge_small's samples sat on those two loads.
 */
struct look {
	uint64_t k8, h;
	uint32_t word;
};

/*
 * Begins the lookup of key p[0 .. n), n > 2; if long_pairs, the key may
 * be longer than any token, and then finds nothing, as a word of the
 * filter without bits does.
 */
static HOT_INLINE void
look_begin(const struct bpe *e, struct look *l, const unsigned char *p,
    size_t n, size_t room, int long_pairs)
{
	if (long_pairs && n > BPE_MAX_TOKEN_LEN) {
		l->h = 0;
		l->word = 0;
		return;
	}
	l->k8 = key8_at(p, n, room);
	l->h = bpe_hash_key(p, n, l->k8);
	l->word = e->filter[bpe_filter_word(l->h, e->filter_mask)];
	__builtin_prefetch(e->slots + 4 * (l->h & e->mask));
}

/* The rank of the key p[0 .. n) of lookup l, or BPE_NONE. */
static HOT_INLINE uint32_t
look_end(
    const struct bpe *e, const struct look *l, const unsigned char *p, size_t n)
{
	uint32_t bits = filter_masks[bpe_filter_key(l->h)];

	if ((l->word & bits) != bits)
		return BPE_NONE;
	return probe_slots(e, p, n, l->k8, l->h);
}

/*
 * Merges part a of p with the next one and ranks the pairs that changed,
 * of three bytes or more, as a now has two; long_pairs as for look_begin.
 */
static HOT_INLINE void
parts_merge(const struct bpe *e, struct parts *ps, const unsigned char *p,
    size_t a, int long_pairs)
{
	size_t b = ps->next[a], c = ps->next[b], d = c, z = a;
	struct look right = {0, 0, 0}, left = {0, 0, 0};

	ps->rank[a] = key_rank(ps->key[a]);
	key_put(ps, b, KEY_MAX);
	ps->next[a] = (uint16_t)c;
	if (c < ps->n) {
		ps->prev[c] = (uint16_t)a;
		d = ps->next[c];
		look_begin(e, &right, p + a, d - a, ps->room - a, long_pairs);
	}
	if (a > 0) {
		z = ps->prev[a];
		look_begin(e, &left, p + z, c - z, ps->room - z, long_pairs);
	}
	key_put(ps, a,
	    part_key(
		c < ps->n ? look_end(e, &right, p + a, d - a) : BPE_NONE, a));
	if (a > 0)
		key_put(ps, z, part_key(look_end(e, &left, p + z, c - z), z));
}

/*
 * Merges a piece of at most SMALL_PIECE bytes as tiktoken does: always the
 * leftmost adjacent pair whose concatenation has the lowest rank.  Writes
 * the ids to out and returns their number.
 */
static size_t
merge_small(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    uint32_t *out)
{
	int32_t key[PADDED(SMALL_PIECE)];
	uint32_t rank[SMALL_PIECE];
	uint16_t next[SMALL_PIECE], prev[SMALL_PIECE];
	struct parts ps = {key, rank, next, prev, 0, room};
	size_t k, m = 0;

	parts_init(e, &ps, p, n);
	while ((k = parts_next(&ps)) < n)
		parts_merge(e, &ps, p, k, 0);
	for (k = 0; k < n; k = next[k])
		out[m++] = rank[k];
	return m;
}

/* bpe_ids_push, inlined: every token goes through it. */
static inline void
push_id(struct bpe_ids *ids, uint32_t id)
{
	if (ids->n == ids->cap) {
		ids->cap = ids->cap ? 2 * ids->cap : 256;
		ids->v = xreallocarray(ids->v, ids->cap, sizeof(*ids->v));
	}
	ids->v[ids->n++] = id;
}

/* Makes room for n more ids in ids. */
static void
ids_room(struct bpe_ids *ids, size_t n)
{
	if (ids->cap - ids->n < n) {
		ids->cap = ids->n + n + ids->cap;
		ids->v = xreallocarray(ids->v, ids->cap, sizeof(*ids->v));
	}
}

static inline size_t
token_len(const struct bpe *e, uint32_t r)
{
	return e->off[r + 1] - e->off[r];
}

/* The code point of the character of three bytes at p: its index in three. */
static inline size_t
three_index(const unsigned char *p)
{
	return (p[0] & 0x0fu) << 12 | (p[1] & 0x3fu) << 6 | (p[2] & 0x3fu);
}

/*
 * Returns the longest token that p[0 .. n) begins with, as rank | length
 * << BPE_LEN_SHIFT, when best is the longest of fewer than from bytes
 * and a longer one may begin there.  The prefixes from from bytes on are
 * walked one by one, up to the first that the walk filter says no token
 * begins with, and the filter names the lengths at which a token may
 * end.  The hash slots are looked at for those alone, the longest first.
 * So the search reads the walk filter, which stays in the CPU's cache,
 * and mostly one hash slot, where a walk of a trie misses the cache at
 * every byte; and it hashes each byte once, with bpe_walk, and only the
 * lengths it looks up with bpe_hash.
 */
static uint32_t
longest_search(const struct bpe *e, const unsigned char *p, size_t n,
    size_t room, uint32_t best, size_t from)
{
	unsigned char ends[BPE_MAX_TOKEN_LEN];
	uint64_t h = BPE_WALK_SEED, k8;
	uint32_t bits, t;
	size_t k, nends = 0;
	const uint32_t *pair;

	if (n > BPE_MAX_TOKEN_LEN)
		n = BPE_MAX_TOKEN_LEN;
	for (k = 0; k + 1 < from; k++)
		h = bpe_walk(h, p[k]);
	for (k = from; k <= n; k++) {
		h = bpe_walk(h, p[k - 1]);
		pair = e->walk + 2 * bpe_walk_word(h, e->walk_shift);
		bits = filter_masks[bpe_walk_prefix_key(h)];
		if ((pair[0] & bits) != bits)
			break;
		bits = filter_masks[bpe_walk_token_key(h)];
		if ((pair[1] & bits) == bits)
			ends[nends++] = (unsigned char)k;
	}
	while (nends > 0) {
		/* cppcheck-suppress uninitvar ; the loop above wrote ends */
		k = ends[--nends];
		k8 = key8_at(p, k, room);
		t = probe_slots(e, p, k, k8, bpe_hash_key(p, k, k8));
		if (t != BPE_NONE)
			return t | (uint32_t)k << BPE_LEN_SHIFT;
	}
	return best;
}

/*
 * Returns the longest token that p[0 .. n), n > 0, begins with, as rank |
 * length << BPE_LEN_SHIFT.  The first two bytes, or the three of a
 * character from U+0800 to U+FFFF (the text is valid UTF-8), take one
 * direct lookup.  Most characters of CJK and Thai text begin no longer
 * token than the one their three bytes give, and for those that lookup is
 * the answer, without a call.
 */
static inline uint32_t
longest_token(
    const struct bpe *e, const unsigned char *p, size_t n, size_t room)
{
	uint32_t t;

	if (n == 1)
		return e->byte_rank[p[0]] | 1u << BPE_LEN_SHIFT;
	if (n >= 3 && (p[0] & 0xf0) == 0xe0) {
		t = e->three[three_index(p)];
		return t & BPE_LONGER
		    ? longest_search(e, p, n, room, t & ~BPE_LONGER, 4)
		    : t;
	}
	t = e->pair_rank[p[0] << 8 | p[1]];
	t = t != BPE_NONE ? t | 2u << BPE_LEN_SHIFT
			  : e->byte_rank[p[0]] | 1u << BPE_LEN_SHIFT;
	return longest_search(e, p, n, room, t, 3);
}

/* Token r as longest_token gives one: rank | length << BPE_LEN_SHIFT. */
static inline uint32_t
with_len(const struct bpe *e, uint32_t r)
{
	return r | (uint32_t)token_len(e, r) << BPE_LEN_SHIFT;
}

/*
 * Returns whether BPE leaves tokens a and b as they are when they stand
 * side by side, that is, whether a b is the encoding of their bytes: it is
 * when no merge joins a part of a with a part of b.  The merges are the
 * ones merge_small makes, stopped at the first that would cross.  The
 * bytes of b are pb[0 ..), where room bytes may be read, and a's are just
 * before them: the text's own, where copying them from the vocabulary
 * took two calls of memcpy for every pair the memo did not know.
 */
static int
pair_holds_slow(const struct bpe *e, uint32_t a, uint32_t b,
    const unsigned char *pb, size_t room)
{
	int32_t key[PADDED(2 * BPE_MAX_TOKEN_LEN)];
	uint32_t rank[2 * BPE_MAX_TOKEN_LEN];
	uint16_t next[2 * BPE_MAX_TOKEN_LEN], prev[2 * BPE_MAX_TOKEN_LEN];
	size_t la = token_len(e, a), n = la + token_len(e, b), k;
	struct parts ps = {key, rank, next, prev, 0, room + la};
	const unsigned char *p = pb - la;

	parts_init(e, &ps, p, n);
	while ((k = parts_next(&ps)) < n) {
		if (next[k] == la)
			return 0;
		parts_merge(e, &ps, p, k, 1);
	}
	return next[0] == la && next[la] == n;
}

/*
 * Returns what pair_holds_slow does for tokens a and b whose own runs of
 * BPE merge in the order of rank (BPE_SPLIT_SORTED), with a few lookups
 * rather than a merge of their bytes.  Merging a b then merges in the
 * order of rank too, a's and b's merges interleaved, until one crosses
 * between them; only the last part of a and the first of b can cross,
 * and they change only where a merge makes a new one.  So the merges are
 * undone from the last, each time the later of the two that made the
 * parts at the edge: the pair at the edge would have been merged while it
 * stood if its rank is below the merge that ended it (a's side, which is
 * to the left, wins ties; the pair wins ties with b's side).  This is the
 * check of GitHub's bpe crate, with tiktoken's splits and merges.
 */
static int
pair_holds_fast(const struct bpe *e, uint32_t a, uint32_t b,
    const unsigned char *pb, size_t room)
{
	size_t ra = token_len(e, a), lb = token_len(e, b);
	uint32_t limit = BPE_NONE, sa, sb;

	/* The parts at the edge are a suffix of a and a prefix of b. */
	for (;;) {
		if (rank_of(e, pb - ra, ra + lb, room + ra) < limit)
			return 0;
		sa = e->split[2 * a + 1];
		sb = e->split[2 * b] & ~BPE_SPLIT_SORTED;
		if (ra == 1 && lb == 1)
			return 1;
		if (ra > 1 && (lb == 1 || a > b)) {
			limit = a;
			a = sa & BPE_ID_MASK;
			ra = sa >> BPE_ID_BITS;
		} else {
			limit = b + 1;
			b = sb & BPE_ID_MASK;
			lb = sb >> BPE_ID_BITS;
		}
	}
}

/*
 * Two caches, a set for each thread that encodes, whose entries keep
 * their whole keys, so that what they hold never changes a result:
 *
 * Which pairs of tokens hold, as pair_holds_slow found: the same pairs
 * come back again and again in a long piece.  The key is the encoding,
 * a and b, mixed one to one (pair_mix): its top PAIR_BITS bits choose
 * the slot and the slot keeps the rest, so that a slot is four bytes, not
 * the eight of the whole key.  Reading the memo, a third of the time of
 * merge_long on Cyrillic text with o200k_base, missed the CPU's cache
 * 15% less often so.
 *
 * The pieces BPE had to merge, by their bytes.  Natural text repeats its
 * words, and a repeated word then costs one look at two lines of the
 * CPU's cache, side by side, where merging it again costs a dozen
 * lookups, some of which miss the cache.  CACHE_SLOTS lines, 512 KB,
 * stay in the CPU's second-level cache beside the vocabulary's tables:
 * four times as many kept 1-10% more of the pieces (41% rather than 38%
 * of those of English prose, 93% rather than 89% of Arabic's), yet
 * counting took 10% more time: a look there missed the second-level
 * cache, and a second huge page had to be cleared.  A piece may sit in
 * either line of its set of two, so that two pieces whose hashes meet
 * can both stay: 3-5% more of the pieces of Arabic and Greek text than
 * with a line for each hash.  Pieces longer than a line keeps, up to
 * LONG_KEY bytes, have sets of their own (struct long_piece).
 *
 * Pieces that begin with a letter of another script than Latin (from
 * U+0280 on, after a space if they have one) have lines of their own,
 * OTHER_SLOTS of them.  Their letters are of two and three bytes, their
 * words more varied, and merging one again costs more: a word of
 * Cyrillic that the cache did not hold took 1,640 instructions with
 * cl100k_base, one of Latin-script text 480.  Kept apart, in 2 MB, they
 * neither push Latin-script text and code out of lines that stay in the
 * CPU's cache, nor are pushed out by them: 9-16% less time counting the
 * bench's Cyrillic, 8-16% Devanagari, 12-13% Arabic, where its
 * multilingual text, 120 translations none of which comes back, took
 * 1-5% more, and Latin-script text 0-3%.  The second huge page that they
 * take is touched only where such pieces come.
 */
#define PAIR_BITS 16
#define PAIR_MEMO (1u << PAIR_BITS)
#define PAIR_KEY_BITS (2 * BPE_ID_BITS + 1) /* the encoding's index: 0, 1 */
#define PAIR_TAG_BITS (PAIR_KEY_BITS - PAIR_BITS)
_Static_assert(PAIR_TAG_BITS + 2 <= 32, "a slot holds its tag and two bits");
#define CACHE_SLOTS 8192
#define OTHER_SLOTS 32768
#define WIDE_SLOTS 4096
#define CACHE_KEY 37
#define CACHE_IDS 10 /* of BPE_ID_BITS each, in CACHE_WORDS words */
#define CACHE_WORDS 3
#define WIDE_WORDS 11 /* room for the ids of any key: no more than its bytes */
#define LONG_SLOTS 2048
#define LONG_KEY 125
#define LONG_WORDS 16
#define LONG_IDS (LONG_WORDS * 64 / BPE_ID_BITS) /* that LONG_WORDS hold */

struct piece_key {
	unsigned char enc; /* the encoding's index + 1; 0: empty */
	unsigned char len, nids;
	unsigned char bytes[CACHE_KEY];
};

/* A line of the CPU's cache: one look reads one line. */
struct cached_piece {
	struct piece_key key;
	uint64_t ids[CACHE_WORDS];
};
_Static_assert(sizeof(struct cached_piece) == 64, "a cached piece is a line");

/*
 * Two lines, for a piece of more than CACHE_IDS ids: words of Greek or
 * Cyrillic text, which cl100k_base spells with a token for every letter
 * or two, and which are the dearest to merge again.
 */
struct wide_piece {
	struct piece_key key;
	uint64_t ids[WIDE_WORDS];
};
_Static_assert(sizeof(struct wide_piece) == 128, "a wide piece is two lines");
_Static_assert(CACHE_IDS *BPE_ID_BITS <= CACHE_WORDS * 64 &&
	CACHE_KEY * BPE_ID_BITS <= WIDE_WORDS * 64,
    "the ids fit");

/*
 * Four lines, for a piece or a part of one of more than CACHE_KEY bytes:
 * runs of Thai between spaces, cut where no token spans (merge_parts)
 * at only 7% of the places between their letters with o200k_base, so
 * that most parts are longer than a line keeps.  Merging one a token at
 * a time was 77% of the time of counting Thai text.  Kept, 2,048 of them
 * (512 KB), they took 48% of the instructions off the bench's Thai, a
 * text that comes back 20 times (1,024 took 41%); over Thai letters at
 * random, never twice the same, they cost 2%.
 */
struct long_piece {
	unsigned char enc, len, nids; /* as in a piece_key */
	unsigned char bytes[LONG_KEY];
	uint64_t ids[LONG_WORDS];
};
_Static_assert(sizeof(struct long_piece) == 256, "a long piece is four lines");
_Static_assert(LONG_KEY <= BPE_MAX_TOKEN_LEN, "a long piece has a hash");

/*
 * Together 3.8 MB, two huge pages: the first, which any large input
 * fills, all but the lines of pieces of other scripts.
 */
struct caches {
	struct cached_piece pieces[CACHE_SLOTS];
	uint32_t pairs[PAIR_MEMO];
	struct wide_piece wide[WIDE_SLOTS];
	struct long_piece longs[LONG_SLOTS];
	struct cached_piece others[OTHER_SLOTS];
};
_Static_assert(offsetof(struct caches, others) <= CACHE_ALIGN &&
	sizeof(struct caches) <= 2 * CACHE_ALIGN,
    "the caches fit two pages, all but the lines of other scripts the first");

/*
 * The caches are 3.8 MB that a large input fills and a small one hardly
 * touches.  As static arrays, each of their pages cost two faults, when it
 * was first read and when first written: 1,900 of the 2,300 faults of
 * counting 3 MB of prose.  So they are mapped when first needed, and
 * given huge pages, where the system has them, once an input of
 * HUGE_INPUT bytes or more comes: a huge page costs a small input more to
 * clear than the few pages it touches.
 */
#define HUGE_INPUT ((size_t)256 << 10)
#define CACHES_SIZE \
	((sizeof(struct caches) + CACHE_ALIGN - 1) & ~(CACHE_ALIGN - 1))

/* Each thread that encodes has caches of its own, without locks. */
static _Thread_local struct caches *cache_map;
static _Thread_local int caches_huge;

/*
 * Maps this thread's caches at a multiple of CACHE_ALIGN, as a huge page
 * must be: older kernels do not align a mapping of its size so.
 */
static struct caches *
caches_map(void)
{
	size_t lead;
	char *p;

	p = mmap(NULL, CACHES_SIZE + CACHE_ALIGN, PROT_READ | PROT_WRITE,
	    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		err(1, "bpe: caches");
	lead = -(uintptr_t)p & (CACHE_ALIGN - 1);
	if (lead > 0)
		munmap(p, lead);
	munmap(p + lead + CACHES_SIZE, CACHE_ALIGN - lead);
	return cache_map = (struct caches *)(p + lead);
}

/* This thread's caches: asked for every piece, so no call but the first. */
static inline struct caches *
caches(void)
{
	return cache_map != NULL ? cache_map : caches_map();
}

/* Asks for huge pages for the caches when an input of len bytes merits. */
static void
caches_for(size_t len)
{
	if (caches_huge || len < HUGE_INPUT)
		return;
	caches_huge = 1;
#ifdef MADV_HUGEPAGE
	(void)madvise(caches(), CACHES_SIZE, MADV_HUGEPAGE);
#endif
}

void
bpe_thread_release(void)
{
	if (cache_map != NULL)
		munmap(cache_map, CACHES_SIZE);
	cache_map = NULL;
	caches_huge = 0;
}

/*
 * Finds whether a b holds, for pair_holds, and keeps the answer in slot;
 * b's bytes are pb[0 ..) and a's are before them.
 */
static int
pair_holds_memo(const struct bpe *e, uint32_t a, uint32_t b,
    const unsigned char *pb, size_t room, uint32_t *slot, uint32_t tag)
{
	int holds;

	if (e->split[2 * a] & e->split[2 * b] & BPE_SPLIT_SORTED)
		holds = pair_holds_fast(e, a, b, pb, room);
	else
		holds = pair_holds_slow(e, a, b, pb, room);
	*slot = tag | (uint32_t)holds << 1 | 1;
	return holds;
}

_Static_assert(sizeof(encodings) / sizeof(encodings[0]) <= 2,
    "an encoding's index is one bit of a pair's key");

/*
 * The pair a b of encoding index, PAIR_KEY_BITS bits, times an odd number
 * modulo 2^PAIR_KEY_BITS, which can be undone: the slot and the tag
 * together give the pair back.
 */
static inline uint64_t
pair_mix(unsigned index, uint32_t a, uint32_t b)
{
	uint64_t k =
	    (uint64_t)index << 2 * BPE_ID_BITS | (uint64_t)a << BPE_ID_BITS | b;

	return k * 0x9e3779b97f4a7c15u & (((uint64_t)1 << PAIR_KEY_BITS) - 1);
}

/*
 * Whether tokens a b hold (pair_holds_slow), from the memo when it knows;
 * b's bytes are p[0 ..), where room bytes may be read, and a's before.
 */
static inline int
pair_holds(const struct bpe *e, uint32_t a, uint32_t b, const unsigned char *p,
    size_t room)
{
	uint64_t k = pair_mix(e->index, a, b);
	/* the two bits below the tag: known, holds */
	uint32_t tag = (uint32_t)(k & ((1u << PAIR_TAG_BITS) - 1)) << 2;
	uint32_t *slot = &caches()->pairs[k >> PAIR_TAG_BITS];

	if ((*slot | 2) == (tag | 3))
		return (int)(*slot >> 1 & 1);
	return pair_holds_memo(e, a, b, p, room, slot, tag);
}

static inline int
bit_get(const uint64_t *bits, size_t i)
{
	return (int)(bits[i >> 6] >> (i & 63) & 1);
}

/*
 * Encodes a piece of any length in linear time and little memory, with
 * the same result as merge_small: a run of megabytes with no cut (one
 * letter, base64) must not take quadratic time, nor the heap and links
 * per byte that tiktoken's O(n log n) variant keeps.
 *
 * Why it is exact.  Cut a text into parts; if every two neighbouring
 * parts, alone together, encode as each of them does alone, the whole
 * text encodes as its parts do.  (Until a first merge crosses a cut, each
 * part makes the merges it makes alone, in the same order, and any two
 * neighbours interleave theirs as they do alone together, since BPE always
 * takes the lowest rank, the leftmost of equals.  So the first crossing
 * merge would have crossed in those two alone, at the same moment.)
 * Applied to tokens: a sequence of tokens that spells the piece, in which
 * every two neighbours hold (pair_holds), is the encoding, and there is
 * only one.  Conversely every prefix of the encoding that ends at a token
 * boundary is the encoding of those bytes.
 *
 * So the tokens are found left to right, each the longest that holds with
 * the one before; where none does, the search backs up one token.  The
 * tokens before a position are always the encoding of the bytes before
 * it, the same whichever way it was reached, so a position from which
 * nothing goes on is marked and never tried again: each byte is passed a
 * bounded number of times.  This is the backtracking encoder of GitHub's
 * bpe crate, with pair_holds in place of its merge table.  The ids are
 * appended to st; returns their number.
 */
static size_t
merge_long(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    struct bpe_ids *st)
{
	uint64_t near[LONG_ON_STACK / 64 + 1], *dead = near;
	size_t m = 0, pos = 0, end, words = (n >> 6) + 1;
	uint32_t t = longest_token(e, p, n, room), last = BPE_NONE, r, *ids;

	/* a token a byte at most: the ids need no check of room */
	ids_room(st, n);
	ids = st->v + st->n;
	if (n > LONG_ON_STACK)
		dead = xreallocarray(NULL, words, sizeof(*dead));
	memset(dead, 0, words * sizeof(*dead));
	while (pos < n) {
		/* t is the token tried at pos, as longest_token gives it */
		end = pos + (t >> BPE_LEN_SHIFT);
		r = t & BPE_RANK_MASK;
		/*
		 * The token's splits, which pair_holds reads when the memo
		 * does not know the pair, and its prefix, tried next if the
		 * pair fails, asked for while the memo is read: of the
		 * tokens tried on Cyrillic text with o200k_base, 39% fail,
		 * and 38% of the pairs asked miss the memo.
		 */
		__builtin_prefetch(&e->split[2 * r]);
		__builtin_prefetch(&e->prefix[r]);
		if (!bit_get(dead, end) &&
		    (last == BPE_NONE ||
			pair_holds(e, last, r, p + pos, room - pos))) {
			ids[m++] = last = r;
			if ((pos = end) < n)
				t = longest_token(
				    e, p + pos, n - pos, room - pos);
			continue;
		}
		if ((r = e->prefix[r]) != BPE_NONE) {
			t = with_len(e, r);
			continue;
		}
		/* Nothing goes on from pos: the last token cannot end there. */
		if (m == 0)
			errx(1, "bpe: no encoding of a piece");
		dead[pos >> 6] |= (uint64_t)1 << (pos & 63);
		t = with_len(e, last);
		pos -= token_len(e, last);
		m--;
		last = m > 0 ? ids[m - 1] : BPE_NONE;
	}
	if (dead != near)
		free(dead);
	st->n += m;
	return m;
}

/*
 * Whether a cached key's bytes a[0 .. n) and p[0 .. n), n > 2, are the
 * same, where room bytes may be read from p: a call of memcmp, sooner.
 * A key's bytes are followed in its line by eight bytes or more, so a
 * key of fewer than eight takes a masked load of each, without a branch
 * on its length.
 */
static inline int
same_bytes(
    const unsigned char *a, const unsigned char *p, size_t n, size_t room)
{
	size_t i;

	if (n < 8)
		return key8_at(a, n, 8) == key8_at(p, n, room);
	for (i = 0; i + 8 < n; i += 8)
		if (bpe_load64(a + i) != bpe_load64(p + i))
			return 0;
	return bpe_load64(a + n - 8) == bpe_load64(p + n - 8);
}

/*
 * A line of a piece that was only counted keeps its count, not its ids:
 * packing them was 3-4% of the time of counting Latin-script text.  Its
 * key's enc has COUNT_ONLY set.
 */
#define COUNT_ONLY 0x80

/*
 * Whether the key enc, len, bytes of an entry of the caches is that of
 * p[0 .. n) in the encoding of index which - 1, and keeps its ids; with
 * COUNT_ONLY in which, or only its count.  room is as for same_bytes.
 */
static inline int
same_key(unsigned char enc, unsigned char len, const unsigned char *bytes,
    unsigned char which, const unsigned char *p, size_t n, size_t room)
{
	return (enc | (which & COUNT_ONLY)) == which && len == n &&
	    same_bytes(bytes, p, n, room);
}

/* same_key for the key of a line or a wide piece. */
static inline int
key_is(const struct piece_key *k, unsigned char which, const unsigned char *p,
    size_t n, size_t room)
{
	return same_key(k->enc, k->len, k->bytes, which, p, n, room);
}

static void
key_set(struct piece_key *k, unsigned char which, const unsigned char *p,
    size_t n, size_t nids)
{
	k->enc = which;
	k->len = (unsigned char)n;
	k->nids = (unsigned char)nids;
	memcpy(k->bytes, p, n);
}

/* Packs ids[0 .. n) into words, which have room for them. */
static HOT_INLINE void
pack_ids(uint64_t *words, size_t nwords, const uint32_t *ids, size_t n)
{
	size_t i, bit;

	memset(words, 0, nwords * sizeof(*words));
	for (i = 0; i < n; i++) {
		bit = i * BPE_ID_BITS;
		words[bit >> 6] |= (uint64_t)ids[i] << (bit & 63);
		if ((bit & 63) > 64 - BPE_ID_BITS)
			words[(bit >> 6) + 1] |= ids[i] >> (64 - (bit & 63));
	}
}

/* Appends the n ids that words hold to st. */
static HOT_INLINE void
unpack_ids(const uint64_t *words, size_t n, struct bpe_ids *st)
{
	uint32_t *ids;
	size_t i, bit;
	uint64_t v;

	ids_room(st, n);
	ids = st->v + st->n;
	for (i = 0; i < n; i++) {
		bit = i * BPE_ID_BITS;
		v = words[bit >> 6] >> (bit & 63);
		if ((bit & 63) > 64 - BPE_ID_BITS)
			v |= words[(bit >> 6) + 1] << (64 - (bit & 63));
		ids[i] = (uint32_t)v & BPE_ID_MASK;
	}
	st->n += n;
}

/*
 * The two lines and the wide piece where a piece p of hash h may be kept,
 * and the two long pieces.
 */
#define SET_OF(cs, h, p) \
	(other_script(p) ? &(cs)->others[2 * ((h) & (OTHER_SLOTS / 2 - 1))] \
			 : &(cs)->pieces[2 * ((h) & (CACHE_SLOTS / 2 - 1))])
#define WIDE_OF(cs, h) (&(cs)->wide[(h) >> 20 & (WIDE_SLOTS - 1)])
#define LONG_SET_OF(cs, h) (&(cs)->longs[2 * ((h) & (LONG_SLOTS / 2 - 1))])

/*
 * Whether piece p, of three bytes or more, begins with a character from
 * U+0280 on, after a space if it has one: of another script than Latin.
 */
static inline int
other_script(const unsigned char *p)
{
	return p[p[0] == ' '] >= 0xca;
}

/* same_key for a long piece. */
static inline int
long_is(const struct long_piece *l, unsigned char which, const unsigned char *p,
    size_t n, size_t room)
{
	return same_key(l->enc, l->len, l->bytes, which, p, n, room);
}

/* cached_ids for a piece of more than CACHE_KEY bytes. */
static __attribute__((noinline)) size_t
long_cached_ids(const struct caches *cs, uint64_t h, unsigned char which,
    const unsigned char *p, size_t n, size_t room, struct bpe_ids *st)
{
	const struct long_piece *l = LONG_SET_OF(cs, h);

	if (st == NULL)
		which |= COUNT_ONLY;
	if (!long_is(l, which, p, n, room)) {
		l++;
		if (!long_is(l, which, p, n, room))
			return 0;
	}
	if (st != NULL)
		unpack_ids(l->ids, l->nids, st);
	return l->nids;
}

/* cache_ids for a piece of more than CACHE_KEY bytes, if its ids fit. */
static __attribute__((noinline)) void
cache_long(struct caches *cs, uint64_t h, unsigned char which,
    const unsigned char *p, size_t n, const uint32_t *ids, size_t m)
{
	struct long_piece *l = LONG_SET_OF(cs, h);

	if (ids != NULL && m > LONG_IDS)
		return;
	l[1] = l[0];
	l->enc = ids != NULL ? which : which | COUNT_ONLY;
	l->len = (unsigned char)n;
	l->nids = (unsigned char)m;
	memcpy(l->bytes, p, n);
	if (ids != NULL)
		pack_ids(l->ids, LONG_WORDS, ids, m);
}

/* The line of the set c that holds piece p[0 .. n) for which, or NULL. */
static HOT_INLINE const struct cached_piece *
line_of(const struct cached_piece *c, unsigned char which,
    const unsigned char *p, size_t n, size_t room)
{
	if (key_is(&c[0].key, which, p, n, room))
		return &c[0];
	if (key_is(&c[1].key, which, p, n, room))
		return &c[1];
	return NULL;
}

/*
 * Appends the ids of piece p[0 .. n) of hash h, 2 < n <= LONG_KEY, to st
 * when the caches hold them; returns their number, or 0.  A line names the
 * wide piece where its piece has more than CACHE_IDS ids, so that a piece
 * that is not cached costs one look, not two.  Without st, the piece is
 * only counted, and the line's count of ids is the answer.
 */
static HOT_INLINE size_t
cached_ids(const struct caches *cs, uint64_t h, unsigned char which,
    const unsigned char *p, size_t n, size_t room, struct bpe_ids *st)
{
	const struct cached_piece *c;
	const struct wide_piece *w;

	if (n > CACHE_KEY)
		return long_cached_ids(cs, h, which, p, n, room, st);
	if (st == NULL) {
		c = line_of(SET_OF(cs, h, p), which | COUNT_ONLY, p, n, room);
		return c != NULL ? c->key.nids : 0;
	}
	if ((c = line_of(SET_OF(cs, h, p), which, p, n, room)) == NULL)
		return 0;
	if (c->key.nids <= CACHE_IDS) {
		unpack_ids(c->ids, c->key.nids, st);
		return c->key.nids;
	}
	if (!key_is(&(w = WIDE_OF(cs, h))->key, which, p, n, room))
		return 0;
	unpack_ids(w->ids, w->key.nids, st);
	return w->key.nids;
}

/*
 * Keeps ids[0 .. m) of piece p[0 .. n) of hash h in the caches, or with
 * ids NULL, their count m.
 */
static HOT_INLINE void
cache_ids(struct caches *cs, uint64_t h, unsigned char which,
    const unsigned char *p, size_t n, const uint32_t *ids, size_t m)
{
	struct cached_piece *c;
	struct wide_piece *w;

	if (n > CACHE_KEY) {
		cache_long(cs, h, which, p, n, ids, m);
		return;
	}
	c = SET_OF(cs, h, p);
	w = WIDE_OF(cs, h);
	/* the set's older piece gives way; the newer moves to its second line */
	c[1] = c[0];
	if (ids == NULL) {
		key_set(&c->key, which | COUNT_ONLY, p, n, m);
		return;
	}
	key_set(&c->key, which, p, n, m);
	if (m <= CACHE_IDS) {
		pack_ids(c->ids, CACHE_WORDS, ids, m);
	} else {
		key_set(&w->key, which, p, n, m);
		pack_ids(w->ids, WIDE_WORDS, ids, m);
	}
}

/* The longest piece p that merge_small merges: by its first letter. */
static inline size_t
small_limit(const unsigned char *p)
{
	unsigned c = p[p[0] == ' '];

	return c >= 0xcd && c < 0xf0 ? SMALL_WIDE_PIECE : SMALL_PIECE;
}

/*
 * Whether no token spans the place between the characters of w bytes
 * p[0 .. w) and p[w .. 2w): then BPE merges the bytes on each side of it
 * as it merges them alone, since every part it makes is a token.  The
 * join bytes and the join filter name every place that a token spans
 * (join_build in scripts/mkvocab.c), and a few more.
 */
static inline int
splits_between(
    const struct bpe *e, const unsigned char *p, size_t w, size_t room)
{
	unsigned bit = bpe_join_byte_bit(p[w - 1], p[w]);
	uint64_t h;
	uint32_t bits;

	if (e->join_bytes[bit >> 5] >> (bit & 31) & 1)
		return 0;
	h = bpe_join_hash(key8_at(p, 2 * w, room));
	bits = filter_masks[bpe_filter_key(h)];
	return (e->joins[bpe_filter_word(h, e->join_mask)] & bits) != bits;
}

/*
 * Returns the end of the part of piece p[0 .. n) that starts at i, the
 * start of a character: after the first character of three bytes, or of
 * two where the join filter has them, that one of the same length follows
 * where splits_between; or n.
 */
static HOT_INLINE size_t
part_end(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    size_t i)
{
	while (i + 4 <= n) {
		if ((p[i] & 0xf0) == 0xe0) {
			if (i + 6 <= n && (p[i + 3] & 0xf0) == 0xe0 &&
			    splits_between(e, p + i, 3, room - i))
				return i + 3;
			i += 3;
		} else if ((p[i] & 0xe0) == 0xc0) {
			if (e->join_widths & 1u << 2 &&
			    (p[i + 2] & 0xe0) == 0xc0 &&
			    splits_between(e, p + i, 2, room - i))
				return i + 2;
			i += 2;
		} else {
			i += p[i] < 0x80 ? 1 : 4;
		}
	}
	return n;
}

/*
 * Whether piece p may have parts: whether it begins with a character of
 * a width the join filter knows, after a space if it has one, as pieces
 * of CJK text do, and words of Cyrillic with cl100k_base.
 */
static inline int
may_have_parts(const struct bpe *e, const unsigned char *p)
{
	return e->join_widths >> bpe_join_width(p[p[0] == ' ']) & 1;
}

static size_t encode_part(const struct bpe *e, const unsigned char *p, size_t n,
    size_t room, struct bpe_ids *out, struct bpe_ids *scratch);

/*
 * Appends the ids of piece p[0 .. n) to st, merged, and keeps them in the
 * caches cs under hash h unless cs is NULL, or only their count if
 * counting; returns their number.  Not inlined: the code that looks up a
 * piece stays small where most pieces end.
 */
static __attribute__((noinline)) size_t
merge_piece(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    struct bpe_ids *st, struct caches *cs, uint64_t h, int counting)
{
	size_t m;

	if (n <= small_limit(p)) {
		ids_room(st, n);
		m = merge_small(e, p, n, room, st->v + st->n);
		st->n += m;
	} else {
		m = merge_long(e, p, n, room, st);
	}
	if (cs != NULL)
		cache_ids(cs, h, (unsigned char)(e->index + 1), p, n,
		    counting ? NULL : st->v + st->n - m, m);
	return m;
}

/*
 * Appends to out, if there is out, the token that piece p[0 .. n) is when
 * it is one character of three bytes that three says is a token; returns
 * 1 then, else 0.
 */
static inline size_t
char_token(
    const struct bpe *e, const unsigned char *p, size_t n, struct bpe_ids *out)
{
	uint32_t t;

	/* of three bytes, valid UTF-8, and a lead byte of three or four */
	if (p[0] < 0xe0 || n != 3)
		return 0;
	t = e->three[three_index(p)] & ~BPE_LONGER;
	if (t >> BPE_LEN_SHIFT != 3)
		return 0;
	if (out != NULL)
		push_id(out, t & BPE_RANK_MASK);
	return 1;
}

/*
 * Encodes piece p[0 .. n) as merge_piece does, a part at a time where it
 * has parts.  Text of CJK ideographs comes in long pieces, seldom seen
 * twice, most of whose characters no token joins to the next (76% with
 * o200k_base, 91% with cl100k_base): its parts are of a character or two,
 * most of them tokens or cached, where merging the piece looked up a
 * token at every character.  So are words of Cyrillic with cl100k_base,
 * 40% of whose places between letters are cuts.
 */
static __attribute__((noinline)) size_t
merge_parts(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    struct bpe_ids *out, struct bpe_ids *scratch, struct caches *cs, uint64_t h)
{
	size_t at = 0, end, m = 0, k;

	if ((end = part_end(e, p, n, room, 0)) == n)
		return merge_piece(e, p, n, room, out != NULL ? out : scratch,
		    cs, h, out == NULL);
	for (;;) {
		/* most parts of CJK are a character that is a token */
		if ((k = char_token(e, p + at, end - at, out)) == 0)
			k = encode_part(
			    e, p + at, end - at, room - at, out, scratch);
		m += k;
		if ((at = end) == n)
			break;
		end = part_end(e, p, n, room, at);
	}
	if (cs != NULL)
		cache_ids(cs, h, (unsigned char)(e->index + 1), p, n,
		    out != NULL ? out->v + out->n - m : NULL, m);
	return m;
}

/*
 * Appends the ids of one pre-tokenized piece, or a part of one if part,
 * p[0 .. n), to out; returns their number.  Without out, the piece is
 * counted, and merged in scratch if it must be.
 */
static HOT_INLINE size_t
encode_piece(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    struct bpe_ids *out, struct bpe_ids *scratch, int part)
{
	unsigned char which = (unsigned char)(e->index + 1);
	struct caches *cs = NULL;
	uint64_t h = 0;
	uint32_t r;
	size_t m;

	if (n <= 2)
		r = n == 1 ? e->byte_rank[p[0]]
			   : e->pair_rank[p[0] << 8 | p[1]];
	else if (n <= BPE_MAX_TOKEN_LEN)
		r = lookup(e, p, n, room, &h);
	else
		r = BPE_NONE;
	if (r != BPE_NONE) {
		if (out != NULL)
			push_id(out, r);
		return 1;
	}
	if (n > 2 && n <= LONG_KEY) {
		cs = caches();
		if ((m = cached_ids(cs, h, which, p, n, room, out)) != 0)
			return m;
	}
	if (!part && n >= 6 && may_have_parts(e, p))
		return merge_parts(e, p, n, room, out, scratch, cs, h);
	if (out == NULL)
		return merge_piece(e, p, n, room, scratch, cs, h, 1);
	return merge_piece(e, p, n, room, out, cs, h, 0);
}

/* encode_piece for a part of a piece, which is merged whole. */
static size_t
encode_part(const struct bpe *e, const unsigned char *p, size_t n, size_t room,
    struct bpe_ids *out, struct bpe_ids *scratch)
{
	return encode_piece(e, p, n, room, out, scratch, 1);
}

/*
 * The pre-tokenizer: hand-written equivalents of the two regexes, which
 * tiktoken applies with leftmost-first alternation and backtracking.
 *
 * cl100k_base:
 *	(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
 *	 ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
 * o200k_base:
 *	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*
 *	    [\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 *	[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+
 *	    [\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|
 *	\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+
 *
 * The text is valid UTF-8 here (bpe_encode repairs it first).
 */
#define SET(c) (1u << (c))
#define IN(c, set) ((set) >> (c)&1u)
#define S_LETTER (SET(UC_LU) | SET(UC_LL) | SET(UC_LO))
#define S_UPPER (SET(UC_LU) | SET(UC_LO) | SET(UC_M))     /* o200k */
#define S_LOWER (SET(UC_LL) | SET(UC_LO) | SET(UC_M))     /* o200k */
#define S_PUNCT (SET(UC_OTHER) | SET(UC_M))               /* [^\s\p{L}\p{N}] */
#define S_PREFIX (SET(UC_OTHER) | SET(UC_M) | SET(UC_WS)) /* but \r \n */

/*
 * The classes of the characters of two bytes, U+0080 to U+07FF (Latin with
 * diacritics, Greek, Cyrillic, Hebrew, Arabic), by their 11 bits: one
 * load where the stages take two.  (A table for all of U+0800 to U+FFFF
 * took 1-2% off CJK and Thai and cost 64 KB to fill at every start.)
 */
static unsigned char two_byte_class[0x800];
/* whether Cyrillic's letters, and its small ones, are as cyrillic_run has */
static int cyrillic_letters, cyrillic_small;

static void
two_byte_classes_init(void)
{
	uint32_t cp;

	for (cp = 0; cp < 0x800; cp++)
		two_byte_class[cp] = uc_stage2[uc_stage1[cp >> 8]][cp & 0xff];
	cyrillic_letters = cyrillic_small = 1;
	for (cp = 0x400; cp < 0x480; cp++) {
		if (!IN(two_byte_class[cp], S_LETTER))
			cyrillic_letters = 0;
		if (cp >= 0x430 && cp < 0x460 && two_byte_class[cp] != UC_LL)
			cyrillic_small = 0;
	}
}

/* Returns the class of the character at s[i] and sets *next past it. */
static HOT_INLINE int
class_at(const unsigned char *s, size_t i, size_t *next)
{
	unsigned c = s[i];
	uint32_t cp;

	if (c < 0x80) {
		*next = i + 1;
		return uc_stage2[0][c];
	}
	if (c < 0xe0) {
		*next = i + 2;
		return two_byte_class[(c & 0x1fu) << 6 | (s[i + 1] & 0x3fu)];
	}
	if (c < 0xf0) {
		cp = (c & 0x0fu) << 12 | (s[i + 1] & 0x3fu) << 6 |
		    (s[i + 2] & 0x3fu);
		*next = i + 3;
	} else {
		cp = (c & 0x07u) << 18 | (s[i + 1] & 0x3fu) << 12 |
		    (s[i + 2] & 0x3fu) << 6 | (s[i + 3] & 0x3fu);
		*next = i + 4;
	}
	return uc_stage2[uc_stage1[cp >> 8]][cp & 0xff];
}

/*
 * Cyrillic's letters U+0400 to U+047F, and its small letters U+0430 to
 * U+045F, by their two bytes as a 16-bit word of little-endian order:
 * the word and a mask is the value.  two_byte_classes_init checks that
 * the classes say so.
 */
#define LANES 0x0001000100010001u
#define CYRILLIC_MASK 0xc0feu /* D0 or D1, then 80 to BF */
#define CYRILLIC 0x80d0u
#define SMALL_MASK_0 0xf0ffu /* D0 B0 to D0 BF */
#define SMALL_0 0xb0d0u
#define SMALL_MASK_1 0xe0ffu /* D1 80 to D1 9F */
#define SMALL_1 0x80d1u

/* The top bit of each 16-bit lane of w whose bits in mask are not want. */
static inline uint64_t
lanes_unlike(uint64_t w, uint64_t mask, uint64_t want)
{
	uint64_t x = (w & mask * LANES) ^ want * LANES;

	/* adding to the low 15 bits carries into the top one: no borrow */
	return (((x & 0x7fff * LANES) + 0x7fff * LANES) | x) & 0x8000 * LANES;
}

/*
 * Skips the Cyrillic letters in set (S_LETTER or S_LOWER) at s[i], four
 * characters at a time; returns where they end, or where a character is
 * not one.  Words of Russian and other Cyrillic text are most of their
 * bytes, and a load, two masks and a compare take four characters, where
 * class_at takes one: 1-4% less time counting the bench's Cyrillic.  The
 * test of the first byte keeps the cost to other scripts to one branch.
 */
static inline size_t
cyrillic_run(const unsigned char *s, size_t len, size_t i, unsigned set)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w, unlike;

	if (i + 8 > len || (s[i] & 0xfe) != 0xd0 ||
	    !(set == S_LOWER ? cyrillic_small : cyrillic_letters))
		return i;
	for (; i + 8 <= len && (s[i] & 0xfe) == 0xd0; i += 8) {
		w = bpe_load64(s + i);
		unlike = set == S_LOWER
		    ? lanes_unlike(w, SMALL_MASK_0, SMALL_0) &
			lanes_unlike(w, SMALL_MASK_1, SMALL_1)
		    : lanes_unlike(w, CYRILLIC_MASK, CYRILLIC);
		if (unlike != 0)
			return i + ((size_t)__builtin_ctzll(unlike) >> 4) * 2;
	}
#else
	(void)s, (void)len, (void)set;
#endif
	return i;
}

/* Returns the end of the run of characters in set that starts at i. */
static inline size_t
run_of(const unsigned char *s, size_t len, size_t i, unsigned set)
{
	size_t next;

	while (i < len && IN(class_at(s, i, &next), set))
		i = next;
	return i;
}

/* run_of for letters, cl100k_base's words. */
static inline size_t
letters_run(const unsigned char *s, size_t len, size_t i)
{
	return run_of(s, len, cyrillic_run(s, len, i, S_LETTER), S_LETTER);
}

/*
 * run_of for a word whose first letters cl100k_ascii or o200k_ascii has
 * read: called, not inlined, so that the general pre-tokenizer stays
 * inlined where the pieces of other scripts are cut (inlined twice, it
 * cost Devanagari text 5% more instructions).
 */
static __attribute__((noinline)) size_t
run_on(const unsigned char *s, size_t len, size_t i, unsigned set)
{
	return run_of(s, len, i, set);
}

static inline int
is_crlf(unsigned char c)
{
	return c == '\r' || c == '\n';
}

/*
 * Returns the length of a contraction suffix "s t re ve m ll d" at s[i],
 * compared without case (and so 's' also matches U+017F, long s, as the
 * regex's Unicode case folding does), or 0.
 */
static size_t
contraction_at(const unsigned char *s, size_t len, size_t i)
{
	unsigned c, d;

	if (i >= len)
		return 0;
	c = s[i] | 0x20u;
	if (c == 's' || c == 't' || c == 'm' || c == 'd')
		return 1;
	if (s[i] == 0xc5 && i + 1 < len && s[i + 1] == 0xbf)
		return 2;
	if (i + 1 >= len)
		return 0;
	d = s[i + 1] | 0x20u;
	if ((c == 'r' && d == 'e') || (c == 'v' && d == 'e') ||
	    (c == 'l' && d == 'l'))
		return 2;
	return 0;
}

/* The optional contraction that ends o200k's letter alternatives. */
static inline size_t
with_contraction(const unsigned char *s, size_t len, size_t e)
{
	size_t m;

	if (e < len && s[e] == '\'' && (m = contraction_at(s, len, e + 1)))
		return e + 1 + m;
	return e;
}

/*
 * The whitespace alternatives shared by both patterns: \s*[\r\n]+ (up to
 * the last line break of the run), else \s+(?!\S) (all but the last
 * character, or all at the end of the text), else \s+.
 */
static size_t
space_piece(const unsigned char *s, size_t len, size_t i)
{
	size_t j = i, next, last = i, nl_end = 0;

	while (j < len && class_at(s, j, &next) == UC_WS) {
		if (is_crlf(s[j]))
			nl_end = next;
		last = j;
		j = next;
	}
	if (nl_end != 0)
		return nl_end;
	if (j == len || last == i)
		return j;
	return last;
}

/* Returns the end of the cl100k_base piece that starts at s[i]. */
static HOT_INLINE size_t
cl100k_piece(const unsigned char *s, size_t len, size_t i)
{
	size_t j, k, m;
	int c0, c1;

	if (s[i] == '\'' && (m = contraction_at(s, len, i + 1)) != 0)
		return i + 1 + m;
	c0 = class_at(s, i, &j);
	if (IN(c0, S_LETTER))
		return letters_run(s, len, j);
	if (j < len && IN(c0, S_PREFIX) && !is_crlf(s[i])) {
		c1 = class_at(s, j, &k);
		if (IN(c1, S_LETTER))
			return letters_run(s, len, k);
	}
	if (c0 == UC_N) {
		for (m = 1; m < 3 && j < len && class_at(s, j, &k) == UC_N; m++)
			j = k;
		return j;
	}
	if (s[i] == ' ' && j < len && IN(class_at(s, j, &k), S_PUNCT))
		j = run_of(s, len, k, S_PUNCT);
	else if (IN(c0, S_PUNCT))
		j = run_of(s, len, j, S_PUNCT);
	else
		return space_piece(s, len, i);
	while (j < len && is_crlf(s[j]))
		j++;
	return j;
}

/*
 * o200k's first alternative from position i, without its prefix:
 * [upper]*[lower]+ where the classes overlap (Lm, Lo, M are in both).  The
 * greedy [upper]* backtracks to the last character of its run that is
 * also [lower]; returns the end of the match, or 0 for no match.
 */
static size_t
o200k_upper_lower(const unsigned char *s, size_t len, size_t i)
{
	size_t next, last_lower_end = 0;
	int c;

	for (; i < len; i = next) {
		c = class_at(s, i, &next);
		if (!IN(c, S_UPPER))
			return IN(c, S_LOWER)
			    ? run_of(s, len,
				  cyrillic_run(s, len, next, S_LOWER), S_LOWER)
			    : last_lower_end;
		if (IN(c, S_LOWER))
			last_lower_end = next;
	}
	return last_lower_end;
}

/* Returns the end of the o200k_base piece that starts at s[i]. */
static HOT_INLINE size_t
o200k_piece(const unsigned char *s, size_t len, size_t i)
{
	size_t j, k, e;
	int c0, m;
	int prefix;

	c0 = class_at(s, i, &j);
	prefix = j < len && IN(c0, S_PREFIX) && !is_crlf(s[i]);
	/* [^\r\n\p{L}\p{N}]?[upper]*[lower]+, with the prefix tried first. */
	if (prefix && (e = o200k_upper_lower(s, len, j)) != 0)
		return with_contraction(s, len, e);
	if (IN(c0, S_UPPER | S_LOWER) &&
	    (e = o200k_upper_lower(s, len, i)) != 0)
		return with_contraction(s, len, e);
	/* [^\r\n\p{L}\p{N}]?[upper]+[lower]* */
	if (prefix && IN(class_at(s, j, &k), S_UPPER)) {
		e = run_of(s, len, run_of(s, len, k, S_UPPER), S_LOWER);
		return with_contraction(s, len, e);
	}
	if (IN(c0, S_UPPER)) {
		e = run_of(s, len, run_of(s, len, j, S_UPPER), S_LOWER);
		return with_contraction(s, len, e);
	}
	if (c0 == UC_N) {
		for (m = 1; m < 3 && j < len && class_at(s, j, &k) == UC_N; m++)
			j = k;
		return j;
	}
	if (s[i] == ' ' && j < len && IN(class_at(s, j, &k), S_PUNCT))
		j = run_of(s, len, k, S_PUNCT);
	else if (IN(c0, S_PUNCT))
		j = run_of(s, len, j, S_PUNCT);
	else
		return space_piece(s, len, i);
	while (j < len && (is_crlf(s[j]) || s[j] == '/'))
		j++;
	return j;
}

/*
 * Fast paths for a piece that starts with an ASCII character and whose
 * end ASCII decides: most text.  Each returns the end of the piece, as
 * cl100k_piece or o200k_piece would, or 0 where a character of 0x80 or
 * above could change it (a letter, digit, mark or space of another
 * script), and the general code takes over; a word whose letters go on
 * past its ASCII ones, the fast path follows to its end (run_on).
 */
enum {
	K_LETTER = 1, /* [A-Za-z] */
	K_DIGIT = 2,
	K_PUNCT = 4,     /* [^\s\p{L}\p{N}] below 0x80 */
	K_SPACE = 8,     /* \s below 0x80 */
	K_PREFIX = 16,   /* [^\r\n\p{L}\p{N}] below 0x80 */
	K_HIGH = 32,     /* 0x80 and above: what only the general code knows */
	K_END_SPACE = 64 /* may end a character that is white space */
};

/* The kinds of each byte, from the Unicode classes. */
static unsigned char byte_kind[256];

static void
byte_kinds_init(void)
{
	/* Unicode's White_Space above U+007F, a property that is kept stable */
	static const uint16_t high_spaces[] = {0x0085, 0x00a0, 0x1680, 0x2000,
	    0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007, 0x2008,
	    0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000};
	unsigned b, c, k;

	for (b = 0; b < 0x80; b++) {
		c = uc_stage2[0][b];
		k = 0;
		if (c == UC_LU || c == UC_LL)
			k |= K_LETTER;
		if (c == UC_N)
			k |= K_DIGIT;
		if (c == UC_OTHER)
			k |= K_PUNCT;
		if (c == UC_WS)
			k |= K_SPACE | K_END_SPACE;
		if ((c == UC_OTHER || c == UC_WS) && !is_crlf((unsigned char)b))
			k |= K_PREFIX;
		byte_kind[b] = (unsigned char)k;
	}
	for (; b < 256; b++)
		byte_kind[b] = K_HIGH;
	for (k = 0; k < sizeof(high_spaces) / sizeof(high_spaces[0]); k++)
		byte_kind[0x80 | (high_spaces[k] & 0x3f)] |= K_END_SPACE;
}

/* [^\s\p{L}\p{N}] below 0x80. */
static inline int
is_punct(unsigned c)
{
	return byte_kind[c] & K_PUNCT;
}

/* The end of the ASCII run of one class from i, or 0 if a high byte ends it. */
#define ASCII_RUN(s, len, i, test) \
	do { \
		while ((i) < (len) && test((s)[i])) \
			(i)++; \
		if ((i) < (len) && (s)[i] >= 0x80) \
			return 0; \
	} while (0)

#define ONES 0x0101010101010101u
#define HIGHS 0x8080808080808080u

/*
 * Returns the end of the run from i of ASCII bytes b with lo <= (b | fold)
 * <= hi, eight bytes at a time: words are most of the bytes of most text.
 * In each byte of a word, adding 0x80 - lo sets the high bit when the low
 * seven bits are at least lo, and no carry leaves the byte.
 */
static inline size_t
ascii_run(const unsigned char *s, size_t len, size_t i, unsigned fold,
    unsigned lo, unsigned hi)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t w, x, in;

	for (; i + 8 <= len; i += 8) {
		w = bpe_load64(s + i);
		x = (w | fold * ONES) & ~HIGHS;
		in = (x + (0x80 - lo) * ONES) & ~(x + (0x7f - hi) * ONES) & ~w;
		if ((in = ~in & HIGHS) != 0)
			return i + ((size_t)__builtin_ctzll(in) >> 3);
	}
#endif
	while (i < len && s[i] < 0x80 && (s[i] | fold) - lo <= hi - lo)
		i++;
	return i;
}

/* \p{N}{1,3} from an ASCII digit at i. */
static inline size_t
ascii_digits(const unsigned char *s, size_t len, size_t i)
{
	size_t k = i + 1;

	while (k < len && k - i < 3 && (unsigned)s[k] - '0' < 10)
		k++;
	if (k - i < 3 && k < len && s[k] >= 0x80)
		return 0;
	return k;
}

/* ASCII whitespace from i: what space_piece returns. */
static inline size_t
ascii_space(const unsigned char *s, size_t len, size_t i)
{
	size_t k = i, last = i, nl_end = 0;

	while (k < len && byte_kind[s[k]] & K_SPACE) {
		if (is_crlf(s[k]))
			nl_end = k + 1;
		last = k++;
	}
	if (k < len && s[k] >= 0x80)
		return 0;
	if (nl_end != 0)
		return nl_end;
	return k == len || last == i ? k : last;
}

/* ` ?[^\s\p{L}\p{N}]+` from i, then trail: CR, LF (and '/' in o200k). */
static inline size_t
ascii_punct(const unsigned char *s, size_t len, size_t i, int slash)
{
	size_t k = s[i] == ' ' ? i + 1 : i;

	ASCII_RUN(s, len, k, is_punct);
	while (k < len && (is_crlf(s[k]) || (slash && s[k] == '/')))
		k++;
	return k;
}

/*
 * Where a word that may start at i with the prefix [^\r\n\p{L}\p{N}]
 * starts: the byte after a prefix decides, and a high one sends the piece
 * to the general code (HIGH_BYTE).
 */
#define HIGH_BYTE SIZE_MAX

static inline size_t
ascii_word_start(const unsigned char *s, size_t len, size_t i)
{
	unsigned next;

	if (!(byte_kind[s[i]] & K_PREFIX) || i + 1 >= len)
		return i;
	next = byte_kind[s[i + 1]];
	if (next & K_HIGH)
		return HIGH_BYTE;
	return next & K_LETTER ? i + 1 : i;
}

/*
 * The end of the piece that starts at s[i], an ASCII byte, or 0 where the
 * general pre-tokenizer must cut it; o200k_ascii likewise.
 */
static HOT_INLINE size_t
cl100k_ascii(const unsigned char *s, size_t len, size_t i)
{
	size_t j, m;
	unsigned k = byte_kind[s[i]];

	if (s[i] == '\'' && (m = contraction_at(s, len, i + 1)) != 0)
		return i + 1 + m;
	if ((j = ascii_word_start(s, len, i)) == HIGH_BYTE)
		return 0;
	if (byte_kind[s[j]] & K_LETTER) {
		j = ascii_run(s, len, j, 0x20, 'a', 'z');
		/* the word goes on past its ASCII letters, as Latin words do */
		if (j < len && s[j] >= 0x80)
			return run_on(s, len, j, S_LETTER);
		return j;
	}
	if (k & K_DIGIT)
		return ascii_digits(s, len, i);
	if (k & K_PUNCT || (s[i] == ' ' && i + 1 < len && is_punct(s[i + 1])))
		return ascii_punct(s, len, i, 0);
	return ascii_space(s, len, i);
}

static HOT_INLINE size_t
o200k_ascii(const unsigned char *s, size_t len, size_t i)
{
	size_t j, k;
	unsigned kind = byte_kind[s[i]];

	if ((j = ascii_word_start(s, len, i)) == HIGH_BYTE)
		return 0;
	if (byte_kind[s[j]] & K_LETTER) {
		/* [upper]*[lower]+, else [upper]+: ASCII is in one or other. */
		j = ascii_run(s, len, j, 0, 'A', 'Z');
		k = ascii_run(s, len, j, 0, 'a', 'z');
		/*
		 * Past a lower-case letter, [upper]* is done and [lower]+ goes
		 * on; past capitals alone, [upper]* may go on too.
		 */
		if (k < len && s[k] >= 0x80) {
			if (k == j)
				return 0;
			k = run_on(s, len, k, S_LOWER);
		}
		return with_contraction(s, len, k);
	}
	if (kind & K_DIGIT)
		return ascii_digits(s, len, i);
	if (kind & K_PUNCT ||
	    (s[i] == ' ' && i + 1 < len && is_punct(s[i + 1])))
		return ascii_punct(s, len, i, 1);
	return ascii_space(s, len, i);
}

/*
 * Returns the end of the piece that starts at s[i] if the ASCII paths
 * find it, else 0.
 */
static HOT_INLINE size_t
ascii_piece_end(
    const struct bpe *e, const unsigned char *s, size_t len, size_t i)
{
	if (s[i] >= 0x80)
		return 0;
	return e->pattern == PAT_CL100K ? cl100k_ascii(s, len, i)
					: o200k_ascii(s, len, i);
}

/* Returns the end of the piece that starts at s[i], in any script. */
static HOT_INLINE size_t
other_piece_end(
    const struct bpe *e, const unsigned char *s, size_t len, size_t i)
{
	return e->pattern == PAT_CL100K ? cl100k_piece(s, len, i)
					: o200k_piece(s, len, i);
}

/*
 * With cl100k_base, whose words are of letters alone, a word of Hindi or
 * Bengali is cut into a piece at every vowel sign, a mark: a dozen
 * lookups for a word of four letters.  So words of U+0800 to U+0FFF
 * (Indic scripts, Thai, Lao, Tibetan) after a space or at the start of a
 * line are kept whole in the caches, their pieces' ids together, in
 * entries whose encoding has WORD set: a word seen before costs one
 * lookup.  That took 38% of the instructions off counting the bench's
 * Hindi and 14% off its Thai; o200k_base, whose words take their marks,
 * had nothing to gain.
 */
#define WORD 0x40
_Static_assert(
    (WORD & COUNT_ONLY) == 0 && sizeof(encodings) / sizeof(encodings[0]) < WORD,
    "WORD is a bit of its own");

/* The first space in s[i .. to), or to. */
static inline size_t
space_in(const unsigned char *s, size_t i, size_t to)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	uint64_t x;

	for (; i + 8 <= to; i += 8) {
		x = bpe_load64(s + i) ^ ' ' * ONES;
		/* the lowest byte that is zero sets the lowest bit */
		if ((x = (x - ONES) & ~x & HIGHS) != 0)
			return i + ((size_t)__builtin_ctzll(x) >> 3);
	}
#endif
	while (i < to && s[i] != ' ')
		i++;
	return i;
}

/*
 * Returns the end of the word that begins at s[i], where a piece does, if
 * the caches may keep it, or 0: the next space, or the text's end, at
 * most LONG_KEY bytes on, after a character that is not white space.  No
 * piece spans that space (only a run of white space takes one in, but
 * at its start), and what follows it changes none before: the word's
 * pieces are the ones it has alone.
 */
static inline size_t
word_end(const unsigned char *s, size_t len, size_t i)
{
	size_t to = len - i > LONG_KEY ? i + LONG_KEY + 1 : len;
	size_t j = space_in(s, i + 1, to), k, next;

	if (j == to && j != len)
		return 0;
	if (!(byte_kind[s[j - 1]] & K_END_SPACE))
		return j;
	for (k = j - 1; (s[k] & 0xc0) == 0x80; k--)
		;
	return class_at(s, k, &next) == UC_WS ? 0 : j;
}

static size_t encode_pieces(const struct bpe *e, const unsigned char *s,
    size_t len, struct bpe_ids *out, struct bpe_ids *scratch, int words);

/*
 * Encodes the word at s[i] if word_end finds one, from the caches if they
 * have it, else piece by piece, and keeps it there; adds the number of
 * its ids to *total and returns its end, or 0 if there is no word.  Not
 * inlined: the pre-tokenizer's loop, which calls it, stays small.
 */
static __attribute__((noinline)) size_t
encode_word(const struct bpe *e, const unsigned char *s, size_t len, size_t i,
    struct bpe_ids *out, struct bpe_ids *scratch, size_t *total)
{
	unsigned char which = (unsigned char)((e->index + 1) | WORD);
	const unsigned char *p = s + i;
	size_t j = word_end(s, len, i), n = j - i, at, m;
	struct caches *cs;
	uint64_t h;

	if (j == 0)
		return 0;
	cs = caches();
	h = bpe_hash_key(p, n, key8_at(p, n, len - i));
	if ((m = cached_ids(cs, h, which, p, n, len - i, out)) == 0) {
		at = out != NULL ? out->n : 0;
		m = encode_pieces(e, p, n, out, scratch, 0);
		cache_ids(
		    cs, h, which, p, n, out != NULL ? out->v + at : NULL, m);
	}
	*total += m;
	return j;
}

/*
 * Encodes the pieces of s[0 .. len), and if words, the words that
 * encode_word takes whole.  Without out, they are counted: those that
 * must be merged are merged in scratch, emptied after each.
 */
static size_t
encode_pieces(const struct bpe *e, const unsigned char *s, size_t len,
    struct bpe_ids *out, struct bpe_ids *scratch, int words)
{
	size_t i = 0, end, total = 0;

	while (i < len) {
		if ((end = ascii_piece_end(e, s, len, i)) == 0) {
			/* at a space, one before a character not ASCII */
			if (words && e->pattern == PAT_CL100K &&
			    (s[i] == ' ' ? s[i + 1] == 0xe0
					 : s[i] == 0xe0 && i > 0 &&
					s[i - 1] == '\n') &&
			    (end = encode_word(
				 e, s, len, i, out, scratch, &total)) != 0) {
				i = end;
				continue;
			}
			end = other_piece_end(e, s, len, i);
		}
		/*
		 * A piece of one character of Indic, Thai or CJK text; the
		 * test of its first byte, char_token's own, kept here too,
		 * costs ASCII pieces nothing more (1-4% more instructions
		 * without it).
		 */
		if (s[i] >= 0xe0 && char_token(e, s + i, end - i, out))
			total++;
		else
			total += encode_piece(
			    e, s + i, end - i, len - i, out, scratch, 0);
		scratch->n = 0;
		i = end;
	}
	return total;
}

/* Encodes text that holds no special token; valid UTF-8. */
static size_t
encode_ordinary(const struct bpe *e, const unsigned char *s, size_t len,
    struct bpe_ids *out)
{
	struct bpe_ids scratch = {NULL, 0, 0};
	size_t total = encode_pieces(e, s, len, out, &scratch, 1);

	bpe_ids_release(&scratch);
	return total;
}

/* Finds the first special token in s; returns its offset or len. */
static size_t
find_special(const struct bpe *e, const unsigned char *s, size_t len,
    const struct special **found)
{
	const unsigned char *p = s, *end = s + len;
	const struct special *sp;
	size_t n;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		for (sp = e->specials; sp->text != NULL; sp++) {
			n = strlen(sp->text);
			if ((size_t)(end - p) >= n &&
			    memcmp(p, sp->text, n) == 0) {
				*found = sp;
				return (size_t)(p - s);
			}
		}
		p++;
	}
	return len;
}

size_t
bpe_encode(const struct bpe *e, const char *text, size_t len, int flags,
    struct bpe_ids *out)
{
	struct buf fixed = BUF_INIT;
	const struct special *sp;
	const unsigned char *s = (const unsigned char *)text;
	size_t total = 0, at;

	caches_for(len);
	if (utf8_valid_prefix(text, len) != len) {
		utf8_sanitize(text, len, &fixed);
		s = (const unsigned char *)fixed.s;
		len = fixed.len;
	}
	while (flags & BPE_SPECIAL) {
		at = find_special(e, s, len, &sp);
		if (at == len)
			break;
		total += encode_ordinary(e, s, at, out) + 1;
		if (out != NULL)
			bpe_ids_push(out, sp->id);
		at += strlen(sp->text);
		s += at;
		len -= at;
	}
	total += encode_ordinary(e, s, len, out);
	buf_release(&fixed);
	return total;
}

const char *
bpe_token(const struct bpe *e, uint32_t id, size_t *len)
{
	const struct special *sp;

	if (id < e->ntokens) {
		*len = e->off[id + 1] - e->off[id];
		return (const char *)e->bytes + e->off[id];
	}
	for (sp = e->specials; sp->text != NULL; sp++) {
		if (sp->id == id) {
			*len = strlen(sp->text);
			return sp->text;
		}
	}
	return NULL;
}

/*
 * Two places where, in either pattern, a piece always ends and what
 * follows cannot change the pieces before: after an ASCII letter or digit
 * that a space or line feed follows (no letter or digit piece takes
 * those), and after a line feed that a character other than whitespace
 * or '/' follows (the whitespace run, or a punctuation run's trailing line
 * breaks, ends there; o200k_base's punctuation also takes '/').  The text
 * may be invalid UTF-8: only a whole, valid character counts.
 */
static int
splits_before(const unsigned char *s, size_t len, size_t i)
{
	unsigned c = s[i - 1] | 0x20u;
	size_t next;

	if (s[i] == ' ' || s[i] == '\n')
		return (c >= 'a' && c <= 'z') ||
		    (s[i - 1] >= '0' && s[i - 1] <= '9');
	if (s[i - 1] != '\n' || s[i] == '/' || s[i] <= ' ' || s[i] == 0x7f)
		return 0;
	if (s[i] < 0x80)
		return 1;
	next = i +
	    utf8_valid_prefix((const char *)s + i, len - i < 4 ? len - i : 4);
	return next > i && class_at(s, i, &next) != UC_WS;
}

size_t
bpe_split_point(const char *text, size_t len)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i;

	for (i = len; i > 1; i--)
		if (splits_before(s, len, i - 1))
			return i - 1;
	return 0;
}

void
bpe_ids_push(struct bpe_ids *ids, uint32_t id)
{
	push_id(ids, id);
}

void
bpe_ids_release(struct bpe_ids *ids)
{
	free(ids->v);
	ids->v = NULL;
	ids->n = ids->cap = 0;
}

/* Fills the tables of constants before main, before any thread runs. */
static void __attribute__((constructor)) tables_init(void)
{
	filter_masks_init();
	byte_kinds_init();
	two_byte_classes_init();
}
