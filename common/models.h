/* models: the built-in model table every program shares. */
#ifndef MODELS_H
#define MODELS_H

/* How a model's tokens are counted. */
enum counter_kind {
	COUNT_EXACT,   /* its own BPE encoding, id for id */
	COUNT_APPROX,  /* estimate: a BPE encoding's count as it is */
	COUNT_CLAUDE,  /* estimate: cl100k_base tokens * 1.2 */
	COUNT_DEEPSEEK /* estimate: 0.3 a character, 0.6 for CJK */
};

struct model {
	const char *name;     /* alias; also matches name-anything */
	const char *provider; /* openai, anthropic, deepseek, local */
	const char *api_id;   /* what the provider's API calls it */
	enum counter_kind counter;
	const char *encoding; /* the BPE encoding counted or scaled */
	long context;         /* context window, tokens */
	long budget;          /* input budget: what llmpipe sends at most */
	long max_output;
};

/* The model used when none is named. */
#define MODEL_DEFAULT "gpt-4o"

/*
 * Returns the model called name: an exact alias, else the alias that is
 * the longest prefix of name followed by '-' (so "gpt-4o-2024-08-06" is
 * gpt-4o and "claude-3-5-haiku-latest" is claude).  NULL if none.
 */
const struct model *model_find(const char *name);

#endif
