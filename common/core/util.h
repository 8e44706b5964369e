/* util: allocation that cannot fail, and a growable byte buffer. */
#ifndef UTIL_H
#define UTIL_H

#include <stddef.h>
#include <stdio.h>

/* Each exits with "out of memory" rather than return NULL. */
void *xmalloc(size_t size);
void *xreallocarray(void *p, size_t n, size_t size);
char *xstrdup(const char *s);

/* Exits with status, once what went to stdout is known to be written. */
void exit_flushed(int status) __attribute__((noreturn));
char *xstrndup(const char *s, size_t n);

/* A byte string that grows as needed; always NUL-terminated once used. */
struct buf {
	char *s;
	size_t len, cap;
};

#define BUF_INIT \
	{ \
		NULL, 0, 0 \
	}

void buf_grow(struct buf *b, size_t extra);
void buf_add(struct buf *b, const void *p, size_t n);
void buf_addstr(struct buf *b, const char *s);
void buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void buf_reset(struct buf *b);

/* Appends the rest of fp to b; returns 0, or -1 on a read error. */
int buf_read(struct buf *b, FILE *fp);
void buf_release(struct buf *b);

/*
 * The allocated path of file in llmpipe's directory under the XDG base
 * directory in the environment variable var (e.g. XDG_DATA_HOME), else
 * under $HOME/home_dir (e.g. ".local/share"), as the XDG spec says.  A
 * relative var is ignored, as the spec asks.  NULL if $HOME is unset too.
 */
char *xdg_path(const char *var, const char *home_dir, const char *file);

#endif
