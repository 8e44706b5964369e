/* budget: what a request costs in a model's tokens, and fitting it. */
#include <string.h>

#include "core/msg.h"
#include "tok/budget.h"

void
budget_add_message(const struct counter *c, const cJSON *msg, struct cost *cost)
{
	struct buf text = BUF_INIT;
	const char *why, *role = msg_str(msg, "role");

	msg_content(msg, &text, &why);
	cost->units += counter_units(c, text.s, text.len);
	counter_add_message(c, role != NULL ? role : "", msg_str(msg, "name"),
	    &cost->units, &cost->overhead);
	buf_release(&text);
}

size_t
budget_tokens(const struct counter *c, const struct cost *cost)
{
	return counter_tokens(c, cost->units) + cost->overhead;
}

struct cost
budget_system(const struct counter *c, const char *system, size_t len)
{
	struct cost cost = {0, COUNT_PER_REPLY};

	if (len > 0) {
		cost.units = counter_units(c, system, len);
		counter_add_message(
		    c, "system", NULL, &cost.units, &cost.overhead);
	}
	return cost;
}

size_t
budget_request(const struct counter *c, const char *system, size_t len,
    const cJSON *messages)
{
	struct cost cost = budget_system(c, system, len);
	const cJSON *m;

	cJSON_ArrayForEach(m, messages) {
		budget_add_message(c, m, &cost);
	}
	return budget_tokens(c, &cost);
}

size_t
budget_context(const struct counter *c, const struct context *ctx,
    const char *prompt, const char *extra, size_t *messages)
{
	struct buf system = BUF_INIT;
	size_t tokens;

	context_system(ctx, prompt, extra, &system);
	tokens = budget_request(c, system.s, system.len, ctx->messages);
	if (messages != NULL)
		*messages = (size_t)cJSON_GetArraySize(ctx->messages) +
		    (system.len > 0);
	buf_release(&system);
	return tokens;
}

int
budget_group(const cJSON *m)
{
	const char *role;
	int n = 1;

	if (m == NULL)
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(m, "tool_calls") != NULL)
		for (m = m->next; m != NULL; m = m->next, n++) {
			role = msg_str(m, "role");
			if (role == NULL || strcmp(role, "tool") != 0)
				break;
		}
	return n;
}

cJSON *
budget_tail(const cJSON *list, int k)
{
	cJSON *m = list->child != NULL ? list->child->prev : NULL;
	const char *role;

	if (k <= 0 || m == NULL)
		return NULL;
	while (--k > 0 && m != list->child)
		m = m->prev;
	/* A tool result needs the call before it. */
	while (m != list->child && (role = msg_str(m, "role")) != NULL &&
	    strcmp(role, "tool") == 0)
		m = m->prev;
	return m;
}

/*
 * The greedy pass: what the request holds for certain (prompt, system
 * text, summaries, extra, the latest message group), then facts in
 * order, messages newest first, docs best first, each while it fits by
 * its own cost.  What does not fit leaves ctx.
 */
struct fitter {
	struct context *ctx;
	const struct counter *c;
	size_t limit;
	struct cost used;
	struct budget_report *rep;
};

static int
fits(struct fitter *f, const struct cost *more)
{
	struct cost sum = {
	    f->used.units + more->units, f->used.overhead + more->overhead};

	if (budget_tokens(f->c, &sum) > f->limit)
		return 0;
	f->used = sum;
	return 1;
}

/*
 * The units of the prompt's text for one fact or doc, and for the first
 * of its section the section's heading.
 */
static struct cost
piece_cost(const struct counter *c, const cJSON *rec, int fact, int first)
{
	struct buf text = BUF_INIT;
	struct cost cost = {0, 0};

	if (first)
		buf_addstr(&text,
		    fact ? "\n\nKnown facts:" : "\n\nDocuments that may help:");
	if (fact)
		context_fact_line(rec, &text);
	else
		context_doc_text(rec, &text);
	cost.units = counter_units(c, text.s, text.len);
	buf_release(&text);
	return cost;
}

