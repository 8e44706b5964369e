/* llm-memdb: an assistant's memory in SQLite: records in, context out. */
#include <ctype.h>
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "tok/count.h"
#include "db/docindex.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "db/store.h"
#include "core/util.h"

#define MAX_NAME 256 /* bytes in a session name */
#define DEFAULT_SESSION "default"
#define DEFAULT_HITS 5     /* context --hits */
#define DEFAULT_RESULTS 10 /* search -n */
/* Matches of a kind that search ranks: the newest. */
#define CANDIDATES 500

static sqlite3 *db;
static const char *db_arg; /* --db */
static char *db_default;   /* else this */

#define USAGE \
	"usage: llm-memdb [--db path] add [-s session] [--tee]\n" \
	"       llm-memdb [--db path] log -s session [--since id] [--last n]\n" \
	"       llm-memdb [--db path] context -s session [--budget n] [-m model]\n" \
	"                 [-q query] [--hits n]\n" \
	"       llm-memdb [--db path] search [-s session] [-k kind] [-n count] [--any] query ...\n" \
	"       llm-memdb [--db path] sessions\n" \
	"       llm-memdb [--db path] session new [name] | rm name | rename old new\n" \
	"       llm-memdb [--db path] facts [-s session] [--history]\n" \
	"       llm-memdb [--db path] files [-s session]\n" \
	"       llm-memdb [--db path] cost [-s session] [--by model|session|day] [--since date]\n" \
	"       llm-memdb [--db path] index [-m model] [--chunk n] path ...\n" \
	"       llm-memdb [--db path] stats | export | import\n"

void
usage(void)
{
	fputs(USAGE, stderr);
	exit(2);
}

static void
help(void)
{
	printf("%s",
	    USAGE
	    "\n"
	    "Keeps sessions, messages, summaries, facts, usage and indexed files in\n"
	    "SQLite, and gives back a session's log, the context for its next call,\n"
	    "search hits, facts, changed files and costs, as JSON lines.\n"
	    "\n"
	    "      --db PATH  the database (default $LLMPIPE_DB, else\n"
	    "                 $XDG_DATA_HOME/llmpipe/memory.db)\n"
	    "  -h, --help     this help\n"
	    "      --version  the version\n"
	    "\n"
	    "See llm-memdb(1) for each command's options.\n");
	exit_flushed(0);
}

static long
parse_number(const char *s, const char *opt)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (*s == '\0' || *end != '\0' || errno != 0 || v < 0) {
		warnx("%s: invalid number '%s'", opt, s);
		usage();
	}
	return v;
}

/* A session name is printable text: it is shown and typed in shells. */
static int
valid_name(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return n > 0 && n <= MAX_NAME;
}

static void
check_name(const char *s)
{
	if (!valid_name(s)) {
		warnx("invalid session name '%s' (1 to %d bytes, no control "
		      "characters)",
		    s, MAX_NAME);
		usage();
	}
}

static int
open_db(void)
{
	if (db_arg == NULL && (db_default = store_default_path()) == NULL) {
		warnx("no database: set --db, LLMPIPE_DB or HOME");
		return -1;
	}
	db = store_open(db_arg ? db_arg : db_default, db_arg == NULL);
	return db != NULL ? 0 : -1;
}

/* Writes a line of stored JSON; the stream is checked at exit. */
static void
put_line(const char *s)
{
	fputs(s, stdout);
	putchar('\n');
}

/* Writes rec as a line and frees it. */
static void
emit(cJSON *rec)
{
	jsonl_write(stdout, rec);
	cJSON_Delete(rec);
}

static cJSON *
new_object(void)
{
	cJSON *o = cJSON_CreateObject();

	if (o == NULL)
		errx(1, "out of memory");
	return o;
}

/* Adds the text of column i of st to o as key, or nothing if NULL. */
static void
add_column_text(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
	const char *s = (const char *)sqlite3_column_text(st, i);

	if (s != NULL)
		msg_set_string(o, key, s);
}

static void
add_column_number(cJSON *o, const char *key, sqlite3_stmt *st, int i)
{
	if (sqlite3_column_type(st, i) != SQLITE_NULL)
		msg_set_number(o, key, sqlite3_column_double(st, i));
}

/* Returns 0 after the last row of st, -1 (reported) on an error. */
static int
done(sqlite3_stmt *st, int rc)
{
	if (rc == SQLITE_DONE)
		return 0;
	store_error(sqlite3_db_handle(st), NULL);
	return -1;
}

/*
 * Runs sql with ?1 bound to text and ?2 to number.  Returns column 0 of
 * its first row as a number, 0 if it gives none, -1 (reported) on an
 * error.
 */
static sqlite3_int64
query_value(const char *sql, const char *text, sqlite3_int64 number)
{
	sqlite3_stmt *st;
	sqlite3_int64 value = 0;
	int rc;

	if ((st = store_prepare(db, sql)) == NULL)
		return -1;
	store_bind_text(st, 1, text);
	sqlite3_bind_int64(st, 2, number);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		value = sqlite3_column_int64(st, 0);
	else if (done(st, rc) < 0)
		value = -1;
	sqlite3_finalize(st);
	return value;
}

/* Returns the id of session name, 0 if there is none, -1 on an error. */
static sqlite3_int64
find_session(const char *name)
{
	return query_value("SELECT id FROM sessions WHERE name = ?1", name, 0);
}

/* As find_session, but a missing session is an error too. */
static sqlite3_int64
need_session(const char *name)
{
	sqlite3_int64 id = find_session(name);

	if (id == 0) {
		warnx("no session '%s'", name);
		return -1;
	}
	return id;
}

/* Runs st, which lists stored JSON in column 0, and prints each. */
static int
print_rows(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		put_line((const char *)sqlite3_column_text(st, 0));
	return done(st, rc);
}

/*
 * Identifiers and times
 */

/* Writes the current UTC time, RFC 3339 to the millisecond, to out. */
static void
now_rfc3339(char out[32])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, 13, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

/*
 * Writes a new ULID to out: 48 bits of milliseconds and 80 random bits,
 * in Crockford's base 32, so ids sort by time.  Within a process the
 * random part counts up, so ids stay unique and ordered in a millisecond.
 */
