/* search: BM25 over what the memory holds, newest matches first. */
#ifndef SEARCH_H
#define SEARCH_H

#include <stddef.h>

#include <sqlite3.h>

#include "core/util.h"

/* What can be searched, as a mask. */
enum {
	SEARCH_MESSAGE = 1,
	SEARCH_SUMMARY = 2,
	SEARCH_FACT = 4,
	SEARCH_DOC = 8,
	SEARCH_ALL = 15
};

/* Whose records: any session's, one session's, the others'. */
enum search_scope { SEARCH_ANY, SEARCH_SESSION, SEARCH_OTHERS };

/* The head of a record's text that is searched, in bytes. */
#define SEARCH_TEXT (256u << 10)

/* Matches of a kind that are ranked: the newest. */
#define SEARCH_CANDIDATES 500

/*
 * What to search for: words, each a quoted FTS5 string (with '"'
 * doubled), so that no character of the user's is FTS5 syntax; all of
 * them wanted, or any.
 */
struct search_query {
	struct search_word {
		char *quoted; /* for FTS5 */
		char *plain;  /* as given, for snippets made here */
	} * words;
	size_t n, cap;
	int any;
};

/* Adds the whitespace-separated words of text to q. */
void search_query_add(struct search_query *q, const char *text);
void search_query_release(struct search_query *q);

/* The bit of a kind's name ("message", "summary", "fact", "doc"), or 0. */
unsigned search_kind(const char *name);

/* Of the kinds in mask, those that belong to sessions (all but docs). */
unsigned search_session_kinds(unsigned mask);

/* One result, valid until the next search_next. */
struct search_hit {
	const char *kind;
	double score;            /* BM25, higher is better, 4 digits */
	const char *session;     /* NULL for a doc */
	const char *id;          /* a record's id, or a doc's path */
	long chunk, first, last; /* a doc's chunk and lines */
	const char *snippet;
	const char *text; /* the whole text */
};

/* A hit of a fused search, its strings its own. */
struct fused_hit {
	struct search_hit h;
	char *kind, *session, *id, *snippet, *text;
};

struct search {
	sqlite3 *db;
	sqlite3_stmt *st;
	const struct search_query *q;
	struct buf snippet, source;
	struct fused_hit *fused; /* after search_fuse: the hits, in order */
	size_t nfused, cap, next;
	int is_fused;
};

/* BM25's hits and the vectors' that a fused search weighs, at least. */
#define SEARCH_FUSED 50

/* The constant of reciprocal rank fusion, as its authors chose it. */
#define SEARCH_RRF_K 60

/*
 * Starts a search of the kinds in mask (at least one with a session
 * when scope is not SEARCH_ANY) for the best n hits of q, best first.
 * Each kind ranks its newest SEARCH_CANDIDATES matches.  Returns 0, or
 * -1 (reported).
 */
int search_start(struct search *s, sqlite3 *db, unsigned mask,
    enum search_scope scope, sqlite3_int64 session,
    const struct search_query *q, long n);

struct vector_hit;

/*
 * Makes the search started by search_start (for SEARCH_FUSED hits or
 * more) hybrid: its BM25 hits and the docs of near (nnear, nearest
 * first) ranked by reciprocal rank fusion, each hit scored the sum of
 * 1 / (SEARCH_RRF_K + its rank) in each list it is in; the best n are
 * what search_next gives.  Docs near but not among the BM25 hits are
 * added only if the search takes docs.  Returns 0, or -1 (reported).
 */
int search_fuse(struct search *s, const struct vector_hit *near, size_t nnear,
    int take_docs, long n);

/* The next hit in *h: returns 1, 0 after the last, -1 (reported). */
int search_next(struct search *s, struct search_hit *h);

/* "session#id" for a record, "path#chunk" for a doc, in s's buffer. */
const char *search_source(struct search *s, const struct search_hit *h);

void search_end(struct search *s);

#endif
