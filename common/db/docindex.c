/* docindex: llm-memdb index: text files cut into searchable docs. */
#include <dirent.h>
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "db/docindex.h"
#include "tok/chunk.h"
#include "db/ignore.h"
#include "core/jsonl.h"
#include "db/store.h"
#include "core/utf8.h"
#include "core/util.h"

#define MAX_FILE (8u << 20)
/* git's test for binary: a NUL in the first 8000 bytes. */
#define BINARY_PROBE 8000

enum {
	Q_FIND,
	Q_SET,
	Q_TOUCH,
	Q_CLEAR,
	Q_DOC,
	Q_TEXT,
	Q_SEEN,
	Q_PRUNE,
	NQUERIES
};

static const char *const sql[NQUERIES] = {
    [Q_FIND] = "SELECT id, size, mtime, hash FROM files WHERE path = ?",
    [Q_SET] = "INSERT INTO files(path, size, mtime, hash) VALUES (?, ?, ?, ?)"
	      " ON CONFLICT DO UPDATE SET size = excluded.size,"
	      " mtime = excluded.mtime, hash = excluded.hash RETURNING id",
    [Q_TOUCH] = "UPDATE files SET size = ?2, mtime = ?3 WHERE id = ?1",
    [Q_CLEAR] = "DELETE FROM docs WHERE file = ?",
    [Q_DOC] = "INSERT INTO docs(file, chunk, first_line, last_line, hash)"
	      " VALUES (?, ?, ?, ?, ?)",
    [Q_TEXT] = "INSERT INTO docs_fts(rowid, content) VALUES (?, ?)",
    [Q_SEEN] = "INSERT OR IGNORE INTO temp.seen VALUES (?)",
    /* Files under the root ?1 (a file, or a directory) not seen now. */
    [Q_PRUNE] = "DELETE FROM files WHERE (path = ?1 OR (substr(path, 1,"
		" length(?1) + 1) = ?1 || '/')) AND id NOT IN temp.seen",
};

struct indexer {
	sqlite3 *db;
	sqlite3_stmt *q[NQUERIES];
	const struct counter *counter;
	size_t chunk;
	struct ignore ignore;
	struct buf data, text, path;
	struct docindex_report *rep;
	int progress;
};

/* To notice a change, not to resist an attacker. */
static void
hash_hex(const char *s, size_t len, char out[17])
{
	snprintf(out, 17, "%016llx", (unsigned long long)hash_bytes(s, len));
}

/* Reads path whole into ix->data; returns 0, or -1 (warned). */
static int
read_file(struct indexer *ix, const char *path)
{
	FILE *fp = fopen(path, "rb");
	int rv;

	buf_reset(&ix->data);
	if (fp == NULL) {
		warn("%s", path);
		return -1;
	}
	if ((rv = buf_read(&ix->data, fp)) < 0)
		warn("%s", path);
	fclose(fp);
	return rv;
}

static int
add_doc(struct indexer *ix, sqlite3_int64 file, long chunk, long first,
    long last, const char *s, size_t len)
{
	sqlite3_stmt *d = ix->q[Q_DOC], *t = ix->q[Q_TEXT];
	char hash[17];

	hash_hex(s, len, hash);
	sqlite3_bind_int64(d, 1, file);
	sqlite3_bind_int64(d, 2, chunk);
	sqlite3_bind_int64(d, 3, first);
	sqlite3_bind_int64(d, 4, last);
	sqlite3_bind_text(d, 5, hash, -1, SQLITE_TRANSIENT);
	if (store_run(d) < 0)
		return -1;
	sqlite3_bind_int64(t, 1, sqlite3_last_insert_rowid(ix->db));
	sqlite3_bind_text(t, 2, s, (int)len, SQLITE_STATIC);
	ix->rep->docs++;
	return store_run(t);
}

/* A chunk of the file being indexed: one doc. */
struct chunking {
	struct indexer *ix;
	sqlite3_int64 file;
	long chunk;
};

static int
take_chunk(void *arg, const char *s, size_t len, long first, long last)
{
	struct chunking *ch = arg;

	return add_doc(ch->ix, ch->file, ++ch->chunk, first, last, s, len);
}

/*
 * Cuts the text in ix->text into docs at line ends, each as many whole
 * lines as fit in ix->chunk tokens (a longer line alone).
 */
static int
add_docs(struct indexer *ix, sqlite3_int64 file)
{
	struct chunking ch = {ix, file, 0};

	sqlite3_bind_int64(ix->q[Q_CLEAR], 1, file);
	if (store_run(ix->q[Q_CLEAR]) < 0)
		return -1;
	return chunk_lines(
	    ix->counter, ix->text.s, ix->text.len, ix->chunk, take_chunk, &ch);
}

