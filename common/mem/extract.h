/* extract: an extractive summary of a conversation or a text, in a budget. */
#ifndef EXTRACT_H
#define EXTRACT_H

#include <stddef.h>

#include "tok/count.h"

/*
 * The extractive engine.  Messages are cut into sentences and lines;
 * each is scored by what it carries (paths, identifiers, values, and
 * the cues of terms_cues: decisions, preferences and instructions,
 * errors, fixes, open tasks) and by recency; old tool output and code
 * count only for their error lines and definitions.  A later value of
 * the same thing supersedes an earlier one ("port 8080 -> 8088",
 * renamed `a` to `b`): the change is listed, and an earlier sentence
 * that holds the old value is marked.  Sentences are chosen greedily by
 * value per token, a path or identifier counted once however many
 * sentences hold it, until the budget is full; the result keeps their
 * order.  Deterministic: the same input gives the same summary.
 */
struct extract;

/* The roles of what is added; EXTRACT_SUMMARY is an earlier summary. */
enum extract_role {
	EXTRACT_USER,
	EXTRACT_ASSISTANT,
	EXTRACT_TOOL,
	EXTRACT_SUMMARY,
	EXTRACT_TEXT /* prose of --text: units name their line numbers */
};

/* A new engine that counts with c; freed with extract_free. */
struct extract *extract_new(const struct counter *c);
void extract_free(struct extract *x);

/*
 * Adds one message's text, len bytes, in the conversation's order.  For
 * EXTRACT_TEXT, line is the number of the text's first line.
 */
void extract_add(struct extract *x, enum extract_role role, const char *text,
    size_t len, long line);

/*
 * The summary of everything added, at most budget tokens as the counter
 * counts it (0 when nothing is worth keeping), headed by a line that
 * says how many messages it covers (covers; 0 for none).  Allocated;
 * the caller frees it.
 */
char *extract_render(struct extract *x, size_t budget, long covers);

/*
 * What a summary of the same messages must hold, for checking another
 * engine's: the paths, identifiers, errors and changed values found.
 * Each item has a text to look for, the line that states it, and the
 * section of the LLM prompt it belongs to.  Valid until extract_free.
 */
enum extract_section {
	EXTRACT_FILES,  /* files and identifiers */
	EXTRACT_ERRORS, /* errors and fixes */
	EXTRACT_STATE   /* current state: changed values */
};

struct extract_item {
	const char *find; /* present in a summary that keeps the item */
	const char *line; /* what to add when it is missing */
	enum extract_section section;
};

/* Returns the must-keep items, at most max, best first; *n their number. */
const struct extract_item *
extract_items(struct extract *x, size_t max, size_t *n);

#endif
