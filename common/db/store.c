/* store: llm-memdb's SQLite database: opening it safely, its schema. */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "db/rank.h"
#include "db/store.h"
#include "core/util.h"

/*
 * Long enough for another writer's whole input to commit: a writer holds
 * the lock from its first record to its last, and a failed add is worse
 * than a slow one.
 */
#define BUSY_TIMEOUT_MS 60000

/*
 * Migration i takes the schema from version i to i + 1; a new database
 * runs them all.  Each runs in the transaction that sets user_version, so
 * a database is at one version or the next, never between.  Never edit a
 * released migration: add one.  tests/memdb/v1.sql holds migration 0's
 * schema with data, to test the upgrade.
 *
 * Every record is kept whole, as JSON, in records, in the order added;
 * the other tables index it by kind.  Text is searched through FTS5
 * tables whose rowid is the seq of the record (or the id of the fact or
 * doc) that holds it.
 */
static const char *const migrations[] = {
    /* 1: sessions, the record log, and what is derived from it. */
    "CREATE TABLE sessions ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE,"
    " created TEXT NOT NULL) STRICT;"
    "CREATE TABLE records ("
    " seq INTEGER PRIMARY KEY,"
    " id TEXT NOT NULL UNIQUE,"
    " session INTEGER NOT NULL REFERENCES sessions ON DELETE CASCADE,"
    " type TEXT NOT NULL,"
    " ts TEXT NOT NULL,"
    " json TEXT NOT NULL) STRICT;"
    "CREATE INDEX records_by_session ON records(session, seq);"
    "CREATE TABLE messages ("
    " seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE,"
    " role TEXT NOT NULL,"
    " model TEXT,"
    " tokens INTEGER) STRICT;"
    "CREATE TABLE summaries ("
    " seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE,"
    " covers INTEGER,"
    " through TEXT) STRICT;"
    "CREATE TABLE fact_ops ("
    " seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE,"
    " kind TEXT NOT NULL,"
    " subject TEXT,"
    " op TEXT NOT NULL CHECK (op IN ('add', 'update', 'delete')),"
    " source TEXT) STRICT;"
    "CREATE TABLE facts ("
    " id INTEGER PRIMARY KEY,"
    " session INTEGER NOT NULL REFERENCES sessions ON DELETE CASCADE,"
    " kind TEXT NOT NULL,"
    " key TEXT NOT NULL,"
    " seq INTEGER NOT NULL REFERENCES records ON DELETE CASCADE,"
    " UNIQUE (session, kind, key)) STRICT;"
    "CREATE INDEX facts_by_seq ON facts(seq);"
    "CREATE TABLE file_changes ("
    " seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE,"
    " path TEXT NOT NULL,"
    " change TEXT NOT NULL) STRICT;"
    "CREATE TABLE usage ("
    " seq INTEGER PRIMARY KEY REFERENCES records ON DELETE CASCADE,"
    " provider TEXT,"
    " model TEXT,"
    " input_tokens INTEGER NOT NULL,"
    " output_tokens INTEGER NOT NULL,"
    " cost_usd REAL NOT NULL,"
    " latency_ms INTEGER) STRICT;"
    "CREATE VIRTUAL TABLE messages_fts USING fts5(content);"
    "CREATE VIRTUAL TABLE summaries_fts USING fts5(content);"
    "CREATE VIRTUAL TABLE facts_fts USING fts5(subject, content);"
    "CREATE TRIGGER records_deleted AFTER DELETE ON records BEGIN"
    " DELETE FROM messages_fts WHERE rowid = old.seq;"
    " DELETE FROM summaries_fts WHERE rowid = old.seq;"
    " END;"
    "CREATE TRIGGER facts_deleted AFTER DELETE ON facts BEGIN"
    " DELETE FROM facts_fts WHERE rowid = old.id;"
    " END;",

    /*
     * 2: cached input tokens, which version 1 left in the records' JSON,
     * and the index of files (llm-memdb index).
     */
    "ALTER TABLE usage ADD COLUMN cached_tokens INTEGER NOT NULL DEFAULT 0;"
    "UPDATE usage SET cached_tokens = coalesce((SELECT"
    " json_extract(json, '$.usage.cached_tokens') FROM records"
    " WHERE records.seq = usage.seq), 0);"
    "CREATE TABLE files ("
    " id INTEGER PRIMARY KEY,"
    " path TEXT NOT NULL UNIQUE,"
    " size INTEGER NOT NULL,"
    " mtime INTEGER NOT NULL,"
    " hash TEXT NOT NULL) STRICT;"
    "CREATE TABLE docs ("
    " id INTEGER PRIMARY KEY,"
    " file INTEGER NOT NULL REFERENCES files ON DELETE CASCADE,"
    " chunk INTEGER NOT NULL,"
    " first_line INTEGER NOT NULL,"
    " last_line INTEGER NOT NULL,"
    " hash TEXT NOT NULL,"
    " UNIQUE (file, chunk)) STRICT;"
    "CREATE VIRTUAL TABLE docs_fts USING fts5(content);"
    "CREATE TRIGGER docs_deleted AFTER DELETE ON docs BEGIN"
    " DELETE FROM docs_fts WHERE rowid = old.id;"
    " END;",

    /*
     * 3: llm-ask's own count of a call's input beside the provider's,
     * to check an estimate's factor against real use (cost shows it).
     */
    "ALTER TABLE usage ADD COLUMN counted_input_tokens INTEGER;"
    "UPDATE usage SET counted_input_tokens = (SELECT"
    " json_extract(json, '$.usage.counted_input_tokens') FROM records"
    " WHERE records.seq = usage.seq);",

    /*
     * 4: the vectors of docs (llm-memdb index --embed), by the hash of
     * a doc's text, so that a doc unchanged keeps its vector and two
     * docs alike share one: float32, unit length, of one model.
     */
    "CREATE TABLE embeddings ("
    " id INTEGER PRIMARY KEY,"
    " model TEXT NOT NULL,"
    " hash TEXT NOT NULL,"
    " vector BLOB NOT NULL,"
    " UNIQUE (model, hash)) STRICT;"
    "CREATE INDEX docs_by_hash ON docs(hash);",

    /*
     * 5: the signs of the vectors (vectors.c says of what), 128 bytes
     * each, 256 vectors to a row: those of ids block * 256 to block *
     * 256 + 255 that exist, as the bits of present say.  Search's first
     * pass reads them: a 48th of 1,536 float32s, and a row for 256.
     * Derived from embeddings: a change there marks its block stale
     * (the triggers; not INSERT OR IGNORE, which an upsert into
     * embeddings would override), and llm-memdb rewrites the stale
     * blocks when it stores vectors; search reads a stale block's
     * vectors themselves.
     */
    "CREATE TABLE vector_signs ("
    " block INTEGER PRIMARY KEY,"
    " present BLOB NOT NULL,"
    " signs BLOB NOT NULL) STRICT;"
    "CREATE TABLE vector_stale (block INTEGER PRIMARY KEY) STRICT;"
    "INSERT INTO vector_stale SELECT DISTINCT id >> 8 FROM embeddings;"
    "CREATE TRIGGER embeddings_added AFTER INSERT ON embeddings BEGIN"
    " INSERT INTO vector_stale SELECT new.id >> 8 WHERE NOT EXISTS"
    " (SELECT 1 FROM vector_stale WHERE block = new.id >> 8);"
    " END;"
    "CREATE TRIGGER embeddings_changed AFTER UPDATE ON embeddings BEGIN"
    " INSERT INTO vector_stale SELECT new.id >> 8 WHERE NOT EXISTS"
    " (SELECT 1 FROM vector_stale WHERE block = new.id >> 8);"
    " END;"
    "CREATE TRIGGER embeddings_dropped AFTER DELETE ON embeddings BEGIN"
    " INSERT INTO vector_stale SELECT old.id >> 8 WHERE NOT EXISTS"
    " (SELECT 1 FROM vector_stale WHERE block = old.id >> 8);"
    " END;",
};

