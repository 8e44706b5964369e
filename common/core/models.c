/* models: the built-in model table every program shares. */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/models.h"
#include "core/util.h"

/*
 * Windows and output limits from the providers' model pages.  The input
 * budget leaves room for the longest answer, except where llmpipe's
 * design fixes it (deepseek-coder 10K, claude-sonnet 150K).  Prices are
 * list prices in USD per million tokens (input, cached input, output)
 * with the date of the page they were read from; the configuration
 * overrides them (see llm-ask(1)).  -1 marks a price not published.
 */
#define P(in, cached, out, date) \
	{ \
		in, cached, out, date \
	}
#define CLAUDE_4 1200
#define CLAUDE_5 1400
#define UNPRICED \
	{ \
		-1, -1, -1, NULL \
	}
/* clang-format off */
static const struct model builtin[] = {
	/* OpenAI, o200k_base; developers.openai.com/api/docs/pricing */
	{"gpt-5.5", "openai", "gpt-5.5", COUNT_EXACT, "o200k_base", 0,
	    400000, 272000, 128000, P(5.00, 0.50, 30.00, "2026-06-01")},
	{"gpt-5.4-mini", "openai", "gpt-5.4-mini", COUNT_EXACT, "o200k_base", 0,
	    400000, 272000, 128000, P(0.75, 0.075, 4.50, "2026-03-01")},
	{"gpt-5.4-nano", "openai", "gpt-5.4-nano", COUNT_EXACT, "o200k_base", 0,
	    400000, 272000, 128000, P(0.20, 0.02, 1.25, "2026-06-01")},
	{"gpt-5", "openai", "gpt-5", COUNT_EXACT, "o200k_base", 0,
	    400000, 272000, 128000, P(1.25, 0.125, 10.00, "2026-03-01")},
	{"gpt-5-mini", "openai", "gpt-5-mini", COUNT_EXACT, "o200k_base", 0,
	    400000, 272000, 128000, P(0.25, 0.025, 2.00, "2026-03-01")},
	{"gpt-5-nano", "openai", "gpt-5-nano", COUNT_EXACT, "o200k_base", 0,
	    400000, 272000, 128000, P(0.05, 0.005, 0.40, "2026-03-01")},
	{"gpt-4.1", "openai", "gpt-4.1", COUNT_EXACT, "o200k_base", 0,
	    1047576, 1014808, 32768, P(2.00, 0.50, 8.00, "2026-06-21")},
	{"gpt-4.1-mini", "openai", "gpt-4.1-mini", COUNT_EXACT, "o200k_base", 0,
	    1047576, 1014808, 32768, P(0.40, 0.10, 1.60, "2026-06-21")},
	{"gpt-4.1-nano", "openai", "gpt-4.1-nano", COUNT_EXACT, "o200k_base", 0,
	    1047576, 1014808, 32768, P(0.10, 0.025, 0.40, "2026-03-01")},
	{"gpt-4o", "openai", "gpt-4o", COUNT_EXACT, "o200k_base", 0,
	    128000, 111616, 16384, P(2.50, 1.25, 10.00, "2026-06-01")},
	{"gpt-4o-mini", "openai", "gpt-4o-mini", COUNT_EXACT, "o200k_base", 0,
	    128000, 111616, 16384, P(0.15, 0.075, 0.60, "2026-06-01")},
	{"chatgpt-4o-latest", "openai", "chatgpt-4o-latest", COUNT_EXACT,
	    "o200k_base", 0, 128000, 111616, 16384, UNPRICED},
	{"o1", "openai", "o1", COUNT_EXACT, "o200k_base", 0,
	    200000, 100000, 100000, P(15.00, 7.50, 60.00, "2026-05-01")},
	{"o3", "openai", "o3", COUNT_EXACT, "o200k_base", 0,
	    200000, 100000, 100000, P(2.00, 0.50, 8.00, "2026-03-01")},
	{"o3-mini", "openai", "o3-mini", COUNT_EXACT, "o200k_base", 0,
	    200000, 100000, 100000, P(1.10, 0.55, 4.40, "2026-05-01")},
	{"o4-mini", "openai", "o4-mini", COUNT_EXACT, "o200k_base", 0,
	    200000, 100000, 100000, P(1.10, 0.275, 4.40, "2026-03-01")},
	/* OpenAI, cl100k_base */
	{"gpt-4", "openai", "gpt-4", COUNT_EXACT, "cl100k_base", 0,
	    8192, 4096, 8192, UNPRICED},
	{"gpt-4-turbo", "openai", "gpt-4-turbo", COUNT_EXACT, "cl100k_base", 0,
	    128000, 123904, 4096, UNPRICED},
	{"gpt-3.5-turbo", "openai", "gpt-3.5-turbo", COUNT_EXACT,
	    "cl100k_base", 0, 16385, 12289, 4096, P(0.50, 0.50, 1.50, "2026-05-01")},
	{"text-embedding-3-small", "openai", "text-embedding-3-small",
	    COUNT_EXACT, "cl100k_base", 0, 8191, 8191, 0,
	    P(0.02, 0.02, 0, "2026-06-21")},
	{"text-embedding-3-large", "openai", "text-embedding-3-large",
	    COUNT_EXACT, "cl100k_base", 0, 8191, 8191, 0,
	    P(0.13, 0.13, 0, "2026-02-23")},
	{"text-embedding-ada-002", "openai", "text-embedding-ada-002",
	    COUNT_EXACT, "cl100k_base", 0, 8191, 8191, 0,
	    P(0.10, 0.10, 0, "2026-11-01")},
	/*
	 * Anthropic: the tokenizer is not public.  The aliases follow the
	 * current models (platform.claude.com model pages); claude-sonnet
	 * keeps the window and budget llmpipe's design gives it.  Counts
	 * are cl100k_base's times a factor: 1.2 for the Claude 4 tokenizer
	 * (at or a little above its counts on English and code), 1.4 for
	 * the one of Claude 4.7 and later, which measured 1.2 (prose) to
	 * 1.47 (technical text) times the Claude 4 counts in public tests
	 * against count_tokens.  Each is a setting ("factor"); llm-ask
	 * records its own count beside the provider's, and llm-memdb cost
	 * shows their ratio, to check it against real use.
	 */
	{"claude-sonnet", "anthropic", "claude-sonnet-5-5", COUNT_SCALED,
	    "cl100k_base", CLAUDE_5, 200000, 150000, 128000,
	    P(2.00, 0.20, 10.00, "2026-11-01")},
	{"claude-haiku", "anthropic", "claude-haiku-4-5", COUNT_SCALED,
	    "cl100k_base", CLAUDE_4, 200000, 150000, 64000,
	    P(1.00, 0.10, 5.00, "2026-11-01")},
	{"claude-opus", "anthropic", "claude-opus-5-5", COUNT_SCALED,
	    "cl100k_base", CLAUDE_5, 1000000, 872000, 128000,
	    P(4.00, 0.40, 20.00, "2026-11-01")},
	{"claude", "anthropic", "claude-sonnet-5-5", COUNT_SCALED,
	    "cl100k_base", CLAUDE_5, 200000, 150000, 128000,
	    P(2.00, 0.20, 10.00, "2026-11-01")},
	/*
	 * DeepSeek retired the API ids deepseek-coder (2024-09), then
	 * deepseek-chat and deepseek-reasoner (2026-07-24); the aliases now
	 * mean deepseek-v4-flash.  Prices from api-docs.deepseek.com.
	 */
	{"deepseek-coder", "deepseek", "deepseek-v4-flash", COUNT_DEEPSEEK,
	    NULL, 0, 16384, 10000, 4096, P(0.14, 0.0028, 0.28, "2026-04-26")},
	{"deepseek-chat", "deepseek", "deepseek-v4-flash", COUNT_DEEPSEEK,
	    NULL, 0, 1048576, 655360, 393216, P(0.14, 0.0028, 0.28, "2026-04-26")},
	{"deepseek-v4-flash", "deepseek", "deepseek-v4-flash", COUNT_DEEPSEEK,
	    NULL, 0, 1048576, 655360, 393216, P(0.14, 0.0028, 0.28, "2026-04-26")},
	{"deepseek-v4-pro", "deepseek", "deepseek-v4-pro", COUNT_DEEPSEEK,
	    NULL, 0, 1048576, 655360, 393216,
	    P(0.435, 0.003625, 0.87, "2026-05-22")},
	{"deepseek", "deepseek", "deepseek-v4-flash", COUNT_DEEPSEEK, NULL, 0,
	    1048576, 655360, 393216, P(0.14, 0.0028, 0.28, "2026-04-26")},
	/* Any OpenAI-compatible server: Ollama, llama.cpp, vLLM */
	{"local", "local", "local", COUNT_SCALED, "o200k_base", 1000,
	    8192, 6144, 2048, P(0, 0, 0, NULL)},
};
/* clang-format on */

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

