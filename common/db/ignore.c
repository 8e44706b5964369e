/* ignore: which paths a tree's .gitignore files leave out. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db/ignore.h"
#include "core/util.h"

/*
 * Matches the class that p (just after '[') opens against c.  Returns
 * the ']' that closes it, or NULL if none does; *hit says if c is in it.
 */
static const char *
glob_class(const char *p, char c, int *hit)
{
	const char *first;
	int negate = 0, in = 0;

	if (*p == '!' || *p == '^') {
		negate = 1;
		p++;
	}
	for (first = p; *p != '\0' && (*p != ']' || p == first); p++) {
		if (p[1] == '-' && p[2] != '\0' && p[2] != ']') {
			in |= c >= p[0] && c <= p[2];
			p += 2;
		} else {
			in |= c == *p;
		}
	}
	*hit = in != negate;
	return *p == ']' ? p : NULL;
}

/* "**": s at each place where p's rest may start. */
static int
glob_any_dirs(const char *p, const char *s)
{
	if (*p == '/') {
		/* "**" then "/": no directory or any number of them */
		for (p++;; s++) {
			if (ignore_glob(p, s))
				return 1;
			if ((s = strchr(s, '/')) == NULL)
				return 0;
		}
	}
	for (;; s++) {
		if (ignore_glob(p, s))
			return 1;
		if (*s == '\0')
			return 0;
	}
}

int
ignore_glob(const char *p, const char *s)
{
	const char *end;
	int hit;

	for (; *p != '\0'; p++, s++) {
		switch (*p) {
		case '*':
			if (p[1] == '*')
				return glob_any_dirs(p + 2, s);
			for (p++;; s++) {
				if (ignore_glob(p, s))
					return 1;
				if (*s == '\0' || *s == '/')
					return 0;
			}
		case '?':
			if (*s == '\0' || *s == '/')
				return 0;
			break;
		case '[':
			if (*s == '\0' || *s == '/' ||
			    (end = glob_class(p + 1, *s, &hit)) == NULL || !hit)
				return 0;
			p = end;
			break;
		case '\\':
			if (p[1] != '\0')
				p++;
			/* FALLTHROUGH */
		default:
			if (*p != *s)
				return 0;
		}
	}
	return *s == '\0';
}

/* Trims a line of .gitignore as git does; returns 0 for no pattern. */
static int
parse_rule(char *line, struct ignore_rule *r)
{
	size_t n = strcspn(line, "\r\n");

	while (n > 0 && line[n - 1] == ' ' && (n < 2 || line[n - 2] != '\\'))
		n--;
	line[n] = '\0';
	if (n == 0 || line[0] == '#')
		return 0;
	memset(r, 0, sizeof(*r));
	if ((r->negate = line[0] == '!'))
		line++, n--;
	if (n > 0 && line[n - 1] == '/') {
		r->dir_only = 1;
		line[--n] = '\0';
	}
	if (n == 0)
		return 0;
	r->anchored = strchr(line, '/') != NULL;
	if (line[0] == '/')
		line++;
	r->pattern = xmalloc(strlen(line) + 1);
	strcpy(r->pattern, line);
	return 1;
}

size_t
ignore_load(struct ignore *ig, const char *dir)
{
	struct buf path = BUF_INIT;
	struct ignore_rule r;
	char line[4096];
	size_t before = ig->n;
	FILE *fp;

	buf_addstr(&path, dir);
	buf_addstr(&path, "/.gitignore");
	fp = fopen(path.s, "r");
	buf_release(&path);
	if (fp == NULL)
		return before;
	while (fgets(line, sizeof(line), fp) != NULL) {
		if (!parse_rule(line, &r))
			continue;
		r.base = strlen(dir);
		ARRAY_GROW(ig->v, ig->n, ig->cap);
		ig->v[ig->n++] = r;
	}
	fclose(fp);
	return before;
}

void
ignore_truncate(struct ignore *ig, size_t n)
{
	while (ig->n > n)
		free(ig->v[--ig->n].pattern);
}

void
ignore_release(struct ignore *ig)
{
	ignore_truncate(ig, 0);
	free(ig->v);
	ig->v = NULL;
	ig->cap = 0;
}

int
ignore_match(const struct ignore *ig, const char *path, int is_dir)
{
	const char *name = strrchr(path, '/'), *rel;
	size_t i = ig->n;

	name = name != NULL ? name + 1 : path;
	while (i-- > 0) {
		const struct ignore_rule *r = &ig->v[i];

		if (r->dir_only && !is_dir)
			continue;
		rel = path + r->base + (path[r->base] == '/');
		if (ignore_glob(r->pattern, r->anchored ? rel : name))
			return !r->negate;
	}
	return 0;
}
