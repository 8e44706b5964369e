/* provider: who serves a model, the dialect it speaks, and its replies. */
#ifndef PROVIDER_H
#define PROVIDER_H

#include <cjson/cJSON.h>

#include "core/models.h"
#include "core/util.h"

struct config;

/* Token usage normalized: input counts cached and cache_write too. */
struct usage {
	long input, output, cached, cache_write;
};

/* What went wrong, as the provider or the transport said it. */
struct api_error {
	long status; /* HTTP status; 0 when none came */
	char *type;  /* error.type or error.code from the body, or NULL */
	struct buf message;
};

/* A reply as it is parsed, from one body or from a stream of events. */
struct reply {
	struct buf text;
	struct buf reasoning; /* DeepSeek's reasoning_content, thinking */
	struct usage usage;
	int has_usage;
	char *api_model; /* the model the provider says answered */
	char *finish;    /* finish_reason or stop_reason */
	int done;        /* the stream's terminal marker arrived */
	int failed;      /* the body or an event reported err */
	struct api_error err;
	cJSON *embeddings; /* an embedding call's "data", or NULL */
	/* Called with each piece of text as a stream delivers it. */
	void (*on_delta)(void *arg, const char *text, size_t len);
	void *arg;
};

/* The request a dialect turns into a body. */
struct request {
	const struct model *model;
	const struct provider *provider;
	const char *system;    /* the assembled system prompt, or NULL */
	const cJSON *messages; /* plain message records, in order */
	long max_tokens;       /* 0: the dialect's default */
	double temperature;    /* negative: the provider's default */
	const cJSON *schema;   /* a JSON Schema for the reply, or NULL */
	int stream;
};

/*
 * A wire format.  Adding a provider that speaks one of these is a row in
 * the provider table (or a [provider] section in the configuration);
 * adding a wire format is one file that defines a struct dialect.
 */
struct dialect {
	const char *name;
	const char *path;         /* appended to the base URL */
	const char *auth_header;  /* its value is the key: "x-api-key: " */
	const char *const *fixed; /* further headers, NULL-terminated */
	cJSON *(*body)(const struct request *rq);
	/* Each returns 0, or -1 with r->failed and r->err set. */
	int (*parse)(struct reply *r, const cJSON *body);
	int (*event)(
	    struct reply *r, const char *event, const char *data, size_t len);
	/*
	 * The provider's token-count endpoint, a dialect of its own whose
	 * parse puts the count in usage.input; NULL if there is none.
	 */
	const struct dialect *count;
	/*
	 * The embeddings endpoint, whose parse keeps the reply's data in
	 * embeddings and its input tokens in usage.input; NULL if none.
	 * Its body is embed_body's.
	 */
	const struct dialect *embed;
};

extern const struct dialect dialect_openai, dialect_anthropic;

struct provider {
	const char *name;
	const struct dialect *dialect;
	const char *base_url;
	const char *max_tokens_field; /* OpenAI's name for max_tokens */
	int json_schema;              /* takes response_format json_schema */
	int key_optional;             /* a local server may need none */
};

const struct provider *provider_find(const char *name);

/*
 * Applies the configuration's [provider NAME] sections, which override
 * or add providers.  Returns 0, or -1 after reporting a bad value.
 */
int providers_configure(const struct config *c);
void providers_release(void);

/*
 * The key for p in *key: model_provider_key's: $NAME_API_KEY,
 * else the configuration's api_key; NULL if neither.  Returns 0,
 * or -1 after saying which variable holds a key with a line break (it
 * would go out as further headers); the key is never printed.
 */
int provider_key(
    const struct provider *p, const struct config *c, const char **key);

/* The base URL: $NAME_BASE_URL, else the configuration, else the table. */
const char *provider_base_url(const struct provider *p, const struct config *c);

void reply_init(struct reply *r);
void reply_release(struct reply *r);
/* Empties r for another attempt, keeping its on_delta. */
void reply_reset(struct reply *r);

/* Appends streamed text to the reply and passes it to on_delta. */
void reply_delta(struct reply *r, const char *text, size_t len);

/* Reads an error body of either dialect into r->err; sets r->failed. */
int reply_error(struct reply *r, const cJSON *body);

/* Sets the reply's string field *field to a copy of s, if s is one. */
void reply_set(char **field, const cJSON *s);

/*
 * The body of an embedding call: inputs, an array of strings, as the
 * model called api_id embeds them, in dims dimensions (0: the model's
 * own).  Takes inputs over.
 */
cJSON *embed_body(const char *api_id, cJSON *inputs, long dims);

/* The text of a message record's content as a dialect sends it. */
cJSON *content_for_wire(const cJSON *content);

#endif
