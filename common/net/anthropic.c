/* anthropic: the Messages API dialect. */
#include <string.h>

#include "core/json.h"
#include "core/msg.h"
#include "net/provider.h"
#include "core/util.h"

/*
 * max_tokens is required.  Large values need streaming (the SDKs refuse
 * non-streamed calls that may run past ten minutes), so the default is
 * modest; --max-tokens raises it.
 */
#define DEFAULT_MAX_TOKENS 8192

static cJSON *
text_part(const char *text)
{
	cJSON *part = cJSON_CreateObject();

	cJSON_AddStringToObject(part, "type", "text");
	cJSON_AddStringToObject(part, "text", text);
	return part;
}

/*
 * Tool calls, as text after the message's own.  The Messages API takes
 * tool_use blocks only in a request that defines the tools, and llm-ask
 * defines none; as text, the model still reads what it asked for.
 */
static void
add_tool_calls(struct buf *text, const cJSON *calls)
{
	const cJSON *call, *function;
	const char *id, *name, *arguments;

	cJSON_ArrayForEach(call, calls) {
		function = cJSON_GetObjectItemCaseSensitive(call, "function");
		id = msg_str(call, "id");
		name = msg_str(function, "name");
		arguments = msg_str(function, "arguments");
		buf_printf(text, "%s[tool call %s: %s(%s)]",
		    text->len > 0 ? "\n" : "", id ? id : "?", name ? name : "?",
		    arguments ? arguments : "");
	}
}

/*
 * content with the text before and after it: a string, or parts; NULL
 * when there is no text at all, for the API refuses an empty message.
 */
static cJSON *
content_between(
    const cJSON *content, const struct buf *before, const struct buf *after)
{
	struct buf text = BUF_INIT;
	cJSON *parts;

	if (cJSON_IsArray(content) && cJSON_GetArraySize(content) > 0) {
		parts = content_for_wire(content);
		if (before->len > 0)
			cJSON_InsertItemInArray(parts, 0, text_part(before->s));
		if (after->len > 0)
			cJSON_AddItemToArray(parts, text_part(after->s));
		return parts;
	}
	buf_reset(&text);
	buf_addstr(&text, before->s);
	if (cJSON_IsString(content))
		buf_addstr(&text, content->valuestring);
	if (after->len > 0 && text.len > 0)
		buf_addstr(&text, "\n");
	buf_addstr(&text, after->s);
	parts = text.len > 0 ? cJSON_CreateString(text.s) : NULL;
	buf_release(&text);
	return parts;
}

/*
 * There is no system role (the system prompt is a top-level field) and
 * no tool role here: a tool's output goes back as the user's turn, after
 * a line that says which call it answers.  Consecutive turns of one
 * role are joined by the API.  NULL for a message with no text.
 */
static cJSON *
wire_message(const cJSON *rec)
{
	const char *role = msg_str(rec, "role"), *id;
	struct buf before = BUF_INIT, after = BUF_INIT;
	cJSON *m = NULL, *content;

	buf_reset(&before);
	buf_reset(&after);
	if (strcmp(role, "tool") == 0) {
		id = msg_str(rec, "tool_call_id");
		buf_printf(
		    &before, "[result of tool call %s]\n", id ? id : "?");
	}
	add_tool_calls(
	    &after, cJSON_GetObjectItemCaseSensitive(rec, "tool_calls"));
	content = content_between(
	    cJSON_GetObjectItemCaseSensitive(rec, "content"), &before, &after);
	if (content != NULL) {
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role",
		    strcmp(role, "assistant") == 0 ? "assistant" : "user");
		cJSON_AddItemToObject(m, "content", content);
	}
	buf_release(&before);
	buf_release(&after);
	return m;
}

static cJSON *
body(const struct request *rq)
{
	cJSON *b = cJSON_CreateObject(), *messages, *m;
	const cJSON *rec;
	long max = rq->max_tokens;

	if (max <= 0)
		max = rq->model->max_output < DEFAULT_MAX_TOKENS &&
			rq->model->max_output > 0
		    ? rq->model->max_output
		    : DEFAULT_MAX_TOKENS;
	cJSON_AddStringToObject(b, "model", rq->model->api_id);
	cJSON_AddNumberToObject(b, "max_tokens", max);
	if (rq->system != NULL)
		cJSON_AddStringToObject(b, "system", rq->system);
	messages = cJSON_AddArrayToObject(b, "messages");
	cJSON_ArrayForEach(rec, rq->messages) {
		if ((m = wire_message(rec)) != NULL)
			cJSON_AddItemToArray(messages, m);
	}
	if (rq->temperature >= 0)
		cJSON_AddNumberToObject(b, "temperature", rq->temperature);
	if (rq->stream)
		cJSON_AddBoolToObject(b, "stream", 1);
	return b;
}

static int
number(const cJSON *obj, const char *key, long *out)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (!cJSON_IsNumber(n))
		return 0;
	*out = (long)n->valuedouble;
	return 1;
}

/*
 * input_tokens leaves out the tokens read from and written to the cache,
 * so the total input is the sum of the three.  message_delta repeats
 * counts cumulatively, and only those it has.
 */
