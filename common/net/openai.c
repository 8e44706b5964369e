/*
 * openai: the chat completions dialect, spoken by OpenAI, DeepSeek and
 * the OpenAI-compatible servers (Ollama, llama.cpp, vLLM, OpenRouter).
 */
#include <string.h>

#include "core/json.h"
#include "core/msg.h"
#include "net/provider.h"

/* The fields of a message the API knows; ours (id, ts, ...) stay home. */
static const char *const wire_fields[] = {
    "name", "tool_calls", "tool_call_id", NULL};

static cJSON *
wire_message(const cJSON *rec)
{
	cJSON *m = cJSON_CreateObject();
	const char *const *f;
	const cJSON *v;

	cJSON_AddStringToObject(m, "role", msg_str(rec, "role"));
	v = cJSON_GetObjectItemCaseSensitive(rec, "content");
	cJSON_AddItemToObject(
	    m, "content", v != NULL ? content_for_wire(v) : cJSON_CreateNull());
	for (f = wire_fields; *f != NULL; f++) {
		v = cJSON_GetObjectItemCaseSensitive(rec, *f);
		if (v != NULL)
			cJSON_AddItemToObject(m, *f, cJSON_Duplicate(v, 1));
	}
	return m;
}

static cJSON *
response_format(const struct request *rq)
{
	cJSON *rf = cJSON_CreateObject(), *js;

	if (!rq->provider->json_schema) {
		cJSON_AddStringToObject(rf, "type", "json_object");
		return rf;
	}
	cJSON_AddStringToObject(rf, "type", "json_schema");
	js = cJSON_AddObjectToObject(rf, "json_schema");
	cJSON_AddStringToObject(js, "name", "reply");
	cJSON_AddBoolToObject(js, "strict", 1);
	cJSON_AddItemToObject(js, "schema", cJSON_Duplicate(rq->schema, 1));
	return rf;
}

static cJSON *
body(const struct request *rq)
{
	cJSON *b = cJSON_CreateObject(), *messages, *m;
	const cJSON *rec;

	cJSON_AddStringToObject(b, "model", rq->model->api_id);
	messages = cJSON_AddArrayToObject(b, "messages");
	if (rq->system != NULL) {
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "role", "system");
		cJSON_AddStringToObject(m, "content", rq->system);
		cJSON_AddItemToArray(messages, m);
	}
	cJSON_ArrayForEach(rec, rq->messages) {
		cJSON_AddItemToArray(messages, wire_message(rec));
	}
	if (rq->max_tokens > 0)
		cJSON_AddNumberToObject(
		    b, rq->provider->max_tokens_field, rq->max_tokens);
	if (rq->temperature >= 0)
		cJSON_AddNumberToObject(b, "temperature", rq->temperature);
	if (rq->schema != NULL)
		cJSON_AddItemToObject(
		    b, "response_format", response_format(rq));
	if (rq->stream) {
		cJSON_AddBoolToObject(b, "stream", 1);
		m = cJSON_AddObjectToObject(b, "stream_options");
		cJSON_AddBoolToObject(m, "include_usage", 1);
	}
	return b;
}

static long
number(const cJSON *obj, const char *key)
{
	const cJSON *n = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(n) ? (long)n->valuedouble : 0;
}

/*
 * prompt_tokens includes the cached ones; DeepSeek also names them
 * prompt_cache_hit_tokens.  Any field may be missing.
 */
static void
take_usage(struct reply *r, const cJSON *u)
{
	const cJSON *details;

	if (!cJSON_IsObject(u))
		return;
	r->has_usage = 1;
	r->usage.input = number(u, "prompt_tokens");
	r->usage.output = number(u, "completion_tokens");
	details = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens_details");
	r->usage.cached = number(details, "cached_tokens");
	if (r->usage.cached == 0)
		r->usage.cached = number(u, "prompt_cache_hit_tokens");
}

static const cJSON *
first_choice(const cJSON *b)
{
	const cJSON *choices = cJSON_GetObjectItemCaseSensitive(b, "choices");

	return cJSON_IsArray(choices) ? cJSON_GetArrayItem(choices, 0) : NULL;
}