static void
new_ulid(char out[27])
{
	static const char digits[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	static unsigned char rnd[10];
	static int seeded;
	struct timespec ts;
	uint64_t ms;
	int i, bit;

	if (!seeded && getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		err(1, "getrandom");
	seeded = 1;
	for (i = 9; i >= 0 && ++rnd[i] == 0; i--)
		;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 9; i >= 0; i--, ms >>= 5)
		out[i] = digits[ms & 31];
	for (i = 0; i < 16; i++) {
		bit = i * 5;
		out[10 + i] =
		    digits[(((rnd[bit / 8] << 8) |
				(bit / 8 + 1 < 10 ? rnd[bit / 8 + 1] : 0)) >>
			       (11 - bit % 8)) &
			31];
	}
	out[26] = '\0';
}

/* RFC 3339: 2025-01-02T03:04:05, a fraction, then Z or an offset. */
static int
valid_ts(const char *s)
{
	static const char pattern[] = "dddd-dd-ddTdd:dd:dd";
	int i;

	for (i = 0; pattern[i] != '\0'; i++) {
		if (pattern[i] == 'd' ? !isdigit((unsigned char)s[i])
				      : s[i] != pattern[i] &&
			    !(pattern[i] == 'T' && s[i] == 't'))
			return 0;
	}
	s += i;
	if (*s == '.' && isdigit((unsigned char)s[1]))
		for (s++; isdigit((unsigned char)*s); s++)
			;
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	return (*s == '+' || *s == '-') && isdigit((unsigned char)s[1]) &&
	    isdigit((unsigned char)s[2]) && s[3] == ':' &&
	    isdigit((unsigned char)s[4]) && isdigit((unsigned char)s[5]) &&
	    s[6] == '\0';
}

/*
 * add and import
 */

enum {
	Q_SESSION_FIND,
	Q_SESSION_ADD,
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

static const char *const add_sql[NQUERIES] = {
    [Q_SESSION_FIND] = "SELECT id FROM sessions WHERE name = ?",
    [Q_SESSION_ADD] = "INSERT INTO sessions(name, created) VALUES (?, ?)"
		      " ON CONFLICT DO NOTHING",
    [Q_RECORD] = "INSERT INTO records(id, session, type, ts, json)"
		 " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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
		" output_tokens, cached_tokens, cost_usd, latency_ms)"
		" VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    [Q_FILE_ADD] = "INSERT INTO files(path, size, mtime, hash)"
		   " VALUES (?, ?, ?, ?) ON CONFLICT DO UPDATE SET"
		   " size = excluded.size, mtime = excluded.mtime,"
		   " hash = excluded.hash RETURNING id",
    [Q_DOC_ADD] = "INSERT INTO docs(file, chunk, first_line, last_line, hash)"
		  " SELECT id, ?2, ?3, ?4, ?5 FROM files WHERE path = ?1"
		  " ON CONFLICT DO NOTHING",
    [Q_DOC_TEXT] = "INSERT INTO docs_fts(rowid, content) VALUES (?, ?)",
};

/* The state of an add or an import. */
struct adder {
	struct jsonl in;
	sqlite3_stmt *q[NQUERIES];
	const char *session;   /* for records without one */
	char *last_name;       /* the session last looked up, */
	sqlite3_int64 last_id; /* and its id */
	struct buf text;
	struct buf tee; /* --tee: lines to pass on once committed */
	int tee_on, importing, in_tx;
};

static int
adder_init(struct adder *a)
{
	int i;

	memset(a, 0, sizeof(*a));
	jsonl_init(&a->in, stdin);
	for (i = 0; i < NQUERIES; i++)
		if ((a->q[i] = store_prepare(db, add_sql[i])) == NULL)
			return -1;
	return 0;
}

static void
adder_release(struct adder *a)
{
	int i;

	for (i = 0; i < NQUERIES; i++)
		sqlite3_finalize(a->q[i]);
	free(a->last_name);
	buf_release(&a->text);
	buf_release(&a->tee);
	jsonl_release(&a->in);
}

/*
 * Returns the id of the session called name in *id, creating it (with
 * the time created, else now) if it is new.
 */
static int
session_id(
    struct adder *a, const char *name, const char *created, sqlite3_int64 *id)
{
	char now[32];

	if (a->last_name != NULL && strcmp(a->last_name, name) == 0) {
		*id = a->last_id;
		return 0;
	}
	if (created == NULL) {
		now_rfc3339(now);
		created = now;
	}
	store_bind_text(a->q[Q_SESSION_ADD], 1, name);
	store_bind_text(a->q[Q_SESSION_ADD], 2, created);
	store_bind_text(a->q[Q_SESSION_FIND], 1, name);
	if (store_run(a->q[Q_SESSION_ADD]) < 0 ||
	    store_step_value(a->q[Q_SESSION_FIND], id) < 0)
		return -1;
	free(a->last_name);
	a->last_name = xmalloc(strlen(name) + 1);
	strcpy(a->last_name, name);
	a->last_id = *id;
	return 0;
}

static int
is_count(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble <= 9e15 && v->valuedouble == floor(v->valuedouble);
}

static int
optional_string(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return v == NULL || cJSON_IsString(v);
}

/* Returns why usage and cost_usd are malformed, or NULL. */
static const char *
check_usage(const cJSON *rec)
{
	static const char *const counts[] = {
	    "input_tokens", "output_tokens", "cached_tokens"};
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "usage"), *v;
	size_t i;

	if (u != NULL && !cJSON_IsObject(u))
		return "'usage' is not an object";
	for (i = 0; u != NULL && i < sizeof(counts) / sizeof(counts[0]); i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(u, counts[i])) !=
			NULL &&
		    !is_count(v))
			return "'usage' holds a token count that is not a "
			       "whole number";
	v = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");
	if (v != NULL && !(cJSON_IsNumber(v) && v->valuedouble >= 0))
		return "'cost_usd' is not a number";
	v = cJSON_GetObjectItemCaseSensitive(rec, "latency_ms");
	if (v != NULL && !cJSON_IsNumber(v))
		return "'latency_ms' is not a number";
	return NULL;
}

static const char *
check_fact(const cJSON *rec)
{
	const char *kind = msg_str(rec, "kind"), *op = msg_str(rec, "op");

	if (kind == NULL || kind[0] == '\0')
		return "a fact needs a 'kind'";
	if (!optional_string(rec, "op") ||
	    (op != NULL && strcmp(op, "add") != 0 &&
		strcmp(op, "update") != 0 && strcmp(op, "delete") != 0))
		return "a fact's 'op' is not add, update or delete";
	if (!optional_string(rec, "subject") || !optional_string(rec, "source"))
		return "a fact's 'subject' and 'source' must be strings";
	if (!optional_string(rec, "content"))
		return "a fact's 'content' is not a string";
	if (msg_str(rec, "subject") == NULL && msg_str(rec, "content") == NULL)
		return "a fact needs a 'subject' or a 'content'";
	return NULL;
}

static const char *
check_message(const cJSON *rec)
{
	static const char *const roles[] = {
	    "system", "user", "assistant", "tool", "developer"};
	const char *role = msg_str(rec, "role");
	size_t i;

	if (role == NULL)
		return "a message needs a 'role' (or a record a 'type')";
	for (i = 0; i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return NULL;
	return "a message's 'role' is not system, user, assistant, tool or "
	       "developer";
}

/* Returns why rec cannot be stored, or NULL if it can. */
static const char *
check_record(const struct adder *a, const cJSON *rec, struct buf *text)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
	const char *why = NULL, *s;

	if (type != NULL &&
	    (!cJSON_IsString(type) || type->valuestring[0] == '\0'))
		return "'type' is not a string";
	if (type != NULL && !a->importing &&
	    strncmp(type->valuestring, "memdb.", 6) == 0)
		return "the types 'memdb.*' are kept for export";
	if (!optional_string(rec, "id") ||
	    ((s = msg_str(rec, "id")) != NULL && s[0] == '\0'))
		return "'id' is not a string";
	if (!optional_string(rec, "session") ||
	    ((s = msg_str(rec, "session")) != NULL && !valid_name(s)))
		return "'session' is not a valid session name";
	if (!optional_string(rec, "ts") ||
	    ((s = msg_str(rec, "ts")) != NULL && !valid_ts(s)))
		return "'ts' is not an RFC 3339 time";
	if ((why = check_usage(rec)) != NULL)
		return why;
	buf_reset(text);
	if (msg_content(rec, text, &why) < 0)
		return why;
	if (type == NULL)
		return check_message(rec);
	if (strcmp(type->valuestring, "fact") == 0)
		return check_fact(rec);
	if (strcmp(type->valuestring, "summary") == 0 &&
	    msg_str(rec, "content") == NULL)
		return "a summary's 'content' is not a string";
	return NULL;
}

