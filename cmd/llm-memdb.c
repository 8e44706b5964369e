/* llm-memdb: an assistant's memory in SQLite: records in, context out. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/context.h"
#include "core/json.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "core/record.h"
#include "core/utf8.h"
#include "core/util.h"
#include "db/docindex.h"
#include "db/ingest.h"
#include "db/search.h"
#include "db/store.h"
#include "db/vectors.h"
#include "net/child.h"
#include "tok/budget.h"
#include "tok/count.h"

#define EXIT_OVER_BUDGET 3
#define DEFAULT_SESSION "default"
#define DEFAULT_HITS 5     /* context --hits */
#define DEFAULT_RESULTS 10 /* search -n */

static sqlite3 *db;
static const char *db_arg; /* --db */
static char *db_default;   /* else this */
static struct config cfg;
static int exact_vectors; /* search --exact */

/* A subcommand: its synopsis (after "llm-memdb [--db path]"), its help. */
struct command {
	const char *name, *synopsis, *about;
	int (*run)(int argc, char *argv[]);
};

static int cmd_add(int argc, char *argv[]);
static int cmd_log(int argc, char *argv[]);
static int cmd_context(int argc, char *argv[]);
static int cmd_search(int argc, char *argv[]);
static int cmd_sessions(int argc, char *argv[]);
static int cmd_session(int argc, char *argv[]);
static int cmd_facts(int argc, char *argv[]);
static int cmd_files(int argc, char *argv[]);
static int cmd_cost(int argc, char *argv[]);
static int cmd_index(int argc, char *argv[]);
static int cmd_stats(int argc, char *argv[]);
static int cmd_export(int argc, char *argv[]);
static int cmd_import(int argc, char *argv[]);

static const struct command commands[] = {
    {"add", "add [-s session] [--tee]",
	"Stores the records read on standard input, all of them or none.\n"
	"\n"
	"  -s, --session S  the session of records without one (default)\n"
	"      --tee        print each record as stored\n",
	cmd_add},
    {"log", "log -s session [--since id] [--last n]",
	"Prints a session's records in the order they were added.\n"
	"\n"
	"  -s, --session S  the session\n"
	"      --since ID   only the records after ID\n"
	"      --last N     only the last N\n",
	cmd_log},
    {"context",
	"context -s session [--budget n] [-m model] [-q query] [--hits n]",
	"Prints what the next call needs within a budget: the latest\n"
	"summary, the live facts, hits from other sessions, the messages\n"
	"after the summary.\n"
	"\n"
	"  -s, --session S  the session\n"
	"  -m, --model M    count as M does, within its budget\n"
	"      --budget N   at most N tokens\n"
	"  -q, --query Q    hits for Q from other sessions\n"
	"      --hits N     at most N hits (5)\n",
	cmd_context},
    {"search",
	"search [-s session] [-k kind] [-n count] [--any] [--exact] query ...",
	"Finds records and indexed files by BM25, and by vectors when\n"
	"the index has them.\n"
	"\n"
	"  -s, --session S  in S only\n"
	"  -k, --kind K     message, summary, fact or doc (repeatable)\n"
	"  -n, --count N    at most N results (10)\n"
	"      --any        any word rather than all\n"
	"      --exact      read every vector, not only those whose signs\n"
	"                   are near the query's (slower)\n",
	cmd_search},
    {"sessions", "sessions", "Lists the sessions.\n", cmd_sessions},
    {"session", "session new [name] | rm name | rename old new",
	"Creates, removes or renames a session.\n", cmd_session},
    {"facts", "facts [-s session] [--history]",
	"Prints the live facts, or every fact record with --history.\n",
	cmd_facts},
    {"files", "files [-s session]",
	"Prints the files that facts say were created, changed or "
	"deleted.\n",
	cmd_files},
    {"cost", "cost [-s session] [--by model|session|day] [--since date]",
	"Sums the usage and cost of the calls stored.\n"
	"\n"
	"      --by G     one line per model, session or day\n"
	"      --since D  only calls since D (a date or an RFC 3339 time)\n",
	cmd_cost},
    {"index",
	"index [-m model] [--chunk n] [--embed [--embed-model m]] path ...",
	"Indexes text files, incrementally, for search and context.\n"
	"\n"
	"  -m, --model M      count chunks as M does\n"
	"      --chunk N      tokens in a chunk (400)\n"
	"      --embed        give new chunks vectors, through llm-ask, so\n"
	"                     that search is hybrid\n"
	"      --embed-model M  with the model M (text-embedding-3-small)\n",
	cmd_index},
    {"stats", "stats", "Counts what the database holds.\n", cmd_stats},
    {"export", "export", "Prints the whole database as JSON lines.\n",
	cmd_export},
    {"import", "import", "Reads what export printed.\n", cmd_import},
};

