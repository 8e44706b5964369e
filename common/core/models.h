/* models: the built-in model table every program shares. */
#ifndef MODELS_H
#define MODELS_H

#include <stddef.h>

/* How a model's tokens are counted. */
enum counter_kind {
	COUNT_EXACT,   /* its own BPE encoding, id for id */
	COUNT_APPROX,  /* estimate: a BPE encoding's count as it is */
	COUNT_CLAUDE,  /* estimate: cl100k_base tokens * 1.2 */
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
	long context;         /* context window, tokens */
	long budget;          /* input budget: what llmpipe sends at most */
	long max_output;
	struct prices prices;
};

struct config;

/* The model used when none is named. */
#define MODEL_DEFAULT "gpt-4o"

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
void models_release(void);

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