/* Returns the number v holds, or 0. */
static sqlite3_int64
whole_number(const cJSON *v)
{
	return cJSON_IsNumber(v) ? (sqlite3_int64)v->valuedouble : 0;
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

static int
add_message(struct adder *a, sqlite3_int64 seq, const cJSON *rec)
{
	sqlite3_stmt *q = a->q[Q_MESSAGE], *t = a->q[Q_MESSAGE_TEXT];

	sqlite3_bind_int64(q, 1, seq);
	store_bind_text(q, 2, msg_str(rec, "role"));
	store_bind_text(q, 3, msg_str(rec, "model"));
	bind_number_or_null(q, 4, rec, "tokens");
	if (store_run(q) < 0)
		return -1;
	if (a->text.len == 0)
		return 0;
	sqlite3_bind_int64(t, 1, seq);
	sqlite3_bind_text(t, 2, a->text.s, (int)a->text.len, SQLITE_STATIC);
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
	store_bind_text(t, 2, msg_str(rec, "content"));
	return store_run(q) < 0 ? -1 : store_run(t);
}

/*
 * A file_created or file_modified fact (file_deleted, or any file fact
 * with op delete, removes) records a change to the file it names.
 */
static int
add_file_change(struct adder *a, sqlite3_int64 seq, const cJSON *rec)
{
	const char *kind = msg_str(rec, "kind"), *op = msg_str(rec, "op");
	const char *path = msg_str(rec, "subject");
	sqlite3_stmt *q = a->q[Q_FILE_CHANGE];

	if (strncmp(kind, "file_", 5) != 0 || path == NULL)
		return 0;
	sqlite3_bind_int64(q, 1, seq);
	store_bind_text(q, 2, path);
	store_bind_text(q, 3,
	    op != NULL && strcmp(op, "delete") == 0 ? "deleted" : kind + 5);
	return store_run(q);
}

/*
 * A fact is known by its kind and subject (by its content when it has
 * none): add and update set its current state, delete ends it.
 */
static int
add_fact(
    struct adder *a, sqlite3_int64 seq, sqlite3_int64 session, const cJSON *rec)
{
	const char *op = msg_str(rec, "op"), *subject = msg_str(rec, "subject");
	const char *content = msg_str(rec, "content");
	const char *key = subject != NULL ? subject : content;
	sqlite3_stmt *q = a->q[Q_FACT_OP];
	sqlite3_int64 id;
	int del = op != NULL && strcmp(op, "delete") == 0;

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
	store_bind_text(q, 3, key);
	if (del)
		return store_run(q);
	sqlite3_bind_int64(q, 4, seq);
	if (store_step_value(q, &id) < 0)
		return -1;
	sqlite3_bind_int64(a->q[Q_FACT_UNTEXT], 1, id);
	q = a->q[Q_FACT_TEXT];
	sqlite3_bind_int64(q, 1, id);
	store_bind_text(q, 2, subject);
	store_bind_text(q, 3, content);
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
	return store_run(q);
}

/* Gives rec the id, session and time it lacks, as new fields at its end. */
static void
complete_record(struct adder *a, cJSON *rec)
{
	char buf[32];

	if (msg_str(rec, "id") == NULL) {
		new_ulid(buf);
		msg_set_string(rec, "id", buf);
	}
	if (msg_str(rec, "session") == NULL)
		msg_set_string(rec, "session", a->session);
	if (msg_str(rec, "ts") == NULL) {
		now_rfc3339(buf);
		msg_set_string(rec, "ts", buf);
	}
}

/*
 * Stores a checked record in the log and the tables of its kind; a
 * record whose id is already there is left as it is.  Returns 0 or -1
 * (reported).
 */
static int
store_record(struct adder *a, cJSON *rec)
{
	const char *type = msg_str(rec, "type");
	sqlite3_stmt *q = a->q[Q_RECORD];
	sqlite3_int64 session, seq;
	char *json;
	int rv;

	complete_record(a, rec);
	if (session_id(a, msg_str(rec, "session"), NULL, &session) < 0)
		return -1;
	if ((json = cJSON_PrintUnformatted(rec)) == NULL)
		errx(1, "out of memory");
	store_bind_text(q, 1, msg_str(rec, "id"));
	sqlite3_bind_int64(q, 2, session);
	store_bind_text(q, 3, type != NULL ? type : "message");
	store_bind_text(q, 4, msg_str(rec, "ts"));
	store_bind_text(q, 5, json);
	rv = store_run(q);
	if (a->tee_on) {
		buf_addstr(&a->tee, json);
		buf_add(&a->tee, "\n", 1);
	}
	cJSON_free(json);
	if (rv < 0 || sqlite3_changes(db) == 0)
		return rv;
	seq = sqlite3_last_insert_rowid(db);
	if (type == NULL)
		rv = add_message(a, seq, rec);
	else if (strcmp(type, "summary") == 0)
		rv = add_summary(a, seq, rec);
	else if (strcmp(type, "fact") == 0)
		rv = add_fact(a, seq, session, rec);
	return rv < 0 ? -1 : add_usage(a, seq, rec);
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
	if (sqlite3_changes(db) == 0)
		return 0;
	sqlite3_bind_int64(t, 1, sqlite3_last_insert_rowid(db));
	store_bind_text(t, 2, msg_str(rec, "content"));
	return store_run(t);
}

/*
 * import: the lines of export that are not records.  Returns 0, 1 if rec
 * is a record, -1 (reported) on a database error, -2 (reported) for a
 * bad line.
 */
static int
import_meta(struct adder *a, const cJSON *rec)
{
	const char *type = msg_str(rec, "type");
	const char *name = msg_str(rec, "name");
	sqlite3_int64 id;

	if (type == NULL || strncmp(type, "memdb.", 6) != 0)
		return 1;
	if (strcmp(type, "memdb.session") == 0 && name != NULL &&
	    valid_name(name) && msg_str(rec, "created") != NULL)
		return session_id(a, name, msg_str(rec, "created"), &id);
	if (strcmp(type, "memdb.file") == 0 && msg_str(rec, "path") &&
	    msg_str(rec, "hash"))
		return import_file(a, rec);
	if (strcmp(type, "memdb.doc") == 0 && msg_str(rec, "path") &&
	    msg_str(rec, "hash") && msg_str(rec, "content"))
		return import_doc(a, rec);
	jsonl_error(&a->in, "not a line of llm-memdb export");
	return -2;
}

/* Reads records until the end; returns the exit status. */
static int
add_all(struct adder *a)
{
	cJSON *rec;
	const char *why;
	int rv, bad = 0, failed = 0;

	while (!failed && (rv = jsonl_read(&a->in, &rec)) != 0) {
		if (rv < 0) {
			bad++;
			continue;
		}
		if ((why = check_record(a, rec, &a->text)) != NULL) {
			jsonl_error(&a->in, "%s", why);
			bad++;
		} else if (bad == 0) {
			if (!a->in_tx && store_exec(db, "BEGIN IMMEDIATE") == 0)
				a->in_tx = 1;
			rv = a->in_tx && a->importing ? import_meta(a, rec) : 1;
			if (rv == -2)
				bad++;
			else if (rv < 0 ||
			    (rv == 1 && store_record(a, rec) < 0))
				failed = 1;
		}
		cJSON_Delete(rec);
		failed |= !a->in_tx && bad == 0;
	}
	if (bad > 0)
		warnx("bad input: nothing added");
	if (a->in_tx && (bad > 0 || failed))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	else if (a->in_tx && store_exec(db, "COMMIT") < 0)
		failed = 1;
	if (bad == 0 && !failed && a->tee.len > 0)
		fwrite(a->tee.s, 1, a->tee.len, stdout);
	return bad > 0 || failed;
}

static int
cmd_add(int argc, char *argv[])
{
	enum { OPT_TEE = 256 };
	static const struct option opts[] = {
	    {"session", required_argument, NULL, 's'},
	    {"tee", no_argument, NULL, OPT_TEE},
	    {NULL, 0, NULL, 0},
	};
	struct adder a;
	const char *session = DEFAULT_SESSION;
	int ch, tee = 0, status = 1;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			check_name(optarg);
			session = optarg;
			break;
		case OPT_TEE:
			tee = 1;
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		usage();
	if (open_db() < 0)
		return 1;
	if (adder_init(&a) == 0) {
		a.session = session;
		a.tee_on = tee;
		status = add_all(&a);
	}
	adder_release(&a);
	return status;
}

/* Rejects options and operands of a command that takes none. */
static void
no_arguments(int argc, char *argv[])
{
	static const struct option opts[] = {{NULL, 0, NULL, 0}};

	if (getopt_long(argc, argv, "", opts, NULL) != -1 || optind < argc)
		usage();
}

static int
cmd_import(int argc, char *argv[])
{
	struct adder a;
	int status = 1;

	no_arguments(argc, argv);
	if (open_db() < 0)
		return 1;
	if (adder_init(&a) == 0) {
		a.session = DEFAULT_SESSION;
		a.importing = 1;
		status = add_all(&a);
	}
	adder_release(&a);
	return status;
}

/*
 * Reading
 */

/* Builds an object from a row, a field for each column not NULL. */
static cJSON *
row_object(sqlite3_stmt *st)
{
	cJSON *o = new_object();
	const char *name;
	int i;

	for (i = 0; i < sqlite3_column_count(st); i++) {
		name = sqlite3_column_name(st, i);
		switch (sqlite3_column_type(st, i)) {
		case SQLITE_INTEGER:
		case SQLITE_FLOAT:
			add_column_number(o, name, st, i);
			break;
		case SQLITE_TEXT:
			add_column_text(o, name, st, i);
			break;
		default:
			break;
		}
	}
	return o;
}

/* Runs st and prints each row as an object (see row_object). */
static int
print_objects(sqlite3_stmt *st)
{
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit(row_object(st));
	return done(st, rc);
}

/*
 * Prepares sql, binds text (if any) to ?1 and number to ?2, and prints
 * its rows: stored JSON when json is set, else objects.
 */
static int
query_print(const char *sql, const char *text, sqlite3_int64 number, int json)
{
	sqlite3_stmt *st;
	int rv;

	if ((st = store_prepare(db, sql)) == NULL)
		return -1;
	store_bind_text(st, 1, text);
	sqlite3_bind_int64(st, 2, number);
	rv = json ? print_rows(st) : print_objects(st);
	sqlite3_finalize(st);
	return rv;
}

/* Returns the seq of record id of session, 0 if absent, -1 on error. */
static sqlite3_int64
find_record(sqlite3_int64 session, const char *id)
{
	return query_value(
	    "SELECT seq FROM records WHERE id = ?1 AND session = ?2", id,
	    session);
}

static int
cmd_log(int argc, char *argv[])
{
	enum { OPT_LAST = 256, OPT_SINCE };
	static const struct option opts[] = {
	    {"last", required_argument, NULL, OPT_LAST},
	    {"session", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {NULL, 0, NULL, 0},
	};
	const char *session = NULL, *since = NULL;
	sqlite3_int64 id, after = 0;
	sqlite3_stmt *st;
	long last = -1;
	int ch, rv;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			session = optarg;
			break;
		case OPT_LAST:
			last = parse_number(optarg, "--last");
			break;
		case OPT_SINCE:
			since = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind < argc || session == NULL)
		usage();
	if (open_db() < 0 || (id = need_session(session)) < 0)
		return 1;
	if (since != NULL && (after = find_record(id, since)) <= 0) {
		if (after == 0)
			warnx("no record '%s' in session '%s'", since, session);
		return 1;
	}
	st = store_prepare(db,
	    "SELECT json FROM (SELECT seq, json FROM records"
	    " WHERE session = ?1 AND seq > ?2 ORDER BY seq DESC LIMIT ?3)"
	    " ORDER BY seq");
	if (st == NULL)
		return 1;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, after);
	sqlite3_bind_int64(st, 3, last);
	rv = print_rows(st);
	sqlite3_finalize(st);
	return rv < 0;
}