static const size_t ncommands = sizeof(commands) / sizeof(commands[0]);

/* The command being run. */
static const struct command *cmd;

void
usage(void)
{
	size_t i;

	if (cmd != NULL) {
		fprintf(
		    stderr, "usage: llm-memdb [--db path] %s\n", cmd->synopsis);
		exit(2);
	}
	for (i = 0; i < ncommands; i++)
		fprintf(stderr, "%s llm-memdb [--db path] %s\n",
		    i == 0 ? "usage:" : "      ", commands[i].synopsis);
	exit(2);
}

static void
help(void)
{
	size_t i;

	for (i = 0; i < ncommands; i++)
		printf("%s llm-memdb [--db path] %s\n",
		    i == 0 ? "usage:" : "      ", commands[i].synopsis);
	printf("\n"
	       "Keeps sessions, messages, summaries, facts, usage and indexed "
	       "files in\n"
	       "SQLite, and gives back a session's log, the context for its "
	       "next call,\n"
	       "search hits, facts, changed files and costs, as JSON lines.\n"
	       "\n"
	       "      --db PATH  the database (default $LLMPIPE_DB, else\n"
	       "                 $XDG_DATA_HOME/llmpipe/memory.db)\n"
	       "  -h, --help     this help; COMMAND --help, the command's\n"
	       "      --version  the version\n");
	exit_flushed(0);
}

/* COMMAND --help: its synopsis and what it does, on stdout. */
static void
command_help(void)
{
	printf(
	    "usage: llm-memdb [--db path] %s\n\n%s", cmd->synopsis, cmd->about);
	exit_flushed(0);
}

/* The options every command takes: -h and --help. */
#define HELP_OPTION \
	{ \
		"help", no_argument, NULL, 'h' \
	}

/* What getopt found that no command takes: usage, or the help asked for. */
static void
other_option(int ch)
{
	if (ch == 'h')
		command_help();
	usage();
}

/* Rejects the operands of a command that takes none. */
static void
no_operands(int argc, char *argv[])
{
	if (optind < argc) {
		warnx("%s: unexpected argument '%s'", cmd->name, argv[optind]);
		usage();
	}
}

/* Rejects options and operands of a command that takes none. */
static void
no_arguments(int argc, char *argv[])
{
	static const struct option opts[] = {HELP_OPTION, {NULL, 0, NULL, 0}};
	int ch;

	while ((ch = getopt_long(argc, argv, "h", opts, NULL)) != -1)
		other_option(ch);
	no_operands(argc, argv);
}

