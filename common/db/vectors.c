/* vectors: the embeddings of docs, and the docs nearest to a query. */
#include <err.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/cpu.h"
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

/*
 * The model and dimensions of the stored vectors (model emptied first),
 * dims 0 when there are none.  Returns 0 or -1 (reported).
 */
static int
stored_kind(sqlite3 *db, struct buf *model, long *dims)
{
	sqlite3_stmt *st = store_prepare(db,
	    "SELECT model, length(vector) / 4 FROM embeddings ORDER BY id"
	    " LIMIT 1");
	int rc;

	buf_reset(model);
	*dims = 0;
	if (st == NULL)
		return -1;
	if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		buf_addstr(model, (const char *)sqlite3_column_text(st, 0));
		*dims = (long)sqlite3_column_int64(st, 1);
	}
	rc = finish(st, rc);
	sqlite3_finalize(st);
	return rc;
}

int
vectors_model(sqlite3 *db, struct buf *name)
{
	long dims;

	if (stored_kind(db, name, &dims) < 0)
		return -1;
	return dims > 0;
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

int
vectors_put(sqlite3 *db, const char *model, const char *hash,
    const struct vector *v, struct buf *why)
{
	struct buf stored = BUF_INIT;
	sqlite3_stmt *st = NULL;
	long dims;
	int rv = stored_kind(db, &stored, &dims);

	if (rv == 0 && dims > 0 && strcmp(stored.s, model) != 0) {
		buf_printf(why,
		    "a vector of %s, where the stored ones are of %s (one "
		    "model a database)",
		    model, stored.s);
		rv = -2;
	} else if (rv == 0 && dims > 0 && (size_t)dims != v->dims) {
		buf_printf(why,
		    "a vector of %zu dimensions, where %s's stored ones "
		    "have %ld",
		    v->dims, model, dims);
		rv = -2;
	}
	buf_release(&stored);
	if (rv == 0)
		st = store_prepare(db,
		    "INSERT INTO embeddings(model, hash, vector) VALUES (?, ?,"
		    " ?) ON CONFLICT DO UPDATE SET vector = excluded.vector");
	if (st == NULL)
		return rv < 0 ? rv : -1;
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
 * Search reads the vectors in two passes.  Reading all of them (1.2 GB
 * for 200,000 of 1,536 dimensions) takes longer than a query may, so the
 * first pass reads their signs, the signs of the first 1,024 coordinates
 * of a rotation of each vector, a bit each, and keeps the vectors whose
 * signs differ least from the query's: CANDIDATES_PER_HIT times as many
 * as the hits asked for.  The rotation is
 * random but fixed, the same for every vector and database: then the
 * chance that a bit differs between two vectors is their angle over pi
 * (Charikar's SimHash), whatever the vectors' own coordinates (an
 * embedding's are seldom centred on 0, some all positive), and fewer
 * bits differ the nearer they are, mostly.  The second pass reads the
 * candidates' vectors and ranks them by their cosine.  Where there are
 * fewer vectors than candidates, every one is read: the ranking is
 * exact.
 */
#define CANDIDATES_PER_HIT 10
/* Bits of signs a vector gets, in bytes; whole 64-bit words. */
#define SIGN_BITS 1024
#define SIGNS_BYTES (SIGN_BITS / 8)
/*
 * Rounds of the rotation: a random flip of the coordinates' signs, then
 * the Walsh-Hadamard transform, which mixes them all.
 */
#define ROTATION_ROUNDS 3
/* Signs of ids block * 256 to block * 256 + 255 are kept in one row. */
#define BLOCK_SHIFT 8
#define BLOCK_IDS (1 << BLOCK_SHIFT)

/*
 * The rotation of vectors of dims dimensions: n coordinates, a power of
 * 2 no fewer than the bits of signs wanted (a short vector is padded
 * with zeros); each round's flips, +1 or -1 for each coordinate; and
 * room to rotate a vector.
 */
struct rotation {
	size_t dims, n;
	float *flip, *work;
};

/*
 * Whether round r flips coordinate i: a bit of splitmix64 of both, so
 * that the rotation never changes (the signs stored depend on it).
 */
static int
flips(unsigned r, size_t i)
{
	uint64_t z = ((uint64_t)r << 32 | (uint64_t)i) + 0x9e3779b97f4a7c15u;

	z = (z ^ z >> 30) * 0xbf58476d1ce4e5b9u;
	z = (z ^ z >> 27) * 0x94d049bb133111ebu;
	return (int)((z ^ z >> 31) & 1);
}

static void
rotation_init(struct rotation *rot, size_t dims)
{
	size_t i;

	rot->dims = dims;
	for (rot->n = SIGN_BITS; rot->n < dims; rot->n *= 2)
		;
	rot->flip =
	    xreallocarray(NULL, rot->n, ROTATION_ROUNDS * sizeof(float));
	rot->work = xreallocarray(NULL, rot->n, sizeof(float));
	for (i = 0; i < ROTATION_ROUNDS * rot->n; i++)
		rot->flip[i] =
		    flips((unsigned)(i / rot->n), i % rot->n) ? -1 : 1;
}

static void
rotation_release(struct rotation *rot)
{
	free(rot->flip);
	free(rot->work);
}

/* The Walsh-Hadamard transform of x (n, a power of 2), unscaled. */
static void
hadamard(float *x, size_t n)
{
	size_t h, i, j;
	float a, b;

	for (h = 1; h < n; h *= 2)
		for (i = 0; i < n; i += 2 * h)
			for (j = i; j < i + h; j++) {
				a = x[j];
				b = x[j + h];
				x[j] = a + b;
				x[j + h] = a - b;
			}
}

/*
 * The signs of the rotation of v (rot->dims floats, aligned or not, as a
 * blob is) into out (SIGNS_BYTES): bit i set when coordinate i is
 * negative.
 */
static void
signs_of(struct rotation *rot, const void *v, unsigned char *out)
{
	float *x = rot->work;
	size_t i;
	unsigned r;

	memcpy(x, v, rot->dims * sizeof(float));
	memset(x + rot->dims, 0, (rot->n - rot->dims) * sizeof(float));
	for (r = 0; r < ROTATION_ROUNDS; r++) {
		for (i = 0; i < rot->n; i++)
			x[i] *= rot->flip[r * rot->n + i];
		hadamard(x, rot->n);
	}
	memset(out, 0, SIGNS_BYTES);
	for (i = 0; i < SIGN_BITS; i++)
		if (x[i] < 0)
			out[i / 8] |= (unsigned char)(1u << (i % 8));
}

/*
 * The signs that differ.  The words are read in the
 * machine's byte order, which changes where a bit lies in a word but not
 * how many differ.
 */
static inline __attribute__((always_inline)) unsigned
count_differing(const unsigned char *a, const unsigned char *b)
{
	uint64_t x, y;
	unsigned d = 0;
	size_t i;

	for (i = 0; i < SIGNS_BYTES; i += 8) {
		memcpy(&x, a + i, 8);
		memcpy(&y, b + i, 8);
		d += (unsigned)__builtin_popcountll(x ^ y);
	}
	return d;
}

/* Where the processor may lack it, a popcnt instruction when it has it. */
#ifdef CPU_DISPATCH
static __attribute__((target("popcnt"))) unsigned
signs_differ_popcnt(const unsigned char *a, const unsigned char *b)
{
	return count_differing(a, b);
}
#endif

static unsigned
signs_differ(const unsigned char *a, const unsigned char *b)
{
#ifdef CPU_DISPATCH
	if (cpu_has_popcnt())
		return signs_differ_popcnt(a, b);
#endif
	return count_differing(a, b);
}

/* A vector that may be near, and, once read, its cosine. */
struct candidate {
	sqlite3_int64 id;
	unsigned differ;
	double cosine;
};

/*
 * The candidates: a heap, the one whose signs differ most on top, of at
 * most cap, so that a vector nearer than the farthest kept takes its
 * place.
 */
struct candidates {
	struct candidate *c;
	size_t n, cap, room;
};

static void
sift_down(struct candidates *h, size_t i)
{
	struct candidate t;
	size_t child;

	for (; (child = 2 * i + 1) < h->n; i = child) {
		if (child + 1 < h->n &&
		    h->c[child + 1].differ > h->c[child].differ)
			child++;
		if (h->c[child].differ <= h->c[i].differ)
			break;
		t = h->c[i];
		h->c[i] = h->c[child];
		h->c[child] = t;
	}
}

static void
offer(struct candidates *h, sqlite3_int64 id, unsigned differ)
{
	struct candidate t;
	size_t i, parent;

	if (h->n == h->cap) {
		if (differ >= h->c[0].differ)
			return;
		h->c[0] = (struct candidate){id, differ, 0};
		sift_down(h, 0);
		return;
	}
	ARRAY_GROW(h->c, h->n, h->room);
	h->c[i = h->n++] = (struct candidate){id, differ, 0};
	for (; i > 0 && h->c[parent = (i - 1) / 2].differ < differ;
	     i = parent) {
		t = h->c[i];
		h->c[i] = h->c[parent];
		h->c[parent] = t;
	}
}

/* The query's dimensions and signs, as the passes compare them. */
struct query {
	const struct vector *v;
	unsigned char signs[SIGNS_BYTES];
};

/* Says that the stored vectors have other dimensions than q: -1. */
static int
wrong_dims(sqlite3 *db, const char *model, const struct query *q)
{
	struct buf stored = BUF_INIT;
	long dims;

	if (stored_kind(db, &stored, &dims) == 0)
		warnx("the query has %zu dimensions, %s's stored vectors %ld",
		    q->v->dims, model, dims);
	buf_release(&stored);
	return -1;
}

/* How many bits of the n bytes at p are set. */
static size_t
bits_set(const unsigned char *p, size_t n)
{
	size_t i, count = 0;

	for (i = 0; i < n; i++)
		count += (size_t)__builtin_popcount(p[i]);
	return count;
}

/*
 * Offers the signs of the vectors of the blocks that are current.
 * Returns 0 or -1 (reported).
 */
static int
scan_signs(sqlite3 *db, const struct query *q, struct candidates *h)
{
	sqlite3_stmt *st = store_prepare(db,
	    "SELECT block, present, signs FROM vector_signs WHERE block NOT IN"
	    " (SELECT block FROM vector_stale)");
	const unsigned char *present, *signs;
	sqlite3_int64 block;
	size_t slot;
	int rc, rv = 0;

	if (st == NULL)
		return -1;
	while (rv == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		block = sqlite3_column_int64(st, 0);
		present = sqlite3_column_blob(st, 1);
		signs = sqlite3_column_blob(st, 2);
		if (sqlite3_column_bytes(st, 1) != BLOCK_IDS / 8 ||
		    (size_t)sqlite3_column_bytes(st, 2) !=
			bits_set(present, BLOCK_IDS / 8) * SIGNS_BYTES) {
			warnx("the signs of vectors %lld to %lld are damaged; "
			      "llm-memdb index --embed writes them again",
			    (long long)(block << BLOCK_SHIFT),
			    (long long)(block << BLOCK_SHIFT) + BLOCK_IDS - 1);
			rv = -1;
			break;
		}
		for (slot = 0; slot < BLOCK_IDS; slot++) {
			if (!(present[slot / 8] >> (slot % 8) & 1))
				continue;
			offer(h, block << BLOCK_SHIFT | (sqlite3_int64)slot,
			    signs_differ(signs, q->signs));
			signs += SIGNS_BYTES;
		}
	}
	if (rv == 0)
		rv = finish(st, rc);
	sqlite3_finalize(st);
	return rv;
}

/*
 * Offers the vectors of the stale blocks, from the vectors themselves.
 * Returns 0 or -1 (reported).
 */
static int
scan_stale(
    sqlite3 *db, const char *model, const struct query *q, struct candidates *h)
{
	sqlite3_stmt *st = store_prepare(db,
	    "SELECT e.id, e.vector FROM vector_stale s JOIN embeddings e ON"
	    " e.id BETWEEN s.block << 8 AND (s.block << 8) + 255");
	struct rotation rot;
	unsigned char signs[SIGNS_BYTES];
	size_t bytes;
	int rc, rv = 0;

	if (st == NULL)
		return -1;
	rotation_init(&rot, q->v->dims);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		bytes = (size_t)sqlite3_column_bytes(st, 1);
		if (bytes != q->v->dims * sizeof(float)) {
			rv = wrong_dims(db, model, q);
			break;
		}
		signs_of(&rot, sqlite3_column_blob(st, 1), signs);
		offer(h, sqlite3_column_int64(st, 0),
		    signs_differ(signs, q->signs));
	}
	if (rv == 0)
		rv = finish(st, rc);
	sqlite3_finalize(st);
	rotation_release(&rot);
	return rv;
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

/* In the table's order, so that the pages of the vectors come in it. */
static int
by_id(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	return (x->id > y->id) - (x->id < y->id);
}

/*
 * The second pass: the cosine of each candidate, from its vector (one
 * of another model or gone scores -2, below any cosine).  Returns 0 or
 * -1 (reported).
 */
static int
read_candidates(
    sqlite3 *db, const char *model, const struct query *q, struct candidates *h)
{
	sqlite3_stmt *st = store_prepare(
	    db, "SELECT vector FROM embeddings WHERE id = ? AND model = ?");
	float *row = xreallocarray(NULL, q->v->dims, sizeof(float));
	size_t i, bytes;
	int rc = SQLITE_DONE, rv = 0;

	if (st == NULL)
		rv = -1;
	qsort(h->c, h->n, sizeof(*h->c), by_id);
	for (i = 0; rv == 0 && i < h->n; i++) {
		sqlite3_bind_int64(st, 1, h->c[i].id);
		sqlite3_bind_text(st, 2, model, -1, SQLITE_STATIC);
		h->c[i].cosine = -2;
		if ((rc = sqlite3_step(st)) == SQLITE_ROW) {
			bytes = (size_t)sqlite3_column_bytes(st, 0);
			if (bytes != q->v->dims * sizeof(float)) {
				rv = wrong_dims(db, model, q);
				break;
			}
			memcpy(row, sqlite3_column_blob(st, 0), bytes);
			h->c[i].cosine = dot(q->v->v, row, q->v->dims);
		}
		if ((rv = finish(st, rc)) == 0)
			sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	free(row);
	return rv;
}

/* Nearest first; of two as near, the older. */
static int
by_cosine(const void *a, const void *b)
{
	const struct candidate *x = a, *y = b;

	if (x->cosine != y->cosine)
		return x->cosine < y->cosine ? 1 : -1;
	return by_id(a, b);
}

/*
 * The docs of the candidates, nearest first, into out (room for k).
 * Returns how many, or -1 (reported).
 */
static long
docs_of(
    sqlite3 *db, const struct candidates *h, size_t k, struct vector_hit *out)
{
	sqlite3_stmt *st = store_prepare(db,
	    "SELECT d.id FROM embeddings e JOIN docs d ON d.hash = e.hash"
	    " WHERE e.id = ? ORDER BY d.id");
	size_t i, n = 0;
	int rc = SQLITE_DONE, rv = 0;

	if (st == NULL)
		return -1;
	for (i = 0; rv == 0 && i < h->n && n < k && h->c[i].cosine > -2; i++) {
		sqlite3_bind_int64(st, 1, h->c[i].id);
		while (n < k && (rc = sqlite3_step(st)) == SQLITE_ROW) {
			out[n].doc = sqlite3_column_int64(st, 0);
			out[n++].cosine = h->c[i].cosine;
		}
		rv = finish(st, rc);
		sqlite3_reset(st);
	}
	sqlite3_finalize(st);
	return rv < 0 ? -1 : (long)n;
}

long
vectors_nearest(sqlite3 *db, const char *model, const struct vector *q,
    size_t k, int exact, struct vector_hit *out)
{
	struct candidates h = {NULL, 0, 0, 0};
	struct query query = {q, {0}};
	struct rotation rot;
	long n = -1;

	h.cap = exact || k > SIZE_MAX / CANDIDATES_PER_HIT
	    ? SIZE_MAX
	    : k * CANDIDATES_PER_HIT;
	if (k == 0)
		return 0;
	rotation_init(&rot, q->dims);
	signs_of(&rot, q->v, query.signs);
	rotation_release(&rot);
	if (scan_signs(db, &query, &h) == 0 &&
	    scan_stale(db, model, &query, &h) == 0 &&
	    read_candidates(db, model, &query, &h) == 0) {
		qsort(h.c, h.n, sizeof(*h.c), by_cosine);
		n = docs_of(db, &h, k, out);
	}
	free(h.c);
	return n;
}

/*
 * The signs of block's vectors, of rot->dims dimensions, into signs, and
 * which ids they are of into present.  Returns 0 or -1 (reported).
 */
static int
read_block(sqlite3 *db, sqlite3_int64 block, struct rotation *rot,
    unsigned char *present, struct buf *signs)
{
	sqlite3_stmt *st = store_prepare(
	    db, "SELECT id, vector FROM embeddings WHERE id BETWEEN ? AND ?");
	sqlite3_int64 first = block << BLOCK_SHIFT;
	size_t slot;
	int rc, rv = 0;

	if (st == NULL)
		return -1;
	sqlite3_bind_int64(st, 1, first);
	sqlite3_bind_int64(st, 2, first + BLOCK_IDS - 1);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((size_t)sqlite3_column_bytes(st, 1) !=
		    rot->dims * sizeof(float)) {
			warnx("vectors of other dimensions than %zu among ids "
			      "%lld to %lld",
			    rot->dims, (long long)first,
			    (long long)first + BLOCK_IDS - 1);
			rv = -1;
			break;
		}
		slot = (size_t)(sqlite3_column_int64(st, 0) - first);
		present[slot / 8] |= (unsigned char)(1u << (slot % 8));
		buf_grow(signs, SIGNS_BYTES);
		signs_of(rot, sqlite3_column_blob(st, 1),
		    (unsigned char *)signs->s + signs->len);
		signs->len += SIGNS_BYTES;
	}
	if (rv == 0)
		rv = finish(st, rc);
	sqlite3_finalize(st);
	return rv;
}

/*
 * Writes the signs of block's vectors, or drops its row when it has
 * none.  Returns 0 or -1 (reported).
 */
static int
refresh_block(sqlite3 *db, sqlite3_int64 block, struct rotation *rot)
{
	unsigned char present[BLOCK_IDS / 8] = {0};
	struct buf signs = BUF_INIT;
	sqlite3_stmt *st = NULL;
	int rv = read_block(db, block, rot, present, &signs);

	if (rv == 0 && signs.len == 0)
		st = store_prepare(
		    db, "DELETE FROM vector_signs WHERE block = ?");
	else if (rv == 0)
		st = store_prepare(db,
		    "INSERT OR REPLACE INTO vector_signs"
		    "(block, present, signs) VALUES (?, ?, ?)");
	if (st != NULL) {
		sqlite3_bind_int64(st, 1, block);
		sqlite3_bind_blob(
		    st, 2, present, sizeof(present), SQLITE_STATIC);
		sqlite3_bind_blob(
		    st, 3, signs.s, (int)signs.len, SQLITE_STATIC);
		rv = store_run(st);
		sqlite3_finalize(st);
	} else {
		rv = -1;
	}
	buf_release(&signs);
	return rv;
}

int
vectors_refresh(sqlite3 *db)
{
	struct buf model = BUF_INIT;
	struct rotation rot = {0, 0, NULL, NULL};
	sqlite3_stmt *st = NULL;
	long dims;
	int rc, rv = store_exec(db, "SAVEPOINT refresh");

	if (rv == 0 && (rv = stored_kind(db, &model, &dims)) == 0 && dims > 0)
		rotation_init(&rot, (size_t)dims);
	buf_release(&model);
	if (rv == 0 &&
	    (st = store_prepare(db, "SELECT block FROM vector_stale")) == NULL)
		rv = -1;
	while (rv == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
		rv = refresh_block(db, sqlite3_column_int64(st, 0), &rot);
	if (rv == 0)
		rv = finish(st, rc);
	sqlite3_finalize(st);
	rotation_release(&rot);
	if (rv == 0)
		rv = store_exec(db, "DELETE FROM vector_stale");
	if (rv == 0)
		return store_exec(db, "RELEASE refresh");
	sqlite3_exec(
	    db, "ROLLBACK TO refresh; RELEASE refresh", NULL, NULL, NULL);
	return -1;
}
