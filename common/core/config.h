/* config: the one configuration file, $XDG_CONFIG_HOME/llmpipe/config. */
#ifndef CONFIG_H
#define CONFIG_H

#include <stddef.h>

/*
 * The file is lines of "key = value", in sections: the first lines
 * before any header, then "[model NAME]" and "[provider NAME]" (see
 * llmpipe(7), CONFIGURATION).  A line whose first non-blank character is
 * '#' is a comment; a value may be quoted "..." to keep spaces and use
 * \n, \t, \" and \\.  Every key is known, with the shape of its value:
 * loading fails on anything else, naming the file, line, key and section.
 */
struct config_entry {
	char *section; /* "" before the first header, "model", ... */
	char *name;    /* the section's NAME, or "" */
	char *key;
	char *value;
	unsigned line;
};

struct config {
	char *path; /* for messages; NULL when there is no file */
	struct config_entry *v;
	size_t n, cap;
};

/*
 * Reads the file at path; a missing file is an empty configuration.
 * Returns 0, or -1 after reporting "prog: path:line: problem" on stderr:
 * a syntax error, an unknown key, or an API key in a file that others
 * may read.
 */
int config_load(struct config *c, const char *path);

/* Parses len bytes of text as config_load does; path names them. */
int
config_parse(struct config *c, const char *path, const char *text, size_t len);

void config_release(struct config *c);

/* The value of key in section name, or NULL; the last one wins. */
const char *config_get(const struct config *c, const char *section,
    const char *name, const char *key);

/* A number the file gives (checked when it was read), else dflt. */
long config_number(const struct config *c, const char *section,
    const char *name, const char *key, long dflt);

/* The path config_load reads by default, allocated; NULL if none. */
char *config_default_path(void);

#endif
