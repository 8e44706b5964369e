/* drain: log templates mined in one pass, as the Drain parser does. */
#ifndef DRAIN_H
#define DRAIN_H

#include <stddef.h>
#include <stdint.h>

#include "mem/mask.h"

/*
 * Lines, masked first (mask.h), are grouped by their number of tokens,
 * their level (error-like lines never join others) and their first two
 * tokens (a placeholder counts as any token); within a group a line
 * joins the template it shares most tokens with, position by position,
 * if that is at least half of them, and the tokens that differ become
 * <*>.  Otherwise it starts a template of its own, up to DRAIN_MAX
 * templates (after that it joins the nearest one of its group, or one
 * template of lines that found no group).  Memory is bounded by
 * DRAIN_MAX, whatever the input.
 */
#define DRAIN_MAX 4096

struct drain_template {
	int n;          /* tokens */
	int level;      /* as mask's */
	int more;       /* its lines had more than MASK_MAX_TOKENS tokens */
	char **tok;     /* the tokens, "<*>" where lines differ */
	uint64_t *hash; /* of each token; 0 for <*> */
	uint64_t key;   /* its group */
};

struct drain;

struct drain *drain_new(void);
void drain_free(struct drain *d);

/*
 * Adds the masked line m; returns the index of its template, and sets
 * *created when the line began it.
 */
size_t drain_add(struct drain *d, const struct mask *m, int *created);

/*
 * Adds a template of n tokens as given (a state file's), or finds the
 * one that is the same; returns its index.
 */
size_t drain_insert(struct drain *d, char *const *tok, int n, int level);

/* The number of templates, and each. */
size_t drain_count(const struct drain *d);
const struct drain_template *drain_get(const struct drain *d, size_t i);

#endif
