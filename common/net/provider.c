/* provider: who serves a model, the dialect it speaks, and its replies. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/msg.h"
#include "net/provider.h"

/* clang-format off */
static const struct provider builtin[] = {
	{"openai", &dialect_openai, "https://api.openai.com/v1",
	    "max_completion_tokens", 1, 0},
	/* DeepSeek documents max_tokens, and JSON output as json_object. */
	{"deepseek", &dialect_openai, "https://api.deepseek.com",
	    "max_tokens", 0, 0},
	{"anthropic", &dialect_anthropic, "https://api.anthropic.com",
	    NULL, 0, 0},
	/* Ollama's default; llama.cpp's server and vLLM take the same. */
	{"local", &dialect_openai, "http://localhost:11434/v1",
	    "max_tokens", 1, 1},
};
/* clang-format on */

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

static const struct provider *providers = builtin;
static struct provider *configured;
static size_t nproviders = NBUILTIN;

const struct provider *
provider_find(const char *name)
{
	size_t i;

	for (i = 0; i < nproviders; i++)
		if (strcmp(providers[i].name, name) == 0)
			return &providers[i];
	return NULL;
}

static struct provider *
configured_provider(const char *name)
{
	size_t i;

	if (configured == NULL) {
		configured = xreallocarray(NULL, NBUILTIN, sizeof(*configured));
		memcpy(configured, builtin, sizeof(builtin));
		providers = configured;
	}
	for (i = 0; i < nproviders; i++)
		if (strcmp(configured[i].name, name) == 0)
			return &configured[i];
	configured =
	    xreallocarray(configured, nproviders + 1, sizeof(*configured));
	providers = configured;
	configured[nproviders] =
	    (struct provider){name, &dialect_openai, NULL, "max_tokens", 0, 1};
	return &configured[nproviders++];
}

/* Sets a field; the configuration has checked the value's shape. */
static void
set_field(struct provider *p, const char *key, const char *value)
{
	if (strcmp(key, "dialect") == 0)
		p->dialect = strcmp(value, "anthropic") == 0
		    ? &dialect_anthropic
		    : &dialect_openai;
	else if (strcmp(key, "base_url") == 0)
		p->base_url = value;
	else if (strcmp(key, "max_tokens_field") == 0)
		p->max_tokens_field = value;
	else if (strcmp(key, "json_schema") == 0)
		p->json_schema = value[0] == 'y';
	/* api_key is read where it is needed */
}

int
providers_configure(const struct config *c)
{
	const struct config_entry *e;
	struct provider *p;
	size_t i;

	for (i = 0; i < c->n; i++) {
		e = &c->v[i];
		if (strcmp(e->section, "provider") != 0)
			continue;
		p = configured_provider(e->name);
		set_field(p, e->key, e->value);
	}
	for (i = 0; configured != NULL && i < nproviders; i++)
		if (configured[i].base_url == NULL) {
			warnx("%s: [provider %s] needs a base_url", c->path,
			    configured[i].name);
			return -1;
		}
	return 0;
}

void
providers_release(void)
{
	free(configured);
	configured = NULL;
	providers = builtin;
	nproviders = NBUILTIN;
}

/* $NAME_SUFFIX, with NAME upper-cased and '-' or '.' as '_'. */
static const char *
provider_env(const struct provider *p, const char *suffix)
{
	char var[256];
	const char *v;

	model_provider_var(p->name, suffix, var, sizeof(var));
	v = getenv(var);
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
provider_key(const struct provider *p, const struct config *c, const char **key)
{
	char var[256];

	*key = model_provider_key(p->name, c);
	/* Only the environment's can: the configuration checks its own. */
	if (*key != NULL && strpbrk(*key, "\r\n") != NULL) {
		model_provider_var(p->name, "_API_KEY", var, sizeof(var));
		warnx("%s holds a line break: refusing the key", var);
		*key = NULL;
		return -1;
	}
	return 0;
}

const char *
provider_base_url(const struct provider *p, const struct config *c)
{
	const char *url = provider_env(p, "_BASE_URL");

	if (url == NULL)
		url = config_get(c, "provider", p->name, "base_url");
	return url != NULL ? url : p->base_url;
}

void
reply_init(struct reply *r)
{
	memset(r, 0, sizeof(*r));
	buf_reset(&r->text);
	buf_reset(&r->reasoning);
	buf_reset(&r->err.message);
}

void
reply_release(struct reply *r)
{
	buf_release(&r->text);
	buf_release(&r->reasoning);
	buf_release(&r->err.message);
	free(r->api_model);
	free(r->finish);
	free(r->err.type);
	cJSON_Delete(r->embeddings);
}

void
reply_reset(struct reply *r)
{
	void (*on_delta)(void *, const char *, size_t) = r->on_delta;
	void *arg = r->arg;

	reply_release(r);
	reply_init(r);
	r->on_delta = on_delta;
	r->arg = arg;
}

void
reply_delta(struct reply *r, const char *text, size_t len)
{
	if (len == 0)
		return; /* the empty first chunk of OpenAI's streams */
	buf_add(&r->text, text, len);
	if (r->on_delta != NULL)
		r->on_delta(r->arg, text, len);
}

void
reply_set(char **field, const cJSON *s)
{
	if (cJSON_IsString(s)) {
		free(*field);
		*field = xstrdup(s->valuestring);
	}
}

/*
 * Both dialects wrap an error in "error": OpenAI's {"error":{"message",
 * "type","code"}}, Anthropic's {"type":"error","error":{"type",
 * "message"}}; some compatible servers send {"error":"text"}.
 */
int
reply_error(struct reply *r, const cJSON *body)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(body, "error");
	const char *type, *code, *message;

	r->failed = 1;
	if (cJSON_IsString(e)) {
		buf_addstr(&r->err.message, e->valuestring);
		return -1;
	}
	type = msg_str(e, "type");
	code = msg_str(e, "code");
	message = msg_str(e, "message");
	/* OpenAI's code is the precise one (insufficient_quota). */
	if (code != NULL && strcmp(code, "invalid_request_error") != 0)
		type = code;
	if (type != NULL) {
		free(r->err.type);
		r->err.type = xstrdup(type);
	}
	if (message != NULL)
		buf_addstr(&r->err.message, message);
	return -1;
}

cJSON *
content_for_wire(const cJSON *content)
{
	const cJSON *part;
	cJSON *parts, *copy;

	if (!cJSON_IsArray(content))
		return cJSON_Duplicate(content, 1);
	parts = cJSON_CreateArray();
	cJSON_ArrayForEach(part, content) {
		if (msg_text_part(part)) {
			/* Responses-API parts become plain text parts. */
			copy = cJSON_CreateObject();
			cJSON_AddStringToObject(copy, "type", "text");
			cJSON_AddStringToObject(
			    copy, "text", msg_str(part, "text"));
		} else {
			copy = cJSON_Duplicate(part, 1);
		}
		cJSON_AddItemToArray(parts, copy);
	}
	return parts;
}
