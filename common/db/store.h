/* store: llm-memdb's SQLite database: opening it safely, its schema. */
#ifndef STORE_H
#define STORE_H

#include <sqlite3.h>

/* The schema version this code writes, kept in PRAGMA user_version. */
#define STORE_VERSION 5

/*
 * Returns the allocated default path of the database: $LLMPIPE_DB, else
 * $XDG_DATA_HOME/llmpipe/memory.db (see xdg_path).  NULL if neither can
 * be found.  The caller frees it.
 */
char *store_default_path(void);

/*
 * Opens the database at path, creating it with mode 0600 if it does not
 * exist, and brings its schema up to STORE_VERSION.  make_dir says the
 * path is the default one, whose directory is created (mode 0700) when
 * missing; a named path must be in an existing directory.  The file is
 * never created over, truncated or rewritten: a file that is not an
 * llm-memdb database is an error.  Returns the handle (closed with
 * store_close) or NULL after reporting why on stderr.
 */
sqlite3 *store_open(const char *path, int make_dir);

/*
 * Closes db, whose statements must all be finalized: FTS5 prepares
 * statements of its own on it, so nobody else may finalize them all.
 */
void store_close(sqlite3 *db);

/* Reports "prog: path: what: SQLite's message" for the last error. */
void store_error(sqlite3 *db, const char *what);

/*
 * Prepares sql on db; returns the statement (the caller finalizes it) or
 * NULL, reported.
 */
sqlite3_stmt *store_prepare(sqlite3 *db, const char *sql);

/* Runs sql, one statement or more; returns 0 or -1, reported. */
int store_exec(sqlite3 *db, const char *sql);

/*
 * Steps st once for a statement that returns no row and resets it.
 * Returns 0 or -1, reported.
 */
int store_run(sqlite3_stmt *st);

/*
 * Steps q, which gives one row or none (an INSERT ... RETURNING), to its
 * end and resets it; stores column 0 of the row, or 0, in *value.
 * Returns 0 or -1, reported.
 */
int store_step_value(sqlite3_stmt *q, sqlite3_int64 *value);

/*
 * Binds text to parameter i of st, as SQL NULL when it is NULL.  The text
 * must stay valid until the statement is reset.
 */
void store_bind_text(sqlite3_stmt *st, int i, const char *text);

#endif
