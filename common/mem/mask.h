/* mask: a log line with its variable fields masked, cut into tokens. */
#ifndef MASK_H
#define MASK_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* Tokens a template is made of; those past it are not compared. */
#define MASK_MAX_TOKENS 48

/*
 * A line masked: ANSI escapes dropped, only what follows the last
 * carriage return kept (a progress bar's final state), then cut at white
 * space into tokens in which timestamps, dates, numbers, hex strings and
 * hashes, UUIDs, IP addresses, URLs, paths and progress bars are
 * replaced by <time>, <date>, <num>, <hex>, <uuid>, <ip>, <url>, <path>
 * and <bar> ("pid=4121" becomes "pid=<num>", "worker-3:" "worker-<num>:").
 */
struct mask {
	const char *shown; /* the line as shown: escapes and overwrites gone */
	size_t shown_len;  /* (in clean, or in the line given) */
	struct buf clean, tmp;
	struct buf text; /* the tokens, each ended by a NUL */
	size_t off[MASK_MAX_TOKENS];
	uint64_t hash[MASK_MAX_TOKENS];
	unsigned char var[MASK_MAX_TOKENS]; /* the token is a placeholder */
	int n;
	int more;    /* the line had more tokens than MASK_MAX_TOKENS */
	int level;   /* 2 error-like, 1 warning-like, 0 neither */
	int exitish; /* it may say how a job ended (exit, ***, BUILD) */
};

void mask_init(struct mask *m);
void mask_release(struct mask *m);

/* Masks len bytes of a line (without its line end) into m. */
void mask_line(struct mask *m, const char *line, size_t len);

/* The hash mask_line gives a token of len bytes. */
uint64_t mask_hash(const char *s, size_t len);

/* Returns 1 if s (a token) is one of the placeholders, or "<*>". */
int mask_placeholder(const char *s, size_t len);

#endif
