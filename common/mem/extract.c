/* extract: an extractive summary of a conversation or a text, in a budget. */
#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mem/extract.h"
#include "mem/terms.h"

/* A unit longer than this is cut at a word, with an ellipsis. */
#define MAX_UNIT 480
/* Lines of one tool result or code block that may become units. */
#define MAX_TOOL_UNITS 12
/* Words a change statement is looked for in. */
#define MAX_WORDS 96
#define ELLIPSIS "\xe2\x80\xa6"
#define ARROW "\xe2\x86\x92"

enum unit_kind { UNIT_TEXT, UNIT_CHANGE, UNIT_TERM };

struct unit {
	size_t off, len; /* its text, in x->text */
	int msg;         /* the message it comes from, in order of adding */
	enum extract_role role;
	enum unit_kind kind;
	int code;     /* a line of code or of a tool's output */
	int ref;      /* UNIT_CHANGE: its key; UNIT_TERM: its entity */
	int stale[3]; /* 1 + the keys of values it holds that changed later */
	int chosen;   /* in the summary */
	unsigned cues;
	int ruled; /* follows a user's instruction in the same message */
	long line;
	double base;
	size_t cost;       /* counter units, with its share of separators */
	size_t ent0, nent; /* its entities, in x->uent */
};

struct entity {
	size_t off, len;
	enum term_kind kind;
	int count, spoken; /* mentions; those outside code and tool output */
	int covered, stale;
	int stale_key; /* 1 + a key it is an old value of, or 0 */
	double weight;
};

/* A key whose value changed: its values in order, oldest first. */
struct key {
	size_t off, len;  /* the key, as written */
	size_t *val;      /* offsets in x->text of NUL-terminated values */
	size_t nval, cap; /* nval >= 2 once it changed */
	int unit;         /* the unit that set the latest value */
	int changed;
	int mini; /* its UNIT_CHANGE unit, or -1 */
};

struct extract {
	const struct counter *c;
	struct buf text; /* every unit's and entity's text, NUL-separated */
	struct unit *u;
	size_t nu, ucap;
	struct entity *e;
	size_t ne, ecap;
	size_t *uent;
	size_t nuent, uentcap;
	struct key *k;
	size_t nk, kcap;
	struct strmap ents, keys;
	int nmsg;
	struct extract_item *items;
	size_t nitems;
	int prepared;
};

struct extract *
extract_new(const struct counter *c)
{
	struct extract *x = xmalloc(sizeof(*x));

	memset(x, 0, sizeof(*x));
	x->c = c;
	x->text = (struct buf)BUF_INIT;
	x->ents = (struct strmap)STRMAP_INIT;
	x->keys = (struct strmap)STRMAP_INIT;
	return x;
}

void
extract_free(struct extract *x)
{
	size_t i;

	if (x == NULL)
		return;
	for (i = 0; i < x->nk; i++)
		free(x->k[i].val);
	buf_release(&x->text);
	free(x->u);
	free(x->e);
	free(x->uent);
	free(x->k);
	free(x->items);
	strmap_release(&x->ents);
	strmap_release(&x->keys);
	free(x);
}

/* Copies len bytes into x->text with a NUL after; returns the offset. */
static size_t
keep(struct extract *x, const char *s, size_t len)
{
	size_t off = x->text.len;

	buf_add(&x->text, s, len);
	buf_add(&x->text, "", 1);
	return off;
}

static const char *
str(const struct extract *x, size_t off)
{
	return x->text.s + off;
}

/* The entity for a term, made on first sight. */
static size_t
entity(struct extract *x, enum term_kind kind, const char *s, size_t len)
{
	void *v = strmap_get(&x->ents, s, len);
	struct entity *e;

	if (v != NULL)
		return (size_t)(uintptr_t)v - 1;
	ARRAY_GROW(x->e, x->ne, x->ecap);
	e = &x->e[x->ne];
	memset(e, 0, sizeof(*e));
	e->off = keep(x, s, len);
	e->len = len;
	e->kind = kind;
	strmap_put(&x->ents, s, len, (void *)(uintptr_t)(x->ne + 1));
	return x->ne++;
}

struct scan {
	struct extract *x;
	struct unit *u;
};

/* The kind of a `quoted` term: what its inside would be, if anything. */
static void
on_term_kind(void *arg, enum term_kind kind, const char *s, size_t len)
{
	int *k = arg;

	(void)s;
	(void)len;
	if (*k < 0)
		*k = (int)kind;
}

static void
on_term(void *arg, enum term_kind kind, const char *s, size_t len)
{
	struct scan *sc = arg;
	struct extract *x = sc->x;
	size_t i, id;
	int inner = -1;

	if (kind == TERM_NUMBER && len < 3)
		return; /* "3", "42": not worth keeping for themselves */
	if (kind == TERM_QUOTED) {
		terms_scan(s, len, on_term_kind, &inner);
		if (inner >= 0 && inner != TERM_NUMBER)
			kind = (enum term_kind)inner;
		if (len > 80)
			return;
	}
	id = entity(x, kind, s, len);
	for (i = sc->u->ent0; i < x->nuent; i++)
		if (x->uent[i] == id)
			return;
	ARRAY_GROW(x->uent, x->nuent, x->uentcap);
	x->uent[x->nuent++] = id;
	x->e[id].count++;
	if (!sc->u->code && sc->u->role != EXTRACT_TOOL)
		x->e[id].spoken++;
}

/* A word of a unit's text, for finding changes. */
struct word {
	const char *s;
	size_t len;
};

static int
split_words(const char *s, size_t len, struct word *w, int max)
{
	const char *end = s + len;
	int n = 0;

	while (s < end && n < max) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s >= end)
			break;
		w[n].s = s;
		while (s < end && !isspace((unsigned char)*s))
			s++;
		w[n].len = (size_t)(s - w[n].s);
		n++;
	}
	return n;
}

/* A value as written, without quotes and a sentence's punctuation. */
static struct word
clean(struct word w)
{
	while (w.len > 0 && strchr("`'\"(*[", w.s[0]) != NULL)
		w.s++, w.len--;
	while (w.len > 0 && strchr("`'\",.;:)*]!?", w.s[w.len - 1]) != NULL)
		w.len--;
	return w;
}

