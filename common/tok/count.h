/* count: token counts for any model, exact or estimated. */
#ifndef COUNT_H
#define COUNT_H

#include <stddef.h>

#include "core/models.h"

struct bpe;

struct counter {
	enum counter_kind kind;
	const struct bpe *enc; /* NULL for COUNT_DEEPSEEK */
	int factor;            /* COUNT_SCALED: thousandths */
	int flags;             /* for bpe_encode: BPE_SPECIAL */
};

/* Sets up c to count as model m does; returns -1 if m names no encoding. */
int counter_for_model(struct counter *c, const struct model *m);

/* Sets up c to count with a BPE encoding; returns -1 if unknown. */
int counter_for_encoding(struct counter *c, const char *encoding);

/* Returns 1 when counts are the provider's own, 0 for estimates. */
int counter_exact(const struct counter *c);

/*
 * Estimates are a scaled measure, rounded up.  Rounding each piece of a
 * text, or each record of a request, would add up; so a caller that sums
 * sums units and turns the sum into tokens once.  For exact counts a unit
 * is a token.
 */
size_t counter_units(const struct counter *c, const char *text, size_t len);
size_t counter_tokens(const struct counter *c, size_t units);

/* OpenAI's chat overhead, which every budget here counts by. */
#define COUNT_PER_MESSAGE 3 /* tokens each message costs besides its text */
#define COUNT_PER_NAME 1    /* and one with a name */
#define COUNT_PER_REPLY 3   /* tokens that prime the reply */

/*
 * Adds to *units and *overhead what a chat message costs besides its
 * content, as OpenAI counts one: its role and name (NULL: none) as text,
 * COUNT_PER_MESSAGE tokens, and COUNT_PER_NAME with a name.
 */
void counter_add_message(const struct counter *c, const char *role,
    const char *name, size_t *units, size_t *overhead);

/* No token of cl100k_base or o200k_base is longer, in bytes. */
#define COUNT_MAX_TOKEN_BYTES 128

/*
 * The fewest tokens that len bytes of text can count, without reading
 * them: a test that a text cannot fit a budget before counting it.
 */
size_t counter_at_least(const struct counter *c, size_t len);

/* Returns the number of tokens in len bytes of text. */
size_t counter_count(const struct counter *c, const char *text, size_t len);

#endif
