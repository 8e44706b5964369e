/* models: the built-in model table every program shares. */
#include <stddef.h>
#include <string.h>

#include "models.h"

/*
 * Windows and output limits from the providers' model pages.  The input
 * budget leaves room for the longest answer, except where llmpipe's
 * design fixes it (deepseek-coder 10K, claude-sonnet 150K).
 */
/* clang-format off */
static const struct model models[] = {
	/* OpenAI, o200k_base */
	{"gpt-5", "openai", "gpt-5", COUNT_EXACT, "o200k_base",
	    400000, 272000, 128000},
	{"gpt-5-mini", "openai", "gpt-5-mini", COUNT_EXACT, "o200k_base",
	    400000, 272000, 128000},
	{"gpt-5-nano", "openai", "gpt-5-nano", COUNT_EXACT, "o200k_base",
	    400000, 272000, 128000},
	{"gpt-4.1", "openai", "gpt-4.1", COUNT_EXACT, "o200k_base",
	    1047576, 1014808, 32768},
	{"gpt-4.1-mini", "openai", "gpt-4.1-mini", COUNT_EXACT, "o200k_base",
	    1047576, 1014808, 32768},
	{"gpt-4.1-nano", "openai", "gpt-4.1-nano", COUNT_EXACT, "o200k_base",
	    1047576, 1014808, 32768},
	{"gpt-4o", "openai", "gpt-4o", COUNT_EXACT, "o200k_base",
	    128000, 111616, 16384},
	{"gpt-4o-mini", "openai", "gpt-4o-mini", COUNT_EXACT, "o200k_base",
	    128000, 111616, 16384},
	{"chatgpt-4o-latest", "openai", "chatgpt-4o-latest", COUNT_EXACT,
	    "o200k_base", 128000, 111616, 16384},
	{"o1", "openai", "o1", COUNT_EXACT, "o200k_base",
	    200000, 100000, 100000},
	{"o3", "openai", "o3", COUNT_EXACT, "o200k_base",
	    200000, 100000, 100000},
	{"o3-mini", "openai", "o3-mini", COUNT_EXACT, "o200k_base",
	    200000, 100000, 100000},
	{"o4-mini", "openai", "o4-mini", COUNT_EXACT, "o200k_base",
	    200000, 100000, 100000},
	/* OpenAI, cl100k_base */
	{"gpt-4", "openai", "gpt-4", COUNT_EXACT, "cl100k_base",
	    8192, 4096, 8192},
	{"gpt-4-turbo", "openai", "gpt-4-turbo", COUNT_EXACT, "cl100k_base",
	    128000, 123904, 4096},
	{"gpt-3.5-turbo", "openai", "gpt-3.5-turbo", COUNT_EXACT,
	    "cl100k_base", 16385, 12289, 4096},
	{"text-embedding-3-small", "openai", "text-embedding-3-small",
	    COUNT_EXACT, "cl100k_base", 8191, 8191, 0},
	{"text-embedding-3-large", "openai", "text-embedding-3-large",
	    COUNT_EXACT, "cl100k_base", 8191, 8191, 0},
	{"text-embedding-ada-002", "openai", "text-embedding-ada-002",
	    COUNT_EXACT, "cl100k_base", 8191, 8191, 0},
	/* Anthropic: the tokenizer is not public */
	{"claude-sonnet", "anthropic", "claude-sonnet-4-5", COUNT_CLAUDE,
	    "cl100k_base", 200000, 150000, 64000},
	{"claude-haiku", "anthropic", "claude-haiku-4-5", COUNT_CLAUDE,
	    "cl100k_base", 200000, 150000, 64000},
	{"claude-opus", "anthropic", "claude-opus-4-1", COUNT_CLAUDE,
	    "cl100k_base", 200000, 150000, 32000},
	{"claude", "anthropic", "claude-sonnet-4-5", COUNT_CLAUDE,
	    "cl100k_base", 200000, 150000, 64000},
	/* DeepSeek: deepseek-coder is an alias the API no longer has */
	{"deepseek-coder", "deepseek", "deepseek-chat", COUNT_DEEPSEEK, NULL,
	    16384, 10000, 4096},
	{"deepseek-chat", "deepseek", "deepseek-chat", COUNT_DEEPSEEK, NULL,
	    131072, 122880, 8192},
	{"deepseek-reasoner", "deepseek", "deepseek-reasoner", COUNT_DEEPSEEK,
	    NULL, 131072, 65536, 65536},
	{"deepseek", "deepseek", "deepseek-chat", COUNT_DEEPSEEK, NULL,
	    131072, 122880, 8192},
	/* Any OpenAI-compatible server; counted as gpt-4o would be */
	{"local", "local", "local", COUNT_APPROX, "o200k_base",
	    8192, 6144, 2048},
};
/* clang-format on */

#define NMODELS (sizeof(models) / sizeof(models[0]))

const struct model *
model_find(const char *name)
{
	const struct model *best = NULL;
	size_t i, n, best_len = 0;

	for (i = 0; i < NMODELS; i++) {
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