static int
cmd_sessions(int argc, char *argv[])
{
	no_arguments(argc, argv);
	if (open_db() < 0)
		return 1;
	return query_print(
		   "SELECT name AS session, created,"
		   " (SELECT count(*) FROM records WHERE session = s.id) AS records,"
		   " (SELECT ts FROM records WHERE session = s.id"
		   "  ORDER BY seq DESC LIMIT 1) AS last"
		   " FROM sessions s ORDER BY id",
		   NULL, 0, 0) < 0;
}

static int
session_new(const char *name)
{
	char id[27], now[32];
	sqlite3_stmt *st;
	cJSON *o;
	int rv;

	if (name == NULL) {
		new_ulid(id);
		name = id;
	}
	now_rfc3339(now);
	st = store_prepare(db,
	    "INSERT INTO sessions(name, created) VALUES (?, ?)"
	    " ON CONFLICT DO NOTHING");
	if (st == NULL)
		return -1;
	store_bind_text(st, 1, name);
	store_bind_text(st, 2, now);
	rv = store_run(st);
	sqlite3_finalize(st);
	if (rv == 0 && sqlite3_changes(db) == 0) {
		warnx("session '%s' exists", name);
		return -1;
	}
	if (rv == 0) {
		o = new_object();
		msg_set_string(o, "session", name);
		msg_set_string(o, "created", now);
		emit(o);
	}
	return rv;
}