#define NMIGRATIONS (sizeof(migrations) / sizeof(migrations[0]))

_Static_assert(NMIGRATIONS == STORE_VERSION, "one migration per version");

/* The path as the user named it, for messages. */
static const char *store_path = "database";

char *
store_default_path(void)
{
	const char *env = getenv("LLMPIPE_DB");
	struct buf path = BUF_INIT;

	if (env != NULL && env[0] != '\0') {
		buf_addstr(&path, env);
		return buf_detach(&path);
	}
	return xdg_path("XDG_DATA_HOME", ".local/share", "memory.db");
}

void
store_error(sqlite3 *db, const char *what)
{
	if (what != NULL)
		warnx("%s: %s: %s", store_path, what, sqlite3_errmsg(db));
	else
		warnx("%s: %s", store_path, sqlite3_errmsg(db));
}

sqlite3_stmt *
store_prepare(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st = NULL;

	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
		NULL) != SQLITE_OK) {
		store_error(db, NULL);
		return NULL;
	}
	return st;
}

int
store_exec(sqlite3 *db, const char *sql)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		store_error(db, NULL);
		return -1;
	}
	return 0;
}

int
store_run(sqlite3_stmt *st)
{
	int rc = sqlite3_step(st);

	sqlite3_reset(st);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_error(sqlite3_db_handle(st), NULL);
		return -1;
	}
	return 0;
}

int
store_step_value(sqlite3_stmt *q, sqlite3_int64 *value)
{
	int rc = sqlite3_step(q);

	*value = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
	while (rc == SQLITE_ROW)
		rc = sqlite3_step(q);
	sqlite3_reset(q);
	if (rc != SQLITE_DONE) {
		store_error(sqlite3_db_handle(q), NULL);
		return -1;
	}
	return 0;
}

