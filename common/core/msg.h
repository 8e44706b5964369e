/* msg: reading and changing the fields of llmpipe records. */
#ifndef MSG_H
#define MSG_H

#include <cjson/cJSON.h>

#include "core/util.h"

/* Returns 1 if part, an element of a content array, is one with text. */
int msg_text_part(const cJSON *part);

/*
 * Appends the text of rec's "content" to out: the string itself, or the
 * "text" of every text part of an array (see msg_text_part), joined
 * without a separator; other parts carry no text.  Returns 1 when there
 * is content, 0 when rec has none, -1 when it is neither a string nor an
 * array of parts (with *why set to a message for the caller to report).
 */
int msg_content(const cJSON *rec, struct buf *out, const char **why);

/* Returns the string value of rec's field key, or NULL. */
const char *msg_str(const cJSON *rec, const char *key);

/*
 * Sets field key of rec, replacing it in place if present, else adding it
 * at the end, so that every other field keeps its order.
 */
void msg_set(cJSON *rec, const char *key, cJSON *value);
void msg_set_number(cJSON *rec, const char *key, double value);
void msg_set_string(cJSON *rec, const char *key, const char *value);

#endif
