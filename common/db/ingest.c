/* ingest: records into the memory database, whole inputs or nothing. */
#include <err.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/msg.h"
#include "core/record.h"
#include "core/utf8.h"
#include "db/ingest.h"
#include "db/search.h"
#include "db/store.h"
#include "db/vectors.h"

enum {
	Q_SESSION_FIND,
	Q_SESSION_ADD,
	Q_RECORD_FIND,
	Q_RECORD,
	Q_MESSAGE,
	Q_MESSAGE_TEXT,
	Q_SUMMARY,
	Q_SUMMARY_TEXT,
	Q_FACT_OP,
	Q_FACT_SET,
	Q_FACT_UNTEXT,
	Q_FACT_TEXT,
	Q_FACT_DELETE,
	Q_FILE_CHANGE,
	Q_USAGE,
	Q_FILE_ADD,
	Q_DOC_ADD,
	Q_DOC_TEXT,
	NQUERIES
};

static const char *const sql[NQUERIES] = {
    [Q_SESSION_FIND] = "SELECT id FROM sessions WHERE name = ?",
    [Q_SESSION_ADD] = "INSERT INTO sessions(name, created) VALUES (?, ?)"
		      " ON CONFLICT DO NOTHING",
    [Q_RECORD_FIND] = "SELECT json FROM records WHERE id = ?",
    [Q_RECORD] = "INSERT INTO records(id, session, type, ts, json)"
		 " VALUES (?, ?, ?, ?, ?)",
    [Q_MESSAGE] =
	"INSERT INTO messages(seq, role, model, tokens) VALUES (?, ?, ?, ?)",
    [Q_MESSAGE_TEXT] = "INSERT INTO messages_fts(rowid, content) VALUES (?, ?)",
    [Q_SUMMARY] =
	"INSERT INTO summaries(seq, covers, through) VALUES (?, ?, ?)",
    [Q_SUMMARY_TEXT] =
	"INSERT INTO summaries_fts(rowid, content) VALUES (?, ?)",
    [Q_FACT_OP] = "INSERT INTO fact_ops(seq, kind, subject, op, source)"
		  " VALUES (?, ?, ?, ?, ?)",
    [Q_FACT_SET] = "INSERT INTO facts(session, kind, key, seq)"
		   " VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE"
		   " SET seq = excluded.seq RETURNING id",
    [Q_FACT_UNTEXT] = "DELETE FROM facts_fts WHERE rowid = ?",
    [Q_FACT_TEXT] =
	"INSERT INTO facts_fts(rowid, subject, content) VALUES (?, ?, ?)",
    [Q_FACT_DELETE] =
	"DELETE FROM facts WHERE session = ? AND kind = ? AND key = ?",
    [Q_FILE_CHANGE] =
	"INSERT INTO file_changes(seq, path, change) VALUES (?, ?, ?)",
    [Q_USAGE] = "INSERT INTO usage(seq, provider, model, input_tokens,"
		" output_tokens, cached_tokens, cost_usd, latency_ms,"
		" counted_input_tokens) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_FILE_ADD] = "INSERT INTO files(path, size, mtime, hash)"
		   " VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
		   " size = excluded.size, mtime = excluded.mtime,"
		   " hash = excluded.hash RETURNING id",
    [Q_DOC_ADD] = "INSERT INTO docs(file, chunk, first_line, last_line, hash)"
		  " SELECT id, ?2, ?3, ?4, ?5 FROM files WHERE path = ?1"
		  " ON CONFLICT DO NOTHING",
    [Q_DOC_TEXT] = "INSERT INTO docs_fts(rowid, content) VALUES (?, ?)",
};

/* A session that export names: created when it holds a record. */
struct exported {
	char *created;
	int has_records; /* in the export */
};

/* The state of an add or an import. */
struct adder {
	sqlite3 *db;
	struct jsonl *in;
	const struct ingest_opts *o;
	struct ingest_report *rep;
	sqlite3_stmt *q[NQUERIES];
	char *last_name;        /* the session last looked up, */
	sqlite3_int64 last_id;  /* and its id */
	struct strmap sessions; /* import: name to struct exported */
	struct buf text;
	int in_tx;
};

