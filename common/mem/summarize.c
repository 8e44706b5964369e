/* summarize: the llm engine's prompt, its calls, and checking its summary. */
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/models.h"
#include "core/msg.h"
#include "mem/summarize.h"
#include "net/child.h"
#include "tok/chunk.h"

/* Items of the extractive pass that the summary is checked for. */
#define MAX_ITEMS 80
/* A summary missing more than this share of them is no summary. */
#define MISSING_MAX 0.5
/* Pieces of a map-reduce, and its rounds, at most. */
#define MAX_ROUNDS 4

static const char *const sections[] = {"## Goals", "## What happened",
    "## Files and identifiers", "## Errors and fixes", "## Decisions",
    "## Preferences and instructions", "## Current state", "## Next steps",
    NULL};

/* The heading each kind of item goes under. */
static const char *
heading(enum extract_section s)
{
	switch (s) {
	case EXTRACT_ERRORS:
		return sections[3];
	case EXTRACT_STATE:
		return sections[6];
	default:
		return sections[2];
	}
}

#define PROMPT \
	"You write the summary of the earlier part of a coding session, for " \
	"the assistant that will go on with it and will not see those " \
	"messages again.  Write these sections, with these headings, in " \
	"this order:\n" \
	"## Goals\n## What happened\n## Files and identifiers\n" \
	"## Errors and fixes\n## Decisions\n## Preferences and instructions\n" \
	"## Current state\n## Next steps\n" \
	"Rules: copy file paths, identifiers, commands, values and error " \
	"messages verbatim.  Keep every standing instruction and preference " \
	"of the user.  List each error with its fix, and say which errors " \
	"are unresolved.  When a value changed, give the current one and " \
	"mark the old as superseded, as `old -> new`.  List the open tasks " \
	"under Next steps, and not the finished ones.  Leave out greetings " \
	"and anything that no longer matters.  Write at most %zu tokens."

#define MERGE \
	"The text below is a summary of a part of a coding session, or a " \
	"run of such summaries in order.  Merge them into one, later parts " \
	"superseding earlier ones."

void
summarize_message_text(const cJSON *m, struct buf *out)
{
	const cJSON *calls = cJSON_GetObjectItemCaseSensitive(m, "tool_calls");
	const cJSON *call, *fn;
	const char *why, *name, *args;

	buf_reset(out);
	msg_content(m, out, &why);
	cJSON_ArrayForEach(call, calls) {
		fn = cJSON_GetObjectItemCaseSensitive(call, "function");
		name = msg_str(fn, "name");
		args = msg_str(fn, "arguments");
		buf_printf(out, "%scalled %s %s", out->len > 0 ? "\n" : "",
		    name != NULL ? name : "a tool", args != NULL ? args : "");
	}
}

static enum extract_role
role_of(const cJSON *m)
{
	const char *role = msg_str(m, "role");

	if (role != NULL && strcmp(role, "user") == 0)
		return EXTRACT_USER;
	if (role != NULL && strcmp(role, "tool") == 0)
		return EXTRACT_TOOL;
	return EXTRACT_ASSISTANT;
}

void
summarize_feed(
    struct extract *x, const cJSON *summary, const cJSON *const *m, size_t n)
{
	struct buf text = BUF_INIT;
	const char *s;
	size_t i;

	if (summary != NULL && (s = msg_str(summary, "content")) != NULL)
		extract_add(x, EXTRACT_SUMMARY, s, strlen(s), 0);
	for (i = 0; i < n; i++) {
		summarize_message_text(m[i], &text);
		extract_add(x, role_of(m[i]), text.s, text.len, 0);
	}
	buf_release(&text);
}