/* The built-in table, or a copy the configuration changed. */
static const struct model *models = builtin;
static struct model *configured;
static size_t nmodels = NBUILTIN;

const struct model *
model_find(const char *name)
{
	const struct model *best = NULL;
	size_t i, n, best_len = 0;

	for (i = 0; i < nmodels; i++) {
		n = strlen(models[i].name);
		if (strcmp(models[i].name, name) == 0)
			return &models[i];
		if (strncmp(models[i].name, name, n) == 0 && name[n] == '-' &&
		    n > best_len) {
			best = &models[i];
			best_len = n;
		}
	}
	return best;
}

const struct model *
model_at(size_t i)
{
	return i < nmodels ? &models[i] : NULL;
}

static struct model *
configured_model(const char *name)
{
	size_t i;

	for (i = 0; i < nmodels; i++)
		if (strcmp(configured[i].name, name) == 0)
			return &configured[i];
	configured =
	    xreallocarray(configured, nmodels + 1, sizeof(*configured));
	models = configured;
	configured[nmodels] = (struct model){name, NULL, name, COUNT_SCALED,
	    "o200k_base", 1000, 8192, 0, 2048, UNPRICED};
	return &configured[nmodels++];
}

/* "o200k_base", "cl100k_base", or the estimators "claude", "deepseek". */
static void
set_counter(struct model *m, const char *value)
{
	if (strcmp(value, "claude") == 0) {
		m->counter = COUNT_SCALED;
		m->encoding = "cl100k_base";
		if (m->factor == 0 || m->factor == 1000)
			m->factor = CLAUDE_5;
	} else if (strcmp(value, "deepseek") == 0) {
		m->counter = COUNT_DEEPSEEK;
		m->encoding = NULL;
	} else {
		m->counter = COUNT_SCALED; /* exact only for OpenAI: below */
		m->encoding = value;
	}
}