/* The name is in each record's JSON too, where log and export find it. */
static int
session_rename(const char *from, const char *to)
{
	sqlite3_int64 id;

	if (store_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	if ((id = find_session(to)) > 0) {
		warnx("session '%s' exists", to);
		id = -1;
	}
	if (id == 0 && (id = need_session(from)) > 0 &&
	    query_value(
		"UPDATE sessions SET name = ?1 WHERE id = ?2", to, id) == 0 &&
	    query_value("UPDATE records SET json = json_replace(json,"
			" '$.session', ?1) WHERE session = ?2",
		to, id) == 0)
		return store_exec(db, "COMMIT");
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

static int
cmd_session(int argc, char *argv[])
{
	const char *verb = argc > 1 ? argv[1] : "";
	sqlite3_int64 id;

	if (strcmp(verb, "new") == 0 && argc <= 3) {
		if (argc == 3)
			check_name(argv[2]);
	} else if (strcmp(verb, "rm") == 0 && argc == 3) {
		check_name(argv[2]);
	} else if (strcmp(verb, "rename") == 0 && argc == 4) {
		check_name(argv[2]);
		check_name(argv[3]);
	} else {
		usage();
	}
	if (open_db() < 0)
		return 1;
	if (strcmp(verb, "new") == 0)
		return session_new(argc == 3 ? argv[2] : NULL) < 0;
	if (strcmp(verb, "rename") == 0)
		return session_rename(argv[2], argv[3]) < 0;
	/* Its records, their derived rows and search text go with it. */
	return (id = need_session(argv[2])) < 0 ||
	    query_value("DELETE FROM sessions WHERE id = ?2", NULL, id) < 0;
}

/* Parses -s for the commands whose only option it is, with more. */
static int
cmd_facts(int argc, char *argv[])
{
	enum { OPT_HISTORY = 256 };
	static const struct option opts[] = {
	    {"history", no_argument, NULL, OPT_HISTORY},
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *session = NULL;
	int ch, history = 0;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (ch == 's')
			session = optarg;
		else if (ch == OPT_HISTORY)
			history = 1;
		else
			usage();
	}
	if (optind < argc)
		usage();
	if (open_db() < 0 || (session != NULL && need_session(session) < 0))
		return 1;
	if (history)
		return query_print(
			   "SELECT json FROM records WHERE type = 'fact' AND (?1 IS NULL"
			   " OR session = (SELECT id FROM sessions WHERE name = ?1))"
			   " ORDER BY seq",
			   session, 0, 1) < 0;
	return query_print(
		   "SELECT r.json FROM facts f JOIN records r ON r.seq = f.seq"
		   " WHERE ?1 IS NULL OR f.session ="
		   " (SELECT id FROM sessions WHERE name = ?1) ORDER BY f.seq",
		   session, 0, 1) < 0;
}

/* Parses the -s of a command whose only option it is. */
static const char *
session_option(int argc, char *argv[])
{
	static const struct option opts[] = {
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *session = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		if (ch != 's')
			usage();
		session = optarg;
	}
	if (optind < argc)
		usage();
	return session;
}

static int
cmd_files(int argc, char *argv[])
{
	const char *session = session_option(argc, argv);

	if (open_db() < 0 || (session != NULL && need_session(session) < 0))
		return 1;
	/* SQLite takes the bare columns from the row where max() is. */
	return query_print(
		   "SELECT session, path, change, ts, changes FROM ("
		   " SELECT s.name AS session, c.path, c.change, r.ts,"
		   " count(*) AS changes, max(c.seq) AS seq"
		   " FROM file_changes c JOIN records r ON r.seq = c.seq"
		   " JOIN sessions s ON s.id = r.session"
		   " WHERE ?1 IS NULL OR s.name = ?1"
		   " GROUP BY r.session, c.path) ORDER BY seq",
		   session, 0, 0) < 0;
}

static int
cmd_stats(int argc, char *argv[])
{
	no_arguments(argc, argv);
	if (open_db() < 0)
		return 1;
	return query_print(
		   "SELECT ?2 AS schema,"
		   " (SELECT count(*) FROM sessions) AS sessions,"
		   " (SELECT count(*) FROM records) AS records,"
		   " (SELECT count(*) FROM messages) AS messages,"
		   " (SELECT count(*) FROM summaries) AS summaries,"
		   " (SELECT count(*) FROM facts) AS facts,"
		   " (SELECT count(*) FROM fact_ops) AS fact_ops,"
		   " (SELECT count(*) FROM usage) AS calls,"
		   " (SELECT count(*) FROM files) AS files,"
		   " (SELECT count(*) FROM docs) AS docs,"
		   " (SELECT page_count * page_size FROM pragma_page_count(),"
		   "  pragma_page_size()) AS bytes",
		   NULL, STORE_VERSION, 0) < 0;
}

/*
 * export: the whole database as lines that import reads back: sessions,
 * then the records as added, then the index.  What is derived from the
 * records (facts, usage, file changes, search) is derived again.
 */
static int
cmd_export(int argc, char *argv[])
{
	static const char *const parts[] = {
	    "SELECT json_object('type', 'memdb.session', 'name', name,"
	    " 'created', created) FROM sessions ORDER BY id",
	    "SELECT json FROM records ORDER BY seq",
	    "SELECT json_object('type', 'memdb.file', 'path', path, 'size',"
	    " size, 'mtime', mtime, 'hash', hash) FROM files ORDER BY id",
	    "SELECT json_object('type', 'memdb.doc', 'path', f.path, 'chunk',"
	    " d.chunk, 'lines', json_array(d.first_line, d.last_line), 'hash',"
	    " d.hash, 'content', t.content) FROM docs d"
	    " JOIN files f ON f.id = d.file JOIN docs_fts t ON t.rowid = d.id"
	    " ORDER BY f.id, d.chunk",
	};
	size_t i;
	int rv = 0;

	no_arguments(argc, argv);
	if (open_db() < 0)
		return 1;
	/* One read transaction: a consistent copy while writers go on. */
	if (store_exec(db, "BEGIN") < 0)
		return 1;
	for (i = 0; rv == 0 && i < sizeof(parts) / sizeof(parts[0]); i++)
		rv = query_print(parts[i], NULL, 0, 1);
	sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
	return rv < 0;
}

/* A date as --since takes it: 2025-01-02, or an RFC 3339 time. */
static int
valid_date(const char *s)
{
	char t[40];

	if (strlen(s) == 10) {
		snprintf(t, sizeof(t), "%sT00:00:00Z", s);
		return valid_ts(t);
	}
	return valid_ts(s);
}

static int
cmd_cost(int argc, char *argv[])
{
	enum { OPT_BY = 256, OPT_SINCE };
	static const struct option opts[] = {
	    {"by", required_argument, NULL, OPT_BY},
	    {"session", required_argument, NULL, 's'},
	    {"since", required_argument, NULL, OPT_SINCE},
	    {NULL, 0, NULL, 0},
	};
	static const char *const groups[][2] = {
	    {"model", "u.model AS model,"},
	    {"session", "s.name AS session,"},
	    {"day", "date(r.ts) AS day,"},
	};
	const char *session = NULL, *since = NULL, *group = "";
	char sql[1024];
	sqlite3_stmt *st;
	size_t i;
	int ch, rv;

	while ((ch = getopt_long(argc, argv, "s:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			session = optarg;
			break;
		case OPT_BY:
			for (i = 0; i < 3 && strcmp(optarg, groups[i][0]); i++)
				;
			if (i == 3) {
				warnx("--by: not model, session or day: '%s'",
				    optarg);
				usage();
			}
			group = groups[i][1];
			break;
		case OPT_SINCE:
			if (!valid_date(optarg)) {
				warnx("--since: not a date: '%s'", optarg);
				usage();
			}
			since = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind < argc)
		usage();
	if (open_db() < 0 || (session != NULL && need_session(session) < 0))
		return 1;
	snprintf(sql, sizeof(sql),
	    "SELECT %s count(*) AS calls,"
	    " coalesce(sum(u.input_tokens), 0) AS input_tokens,"
	    " coalesce(sum(u.output_tokens), 0) AS output_tokens,"
	    " coalesce(sum(u.cached_tokens), 0) AS cached_tokens,"
	    " round(coalesce(sum(u.cost_usd), 0), 9) AS cost_usd"
	    " FROM usage u JOIN records r ON r.seq = u.seq"
	    " JOIN sessions s ON s.id = r.session"
	    " WHERE (?1 IS NULL OR s.name = ?1)"
	    " AND (?2 IS NULL OR unixepoch(r.ts) >= unixepoch(?2))"
	    " %s ORDER BY 1",
	    group, group[0] != '\0' ? "GROUP BY 1" : "");
	if ((st = store_prepare(db, sql)) == NULL)
		return 1;
	store_bind_text(st, 1, session);
	store_bind_text(st, 2, since);
	rv = print_objects(st);
	sqlite3_finalize(st);
	return rv < 0;
}

/*
 * Search
 */

enum { K_MESSAGE = 1, K_SUMMARY = 2, K_FACT = 4, K_DOC = 8, K_ALL = 15 };
enum scope { ANY_SESSION, THE_SESSION, OTHER_SESSIONS };

/*
 * Where each kind's text is searched, and how a hit becomes the columns
 * of a result:
 * - fts: its FTS5 table, whose rowid a hit is;
 * - in_session: a condition true when that row is in session :session,
 *   read from an index so that testing thousands of rows reads few
 *   pages (NULL: the kind has no session);
 * - session_rows: a rowid range that holds the session's rows, which
 *   FTS5 can seek to (NULL: none);
 * - columns: the session, id, chunk and first and last line of the row,
 *   from hits and the joins that follow;
 * - snippet_column: the column that snippet() takes;
 * - text: the row's whole text.
 */
static const struct kind {
	const char *name;
	unsigned bit;
	const char *fts, *in_session, *session_rows, *columns, *joins,
	    *snippet_column, *text;
} kinds[] = {
    {"message", K_MESSAGE, "messages_fts",
	"EXISTS (SELECT 1 FROM records INDEXED BY records_by_session"
	" WHERE session = :session AND seq = messages_fts.rowid)",
	"messages_fts.rowid BETWEEN (SELECT min(seq) FROM records WHERE"
	" session = :session) AND (SELECT max(seq) FROM records WHERE"
	" session = :session)",
	"r.session AS session, r.id AS id, NULL AS chunk, NULL AS first,"
	" NULL AS last",
	" JOIN records r ON r.seq = row", "0", "content"},
    {"summary", K_SUMMARY, "summaries_fts",
	"EXISTS (SELECT 1 FROM records INDEXED BY records_by_session"
	" WHERE session = :session AND seq = summaries_fts.rowid)",
	"summaries_fts.rowid BETWEEN (SELECT min(seq) FROM records WHERE"
	" session = :session) AND (SELECT max(seq) FROM records WHERE"
	" session = :session)",
	"r.session AS session, r.id AS id, NULL AS chunk, NULL AS first,"
	" NULL AS last",
	" JOIN records r ON r.seq = row", "0", "content"},
    {"fact", K_FACT, "facts_fts",
	"EXISTS (SELECT 1 FROM facts WHERE id = facts_fts.rowid"
	" AND session = :session)",
	NULL,
	"r.session AS session, r.id AS id, NULL AS chunk, NULL AS first,"
	" NULL AS last",
	" JOIN facts f ON f.id = row JOIN records r ON r.seq = f.seq", "-1",
	"coalesce(subject || ': ', '') || coalesce(content, '')"},
    {"doc", K_DOC, "docs_fts", NULL, NULL,
	"NULL AS session, f.path AS id, d.chunk AS chunk, d.first_line AS"
	" first, d.last_line AS last",
	" JOIN docs d ON d.id = row JOIN files f ON f.id = d.file", "0",
	"content"},
};

#define NKINDS (sizeof(kinds) / sizeof(kinds[0]))

/* The columns of a hit. */
enum {
	H_KIND,
	H_SCORE,
	H_SESSION,
	H_ID,
	H_CHUNK,
	H_FIRST,
	H_LAST,
	H_SNIPPET,
	H_CONTENT
};

/*
 * Appends the best hits of a kind in the scope: the newest matches, up
 * to CANDIDATES, scored, and the best :limit of those made into results.
 * Ordered by score, FTS5 would score every match, which for a word in
 * half of a million records takes a second; newest first it reads only
 * as many as it returns.  The snippet and the text are made for those
 * best only.
 */
static void
add_kind_hits(struct buf *sql, const struct kind *k, enum scope scope)
{
	/*
	 * rank_bm25 (see rank.h) rather than bm25(), which weighs a word by
	 * counting every row it is in: 15 ms a word in half of a million
	 * rows.  It is given the table's rowid range for its estimate.
	 */
	buf_printf(sql,
	    "SELECT * FROM (WITH hits AS (SELECT * FROM (SELECT rank_bm25(%s,"
	    " (SELECT rowid FROM %s ORDER BY rowid LIMIT 1), (SELECT rowid"
	    " FROM %s ORDER BY rowid DESC LIMIT 1), :limit) AS score,"
	    " rowid AS row FROM %s WHERE %s MATCH :%s",
	    k->fts, k->fts, k->fts, k->fts, k->fts, k->name);
	if (scope == THE_SESSION && k->session_rows != NULL)
		buf_printf(sql, " AND %s", k->session_rows);
	if (scope != ANY_SESSION && k->in_session != NULL)
		buf_printf(sql, " AND %s%s",
		    scope == OTHER_SESSIONS ? "NOT " : "", k->in_session);
	buf_printf(sql,
	    " ORDER BY rowid DESC LIMIT %d) ORDER BY score LIMIT :limit)"
	    " SELECT '%s' AS kind, score, %s, (SELECT snippet(%s, %s, '[',"
	    " ']', '…', 16) FROM %s WHERE %s MATCH :%s AND rowid = row) AS"
	    " snippet, (SELECT %s FROM %s WHERE rowid = row) AS text"
	    " FROM hits%s)",
	    CANDIDATES, k->name, k->columns, k->fts, k->snippet_column, k->fts,
	    k->fts, k->name, k->text, k->fts, k->joins);
}

/*
 * Prepares the query for the best hits of the kinds in the scope, best
 * first: :message, :summary, :fact and :doc the FTS5 query of each kind
 * (see bind_query), :limit the number of hits, :session the session's
 * id.  The caller finalizes it.
 */
static sqlite3_stmt *
prepare_hits(unsigned mask, enum scope scope)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st;
	size_t i;

	buf_addstr(&sql,
	    "SELECT kind, -score, (SELECT name FROM sessions WHERE"
	    " id = session), id, chunk, first, last, snippet, text"
	    " FROM (");
	for (i = 0; i < NKINDS; i++) {
		if (!(mask & kinds[i].bit) ||
		    (kinds[i].in_session == NULL && scope == THE_SESSION))
			continue;
		if (sql.s[sql.len - 1] != '(')
			buf_addstr(&sql, " UNION ALL ");
		add_kind_hits(&sql, &kinds[i], scope);
	}
	buf_addstr(&sql, ") ORDER BY score LIMIT :limit");
	st = store_prepare(db, sql.s);
	buf_release(&sql);
	return st;
}

/*
 * What to search for: words, each a quoted FTS5 string (with '"'
 * doubled), so that no character of the user's is FTS5 syntax; all of
 * them wanted, or any.
 */
struct query {
	char **words;
	size_t n, cap;
	int any;
};

/* Adds the whitespace-separated words of text to q. */
static void
query_add(struct query *q, const char *text)
{
	struct buf word = BUF_INIT;
	const char *p = text;
	size_t n;

	for (;;) {
		p += strspn(p, " \t\r\n\f\v");
		if (*p == '\0')
			break;
		buf_reset(&word);
		buf_add(&word, "\"", 1);
		for (n = strcspn(p, " \t\r\n\f\v"); n > 0; n--, p++) {
			if (*p == '"')
				buf_add(&word, "\"", 1);
			buf_add(&word, p, 1);
		}
		buf_add(&word, "\"", 1);
		if (q->n == q->cap)
			q->words = xreallocarray(q->words,
			    q->cap = q->cap ? 2 * q->cap : 8, sizeof(char *));
		q->words[q->n++] = xstrdup(word.s);
	}
	buf_release(&word);
}

static void
query_release(struct query *q)
{
	while (q->n > 0)
		free(q->words[--q->n]);
	free(q->words);
}

/*
 * Finds whether word is too common in kind k to choose hits by: its
 * newest CANDIDATES matches lie in the kind's newest 10 * CANDIDATES
 * rowids, so that in an any-word query it would fill the ranked matches
 * by itself, crowding out the records that hold the rarer words.  Its
 * weight in BM25 is small anyway (a word in a tenth of the rows weighs
 * under a third of one in a thousandth).  Returns 0 or -1, reported.
 */
static int
too_common(sqlite3_stmt *st, const char *word, int *common)
{
	int rc;

	sqlite3_bind_text(st, 1, word, -1, SQLITE_STATIC);
	rc = sqlite3_step(st);
	*common =
	    rc == SQLITE_ROW && sqlite3_column_int64(st, 0) < 10 * CANDIDATES;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_error(db, NULL);
		return -1;
	}
	return 0;
}

/*
 * The FTS5 query of q for kind k, in out: its words joined by " " (all)
 * or " OR " (any).  Of an any-word query the words too common in the
 * kind are left out, unless all of them are.
 */
static int
kind_query(const struct kind *k, const struct query *q, struct buf *out)
{
	struct buf sql = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int *common = xreallocarray(NULL, q->n, sizeof(int)), all = 1, rv = -1;
	size_t i;

	memset(common, 0, q->n * sizeof(int));
	if (q->any && q->n > 1) {
		buf_printf(&sql,
		    "SELECT (SELECT rowid FROM %s ORDER BY rowid DESC LIMIT 1)"
		    " - rowid FROM %s WHERE %s MATCH ?1 ORDER BY rowid DESC"
		    " LIMIT 1 OFFSET %d",
		    k->fts, k->fts, k->fts, CANDIDATES - 1);
		if ((st = store_prepare(db, sql.s)) == NULL)
			goto out;
		for (i = 0; i < q->n; i++) {
			if (too_common(st, q->words[i], &common[i]) < 0)
				goto out;
			all &= common[i];
		}
	}
	buf_reset(out);
	for (i = 0; i < q->n; i++) {
		if (common[i] && !all)
			continue;
		if (out->len > 0)
			buf_addstr(out, q->any ? " OR " : " ");
		buf_addstr(out, q->words[i]);
	}
	rv = 0;
out:
	sqlite3_finalize(st);
	buf_release(&sql);
	free(common);
	return rv;
}

/*
 * Binds to st, from prepare_hits, the FTS5 query of q for each kind it
 * searches, the limit n and the session's id.  Returns 0 or -1,
 * reported.
 */
static int
bind_query(
    sqlite3_stmt *st, const struct query *q, long n, sqlite3_int64 session)
{
	struct buf text = BUF_INIT, name = BUF_INIT;
	size_t i;
	int p, rv = 0;

	for (i = 0; i < NKINDS && rv == 0; i++) {
		buf_reset(&name);
		buf_printf(&name, ":%s", kinds[i].name);
		if ((p = sqlite3_bind_parameter_index(st, name.s)) == 0)
			continue;
		if ((rv = kind_query(&kinds[i], q, &text)) == 0)
			sqlite3_bind_text(
			    st, p, text.s, (int)text.len, SQLITE_TRANSIENT);
	}
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":limit"), n);
	if ((p = sqlite3_bind_parameter_index(st, ":session")) > 0)
		sqlite3_bind_int64(st, p, session);
	buf_release(&name);
	buf_release(&text);
	return rv;
}

