/* The layout of a built-in BPE vocabulary and the hash that indexes it. */
#ifndef BPE_TABLE_H
#define BPE_TABLE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

/*
 * scripts/mkvocab turns a .tiktoken file into one blob of 32-bit words,
 * assembled into the program by common/tok/vocab.S, so that nothing is
 * parsed or built when a program starts:
 *
 *	word 0		BPE_MAGIC
 *	word 1		n, the number of tokens (ranks 0 .. n-1, no gaps)
 *	word 2		log2 of the number of hash slots
 *	word 3		the length of the token bytes
 *	word 4		log2 of the number of bits of the filters
 *	word 5		log2 of the number of bits of the join filter
 *	word 6		the widths of the characters the join filter and
 *			bytes name places between: bit w for w bytes
 *	256 words	the rank of each single byte
 *	65536 words	the rank of each pair of bytes a, b at a << 8 | b,
 *			or BPE_NONE: pairs are most of what BPE looks up
 *	65536 words	for the three bytes of each character from U+0800
 *			to U+FFFF, at its code point: the longest token they
 *			begin with, as rank | length << BPE_LEN_SHIFT, and
 *			| BPE_LONGER if a longer one begins so
 *	n + 1 words	offsets: token r is bytes[off[r] .. off[r + 1])
 *	4 words a slot	open-addressing hash table by bpe_hash: the key's
 *			first eight bytes (bpe_key8), rank | length <<
 *			BPE_LEN_SHIFT
 *			(0: empty slot), and for a key of nine to
 *			BPE_TAIL_IN_SLOT bytes its last four (bpe_load32),
 *			of more the offset of its bytes in bytes
 *	n words		the longest token that is a proper prefix of token r,
 *			or BPE_NONE
 *	2n words	the two tokens the last merge of BPE on token r's
 *			bytes joins (r, r for a byte), each as rank | length
 *			<< BPE_ID_BITS, the first with BPE_SPLIT_SORTED when
 *			that run ends in r and merges in the order of rank
 *	bits / 32 words	the filter of the tokens of three bytes or more
 *			(bpe_filter_word, bpe_filter_bits)
 *	bits / 16 words	the walk filter, by bpe_walk: for each of its
 *			bits / 32 pairs of words, the first a filter of the
 *			prefixes of three bytes or more of the tokens, the
 *			tokens themselves too, the second of the tokens of
 *			three bytes or more
 *	128 words	the join bytes: for each bpe_join_byte_bit, whether
 *			a token joins two characters of a width of word 6
 *			where it holds less than the whole of one
 *	join bits / 32 words
 *			the join filter, by bpe_join_hash of the four or six
 *			bytes of the two characters of a width of word 6
 *			that a token joins, where it holds both
 *	bytes		every token's bytes, in rank order
 */
#define BPE_MAGIC 0x39455042u /* "BPE9" */
/*
 * The longest key whose slot holds the rest of its bytes: with its first
 * eight, the last four cover them all, and a lookup of such a token reads
 * no bytes elsewhere.
 */
#define BPE_TAIL_IN_SLOT 12
#define BPE_HEADER_WORDS 7
#define BPE_JOIN_BYTE_WORDS 128
#define BPE_ID_BITS 18 /* ranks are below 2^18 */
#define BPE_MAX_TOKEN_LEN 255
#define BPE_NONE 0xffffffffu
#define BPE_SPLIT_SORTED 0x80000000u
#define BPE_LONGER 0x80000000u
#define BPE_ID_MASK ((1u << BPE_ID_BITS) - 1)
#define BPE_LEN_SHIFT 24 /* of a token as rank | length << BPE_LEN_SHIFT */
#define BPE_RANK_MASK ((1u << BPE_LEN_SHIFT) - 1)