/* The messages as the model reads them: one "[role id] text" each. */
static void
transcript(
    const cJSON *summary, const cJSON *const *m, size_t n, struct buf *out)
{
	struct buf text = BUF_INIT;
	const char *id;
	size_t i;

	if (summary != NULL && msg_str(summary, "content") != NULL)
		buf_printf(out, "[summary of the messages before]\n%s\n",
		    msg_str(summary, "content"));
	for (i = 0; i < n; i++) {
		summarize_message_text(m[i], &text);
		id = msg_str(m[i], "id");
		buf_printf(out, "[%s%s%s]\n%s\n", msg_str(m[i], "role"),
		    id != NULL ? " " : "", id != NULL ? id : "", text.s);
	}
	buf_release(&text);
}

struct call {
	const struct summarize_opts *o;
	char *command;
	cJSON *rec; /* gathers usage and cost */
	int calls;
};

/* One call: instructions and text; *out the reply's text. */
static int
ask(struct call *c, const char *instructions, const char *text, size_t max,
    char **out)
{
	char tokens[32];
	const char *args[] = {
	    "-m", c->o->summarizer, "--max-tokens", tokens, NULL};
	cJSON *records = cJSON_CreateArray(), *m, *reply = NULL;
	const char *content;
	int status;

	snprintf(tokens, sizeof(tokens), "%zu", max > 0 ? max : 1);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "system");
	cJSON_AddStringToObject(m, "content", instructions);
	cJSON_AddItemToArray(records, m);
	m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "role", "user");
	cJSON_AddStringToObject(m, "content", text);
	cJSON_AddItemToArray(records, m);
	status = child_ask(c->command, args, records, 0, &reply);
	cJSON_Delete(records);
	c->calls++;
	*out = NULL;
	if (status == 0) {
		child_usage_add(c->rec, reply);
		content = msg_str(reply, "content");
		*out = xstrdup(content != NULL ? content : "");
	}
	cJSON_Delete(reply);
	return status;
}

static void
progress(int part, int parts)
{
	if (isatty(STDERR_FILENO))
		warnx("summarizing part %d of %d", part, parts);
}

/* The pieces of a text that fit max tokens of the summarizer's. */
struct pieces {
	const struct counter *c;
	size_t max;
	char **v;
	size_t n, cap;
};

static int
take_piece(void *arg, const char *s, size_t len, long first, long last)
{
	struct pieces *p = arg;
	size_t cut;

	(void)first;
	(void)last;
	while (len > 0) {
		cut = chunk_cut(p->c, s, len, p->max);
		ARRAY_GROW(p->v, p->n, p->cap);
		p->v[p->n++] = xstrndup(s, cut);
		s += cut;
		len -= cut;
	}
	return 0;
}

/*
 * The summary of text: one call if it fits window tokens, else pieces
 * summarized and their summaries merged, for at most MAX_ROUNDS.
 */
static int
map_reduce(struct call *c, const struct counter *sc, const char *prompt,
    char *text, size_t window, char **out)
{
	struct pieces p = {sc, window, NULL, 0, 0};
	struct buf merged = BUF_INIT;
	char *part;
	size_t i;
	int status = 0, round;

	for (round = 0; round < MAX_ROUNDS; round++) {
		if (counter_count(sc, text, strlen(text)) <= window)
			break;
		p.n = 0;
		chunk_lines(sc, text, strlen(text), window, take_piece, &p);
		buf_reset(&merged);
		for (i = 0; i < p.n && status == 0; i++) {
			progress((int)i + 1, (int)p.n);
			status = ask(c, prompt, p.v[i], window / 4, &part);
			if (status == 0)
				buf_printf(
				    &merged, "%s%s", i > 0 ? "\n\n" : "", part);
			free(part);
		}
		for (i = 0; i < p.n; i++)
			free(p.v[i]);
		free(text);
		text = buf_detach(&merged);
		if (status != 0)
			break;
		prompt = MERGE; /* later rounds merge summaries */
	}
	free(p.v);
	if (status == 0)
		status = ask(c, prompt, text, c->o->room, out);
	free(text);
	buf_release(&merged);
	return status;
}

