/* search: BM25 over what the memory holds, newest matches first. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "db/search.h"
#include "db/store.h"
#include "db/vectors.h"

/* Rows longer than this, in tokens, get a snippet made here. */
#define SNIPPET_TOKENS 20000
/* How far into such a row a snippet's match is looked for, in bytes. */
#define SNIPPET_SCAN (1u << 20)

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
    {"message", SEARCH_MESSAGE, "messages_fts",
	"EXISTS (SELECT 1 FROM records INDEXED BY records_by_session"
	" WHERE session = :session AND seq = messages_fts.rowid)",
	"messages_fts.rowid BETWEEN (SELECT min(seq) FROM records WHERE"
	" session = :session) AND (SELECT max(seq) FROM records WHERE"
	" session = :session)",
	"r.session AS session, r.id AS id, NULL AS chunk, NULL AS first,"
	" NULL AS last",
	" JOIN records r ON r.seq = row", "0", "content"},
    {"summary", SEARCH_SUMMARY, "summaries_fts",
	"EXISTS (SELECT 1 FROM records INDEXED BY records_by_session"
	" WHERE session = :session AND seq = summaries_fts.rowid)",
	"summaries_fts.rowid BETWEEN (SELECT min(seq) FROM records WHERE"
	" session = :session) AND (SELECT max(seq) FROM records WHERE"
	" session = :session)",
	"r.session AS session, r.id AS id, NULL AS chunk, NULL AS first,"
	" NULL AS last",
	" JOIN records r ON r.seq = row", "0", "content"},
    {"fact", SEARCH_FACT, "facts_fts",
	"EXISTS (SELECT 1 FROM facts WHERE id = facts_fts.rowid"
	" AND session = :session)",
	NULL,
	"r.session AS session, r.id AS id, NULL AS chunk, NULL AS first,"
	" NULL AS last",
	" JOIN facts f ON f.id = row JOIN records r ON r.seq = f.seq", "-1",
	"coalesce(subject || ': ', '') || coalesce(content, '')"},
    {"doc", SEARCH_DOC, "docs_fts", NULL, NULL,
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
 * to SEARCH_CANDIDATES, scored, and the best :limit of those made into results.
 * Ordered by score, FTS5 would score every match, which for a word in
 * half of a million records takes a second; newest first it reads only
 * as many as it returns.  The snippet and the text are made for those
 * best only.
 */
static void
add_kind_hits(struct buf *sql, const struct kind *k, enum search_scope scope)
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
	if (scope == SEARCH_SESSION && k->session_rows != NULL)
		buf_printf(sql, " AND %s", k->session_rows);
	if (scope != SEARCH_ANY && k->in_session != NULL)
		buf_printf(sql, " AND %s%s",
		    scope == SEARCH_OTHERS ? "NOT " : "", k->in_session);
	/*
	 * FTS5's snippet() weighs every match against every other: hours
	 * for a message of megabytes.  A row over SNIPPET_TOKENS gets one
	 * made here instead (see own_snippet).
	 */
	buf_printf(sql,
	    " ORDER BY rowid DESC LIMIT %d) ORDER BY score LIMIT :limit)"
	    " SELECT '%s' AS kind, score, %s, (SELECT CASE WHEN"
	    " rank_tokens(%s) <= %d THEN snippet(%s, %s, '[', ']', '…', 16)"
	    " END FROM %s WHERE %s MATCH :%s AND rowid = row) AS snippet,"
	    " (SELECT %s FROM %s WHERE rowid = row) AS text FROM hits%s)",
	    SEARCH_CANDIDATES, k->name, k->columns, k->fts, SNIPPET_TOKENS,
	    k->fts, k->snippet_column, k->fts, k->fts, k->name, k->text, k->fts,
	    k->joins);
}

/*
 * Prepares the query for the best hits of the kinds in the scope, best
 * first: :message, :summary, :fact and :doc the FTS5 query of each kind
 * (see bind_query), :limit the number of hits, :session the session's
 * id.  The caller finalizes it.
 */