/* A factor the configuration checked: digits, at most 3 decimals. */
static int
thousandths(const char *v)
{
	return (int)(strtod(v, NULL) * 1000 + 0.5);
}

/* Sets a field; the configuration has checked the value's shape. */
static void
set_field(struct model *m, const struct config_entry *e)
{
	const char *k = e->key, *v = e->value;

	if (strcmp(k, "provider") == 0)
		m->provider = v;
	else if (strcmp(k, "api_id") == 0)
		m->api_id = v;
	else if (strcmp(k, "counter") == 0)
		set_counter(m, v);
	else if (strcmp(k, "factor") == 0)
		m->factor = thousandths(v);
	else if (strcmp(k, "context") == 0)
		m->context = strtol(v, NULL, 10);
	else if (strcmp(k, "budget") == 0)
		m->budget = strtol(v, NULL, 10);
	else if (strcmp(k, "max_output") == 0)
		m->max_output = strtol(v, NULL, 10);
	else if (strcmp(k, "price_input") == 0)
		m->prices.input = strtod(v, NULL);
	else if (strcmp(k, "price_cached") == 0)
		m->prices.cached = strtod(v, NULL);
	else if (strcmp(k, "price_output") == 0)
		m->prices.output = strtod(v, NULL);
	else if (strcmp(k, "prices_as_of") == 0)
		m->prices.as_of = v;
}