void
store_bind_text(sqlite3_stmt *st, int i, const char *text)
{
	if (text != NULL)
		sqlite3_bind_text(st, i, text, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

void
store_close(sqlite3 *db)
{
	if (db != NULL && sqlite3_close(db) != SQLITE_OK)
		store_error(db, "close");
}

/* Creates the directories of path that are missing, mode 0700. */
static int
make_parents(const char *path)
{
	char *dir = xmalloc(strlen(path) + 1), *p;
	int rv = 0;

	strcpy(dir, path);
	for (p = dir + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			warn("cannot create directory '%s'", dir);
			rv = -1;
			break;
		}
		*p = '/';
	}
	free(dir);
	return rv;
}

/*
 * Creates path with mode 0600 unless it exists: SQLite would create it
 * with 0644, and memory may hold anything a user told an assistant.
 */
static int
create_private(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

	if (fd >= 0)
		return close(fd);
	if (errno == EEXIST)
		return 0;
	warn("cannot create database '%s'", path);
	return -1;
}

/*
 * Reads the schema version into *version; fails (reported) for a
 * database that is not llm-memdb's or is newer than this code.
 */
static int
check_version(sqlite3 *db, int *version)
{
	sqlite3_stmt *st;
	int rc, tables = 0;

	/* One statement, so one snapshot: another process may be migrating. */
	st = store_prepare(db,
	    "SELECT user_version, (SELECT count(*) FROM"
	    " sqlite_schema) FROM pragma_user_version");
	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		*version = sqlite3_column_int(st, 0);
		tables = sqlite3_column_int(st, 1);
	} else {
		store_error(db, NULL);
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return -1;
	if (*version == 0 && tables > 0) {
		warnx("%s: not an llm-memdb database (it has tables and no "
		      "schema version)",
		    store_path);
		return -1;
	}
	if (*version > STORE_VERSION) {
		warnx(
		    "%s: schema version %d is newer than this llm-memdb's (%d)",
		    store_path, *version, STORE_VERSION);
		return -1;
	}
	return 0;
}

/*
 * Runs the migrations that the database lacks, in one transaction taken
 * before reading the version, so that processes opening a new database
 * at once create the schema once.
 */
static int
migrate(sqlite3 *db)
{
	char sql[64];
	int version;
	size_t i;

	if (store_exec(db, "BEGIN IMMEDIATE") < 0)
		return -1;
	if (check_version(db, &version) < 0)
		goto fail;
	for (i = (size_t)version; i < NMIGRATIONS; i++)
		if (store_exec(db, migrations[i]) < 0)
			goto fail;
	snprintf(sql, sizeof(sql), "PRAGMA user_version = %d", STORE_VERSION);
	if (version < STORE_VERSION && store_exec(db, sql) < 0)
		goto fail;
	return store_exec(db, "COMMIT");
fail:
	sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

/*
 * Turns on WAL mode, which stays with the file.  Changing the mode needs
 * the database to itself, and SQLite does not wait for that as it waits
 * for locks; so this waits here, for processes that open a new database
 * at once.
 */
static int
set_wal(sqlite3 *db)
{
	const struct timespec pause = {0, 10 * 1000000};
	int i, rc = SQLITE_BUSY;

	for (i = 0; i < BUSY_TIMEOUT_MS / 10 && (rc & 0xff) == SQLITE_BUSY;
	     i++) {
		if (i > 0)
			nanosleep(&pause, NULL);
		rc = sqlite3_exec(
		    db, "PRAGMA journal_mode = WAL", NULL, NULL, NULL);
	}
	if (rc != SQLITE_OK) {
		store_error(db, NULL);
		return -1;
	}
	return 0;
}

sqlite3 *
store_open(const char *path, int make_dir)
{
	sqlite3 *db = NULL;
	int version;

	store_path = path;
	if ((make_dir && make_parents(path) < 0) || create_private(path) < 0)
		return NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) !=
	    SQLITE_OK) {
		store_error(db, NULL);
		goto fail;
	}
	if (sqlite3_db_readonly(db, "main") == 1) {
		warnx("%s: cannot write: read-only file", path);
		goto fail;
	}
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	/*
	 * WAL: readers never wait for the writer, commits are cheap.  It
	 * rewrites the header, so another program's database is refused
	 * first.  Only an old schema takes the write lock, to migrate: a
	 * reader must not wait for a writer.
	 */
	if (check_version(db, &version) < 0 || set_wal(db) < 0 ||
	    store_exec(db,
		"PRAGMA synchronous = NORMAL;"
		"PRAGMA foreign_keys = ON") < 0 ||
	    (version < STORE_VERSION && migrate(db) < 0))
		goto fail;
	if (rank_register(db) < 0) {
		warnx("%s: this SQLite has no FTS5", path);
		goto fail;
	}
	return db;
fail:
	store_close(db);
	return NULL;
}
