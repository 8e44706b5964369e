/* rank: BM25 for FTS5 at a cost that does not grow with the table. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "db/rank.h"
#include "core/util.h"

/* BM25's constants, as FTS5's bm25() has them. */
#define K1 1.2
#define B 0.75

/* What all rows of a query share, worked out at its first row. */
struct query_stats {
	int phrases;
	double mean_length; /* tokens in a row, all columns */
	double *idf;        /* each phrase's weight */
	double *freq;       /* each phrase's matches in the row being scored */
	double *best;       /* the best scores so far, when pruning */
	int nbest, kept;
};

struct sample {
	sqlite3_int64 matches, last_rowid;
};

static int
count_match(const Fts5ExtensionApi *api, Fts5Context *fts, void *arg)
{
	struct sample *s = arg;

	s->last_rowid = api->xRowid(fts);
	return ++s->matches > RANK_SAMPLE ? SQLITE_DONE : SQLITE_OK;
}

/*
 * The number of rows phrase i matches: counted up to RANK_SAMPLE; past
 * that, the matches counted in rowids first..s.last_rowid, scaled up to
 * first..last on the guess that they are spread evenly.
 */
static int
phrase_rows(const Fts5ExtensionApi *api, Fts5Context *fts, int i,
    sqlite3_int64 first, sqlite3_int64 last, double *rows)
{
	struct sample s = {0, 0};
	int rc = api->xQueryPhrase(fts, i, &s, count_match);

	*rows = (double)s.matches;
	if (rc == SQLITE_OK && s.matches > RANK_SAMPLE &&
	    s.last_rowid >= first && s.last_rowid < last)
		*rows *= (double)(last - first + 1) /
		    (double)(s.last_rowid - first + 1);
	return rc;
}

static void
free_stats(void *p)
{
	struct query_stats *q = p;

	free(q->idf);
	free(q->freq);
	free(q->best);
	free(q);
}

/* IDF as bm25() has it: never below 1e-6, even for a phrase in most rows. */
static int
query_stats(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_int64 first,
    sqlite3_int64 last, sqlite3_int64 best, struct query_stats **out)
{
	struct query_stats *q = xmalloc(sizeof(*q));
	sqlite3_int64 rows, tokens;
	double hits;
	int i, rc;

	q->phrases = api->xPhraseCount(fts);
	q->idf = xreallocarray(NULL, (size_t)q->phrases + 1, sizeof(double));
	q->freq = xreallocarray(NULL, (size_t)q->phrases + 1, sizeof(double));
	q->nbest = best > 0 && best <= RANK_BEST_MAX ? (int)best : 0;
	q->best = xreallocarray(NULL, (size_t)q->nbest + 1, sizeof(double));
	q->kept = 0;
	rc = api->xRowCount(fts, &rows);
	if (rc == SQLITE_OK)
		rc = api->xColumnTotalSize(fts, -1, &tokens);
	if (rc == SQLITE_OK)
		q->mean_length = (double)tokens / (double)rows;
	for (i = 0; rc == SQLITE_OK && i < q->phrases; i++) {
		rc = phrase_rows(api, fts, i, first, last, &hits);
		if (hits > (double)rows)
			hits = (double)rows;
		q->idf[i] = log(((double)rows - hits + 0.5) / (hits + 0.5));
		if (q->idf[i] <= 0.0)
			q->idf[i] = 1e-6;
	}
	if (rc == SQLITE_OK)
		rc = api->xSetAuxdata(fts, q, free_stats);
	else
		free_stats(q);
	*out = rc == SQLITE_OK ? q : NULL;
	return rc;
}

/* BM25 of a row of length tokens, from the phrases' counts in q->freq. */
static double
score(const struct query_stats *q, double length)
{
	double sum = 0.0;
	int i;

	/* Grouped as bm25() groups it, so that the two agree to the bit. */
	for (i = 0; i < q->phrases; i++)
		sum += q->idf[i] *
		    ((q->freq[i] * (K1 + 1.0)) /
			(q->freq[i] +
			    K1 * (1 - B + B * length / q->mean_length)));
	return sum;
}

