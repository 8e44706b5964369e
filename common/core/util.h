/* util: allocation that cannot fail, growable buffers and arrays, numbers. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Each exits with "out of memory" rather than return NULL. */
void *xmalloc(size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/* Exits with status, once what went to stdout is known to be written. */
void exit_flushed(int status) __attribute__((noreturn));
char *xstrndup(const char *s, size_t n);

/*
 * A byte string that grows as needed, always NUL-terminated: BUF_INIT
 * makes a valid empty string (pointing at a shared "" that is never
 * written, as git's strbuf does), so no caller resets one before use.
 */
struct buf {
	char *s;
	size_t len, cap; /* cap 0: s is the shared "" */
};

extern char buf_slop[1];

#define BUF_INIT \
	{ \
		buf_slop, 0, 0 \
	}

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);

/* Returns b's string, allocated (the caller frees it), and empties b. */
char *buf_detach(struct buf *b);

/* Appends the rest of fp to b; returns 0, or -1 on a read error. */
int buf_read(struct buf *b, FILE *fp);
void buf_release(struct buf *b);

/*
 * Makes room in the array *v, which holds n elements of its type and has
 * room for *cap, for at least one more: git's ALLOC_GROW, once for every
 * hand-grown array.
 */
#define ARRAY_GROW(v, n, cap) \
	do { \
		if ((n) >= (cap)) \
			(v) = xgrowarray((v), &(cap), (n) + 1, sizeof(*(v))); \
	} while (0)

/*
 * Reallocates p, an array of size-byte elements with room for *cap, to
 * hold at least need: by half again, at least 16.  Updates *cap.
 */
void *xgrowarray(void *p, size_t *cap, size_t need, size_t size);

/*
 * The one parser of whole numbers for options and settings: s must be
 * decimal digits (after a '-' only when min is negative) with a value
 * from min to max.  Returns NULL and stores the value in *out, or says
 * why not: "expected a whole number from 1 to 100" ("of at least 1"
 * when max is LONG_MAX), in a static buffer.
 */
const char *number_check(const char *s, long min, long max, long *out);

/*
 * Each program defines usage(): its synopsis on stderr, then exit 2.
 * What went wrong is said first, on a line of its own.
 */
void usage(void) __attribute__((noreturn));

/*
 * The value of the whole-number option opt, as number_check takes it;
 * otherwise "prog: opt: expected ..., not 's'" and usage().
 */
long option_number(const char *opt, const char *s, long min, long max);

/*
 * A map from strings (of any bytes, with their length) to pointers,
 * by open addressing.  Keys are copied; values belong to the caller.
 */
struct strmap {
	struct strmap_slot {
		char *key;
		size_t len;
		void *value;
	} * slot;
	size_t n, cap; /* cap: a power of two, or 0 */
};

#define STRMAP_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Returns the value of key, or NULL. */
void *strmap_get(const struct strmap *m, const char *key, size_t len);

/* Sets key to value, which may not be NULL; returns the old value. */
void *strmap_put(struct strmap *m, const char *key, size_t len, void *value);
void strmap_release(struct strmap *m);

/* FNV-1a, 64 bits: for hashing, not against an attacker. */
uint64_t hash_bytes(const void *p, size_t len);

/*
 * The inputs of a filter: the files named as its operands in turn, else
 * standard input; "-" names standard input too, as for cat(1).
 */
struct inputs {
	char **names;
	int n, next;
	FILE *fp;         /* the one being read, or NULL */
	const char *name; /* its name for messages; NULL: standard input */
	int failed;       /* one could not be opened, and was reported */
};

void inputs_init(struct inputs *in, char **names, int n);

/*
 * Closes the input being read and opens the next: returns its stream,
 * or NULL after the last.  One that cannot be opened is reported as
 * "prog: name: why", sets failed, and is passed over.
 */
FILE *inputs_next(struct inputs *in);
void inputs_release(struct inputs *in);

/*
 * The allocated path of file in llmpipe's directory under the XDG base
 * directory in the environment variable var (e.g. XDG_DATA_HOME), else
 * under $HOME/home_dir (e.g. ".local/share"), as the XDG spec says.  A
 * relative var is ignored, as the spec asks.  NULL if $HOME is unset too.
 */
char *xdg_path(const char *var, const char *home_dir, const char *file);

#endif
