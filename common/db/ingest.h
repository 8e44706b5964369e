/* ingest: records into the memory database, whole inputs or nothing. */
#ifndef INGEST_H
#define INGEST_H

#include <stddef.h>

#include <sqlite3.h>

#include "core/jsonl.h"
#include "core/util.h"

struct ingest_opts {
	const char *session; /* for records without one */
	int importing;       /* lines of export: memdb.* lines too */
	int tee;             /* keep what is stored, for the caller to print */
};

struct ingest_report {
	struct buf stored; /* tee: each record as it is stored, a line each */
	size_t added;      /* new records */
	size_t known;      /* records whose id was stored already */
	size_t conflicts;  /* of those, ones that differ from what is stored */
	size_t deltas;     /* delta records, which are not stored */
};

/*
 * Stores every record r reads in db, in one transaction: all of them,
 * or none when a line is bad (each reported with its line) or the
 * database fails.  Records are checked by record_check; the types
 * memdb.* are export's alone.  Each is kept whole as JSON, with an id,
 * session and ts given where it has none, and derived into the tables
 * of its kind (messages, summaries, facts and their history, file
 * changes, usage) and their search text.  A record whose id is stored
 * already is left as it is; one that differs from the stored record is
 * reported on stderr.  Delta records (what a stream shows on its way)
 * are left out.  A session is created only by a record stored in it,
 * or by export's line for a session that had none.  Returns 0, or -1
 * (reported); *rep says what happened and, with tee, holds what is
 * stored, for the caller to print once committed.
 */
int ingest_run(sqlite3 *db, struct jsonl *r, const struct ingest_opts *o,
    struct ingest_report *rep);

void ingest_report_release(struct ingest_report *rep);

#endif