static int
mark_seen(struct indexer *ix, sqlite3_int64 id)
{
	sqlite3_bind_int64(ix->q[Q_SEEN], 1, id);
	return store_run(ix->q[Q_SEEN]);
}

static int
is_binary(const struct buf *data)
{
	size_t n = data->len < BINARY_PROBE ? data->len : BINARY_PROBE;

	return memchr(data->s, '\0', n) != NULL;
}

/*
 * Indexes one regular file, unless its size and time (then its content)
 * show that the index has it already.  Returns 0, or -1 on a database
 * error; a file that cannot be read is warned about and skipped.
 */
static int
index_file(struct indexer *ix, const char *path, const struct stat *st)
{
	sqlite3_stmt *find = ix->q[Q_FIND], *q;
	sqlite3_int64 id = 0, mtime;
	char hash[17];
	int rc, same = 0;

	/* Microseconds: exact in a JSON number, which export writes. */
	mtime = (sqlite3_int64)st->st_mtim.tv_sec * 1000000 +
	    st->st_mtim.tv_nsec / 1000;
	if (st->st_size > (off_t)MAX_FILE) {
		ix->rep->skipped++;
		return 0;
	}
	store_bind_text(find, 1, path);
	if ((rc = sqlite3_step(find)) == SQLITE_ROW) {
		id = sqlite3_column_int64(find, 0);
		same = sqlite3_column_int64(find, 1) == st->st_size &&
		    sqlite3_column_int64(find, 2) == mtime;
		snprintf(hash, sizeof(hash), "%s",
		    (const char *)sqlite3_column_text(find, 3));
	}
	sqlite3_reset(find);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_error(ix->db, NULL);
		return -1;
	}
	if (same) {
		ix->rep->files++;
		ix->rep->unchanged++;
		return mark_seen(ix, id);
	}
	if (read_file(ix, path) < 0 || is_binary(&ix->data)) {
		ix->rep->skipped++;
		return 0;
	}
	ix->rep->files++;
	if (id != 0) {
		char now[17];

		hash_hex(ix->data.s, ix->data.len, now);
		if (strcmp(now, hash) == 0) {
			q = ix->q[Q_TOUCH];
			sqlite3_bind_int64(q, 1, id);
			sqlite3_bind_int64(q, 2, st->st_size);
			sqlite3_bind_int64(q, 3, mtime);
			ix->rep->unchanged++;
			return store_run(q) < 0 ? -1 : mark_seen(ix, id);
		}
	}
	hash_hex(ix->data.s, ix->data.len, hash);
	q = ix->q[Q_SET];
	store_bind_text(q, 1, path);
	sqlite3_bind_int64(q, 2, st->st_size);
	sqlite3_bind_int64(q, 3, mtime);
	store_bind_text(q, 4, hash);
	if (store_step_value(q, &id) < 0 || mark_seen(ix, id) < 0)
		return -1;
	buf_reset(&ix->text);
	utf8_sanitize(ix->data.s, ix->data.len, &ix->text);
	ix->rep->indexed++;
	return add_docs(ix, id);
}

static void
show_progress(const struct indexer *ix, int last)
{
	if (!ix->progress || (!last && ix->rep->files % 100 != 0))
		return;
	fprintf(stderr, "\rindexing: %zu files, %zu new or changed%s",
	    ix->rep->files, ix->rep->indexed, last ? "\n" : "");
}

static int walk(struct indexer *ix, const char *dir);

/* Indexes what path is: a file, a directory to walk, or neither. */
static int
visit(struct indexer *ix, const char *path, int top)
{
	struct buf shown = BUF_INIT;
	struct stat st;
	int rv = 0;

	if (lstat(path, &st) < 0) {
		warn("%s", path);
		return 0;
	}
	/*
	 * Paths are stored, searched and exported as text: a name that is
	 * not UTF-8 would make an export that no import takes.
	 */
	if (utf8_valid_prefix(path, strlen(path)) != strlen(path)) {
		utf8_sanitize(path, strlen(path), &shown);
		warnx("%s: the name is not UTF-8; left out", shown.s);
		buf_release(&shown);
		ix->rep->skipped++;
		return 0;
	}
	if (S_ISDIR(st.st_mode)) {
		if (top || !ignore_match(&ix->ignore, path, 1))
			rv = walk(ix, path);
	} else if (S_ISREG(st.st_mode)) {
		if (top || !ignore_match(&ix->ignore, path, 0))
			rv = index_file(ix, path, &st);
	}
	show_progress(ix, 0);
	return rv;
}