static inline int
is(struct word w, const char *word)
{
	size_t n;

	/* the first byte first: ASCII letters by their case bit */
	if (w.len == 0 ||
	    (((unsigned char)w.s[0] | 0x20) != (unsigned char)word[0] &&
		(unsigned char)w.s[0] != (unsigned char)word[0]))
		return word[0] == '\0' && w.len == 0;
	n = strlen(word);

	return w.len == n && strncasecmp(w.s, word, n) == 0;
}

static inline int
starts(struct word w, const char *prefix)
{
	size_t n;

	if (w.len == 0 ||
	    ((unsigned char)w.s[0] | 0x20) != (unsigned char)prefix[0])
		return 0;
	n = strlen(prefix);

	return w.len >= n && strncasecmp(w.s, prefix, n) == 0;
}

static int
filler_word(struct word w)
{
	static const char *const fill[] = {"the", "a", "an", "our", "its", "we",
	    "i", "you", "they", "he", "she", "us", "them", "me", "my",
	    "default", "function", "method", "variable", "field", "it", "this",
	    "that", "all", "value", "of", "file", "env", "config", NULL};
	size_t i;

	for (i = 0; fill[i] != NULL; i++)
		if (is(w, fill[i]))
			return 1;
	return 0;
}

static int
change_verb(struct word w)
{
	static const char *const verbs[] = {"set", "sets", "change", "changed",
	    "changing", "bump", "bumped", "bumping", "increase", "increased",
	    "decrease", "decreased", "raise", "raised", "lower", "lowered",
	    "switch", "switched", "move", "moved", "update", "updated",
	    "reduce", "reduced", "point", "pointed", "pin", "pinned", NULL};
	size_t i;

	for (i = 0; verbs[i] != NULL; i++)
		if (is(w, verbs[i]))
			return 1;
	return 0;
}

/* A value: a term, or a short word that is no plain English. */
static int
value_like(struct word w)
{
	int kind = -1;

	if (w.len == 0 || w.len > 120)
		return 0;
	terms_scan(w.s, w.len, on_term_kind, &kind);
	if (kind >= 0)
		return 1;
	return w.len <= 24 &&
	    (isdigit((unsigned char)w.s[0]) ||
		memchr(w.s, '_', w.len) != NULL ||
		memchr(w.s, '.', w.len) != NULL);
}

static void
lower_key(struct buf *b, struct word w)
{
	size_t i;

	buf_reset(b);
	buf_add(b, w.s, w.len);
	for (i = 0; i < b->len; i++)
		b->s[i] = (char)tolower((unsigned char)b->s[i]);
}

/*
 * Records that key now has value (and had old before, when known) as
 * unit u says.  Returns the key's index.
 */
static void
set_value(
    struct extract *x, struct word key, struct word old, struct word val, int u)
{
	struct buf lk = BUF_INIT;
	struct key *k;
	void *v;

	key = clean(key);
	old = clean(old);
	val = clean(val);
	if (key.len == 0 || val.len == 0 || key.len > 64)
		return;
	lower_key(&lk, key);
	v = strmap_get(&x->keys, lk.s, lk.len);
	if (v == NULL) {
		ARRAY_GROW(x->k, x->nk, x->kcap);
		k = &x->k[x->nk];
		memset(k, 0, sizeof(*k));
		k->off = keep(x, key.s, key.len);
		k->len = key.len;
		k->mini = -1;
		strmap_put(
		    &x->keys, lk.s, lk.len, (void *)(uintptr_t)(x->nk + 1));
		x->nk++;
	} else {
		k = &x->k[(uintptr_t)v - 1];
	}
	buf_release(&lk);
	if (k->nval > 0 && strlen(str(x, k->val[k->nval - 1])) == val.len &&
	    memcmp(str(x, k->val[k->nval - 1]), val.s, val.len) == 0)
		return; /* said again */
	if (old.len > 0 &&
	    (k->nval == 0 || strlen(str(x, k->val[k->nval - 1])) != old.len ||
		memcmp(str(x, k->val[k->nval - 1]), old.s, old.len) != 0)) {
		ARRAY_GROW(k->val, k->nval, k->cap);
		k->val[k->nval++] = keep(x, old.s, old.len);
	}
	ARRAY_GROW(k->val, k->nval, k->cap);
	k->val[k->nval++] = keep(x, val.s, val.len);
	k->unit = u;
	if (k->nval > 1)
		k->changed = 1;
}

/* A word that gives a number its unit: "4 MiB", "14 days", "30 s". */
static int
unit_word(struct word w)
{
	static const char *const units[] = {"b", "kb", "kib", "mb", "mib", "gb",
	    "gib", "tb", "bytes", "ms", "s", "sec", "secs", "seconds", "min",
	    "mins", "minutes", "h", "hours", "days", "day", "weeks", "months",
	    "%", "percent", "requests", "req/s", "rps", "x", "times", "cores",
	    "threads", "workers", "connections", "lines", "tokens", "items",
	    NULL};
	struct word c = clean(w);
	size_t i;

	for (i = 0; units[i] != NULL; i++)
		if (is(c, units[i]))
			return 1;
	return 0;
}

/* Word i, with the next when it is a number's unit: "4 MiB". */
static struct word
with_unit(const struct word *w, int n, int i)
{
	struct word v = w[i];

	if (i + 1 < n && isdigit((unsigned char)clean(w[i]).s[0]) &&
	    clean(w[i]).s + clean(w[i]).len == w[i].s + w[i].len &&
	    unit_word(w[i + 1]))
		v.len = (size_t)(w[i + 1].s + w[i + 1].len - w[i].s);
	return v;
}

/*
 * "The default TTL of 7 days is too short, change it to 14 days": the
 * value it had is the last of the same unit said before in the message,
 * and the key the word before "of" or "is" ahead of it.
 */
