/* models: the built-in model table every program shares. */
#ifndef MODELS_H
#define MODELS_H

#include <stddef.h>

/* How a model's tokens are counted. */
enum counter_kind {
	COUNT_EXACT,   /* its own BPE encoding, id for id */
	COUNT_SCALED,  /* estimate: a BPE encoding's count times factor */
	COUNT_DEEPSEEK /* estimate: 0.3 a character, 0.6 for CJK */
};

/* List prices in USD per million tokens; negative when unknown. */
struct prices {
	double input, cached, output;
	const char *as_of; /* the date they were taken, YYYY-MM-DD */
};

struct model {
	const char *name;     /* alias; also matches name-anything */
	const char *provider; /* openai, anthropic, deepseek, local, ... */
	const char *api_id;   /* what the provider's API calls it */
	enum counter_kind counter;
	const char *encoding; /* the BPE encoding counted or scaled */
	int factor;           /* COUNT_SCALED: thousandths, 1200 for 1.2 */
	long context;         /* context window, tokens */
	long budget;          /* input budget: what llmpipe sends at most */
	long max_output;
	struct prices prices;
};

struct config;

/* The model used when none is named. */
#define MODEL_DEFAULT "gpt-4o"
/* The embedding model used when none is named. */
#define MODEL_EMBED_DEFAULT "text-embedding-3-small"

/*
 * Returns the model called name: an exact alias, else the alias that is
 * the longest prefix of name followed by '-' (so "gpt-4o-2024-08-06" is
 * gpt-4o and "claude-3-5-haiku-latest" is claude).  NULL if none.
 */
const struct model *model_find(const char *name);

/*
 * Applies the configuration's [model NAME] sections: each overrides the
 * fields it names of the built-in NAME, or adds NAME (which then needs a
 * provider).  The strings stay the configuration's, which must outlive
 * the table.  Returns 0, or -1 after reporting a bad value.
 */
int models_configure(const struct config *c);

/*
 * What every program does first: reads the configuration file
 * (config_default_path) into c and applies its [model] sections, so
 * that a model added or changed there is the same model everywhere.
 * Returns 0, or -1 after reporting the file's error, with nothing held.
 * The caller releases c and the table (models_release) at exit.
 */
int models_load(struct config *c);
void models_release(void);

/*
 * Writes into var the name of the environment variable that holds the
 * provider's setting suffix ("_API_KEY", "_BASE_URL"): the provider's
 * name upper-cased, anything but a letter or a digit as '_', then
 * suffix: DEEPSEEK_API_KEY, MY_LLM_BASE_URL.
 */
void model_provider_var(
    const char *provider, const char *suffix, char *var, size_t size);

/*
 * The API key of provider: its variable's value (model_provider_var,
 * "_API_KEY") when set and not empty, else the configuration's api_key
 * of [provider NAME]; NULL if neither.  The string is the environment's
 * or the configuration's: never copy it anywhere that is printed.
 */
const char *model_provider_key(const char *provider, const struct config *c);

/* Returns 1 if a key is set for m's provider (model_provider_key). */
int model_has_key(const struct model *m, const struct config *c);

/*
 * The model a program uses, by the precedence every program follows:
 * flag (a -m option, or NULL), else route (a leading route record's
 * model, or NULL), else $LLMPIPE_MODEL, else the configuration's model,
 * else MODEL_DEFAULT.
 */
const char *
models_pick(const char *flag, const char *route, const struct config *c);

/*
 * The embedding model llm-ask --embed and llm-memdb use: flag, else
 * the configuration's embed_model, else MODEL_EMBED_DEFAULT.
 */
const char *models_pick_embed(const char *flag, const struct config *c);

/* The name of m's counter as the configuration and --models give it. */
const char *model_counter_name(const struct model *m);

/* The table in order, for listing: NULL past the end. */
const struct model *model_at(size_t i);

/*
 * The cost in USD of a call, from the model's prices: input counts
 * every input token, of which cached were read from the provider's cache
 * (billed at the cached price) and cache_write written to it (billed at
 * 1.25 times the input price, Anthropic's 5-minute rate).  Negative when
 * the prices are unknown.
 */
double model_cost(const struct model *m, long input, long cached,
    long cache_write, long output);

#endif