static sqlite3_stmt *
prepare_hits(sqlite3 *db, unsigned mask, enum search_scope scope)
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
		    (kinds[i].in_session == NULL && scope == SEARCH_SESSION))
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

void
search_query_add(struct search_query *q, const char *text)
{
	struct buf word = BUF_INIT;
	const char *p = text;
	size_t n;

	for (;;) {
		p += strspn(p, " \t\r\n\f\v");
		if (*p == '\0')
			break;
		n = strcspn(p, " \t\r\n\f\v");
		buf_reset(&word);
		buf_add(&word, "\"", 1);
		for (size_t i = 0; i < n; i++) {
			if (p[i] == '"')
				buf_add(&word, "\"", 1);
			buf_add(&word, p + i, 1);
		}
		buf_add(&word, "\"", 1);
		ARRAY_GROW(q->words, q->n, q->cap);
		q->words[q->n].plain = xstrndup(p, n);
		q->words[q->n++].quoted = xstrdup(word.s);
		p += n;
	}
	buf_release(&word);
}

void
search_query_release(struct search_query *q)
{
	while (q->n > 0) {
		q->n--;
		free(q->words[q->n].quoted);
		free(q->words[q->n].plain);
	}
	free(q->words);
	q->words = NULL;
	q->cap = 0;
}

/*
 * Finds whether word is too common in kind k to choose hits by: its
 * newest SEARCH_CANDIDATES matches lie in the kind's newest 10 * SEARCH_CANDIDATES
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
	*common = rc == SQLITE_ROW &&
	    sqlite3_column_int64(st, 0) < 10 * SEARCH_CANDIDATES;
	sqlite3_reset(st);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
		store_error(sqlite3_db_handle(st), NULL);
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
kind_query(sqlite3 *db, const struct kind *k, const struct search_query *q,
    struct buf *out)
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
		    k->fts, k->fts, k->fts, SEARCH_CANDIDATES - 1);
		if ((st = store_prepare(db, sql.s)) == NULL)
			goto out;
		for (i = 0; i < q->n; i++) {
			if (too_common(st, q->words[i].quoted, &common[i]) < 0)
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
		buf_addstr(out, q->words[i].quoted);
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
bind_query(sqlite3_stmt *st, const struct search_query *q, long n,
    sqlite3_int64 session)
{
	struct buf text = BUF_INIT, name = BUF_INIT;
	size_t i;
	int p, rv = 0;

	for (i = 0; i < NKINDS && rv == 0; i++) {
		buf_reset(&name);
		buf_printf(&name, ":%s", kinds[i].name);
		if ((p = sqlite3_bind_parameter_index(st, name.s)) == 0)
			continue;
		if ((rv = kind_query(
			 sqlite3_db_handle(st), &kinds[i], q, &text)) == 0)
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

unsigned
search_kind(const char *name)
{
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (strcmp(name, kinds[i].name) == 0)
			return kinds[i].bit;
	return 0;
}

unsigned
search_session_kinds(unsigned mask)
{
	unsigned with = 0;
	size_t i;

	for (i = 0; i < NKINDS; i++)
		if (kinds[i].in_session != NULL)
			with |= kinds[i].bit;
	return mask & with;
}

int
search_start(struct search *s, sqlite3 *db, unsigned mask,
    enum search_scope scope, sqlite3_int64 session,
    const struct search_query *q, long n)
{
	memset(s, 0, sizeof(*s));
	s->db = db;
	s->q = q;
	s->snippet = (struct buf)BUF_INIT;
	s->source = (struct buf)BUF_INIT;
	if ((s->st = prepare_hits(db, mask, scope)) == NULL ||
	    bind_query(s->st, q, n, session) < 0)
		return -1;
	return 0;
}

/* A word is letters and digits, any non-ASCII character among them. */
static int
is_word(unsigned char c)
{
	return c >= 0x80 || isalnum(c);
}

static size_t
word_end(const char *s, size_t i, size_t len)
{
	while (i < len && is_word((unsigned char)s[i]))
		i++;
	return i;
}