/* BM25 to four significant digits, higher for better hits. */
static double
round_score(double score)
{
	char s[32];

	snprintf(s, sizeof(s), "%.4g", score);
	return strtod(s, NULL);
}

/* "session#id" for a record, "path#chunk" for a doc. */
static void
hit_source(sqlite3_stmt *st, struct buf *out)
{
	const char *session = (const char *)sqlite3_column_text(st, H_SESSION);

	buf_reset(out);
	if (session != NULL) {
		buf_addstr(out, session);
		buf_addstr(out, "#");
		buf_addstr(out, (const char *)sqlite3_column_text(st, H_ID));
	} else {
		buf_addstr(out, (const char *)sqlite3_column_text(st, H_ID));
		buf_addstr(out, "#");
		buf_addstr(out, (const char *)sqlite3_column_text(st, H_CHUNK));
	}
}

static cJSON *
lines_array(sqlite3_stmt *st)
{
	cJSON *a = cJSON_CreateArray();

	if (a == NULL ||
	    !cJSON_AddItemToArray(
		a, cJSON_CreateNumber(sqlite3_column_double(st, H_FIRST))) ||
	    !cJSON_AddItemToArray(
		a, cJSON_CreateNumber(sqlite3_column_double(st, H_LAST))))
		errx(1, "out of memory");
	return a;
}

