/* util: allocation that cannot fail, and a growable byte buffer. */
#include <err.h>
#include <errno.h>
#include <limits.h>
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

char buf_slop[1];

void *
xgrowarray(void *p, size_t *cap, size_t need, size_t size)
{
	size_t n = *cap < 16 ? 16 : *cap + *cap / 2;

	if (n < need)
		n = need;
	p = xreallocarray(p, n, size);
	*cap = n;
	return p;
}

/* Makes room for extra more bytes plus a terminating NUL. */
void
buf_grow(struct buf *b, size_t extra)
{
	size_t need, cap = b->cap;

	if (extra > SIZE_MAX - b->len - 1)
		errx(1, "out of memory");
	need = b->len + extra + 1;
	if (need <= cap)
		return;
	if (cap == 0)
		cap = 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* The shared "" is never written nor freed. */
	b->s = xreallocarray(b->cap == 0 ? NULL : b->s, cap, 1);
	if (b->cap == 0)
		b->s[0] = '\0';
	b->cap = cap;
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

/*
 * Empties b, keeping what it has allocated; also makes a buf that was
 * zeroed (memset) a valid empty string.
 */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->cap > 0)
		b->s[0] = '\0';
	else
		b->s = buf_slop;
}

char *
buf_detach(struct buf *b)
{
	char *s = b->cap > 0 ? b->s : xstrdup("");

	b->s = buf_slop;
	b->len = b->cap = 0;
	return s;
}

void
buf_release(struct buf *b)
{
	if (b->cap > 0)
		free(b->s);
	b->s = buf_slop;
	b->len = b->cap = 0;
}

const char *
number_check(const char *s, long min, long max, long *out)
{
	static char why[96];
	const char *p = s + (*s == '-' && min < 0);
	char *end;
	long v;

	errno = 0;
	v = *p >= '0' && *p <= '9' ? strtol(s, &end, 10) : 0;
	if (*p >= '0' && *p <= '9' && *end == '\0' && errno == 0 && v >= min &&
	    v <= max) {
		*out = v;
		return NULL;
	}
	if (max == LONG_MAX)
		snprintf(why, sizeof(why),
		    "expected a whole number of at least %ld", min);
	else
		snprintf(why, sizeof(why),
		    "expected a whole number from %ld to %ld", min, max);
	return why;
}

long
option_number(const char *opt, const char *s, long min, long max)
{
	const char *why;
	long v;

	if ((why = number_check(s, min, max, &v)) != NULL) {
		warnx("%s: %s, not '%s'", opt, why, s);
		usage();
	}
	return v;
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
	return buf_detach(&path);
}

void
inputs_init(struct inputs *in, char **names, int n)
{
	memset(in, 0, sizeof(*in));
	in->names = names;
	in->n = n;
}

static void
inputs_close(struct inputs *in)
{
	if (in->fp != NULL && in->fp != stdin)
		fclose(in->fp);
	in->fp = NULL;
}

FILE *
inputs_next(struct inputs *in)
{
	const char *name;

	inputs_close(in);
	if (in->n == 0 && in->next++ == 0) {
		in->name = NULL;
		return in->fp = stdin;
	}
	while (in->next < in->n) {
		name = in->names[in->next++];
		in->name = strcmp(name, "-") == 0 ? NULL : name;
		in->fp = in->name == NULL ? stdin : fopen(name, "re");
		if (in->fp != NULL)
			return in->fp;
		warn("%s", name);
		in->failed = 1;
	}
	return NULL;
}

void
inputs_release(struct inputs *in)
{
	inputs_close(in);
}

uint64_t
hash_bytes(const void *p, size_t len)
{
	const unsigned char *s = p;
	uint64_t h = 0xcbf29ce484222325u;
	size_t i;

	for (i = 0; i < len; i++)
		h = (h ^ s[i]) * 0x100000001b3u;
	return h;
}

static struct strmap_slot *
strmap_find(const struct strmap *m, const char *key, size_t len)
{
	size_t i = hash_bytes(key, len) & (m->cap - 1);

	for (; m->slot[i].key != NULL; i = (i + 1) & (m->cap - 1))
		if (m->slot[i].len == len &&
		    memcmp(m->slot[i].key, key, len) == 0)
			break;
	return &m->slot[i];
}

void *
strmap_get(const struct strmap *m, const char *key, size_t len)
{
	return m->cap == 0 ? NULL : strmap_find(m, key, len)->value;
}

static void
strmap_grow(struct strmap *m)
{
	struct strmap old = *m;
	struct strmap_slot *s;
	size_t i;

	m->cap = old.cap == 0 ? 16 : 2 * old.cap;
	m->slot = xreallocarray(NULL, m->cap, sizeof(*m->slot));
	memset(m->slot, 0, m->cap * sizeof(*m->slot));
	for (i = 0; i < old.cap; i++)
		if (old.slot[i].key != NULL) {
			s = strmap_find(m, old.slot[i].key, old.slot[i].len);
			*s = old.slot[i];
		}
	free(old.slot);
}

void *
strmap_put(struct strmap *m, const char *key, size_t len, void *value)
{
	struct strmap_slot *s;
	void *old;

	if (2 * (m->n + 1) > m->cap)
		strmap_grow(m);
	s = strmap_find(m, key, len);
	old = s->value;
	if (s->key == NULL) {
		s->key = xstrndup(key, len);
		s->len = len;
		m->n++;
	}
	s->value = value;
	return old;
}

void
strmap_release(struct strmap *m)
{
	size_t i;

	for (i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
	m->slot = NULL;
	m->n = m->cap = 0;
}