static inline uint64_t
bpe_load64(const unsigned char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint32_t
bpe_load32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * The first eight bytes of a key, zero-padded, read without reading past
 * it: keys of up to eight bytes, most words, are then compared in one go.
 */
static inline uint64_t
bpe_key8(const unsigned char *p, size_t n)
{
	uint64_t lo;

	if (n >= 8)
		return bpe_load64(p);
	if (n >= 4)
		return bpe_load32(p) |
		    (uint64_t)bpe_load32(p + n - 4) << (8 * (n - 4));
	if (n <= 1)
		return n == 1 ? p[0] : 0;
	lo = p[0] | (uint64_t)p[1] << 8;
	return n == 3 ? lo | (uint64_t)p[2] << 16 : lo;
}

/*
 * Hashes a token candidate.  Most candidates are of eight bytes or
 * fewer: their hash is a mix of their bpe_key8 and length, which the
 * lookup compares with the slot's anyway, so the bytes are read once.
 * Longer keys take eight-byte blocks while more than eight bytes are
 * left, then their last eight bytes and their length.
 */
#define BPE_HASH_SEED 0x2545f4914f6cdd1du

static inline uint64_t
bpe_mix(uint64_t h)
{
	h *= 0x9e3779b97f4a7c15u;
	h ^= h >> 29;
	h *= 0xc4ceb9fe1a85ec53u;
	return h ^ (h >> 32);
}

/* The hash of a key of n bytes, n <= 8, whose bpe_key8 is k8. */
static inline uint64_t
bpe_hash_short(uint64_t k8, size_t n)
{
	return bpe_mix(k8 ^ n * 0xff51afd7ed558ccdu);
}

static inline uint64_t
bpe_hash_block(uint64_t h, const unsigned char *p)
{
	h = (h ^ bpe_load64(p)) * 0x9e3779b97f4a7c15u;
	return h ^ (h >> 31);
}

/* The hash of a key of n bytes, n > 8. */
static inline uint64_t
bpe_hash_long(const unsigned char *p, size_t n)
{
	uint64_t h = BPE_HASH_SEED;
	size_t tail = n;

	for (; tail > 8; tail -= 8, p += 8)
		h = bpe_hash_block(h, p);
	/* the last eight bytes, which may overlap the last block */
	return bpe_mix(h ^ bpe_load64(p + tail - 8) ^ n * 0xff51afd7ed558ccdu);
}

/* The hash of key p[0 .. n) whose bpe_key8 is k8: what the lookups take. */
static inline uint64_t
bpe_hash_key(const unsigned char *p, size_t n, uint64_t k8)
{
	return n <= 8 ? bpe_hash_short(k8, n) : bpe_hash_long(p, n);
}

static inline uint64_t
bpe_hash(const unsigned char *p, size_t n)
{
	return bpe_hash_key(p, n, bpe_key8(p, n));
}

/*
 * The filters are Bloom filters: each key sets two bits of one word, as
 * bits of its hash other than the ones of its slot choose.  A key whose
 * two bits are not both set is not in the filter.  Most lookups that BPE
 * makes while it merges are of keys that are no token, and a filter, four
 * bits a hash slot (128 KB for cl100k_base), stays in the CPU's cache
 * where the hash slots (4 MB) do not.
 */
static inline size_t
bpe_filter_mask(unsigned bits)
{
	return ((size_t)1 << (bits - 5)) - 1;
}

/* The word of a filter of bits bits, given as bpe_filter_mask(bits). */
static inline size_t
bpe_filter_word(uint64_t h, size_t mask)
{
	return (size_t)(h >> 22) & mask;
}

/* The ten bits of hash that choose a key's two bits in its word. */
#define BPE_FILTER_KEYS 1024

static inline unsigned
bpe_filter_key(uint64_t h)
{
	return (unsigned)(h >> 49) & (BPE_FILTER_KEYS - 1);
}

static inline uint32_t
bpe_filter_bits(unsigned key)
{
	return 1u << (key & 31) | 1u << (key >> 5);
}

/*
 * The length of the character that lead byte c begins: 2 or 3, or 0 for
 * one of one or four bytes.  A token joins two characters of the same
 * length where this is so of the byte after a continuation byte.
 */
static inline size_t
bpe_join_width(unsigned char c)
{
	return c < 0xc0 ? 0 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 0;
}

/*
 * The bit of the join bytes for the last byte of a character, a, and the
 * lead byte of the next, b: 64 * 64 of them.
 */
static inline unsigned
bpe_join_byte_bit(unsigned char a, unsigned char b)
{
	return (a & 0x3fu) << 6 | (b & 0x3fu);
}

/*
 * The hash of the four or six bytes of two characters, as bpe_key8 gives
 * them, for the join filter: looked up at every character of CJK text,
 * it is one multiply.
 */
static inline uint64_t
bpe_join_hash(uint64_t k6)
{
	uint64_t h = k6 * 0x9e3779b97f4a7c15u;

	return h ^ (h >> 29);
}

/*
 * The walk hash, for longest_token: the hash of each prefix of a text
 * from the one before, in two instructions a byte, where bpe_hash ends
 * each prefix with a dozen.  The multiply carries every byte into the top
 * bits, which are the ones the walk filter takes.
 */
#define BPE_WALK_SEED 0x6a09e667f3bcc909u

static inline uint64_t
bpe_walk(uint64_t h, unsigned char b)
{
	return (h ^ b) * 0x9e3779b97f4a7c15u;
}

/*
 * The pair of words of the walk filter, of 2^bits bits each, for h, given
 * bpe_walk_shift(bits): the top bits of the hash.
 */
static inline unsigned
bpe_walk_shift(unsigned bits)
{
	return 64 - (bits - 5);
}

static inline size_t
bpe_walk_word(uint64_t h, unsigned shift)
{
	return (size_t)(h >> shift);
}

/* The filter keys of h in the filter of prefixes and in that of tokens. */
static inline unsigned
bpe_walk_prefix_key(uint64_t h)
{
	return (unsigned)(h >> 20) & (BPE_FILTER_KEYS - 1);
}

static inline unsigned
bpe_walk_token_key(uint64_t h)
{
	return (unsigned)(h >> 30) & (BPE_FILTER_KEYS - 1);
}

#endif
