/*
 * A libFuzzer target for the search of the nearest vectors: the input
 * makes up to 640 vectors and a query; their signs are written as
 * llm-memdb writes them, and the two-pass search must then agree with
 * reading every vector: the same hits while there are no more vectors
 * than candidates, never a nearer one at any rank, and the query's own
 * vector first (or one as near).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "db/store.h"
#include "db/vectors.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HITS 50
#define CANDIDATES 500 /* vectors.c's: 10 for each hit */

static sqlite3 *db;

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/fuzz-nearest-XXXXXX", path[64];

	(void)argc;
	(void)argv;
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/memory.db", dir);
	if ((db = store_open(path, 0)) == NULL ||
	    store_exec(db,
		"INSERT INTO files(id, path, size, mtime, hash)"
		" VALUES (1, '/f', 0, 0, '0')") < 0)
		abort();
	return 0;
}

/*
 * Vector i of dims, from the input's bytes mixed with a hash of i, so
 * that no two are alike however short the input; unit length.
 */
static void
make_vector(
    const uint8_t *data, size_t size, size_t i, size_t dims, struct vector *v)
{
	double norm = 0;
	size_t j;

	v->dims = dims;
	v->v = calloc(dims, sizeof(float));
	for (j = 0; j < dims; j++) {
		v->v[j] = ((int)(data[(i * dims + j) % size] ^
			       ((i * 2654435761u + j * 40503u) >> 8 & 0xff)) -
			      128) /
		    128.0f;
		norm += (double)v->v[j] * v->v[j];
	}
	if (norm == 0)
		v->v[0] = 1, norm = 1;
	for (j = 0; j < dims; j++)
		v->v[j] = (float)(v->v[j] / sqrt(norm));
}

static void
store(const uint8_t *data, size_t size, size_t n, size_t dims)
{
	sqlite3_stmt *doc = store_prepare(db,
	    "INSERT INTO docs(id, file, chunk, first_line, last_line, hash)"
	    " VALUES (?1, 1, ?1, 1, 1, ?2)");
	struct buf why = BUF_INIT;
	struct vector v;
	char hash[32];
	size_t i;

	for (i = 0; i < n; i++) {
		snprintf(hash, sizeof(hash), "h%zu", i);
		sqlite3_bind_int64(doc, 1, (sqlite3_int64)i + 1);
		sqlite3_bind_text(doc, 2, hash, -1, SQLITE_TRANSIENT);
		make_vector(data, size, i, dims, &v);
		if (store_run(doc) < 0 ||
		    vectors_put(db, "m", hash, &v, &why) < 0)
			abort();
		vector_release(&v);
		sqlite3_reset(doc);
	}
	sqlite3_finalize(doc);
	buf_release(&why);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct vector_hit fast[HITS], exact[HITS];
	struct vector q;
	size_t n, dims, i;
	long got, want;

	if (size < 4)
		return 0;
	dims = 1 + data[0] % 24;
	n = 1 + (size_t)data[1] * 5 % 640; /* text too makes more than 500 */
	if (store_exec(db, "BEGIN") < 0)
		abort();
	store(data + 3, size - 3, n, dims);
	if (vectors_refresh(db) < 0)
		abort();
	/*
	 * The last vector, offered when the candidates are full: its signs
	 * differ from the query's in none.
	 */
	make_vector(data + 3, size - 3, n - 1, dims, &q);
	got = vectors_nearest(db, "m", &q, HITS, 0, fast);
	want = vectors_nearest(db, "m", &q, HITS, 1, exact);
	if (got != want || got != (long)(n < HITS ? n : HITS) ||
	    fast[0].cosine < exact[0].cosine - 1e-6)
		abort();
	for (i = 0; i < (size_t)got; i++) {
		if (fast[i].cosine > exact[i].cosine + 1e-9 ||
		    fabs(exact[i].cosine) > 1 + 1e-5 ||
		    (i > 0 && fast[i].cosine > fast[i - 1].cosine))
			abort();
		if (n <= CANDIDATES &&
		    (fast[i].doc != exact[i].doc ||
			fast[i].cosine != exact[i].cosine))
			abort();
	}
	vector_release(&q);
	if (store_exec(db, "ROLLBACK") < 0)
		abort();
	return 0;
}