/* A session name is printable UTF-8: it is shown and typed in shells. */
static void
check_name(const char *s)
{
	if (!record_session_valid(s) ||
	    utf8_valid_prefix(s, strlen(s)) != strlen(s)) {
		warnx("invalid session name '%s' (1 to %d bytes of UTF-8, no "
		      "control characters)",
		    s, RECORD_MAX_SESSION);
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
 * add and import
 */

/* Both read records into the database in one transaction. */
static int
ingest(const char *session, int importing, int tee)
{
	struct ingest_opts o = {session, importing, tee};
	struct ingest_report rep;
	struct jsonl in;
	int rv;

	if (open_db() < 0)
		return 1;
	jsonl_init(&in, stdin);
	rv = ingest_run(db, &in, &o, &rep);
	if (rv == 0 && rep.stored.len > 0 &&
	    fwrite(rep.stored.s, 1, rep.stored.len, stdout) != rep.stored.len)
		err(1, "write error");
	ingest_report_release(&rep);
	jsonl_release(&in);
	return rv < 0;
}

static int
cmd_add(int argc, char *argv[])
{
	enum { OPT_TEE = 256 };
	static const struct option opts[] = {
	    HELP_OPTION,
	    {"session", required_argument, NULL, 's'},
	    {"tee", no_argument, NULL, OPT_TEE},
	    {NULL, 0, NULL, 0},
	};
	const char *session = DEFAULT_SESSION;
	int ch, tee = 0;

	while ((ch = getopt_long(argc, argv, "hs:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			check_name(optarg);
			session = optarg;
			break;
		case OPT_TEE:
			tee = 1;
			break;
		default:
			other_option(ch);
		}
	}
	no_operands(argc, argv);
	return ingest(session, 0, tee);
}

static int
cmd_import(int argc, char *argv[])
{
	no_arguments(argc, argv);
	return ingest(DEFAULT_SESSION, 1, 0);
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
	    HELP_OPTION,
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

	while ((ch = getopt_long(argc, argv, "hs:", opts, NULL)) != -1) {
		switch (ch) {
		case 's':
			session = optarg;
			break;
		case OPT_LAST:
			last = option_number("--last", optarg, 0, LONG_MAX);
			break;
		case OPT_SINCE:
			since = optarg;
			break;
		default:
			other_option(ch);
		}
	}
	no_operands(argc, argv);
	if (session == NULL) {
		warnx("log: which session? (-s session)");
		usage();
	}
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
	char id[RECORD_ID_SIZE], now[RECORD_TS_SIZE];
	sqlite3_stmt *st;
	cJSON *o;
	int rv;

	if (name == NULL) {
		record_ulid(id);
		name = id;
	}
	record_now(now);
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

/* session new [name] | rm name | rename old new: checks the words. */
static void
session_words(int argc, char *argv[])
{
	const char *verb = argc > 1 ? argv[1] : NULL;
	int i, want;

	if (verb != NULL &&
	    (strcmp(verb, "-h") == 0 || strcmp(verb, "--help") == 0))
		command_help();
	if (verb == NULL) {
		warnx("session: new, rm or rename?");
		usage();
	}
	want = strcmp(verb, "new") == 0   ? 3
	    : strcmp(verb, "rm") == 0     ? 3
	    : strcmp(verb, "rename") == 0 ? 4
					  : 0;
	if (want == 0) {
		warnx("session: unknown verb '%s' (new, rm or rename)", verb);
		usage();
	}
	if (argc > want || (argc < want && strcmp(verb, "new") != 0)) {
		warnx("session %s: %s", verb,
		    argc > want ? "too many names" : "which session?");
		usage();
	}
	for (i = 2; i < argc; i++)
		check_name(argv[i]);
}

static int
cmd_session(int argc, char *argv[])
{
	const char *verb;
	sqlite3_int64 id;

	session_words(argc, argv);
	verb = argv[1];
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

static int
cmd_facts(int argc, char *argv[])
{
	enum { OPT_HISTORY = 256 };
	static const struct option opts[] = {
	    HELP_OPTION,
	    {"history", no_argument, NULL, OPT_HISTORY},
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *session = NULL;
	int ch, history = 0;

	while ((ch = getopt_long(argc, argv, "hs:", opts, NULL)) != -1) {
		if (ch == 's')
			session = optarg;
		else if (ch == OPT_HISTORY)
			history = 1;
		else
			other_option(ch);
	}
	no_operands(argc, argv);
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
	    HELP_OPTION,
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *session = NULL;
	int ch;

	while ((ch = getopt_long(argc, argv, "hs:", opts, NULL)) != -1) {
		if (ch != 's')
			other_option(ch);
		session = optarg;
	}
	no_operands(argc, argv);
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
		   " (SELECT count(*) FROM embeddings) AS vectors,"
		   " (SELECT page_count * page_size FROM pragma_page_count(),"
		   "  pragma_page_size()) AS bytes",
		   NULL, STORE_VERSION, 0) < 0;
}

/*
 * export: the whole database as lines that import reads back: sessions,
 * then the records as added, then the index and its vectors.  What is derived from the
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
	    "SELECT json_object('type', 'memdb.embedding', 'model', model,"
	    " 'hash', hash, 'vector', hex(vector)) FROM embeddings ORDER BY id",
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

static int
cmd_cost(int argc, char *argv[])
{
	enum { OPT_BY = 256, OPT_SINCE };
	static const struct option opts[] = {
	    HELP_OPTION,
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
	char sql[2048];
	sqlite3_stmt *st;
	size_t i;
	int ch, rv;

	while ((ch = getopt_long(argc, argv, "hs:", opts, NULL)) != -1) {
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
			if (!record_date_valid(optarg)) {
				warnx("--since: not a date: '%s'", optarg);
				usage();
			}
			since = optarg;
			break;
		default:
			other_option(ch);
		}
	}
	no_operands(argc, argv);
	if (open_db() < 0 || (session != NULL && need_session(session) < 0))
		return 1;
	snprintf(sql, sizeof(sql),
	    "SELECT %s count(*) AS calls,"
	    " coalesce(sum(u.input_tokens), 0) AS input_tokens,"
	    " coalesce(sum(u.output_tokens), 0) AS output_tokens,"
	    " coalesce(sum(u.cached_tokens), 0) AS cached_tokens,"
	    " round(coalesce(sum(u.cost_usd), 0), 9) AS cost_usd,"
	    " sum(u.counted_input_tokens) AS counted_input_tokens,"
	    /* The provider's count over llm-ask's, where llm-ask counted. */
	    " round(1.0 * sum(CASE WHEN u.counted_input_tokens > 0 THEN"
	    " u.input_tokens END) / sum(nullif(u.counted_input_tokens, 0)),"
	    " 3) AS observed_ratio"
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
 * Embeddings
 */

/* Texts an llm-ask --embed child takes at once: its output stays MBs. */
#define EMBED_ROUND 256

/* What index --embed did. */
struct embed_report {
	size_t embedded, pruned;
	cJSON *cost; /* the calls' usage and cost_usd */
};

/* llm-ask --embed with model on texts; its output into *out. */
static int
run_embed(const char *model, const cJSON *texts, struct buf *out)
{
	const char *args[] = {"--embed", "-m", model, NULL};
	char *command = child_command(NULL);
	int status = child_run(command, args, texts, 0, out);

	free(command);
	return status;
}

/* Stores an embedding record as the vector of model for the text hash. */
static int
store_embedding(const char *model, const cJSON *rec, const cJSON *hash)
{
	const char *of = msg_str(rec, "model"), *why = NULL;
	struct buf refused = BUF_INIT;
	struct vector v;
	int rv = -2;

	if (hash == NULL)
		why = "more vectors than texts";
	else if (of == NULL || strcmp(of, model) != 0)
		why = "a vector of another model than the one asked for";
	else if (vector_from_json(
		     cJSON_GetObjectItemCaseSensitive(rec, "vector"), &v,
		     &why) == 0) {
		rv = vectors_put(db, model, hash->valuestring, &v, &refused);
		why = refused.s;
		vector_release(&v);
	}
	if (rv == -2)
		warnx("index --embed: %s; nothing stored of this call", why);
	buf_release(&refused);
	return rv < 0 ? -1 : 0;
}

/*
 * Stores the vectors of an llm-ask --embed output, the i-th for the
 * i-th of hashes, in one transaction, and adds its usage to the report.
 * Returns how many, or -1 (reported, nothing stored).
 */
static long
store_vectors(const char *model, const struct buf *out, const cJSON *hashes,
    struct embed_report *er)
{
	const char *s = out->s, *end = s + out->len, *nl, *type;
	const cJSON *hash = hashes->child;
	struct json_error e;
	cJSON *rec;
	long n = 0;
	int rv = store_exec(db, "BEGIN IMMEDIATE");

	for (; rv == 0 && s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL)
			nl = end;
		if ((rec = json_parse(s, (size_t)(nl - s), &e)) == NULL)
			continue;
		type = msg_str(rec, "type");
		if (type != NULL && strcmp(type, "usage") == 0)
			child_usage_add(er->cost, rec);
		if (type != NULL && strcmp(type, "embedding") == 0) {
			rv = store_embedding(model, rec, hash);
			hash = hash != NULL ? hash->next : NULL;
			n++;
		}
		cJSON_Delete(rec);
	}
	if (rv == 0)
		rv = vectors_refresh(db);
	if (rv == 0 && store_exec(db, "COMMIT") == 0)
		return n;
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Gives every doc without one a vector of model, in rounds, after
 * dropping the vectors of another model or of texts gone.  A round
 * stored stays stored when a later one fails.  Returns an exit status.
 */
static int
embed_docs(const char *model, struct embed_report *er)
{
	cJSON *texts, *hashes;
	struct buf out;
	long pending, stored;
	int status = 0;

	if ((stored = vectors_prune(db, model)) < 0 || vectors_refresh(db) < 0)
		return 1;
	er->pruned = (size_t)stored;
	while (status == 0) {
		texts = cJSON_CreateArray();
		hashes = cJSON_CreateArray();
		pending =
		    vectors_pending(db, model, EMBED_ROUND, texts, hashes);
		if (pending > 0) {
			status = run_embed(model, texts, &out);
			stored = store_vectors(model, &out, hashes, er);
			buf_release(&out);
			if (stored >= 0)
				er->embedded += (size_t)stored;
			if (status == 0 && stored != pending)
				status = 1;
			if (isatty(STDERR_FILENO))
				fprintf(stderr, "\rembedding: %zu docs",
				    er->embedded);
		}
		cJSON_Delete(texts);
		cJSON_Delete(hashes);
		if (pending <= 0) {
			status = status ? status : pending < 0;
			break;
		}
	}
	if (isatty(STDERR_FILENO) && er->embedded > 0)
		fputc('\n', stderr);
	if (status != 0)
		warnx("index --embed: %zu docs embedded; run it again for the "
		      "rest",
		    er->embedded);
	return status;
}

/*
 * The docs nearest to text by the index's vectors, into near (room for
 * SEARCH_FUSED), when the index has vectors.  Without a key, or when
 * the query's embedding fails, none: BM25 alone, said once.
 */
static long
near_docs(const char *text, struct vector_hit *near)
{
	static int said;
	struct buf model = BUF_INIT, out = BUF_INIT;
	cJSON *texts, *rec, *got = NULL;
	const char *why = "no API key";
	struct json_error e;
	struct vector v = {NULL, 0};
	long n = -1;

	if (vectors_model(db, &model) <= 0) {
		buf_release(&model);
		return 0;
	}
	texts = cJSON_CreateArray();
	cJSON_AddItemToArray(texts, rec = cJSON_CreateObject());
	cJSON_AddStringToObject(rec, "text", text);
	if (child_key_set(&cfg) || getenv("LLMPIPE_ASK") != NULL) {
		why = "the call failed";
		if (run_embed(model.s, texts, &out) == 0 &&
		    (got = json_parse(out.s, strcspn(out.s, "\n"), &e)) !=
			NULL &&
		    vector_from_json(
			cJSON_GetObjectItemCaseSensitive(got, "vector"), &v,
			&why) == 0) {
			why = "the vectors do not match";
			n = vectors_nearest(
			    db, model.s, &v, SEARCH_FUSED, exact_vectors, near);
		}
	}
	if (n < 0 && !said++)
		warnx("search: %s for the query's embedding (%s); BM25 alone",
		    why, model.s);
	cJSON_Delete(got);
	cJSON_Delete(texts);
	vector_release(&v);
	buf_release(&model);
	buf_release(&out);
	return n < 0 ? 0 : n;
}

/*
 * Search
 */

static unsigned
parse_kind(const char *arg)
{
	unsigned bit = search_kind(arg);

	if (bit == 0) {
		warnx("-k: not message, summary, fact or doc: '%s'", arg);
		usage();
	}
	return bit;
}

/* A search result: where the hit is, how good, and a snippet. */
static cJSON *
search_result(struct search *s, const struct search_hit *h)
{
	cJSON *o = new_object(), *lines;

	msg_set_string(o, "kind", h->kind);
	msg_set_number(o, "score", h->score);
	if (h->session != NULL) {
		msg_set_string(o, "session", h->session);
		msg_set_string(o, "id", h->id);
	} else {
		msg_set_string(o, "source", search_source(s, h));
		lines = cJSON_CreateArray();
		cJSON_AddItemToArray(lines, cJSON_CreateNumber(h->first));
		cJSON_AddItemToArray(lines, cJSON_CreateNumber(h->last));
		msg_set(o, "lines", lines);
	}
	if (h->snippet != NULL)
		msg_set_string(o, "snippet", h->snippet);
	return o;
}

/*
 * Starts the search for the best n hits of q (whose words are text):
 * BM25, fused with the docs nearest to text when the index has vectors
 * and the search takes docs.  Returns 0 or -1 (reported).
 */
static int
start_search(struct search *s, unsigned mask, enum search_scope scope,
    sqlite3_int64 session, const struct search_query *q, const char *text,
    long n)
{
	struct vector_hit near[SEARCH_FUSED];
	int docs = (mask & SEARCH_DOC) && scope != SEARCH_SESSION;
	long nnear = docs ? near_docs(text, near) : 0;

	if (nnear == 0)
		return search_start(s, db, mask, scope, session, q, n);
	if (search_start(s, db, mask, scope, session, q,
		n > SEARCH_FUSED ? n : SEARCH_FUSED) < 0)
		return -1;
	return search_fuse(s, near, (size_t)nnear, docs, n);
}

/* Prints the best n hits of q; returns 0 or -1 (reported). */
static int
print_hits(unsigned mask, sqlite3_int64 session, const struct search_query *q,
    const char *text, long n)
{
	struct search s;
	struct search_hit h;
	int rv;

	if ((rv = start_search(&s, mask,
		 session > 0 ? SEARCH_SESSION : SEARCH_ANY, session, q, text,
		 n)) == 0)
		while ((rv = search_next(&s, &h)) > 0)
			emit(search_result(&s, &h));
	search_end(&s);
	return rv;
}

static int
cmd_search(int argc, char *argv[])
{
	enum { OPT_ANY = 256, OPT_EXACT };
	static const struct option opts[] = {
	    HELP_OPTION,
	    {"any", no_argument, NULL, OPT_ANY},
	    {"exact", no_argument, NULL, OPT_EXACT},
	    {"count", required_argument, NULL, 'n'},
	    {"kind", required_argument, NULL, 'k'},
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	struct search_query q = {NULL, 0, 0, 0};
	struct buf text = BUF_INIT;
	const char *session = NULL;
	sqlite3_int64 id = 0;
	unsigned mask = 0;
	long n = DEFAULT_RESULTS;
	int ch, i, status = 1;

	while ((ch = getopt_long(argc, argv, "hk:n:s:", opts, NULL)) != -1) {
		switch (ch) {
		case 'k':
			mask |= parse_kind(optarg);
			break;
		case 'n':
			n = option_number("-n", optarg, 0, LONG_MAX);
			break;
		case 's':
			session = optarg;
			break;
		case OPT_ANY:
			q.any = 1;
			break;
		case OPT_EXACT:
			exact_vectors = 1;
			break;
		default:
			other_option(ch);
		}
	}
	if (optind == argc) {
		warnx("search: no query");
		usage();
	}
	mask = mask ? mask : SEARCH_ALL;
	if (session != NULL && search_session_kinds(mask) == 0) {
		warnx("search: docs belong to no session; leave out -s");
		usage();
	}
	for (i = optind; i < argc; i++) {
		search_query_add(&q, argv[i]);
		buf_printf(&text, "%s%s", i > optind ? " " : "", argv[i]);
	}
	if (open_db() == 0 &&
	    (session == NULL || (id = need_session(session)) > 0))
		status = q.n == 0 || n == 0
		    ? 0
		    : print_hits(mask, id, &q, text.s, n) < 0;
	search_query_release(&q);
	buf_release(&text);
	return status;
}

/*
 * Context
 */

/* Adds the records that st lists as JSON in column 0 to ctx. */
static int
load_records(sqlite3_stmt *st, struct context *ctx)
{
	struct json_error e;
	const char *json;
	cJSON *rec;
	int rc;

	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		json = (const char *)sqlite3_column_text(st, 0);
		if ((rec = json_parse(json, strlen(json), &e)) == NULL) {
			warnx("a stored record is not JSON: %s", e.what);
			return -1;
		}
		context_add(ctx, rec);
	}
	return done(st, rc);
}

/* Runs sql with ?1 the session and ?2 a seq, and adds what it lists. */
static int
load_query(const char *sql, sqlite3_int64 session, sqlite3_int64 seq,
    struct context *ctx)
{
	sqlite3_stmt *st;
	int rv;

	if ((st = store_prepare(db, sql)) == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, session);
	sqlite3_bind_int64(st, 2, seq);
	rv = load_records(st, ctx);
	sqlite3_finalize(st);
	return rv;
}

/*
 * Adds the latest summary to ctx and returns the seq after which
 * messages are not yet summarized: the message the summary goes
 * "through", else the summary itself, else 0; -1 on an error.
 */
static sqlite3_int64
load_summary(sqlite3_int64 session, struct context *ctx)
{
	sqlite3_int64 cut;

	cut = query_value("SELECT coalesce((SELECT seq FROM records WHERE"
			  " id = s.through AND session = ?2), s.seq)"
			  " FROM summaries s JOIN records r ON r.seq = s.seq"
			  " WHERE r.session = ?2 ORDER BY s.seq DESC LIMIT 1",
	    NULL, session);
	if (cut > 0 &&
	    load_query("SELECT r.json FROM records r JOIN summaries s"
		       " ON s.seq = r.seq WHERE r.session = ?1 AND ?2 > 0"
		       " ORDER BY s.seq DESC LIMIT 1",
		session, 1, ctx) < 0)
		return -1;
	return cut;
}

/*
 * The best hits of query from other sessions, as doc records; one whose
 * text alone is longer than budget can hold is not even counted.
 */
static int
load_hits(const char *query, sqlite3_int64 session, long n,
    const struct counter *c, size_t budget, struct context *ctx)
{
	struct search_query q = {NULL, 0, 0, 1};
	struct search s;
	struct search_hit h;
	cJSON *doc;
	int rv = 0;

	search_query_add(&q, query);
	if (q.n > 0 && n > 0 &&
	    (rv = start_search(
		 &s, SEARCH_ALL, SEARCH_OTHERS, session, &q, query, n)) == 0) {
		while ((rv = search_next(&s, &h)) > 0) {
			if (h.text == NULL ||
			    counter_at_least(c, strlen(h.text)) > budget)
				continue;
			doc = new_object();
			msg_set_string(doc, "type", "doc");
			msg_set_string(doc, "source", search_source(&s, &h));
			msg_set_string(doc, "content", h.text);
			msg_set_number(doc, "score", h.score);
			context_add(ctx, doc);
		}
	}
	if (q.n > 0 && n > 0)
		search_end(&s);
	search_query_release(&q);
	return rv;
}

/* Prints the records of list (references into the context), in order. */
static void
print_list(const cJSON *list)
{
	const cJSON *rec;

	cJSON_ArrayForEach(rec, list) {
		jsonl_write(stdout, rec);
	}
}

/*
 * Prints what fit: the summary, the live facts, the hits, then the
 * conversation, system messages included, from its oldest kept message.
 */
static void
print_context(const struct context *ctx)
{
	int total = 0, kept = cJSON_GetArraySize(ctx->messages), i = 0;
	const cJSON *rec;

	print_list(ctx->summaries);
	print_list(ctx->facts);
	print_list(ctx->docs);
	cJSON_ArrayForEach(rec, ctx->records) {
		total += record_type(rec) == REC_MESSAGE &&
		    !record_role_system(msg_str(rec, "role"));
	}
	cJSON_ArrayForEach(rec, ctx->records) {
		if (record_type(rec) != REC_MESSAGE)
			continue;
		if (record_role_system(msg_str(rec, "role")) ||
		    i++ >= total - kept)
			jsonl_write(stdout, rec);
	}
}

/*
 * Loads what the next call needs and fits it to budget, as llm-ask will
 * count it (see budget_fit): what is left out goes in the order of
 * need, hits, then the oldest messages, then facts.  Returns 0, 1 (an
 * error, reported) or EXIT_OVER_BUDGET.
 */
static int
context_for(sqlite3_int64 id, const struct counter *c, size_t budget,
    const char *query, long hits)
{
	struct budget_report rep;
	struct context ctx;
	sqlite3_int64 cut;
	size_t tokens;
	int rv = 1;

	context_init(&ctx);
	if ((cut = load_summary(id, &ctx)) < 0 ||
	    load_query("SELECT r.json FROM facts f JOIN records r"
		       " ON r.seq = f.seq WHERE f.session = ?1 AND ?2 >= 0"
		       " ORDER BY f.seq",
		id, 0, &ctx) < 0 ||
	    /* System messages stand, summarized or not. */
	    load_query("SELECT r.json FROM records r JOIN messages m"
		       " ON m.seq = r.seq WHERE r.session = ?1 AND (r.seq > ?2"
		       " OR m.role IN ('system', 'developer')) ORDER BY r.seq",
		id, cut, &ctx) < 0 ||
	    (query != NULL && load_hits(query, id, hits, c, budget, &ctx) < 0))
		goto out;
	tokens = budget_fit(&ctx, c, NULL, NULL, budget, &rep);
	if (tokens > budget) {
		warnx("the latest summary and message alone are %zu tokens, "
		      "over the budget of %zu",
		    tokens, budget);
		rv = EXIT_OVER_BUDGET;
		goto out;
	}
	if (rep.facts + rep.messages + rep.docs > 0)
		warnx("left out %d facts, %d messages and %d hits to fit %zu "
		      "tokens",
		    rep.facts, rep.messages, rep.docs, budget);
	print_context(&ctx);
	rv = 0;
out:
	context_release(&ctx);
	return rv;
}

/* The model -m names (or the default) and its counter; a usage error. */
static const struct model *
model_option(const char *name, struct counter *c)
{
	const struct model *m = model_find(name);

	if (m == NULL) {
		warnx("unknown model '%s'", name);
		usage();
	}
	if (counter_for_model(c, m) < 0) {
		warnx("model '%s' has no counter", m->name);
		usage();
	}
	return m;
}

static int
cmd_context(int argc, char *argv[])
{
	enum { OPT_BUDGET = 256, OPT_HITS };
	static const struct option opts[] = {
	    HELP_OPTION,
	    {"budget", required_argument, NULL, OPT_BUDGET},
	    {"hits", required_argument, NULL, OPT_HITS},
	    {"model", required_argument, NULL, 'm'},
	    {"query", required_argument, NULL, 'q'},
	    {"session", required_argument, NULL, 's'},
	    {NULL, 0, NULL, 0},
	};
	const char *session = NULL, *query = NULL, *name = MODEL_DEFAULT;
	const struct model *model;
	struct counter counter;
	sqlite3_int64 id;
	long budget = -1, hits = DEFAULT_HITS;
	int ch;

	while ((ch = getopt_long(argc, argv, "hm:q:s:", opts, NULL)) != -1) {
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
			budget = option_number("--budget", optarg, 0, LONG_MAX);
			break;
		case OPT_HITS:
			hits = option_number("--hits", optarg, 0, LONG_MAX);
			break;
		default:
			other_option(ch);
		}
	}
	no_operands(argc, argv);
	if (session == NULL) {
		warnx("context: which session? (-s session)");
		usage();
	}
	model = model_option(name, &counter);
	if (open_db() < 0 || (id = find_session(session)) < 0)
		return 1;
	return context_for(id, &counter,
	    budget >= 0 ? (size_t)budget : (size_t)model->budget, query, hits);
}

/* What index did: the files, and with --embed the vectors. */
static void
print_index_report(const struct docindex_report *rep, const char *model,
    const struct embed_report *er)
{
	cJSON *o = new_object();
	const cJSON *f;

	msg_set_number(o, "files", (double)rep->files);
	msg_set_number(o, "indexed", (double)rep->indexed);
	msg_set_number(o, "unchanged", (double)rep->unchanged);
	msg_set_number(o, "removed", (double)rep->removed);
	msg_set_number(o, "skipped", (double)rep->skipped);
	msg_set_number(o, "docs", (double)rep->docs);
	if (model != NULL) {
		msg_set_string(o, "embed_model", model);
		msg_set_number(o, "embedded", (double)er->embedded);
		msg_set_number(o, "vectors_dropped", (double)er->pruned);
		for (f = er->cost->child; f != NULL; f = f->next)
			msg_set(o, f->string, cJSON_Duplicate(f, 1));
	}
	emit(o);
}

static int
cmd_index(int argc, char *argv[])
{
	enum { OPT_CHUNK = 256, OPT_EMBED, OPT_EMBED_MODEL };
	static const struct option opts[] = {
	    HELP_OPTION,
	    {"chunk", required_argument, NULL, OPT_CHUNK},
	    {"model", required_argument, NULL, 'm'},
	    {"embed", no_argument, NULL, OPT_EMBED},
	    {"embed-model", required_argument, NULL, OPT_EMBED_MODEL},
	    {NULL, 0, NULL, 0},
	};
	const char *name = MODEL_DEFAULT, *embed_model = NULL;
	struct docindex_report rep;
	struct embed_report er = {0, 0, NULL};
	struct counter counter;
	long chunk = DOCINDEX_CHUNK;
	int ch, embed = 0, status;

	while ((ch = getopt_long(argc, argv, "hm:", opts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			name = optarg;
			break;
		case OPT_CHUNK:
			chunk = option_number("--chunk", optarg, 1, LONG_MAX);
			break;
		case OPT_EMBED:
			embed = 1;
			break;
		case OPT_EMBED_MODEL:
			embed = 1;
			embed_model = optarg;
			break;
		default:
			other_option(ch);
		}
	}
	if (optind == argc) {
		warnx("index: which files? (path ...)");
		usage();
	}
	model_option(name, &counter);
	if (open_db() < 0 ||
	    docindex_run(db, argv + optind, argc - optind, &counter,
		(size_t)chunk, &rep) < 0)
		return 1;
	er.cost = new_object();
	embed_model = models_pick_embed(embed_model, &cfg);
	status = embed ? embed_docs(embed_model, &er) : 0;
	print_index_report(&rep, embed ? embed_model : NULL, &er);
	cJSON_Delete(er.cost);
	return status;
}

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
	if (optind == argc) {
		warnx("which command?");
		usage();
	}
	for (i = 0; i < ncommands; i++)
		if (strcmp(argv[optind], commands[i].name) == 0)
			cmd = &commands[i];
	if (cmd == NULL) {
		warnx("unknown command '%s'", argv[optind]);
		usage();
	}
	if (models_load(&cfg) != 0)
		exit(1);
	argc -= optind;
	argv += optind;
	optind = 0; /* glibc: start again, at argv[1] */
	status = cmd->run(argc, argv);
	store_close(db);
	sqlite3_shutdown();
	free(db_default);
	models_release();
	config_release(&cfg);
	exit_flushed(status);
}
