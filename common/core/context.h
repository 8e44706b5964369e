/* context: what a model is shown of a stream of records, rendered once. */
#ifndef CONTEXT_H
#define CONTEXT_H

#include <cjson/cJSON.h>

#include "core/util.h"

/*
 * A stream sorted by what each record is for.  Only plain messages go
 * to a model as messages; system and developer messages, summaries,
 * the live facts and docs are folded into one system prompt, in that
 * order (llmpipe(7)).  Every program that counts or fits a request
 * counts this rendering, so that they agree.
 */
struct context {
	const char *route_model; /* the model of a leading route record */
	struct buf system;       /* system and developer messages' text */
	cJSON *summaries;        /* summary records, in order */
	cJSON *facts;            /* the live facts, in order of arrival */
	cJSON *docs;             /* doc records, best score first */
	cJSON *messages;         /* the conversation: plain messages */
	cJSON *records;          /* every record taken, owning the above */
	struct strmap fact_at;   /* a fact's identity to its item in facts */
	int nrecords;
};

void context_init(struct context *c);
void context_release(struct context *c);

/*
 * Takes rec (the context owns it from now on) into its place.  Returns
 * NULL, or why rec cannot go to a model (record_check's reasons); rec is
 * kept either way.  A route record counts only as the stream's first;
 * records of other types (deltas, usage, ...) are kept and not shown.
 */
const char *context_add(struct context *c, cJSON *rec);

/* Removes item, an element of one of the lists, from its list. */
void context_drop(cJSON *list, cJSON *item);

/*
 * Renders the system prompt into out: prompt (a -s option or the
 * configuration's; NULL for none), the system messages, then "Summary
 * of the conversation so far:", "Known facts:" (one "- kind subject:
 * content" line each) and "Documents that may help:" sections, then
 * extra (NULL for none); sections are separated by a blank line.
 */
void context_system(const struct context *c, const char *prompt,
    const char *extra, struct buf *out);

/* The text a fact or a doc adds to the prompt, without the heading. */
void context_fact_line(const cJSON *fact, struct buf *out);
void context_doc_text(const cJSON *doc, struct buf *out);

#endif