static int
adder_init(struct adder *a)
{
	int i;

	for (i = 0; i < NQUERIES; i++)
		if ((a->q[i] = store_prepare(a->db, sql[i])) == NULL)
			return -1;
	return 0;
}

static void
adder_release(struct adder *a)
{
	struct exported *e;
	size_t i;
	int j;

	for (j = 0; j < NQUERIES; j++)
		sqlite3_finalize(a->q[j]);
	for (i = 0; i < a->sessions.cap; i++)
		if ((e = a->sessions.slot[i].value) != NULL) {
			free(e->created);
			free(e);
		}
	strmap_release(&a->sessions);
	free(a->last_name);
	buf_release(&a->text);
}

/*
 * Returns the id of the session called name in *id, creating it (with
 * the time created, else export's, else now) if it is new.
 */
static int
session_id(
    struct adder *a, const char *name, const char *created, sqlite3_int64 *id)
{
	struct exported *e = strmap_get(&a->sessions, name, strlen(name));
	char now[RECORD_TS_SIZE];

	if (a->last_name != NULL && strcmp(a->last_name, name) == 0) {
		*id = a->last_id;
		return 0;
	}
	if (created == NULL && e != NULL)
		created = e->created;
	if (created == NULL) {
		record_now(now);
		created = now;
	}
	store_bind_text(a->q[Q_SESSION_ADD], 1, name);
	store_bind_text(a->q[Q_SESSION_ADD], 2, created);
	store_bind_text(a->q[Q_SESSION_FIND], 1, name);
	if (store_run(a->q[Q_SESSION_ADD]) < 0 ||
	    store_step_value(a->q[Q_SESSION_FIND], id) < 0)
		return -1;
	free(a->last_name);
	a->last_name = xstrdup(name);
	a->last_id = *id;
	return 0;
}

/* Returns why rec cannot be stored, or NULL if it can. */
static const char *
check(const struct adder *a, const cJSON *rec)
{
	const char *type = msg_str(rec, "type"), *s;

	if (type != NULL && !a->o->importing && strncmp(type, "memdb.", 6) == 0)
		return "the types 'memdb.*' are kept for export";
	if ((s = msg_str(rec, "session")) != NULL &&
	    utf8_valid_prefix(s, strlen(s)) != strlen(s))
		return "'session' is not a valid session name";
	return record_check(rec);
}

static sqlite3_int64
number_or(const cJSON *rec, const char *key, sqlite3_int64 dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return cJSON_IsNumber(v) ? (sqlite3_int64)v->valuedouble : dflt;
}

static void
bind_number_or_null(sqlite3_stmt *q, int i, const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	if (cJSON_IsNumber(v))
		sqlite3_bind_int64(q, i, (sqlite3_int64)v->valuedouble);
	else
		sqlite3_bind_null(q, i);
}

/*
 * The length of the head of text that search indexes: at most
 * SEARCH_TEXT bytes, cut before a character.  Ranking and snippets of a
 * row cost in proportion to its matches, and a pasted log of tens of
 * megabytes would make every search that hits it slow; its record is
 * kept whole all the same.
 */
static int
searchable(const char *text, size_t len)
{
	if (len <= SEARCH_TEXT)
		return (int)len;
	len = SEARCH_TEXT;
	while (len > 0 && ((unsigned char)text[len] & 0xc0) == 0x80)
		len--;
	return (int)len;
}

static void
bind_searchable(sqlite3_stmt *st, int i, const char *text)
{
	if (text == NULL)
		sqlite3_bind_null(st, i);
	else
		sqlite3_bind_text(
		    st, i, text, searchable(text, strlen(text)), SQLITE_STATIC);
}

