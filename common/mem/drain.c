/* drain: log templates mined in one pass, as the Drain parser does. */
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mem/drain.h"

/* A line joins a template it shares at least this share of tokens with. */
#define SIMILARITY 0.5
/* Templates of one group looked through for a line, at most. */
#define GROUP_MAX 128

struct group {
	size_t *v;
	size_t n, cap;
};

struct drain {
	struct drain_template *t;
	size_t n, cap;
	struct strmap groups; /* key, as 8 bytes, to a struct group */
	size_t overflow;      /* the template of lines that found no room */
	int has_overflow;
};

struct drain *
drain_new(void)
{
	struct drain *d = xmalloc(sizeof(*d));

	memset(d, 0, sizeof(*d));
	d->groups = (struct strmap)STRMAP_INIT;
	return d;
}

void
drain_free(struct drain *d)
{
	size_t i;
	int j;

	if (d == NULL)
		return;
	for (i = 0; i < d->n; i++) {
		for (j = 0; j < d->t[i].n; j++)
			free(d->t[i].tok[j]);
		free(d->t[i].tok);
		free(d->t[i].hash);
	}
	for (i = 0; i < d->groups.cap; i++)
		if (d->groups.slot[i].key != NULL) {
			struct group *g = d->groups.slot[i].value;

			free(g->v);
			free(g);
		}
	strmap_release(&d->groups);
	free(d->t);
	free(d);
}

size_t
drain_count(const struct drain *d)
{
	return d->n;
}

const struct drain_template *
drain_get(const struct drain *d, size_t i)
{
	return &d->t[i];
}

/* A group's key: tokens, level, and the first two tokens (0: any). */
static uint64_t
group_key(int n, int level, uint64_t h0, uint64_t h1)
{
	uint64_t k =
	    (uint64_t)n * 0x9e3779b97f4a7c15ull ^ (uint64_t)level << 56;

	k ^= h0 * 0xff51afd7ed558ccdull;
	k ^= (h1 + 0x632be59bd9b4e019ull) * 0xc4ceb9fe1a85ec53ull;
	return k;
}

static uint64_t
token_key(const struct mask *m, int i)
{
	return i < m->n && !m->var[i] ? m->hash[i] : 0;
}

static struct group *
group_of(struct drain *d, uint64_t key, int make)
{
	struct group *g =
	    strmap_get(&d->groups, (const char *)&key, sizeof(key));

	if (g == NULL && make) {
		g = xmalloc(sizeof(*g));
		memset(g, 0, sizeof(*g));
		strmap_put(&d->groups, (const char *)&key, sizeof(key), g);
	}
	return g;
}

static size_t
new_template(struct drain *d, uint64_t key, int n, int level, int more)
{
	struct drain_template *t;

	ARRAY_GROW(d->t, d->n, d->cap);
	t = &d->t[d->n];
	t->n = n;
	t->level = level;
	t->more = more;
	t->key = key;
	t->tok = xreallocarray(NULL, (size_t)n + 1, sizeof(*t->tok));
	t->hash = xreallocarray(NULL, (size_t)n + 1, sizeof(*t->hash));
	return d->n++;
}

static void
group_add(struct group *g, size_t i)
{
	ARRAY_GROW(g->v, g->n, g->cap);
	g->v[g->n++] = i;
}

/* The share of m's tokens that t has at the same place. */
static double
similarity(const struct drain_template *t, const struct mask *m)
{
	int i, same = 0;

	/* A <*> is half a match: it took more than one value already. */
	for (i = 0; i < m->n; i++)
		same += t->hash[i] == m->hash[i] ? 2 : t->hash[i] == 0;
	return m->n > 0 ? (double)same / (2 * m->n) : 1;
}

/* The best template of group g for m, with its similarity in *best. */
static size_t
best_of(const struct drain *d, const struct group *g, const struct mask *m,
    double *best)
{
	size_t i, at = (size_t)-1, from;
	double s;

	*best = -1;
	if (g == NULL)
		return at;
	/* The newest GROUP_MAX: a group that grew past it is mostly noise. */
	from = g->n > GROUP_MAX ? g->n - GROUP_MAX : 0;
	for (i = g->n; i-- > from;) {
		s = similarity(&d->t[g->v[i]], m);
		if (s > *best) {
			*best = s;
			at = g->v[i];
			if (s == 1)
				break;
		}
	}
	return at;
}

static void
merge(struct drain_template *t, const struct mask *m)
{
	int i;

	for (i = 0; i < m->n; i++)
		if (t->hash[i] != m->hash[i] && t->hash[i] != 0) {
			free(t->tok[i]);
			t->tok[i] = xstrdup("<*>");
			t->hash[i] = 0;
		}
	t->more |= m->more;
}

size_t
drain_add(struct drain *d, const struct mask *m, int *created)
{
	uint64_t h0 = token_key(m, 0), h1 = token_key(m, 1);
	uint64_t key = group_key(m->n, m->level, h0, h1);
	struct group *g = group_of(d, key, 0);
	size_t at;
	double best;
	int i;

	*created = 0;
	at = best_of(d, g, m, &best);
	if (best < SIMILARITY && (h0 != 0 || h1 != 0)) {
		/* A template whose first tokens were merged into <*>. */
		static const int alt[3][2] = {{1, 0}, {0, 1}, {0, 0}};
		size_t other;
		double s;

		for (i = 0; i < 3; i++) {
			uint64_t k = group_key(m->n, m->level,
			    alt[i][0] ? h0 : 0, alt[i][1] ? h1 : 0);

			if (k == key)
				continue;
			other = best_of(d, group_of(d, k, 0), m, &s);
			if (s > best && s >= SIMILARITY) {
				best = s;
				at = other;
			}
		}
	}
	if (best >= SIMILARITY || (d->n >= DRAIN_MAX && at != (size_t)-1)) {
		merge(&d->t[at], m);
		return at;
	}
	if (d->n >= DRAIN_MAX) {
		if (!d->has_overflow) {
			d->overflow = new_template(d, 0, 1, 0, 0);
			d->t[d->overflow].tok[0] = xstrdup("<other>");
			d->t[d->overflow].hash[0] = 0;
			d->has_overflow = 1;
		}
		return d->overflow;
	}
	at = new_template(d, key, m->n, m->level, m->more);
	for (i = 0; i < m->n; i++) {
		d->t[at].tok[i] = xstrdup(m->text.s + m->off[i]);
		d->t[at].hash[i] = m->hash[i];
	}
	group_add(group_of(d, key, 1), at);
	*created = 1;
	return at;
}

size_t
drain_insert(struct drain *d, char *const *tok, int n, int level)
{
	struct mask m;
	size_t at;
	int i, created;

	/* As a line would be: placeholders count as any token for groups. */
	memset(&m, 0, sizeof(m));
	m.text = (struct buf)BUF_INIT;
	m.n = n < MASK_MAX_TOKENS ? n : MASK_MAX_TOKENS;
	m.level = level;
	for (i = 0; i < m.n; i++) {
		m.off[i] = m.text.len;
		buf_addstr(&m.text, tok[i]);
		buf_add(&m.text, "", 1);
		m.var[i] = mask_placeholder(tok[i], strlen(tok[i]));
		m.hash[i] = strcmp(tok[i], "<*>") == 0
		    ? 0
		    : mask_hash(tok[i], strlen(tok[i]));
	}
	at = drain_add(d, &m, &created);
	buf_release(&m.text);
	return at;
}
