/* budget: what a request costs in a model's tokens, and fitting it. */
#ifndef BUDGET_H
#define BUDGET_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/context.h"
#include "tok/count.h"

/*
 * A cost in a counter's units (summed, then turned into tokens once, see
 * counter_units) and tokens of chat overhead.
 */
struct cost {
	size_t units, overhead;
};

/*
 * Adds to *cost what a message costs in a chat request, as OpenAI counts
 * one: its content, its role and name as text, COUNT_PER_MESSAGE, and
 * COUNT_PER_NAME with a name.
 */
void budget_add_message(
    const struct counter *c, const cJSON *msg, struct cost *cost);

/* The tokens of a cost. */
size_t budget_tokens(const struct counter *c, const struct cost *cost);

/*
 * The cost of a request besides its messages: a system prompt of len
 * bytes (none when len is 0) as one more message, and COUNT_PER_REPLY.
 */
struct cost
budget_system(const struct counter *c, const char *system, size_t len);

/* The tokens of a request: budget_system and the messages. */
size_t budget_request(const struct counter *c, const char *system, size_t len,
    const cJSON *messages);

/*
 * The tokens of the request that ctx makes with prompt and extra (see
 * context_system): what llm-ask sends, llm-ask --count and llm-count
 * --total report, and llm-memdb context fits.  Stores in *messages (if
 * not NULL) how many messages it has, the system prompt as one.
 */
size_t budget_context(const struct counter *c, const struct context *ctx,
    const char *prompt, const char *extra, size_t *messages);

/*
 * How many messages, from m on, go together: an assistant turn that
 * calls tools with the tool results that answer it; else one.
 */
int budget_group(const cJSON *m);

/*
 * The first of the last k messages of list, moved back so that no tool
 * result is kept without the call it answers; NULL when k is 0.
 */
cJSON *budget_tail(const cJSON *list, int k);

/* What budget_fit took out, and the tokens before and after. */
struct budget_report {
	int docs, facts, messages;
	size_t before, after;
};

/*
 * Drops from ctx, least needed first, until the request fits limit
 * tokens: docs worst first, then the oldest messages (a tool call with
 * its results), then facts, the latest first; never the system text,
 * the summaries or the latest message.  Each item is counted once and
 * the result counted whole at the end, so that what fits is what
 * budget_context says.  Returns the tokens left, over limit only when
 * nothing more may go; *rep says what went.  All records must have been
 * added to ctx first.
 */
size_t
budget_fit(struct context *ctx, const struct counter *c, const char *prompt,
    const char *extra, size_t limit, struct budget_report *rep);

#endif