static void
antecedent(struct extract *x, int u, struct word val)
{
	struct word w[MAX_WORDS], unit, old, num;
	const char *sp = memchr(val.s, ' ', val.len);
	char *t;
	int n, i, k, v;

	if (sp == NULL)
		return; /* only a number with its unit has a match to find */
	unit = clean((struct word){sp + 1, (size_t)(val.s + val.len - sp - 1)});
	num = (struct word){val.s, (size_t)(sp - val.s)};
	for (v = u; v >= 0 && x->u[v].msg == x->u[u].msg; v--) {
		t = xstrndup(str(x, x->u[v].off), x->u[v].len);
		n = split_words(t, strlen(t), w, MAX_WORDS);
		for (i = n - 1; i > 0; i--) {
			if (!isdigit((unsigned char)w[i - 1].s[0]) ||
			    clean(w[i]).len != unit.len ||
			    strncasecmp(clean(w[i]).s, unit.s, unit.len) != 0 ||
			    (w[i - 1].len == num.len &&
				memcmp(w[i - 1].s, num.s, num.len) == 0))
				continue;
			old = (struct word){w[i - 1].s,
			    (size_t)(w[i].s + w[i].len - w[i - 1].s)};
			k = i - 2;
			if (k >= 0 && is(w[k], "of"))
				k--;
			while (k > 0 && filler_word(w[k]))
				k--;
			if (k >= 0 && !filler_word(w[k]))
				set_value(x, w[k], old, val, u);
			free(t);
			return;
		}
		free(t);
	}
}

/*
 * The patterns of a change.  Each looks at the words w[0..n) of unit u
 * from word *i; if the pattern's words are there it notes the change it
 * finds (set_value), may move *i past them, and returns 1, so that no
 * other pattern is tried at *i.
 */
struct words {
	struct word *w;
	int n, u;
};

static const struct word none = {"", 0};

/* a -> b, key: a -> b */
static int
change_arrow(struct extract *x, const struct words *ws, int *pi)
{
	const struct word *w = ws->w;
	int i = *pi;

	if (!(is(w[i], ARROW) || is(w[i], "->") || is(w[i], "=>")) || i == 0 ||
	    i + 1 >= ws->n)
		return 0;
	set_value(x,
	    i >= 2 && w[i - 2].s[w[i - 2].len - 1] == ':' ? w[i - 2] : w[i - 1],
	    w[i - 1], w[i + 1], ws->u);
	return 1;
}

/* rename [the function] a to b */
static int
change_rename(struct extract *x, const struct words *ws, int *pi)
{
	const struct word *w = ws->w;
	int i = *pi, n = ws->n, j;

	if (!starts(w[i], "renam") || is(w[i], "renamed") || i + 1 >= n)
		return 0;
	for (j = i + 1; j < n && j < i + 3 && filler_word(w[j]); j++)
		;
	if (j + 2 < n &&
	    (is(w[j + 1], "to") || is(w[j + 1], "as") || is(w[j + 1], "into")))
		set_value(x, w[j], w[j], w[j + 2], ws->u);
	return 1;
}

/* a (was|has been) renamed to b; renamed a to b */
static int
change_renamed(struct extract *x, const struct words *ws, int *pi)
{
	const struct word *w = ws->w;
	int i = *pi, n = ws->n, j;

	if (!is(w[i], "renamed"))
		return 0;
	if (i + 2 < n && is(w[i + 1], "to")) {
		for (j = i - 1; j > 0 &&
		     (is(w[j], "was") || is(w[j], "been") || is(w[j], "is") ||
			 is(w[j], "has") || is(w[j], "got"));
		     j--)
			;
		if (j >= 0 && j < i)
			set_value(x, w[j], w[j], w[i + 2], ws->u);
		return 1;
	}
	if (i + 3 < n && (is(w[i + 2], "to") || is(w[i + 2], "as"))) {
		set_value(x, w[i + 1], w[i + 1], w[i + 3], ws->u);
		return 1;
	}
	return 0;
}

/* [change] the port from a to b; from 1 MiB to 4 MiB */
static int
change_from_to(struct extract *x, const struct words *ws, int *pi)
{
	struct word *w = ws->w, a, b;
	int i = *pi, n = ws->n, j, t;

	if (!is(w[i], "from") || i + 3 >= n ||
	    !(is(w[i + 2], "to") ||
		(i + 4 < n && is(w[i + 3], "to") && unit_word(w[i + 2]))) ||
	    !(value_like(clean(w[i + 1])) ||
		value_like(clean(w[i + 3 + is(w[i + 3], "to")]))))
		return 0;
	a = with_unit(w, n, i + 1);
	t = is(w[i + 2], "to") ? i + 2 : i + 3;
	b = with_unit(w, n, t + 1);
	for (j = i - 1; j > 0 && filler_word(w[j]); j--)
		;
	set_value(
	    x, j >= 0 && j < i && !change_verb(w[j]) ? w[j] : a, a, b, ws->u);
	*pi = t + 1;
	return 1;
}

/* set the timeout to 30s; change it to 14 days */
static int
change_set_to(struct extract *x, const struct words *ws, int *pi)
{
	struct word *w = ws->w, b;
	int i = *pi, n = ws->n, j, k;

	if (!change_verb(w[i]) || i + 2 >= n)
		return 0;
	for (j = i + 1;
	     j < n && j < i + 6 && !is(w[j], "to") && !is(w[j], "from"); j++)
		;
	if (j >= n - 1 || !is(w[j], "to") || j <= i + 1 ||
	    !value_like(clean(w[j + 1])))
		return 1;
	b = with_unit(w, n, j + 1);
	for (k = j - 1; k > i + 1 && filler_word(w[k]); k--)
		;
	if (!filler_word(w[k]))
		set_value(x, w[k], none, b, ws->u);
	else if (is(w[k], "it") || is(w[k], "that"))
		antecedent(x, ws->u, b); /* "change it to 14 days": of what? */
	return 1;
}