/* A search result: where the hit is, how good, and a snippet. */
static cJSON *
search_result(sqlite3_stmt *st, struct buf *source)
{
	cJSON *o = new_object();

	add_column_text(o, "kind", st, H_KIND);
	msg_set_number(
	    o, "score", round_score(sqlite3_column_double(st, H_SCORE)));
	if (sqlite3_column_type(st, H_SESSION) != SQLITE_NULL) {
		add_column_text(o, "session", st, H_SESSION);
		add_column_text(o, "id", st, H_ID);
	} else {
		hit_source(st, source);
		msg_set_string(o, "source", source->s);
		msg_set(o, "lines", lines_array(st));
	}
	add_column_text(o, "snippet", st, H_SNIPPET);
	return o;
}

/* A hit as context: a doc record, as llm-ask takes retrieved text. */
static cJSON *
hit_doc(sqlite3_stmt *st, struct buf *source)
{
	cJSON *o = new_object();

	msg_set_string(o, "type", "doc");
	hit_source(st, source);
	msg_set_string(o, "source", source->s);
	add_column_text(o, "content", st, H_CONTENT);
	msg_set_number(
	    o, "score", round_score(sqlite3_column_double(st, H_SCORE)));
	return o;
}

static unsigned
parse_kinds(const char *arg)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(arg, kinds[i].name) == 0)
			return kinds[i].bit;
	warnx("-k: not message, summary, fact or doc: '%s'", arg);
	usage();
	return 0;
}

