/* summarize: the llm engine's prompt, its calls, and checking its summary. */
#ifndef SUMMARIZE_H
#define SUMMARIZE_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/util.h"
#include "mem/extract.h"
#include "tok/count.h"

struct summarize_opts {
	const char *command;           /* --ask, or NULL: child_command's */
	const char *summarizer;        /* the model that writes the summary */
	const struct counter *counter; /* counts the result for the budget */
	size_t room;                   /* the summary's most tokens */
	size_t limit;                  /* what it covers: it must be less */
	long covers;                   /* messages covered, for the prompt */
};

/* The text of a message as the engines see it: content, tool calls. */
void summarize_message_text(const cJSON *m, struct buf *out);

/* Adds summary's content (if not NULL) and the n messages m to x. */
void summarize_feed(
    struct extract *x, const cJSON *summary, const cJSON *const *m, size_t n);

/*
 * The llm engine: asks the summarizer, through the child runner, for a
 * summary of summary (an earlier one, or NULL) and the n messages m in
 * fixed sections; what does not fit the summarizer's own budget is cut
 * into pieces that are summarized first, and their summaries then
 * (map-reduce), with progress on standard error when it is a terminal.
 * The summary is checked against what the extractive pass finds in the
 * same messages (paths, identifiers, errors, changed values): what it
 * dropped is added under its section, and rec gets "repaired" (their
 * number), "model", and the calls' "usage" and "cost_usd".  A reply that
 * is no summary is asked for once more.
 *
 * Returns 0 with *text the summary (the caller frees it), or with *text
 * NULL and *why what was wrong with it when the extractive engine must
 * take over ("is over the budget", "is larger than its input", "was
 * not a summary"); else the status to exit with, a call having failed
 * (reported by the child runner or the child).
 */
int summarize_llm(const struct summarize_opts *o, const cJSON *summary,
    const cJSON *const *m, size_t n, cJSON *rec, char **text, const char **why);

#endif
