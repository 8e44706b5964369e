/* facts: a coding session's facts, found by rules and kept current. */
#ifndef FACTS_H
#define FACTS_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/util.h"

/*
 * Finding facts
 *
 * The rules read one message's text and say what it shows: files
 * created, changed and deleted (fences that name a file, first-line
 * comments, diffs, prose), functions defined with a body in code the
 * message adds (not in code it quotes for review), decisions,
 * preferences and todos in the writer's words.  What they find is not
 * yet an op: facts_ops sets it against the facts already known.
 */

enum {
	FOUND_WEAK = 1,  /* said in passing: never updates a known fact */
	FOUND_GUESS = 2, /* file_created for want of a word: a known file's
			    is file_modified */
	FOUND_DROP = 4   /* a decision given up: ends the known decisions it
			    names, adds none */
};

struct fact_found {
	const char *kind; /* an element of fact_kinds */
	char *subject;
	char *content;
	size_t at; /* where in the text it was said, for their order */
	int flags;
};

struct facts_found {
	struct fact_found *v;
	size_t n, cap;
};

#define FACTS_FOUND_INIT \
	{ \
		NULL, 0, 0 \
	}

/* Empties f, freeing what it holds. */
void facts_found_reset(struct facts_found *f);
void facts_found_release(struct facts_found *f);

/*
 * The rules engine: appends to out what the len bytes of text (the
 * content of a message by the user if from_user, else by the
 * assistant) say, in the order said, each kind and subject once.
 * text[len] must be a NUL, as a record's string has.
 */
void facts_extract(
    const char *text, size_t len, int from_user, struct facts_found *out);

/*
 * The live facts
 *
 * Facts are known by their identity (fact_identity in core/record.h):
 * a later fact replaces its namesake, a delete ends it.
 */
struct facts {
	cJSON *live;      /* copies of the live fact records, oldest first */
	struct strmap at; /* a fact's identity to its record in live */
	struct buf key;   /* scratch */
};

void facts_init(struct facts *f);
void facts_release(struct facts *f);

/* The live fact of kind whose key (subject) is key, or NULL. */
const cJSON *facts_get(struct facts *f, const char *kind, const char *key);

/* Takes a copy of fact into the live facts, or ends its namesake. */
void facts_apply(struct facts *f, const cJSON *fact);

/* Where a message's facts come from. */
struct fact_origin {
	const char *source;  /* the message's id, or NULL */
	const char *ts;      /* its time, or NULL for the time now */
	const char *session; /* its session, or NULL */
};

/*
 * Turns what was found into ops against the live facts f, appends their
 * fact records to ops (an array) and applies them to f.  The same kind
 * and subject is an update, and only when the content changed (never
 * for a weak find); a file or function that goes, or a decision given
 * up, is a delete of the fact that said it was there (and an add of
 * the file_deleted or function_removed that says it is not).
 */
void facts_ops(struct facts *f, const struct facts_found *found,
    const struct fact_origin *o, cJSON *ops);

/*
 * Takes a fact that a model proposed, checked against the live facts:
 * its kind known, its subject not empty, its op one that the live facts
 * allow (no update or delete of a fact not known; an add of a known
 * fact with other content becomes an update).  Returns NULL with *op
 * the fact record to write (applied to f already), or NULL when it
 * changes nothing; or why it cannot be taken, in a static buffer, with
 * *op NULL.
 */
const char *facts_take_proposed(struct facts *f, const cJSON *proposed,
    const struct fact_origin *o, cJSON **op);

#endif
