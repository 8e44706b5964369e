/* record: llmpipe's record types and their rules, times, ids, fact identity. */
#ifndef RECORD_H
#define RECORD_H

#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/util.h"

/* What a record is, by its "type"; a record without one is a message. */
enum record_type {
	REC_MESSAGE,
	REC_SUMMARY,
	REC_FACT,
	REC_DOC,
	REC_ROUTE,
	REC_DELTA,
	REC_OTHER /* a type of someone else's: passed through, never sent */
};

enum record_type record_type(const cJSON *rec);

/* The roles a message may have, as the rules' messages list them. */
#define RECORD_ROLES "system, user, assistant, tool or developer"

/* Returns 1 if role is one of RECORD_ROLES. */
int record_role_valid(const char *role);

/* Returns 1 for a role whose text belongs to the system prompt. */
int record_role_system(const char *role);

/* The longest session name, in bytes. */
#define RECORD_MAX_SESSION 256

/* A session name is 1 to RECORD_MAX_SESSION bytes, no control characters. */
int record_session_valid(const char *name);

/*
 * Returns why rec breaks the rules of its type (llmpipe(7)), or NULL:
 * "type", "id", "session" and "ts" of the right shape, usage and cost
 * numbers, a message's role and content (or tool calls), a summary's,
 * fact's and doc's content, a fact's kind, op, subject and source.  The
 * reason is a static string, to report with the line.
 */
const char *record_check(const cJSON *rec);

/*
 * Facts
 *
 * A fact is known by its kind and its subject, or by its content when
 * it has no subject: a later fact with the same identity replaces an
 * earlier one, and one with op "delete" ends it.  llm-ask's prompt, the
 * store and llm-facts all follow this rule.
 */

/* The nine kinds of llmpipe(7), NULL-terminated. */
extern const char *const fact_kinds[];

int fact_kind_known(const char *kind);

/* The fact's key within its kind: its subject, else its content. */
const char *fact_key(const cJSON *fact);

/* Returns 1 if a and b are the same fact (kind and key). */
int fact_same(const cJSON *a, const cJSON *b);

/* Returns 1 if fact ends the fact it names (op "delete"). */
int fact_deletes(const cJSON *fact);

/*
 * Appends to out the fact's identity as a map key: its kind and key with
 * a NUL between, so that no two pairs meet.  fact_same is equality of
 * identities.
 */
void fact_identity(const cJSON *fact, struct buf *out);

/* The identity of a fact of kind whose key is key. */
void fact_identity_of(const char *kind, const char *key, struct buf *out);

/*
 * Times and ids
 */

/* Bytes of a time as record_now writes it, with its NUL. */
#define RECORD_TS_SIZE 25

/* Writes the time now, UTC, RFC 3339 to the millisecond. */
void record_now(char out[RECORD_TS_SIZE]);

/*
 * Returns 1 if s is an RFC 3339 time (a real date and time of day, a
 * fraction optional, Z or an offset), as "ts" must be.
 */
int record_ts_valid(const char *s);

/* Returns 1 if s is a date (2026-01-31) or an RFC 3339 time. */
int record_date_valid(const char *s);

/* Bytes of a ULID with its NUL. */
#define RECORD_ID_SIZE 27

/*
 * Writes a new ULID: 48 bits of milliseconds and 80 random bits in
 * Crockford's base 32, so that ids sort by time; within a process the
 * random part counts up, so ids stay unique and in order.
 */
void record_ulid(char out[RECORD_ID_SIZE]);

#endif
