/* codescan: code in a message's text: fences, file names, diffs, definitions. */
#ifndef CODESCAN_H
#define CODESCAN_H

#include <stddef.h>

/*
 * Everything here reads text in place: a span points into the text it
 * was found in and lives as long as that text.  Nothing is copied but
 * the arrays of results, which grow with ARRAY_GROW.
 */
struct code_span {
	const char *s;
	size_t len;
};

/* The languages whose definitions are found, and what else a fence holds. */
enum code_lang {
	CODE_UNKNOWN, /* not said, and not guessed */
	CODE_C,       /* also C++, Java and C#: type name(params) { */
	CODE_PYTHON,
	CODE_JS, /* JavaScript and TypeScript, JSX and TSX too */
	CODE_GO,
	CODE_RUST,
	CODE_SHELL,
	CODE_DIFF, /* a unified diff */
	CODE_OTHER /* data, logs, terminal sessions, other languages */
};

/* "c", "python", "js", "go", "rust", "shell", "diff", or NULL. */
const char *code_lang_name(enum code_lang lang);

/* The language a fence's info word names: "c", "py", "tsx", "bash"... */
enum code_lang code_lang_of_word(const char *s, size_t len);

/* The language of a file, by its extension (or name: "Makefile"). */
enum code_lang code_lang_of_path(const char *s, size_t len);

/* A guess from the first lines of code whose language is not said. */
enum code_lang code_lang_guess(const char *s, size_t len);

/*
 * Returns 1 if s looks like the path of a file as people write one in
 * prose: "src/x.c", "app/__init__.py", ".env", "~/.bashrc", "Makefile";
 * not a URL, a version, an abbreviation, a route such as "/api/items"
 * or a location such as "src/x.c:12".
 */
int code_is_path(const char *s, size_t len);

/*
 * A fenced block, as CommonMark has it: a line of three or more ` or ~
 * indented at most three spaces, its info string, and the lines up to
 * a line of the same character at least as long (or the end of text).
 */
struct code_fence {
	size_t start, end;     /* of the block, fence lines included */
	struct code_span info; /* the info string, trimmed */
	struct code_span body; /* the lines between the fence lines */
	/*
	 * The file the block is, if it says: a path in the info string
	 * ("c src/x.c", "python title=\"app/db.py\"", "js:lib/x.js",
	 * "src/main.rs") or in a comment on its first line ("// file:
	 * lib/util.js", "# path: run.sh", "-- src/q.sql"); len 0 if none.
	 * After a label ("title=", "file:") any name with a slash or a dot
	 * will do; alone, it must look like a path (code_is_path).
	 */
	struct code_span path;
	enum code_lang lang; /* by the info string, the path, or a guess */
};

/*
 * Finds the next fenced block that starts at or after *pos in the
 * len bytes of text.  Returns 1 with *f set and *pos past the block,
 * or 0 when there is none.
 */
int code_next_fence(
    const char *text, size_t len, size_t *pos, struct code_fence *f);

/* What a diff does to a file. */
enum diff_change { DIFF_MODIFIED, DIFF_CREATED, DIFF_DELETED, DIFF_RENAMED };

/*
 * One file of a unified diff, git's or diff -u's.  Paths come without
 * git's a/ and b/ and without diff's timestamps; a side that is
 * /dev/null has len 0.  Only git's diffs rename: diff -u's old name
 * ("x.c.orig") is taken for a backup of the new.
 */
struct diff_file {
	size_t start, end; /* its headers and hunks in the text */
	struct code_span old_path, new_path;
	enum diff_change change;
	size_t added, removed;  /* lines */
	struct code_span hunks; /* from its first "@@" line to its end */
};

/*
 * Finds the next file of a diff that starts at or after *pos: a "diff
 * --git" line, or a "--- " line followed by a "+++ " line.  Returns 1
 * with *f set and *pos past it, or 0 when there is none.  Hunks run as
 * long as their lines look like a hunk's, whatever their counts say:
 * the diffs a model writes rarely count right.
 */
int
diff_next_file(const char *text, size_t len, size_t *pos, struct diff_file *f);

/* A function defined with a body. */
struct code_def {
	struct code_span name; /* bare: "Get", not "(s *Store) Get" */
	struct code_span line; /* where it is defined, trimmed */
	struct code_span head; /* C's type on the line before, or len 0 */
};

struct code_defs {
	struct code_def *v;
	size_t n, cap;
};

#define CODE_DEFS_INIT \
	{ \
		NULL, 0, 0 \
	}

void code_defs_release(struct code_defs *d);

/*
 * Appends to out the functions that the code s defines with a body, in
 * the order written: C (and its kin) "type name(params) {", also with
 * the type on the line before; Python "def" and "async def"; JavaScript
 * and TypeScript "function name(", "const name = (...) =>" and class
 * methods; Go "func name(" and "func (recv) name("; Rust "fn name(",
 * in impl blocks too; shell "name() {" and "function name {".  Not
 * prototypes, declarations without a body, calls, lambdas or anonymous
 * functions.  CODE_UNKNOWN is read as C; other languages find none.
 */
void code_find_defs(
    enum code_lang lang, const char *s, size_t len, struct code_defs *out);

/* The side of a diff that definitions are read from. */
enum diff_side {
	DIFF_NEW, /* the file after: context and added lines */
	DIFF_OLD  /* the file before: context and removed lines */
};

/*
 * Appends to out the functions of file f (code of language lang) that
 * a line changed on that side begins: added lines for DIFF_NEW, removed
 * for DIFF_OLD.  With context set, those begun by context lines too.
 * A hunk's header (the text after "@@ ... @@") is never read.
 */
void diff_find_defs(const struct diff_file *f, enum code_lang lang,
    enum diff_side side, int context, struct code_defs *out);

struct code_spans {
	struct code_span *v;
	size_t n, cap;
};

#define CODE_SPANS_INIT \
	{ \
		NULL, 0, 0 \
	}

void code_spans_release(struct code_spans *s);

/*
 * Appends to out the text of each "TODO" or "FIXME" comment in code s
 * (what follows "TODO:", "TODO(name):" or "FIXME:" after a comment
 * mark, to the end of the comment); diff_find_todos does so for the
 * lines f adds.
 */
void code_find_todos(const char *s, size_t len, struct code_spans *out);
void diff_find_todos(const struct diff_file *f, struct code_spans *out);

#endif