/* Adds line under heading h of text, or a new section at the end. */
static void
add_under(struct buf *text, const char *h, const char *line)
{
	struct buf out = BUF_INIT;
	const char *at = strstr(text->s, h), *next;
	size_t pos;

	if (at == NULL) {
		buf_printf(text, "\n\n%s\n- %s", h, line);
		return;
	}
	next = strstr(at + strlen(h), "\n## ");
	pos = next != NULL ? (size_t)(next - text->s) : text->len;
	while (pos > 0 && text->s[pos - 1] == '\n')
		pos--;
	buf_add(&out, text->s, pos);
	buf_printf(&out, "\n- %s", line);
	buf_addstr(&out, text->s + pos);
	buf_release(text);
	*text = out;
}

static int
has_headings(const char *text)
{
	int i, n = 0;

	for (i = 0; sections[i] != NULL; i++)
		n += strstr(text, sections[i]) != NULL;
	return n >= 3;
}

/*
 * Checks a summary for the items: returns how many it lacks, and with
 * repair adds them under their sections.
 */
static size_t
check(struct buf *text, const struct extract_item *items, size_t n, int repair)
{
	size_t i, missing = 0;

	for (i = 0; i < n; i++) {
		if (strstr(text->s, items[i].find) != NULL)
			continue;
		missing++;
		if (repair)
			add_under(
			    text, heading(items[i].section), items[i].line);
	}
	return missing;
}

int
summarize_llm(const struct summarize_opts *o, const cJSON *summary,
    const cJSON *const *m, size_t n, cJSON *rec, char **text, const char **why)
{
	const struct model *sm = model_find(o->summarizer);
	struct call c = {o, NULL, rec, 0};
	struct extract *x = extract_new(o->counter);
	const struct extract_item *items;
	struct buf input = BUF_INIT, result = BUF_INIT;
	struct counter sc;
	char prompt[2048], *reply = NULL;
	size_t nitems, window, missing, tokens;
	int status = 0, attempt;

	*text = NULL;
	*why = NULL;
	if (sm == NULL || counter_for_model(&sc, sm) < 0) {
		warnx("model '%s' cannot be counted", o->summarizer);
		status = 1;
		goto out;
	}
	c.command = child_command(o->command);
	summarize_feed(x, summary, m, n);
	items = extract_items(x, MAX_ITEMS, &nitems);
	snprintf(prompt, sizeof(prompt), PROMPT, o->room);
	/* The summarizer's own window: its budget, less the reply's room. */
	window = (size_t)sm->budget > 2 * o->room + 2048
	    ? (size_t)sm->budget - 2 * o->room - 2048
	    : (size_t)sm->budget / 2;
	for (attempt = 0; attempt < 2; attempt++) {
		buf_reset(&input);
		transcript(summary, m, n, &input);
		if (attempt > 0)
			buf_addstr(&input,
			    "\n[note] An earlier summary of these messages left "
			    "out the sections or most of the paths, identifiers "
			    "and errors.  Write every section, and copy them "
			    "verbatim.\n");
		free(reply);
		status = map_reduce(
		    &c, &sc, prompt, buf_detach(&input), window, &reply);
		if (status != 0)
			goto out;
		buf_reset(&result);
		buf_addstr(&result, reply);
		missing = check(&result, items, nitems, 0);
		if (has_headings(result.s) &&
		    (nitems == 0 || missing <= MISSING_MAX * nitems))
			break;
	}
	if (attempt == 2) {
		*why = "was not a summary";
		goto out;
	}
	missing = check(&result, items, nitems, 1);
	msg_set_string(rec, "model", sm->name);
	msg_set_number(rec, "repaired", (double)missing);
	msg_set_number(rec, "calls", c.calls);
	tokens = counter_count(o->counter, result.s, result.len);
	if (tokens >= o->limit)
		*why = "is larger than its input";
	else if (tokens > o->room)
		*why = "is over the budget";
	else
		*text = buf_detach(&result);
out:
	free(reply);
	free(c.command);
	buf_release(&input);
	buf_release(&result);
	extract_free(x);
	return status;
}
