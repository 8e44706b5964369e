/* msg: reading and changing the fields of llmpipe records. */
#include <err.h>
#include <string.h>

#include "core/msg.h"

/*
 * The part types that hold text: chat completions' "text" and the
 * Responses API's "input_text" and "output_text".
 */
int
msg_text_part(const cJSON *part)
{
	const char *type = msg_str(part, "type");

	return type != NULL &&
	    (strcmp(type, "text") == 0 || strcmp(type, "input_text") == 0 ||
		strcmp(type, "output_text") == 0);
}

int
msg_content(const cJSON *rec, struct buf *out, const char **why)
{
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(rec, "content");
	const cJSON *part, *type, *text;

	if (c == NULL || cJSON_IsNull(c))
		return 0;
	if (cJSON_IsString(c)) {
		buf_addstr(out, c->valuestring);
		return 1;
	}
	if (!cJSON_IsArray(c)) {
		*why = "'content' is neither a string nor an array of parts";
		return -1;
	}
	buf_grow(out, 0);
	cJSON_ArrayForEach(part, c) {
		type = cJSON_GetObjectItemCaseSensitive(part, "type");
		text = cJSON_GetObjectItemCaseSensitive(part, "text");
		if (!cJSON_IsObject(part) || !cJSON_IsString(type)) {
			*why = "a 'content' part has no 'type'";
			return -1;
		}
		if (!msg_text_part(part))
			continue;
		if (!cJSON_IsString(text)) {
			*why = "a 'content' text part has no 'text' string";
			return -1;
		}
		buf_addstr(out, text->valuestring);
	}
	return 1;
}

const char *
msg_str(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void
msg_set(cJSON *rec, const char *key, cJSON *value)
{
	if (value == NULL)
		errx(1, "out of memory");
	if (cJSON_GetObjectItemCaseSensitive(rec, key) != NULL)
		cJSON_ReplaceItemInObjectCaseSensitive(rec, key, value);
	else if (!cJSON_AddItemToObject(rec, key, value))
		errx(1, "out of memory");
}

void
msg_set_number(cJSON *rec, const char *key, double value)
{
	msg_set(rec, key, cJSON_CreateNumber(value));
}

void
msg_set_string(cJSON *rec, const char *key, const char *value)
{
	msg_set(rec, key, cJSON_CreateString(value));
}
