/* ignore: which paths a tree's .gitignore files leave out. */
#ifndef IGNORE_H
#define IGNORE_H

#include <stddef.h>

struct ignore_rule {
	char *pattern;
	size_t base;  /* length of the directory of its .gitignore */
	int negate;   /* "!pattern": take the path back in */
	int dir_only; /* "pattern/": directories only */
	int anchored; /* has a '/': matched from base, not by name */
};

struct ignore {
	struct ignore_rule *v;
	size_t n, cap;
};

#define IGNORE_INIT \
	{ \
		NULL, 0, 0 \
	}

/*
 * Adds the rules of the file dir/.gitignore, if there is one, for paths
 * under dir.  Returns the number of rules before them, for
 * ignore_truncate when the walk leaves dir.
 */
size_t ignore_load(struct ignore *ig, const char *dir);

/* Drops the rules added after the first n. */
void ignore_truncate(struct ignore *ig, size_t n);
void ignore_release(struct ignore *ig);

/*
 * Returns 1 if path (absolute, without a final '/') is ignored: the
 * last rule that matches it says, as in git.
 */
int ignore_match(const struct ignore *ig, const char *path, int is_dir);

/*
 * Returns 1 if s matches the gitignore pattern p: '*' and '?' stop at
 * '/', "**" crosses directories, [a-z] and [!a-z] are classes, '\'
 * quotes.
 */
int ignore_glob(const char *p, const char *s);

#endif