/* use b instead of a; x is now b */
static int
change_instead_now(struct extract *x, const struct words *ws, int *pi)
{
	struct word *w = ws->w;
	int i = *pi, n = ws->n;

	if (is(w[i], "instead") && i + 2 < n && is(w[i + 1], "of") && i > 0 &&
	    value_like(clean(w[i - 1])) && value_like(clean(w[i + 2]))) {
		set_value(x, w[i + 2], w[i + 2], w[i - 1], ws->u);
		return 1;
	}
	if (is(w[i], "now") && i >= 2 && i + 1 < n &&
	    (is(w[i - 1], "is") || is(w[i - 1], "are")) &&
	    value_like(clean(w[i + 1])) && !filler_word(w[i - 2])) {
		set_value(x, w[i - 2], none, with_unit(w, n, i + 1), ws->u);
		return 1;
	}
	return 0;
}

/* x=b in a word, or x = b */
static int
change_equals(struct extract *x, const struct words *ws, int *pi)
{
	const struct word *w = ws->w;
	int i = *pi, n = ws->n;
	const char *eq = memchr(w[i].s, '=', w[i].len);

	if (eq != NULL && eq > w[i].s && eq + 1 < w[i].s + w[i].len &&
	    eq[1] != '=' && eq[-1] != '!' && eq[-1] != '<' && eq[-1] != '>') {
		struct word k = {w[i].s, (size_t)(eq - w[i].s)};
		struct word v = {eq + 1, (size_t)(w[i].s + w[i].len - eq - 1)};

		if (value_like(clean(k)) || isupper((unsigned char)k.s[0]))
			set_value(x, k, none, v, ws->u);
		return 1;
	}
	if (is(w[i], "=") && i > 0 && i + 1 < n &&
	    value_like(clean(w[i - 1]))) {
		set_value(x, w[i - 1], none, w[i + 1], ws->u);
		return 1;
	}
	return 0;
}

static int (*const change_patterns[])(struct extract *, const struct words *,
    int *) = {change_arrow, change_rename, change_renamed, change_from_to,
    change_set_to, change_instead_now, change_equals};

/*
 * Finds what a unit says changed: "a -> b", "renamed a to b", "x from
 * a to b", "set x to b", "use b instead of a", "x is now b", "x = b".
 */
static void
find_changes(struct extract *x, int u)
{
	struct word w[MAX_WORDS];
	/* a copy: set_value adds to x->text, which may move */
	char *s = xstrndup(str(x, x->u[u].off), x->u[u].len);
	struct words ws = {w, split_words(s, x->u[u].len, w, MAX_WORDS), u};
	size_t p;
	int i;

	for (i = 0; i < ws.n; i++) {
		/* Most words begin none of the patterns. */
		if (strchr("sbcdilmnprfu", (unsigned char)w[i].s[0] | 0x20) ==
			NULL &&
		    (unsigned char)w[i].s[0] != 0xe2 && w[i].s[0] != '-' &&
		    memchr(w[i].s, '=', w[i].len) == NULL)
			continue;
		for (p = 0;
		     p < sizeof(change_patterns) / sizeof(change_patterns[0]) &&
		     !change_patterns[p](x, &ws, &i);
		     p++)
			;
	}
	free(s);
}

static int
is_fence(const char *s, size_t len)
{
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	return len >= 3 &&
	    (memcmp(s, "```", 3) == 0 || memcmp(s, "~~~", 3) == 0);
}

/* A line of code that defines something, or says TODO or FIXME. */
static int
code_worth(const char *s, size_t len)
{
	static const char *const starts_with[] = {"def ", "class ", "func ",
	    "fn ", "pub fn ", "pub struct ", "struct ", "enum ", "typedef ",
	    "#define ", "static ", "export ", "function ", "interface ",
	    "type ", "async def ", "impl ", "CREATE TABLE", "ALTER TABLE",
	    NULL};
	size_t i;

	while (len > 0 && (*s == ' ' || *s == '\t' || *s == '+'))
		s++, len--;
	for (i = 0; starts_with[i] != NULL; i++)
		if (len >= strlen(starts_with[i]) &&
		    memcmp(s, starts_with[i], strlen(starts_with[i])) == 0)
			return 1;
	return memmem(s, len, "TODO", 4) != NULL ||
	    memmem(s, len, "FIXME", 5) != NULL ||
	    memmem(s, len, "XXX", 3) != NULL;
}

/* Adds one unit of len bytes at s; returns its index, or -1. */
static int
add_unit(struct extract *x, enum extract_role role, int code, const char *s,
    size_t len, long line)
{
	struct scan sc;
	struct unit *u;
	size_t cut;
	char *copy;

	while (len > 0 && isspace((unsigned char)*s))
		s++, len--;
	while (len > 0 && isspace((unsigned char)s[len - 1]))
		len--;
	/* list markers: "- ", "* ", "1. " */
	if (len > 2 && (s[0] == '-' || s[0] == '*' || s[0] == '>') &&
	    s[1] == ' ')
		s += 2, len -= 2;
	else if (len > 3 && isdigit((unsigned char)s[0]) &&
	    (s[1] == '.' || s[1] == ')') && s[2] == ' ')
		s += 3, len -= 3;
	if (memchr(s, '\0', len) != NULL)
		len = strlen(s); /* text, not records, may hold a NUL */
	if (len < 3)
		return -1;
	ARRAY_GROW(x->u, x->nu, x->ucap);
	u = &x->u[x->nu];
	memset(u, 0, sizeof(*u));
	if (len > MAX_UNIT) {
		for (cut = MAX_UNIT; cut > MAX_UNIT / 2 && s[cut] != ' '; cut--)
			;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		u->off = x->text.len;
		buf_add(&x->text, s, cut);
		buf_addstr(&x->text, " " ELLIPSIS);
		u->len = x->text.len - u->off;
		buf_add(&x->text, "", 1);
	} else {
		u->off = keep(x, s, len);
		u->len = len;
	}
	u->msg = x->nmsg;
	u->role = role;
	u->code = code;
	u->line = line;
	u->kind = UNIT_TEXT;
	copy = xstrndup(str(x, u->off), u->len);
	u->cues = terms_cues(copy, u->len);
	u->ent0 = x->nuent;
	sc.x = x;
	sc.u = u;
	x->nu++; /* entities may grow x->u no more, but x->text: the copy */
	terms_scan(copy, u->len, on_term, &sc);
	u->nent = x->nuent - u->ent0;
	free(copy);
	find_changes(x, (int)x->nu - 1);
	return (int)x->nu - 1;
}

