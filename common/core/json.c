/* json: JSON text to cJSON trees and back, strictly, numbers as written. */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/utf8.h"

/* Past this many keys an object finds duplicates by hashing. */
#define SCAN_KEYS 16
/* The longest key or escape quoted in a message, in bytes. */
#define QUOTE_MAX 40

struct parser {
	const char *start, *p, *end;
	struct json_error *e;
	int depth;
};

/*
 * Records the fault at offset at (the last byte when at is the end, as
 * cJSON does, so that a line cut short names its last column).  Always
 * returns NULL, for the caller to return.
 */
static void *fail(struct parser *ps, enum json_fault fault, const char *at,
    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void *
fail(struct parser *ps, enum json_fault fault, const char *at, const char *fmt,
    ...)
{
	va_list ap;

	if (at >= ps->end && ps->end > ps->start)
		at = ps->end - 1;
	ps->e->fault = fault;
	ps->e->offset = (size_t)(at - ps->start);
	va_start(ap, fmt);
	vsnprintf(ps->e->what, sizeof(ps->e->what), fmt, ap);
	va_end(ap);
	return NULL;
}

static cJSON *
new_node(int type)
{
	cJSON *n = cJSON_CreateNull();

	if (n == NULL)
		errx(1, "out of memory");
	n->type = type;
	return n;
}

static void
skip_space(struct parser *ps)
{
	while (ps->p < ps->end &&
	    (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\n' ||
		*ps->p == '\r'))
		ps->p++;
}

static int
hex4(const char *p, const char *end, unsigned *out)
{
	unsigned v = 0;
	int i;

	if (end - p < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		v <<= 4;
		if (p[i] >= '0' && p[i] <= '9')
			v |= (unsigned)(p[i] - '0');
		else if ((p[i] | 0x20) >= 'a' && (p[i] | 0x20) <= 'f')
			v |= (unsigned)((p[i] | 0x20) - 'a' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/*
 * The bytes of the escape at p (its backslash) to quote in a message:
 * the backslash and up to chars characters after it, whole ones, up to
 * a quote or the end.  The text is valid UTF-8.
 */
static int
escape_shown(const char *p, const char *end, int chars)
{
	const char *q = p + 1;
	unsigned char c;

	for (; chars > 0 && q < end && *q != '"'; chars--) {
		c = (unsigned char)*q;
		q += c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
	}
	return (int)(q - p);
}

static void
put_utf8(struct buf *out, unsigned cp)
{
	char b[4];
	size_t n;

	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | (cp >> 12 & 0x3f));
		b[2] = (char)(0x80 | (cp >> 6 & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	buf_add(out, b, n);
}

/*
 * A \u escape at p (the backslash), with the low half that must follow a
 * high surrogate.  Appends the character; returns the byte after the
 * escape, or NULL (the fault recorded).
 */
static const char *
unicode_escape(struct parser *ps, const char *p, struct buf *out)
{
	unsigned cp, lo;

	if (hex4(p + 2, ps->end, &cp) < 0)
		return fail(ps, JSON_SYNTAX, p, "bad escape '%.*s'",
		    escape_shown(p, ps->end, 5), p);
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return fail(ps, JSON_SYNTAX, p, "lone surrogate '%.6s'", p);
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (ps->end - p < 12 || p[6] != '\\' || p[7] != 'u' ||
		    hex4(p + 8, ps->end, &lo) < 0 || lo < 0xdc00 || lo > 0xdfff)
			return fail(
			    ps, JSON_SYNTAX, p, "lone surrogate '%.6s'", p);
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		p += 6;
	}
	if (cp == 0)
		return fail(ps, JSON_NUL, p, "unsupported NUL character");
	put_utf8(out, cp);
	return p + 6;
}

/*
 * The string whose opening quote is at ps->p, unescaped into a new
 * allocation (the caller frees it).  The text is known to be valid
 * UTF-8.  Returns NULL with the fault recorded.
 */
static char *
parse_string(struct parser *ps)
{
	static const char simple[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";
	const char *q = ps->p, *p = q + 1, *run, *c;
	struct buf out = BUF_INIT;

	for (;;) {
		for (run = p; p < ps->end && *p != '"' && *p != '\\' &&
		     (unsigned char)*p >= 0x20;
		     p++)
			;
		if (p == ps->end)
			goto unterminated;
		if (*p == '"' && out.cap == 0) {
			ps->p = p + 1;
			return xstrndup(run, (size_t)(p - run));
		}
		buf_add(&out, run, (size_t)(p - run));
		if (*p == '"')
			break;
		if ((unsigned char)*p < 0x20) {
			buf_release(&out);
			return *p == '\0'
			    ? fail(ps, JSON_NUL, p, "unsupported NUL character")
			    : fail(ps, JSON_SYNTAX, p,
				  "control character U+%04X in a "
				  "string",
				  (unsigned)*p);
		}
		if (p + 1 == ps->end)
			goto unterminated;
		if (p[1] == 'u') {
			if ((p = unicode_escape(ps, p, &out)) == NULL)
				goto fault;
			continue;
		}
		if ((c = strchr(simple, p[1])) == NULL) {
			fail(ps, JSON_SYNTAX, p, "bad escape '%.*s'",
			    escape_shown(p, ps->end, 1), p);
			goto fault;
		}
		buf_add(&out, &meant[c - simple], 1);
		p += 2;
	}
	ps->p = p + 1;
	return buf_detach(&out);
unterminated:
	fail(ps, JSON_SYNTAX, q, "unterminated string");
fault:
	buf_release(&out);
	return NULL;
}

/*
 * Whether the number text of n bytes at s prints back as it is without
 * help: an integer of at most 15 digits (cJSON's "%1.15g" and "%d" both
 * write those as they are), other than "-0".
 */
static int
canonical_number(const char *s, size_t n)
{
	size_t digits = n - (s[0] == '-');

	if (digits > 15 || (n == 2 && s[0] == '-' && s[1] == '0'))
		return 0;
	return strspn(s + (s[0] == '-'), "0123456789") == digits;
}

static const char *
skip_digits(const char *p, const char *end)
{
	while (p < end && *p >= '0' && *p <= '9')
		p++;
	return p;
}

static cJSON *
parse_number(struct parser *ps)
{
	const char *s = ps->p, *p = s, *end = ps->end;
	char small[64], *text;
	size_t n;
	double d;
	cJSON *node;

	p += *p == '-';
	if (p == end || *p < '0' || *p > '9')
		return fail(ps, JSON_SYNTAX, s, "syntax error");
	p = *p == '0' ? p + 1 : skip_digits(p, end);
	if (p < end && *p == '.') {
		if (p + 1 == end || p[1] < '0' || p[1] > '9')
			return fail(ps, JSON_SYNTAX, s, "syntax error");
		p = skip_digits(p + 1, end);
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p += 1 + (p + 1 < end && (p[1] == '+' || p[1] == '-'));
		if (p == end || *p < '0' || *p > '9')
			return fail(ps, JSON_SYNTAX, s, "syntax error");
		p = skip_digits(p, end);
	}
	n = (size_t)(p - s);
	text = n < sizeof(small) ? small : xmalloc(n + 1);
	memcpy(text, s, n);
	text[n] = '\0';
	errno = 0;
	d = strtod(text, NULL);
	if (!isfinite(d)) {
		if (text != small)
			free(text);
		return fail(ps, JSON_SYNTAX, s, "number out of range");
	}
	node = cJSON_CreateNumber(d);
	if (node == NULL)
		errx(1, "out of memory");
	if (!canonical_number(text, n))
		node->valuestring = text == small ? xstrndup(text, n) : text;
	else if (text != small)
		free(text);
	ps->p = p;
	return node;
}

static cJSON *
parse_word(struct parser *ps)
{
	static const struct {
		const char *word;
		int type;
	} words[] = {
	    {"true", cJSON_True}, {"false", cJSON_False}, {"null", cJSON_NULL}};
	size_t i, n;

	for (i = 0; i < 3; i++) {
		n = strlen(words[i].word);
		if ((size_t)(ps->end - ps->p) >= n &&
		    memcmp(ps->p, words[i].word, n) == 0) {
			ps->p += n;
			return new_node(words[i].type);
		}
	}
	return fail(ps, JSON_SYNTAX, ps->p, "syntax error");
}

static cJSON *parse_value(struct parser *ps);

/* Appends child to the list that head starts, as cJSON links one. */
static void
link_child(cJSON *parent, cJSON *child)
{
	cJSON *head = parent->child;

	if (head == NULL) {
		parent->child = child;
		child->prev = child;
	} else {
		head->prev->next = child;
		child->prev = head->prev;
		head->prev = child;
	}
}

/*
 * The keys of an object, for finding a repeated one: scanned while the
 * object is small, then hashed (open addressing over the children).
 */
struct keys {
	const cJSON **slot;
	size_t n, cap; /* cap: a power of two, 0 while scanning */
};

/* Puts item in the table; returns 0, or -1 if its key is there. */
static int
keys_insert(struct keys *k, const cJSON *item)
{
	size_t i =
	    hash_bytes(item->string, strlen(item->string)) & (k->cap - 1);

	for (; k->slot[i] != NULL; i = (i + 1) & (k->cap - 1))
		if (strcmp(k->slot[i]->string, item->string) == 0)
			return -1;
	k->slot[i] = item;
	return 0;
}

static void
keys_rehash(struct keys *k, const cJSON *object)
{
	const cJSON *c;

	free(k->slot);
	k->cap = k->cap == 0 ? 4 * SCAN_KEYS : 2 * k->cap;
	k->slot = xreallocarray(NULL, k->cap, sizeof(*k->slot));
	memset(k->slot, 0, k->cap * sizeof(*k->slot));
	for (c = object->child; c != NULL; c = c->next)
		keys_insert(k, c);
}

/* Adds item's key to those of object; returns -1 if it is there already. */
static int
keys_add(struct keys *k, const cJSON *object, const cJSON *item)
{
	const cJSON *c;

	if (++k->n <= SCAN_KEYS) {
		for (c = object->child; c != NULL; c = c->next)
			if (strcmp(c->string, item->string) == 0)
				return -1;
		return 0;
	}
	if (k->cap == 0 || 2 * k->n > k->cap)
		keys_rehash(k, object);
	return keys_insert(k, item);
}

/* A key of at most QUOTE_MAX bytes, cut at a character, for a message. */
static int
key_shown(const char *key)
{
	size_t n = strlen(key);

	if (n <= QUOTE_MAX)
		return (int)n;
	n = QUOTE_MAX;
	while (n > 0 && ((unsigned char)key[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

static int
parse_member(struct parser *ps, cJSON *object, struct keys *keys)
{
	const char *at = ps->p;
	cJSON *value;
	char *key;

	if (at == ps->end || *at != '"') {
		fail(ps, JSON_SYNTAX, at, "syntax error");
		return -1;
	}
	if ((key = parse_string(ps)) == NULL)
		return -1;
	skip_space(ps);
	if (ps->p == ps->end || *ps->p != ':') {
		free(key);
		fail(ps, JSON_SYNTAX, ps->p, "syntax error");
		return -1;
	}
	ps->p++;
	skip_space(ps);
	if ((value = parse_value(ps)) == NULL) {
		free(key);
		return -1;
	}
	value->string = key;
	if (keys_add(keys, object, value) < 0) {
		fail(ps, JSON_SYNTAX, at, "duplicate key '%.*s'",
		    key_shown(key), key);
		cJSON_Delete(value);
		return -1;
	}
	link_child(object, value);
	return 0;
}

/* An object or an array: its members or elements, comma-separated. */
static cJSON *
parse_container(struct parser *ps)
{
	int object = *ps->p == '{';
	char close = object ? '}' : ']';
	struct keys keys = {NULL, 0, 0};
	cJSON *node, *item;

	if (++ps->depth > JSON_MAX_DEPTH)
		return fail(ps, JSON_SYNTAX, ps->p,
		    "nested deeper than %d levels", JSON_MAX_DEPTH);
	node = new_node(object ? cJSON_Object : cJSON_Array);
	ps->p++;
	skip_space(ps);
	if (ps->p < ps->end && *ps->p == close)
		goto done;
	for (;;) {
		if (object) {
			if (parse_member(ps, node, &keys) < 0)
				goto fault;
		} else {
			if ((item = parse_value(ps)) == NULL)
				goto fault;
			link_child(node, item);
		}
		skip_space(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			skip_space(ps);
			continue;
		}
		if (ps->p < ps->end && *ps->p == close)
			break;
		fail(ps, JSON_SYNTAX, ps->p, "syntax error");
		goto fault;
	}
done:
	ps->p++;
	ps->depth--;
	free(keys.slot);
	return node;
fault:
	free(keys.slot);
	cJSON_Delete(node);
	return NULL;
}

static cJSON *
parse_value(struct parser *ps)
{
	cJSON *node;
	char *s;

	if (ps->p == ps->end)
		return fail(ps, JSON_SYNTAX, ps->p, "syntax error");
	switch (*ps->p) {
	case '{':
	case '[':
		return parse_container(ps);
	case '"':
		if ((s = parse_string(ps)) == NULL)
			return NULL;
		node = new_node(cJSON_String);
		node->valuestring = s;
		return node;
	case '-':
	case '0':
	case '1':
	case '2':
	case '3':
	case '4':
	case '5':
	case '6':
	case '7':
	case '8':
	case '9':
		return parse_number(ps);
	default:
		return parse_word(ps);
	}
}

cJSON *
json_parse(const char *text, size_t len, struct json_error *e)
{
	struct parser ps = {text, text, text + len, e, 0};
	const char *nul;
	size_t ok;
	cJSON *v;

	if ((ok = utf8_valid_prefix(text, len)) != len)
		return fail(&ps, JSON_UTF8, text + ok, "invalid UTF-8");
	if ((nul = memchr(text, '\0', len)) != NULL)
		return fail(&ps, JSON_NUL, nul, "unsupported NUL character");
	skip_space(&ps);
	if ((v = parse_value(&ps)) == NULL)
		return NULL;
	skip_space(&ps);
	if (ps.p != ps.end) {
		cJSON_Delete(v);
		return fail(&ps, JSON_TRAILING, ps.p, "unexpected text");
	}
	return v;
}

/*
 * Printing
 */

static void
print_string(struct buf *out, const char *s)
{
	const char *run;
	char esc[8];

	buf_add(out, "\"", 1);
	for (;;) {
		for (run = s;
		     (unsigned char)*s >= 0x20 && *s != '"' && *s != '\\'; s++)
			;
		buf_add(out, run, (size_t)(s - run));
		if (*s == '\0')
			break;
		switch (*s) {
		case '"':
		case '\\':
			esc[0] = '\\';
			esc[1] = *s;
			esc[2] = '\0';
			break;
		case '\b':
			strcpy(esc, "\\b");
			break;
		case '\f':
			strcpy(esc, "\\f");
			break;
		case '\n':
			strcpy(esc, "\\n");
			break;
		case '\r':
			strcpy(esc, "\\r");
			break;
		case '\t':
			strcpy(esc, "\\t");
			break;
		default:
			snprintf(
			    esc, sizeof(esc), "\\u%04x", (unsigned char)*s);
			break;
		}
		buf_addstr(out, esc);
		s++;
	}
	buf_add(out, "\"", 1);
}

/* As cJSON prints a number, unless it carries the digits it was read as. */
static void
print_number(struct buf *out, const cJSON *v)
{
	double d = v->valuedouble, back;
	char text[32];

	if (v->valuestring != NULL && strtod(v->valuestring, NULL) == d) {
		buf_addstr(out, v->valuestring);
		return;
	}
	if (isnan(d) || isinf(d)) {
		buf_addstr(out, "null");
	} else if (d == (double)v->valueint) {
		buf_printf(out, "%d", v->valueint);
	} else {
		snprintf(text, sizeof(text), "%1.15g", d);
		back = strtod(text, NULL);
		if (fabs(back - d) >
		    (fabs(back) > fabs(d) ? fabs(back) : fabs(d)) *
			2.2204460492503131e-16)
			snprintf(text, sizeof(text), "%1.17g", d);
		buf_addstr(out, text);
	}
}

void
json_print(struct buf *out, const cJSON *v)
{
	const cJSON *c;
	int object;

	switch (v->type & 0xff) {
	case cJSON_False:
		buf_addstr(out, "false");
		break;
	case cJSON_True:
		buf_addstr(out, "true");
		break;
	case cJSON_NULL:
		buf_addstr(out, "null");
		break;
	case cJSON_Number:
		print_number(out, v);
		break;
	case cJSON_String:
		print_string(out, v->valuestring != NULL ? v->valuestring : "");
		break;
	case cJSON_Raw:
		buf_addstr(out, v->valuestring != NULL ? v->valuestring : "");
		break;
	case cJSON_Array:
	case cJSON_Object:
		object = (v->type & 0xff) == cJSON_Object;
		buf_add(out, object ? "{" : "[", 1);
		for (c = v->child; c != NULL; c = c->next) {
			if (c != v->child)
				buf_add(out, ",", 1);
			if (object) {
				print_string(out, c->string);
				buf_add(out, ":", 1);
			}
			json_print(out, c);
		}
		buf_add(out, object ? "}" : "]", 1);
		break;
	default:
		break;
	}
}

char *
json_print_alloc(const cJSON *v)
{
	struct buf out = BUF_INIT;

	json_print(&out, v);
	return buf_detach(&out);
}