/* Walks dir in name order, its .gitignore in force below it. */
static int
walk(struct indexer *ix, const char *dir)
{
	struct dirent **names;
	struct buf path = BUF_INIT;
	size_t rules;
	int i, n, rv = 0;

	if ((n = scandir(dir, &names, NULL, alphasort)) < 0) {
		warn("%s", dir);
		return 0;
	}
	rules = ignore_load(&ix->ignore, dir);
	for (i = 0; i < n; i++) {
		const char *name = names[i]->d_name;

		if (rv == 0 && strcmp(name, ".") != 0 &&
		    strcmp(name, "..") != 0 && strcmp(name, ".git") != 0) {
			buf_reset(&path);
			buf_addstr(&path, dir);
			if (strcmp(dir, "/") != 0)
				buf_addstr(&path, "/");
			buf_addstr(&path, name);
			rv = visit(ix, path.s, 0);
		}
		free(names[i]);
	}
	free(names);
	ignore_truncate(&ix->ignore, rules);
	buf_release(&path);
	return rv;
}

/*
 * Loads the .gitignore files above root, from the top of the git work
 * tree it is in (if any) down to it, as git would apply them.
 */
static void
load_parent_rules(struct indexer *ix, const char *root)
{
	struct buf dir = BUF_INIT, probe = BUF_INIT;
	char *slash;
	size_t top = 0, len;
	struct stat st;

	buf_addstr(&dir, root);
	while ((slash = strrchr(dir.s, '/')) != NULL && slash != dir.s) {
		*slash = '\0';
		dir.len = (size_t)(slash - dir.s);
		buf_reset(&probe);
		buf_addstr(&probe, dir.s);
		buf_addstr(&probe, "/.git");
		if (stat(probe.s, &st) == 0) {
			top = dir.len;
			break;
		}
	}
	for (len = top; top > 0 && len < strlen(root);) {
		buf_reset(&dir);
		buf_add(&dir, root, len);
		ignore_load(&ix->ignore, dir.s);
		slash = strchr(root + len + 1, '/');
		if (slash == NULL)
			break;
		len = (size_t)(slash - root);
	}
	buf_release(&probe);
	buf_release(&dir);
}

/*
 * Makes path absolute without resolving it, for a path that no longer
 * exists: its files are still to leave the index.
 */
static char *
absolute(const char *path)
{
	struct buf abs = BUF_INIT;
	char cwd[PATH_MAX];

	if (path[0] != '/' && getcwd(cwd, sizeof(cwd)) != NULL) {
		buf_addstr(&abs, cwd);
		buf_addstr(&abs, "/");
	}
	buf_addstr(&abs, path);
	while (abs.len > 1 && abs.s[abs.len - 1] == '/')
		abs.s[--abs.len] = '\0';
	return buf_detach(&abs);
}

static int
index_root(struct indexer *ix, const char *arg)
{
	char *root = realpath(arg, NULL);
	int gone = root == NULL, rv;

	if (gone && errno != ENOENT) {
		warn("%s", arg);
		return -1;
	}
	if (gone)
		root = absolute(arg);
	load_parent_rules(ix, root);
	rv = gone ? 0 : visit(ix, root, 1);
	ignore_truncate(&ix->ignore, 0);
	if (rv == 0) {
		store_bind_text(ix->q[Q_PRUNE], 1, root);
		rv = store_run(ix->q[Q_PRUNE]);
		ix->rep->removed += (size_t)sqlite3_changes(ix->db);
	}
	if (rv == 0 && gone && sqlite3_changes(ix->db) == 0) {
		warnx("%s: no such file or directory", arg);
		rv = -1;
	}
	free(root);
	return rv;
}

int
docindex_run(sqlite3 *db, char **paths, int npaths, const struct counter *c,
    size_t chunk, struct docindex_report *rep)
{
	struct indexer ix;
	int i, rv = -1;

	memset(&ix, 0, sizeof(ix));
	memset(rep, 0, sizeof(*rep));
	ix.rep = rep;
	ix.db = db;
	ix.counter = c;
	ix.chunk = chunk;
	ix.progress = isatty(STDERR_FILENO);
	if (store_exec(db,
		"CREATE TEMP TABLE seen(id INTEGER PRIMARY KEY);"
		"BEGIN IMMEDIATE") < 0)
		return -1;
	for (i = 0; i < NQUERIES; i++)
		if ((ix.q[i] = store_prepare(db, sql[i])) == NULL)
			goto out;
	for (i = 0, rv = 0; rv == 0 && i < npaths; i++)
		rv = index_root(&ix, paths[i]);
	show_progress(&ix, 1);
out:
	for (i = 0; i < NQUERIES; i++)
		sqlite3_finalize(ix.q[i]);
	if (rv != 0 || (rv = store_exec(db, "COMMIT")) != 0)
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	ignore_release(&ix.ignore);
	buf_release(&ix.path);
	buf_release(&ix.text);
	buf_release(&ix.data);
	return rv;
}