static void
take_facts(struct fitter *f)
{
	cJSON *rec, *next;
	struct cost cost;
	int first = 1;

	for (rec = f->ctx->facts->child; rec != NULL; rec = next) {
		next = rec->next;
		cost = piece_cost(f->c, rec, 1, first);
		if (fits(f, &cost)) {
			first = 0;
		} else {
			context_drop(f->ctx->facts, rec);
			f->rep->facts++;
		}
	}
}

static int
is_tool(const cJSON *m)
{
	const char *role = msg_str(m, "role");

	return role != NULL && strcmp(role, "tool") == 0;
}

/* Older message groups, newest first, until one does not fit. */
static void
take_messages(struct fitter *f, cJSON *kept)
{
	cJSON *list = f->ctx->messages, *start, *m;
	struct cost cost;
	int n;

	while (kept != list->child) {
		/* The group before kept: a call and its results, or one. */
		for (start = kept->prev; start != list->child && is_tool(start);
		     start = start->prev)
			;
		cost = (struct cost){0, 0};
		for (m = start; m != kept; m = m->next)
			budget_add_message(f->c, m, &cost);
		if (!fits(f, &cost))
			break;
		kept = start;
	}
	for (n = 0; list->child != kept; n++)
		context_drop(list, list->child);
	f->rep->messages += n;
}

static void
take_docs(struct fitter *f)
{
	cJSON *rec, *next;
	struct cost cost;
	int first = 1;

	for (rec = f->ctx->docs->child; rec != NULL; rec = next) {
		next = rec->next;
		cost = piece_cost(f->c, rec, 0, first);
		if (fits(f, &cost)) {
			first = 0;
		} else {
			context_drop(f->ctx->docs, rec);
			f->rep->docs++;
		}
	}
}

/* Removes the least needed item left; returns 0 when none may go. */
static int
drop_least(struct context *ctx, struct budget_report *rep)
{
	cJSON *m = ctx->messages->child;
	int n = budget_group(m), left = cJSON_GetArraySize(ctx->messages);

	if (ctx->docs->child != NULL) {
		context_drop(ctx->docs, ctx->docs->child->prev);
		rep->docs++;
	} else if (n < left) {
		rep->messages += n;
		while (n-- > 0)
			context_drop(ctx->messages, ctx->messages->child);
	} else if (ctx->facts->child != NULL) {
		context_drop(ctx->facts, ctx->facts->child->prev);
		rep->facts++;
	} else {
		return 0;
	}
	return 1;
}

size_t
budget_fit(struct context *ctx, const struct counter *c, const char *prompt,
    const char *extra, size_t limit, struct budget_report *rep)
{
	struct fitter f = {ctx, c, limit, {0, 0}, rep};
	struct buf system = BUF_INIT;
	cJSON *last = budget_tail(ctx->messages, 1);
	size_t tokens;
	cJSON *m;

	memset(rep, 0, sizeof(*rep));
	tokens = rep->before = budget_context(c, ctx, prompt, extra, NULL);
	if (tokens > limit) {
		/* What stays whatever happens: the bare prompt, the latest. */
		buf_addstr(&system, prompt != NULL ? prompt : "");
		buf_addstr(&system, ctx->system.s);
		cJSON_ArrayForEach(m, ctx->summaries) {
			buf_addstr(&system, msg_str(m, "content"));
		}
		buf_addstr(&system, extra != NULL ? extra : "");
		f.used = budget_system(c, system.s, system.len);
		for (m = last; m != NULL; m = m->next)
			budget_add_message(c, m, &f.used);
		take_facts(&f);
		if (last != NULL)
			take_messages(&f, last);
		take_docs(&f);
		while ((tokens = budget_context(c, ctx, prompt, extra, NULL)) >
			limit &&
		    drop_least(ctx, rep))
			;
	}
	rep->after = tokens;
	buf_release(&system);
	return tokens;
}