static int
cmd_search(int argc, char *argv[])
{
	enum { OPT_ANY = 256 };
	static const struct option opts[] = {
	    {"any", no_argument, NULL, OPT_ANY},
	    {"count", required_argument, NULL, 'n'},
	    {"kind", required_argument, NULL, 'k'},
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct buf source = BUF_INIT;
	struct query q = {NULL, 0, 0, 0};
	const char *session = NULL;
	sqlite3_int64 id = 0;
	sqlite3_stmt *st = NULL;
	unsigned mask = 0;
	long n = DEFAULT_RESULTS;
	int ch, i, rc, status = 1;

	while ((ch = getopt_long(argc, argv, "k:n:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			mask |= parse_kinds(optarg);
			break;
		case 'n':
			n = parse_number(optarg, "-n");
			break;
		case 's':
			session = optarg;
			break;
		case OPT_ANY:
			q.any = 1;
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		usage();
	for (i = optind; i < argc; i++)
		query_add(&q, argv[i]);
	if (open_db() < 0 ||
	    (session != NULL && (id = need_session(session)) < 0))
		goto out;
	status = 0;
	if (q.n == 0 || n == 0)
		goto out;
	status = 1;
	if ((st = prepare_hits(mask ? mask : K_ALL,
		 session ? THE_SESSION : ANY_SESSION)) == NULL ||
	    bind_query(st, &q, n, id) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		emit(search_result(st, &source));
	status = done(st, rc) < 0;
out:
	sqlite3_finalize(st);
	buf_release(&source);
	query_release(&q);
	return status;
}

/*
 * Context
 */

/* A record that may go into a context, and what it costs. */
struct item {
	char *json;
	size_t units, overhead;
	int keep, tool;
};

struct items {
	struct item *v;
	size_t n, cap;
};

/* The room left in a budget, counted as llm-count --total counts. */
struct fit {
	struct counter counter;
	size_t budget, units, overhead;
	struct buf text;
};

static void
items_release(struct items *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		cJSON_free(l->v[i].json);
	free(l->v);
}

/*
 * Adds rec, printed as json (which the list now owns), to l with its
 * cost: the tokens of its content (and a fact's subject); a message's
 * role, name and overhead besides (see counter_add_message).
 */
static void
items_add(struct items *l, struct fit *f, char *json, const cJSON *rec)
{
	const char *role = msg_str(rec, "role"), *why;
	const char *subject = msg_str(rec, "subject");
	struct item *it;

	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 16;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	it = &l->v[l->n++];
	memset(it, 0, sizeof(*it));
	it->json = json;
	buf_reset(&f->text);
	msg_content(rec, &f->text, &why);
	if (subject != NULL)
		buf_addstr(&f->text, subject);
	it->units = counter_units(&f->counter, f->text.s, f->text.len);
	if (role != NULL && msg_str(rec, "type") == NULL) {
		counter_add_message(&f->counter, role, msg_str(rec, "name"),
		    &it->units, &it->overhead);
		it->tool = strcmp(role, "tool") == 0;
	}
}

/* Adds the stored records that st lists in column 0 to l. */
static int
load_items(sqlite3_stmt *st, struct items *l, struct fit *f)
{
	const char *json;
	cJSON *rec;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json = (const char *)sqlite3_column_text(st, 0);
		if ((rec = cJSON_Parse(json)) == NULL) {
			warnx("a stored record is not JSON");
			return -1;
		}
		items_add(l, f, cJSON_PrintUnformatted(rec), rec);
		cJSON_Delete(rec);
	}
	return done(st, rc);
}

/* Runs sql with ?1 the session and ?2 a seq, and adds what it lists. */
static int
load_query(const char *sql, sqlite3_int64 session, sqlite3_int64 seq,
    struct items *l, struct fit *f)
{
	sqlite3_stmt *st;
	int rv;

	if ((st = store_prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, session);
	sqlite3_bind_int64(st, 2, seq);
	rv = load_items(st, l, f);
	sqlite3_finalize(st);
	return rv;
}

/*
 * The seq after which messages are not yet summarized: the message the
 * latest summary goes "through", else the summary itself, else 0.
 */
static sqlite3_int64
summary_cut(sqlite3_int64 session, struct items *summary, struct fit *f)
{
	sqlite3_stmt *st;
	sqlite3_int64 cut = 0, through = 0;
	cJSON *rec;
	int rc;

	st = store_prepare(db,
	    "SELECT r.json, r.seq, s.through FROM records r"
	    " JOIN summaries s ON s.seq = r.seq"
	    " WHERE r.session = ? ORDER BY r.seq DESC LIMIT 1");
	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, session);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		cut = sqlite3_column_int64(st, 1);
		if (sqlite3_column_type(st, 2) == SQLITE_TEXT)
			through = find_record(
			    session, (const char *)sqlite3_column_text(st, 2));
		if ((rec = cJSON_Parse(
			 (const char *)sqlite3_column_text(st, 0))) != NULL) {
			items_add(summary, f, cJSON_PrintUnformatted(rec), rec);
			cJSON_Delete(rec);
		}
	} else if (done(st, rc) < 0) {
		cut = -1;
	}
	sqlite3_finalize(st);
	return through != 0 ? through : cut;
}

static int
load_hits(const char *query, sqlite3_int64 session, long n, struct items *l,
    struct fit *f)
{
	struct buf source = BUF_INIT;
	struct query q = {NULL, 0, 0, 1};
	sqlite3_stmt *st = NULL;
	cJSON *doc;
	int rc, rv = 0;

	query_add(&q, query);
	if (q.n == 0 || n == 0)
		goto out;
	rv = -1;
	if ((st = prepare_hits(K_ALL, OTHER_SESSIONS)) == NULL ||
	    bind_query(st, &q, n, session) < 0)
		goto out;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		doc = hit_doc(st, &source);
		items_add(l, f, cJSON_PrintUnformatted(doc), doc);
		cJSON_Delete(doc);
	}
	rv = done(st, rc);
out:
	sqlite3_finalize(st);
	buf_release(&source);
	query_release(&q);
	return rv;
}

/* Keeps it if it fits in what is left of the budget; returns 1 if so. */
static int
fit_take(struct fit *f, struct item *it)
{
	if (counter_tokens(&f->counter, f->units + it->units) + f->overhead +
		it->overhead + COUNT_PER_REPLY >
	    f->budget)
		return 0;
	f->units += it->units;
	f->overhead += it->overhead;
	it->keep = 1;
	return 1;
}

/* Takes what fits of l, in order; returns how many did not. */
static size_t
fit_all(struct fit *f, struct items *l)
{
	size_t i, left = 0;

	for (i = 0; i < l->n; i++)
		if (!l->v[i].keep && !fit_take(f, &l->v[i]))
			left++;
	return left;
}

/*
 * Messages go newest first, as far back as fits; tool results whose call
 * did not fit go too.  Returns how many were left out.
 */
static size_t
fit_messages(struct fit *f, struct items *l)
{
	size_t i = l->n, left;

	while (i > 0 && (l->v[i - 1].keep || fit_take(f, &l->v[i - 1])))
		i--;
	for (; i < l->n && l->v[i].tool; i++)
		l->v[i].keep = 0;
	for (left = 0, i = 0; i < l->n; i++)
		left += !l->v[i].keep;
	return left;
}

static void
print_kept(const struct items *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (l->v[i].keep)
			put_line(l->v[i].json);
}

/*
 * Chooses what goes into the context, in order of need: the summary
 * and the newest message (or it fails), the live facts, older messages
 * back from the newest, then the hits, best first.
 */
static int
fit_context(struct fit *f, struct items *summary, struct items *facts,
    struct items *messages, struct items *hits)
{
	size_t lost[3];

	if ((summary->n > 0 && !fit_take(f, &summary->v[0])) ||
	    (messages->n > 0 && !fit_take(f, &messages->v[messages->n - 1]))) {
		warnx("the latest summary and message alone are over the "
		      "budget of %zu tokens",
		    f->budget);
		return -1;
	}
	lost[0] = fit_all(f, facts);
	lost[1] = fit_messages(f, messages);
	lost[2] = fit_all(f, hits);
	if (lost[0] + lost[1] + lost[2] > 0)
		warnx("left out %zu facts, %zu messages and %zu hits to fit "
		      "%zu tokens",
		    lost[0], lost[1], lost[2], f->budget);
	print_kept(summary);
	print_kept(facts);
	print_kept(hits);
	print_kept(messages);
	return 0;
}

static int
cmd_context(int argc, char *argv[])
{
	enum { OPT_BUDGET = 256, OPT_HITS };
	static const struct option opts[] = {
	    {"budget", required_argument, NULL, OPT_BUDGET},
	    {"hits", required_argument, NULL, OPT_HITS},
	    {"model", required_argument, NULL, 'm'},
	    {"query", required_argument, NULL, 'q'},
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct items summary = {0}, facts = {0}, messages = {0}, hits = {0};
	struct fit f = {.text = BUF_INIT};
	const char *session = NULL, *query = NULL, *name = MODEL_DEFAULT;
	const struct model *model;
	sqlite3_int64 id, cut;
	long budget = -1, nhits = DEFAULT_HITS;
	int ch, rv = -1;

	while ((ch = getopt_long(argc, argv, "m:q:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			name = optarg;
			break;
		case 'q':
			query = optarg;
			break;
		case 's':
			session = optarg;
			break;
		case OPT_BUDGET:
			budget = parse_number(optarg, "--budget");
			break;
		case OPT_HITS:
			nhits = parse_number(optarg, "--hits");
			break;
		default:
			usage();
		}
	}
	if (optind < argc || session == NULL)
		usage();
	if ((model = model_find(name)) == NULL) {
		warnx("unknown model '%s'", name);
		usage();
	}
	if (counter_for_model(&f.counter, model) < 0) {
		warnx("model '%s' has no counter", model->name);
		return 1;
	}
	f.budget = budget >= 0 ? (size_t)budget : (size_t)model->budget;
	if (open_db() < 0 || (id = find_session(session)) < 0 ||
	    (cut = summary_cut(id, &summary, &f)) < 0)
		goto out;
	if (load_query("SELECT r.json FROM facts f JOIN records r"
		       " ON r.seq = f.seq WHERE f.session = ?1 AND ?2 >= 0"
		       " ORDER BY f.seq",
		id, 0, &facts, &f) < 0 ||
	    load_query("SELECT r.json FROM records r JOIN messages m"
		       " ON m.seq = r.seq WHERE r.session = ?1 AND r.seq > ?2"
		       " ORDER BY r.seq",
		id, cut, &messages, &f) < 0 ||
	    (query != NULL && load_hits(query, id, nhits, &hits, &f) < 0))
		goto out;
	rv = fit_context(&f, &summary, &facts, &messages, &hits);
out:
	items_release(&hits);
	items_release(&messages);
	items_release(&facts);
	items_release(&summary);
	buf_release(&f.text);
	return rv < 0;
}

static int
cmd_index(int argc, char *argv[])
{
	enum { OPT_CHUNK = 256 };
	static const struct option opts[] = {
	    {"chunk", required_argument, NULL, OPT_CHUNK},
	    {"model", required_argument, NULL, 'm'},
	    {NULL, 0, NULL, 0},
	};
	const char *name = MODEL_DEFAULT;
	const struct model *model;
	struct counter counter;
	struct docindex_report rep;
	long chunk = DOCINDEX_CHUNK;
	int ch;

	while ((ch = getopt_long(argc, argv, "m:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			name = optarg;
			break;
		case OPT_CHUNK:
			chunk = parse_number(optarg, "--chunk");
			break;
		default:
			usage();
		}
	}
	if (optind == argc || chunk == 0)
		usage();
	if ((model = model_find(name)) == NULL) {
		warnx("unknown model '%s'", name);
		usage();
	}
	if (counter_for_model(&counter, model) < 0) {
		warnx("model '%s' has no counter", model->name);
		return 1;
	}
	if (open_db() < 0 ||
	    docindex_run(db, argv + optind, argc - optind, &counter,
		(size_t)chunk, &rep) < 0)
		return 1;
	printf("{\"files\":%zu,\"indexed\":%zu,\"unchanged\":%zu,"
	       "\"removed\":%zu,\"skipped\":%zu,\"docs\":%zu}\n",
	    rep.files, rep.indexed, rep.unchanged, rep.removed, rep.skipped,
	    rep.docs);
	return 0;
}

static const struct command {
	const char *name;
	int (*run)(int argc, char *argv[]);
} commands[] = {
    {"add", cmd_add},
    {"context", cmd_context},
    {"cost", cmd_cost},
    {"export", cmd_export},
    {"facts", cmd_facts},
    {"files", cmd_files},
    {"import", cmd_import},
    {"index", cmd_index},
    {"log", cmd_log},
    {"search", cmd_search},
    {"session", cmd_session},
    {"sessions", cmd_sessions},
    {"stats", cmd_stats},
};

int
main(int argc, char *argv[])
{
	enum { OPT_DB = 256, OPT_VERSION };
	static const struct option longopts[] = {
	    {"db", required_argument, NULL, OPT_DB},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const struct command *cmd = NULL;
	size_t i;
	int ch, status;

	/* "+": the options after the command are the command's. */
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			break;
		case OPT_DB:
			db_arg = optarg;
			break;
		case OPT_VERSION:
			printf("llm-memdb %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			usage();
		}
	}
	if (optind == argc)
		usage();
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		warnx("unknown command '%s'", argv[optind]);
		usage();
	}
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: start again, at argv[1] */
	status = cmd->run(argc, argv);
	store_close(db);
	sqlite3_shutdown();
	free(db_default);
	exit_flushed(status);
}