static void
take_usage(struct reply *r, const cJSON *u)
{
	long uncached = r->usage.input - r->usage.cached - r->usage.cache_write;

	if (!cJSON_IsObject(u))
		return;
	r->has_usage = 1;
	number(u, "input_tokens", &uncached);
	number(u, "cache_read_input_tokens", &r->usage.cached);
	number(u, "cache_creation_input_tokens", &r->usage.cache_write);
	number(u, "output_tokens", &r->usage.output);
	r->usage.input = uncached + r->usage.cached + r->usage.cache_write;
}

static int
parse(struct reply *r, const cJSON *b)
{
	const cJSON *content, *block;
	const char *type = msg_str(b, "type");

	if (type != NULL && strcmp(type, "error") == 0)
		return reply_error(r, b);
	content = cJSON_GetObjectItemCaseSensitive(b, "content");
	if (!cJSON_IsArray(content)) {
		r->failed = 1;
		buf_addstr(&r->err.message, "the reply has no content array");
		return -1;
	}
	/* Text blocks make the answer; thinking and tool_use do not. */
	cJSON_ArrayForEach(block, content) {
		type = msg_str(block, "type");
		if (type != NULL && strcmp(type, "text") == 0 &&
		    msg_str(block, "text") != NULL)
			buf_addstr(&r->text, msg_str(block, "text"));
		else if (type != NULL && strcmp(type, "thinking") == 0 &&
		    msg_str(block, "thinking") != NULL)
			buf_addstr(&r->reasoning, msg_str(block, "thinking"));
	}
	reply_set(
	    &r->finish, cJSON_GetObjectItemCaseSensitive(b, "stop_reason"));
	reply_set(&r->api_model, cJSON_GetObjectItemCaseSensitive(b, "model"));
	take_usage(r, cJSON_GetObjectItemCaseSensitive(b, "usage"));
	r->done = 1;
	return 0;
}

static void
take_delta(struct reply *r, const cJSON *delta)
{
	const char *type = msg_str(delta, "type"), *s;

	if (type == NULL)
		return;
	if (strcmp(type, "text_delta") == 0 &&
	    (s = msg_str(delta, "text")) != NULL)
		reply_delta(r, s, strlen(s));
	else if (strcmp(type, "thinking_delta") == 0 &&
	    (s = msg_str(delta, "thinking")) != NULL)
		buf_addstr(&r->reasoning, s);
}

/* The event's type is in its data too; the data is what counts. */
static int
event(struct reply *r, const char *name, const char *data, size_t len)
{
	struct json_error e;
	cJSON *ev = json_parse(data, len, &e);
	const char *type = msg_str(ev, "type");
	const cJSON *message, *delta;
	int rc = 0;

	(void)name;
	if (type == NULL) {
		cJSON_Delete(ev);
		r->failed = 1;
		buf_addstr(&r->err.message, "an event's data is not JSON");
		return -1;
	}
	delta = cJSON_GetObjectItemCaseSensitive(ev, "delta");
	if (strcmp(type, "message_start") == 0) {
		message = cJSON_GetObjectItemCaseSensitive(ev, "message");
		reply_set(&r->api_model,
		    cJSON_GetObjectItemCaseSensitive(message, "model"));
		take_usage(
		    r, cJSON_GetObjectItemCaseSensitive(message, "usage"));
	} else if (strcmp(type, "content_block_delta") == 0) {
		take_delta(r, delta);
	} else if (strcmp(type, "message_delta") == 0) {
		reply_set(&r->finish,
		    cJSON_GetObjectItemCaseSensitive(delta, "stop_reason"));
		take_usage(r, cJSON_GetObjectItemCaseSensitive(ev, "usage"));
	} else if (strcmp(type, "message_stop") == 0) {
		r->done = 1;
	} else if (strcmp(type, "error") == 0) {
		rc = reply_error(r, ev);
	}
	/* ping, content_block_start and _stop, and types yet to come. */
	cJSON_Delete(ev);
	return rc;
}

/* count_tokens takes a Messages body less what shapes the reply. */
static cJSON *
count_body(const struct request *rq)
{
	cJSON *b = body(rq);

	cJSON_DeleteItemFromObjectCaseSensitive(b, "max_tokens");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "stream");
	cJSON_DeleteItemFromObjectCaseSensitive(b, "temperature");
	return b;
}

static int
parse_count(struct reply *r, const cJSON *b)
{
	long n;

	if (!number(b, "input_tokens", &n)) {
		r->failed = 1;
		buf_addstr(&r->err.message, "the reply has no input_tokens");
		return -1;
	}
	r->usage.input = n;
	r->has_usage = 1;
	r->done = 1;
	return 0;
}

static const char *const headers[] = {"anthropic-version: 2023-06-01", NULL};

static const struct dialect count_tokens = {
    .name = "anthropic",
    .path = "/v1/messages/count_tokens",
    .auth_header = "x-api-key: ",
    .fixed = headers,
    .body = count_body,
    .parse = parse_count,
};

const struct dialect dialect_anthropic = {
    .name = "anthropic",
    .path = "/v1/messages",
    .auth_header = "x-api-key: ",
    .fixed = headers,
    .body = body,
    .parse = parse,
    .event = event,
    .count = &count_tokens,
};