static int
add_message(struct adder *a, sqlite3_int64 seq, const cJSON *rec)
{
	sqlite3_stmt *q = a->q[Q_MESSAGE], *t = a->q[Q_MESSAGE_TEXT];
	const char *why;

	sqlite3_bind_int64(q, 1, seq);
	store_bind_text(q, 2, msg_str(rec, "role"));
	store_bind_text(q, 3, msg_str(rec, "model"));
	bind_number_or_null(q, 4, rec, "tokens");
	if (store_run(q) < 0)
		return -1;
	buf_reset(&a->text);
	if (msg_content(rec, &a->text, &why) <= 0 || a->text.len == 0)
		return 0;
	sqlite3_bind_int64(t, 1, seq);
	sqlite3_bind_text(
	    t, 2, a->text.s, searchable(a->text.s, a->text.len), SQLITE_STATIC);
	return store_run(t);
}

static int
add_summary(struct adder *a, sqlite3_int64 seq, const cJSON *rec)
{
	sqlite3_stmt *q = a->q[Q_SUMMARY], *t = a->q[Q_SUMMARY_TEXT];

	sqlite3_bind_int64(q, 1, seq);
	bind_number_or_null(q, 2, rec, "covers");
	store_bind_text(q, 3, msg_str(rec, "through"));
	sqlite3_bind_int64(t, 1, seq);
	bind_searchable(t, 2, msg_str(rec, "content"));
	return store_run(q) < 0 ? -1 : store_run(t);
}

/*
 * A file_created or file_modified fact (file_deleted, or any file fact
 * with op delete, removes) records a change to the file it names.
 */
static int
add_file_change(struct adder *a, sqlite3_int64 seq, const cJSON *rec)
{
	const char *kind = msg_str(rec, "kind");
	const char *path = msg_str(rec, "subject");
	sqlite3_stmt *q = a->q[Q_FILE_CHANGE];

	if (strncmp(kind, "file_", 5) != 0 || path == NULL)
		return 0;
	sqlite3_bind_int64(q, 1, seq);
	store_bind_text(q, 2, path);
	store_bind_text(q, 3, fact_deletes(rec) ? "deleted" : kind + 5);
	return store_run(q);
}

/* A fact sets the current state of its identity (see fact_key). */
static int
add_fact(
    struct adder *a, sqlite3_int64 seq, sqlite3_int64 session, const cJSON *rec)
{
	const char *op = msg_str(rec, "op"), *subject = msg_str(rec, "subject");
	sqlite3_stmt *q = a->q[Q_FACT_OP];
	sqlite3_int64 id;
	int del = fact_deletes(rec);

	sqlite3_bind_int64(q, 1, seq);
	store_bind_text(q, 2, msg_str(rec, "kind"));
	store_bind_text(q, 3, subject);
	store_bind_text(q, 4, op != NULL ? op : "add");
	store_bind_text(q, 5, msg_str(rec, "source"));
	if (store_run(q) < 0 || add_file_change(a, seq, rec) < 0)
		return -1;
	q = a->q[del ? Q_FACT_DELETE : Q_FACT_SET];
	sqlite3_bind_int64(q, 1, session);
	store_bind_text(q, 2, msg_str(rec, "kind"));
	store_bind_text(q, 3, fact_key(rec));
	if (del)
		return store_run(q);
	sqlite3_bind_int64(q, 4, seq);
	if (store_step_value(q, &id) < 0)
		return -1;
	sqlite3_bind_int64(a->q[Q_FACT_UNTEXT], 1, id);
	q = a->q[Q_FACT_TEXT];
	sqlite3_bind_int64(q, 1, id);
	bind_searchable(q, 2, subject);
	bind_searchable(q, 3, msg_str(rec, "content"));
	return store_run(a->q[Q_FACT_UNTEXT]) < 0 ? -1 : store_run(q);
}

/* A record with usage or cost_usd is the result of a model call. */
static int
add_usage(struct adder *a, sqlite3_int64 seq, const cJSON *rec)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "usage");
	const cJSON *cost = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");
	sqlite3_stmt *q = a->q[Q_USAGE];

	if (u == NULL && cost == NULL)
		return 0;
	sqlite3_bind_int64(q, 1, seq);
	store_bind_text(q, 2, msg_str(rec, "provider"));
	store_bind_text(q, 3, msg_str(rec, "model"));
	sqlite3_bind_int64(q, 4, number_or(u, "input_tokens", 0));
	sqlite3_bind_int64(q, 5, number_or(u, "output_tokens", 0));
	sqlite3_bind_int64(q, 6, number_or(u, "cached_tokens", 0));
	sqlite3_bind_double(q, 7, cJSON_IsNumber(cost) ? cost->valuedouble : 0);
	bind_number_or_null(q, 8, rec, "latency_ms");
	bind_number_or_null(q, 9, u, "counted_input_tokens");
	return store_run(q);
}

