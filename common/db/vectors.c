/* vectors: the embeddings of docs, and the docs nearest to a query. */
#include <err.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "db/store.h"
#include "db/vectors.h"

int
vector_from_json(const cJSON *array, struct vector *out, const char **why)
{
	const cJSON *x;
	double norm = 0;
	size_t i = 0, n = (size_t)cJSON_GetArraySize(array);

	out->v = NULL;
	out->dims = 0;
	*why = "the vector is not an array of numbers";
	if (!cJSON_IsArray(array) || n == 0)
		return -1;
	out->v = xreallocarray(NULL, n, sizeof(float));
	cJSON_ArrayForEach(x, array) {
		if (!cJSON_IsNumber(x) || !isfinite((float)x->valuedouble)) {
			*why = "the vector holds a value that is not a finite "
			       "number";
			vector_release(out);
			return -1;
		}
		/* The length of what is kept: 1e-82 is 0 as a float. */
		out->v[i] = (float)x->valuedouble;
		norm += (double)out->v[i] * out->v[i];
		i++;
	}
	if (norm == 0) {
		*why = "the vector is all zeros";
		vector_release(out);
		return -1;
	}
	norm = sqrt(norm);
	for (i = 0; i < n; i++)
		out->v[i] = (float)(out->v[i] / norm);
	out->dims = n;
	return 0;
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int
vector_from_hex(const char *hex, struct vector *out, const char **why)
{
	size_t len = strlen(hex), i;
	unsigned char *bytes;
	int hi, lo;

	out->v = NULL;
	out->dims = 0;
	*why = "the vector is not the hex of float32 numbers";
	if (len == 0 || len % 8 != 0)
		return -1;
	out->dims = len / 8;
	out->v = xreallocarray(NULL, out->dims, sizeof(float));
	bytes = (unsigned char *)out->v;
	for (i = 0; i < len / 2; i++) {
		hi = hex_digit(hex[2 * i]);
		lo = hex_digit(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			vector_release(out);
			return -1;
		}
		bytes[i] = (unsigned char)(hi << 4 | lo);
	}
	for (i = 0; i < out->dims; i++)
		if (!isfinite(out->v[i])) {
			vector_release(out);
			return -1;
		}
	return 0;
}

void
vector_release(struct vector *v)
{
	free(v->v);
	v->v = NULL;
	v->dims = 0;
}

/* Steps st to its end; 0 or -1, reported. */
static int
finish(sqlite3_stmt *st, int rc)
{
	if (rc != SQLITE_DONE && rc != SQLITE_ROW) {
		store_error(sqlite3_db_handle(st), NULL);
		return -1;
	}
	return 0;
}

int
vectors_model(sqlite3 *db, struct buf *name)
{
	sqlite3_stmt *st =
	    store_prepare(db, "SELECT model FROM embeddings LIMIT 1");
	int rc, found = 0;

	buf_reset(name);
	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_addstr(name, (const char *)sqlite3_column_text(st, 0));
		found = 1;
	}
	rc = finish(st, rc);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : found;
}

long
vectors_pending(
    sqlite3 *db, const char *model, long limit, cJSON *texts, cJSON *hashes)
{
	sqlite3_stmt *st = store_prepare(db,
	    "SELECT d.hash, min(t.content) FROM docs d"
	    " JOIN docs_fts t ON t.rowid = d.id WHERE NOT EXISTS (SELECT 1"
	    " FROM embeddings e WHERE e.model = ?1 AND e.hash = d.hash)"
	    " GROUP BY d.hash ORDER BY min(d.id) LIMIT ?2");
	cJSON *rec;
	long n = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, limit);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(
		    rec, "text", (const char *)sqlite3_column_text(st, 1));
		cJSON_AddItemToArray(texts, rec);
		cJSON_AddItemToArray(hashes,
		    cJSON_CreateString(
			(const char *)sqlite3_column_text(st, 0)));
		n++;
	}
	rc = finish(st, rc);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : n;
}

/* The dimensions of model's stored vectors, 0 if none; -1 (reported). */
static long
stored_dims(sqlite3 *db, const char *model)
{
	sqlite3_stmt *st = store_prepare(db,
	    "SELECT length(vector) / 4 FROM embeddings WHERE model = ?"
	    " LIMIT 1");
	long dims = 0;
	int rc;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	if ((rc = sqlite3_step(st)) == SQLITE_ROW)
		dims = (long)sqlite3_column_int64(st, 0);
	rc = finish(st, rc);
	sqlite3_finalize(st);
	return rc < 0 ? -1 : dims;
}