/*
 * A line that a program printed, pasted into a message: a shell prompt,
 * a debugger's frame, or one most of whose words hold digits (log lines,
 * addresses, tables of numbers).
 */
static int
machine_line(const char *s, size_t len)
{
	const char *end = s + len;
	int words = 0, numeric = 0, digit;

	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	if (len >= 2 &&
	    ((s[0] == '$' && s[1] == ' ') ||
		(s[0] == '#' && isdigit((unsigned char)s[1])) ||
		(s[0] == '=' && s[1] == '=')))
		return 1;
	while (s < end) {
		while (s < end && isspace((unsigned char)*s))
			s++;
		if (s >= end)
			break;
		for (digit = 0; s < end && !isspace((unsigned char)*s); s++)
			digit |= isdigit((unsigned char)*s) != 0;
		words++;
		numeric += digit;
	}
	return words >= 4 && numeric * 5 >= words * 2;
}

/* A line of a tool's output worth keeping: an error, a file position. */
static int
tool_worth(const char *s, size_t len)
{
	unsigned cues = terms_cues(s, len);
	const char *colon;

	if (cues & (CUE_ERROR | CUE_WARN))
		return 1;
	/* file.c:12: or file.py", line 12 */
	colon = memchr(s, ':', len);
	return colon != NULL && colon + 1 < s + len &&
	    isdigit((unsigned char)colon[1]) && colon > s &&
	    isalpha((unsigned char)colon[-1]);
}

/* The header an earlier summary of ours starts with, and its lines. */
#define HEADER_END " earlier messages, extracted"
#define CHANGED "Changed: "
#define ALSO "Also mentioned: "

static enum extract_role
role_tag(const char **s, size_t *len, enum extract_role dflt)
{
	static const struct {
		const char *tag;
		enum extract_role role;
	} tags[] = {{"[user] ", EXTRACT_USER},
	    {"[assistant] ", EXTRACT_ASSISTANT}, {"[tool] ", EXTRACT_TOOL}};
	size_t i, n;

	for (i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		n = strlen(tags[i].tag);
		if (*len > n && memcmp(*s, tags[i].tag, n) == 0) {
			*s += n;
			*len -= n;
			return tags[i].role;
		}
	}
	return dflt;
}

/* Adds a line as units: its sentences, or pieces split at sep. */
static void
add_pieces(struct extract *x, enum extract_role role, const char *s, size_t len,
    const char *sep, long line)
{
	const char *end = s + len, *p;
	size_t n, seplen = sep != NULL ? strlen(sep) : 0;

	while (s < end) {
		if (sep != NULL) {
			p = memmem(s, (size_t)(end - s), sep, seplen);
			n = p != NULL ? (size_t)(p - s) : (size_t)(end - s);
		} else {
			n = terms_sentence(s, (size_t)(end - s));
		}
		if (sep == NULL || n > 0)
			add_unit(x, role, 0, s, n, line);
		s += n + (sep != NULL && s + n < end ? seplen : 0);
		if (n == 0 && sep == NULL)
			s++;
	}
}

/* An earlier summary: each line a unit, ours parsed back into pieces. */
static void
add_summary(struct extract *x, const char *text, size_t len)
{
	const char *s = text, *end = text + len, *nl;
	enum extract_role role;
	size_t n;

	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - s);
		if (n == 0 || s[0] == '#' ||
		    memmem(s, n, HEADER_END, strlen(HEADER_END)))
			continue;
		if (n > strlen(CHANGED) &&
		    memcmp(s, CHANGED, strlen(CHANGED)) == 0) {
			add_pieces(x, EXTRACT_SUMMARY, s + strlen(CHANGED),
			    n - strlen(CHANGED), "; ", 0);
			continue;
		}
		if (n > strlen(ALSO) && memcmp(s, ALSO, strlen(ALSO)) == 0) {
			add_pieces(x, EXTRACT_SUMMARY, s + strlen(ALSO),
			    n - strlen(ALSO), ", ", 0);
			continue;
		}
		role = role_tag(&s, &n, EXTRACT_SUMMARY);
		add_pieces(x, role, s, n, " " ELLIPSIS " ", 0);
	}
}

void
extract_add(struct extract *x, enum extract_role role, const char *text,
    size_t len, long line)
{
	const char *s = text, *end = text + len, *nl;
	int fence = 0, tool_units = 0, code_units = 0;
	size_t n;

	if (role == EXTRACT_SUMMARY) {
		add_summary(x, text, len);
		x->nmsg++;
		return;
	}
	for (; s<end; s = nl + 1, line += line> 0) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - s);
		if (is_fence(s, n)) {
			fence = !fence;
			if (fence && n > 3)
				add_unit(x, role, 1, s + 3, n - 3, line);
			continue;
		}
		if (fence ||
		    (n > 0 && (s[0] == '+' || s[0] == '@') &&
			role != EXTRACT_TEXT && role != EXTRACT_USER)) {
			if (code_units < MAX_TOOL_UNITS && code_worth(s, n) &&
			    add_unit(x, role, 1, s, n, line) >= 0)
				code_units++;
			continue;
		}
		if (role == EXTRACT_TOOL ||
		    (role != EXTRACT_TEXT && machine_line(s, n))) {
			if (tool_units < MAX_TOOL_UNITS && tool_worth(s, n) &&
			    add_unit(x, role, 1, s, n, line) >= 0)
				tool_units++;
			continue;
		}
		add_pieces(x, role, s, n, NULL, line);
	}
	x->nmsg++;
}

/*
 * Scoring
 */

static double
kind_weight(enum term_kind k)
{
	switch (k) {
	case TERM_PATH:
		return 3.0;
	case TERM_IDENT:
	case TERM_QUOTED:
		return 2.0;
	case TERM_URL:
		return 1.5;
	default:
		return 1.0;
	}
}

