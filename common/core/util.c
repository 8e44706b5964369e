/* util: allocation that cannot fail, and a growable byte buffer. */
#include <err.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"

void *
xmalloc(size_t size)
{
	void *p;

	if ((p = malloc(size ? size : 1)) == NULL)
		errx(1, "out of memory");
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	if (size != 0 && n > SIZE_MAX / size)
		errx(1, "out of memory");
	if ((p = realloc(p, n * size > 0 ? n * size : 1)) == NULL)
		errx(1, "out of memory");
	return p;
}

/* Makes room for extra more bytes plus a terminating NUL. */
void
buf_grow(struct buf *b, size_t extra)
{
	size_t need;

	if (extra > SIZE_MAX - b->len - 1)
		errx(1, "out of memory");
	need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < need)
		b->cap = b->cap > SIZE_MAX / 2 ? need : b->cap * 2;
	b->s = xreallocarray(b->s, b->cap, 1);
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_grow(b, n);
	if (n > 0)
		memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void
buf_addstr(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

int
buf_read(struct buf *b, FILE *fp)
{
	size_t got;

	do {
		buf_grow(b, 65536);
		got = fread(b->s + b->len, 1, b->cap - b->len - 1, fp);
		b->len += got;
		b->s[b->len] = '\0';
	} while (got > 0);
	return ferror(fp) ? -1 : 0;
}

void
exit_flushed(int status)
{
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "write error");
	exit(status);
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

/* Copies the first n bytes of s, which need no NUL among them. */
char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		errx(1, "buf_printf: bad format");
	buf_grow(b, n);
	va_start(ap, fmt);
	vsnprintf(b->s + b->len, n + 1, fmt, ap);
	va_end(ap);
	b->len += n;
}

/* Empties b, leaving it an allocated "" for callers that print it. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	buf_grow(b, 0);
	b->s[0] = '\0';
}

void
buf_release(struct buf *b)
{
	free(b->s);
	b->s = NULL;
	b->len = b->cap = 0;
}

char *
xdg_path(const char *var, const char *home_dir, const char *file)
{
	const char *base = getenv(var), *home = getenv("HOME");
	struct buf path = BUF_INIT;

	if (base != NULL && base[0] == '/') {
		buf_addstr(&path, base);
	} else if (home != NULL && home[0] != '\0') {
		buf_addstr(&path, home);
		buf_addstr(&path, "/");
		buf_addstr(&path, home_dir);
	} else {
		return NULL;
	}
	buf_addstr(&path, "/llmpipe/");
	buf_addstr(&path, file);
	return path.s;
}
