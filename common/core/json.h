/* json: JSON text to cJSON trees and back, strictly, numbers as written. */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/util.h"

/* Arrays and objects nest at most this deep, as in cJSON. */
#define JSON_MAX_DEPTH 1000

enum json_fault {
	JSON_SYNTAX,  /* "syntax error" and the like: what says which */
	JSON_UTF8,    /* invalid UTF-8 */
	JSON_NUL,     /* a NUL character, raw or as \u0000 */
	JSON_TRAILING /* a whole value, then more than white space */
};

struct json_error {
	enum json_fault fault;
	size_t offset;  /* of the problem, from the start of the text */
	char what[160]; /* "syntax error", "bad escape '\x'", ... */
};

/*
 * Parses len bytes of text, one JSON value with optional white space
 * around it, into a tree (freed with cJSON_Delete).  Stricter than
 * cJSON, which takes a bad escape for U+0000 and keeps only the first
 * of duplicate keys: text must be valid UTF-8 with no NUL, escapes must
 * be JSON's (and \u ones not lone surrogates), an object may not repeat
 * a key, numbers must be finite doubles, nesting at most JSON_MAX_DEPTH.
 * A number whose digits cJSON would not print back as written keeps
 * them in its valuestring, where json_print finds them, so records pass
 * through with their exact digits.  Returns NULL with *e set on error.
 */
cJSON *json_parse(const char *text, size_t len, struct json_error *e);

/*
 * Appends v to out as compact JSON, as cJSON_PrintUnformatted does,
 * except that a number parsed by json_parse is written as it was read.
 */
void json_print(struct buf *out, const cJSON *v);

/* json_print into a new string, which the caller frees with free(). */
char *json_print_alloc(const cJSON *v);

#endif
