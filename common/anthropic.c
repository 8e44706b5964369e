/* anthropic: the Messages API dialect. */
#include <string.h>

#include "msg.h"
#include "provider.h"

/*
 * max_tokens is required.  Large values need streaming (the SDKs refuse
 * non-streamed calls that may run past ten minutes), so the default is
 * modest; --max-tokens raises it.
 */
#define DEFAULT_MAX_TOKENS 8192

/*
 * There is no system role (the system prompt is a top-level field) and
 * no tool role here: a tool's output goes back as the user's turn.
 */
static cJSON *
wire_message(const cJSON *rec)
{
	cJSON *m = cJSON_CreateObject();
	const char *role = msg_str(rec, "role");
	const cJSON *content = cJSON_GetObjectItemCaseSensitive(rec, "content");

	cJSON_AddStringToObject(
	    m, "role", strcmp(role, "assistant") == 0 ? "assistant" : "user");
	cJSON_AddItemToObject(m, "content",
	    content != NULL ? content_for_wire(content)
			    : cJSON_CreateString(""));
	return m;
}

static cJSON *
body(const struct request *rq)
{
	cJSON *b = cJSON_CreateObject(), *messages;
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
		cJSON_AddItemToArray(messages, wire_message(rec));
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
	cJSON *ev = cJSON_ParseWithLength(data, len);
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

const struct dialect dialect_anthropic = {
    .name = "anthropic",
    .path = "/v1/messages",
    .auth_header = "x-api-key: ",
    .fixed = (const char *const[]){"anthropic-version: 2023-06-01", NULL},
    .body = body,
    .parse = parse,
    .event = event,
};
