/* count: token counts for any model, exact or estimated. */
#ifndef COUNT_H
#define COUNT_H

#include <stddef.h>

#include "models.h"

struct bpe;

struct counter {
	enum counter_kind kind;
	const struct bpe *enc; /* NULL for COUNT_DEEPSEEK */
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

/* Returns the number of tokens in len bytes of text. */
size_t counter_count(const struct counter *c, const char *text, size_t len);

#endif
