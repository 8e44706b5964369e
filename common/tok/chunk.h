/* chunk: text cut at line ends into pieces of at most N tokens. */
#ifndef CHUNK_H
#define CHUNK_H

#include <stddef.h>

#include "tok/count.h"

/*
 * Called with each piece: len bytes at s, whole lines first to last
 * (numbered from 1).  Returns 0 to go on; any other value stops.
 */
typedef int
chunk_fn(void *arg, const char *s, size_t len, long first, long last);

/*
 * Cuts len bytes of text into pieces of whole lines, each as many lines
 * as fit in max tokens as c counts them, and hands each to fn in order.
 * A line longer than max is a piece of its own: a caller that must not
 * exceed max cuts it further (see chunk_cut).  Returns 0, or fn's first
 * non-zero value.
 */
int chunk_lines(const struct counter *c, const char *text, size_t len,
    size_t max, chunk_fn *fn, void *arg);

/*
 * Returns how many bytes of text, at most len, make up to max tokens
 * (whole UTF-8 characters; at least one character when len > 0), for
 * cutting a line that is longer than a piece may be.
 */
size_t
chunk_cut(const struct counter *c, const char *text, size_t len, size_t max);

#endif