/* Whether the word of n bytes at w is one of the query's words. */
static int
query_word(const struct search_query *q, const char *w, size_t n)
{
	const char *p;
	size_t i, j, e;

	for (i = 0; i < q->n; i++)
		for (p = q->words[i].plain, j = 0; p[j] != '\0'; j = e) {
			for (; p[j] != '\0' && !is_word((unsigned char)p[j]);
			     j++)
				;
			e = word_end(p, j, strlen(p));
			if (e - j == n && e > j &&
			    strncasecmp(p + j, w, n) == 0)
				return 1;
		}
	return 0;
}

/*
 * A snippet as FTS5's would be, of a row too long for snippet(): the
 * sixteen words around the first word of the query in the row's first
 * SNIPPET_SCAN bytes, matches in [ ], "…" where text is left out.
 */
static void
own_snippet(const struct search_query *q, const char *text, struct buf *out)
{
	size_t len = strlen(text),
	       scan = len < SNIPPET_SCAN ? len : SNIPPET_SCAN;
	size_t i = 0, e, hit = scan, start, end;
	int words;

	buf_reset(out);
	for (; i < scan; i = e) {
		for (; i < scan && !is_word((unsigned char)text[i]); i++)
			;
		e = word_end(text, i, len);
		if (e > i && query_word(q, text + i, e - i)) {
			hit = i;
			break;
		}
	}
	if (hit == scan)
		hit = 0;
	/* Seven words before it, eight after it. */
	for (start = hit, words = 0; start > 0 && words < 7; words++) {
		while (start > 0 && !is_word((unsigned char)text[start - 1]))
			start--;
		while (start > 0 && is_word((unsigned char)text[start - 1]))
			start--;
	}
	for (end = hit, words = 0; end < len && words < 9; words++) {
		while (end < len && !is_word((unsigned char)text[end]))
			end++;
		end = word_end(text, end, len);
	}
	if (start > 0)
		buf_addstr(out, "…");
	for (i = start; i < end; i = e) {
		for (e = i; e < end && !is_word((unsigned char)text[e]); e++)
			;
		buf_add(out, text + i, e - i);
		i = e;
		e = word_end(text, i, end);
		if (e == i)
			continue;
		if (query_word(q, text + i, e - i)) {
			buf_addstr(out, "[");
			buf_add(out, text + i, e - i);
			buf_addstr(out, "]");
		} else {
			buf_add(out, text + i, e - i);
		}
	}
	if (end < len)
		buf_addstr(out, "…");
}

static const char *
column_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

static void
release_hit(struct fused_hit *f)
{
	free(f->kind);
	free(f->session);
	free(f->id);
	free(f->snippet);
	free(f->text);
}

/* Keeps a copy of h, its strings its own, at the end of s->fused. */
static struct fused_hit *
keep_hit(struct search *s, const struct search_hit *h)
{
	struct fused_hit *f;

	ARRAY_GROW(s->fused, s->nfused, s->cap);
	f = &s->fused[s->nfused++];
	f->h = *h;
	f->h.kind = f->kind = xstrdup(h->kind);
	f->h.session = f->session = h->session ? xstrdup(h->session) : NULL;
	f->h.id = f->id = xstrdup(h->id);
	f->h.snippet = f->snippet = h->snippet ? xstrdup(h->snippet) : NULL;
	f->h.text = f->text = h->text ? xstrdup(h->text) : NULL;
	f->h.score = 1.0 / (SEARCH_RRF_K + (double)s->nfused);
	return f;
}