int
vectors_put(
    sqlite3 *db, const char *model, const char *hash, const struct vector *v)
{
	long dims = stored_dims(db, model);
	sqlite3_stmt *st;
	int rv;

	if (dims < 0)
		return -1;
	if (dims > 0 && (size_t)dims != v->dims) {
		warnx("a vector of %zu dimensions, where %s's stored ones "
		      "have %ld; nothing stored",
		    v->dims, model, dims);
		return -1;
	}
	st = store_prepare(db,
	    "INSERT INTO embeddings(model, hash, vector) VALUES (?, ?, ?)"
	    " ON CONFLICT DO UPDATE SET vector = excluded.vector");
	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
	sqlite3_bind_blob(
	    st, 3, v->v, (int)(v->dims * sizeof(float)), SQLITE_STATIC);
	rv = store_run(st);
	sqlite3_finalize(st);
	return rv;
}

long
vectors_prune(sqlite3 *db, const char *model)
{
	sqlite3_stmt *st = store_prepare(db,
	    "DELETE FROM embeddings WHERE model != ?1 OR NOT EXISTS"
	    " (SELECT 1 FROM docs d WHERE d.hash = embeddings.hash)");
	int rv;

	if (st == NULL)
		return -1;
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	rv = store_run(st);
	sqlite3_finalize(st);
	return rv < 0 ? -1 : (long)sqlite3_changes(db);
}

/*
 * The dot product, in eight sums that the compiler can keep in vector
 * registers: a strict left-to-right sum would forbid it.
 */
static double
dot(const float *a, const float *b, size_t n)
{
	float s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
	size_t i, j;
	double total = 0;

	for (i = 0; i + 8 <= n; i += 8)
		for (j = 0; j < 8; j++)
			s[j] += a[i + j] * b[i + j];
	for (; i < n; i++)
		s[0] += a[i] * b[i];
	for (j = 0; j < 8; j++)
		total += s[j];
	return total;
}

/* Puts hit among the best *n of out (room for k), best first. */
static void
keep_best(struct vector_hit *out, size_t k, long *n, struct vector_hit hit)
{
	size_t i = (size_t)*n;

	if (i == k && (k == 0 || hit.cosine <= out[k - 1].cosine))
		return;
	if (i < k)
		(*n)++;
	else
		i = k - 1;
	for (; i > 0 && out[i - 1].cosine < hit.cosine; i--)
		out[i] = out[i - 1];
	out[i] = hit;
}

long
vectors_nearest(sqlite3 *db, const char *model, const struct vector *q,
    size_t k, struct vector_hit *out)
{
	sqlite3_stmt *st;
	struct vector_hit hit;
	const void *blob;
	float *row = xreallocarray(NULL, q->dims, sizeof(float));
	long n = 0;
	int rc;

	/*
	 * The table is read in its own order ("+" keeps SQLite from going
	 * through the model's index), so that its pages come in sequence.
	 * Not through mmap, which took a third less time but made every
	 * page of the table part of the process's memory.
	 */
	st = store_prepare(db,
	    "SELECT d.id, e.vector FROM embeddings e JOIN docs d"
	    " ON d.hash = e.hash WHERE +e.model = ?");
	if (st == NULL) {
		free(row);
		return -1;
	}
	sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)sqlite3_column_bytes(st, 1) !=
		    q->dims * sizeof(float)) {
			warnx("the query has %zu dimensions, %s's stored "
			      "vectors %d",
			    q->dims, model, sqlite3_column_bytes(st, 1) / 4);
			n = -1;
			break;
		}
		/* A blob need not be aligned for float. */
		blob = sqlite3_column_blob(st, 1);
		memcpy(row, blob, q->dims * sizeof(float));
		hit.doc = sqlite3_column_int64(st, 0);
		hit.cosine = dot(q->v, row, q->dims);
		keep_best(out, k, &n, hit);
	}
	if (n >= 0 && finish(st, rc) < 0)
		n = -1;
	sqlite3_finalize(st);
	free(row);
	return n;
}