/* Gives rec the id, session and time it lacks, as new fields at its end. */
static void
complete_record(struct adder *a, cJSON *rec)
{
	char id[RECORD_ID_SIZE], ts[RECORD_TS_SIZE];

	if (msg_str(rec, "id") == NULL) {
		record_ulid(id);
		msg_set_string(rec, "id", id);
	}
	if (msg_str(rec, "session") == NULL)
		msg_set_string(rec, "session", a->o->session);
	if (msg_str(rec, "ts") == NULL) {
		record_now(ts);
		msg_set_string(rec, "ts", ts);
	}
}

static void
tee(struct adder *a, const char *json)
{
	if (a->o->tee) {
		buf_addstr(&a->rep->stored, json);
		buf_add(&a->rep->stored, "\n", 1);
	}
}

/* Whether every field of rec is in stored, with the same value. */
static int
same_record(const cJSON *rec, const cJSON *stored)
{
	const cJSON *f, *g;
	char *x, *y;
	int same = 1;

	for (f = rec->child; same && f != NULL; f = f->next) {
		if ((g = cJSON_GetObjectItemCaseSensitive(stored, f->string)) ==
		    NULL)
			return 0;
		x = json_print_alloc(f);
		y = json_print_alloc(g);
		same = strcmp(x, y) == 0;
		free(x);
		free(y);
	}
	return same;
}

/*
 * A record whose id is stored already: left as it is.  Returns 1 if so
 * (a different record under that id reported), 0 if the id is new, -1
 * on a database error.
 */
static int
known_record(struct adder *a, const cJSON *rec)
{
	const char *id = msg_str(rec, "id");
	sqlite3_stmt *q = a->q[Q_RECORD_FIND];
	struct json_error e;
	const char *json;
	cJSON *stored;
	int rc;

	if (id == NULL)
		return 0;
	store_bind_text(q, 1, id);
	if ((rc = sqlite3_step(q)) != SQLITE_ROW) {
		sqlite3_reset(q);
		if (rc == SQLITE_DONE)
			return 0;
		store_error(a->db, NULL);
		return -1;
	}
	json = (const char *)sqlite3_column_text(q, 0);
	stored = json_parse(json, strlen(json), &e);
	if (stored == NULL || !same_record(rec, stored)) {
		jsonl_error(a->in,
		    "a different record is stored under id '%s'; kept the "
		    "stored one",
		    id);
		a->rep->conflicts++;
	}
	tee(a, json);
	cJSON_Delete(stored);
	sqlite3_reset(q);
	a->rep->known++;
	return 1;
}

/* The tables of rec's kind, for the record stored at seq. */
static int
derive(
    struct adder *a, sqlite3_int64 seq, sqlite3_int64 session, const cJSON *rec)
{
	int rv = 0;

	switch (record_type(rec)) {
	case REC_MESSAGE:
		rv = add_message(a, seq, rec);
		break;
	case REC_SUMMARY:
		rv = add_summary(a, seq, rec);
		break;
	case REC_FACT:
		rv = add_fact(a, seq, session, rec);
		break;
	default:
		break;
	}
	return rv < 0 ? -1 : add_usage(a, seq, rec);
}

/*
 * Stores a checked record in the log and the tables of its kind.
 * Returns 0 or -1 (reported).
 */