/* The doc of a vector hit, as a search hit, unless BM25 found it too. */
static int
add_near_doc(struct search *s, sqlite3_stmt *st, sqlite3_int64 doc, size_t rank,
    size_t nbm25)
{
	struct search_hit h = {"doc", 0, NULL, NULL, 0, 0, 0, NULL, NULL};
	double score = 1.0 / (SEARCH_RRF_K + (double)rank);
	size_t i;
	int rc;

	sqlite3_bind_int64(st, 1, doc);
	if ((rc = sqlite3_step(st)) != SQLITE_ROW) {
		sqlite3_reset(st);
		return rc == SQLITE_DONE ? 0 : -1;
	}
	h.id = (const char *)sqlite3_column_text(st, 0);
	h.chunk = sqlite3_column_int(st, 1);
	for (i = 0; i < nbm25; i++)
		if (s->fused[i].session == NULL &&
		    strcmp(s->fused[i].id, h.id) == 0 &&
		    s->fused[i].h.chunk == h.chunk) {
			s->fused[i].h.score += score;
			sqlite3_reset(st);
			return 0;
		}
	h.first = sqlite3_column_int(st, 2);
	h.last = sqlite3_column_int(st, 3);
	h.text = (const char *)sqlite3_column_text(st, 4);
	buf_reset(&s->snippet);
	own_snippet(s->q, h.text, &s->snippet);
	h.snippet = s->snippet.s;
	keep_hit(s, &h)->h.score = score;
	sqlite3_reset(st);
	return 0;
}

static int
by_fused_score(const void *a, const void *b)
{
	const struct fused_hit *x = a, *y = b;

	return (x->h.score < y->h.score) - (x->h.score > y->h.score);
}

int
search_fuse(struct search *s, const struct vector_hit *near, size_t nnear,
    int take_docs, long n)
{
	struct search_hit h;
	sqlite3_stmt *st = NULL;
	size_t i, nbm25;
	int rv;

	while ((rv = search_next(s, &h)) > 0)
		keep_hit(s, &h);
	nbm25 = s->nfused;
	if (rv == 0)
		st = store_prepare(s->db,
		    "SELECT f.path, d.chunk, d.first_line, d.last_line,"
		    " t.content FROM docs d JOIN files f ON f.id = d.file"
		    " JOIN docs_fts t ON t.rowid = d.id WHERE d.id = ?");
	rv = st == NULL ? -1 : 0;
	for (i = 0; take_docs && rv == 0 && i < nnear; i++)
		if ((rv = add_near_doc(s, st, near[i].doc, i + 1, nbm25)) < 0)
			store_error(s->db, NULL);
	sqlite3_finalize(st);
	qsort(s->fused, s->nfused, sizeof(*s->fused), by_fused_score);
	for (i = 0; i < s->nfused; i++)
		s->fused[i].h.score = round_score(s->fused[i].h.score);
	while (n >= 0 && s->nfused > (size_t)n)
		release_hit(&s->fused[--s->nfused]);
	s->is_fused = 1;
	return rv;
}

int
search_next(struct search *s, struct search_hit *h)
{
	int rc;

	if (s->is_fused) {
		if (s->next == s->nfused)
			return 0;
		*h = s->fused[s->next++].h;
		return 1;
	}
	rc = sqlite3_step(s->st);

	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW) {
		store_error(s->db, NULL);
		return -1;
	}
	h->kind = column_text(s->st, H_KIND);
	h->score = round_score(sqlite3_column_double(s->st, H_SCORE));
	h->session = column_text(s->st, H_SESSION);
	h->id = column_text(s->st, H_ID);
	h->chunk = sqlite3_column_int(s->st, H_CHUNK);
	h->first = sqlite3_column_int(s->st, H_FIRST);
	h->last = sqlite3_column_int(s->st, H_LAST);
	h->text = column_text(s->st, H_CONTENT);
	h->snippet = column_text(s->st, H_SNIPPET);
	if (h->snippet == NULL && h->text != NULL) {
		own_snippet(s->q, h->text, &s->snippet);
		h->snippet = s->snippet.s;
	}
	return 1;
}

const char *
search_source(struct search *s, const struct search_hit *h)
{
	buf_reset(&s->source);
	if (h->session != NULL)
		buf_printf(&s->source, "%s#%s", h->session, h->id);
	else
		buf_printf(&s->source, "%s#%ld", h->id, h->chunk);
	return s->source.s;
}

void
search_end(struct search *s)
{
	while (s->nfused > 0)
		release_hit(&s->fused[--s->nfused]);
	free(s->fused);
	sqlite3_finalize(s->st);
	buf_release(&s->snippet);
	buf_release(&s->source);
}