static void
weigh_entities(struct extract *x)
{
	struct entity *e;
	size_t i;

	for (i = 0; i < x->ne; i++) {
		e = &x->e[i];
		e->weight = kind_weight(e->kind) * (1 + 0.3 * log(e->count));
		if (e->spoken == 0)
			e->weight *= 0.3;
		e->covered = 0;
	}
}

static double
cue_score(const struct unit *u)
{
	int user = u->role == EXTRACT_USER;
	double s = 0;

	if (u->cues & CUE_PREFER)
		s += user ? 4.0 : 1.0;
	else if (u->ruled)
		s += 2.0; /* "rules: ... Commit messages are imperative." */
	if (u->cues & CUE_DECISION)
		s += 3.0;
	if (u->cues & CUE_ERROR)
		s += u->code ? 2.0 : 3.0;
	if (u->cues & CUE_FIX)
		s += 3.0;
	if (u->cues & CUE_TASK)
		s += 2.5;
	if (u->cues & CUE_CHANGE)
		s += 1.5;
	if (u->cues & CUE_DONE)
		s += 1.0;
	if (u->cues & CUE_WARN)
		s += 1.0;
	if ((u->cues & CUE_FILLER) && u->nent == 0 && u->len < 60)
		s -= 2.0;
	return s;
}

static double
role_weight(const struct unit *u)
{
	if (u->code)
		return 0.4;
	switch (u->role) {
	case EXTRACT_USER:
		return 1.3;
	case EXTRACT_TOOL:
		return 0.5;
	case EXTRACT_SUMMARY:
		return 1.1;
	default:
		return 1.0;
	}
}

/*
 * Marks unit u as holding old, a value of key i that changed after it:
 * as a whole word, beside its key (or any value of four bytes or more,
 * or a rename), in a unit that is no change itself.
 */
static void
mark_unit(struct extract *x, int u, size_t i, const char *old)
{
	const struct key *k = &x->k[i];
	const char *t = str(x, x->u[u].off), *p;
	size_t len = strlen(old);
	int j;

	if (x->u[u].kind != UNIT_TEXT || u >= k->unit ||
	    (p = strstr(t, old)) == NULL)
		return;
	if ((p > t && isalnum((unsigned char)p[-1])) ||
	    isalnum((unsigned char)p[len]))
		return;
	if (strstr(t, ARROW) != NULL ||
	    (len < 4 && strcmp(str(x, k->off), old) != 0 &&
		strcasestr(t, str(x, k->off)) == NULL))
		return;
	for (j = 0;
	     j < 3 && x->u[u].stale[j] != 0 && x->u[u].stale[j] != (int)i + 1;
	     j++)
		;
	if (j < 3)
		x->u[u].stale[j] = (int)i + 1;
}

/* Values that are no entity, looked for in every unit: a bounded few. */
#define MAX_PLAIN_OLD 32

/*
 * Marks the units that state a value that changed later.  An old value
 * that is an entity is found through the units' entities, in one pass;
 * a value that came back ("a -> b -> a") is current, not old.
 */
static void
mark_stale(struct extract *x)
{
	struct {
		size_t key;
		const char *old;
	} plain[MAX_PLAIN_OLD];
	const struct key *k;
	const char *old, *latest;
	size_t i, v, e, nplain = 0;
	void *found;
	int u;

	for (i = 0; i < x->nk; i++) {
		k = &x->k[i];
		if (!k->changed)
			continue;
		latest = str(x, k->val[k->nval - 1]);
		for (v = 0; v + 1 < k->nval; v++) {
			old = str(x, k->val[v]);
			if (strlen(old) < 2 || strcmp(old, latest) == 0)
				continue;
			found = strmap_get(&x->ents, old, strlen(old));
			if (found != NULL) {
				x->e[(uintptr_t)found - 1].stale = 1;
				x->e[(uintptr_t)found - 1].stale_key =
				    (int)i + 1;
			} else if (nplain < MAX_PLAIN_OLD) {
				plain[nplain].key = i;
				plain[nplain++].old = old;
			}
		}
	}
	for (u = 0; u < (int)x->nu; u++)
		for (v = 0; v < x->u[u].nent; v++) {
			e = x->uent[x->u[u].ent0 + v];
			if (x->e[e].stale_key != 0)
				mark_unit(x, u, (size_t)x->e[e].stale_key - 1,
				    str(x, x->e[e].off));
		}
	for (i = 0; i < nplain; i++)
		for (u = 0; u < x->k[plain[i].key].unit; u++)
			mark_unit(x, u, plain[i].key, plain[i].old);
}

static void
score_units(struct extract *x)
{
	struct unit *u;
	double recency;
	size_t i;

	for (i = 0; i < x->nu; i++) {
		u = &x->u[i];
		if (i > 0 && u->role == EXTRACT_USER &&
		    u->msg == x->u[i - 1].msg &&
		    ((x->u[i - 1].cues & CUE_PREFER) || x->u[i - 1].ruled))
			u->ruled = 1;
		recency = x->nmsg > 1 ? (double)u->msg / (x->nmsg - 1) : 1;
		/* Instructions and decisions hold until changed: no decay. */
		if ((u->cues & (CUE_PREFER | CUE_DECISION)) &&
		    (u->role == EXTRACT_USER || (u->cues & CUE_DECISION)))
			recency = 1;
		u->base = (cue_score(u) + 0.5) * role_weight(u) *
		    (0.7 + 0.6 * recency);
		if (u->stale[0])
			u->base *= 0.5;
		if (u->base < 0)
			u->base = 0;
	}
}

/* The rendering of a change: "port: 8080 -> 8088", or "a -> b". */
static void
render_change(const struct extract *x, const struct key *k, struct buf *out)
{
	size_t v;

	if (strcmp(str(x, k->off), str(x, k->val[0])) != 0)
		buf_printf(out, "%s: ", str(x, k->off));
	for (v = 0; v < k->nval; v++)
		buf_printf(
		    out, "%s%s", v > 0 ? " " ARROW " " : "", str(x, k->val[v]));
}