static int
store_record(struct adder *a, cJSON *rec)
{
	const char *type = msg_str(rec, "type");
	sqlite3_stmt *q = a->q[Q_RECORD];
	sqlite3_int64 session;
	char *json;
	int rv;

	if ((rv = known_record(a, rec)) != 0)
		return rv < 0 ? -1 : 0;
	complete_record(a, rec);
	if (session_id(a, msg_str(rec, "session"), NULL, &session) < 0)
		return -1;
	json = json_print_alloc(rec);
	store_bind_text(q, 1, msg_str(rec, "id"));
	sqlite3_bind_int64(q, 2, session);
	store_bind_text(q, 3, type != NULL ? type : "message");
	store_bind_text(q, 4, msg_str(rec, "ts"));
	store_bind_text(q, 5, json);
	if ((rv = store_run(q)) == 0) {
		tee(a, json);
		a->rep->added++;
		rv = derive(a, sqlite3_last_insert_rowid(a->db), session, rec);
	}
	free(json);
	return rv;
}

static int
import_file(struct adder *a, const cJSON *rec)
{
	sqlite3_stmt *q = a->q[Q_FILE_ADD];
	sqlite3_int64 id;

	store_bind_text(q, 1, msg_str(rec, "path"));
	sqlite3_bind_int64(q, 2, number_or(rec, "size", 0));
	sqlite3_bind_int64(q, 3, number_or(rec, "mtime", 0));
	store_bind_text(q, 4, msg_str(rec, "hash"));
	return store_step_value(q, &id);
}

static sqlite3_int64
whole_number(const cJSON *v)
{
	return cJSON_IsNumber(v) ? (sqlite3_int64)v->valuedouble : 0;
}

/* A doc follows the line of its file, which has given it an id. */
static int
import_doc(struct adder *a, const cJSON *rec)
{
	const cJSON *lines = cJSON_GetObjectItemCaseSensitive(rec, "lines");
	sqlite3_stmt *q = a->q[Q_DOC_ADD], *t = a->q[Q_DOC_TEXT];

	store_bind_text(q, 1, msg_str(rec, "path"));
	sqlite3_bind_int64(q, 2, number_or(rec, "chunk", 0));
	sqlite3_bind_int64(q, 3, whole_number(cJSON_GetArrayItem(lines, 0)));
	sqlite3_bind_int64(q, 4, whole_number(cJSON_GetArrayItem(lines, 1)));
	store_bind_text(q, 5, msg_str(rec, "hash"));
	if (store_run(q) < 0)
		return -1;
	if (sqlite3_changes(a->db) == 0)
		return 0;
	sqlite3_bind_int64(t, 1, sqlite3_last_insert_rowid(a->db));
	store_bind_text(t, 2, msg_str(rec, "content"));
	return store_run(t);
}

/*
 * A vector of a doc's text, as export wrote it.  Returns 0, -1 (reported)
 * on a database error, -2 (reported) for a bad or refused line.
 */
static int
import_embedding(struct adder *a, const cJSON *rec)
{
	struct buf refused = BUF_INIT;
	struct vector v;
	const char *why;
	int rv;

	if (vector_from_hex(msg_str(rec, "vector"), &v, &why) < 0) {
		jsonl_error(a->in, "%s", why);
		return -2;
	}
	rv = vectors_put(
	    a->db, msg_str(rec, "model"), msg_str(rec, "hash"), &v, &refused);
	if (rv == -2)
		jsonl_error(a->in, "%s", refused.s);
	buf_release(&refused);
	vector_release(&v);
	return rv;
}

/* Export names a session: remembered, created by its first record. */
static int
import_session(struct adder *a, const cJSON *rec)
{
	const char *name = msg_str(rec, "name"), *created;
	struct exported *e;

	created = msg_str(rec, "created");
	if (name == NULL || !record_session_valid(name) || created == NULL ||
	    !record_ts_valid(created))
		return -2;
	if ((e = strmap_get(&a->sessions, name, strlen(name))) == NULL) {
		e = xmalloc(sizeof(*e));
		e->has_records = 0;
		strmap_put(&a->sessions, name, strlen(name), e);
	} else {
		free(e->created);
	}
	e->created = xstrdup(created);
	return 0;
}

/*
 * import: the lines of export that are not records.  Returns 0, 1 if rec
 * is a record, -1 (reported) on a database error, -2 (reported) for a
 * bad line.
 */