static int
parse(struct reply *r, const cJSON *b)
{
	const cJSON *choice = first_choice(b), *message, *s;

	if (cJSON_GetObjectItemCaseSensitive(b, "error") != NULL)
		return reply_error(r, b);
	message = cJSON_GetObjectItemCaseSensitive(choice, "message");
	if (!cJSON_IsObject(message)) {
		r->failed = 1;
		buf_addstr(
		    &r->err.message, "the reply has no choices[0].message");
		return -1;
	}
	s = cJSON_GetObjectItemCaseSensitive(message, "content");
	if (cJSON_IsString(s))
		buf_addstr(&r->text, s->valuestring);
	s = cJSON_GetObjectItemCaseSensitive(message, "reasoning_content");
	if (cJSON_IsString(s))
		buf_addstr(&r->reasoning, s->valuestring);
	reply_set(&r->finish,
	    cJSON_GetObjectItemCaseSensitive(choice, "finish_reason"));
	reply_set(&r->api_model, cJSON_GetObjectItemCaseSensitive(b, "model"));
	take_usage(r, cJSON_GetObjectItemCaseSensitive(b, "usage"));
	r->done = 1;
	return 0;
}

/* One chunk: text, a finish reason, usage, or an error; "[DONE]" ends. */
static int
event(struct reply *r, const char *name, const char *data, size_t len)
{
	const cJSON *choice, *delta, *s;
	struct json_error e;
	cJSON *chunk;
	int rc = 0;

	(void)name; /* OpenAI names no events */
	if (len >= 6 && memcmp(data, "[DONE]", 6) == 0) {
		r->done = 1;
		return 0;
	}
	chunk = json_parse(data, len, &e);
	if (!cJSON_IsObject(chunk)) {
		cJSON_Delete(chunk);
		r->failed = 1;
		buf_addstr(&r->err.message, "an event's data is not JSON");
		return -1;
	}
	if (cJSON_GetObjectItemCaseSensitive(chunk, "error") != NULL) {
		rc = reply_error(r, chunk);
		cJSON_Delete(chunk);
		return rc;
	}
	/* The usage chunk has "choices":[], so there may be no choice. */
	choice = first_choice(chunk);
	delta = cJSON_GetObjectItemCaseSensitive(choice, "delta");
	s = cJSON_GetObjectItemCaseSensitive(delta, "reasoning_content");
	if (cJSON_IsString(s))
		buf_addstr(&r->reasoning, s->valuestring);
	s = cJSON_GetObjectItemCaseSensitive(delta, "content");
	if (cJSON_IsString(s))
		reply_delta(r, s->valuestring, strlen(s->valuestring));
	reply_set(&r->finish,
	    cJSON_GetObjectItemCaseSensitive(choice, "finish_reason"));
	reply_set(
	    &r->api_model, cJSON_GetObjectItemCaseSensitive(chunk, "model"));
	take_usage(r, cJSON_GetObjectItemCaseSensitive(chunk, "usage"));
	cJSON_Delete(chunk);
	return 0;
}

cJSON *
embed_body(const char *api_id, cJSON *inputs, long dims)
{
	cJSON *b = cJSON_CreateObject();

	cJSON_AddStringToObject(b, "model", api_id);
	cJSON_AddItemToObject(b, "input", inputs);
	/* Not base64, which the official SDKs ask for unless told. */
	cJSON_AddStringToObject(b, "encoding_format", "float");
	if (dims > 0)
		cJSON_AddNumberToObject(b, "dimensions", (double)dims);
	return b;
}

/* An embeddings reply: its data, checked by the caller, and its usage. */
static int
parse_embeddings(struct reply *r, const cJSON *b)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(b, "data");

	if (cJSON_GetObjectItemCaseSensitive(b, "error") != NULL)
		return reply_error(r, b);
	if (!cJSON_IsArray(data)) {
		r->failed = 1;
		buf_addstr(&r->err.message, "the reply has no data array");
		return -1;
	}
	r->embeddings = cJSON_Duplicate(data, 1);
	reply_set(&r->api_model, cJSON_GetObjectItemCaseSensitive(b, "model"));
	take_usage(r, cJSON_GetObjectItemCaseSensitive(b, "usage"));
	r->done = 1;
	return 0;
}

static const struct dialect dialect_openai_embed = {
    .name = "openai",
    .path = "/embeddings",
    .auth_header = "Authorization: Bearer ",
    .fixed = (const char *const[]){NULL},
    .parse = parse_embeddings,
};

const struct dialect dialect_openai = {
    .name = "openai",
    .path = "/chat/completions",
    .auth_header = "Authorization: Bearer ",
    .fixed = (const char *const[]){NULL},
    .body = body,
    .parse = parse,
    .event = event,
    .embed = &dialect_openai_embed,
};
