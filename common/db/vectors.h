/* vectors: the embeddings of docs, and the docs nearest to a query. */
#ifndef VECTORS_H
#define VECTORS_H

#include <stddef.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "core/util.h"

/*
 * A vector as it is kept: float32, scaled to unit length, so that the
 * dot product of two is their cosine similarity.
 */
struct vector {
	float *v;
	size_t dims;
};

/*
 * Reads an embedding record's "vector" (finite numbers, not all 0) into
 * out, scaled to unit length.  Returns 0, or -1 with *why set.
 */
int vector_from_json(const cJSON *array, struct vector *out, const char **why);
/*
 * Reads a vector as export writes it, the hex of its float32 bytes
 * (little-endian, as SQLite's hex() gives the stored blob).  Returns 0,
 * or -1 with *why set.
 */
int vector_from_hex(const char *hex, struct vector *out, const char **why);
void vector_release(struct vector *v);

/*
 * The model of the vectors stored, into name (emptied first); 0 when
 * there is none.  Returns 1, 0 or -1 (reported).
 */
int vectors_model(sqlite3 *db, struct buf *name);

/*
 * The docs that have no vector of model, one for each distinct text:
 * at most limit of them, appended to texts as {"text":...} records and
 * their hashes to hashes (strings).  Returns how many, or -1 (reported).
 */
long vectors_pending(
    sqlite3 *db, const char *model, long limit, cJSON *texts, cJSON *hashes);

/*
 * Keeps v as the vector of model for the docs of text hash.  A database
 * holds vectors of one model, of one dimensions: a vector of another
 * model, or of other dimensions, is refused, -2 with why said in why.
 * Returns 0, -1 (reported) or -2.
 */
int vectors_put(sqlite3 *db, const char *model, const char *hash,
    const struct vector *v, struct buf *why);

/*
 * Drops the vectors of other models and those of texts no doc has any
 * more.  Returns how many, or -1 (reported).
 */
long vectors_prune(sqlite3 *db, const char *model);

/* A doc near the query: its id and cosine similarity. */
struct vector_hit {
	sqlite3_int64 doc;
	double cosine;
};

/*
 * Brings the signs that search's first pass reads up to date with the
 * vectors, after they were stored or dropped.  Returns 0, or -1
 * (reported).
 */
int vectors_refresh(sqlite3 *db);

/*
 * The k docs whose vectors of model are nearest to q, best first, into
 * out (room for k).  The signs of the vectors pick 20 times k of them,
 * whose vectors are then read and ranked by cosine; with exact, or when
 * there are no more vectors than that, every vector is read.  Memory
 * grows with k, not with the vectors.  A stored vector of other
 * dimensions than q's is an error.  Returns how many, or -1 (reported).
 */
long vectors_nearest(sqlite3 *db, const char *model, const struct vector *q,
    size_t k, int exact, struct vector_hit *out);

#endif