static int
import_meta(struct adder *a, const cJSON *rec)
{
	const char *type = msg_str(rec, "type"), *s;
	struct exported *e;
	int rv = -2;

	if (type == NULL || strncmp(type, "memdb.", 6) != 0) {
		s = msg_str(rec, "session");
		if (s != NULL &&
		    (e = strmap_get(&a->sessions, s, strlen(s))) != NULL)
			e->has_records = 1;
		return 1;
	}
	if (strcmp(type, "memdb.session") == 0)
		rv = import_session(a, rec);
	else if (strcmp(type, "memdb.file") == 0 && msg_str(rec, "path") &&
	    msg_str(rec, "hash"))
		rv = import_file(a, rec);
	else if (strcmp(type, "memdb.doc") == 0 && msg_str(rec, "path") &&
	    msg_str(rec, "hash") && msg_str(rec, "content"))
		rv = import_doc(a, rec);
	else if (strcmp(type, "memdb.embedding") == 0 &&
	    msg_str(rec, "model") && msg_str(rec, "hash") &&
	    msg_str(rec, "vector"))
		return import_embedding(a, rec); /* which says what is wrong */
	if (rv == -2)
		jsonl_error(a->in, "not a line of llm-memdb export");
	return rv;
}

/* Sessions that export had, empty: they come back empty. */
static int
import_empty_sessions(struct adder *a)
{
	struct exported *e;
	sqlite3_int64 id;
	size_t i;

	for (i = 0; i < a->sessions.cap; i++) {
		e = a->sessions.slot[i].value;
		if (e != NULL && !e->has_records &&
		    session_id(a, a->sessions.slot[i].key, e->created, &id) < 0)
			return -1;
	}
	return 0;
}

/*
 * One record: checked, then stored unless a line before was bad (the
 * rest are only checked).  Returns 0, -1 for a bad line (reported), -2
 * when the database failed.
 */
static int
take(struct adder *a, cJSON *rec, int bad)
{
	const char *why;
	int rv = 1;

	if ((why = check(a, rec)) != NULL) {
		jsonl_error(a->in, "%s", why);
		return -1;
	}
	if (record_type(rec) == REC_DELTA) {
		a->rep->deltas++;
		return 0;
	}
	if (bad)
		return 0;
	/*
	 * The write lock from the first good record on, not before: the
	 * writer before us in a pipe (llm-ask) may take its time.
	 */
	if (!a->in_tx && store_exec(a->db, "BEGIN IMMEDIATE") < 0)
		return -2;
	a->in_tx = 1;
	if (a->o->importing && (rv = import_meta(a, rec)) < 0)
		return rv == -2 ? -1 : -2;
	return rv == 1 && store_record(a, rec) < 0 ? -2 : 0;
}

int
ingest_run(sqlite3 *db, struct jsonl *r, const struct ingest_opts *o,
    struct ingest_report *rep)
{
	struct adder a = {
	    db, r, o, rep, {NULL}, NULL, 0, STRMAP_INIT, BUF_INIT, 0};
	cJSON *rec;
	int rv, bad = 0, failed = 0;

	memset(rep, 0, sizeof(*rep));
	rep->stored = (struct buf)BUF_INIT;
	if (adder_init(&a) < 0) {
		adder_release(&a);
		return -1;
	}
	while (!failed && (rv = jsonl_read(r, &rec)) != 0) {
		if (rv < 0 || (rv = take(&a, rec, bad)) == -1)
			bad = 1;
		failed = rv == -2;
		cJSON_Delete(rec);
	}
	if (!bad && !failed && o->importing && a.sessions.n > 0) {
		if (!a.in_tx && store_exec(db, "BEGIN IMMEDIATE") == 0)
			a.in_tx = 1;
		failed = !a.in_tx || import_empty_sessions(&a) < 0;
	}
	if (bad)
		warnx("bad input: nothing added");
	adder_release(&a);
	if (a.in_tx && !bad && !failed && o->importing)
		failed = vectors_refresh(db) < 0;
	if (a.in_tx && (bad || failed || store_exec(db, "COMMIT") < 0)) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		failed = 1;
	}
	if (bad || failed) {
		buf_reset(&rep->stored);
		return -1;
	}
	return 0;
}

void
ingest_report_release(struct ingest_report *rep)
{
	buf_release(&rep->stored);
}
