/* bpe: exact tiktoken byte-pair encoding with built-in vocabularies. */
#ifndef BPE_H
#define BPE_H

#include <stddef.h>
#include <stdint.h>

struct bpe;

/* A growable array of token ids. */
struct bpe_ids {
	uint32_t *v;
	size_t n, cap;
};

/* Flags for bpe_encode. */
#define BPE_SPECIAL 1 /* special-token text such as <|endoftext|> is one id */

/*
 * Returns the encoding called name ("cl100k_base", "o200k_base"), or NULL.
 * The vocabulary is part of the program: nothing is read or built.
 */
const struct bpe *bpe_find(const char *name);

const char *bpe_name(const struct bpe *enc);

/*
 * Encodes len bytes of text exactly as tiktoken's encode_ordinary does (or
 * its encode with every special token allowed, given BPE_SPECIAL) and
 * returns the number of tokens.  The ids are appended to out unless it is
 * NULL.  Invalid UTF-8 is first replaced by U+FFFD, one per maximal invalid
 * subpart, as Python's and WHATWG's decoders do: that is what tiktoken
 * sees when invalid bytes are decoded into a string.
 */
size_t bpe_encode(const struct bpe *enc, const char *text, size_t len,
    int flags, struct bpe_ids *out);

/*
 * Threads may encode at once: each has caches of its own, mapped when it
 * first encodes (4 MB of address space, as much of it touched as its text
 * needs).  A thread that has encoded calls this before it ends, to unmap
 * them; the next encoding maps them again.
 */
void bpe_thread_release(void);

/*
 * Returns the bytes of token id and stores their length in *len, or
 * returns NULL when the encoding has no such id.  The bytes are not
 * NUL-terminated and belong to the program image.
 */
const char *bpe_token(const struct bpe *enc, uint32_t id, size_t *len);

/*
 * Returns the length of a prefix of text that tokenizes the same alone as
 * it does followed by any further text, as long a one as two simple rules
 * find (see bpe.c), or 0 when they find none.  Lets a caller encode an
 * unbounded stream piece by piece.
 */
size_t bpe_split_point(const char *text, size_t len);

void bpe_ids_push(struct bpe_ids *ids, uint32_t id);
void bpe_ids_release(struct bpe_ids *ids);

#endif