/* The mini-units: one for each change, one for each path or identifier. */
static void
add_minis(struct extract *x)
{
	struct buf text = BUF_INIT;
	struct unit *u;
	size_t i;

	for (i = 0; i < x->nk; i++) {
		if (!x->k[i].changed)
			continue;
		buf_reset(&text);
		render_change(x, &x->k[i], &text);
		ARRAY_GROW(x->u, x->nu, x->ucap);
		u = &x->u[x->nu];
		memset(u, 0, sizeof(*u));
		u->kind = UNIT_CHANGE;
		u->ref = (int)i;
		u->off = keep(x, text.s, text.len);
		u->len = text.len;
		u->msg = x->u[x->k[i].unit].msg;
		u->base = 4.0;
		u->ent0 = u->nent = 0;
		x->k[i].mini = (int)x->nu++;
	}
	for (i = 0; i < x->ne; i++) {
		if (x->e[i].kind == TERM_NUMBER || x->e[i].kind == TERM_URL ||
		    x->e[i].spoken == 0 || x->e[i].stale || x->e[i].len > 40)
			continue;
		ARRAY_GROW(x->u, x->nu, x->ucap);
		ARRAY_GROW(x->uent, x->nuent, x->uentcap);
		u = &x->u[x->nu];
		memset(u, 0, sizeof(*u));
		u->kind = UNIT_TERM;
		u->ref = (int)i;
		u->off = x->e[i].off;
		u->len = x->e[i].len;
		u->ent0 = x->nuent;
		u->nent = 1;
		x->uent[x->nuent++] = i;
		x->nu++;
	}
	buf_release(&text);
}

/* What choosing u adds now: its base, and the entities not yet covered. */
static double
value(const struct extract *x, const struct unit *u)
{
	double v = u->kind == UNIT_TERM ? 0 : u->base;
	const struct entity *e;
	size_t i;

	for (i = 0; i < u->nent; i++) {
		e = &x->e[x->uent[u->ent0 + i]];
		if (!e->covered)
			v += u->kind == UNIT_TERM
			    ? 0.5 * e->weight
			    : (u->stale[0] ? 0.3 : 1) * e->weight;
	}
	return v;
}

/* A max-heap of units by value per unit of cost. */
struct heap {
	struct slot {
		double p;
		size_t u;
	} * v;
	size_t n, cap;
};

static int
before(const struct slot *a, const struct slot *b)
{
	return a->p > b->p || (a->p == b->p && a->u > b->u);
}

static void
heap_push(struct heap *h, double p, size_t u)
{
	size_t i, parent;
	struct slot t;

	ARRAY_GROW(h->v, h->n, h->cap);
	h->v[h->n] = (struct slot){p, u};
	for (i = h->n++; i > 0; i = parent) {
		parent = (i - 1) / 2;
		if (!before(&h->v[i], &h->v[parent]))
			break;
		t = h->v[i];
		h->v[i] = h->v[parent];
		h->v[parent] = t;
	}
}

static struct slot
heap_pop(struct heap *h)
{
	struct slot top = h->v[0], t;
	size_t i = 0, l, r, best;

	h->v[0] = h->v[--h->n];
	for (;;) {
		l = 2 * i + 1;
		r = l + 1;
		best = i;
		if (l < h->n && before(&h->v[l], &h->v[best]))
			best = l;
		if (r < h->n && before(&h->v[r], &h->v[best]))
			best = r;
		if (best == i)
			break;
		t = h->v[i];
		h->v[i] = h->v[best];
		h->v[best] = t;
		i = best;
	}
	return top;
}

/* Units of the separators and role tag a unit brings into the text. */
#define SEPARATOR_UNITS 2

static void
cost_units(struct extract *x)
{
	size_t i;

	for (i = 0; i < x->nu; i++)
		x->u[i].cost =
		    counter_units(x->c, str(x, x->u[i].off), x->u[i].len) +
		    SEPARATOR_UNITS;
}

static void
cover(struct extract *x, const struct unit *u)
{
	size_t i;

	for (i = 0; i < u->nent; i++)
		x->e[x->uent[u->ent0 + i]].covered = 1;
}

/* The greedy choice, in units: the best value per cost while it fits. */
static void
choose(struct extract *x, size_t room)
{
	struct heap h = {NULL, 0, 0};
	struct slot top;
	size_t i, used = 0;
	double v;

	for (i = 0; i < x->nu; i++) {
		x->u[i].chosen = 0;
		v = value(x, &x->u[i]);
		if (v > 0)
			heap_push(&h, v / (double)x->u[i].cost, i);
	}
	while (h.n > 0) {
		top = heap_pop(&h);
		v = value(x, &x->u[top.u]) / (double)x->u[top.u].cost;
		if (v <= 0)
			continue;
		if (h.n > 0 && v < h.v[0].p) {
			heap_push(
			    &h, v, top.u); /* worth less now: look again */
			continue;
		}
		if (counter_tokens(x->c, used + x->u[top.u].cost) > room)
			continue;
		x->u[top.u].chosen = 1;
		used += x->u[top.u].cost;
		cover(x, &x->u[top.u]);
	}
	free(h.v);
}

static const char *
role_name(enum extract_role r)
{
	switch (r) {
	case EXTRACT_USER:
		return "user";
	case EXTRACT_ASSISTANT:
		return "assistant";
	case EXTRACT_TOOL:
		return "tool";
	default:
		return "summary";
	}
}