int
models_configure(const struct config *c)
{
	const struct config_entry *e;
	struct model *m;
	size_t i;

	for (i = 0; i < c->n; i++) {
		e = &c->v[i];
		if (strcmp(e->section, "model") != 0)
			continue;
		if (configured == NULL) {
			configured =
			    xreallocarray(NULL, NBUILTIN, sizeof(*configured));
			memcpy(configured, builtin, sizeof(builtin));
			models = configured;
		}
		set_field(configured_model(e->name), e);
	}
	for (i = 0; configured != NULL && i < nmodels; i++) {
		m = &configured[i];
		if (m->provider == NULL) {
			warnx("%s: [model %s] needs a provider", c->path,
			    m->name);
			return -1;
		}
		if (m->counter == COUNT_SCALED &&
		    strcmp(m->provider, "openai") == 0 && m->factor == 1000)
			m->counter = COUNT_EXACT;
		if (m->counter == COUNT_EXACT)
			m->factor = 0;
		else if (m->counter == COUNT_SCALED && m->factor == 0)
			m->factor = 1000;
		if (m->budget == 0)
			m->budget = m->context - m->context / 4;
		if (m->budget > m->context) {
			warnx("%s: [model %s] has a budget over its context",
			    c->path, m->name);
			return -1;
		}
	}
	return 0;
}

int
models_load(struct config *c)
{
	char *path = config_default_path();
	int rc = config_load(c, path);

	free(path);
	if (rc == 0 && (rc = models_configure(c)) != 0)
		models_release();
	if (rc != 0)
		config_release(c);
	return rc;
}

void
model_provider_var(
    const char *provider, const char *suffix, char *var, size_t size)
{
	size_t i;

	snprintf(var, size, "%s%s", provider, suffix);
	for (i = 0; var[i] != '\0'; i++)
		var[i] = isalnum((unsigned char)var[i])
		    ? toupper((unsigned char)var[i])
		    : '_';
}

const char *
model_provider_key(const char *provider, const struct config *c)
{
	char var[256];
	const char *key;

	model_provider_var(provider, "_API_KEY", var, sizeof(var));
	key = getenv(var);
	if (key != NULL && key[0] != '\0')
		return key;
	return config_get(c, "provider", provider, "api_key");
}

int
model_has_key(const struct model *m, const struct config *c)
{
	return m->provider != NULL &&
	    model_provider_key(m->provider, c) != NULL;
}

const char *
models_pick(const char *flag, const char *route, const struct config *c)
{
	const char *name;

	if (flag != NULL)
		return flag;
	if (route != NULL)
		return route;
	if ((name = getenv("LLMPIPE_MODEL")) != NULL && name[0] != '\0')
		return name;
	if ((name = config_get(c, "", "", "model")) != NULL)
		return name;
	return MODEL_DEFAULT;
}

const char *
models_pick_embed(const char *flag, const struct config *c)
{
	const char *name;

	if (flag != NULL)
		return flag;
	if ((name = config_get(c, "", "", "embed_model")) != NULL)
		return name;
	return MODEL_EMBED_DEFAULT;
}

const char *
model_counter_name(const struct model *m)
{
	if (m->counter == COUNT_DEEPSEEK)
		return "deepseek";
	if (m->counter == COUNT_SCALED && m->factor != 1000 &&
	    strcmp(m->encoding, "cl100k_base") == 0)
		return "claude";
	return m->encoding;
}

void
models_release(void)
{
	free(configured);
	configured = NULL;
	models = builtin;
	nmodels = NBUILTIN;
}

double
model_cost(const struct model *m, long input, long cached, long cache_write,
    long output)
{
	const struct prices *p = &m->prices;
	double cached_price = p->cached >= 0 ? p->cached : p->input;

	if (p->input < 0 || p->output < 0)
		return -1;
	return ((input - cached - cache_write) * p->input +
		   cached * cached_price + cache_write * p->input * 1.25 +
		   output * p->output) /
	    1e6;
}