/* The index of the least of the best scores kept. */
static int
least_best(const struct query_stats *q)
{
	int i, least = 0;

	for (i = 1; i < q->kept; i++)
		if (q->best[i] < q->best[least])
			least = i;
	return least;
}

/*
 * Whether a row that scores at most bound cannot be among the best
 * q->nbest: as many rows seen before score more.
 */
static int
cannot_be_best(const struct query_stats *q, double bound)
{
	return q->nbest > 0 && q->kept == q->nbest &&
	    bound < q->best[least_best(q)];
}

/* Keeps score if it is among the best q->nbest so far. */
static void
keep_best(struct query_stats *q, double score)
{
	int least;

	if (q->kept < q->nbest) {
		q->best[q->kept++] = score;
		return;
	}
	if (q->nbest > 0) {
		least = least_best(q);
		if (score > q->best[least])
			q->best[least] = score;
	}
}

/*
 * rank_bm25(table, first, last, best): see rank.h.  A row's length is a
 * read of its own, one page when the matches are spread over the file,
 * so it is skipped for a row that cannot be among the best: scored as
 * if no longer than its last match reaches (BM25 falls as length
 * grows), it still scores below the best seen so far.  It is given that
 * bound, which keeps it below them.
 */
static void
rank_bm25(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
    int nargs, sqlite3_value **args)
{
	struct query_stats *q = api->xGetAuxdata(fts, 0);
	int rc = SQLITE_OK, n, i, phrase, column, offset, length, reach = 0;
	double bound, exact;

	if (nargs != 3) {
		sqlite3_result_error(ctx,
		    "rank_bm25: takes the table, its first and last rowid and"
		    " the number of best rows wanted",
		    -1);
		return;
	}
	if (q == NULL)
		rc = query_stats(api, fts, sqlite3_value_int64(args[0]),
		    sqlite3_value_int64(args[1]), sqlite3_value_int64(args[2]),
		    &q);
	if (rc == SQLITE_OK) {
		memset(q->freq, 0, (size_t)q->phrases * sizeof(double));
		rc = api->xInstCount(fts, &n);
	}
	for (i = 0; rc == SQLITE_OK && i < n; i++)
		if ((rc = api->xInst(fts, i, &phrase, &column, &offset)) ==
		    SQLITE_OK) {
			q->freq[phrase] += 1.0;
			if (offset + 1 > reach)
				reach = offset + 1;
		}
	if (rc == SQLITE_OK) {
		bound = score(q, (double)reach);
		if (cannot_be_best(q, bound)) {
			sqlite3_result_double(ctx, -1.0 * bound);
			return;
		}
		rc = api->xColumnSize(fts, -1, &length);
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	exact = score(q, (double)length);
	keep_best(q, exact);
	sqlite3_result_double(ctx, -1.0 * exact);
}

/* rank_tokens(table): the current row's length in tokens, all columns. */
static void
rank_tokens(const Fts5ExtensionApi *api, Fts5Context *fts, sqlite3_context *ctx,
    int nargs, sqlite3_value **args)
{
	int length, rc = api->xColumnSize(fts, -1, &length);

	(void)nargs, (void)args;
	if (rc != SQLITE_OK)
		sqlite3_result_error_code(ctx, rc);
	else
		sqlite3_result_int(ctx, length);
}

/* FTS5's API, which it hands out through an SQL function. */
static fts5_api *
fts5_of(sqlite3 *db)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st;

	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) !=
	    SQLITE_OK)
		return NULL;
	sqlite3_bind_pointer(st, 1, &api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	return api;
}

int
rank_register(sqlite3 *db)
{
	fts5_api *api = fts5_of(db);

	if (api == NULL || api->iVersion < 2)
		return -1;
	return api->xCreateFunction(api, "rank_bm25", NULL, rank_bm25, NULL) ==
		    SQLITE_OK &&
		api->xCreateFunction(
		    api, "rank_tokens", NULL, rank_tokens, NULL) == SQLITE_OK
	    ? 0
	    : -1;
}
