/* rank: BM25 for FTS5 at a cost that does not grow with the table. */
#ifndef RANK_H
#define RANK_H

#include <sqlite3.h>

/*
 * Matches of a phrase counted for its document frequency; past this many
 * the frequency is estimated.
 */
#define RANK_SAMPLE 20000

/* The most best rows that rank_bm25 keeps track of, to skip the rest. */
#define RANK_BEST_MAX 1000

/*
 * Registers the FTS5 auxiliary function rank_bm25(table, first, last,
 * best) on db: FTS5's bm25(table), lower for better, with two
 * differences that keep its cost from growing with the table.
 *
 * A phrase matching more than RANK_SAMPLE rows has its document
 * frequency estimated: FTS5 counts every match of every phrase before it
 * scores the first row (15 ms for a word in half of a million rows);
 * rank_bm25 counts the oldest RANK_SAMPLE and scales by the share of the
 * rowids, first to last (the table's lowest and highest), that they
 * span.  Below the sample the scores are bm25()'s to the last bit.
 *
 * Given best (1 to RANK_BEST_MAX), a row that cannot be among the best
 * rows of those scored so far gets a score that keeps it out of them
 * rather than its own: ordered by score, the first best rows and their
 * scores are as with bm25().
 *
 * Registers rank_tokens(table) too: the current row's length in tokens,
 * all columns, which FTS5 keeps and reads at no cost.  Returns 0, or -1
 * when db's SQLite has no FTS5 (the caller reports it).
 */
int rank_register(sqlite3 *db);

#endif