static void
render(const struct extract *x, long covers, struct buf *out)
{
	const struct unit *u, *prev = NULL;
	const struct key *k;
	size_t i;
	int first, j;

	buf_reset(out);
	if (covers > 0)
		buf_printf(out, "%ld" HEADER_END " (oldest first):", covers);
	first = 1;
	for (i = 0; i < x->nu; i++) {
		u = &x->u[i];
		if (!u->chosen || u->kind != UNIT_CHANGE)
			continue;
		buf_addstr(out, first ? "\n" CHANGED : "; ");
		buf_add(out, str(x, u->off), u->len);
		first = 0;
	}
	for (i = 0; i < x->nu; i++) {
		u = &x->u[i];
		if (!u->chosen || u->kind != UNIT_TEXT)
			continue;
		if (u->role == EXTRACT_TEXT) {
			buf_printf(out, "\n%ld: ", u->line);
		} else if (prev != NULL && prev->msg == u->msg) {
			buf_addstr(out, " " ELLIPSIS " ");
		} else {
			buf_printf(out, "\n[%s] ", role_name(u->role));
		}
		buf_add(out, str(x, u->off), u->len);
		for (j = 0; j < 3 && u->stale[j] != 0; j++) {
			k = &x->k[u->stale[j] - 1];
			buf_addstr(out, j == 0 ? " (changed later: " : "; ");
			render_change(x, k, out);
			if (j == 2 || u->stale[j + 1] == 0)
				buf_addstr(out, ")");
		}
		prev = u;
	}
	first = 1;
	for (i = 0; i < x->nu; i++) {
		u = &x->u[i];
		if (!u->chosen || u->kind != UNIT_TERM)
			continue;
		buf_addstr(out, first ? "\n" ALSO : ", ");
		buf_add(out, str(x, u->off), u->len);
		first = 0;
	}
	if (out->len > 0 && out->s[0] == '\n') {
		memmove(out->s, out->s + 1, out->len);
		out->len--;
	}
}

/*
 * Drops the chosen units worth least for their cost until at least over
 * tokens went; returns 0 when none was left to drop.
 */
static int
drop_worst(struct extract *x, size_t over)
{
	size_t i, worst = 0, dropped = 0;
	double best, d;

	while (counter_tokens(x->c, dropped) < over) {
		best = -1;
		for (i = 0; i < x->nu; i++) {
			if (!x->u[i].chosen)
				continue;
			d = x->u[i].base / (double)x->u[i].cost;
			if (best < 0 || d < best) {
				best = d;
				worst = i;
			}
		}
		if (best < 0)
			return dropped > 0;
		x->u[worst].chosen = 0;
		dropped += x->u[worst].cost;
	}
	return 1;
}

static void
prepare(struct extract *x)
{
	if (x->prepared)
		return;
	x->prepared = 1;
	mark_stale(x);
	score_units(x);
	add_minis(x);
	weigh_entities(x);
	cost_units(x);
}

char *
extract_render(struct extract *x, size_t budget, long covers)
{
	struct buf out = BUF_INIT;
	size_t header, tokens;

	prepare(x);
	render(x, covers, &out); /* the header alone */
	header = counter_count(x->c, out.s, out.len);
	if (header >= budget) {
		buf_release(&out);
		return xstrdup("");
	}
	weigh_entities(x);
	choose(x, budget - header);
	render(x, covers, &out);
	while ((tokens = counter_count(x->c, out.s, out.len)) > budget &&
	    drop_worst(x, tokens - budget))
		render(x, covers, &out);
	if (tokens > budget)
		buf_reset(&out);
	return buf_detach(&out);
}

/* Items hold offsets while x->text grows, and pointers at the end. */
static void
add_item(
    struct extract *x, size_t find, size_t line, enum extract_section section)
{
	struct extract_item *it;

	x->items = xreallocarray(x->items, x->nitems + 1, sizeof(*x->items));
	it = &x->items[x->nitems++];
	it->find = (const char *)(uintptr_t)find;
	it->line = (const char *)(uintptr_t)line;
	it->section = section;
}

/* The paths and identifiers said outside code, weightiest first. */
static size_t *
entities_by_weight(const struct extract *x, size_t *n)
{
	size_t i, j, t, *order = xreallocarray(NULL, x->ne + 1, sizeof(*order));

	*n = 0;
	for (i = 0; i < x->ne; i++)
		if (x->e[i].spoken > 0 &&
		    (x->e[i].kind == TERM_PATH || x->e[i].kind == TERM_IDENT ||
			x->e[i].kind == TERM_QUOTED))
			order[(*n)++] = i;
	for (i = 1; i < *n; i++)
		for (j = i;
		     j > 0 && x->e[order[j]].weight > x->e[order[j - 1]].weight;
		     j--) {
			t = order[j];
			order[j] = order[j - 1];
			order[j - 1] = t;
		}
	return order;
}

const struct extract_item *
extract_items(struct extract *x, size_t max, size_t *n)
{
	struct buf line = BUF_INIT;
	size_t i, j, *order, nents;
	const struct unit *u;

	if (x->items != NULL || max == 0)
		goto out;
	prepare(x);
	weigh_entities(x);
	/* Changed values first: the latest value must be there. */
	for (i = 0; i < x->nk && x->nitems < max; i++) {
		if (!x->k[i].changed)
			continue;
		buf_reset(&line);
		render_change(x, &x->k[i], &line);
		add_item(x, x->k[i].val[x->k[i].nval - 1],
		    keep(x, line.s, line.len), EXTRACT_STATE);
	}
	/* Errors as said outside code, each by its first term. */
	for (i = 0; i < x->nu && x->nitems < max; i++) {
		u = &x->u[i];
		if (u->kind != UNIT_TEXT || !(u->cues & CUE_ERROR))
			continue;
		for (j = 0; j < u->nent; j++)
			if (x->e[x->uent[u->ent0 + j]].kind != TERM_NUMBER)
				break;
		if (j < u->nent)
			add_item(x, x->e[x->uent[u->ent0 + j]].off, u->off,
			    EXTRACT_ERRORS);
	}
	order = entities_by_weight(x, &nents);
	for (i = 0; i < nents && x->nitems < max; i++)
		add_item(
		    x, x->e[order[i]].off, x->e[order[i]].off, EXTRACT_FILES);
	free(order);
	for (i = 0; i < x->nitems; i++) {
		x->items[i].find = str(x, (uintptr_t)x->items[i].find);
		x->items[i].line = str(x, (uintptr_t)x->items[i].line);
	}
out:
	buf_release(&line);
	*n = x->nitems;
	return x->items;
}
