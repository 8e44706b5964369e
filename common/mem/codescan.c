/* codescan: code in a message's text: fences, file names, diffs, definitions. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "mem/codescan.h"

/*
 * The detectors read a list of lines, each marked when a definition may
 * begin on it: every line of plain code, the changed lines of a diff
 * (whose other lines still count as what follows a definition's head).
 */
struct line {
	const char *s;
	size_t len;
	int mark;
};

struct lines {
	struct line *v;
	size_t n, cap;
};

/* How far a definition's head may run over lines (parameters, where). */
#define MAX_HEAD_LINES 24

static void
lines_add(struct lines *l, const char *s, size_t len, int mark)
{
	ARRAY_GROW(l->v, l->n, l->cap);
	l->v[l->n++] = (struct line){s, len, mark};
}

/* Splits s into lines (without their "\n" or "\r\n"), each marked. */
static void
lines_split(struct lines *l, const char *s, size_t len)
{
	const char *p = s, *end = s + len, *nl;
	size_t n;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		lines_add(l, p, n > 0 && p[n - 1] == '\r' ? n - 1 : n, 1);
		p += n + (nl != NULL);
	}
}

static int
is_space(int c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

static int
is_ident_start(int c)
{
	return isalpha(c) || c == '_' || c == '$';
}

static int
is_ident_char(int c)
{
	return isalnum(c) || c == '_' || c == '$';
}

static const char *
skip_ws(const char *p, const char *e)
{
	while (p < e && is_space((unsigned char)*p))
		p++;
	return p;
}

/* Whether the first non-blank byte of p..e is c; the end is none. */
static int
next_is(const char *p, const char *e, char c)
{
	p = skip_ws(p, e);
	return p < e && *p == c;
}

static const char *
ident_end(const char *p, const char *e)
{
	if (p >= e || !is_ident_start((unsigned char)*p))
		return p;
	while (p < e && is_ident_char((unsigned char)*p))
		p++;
	return p;
}

/* Returns 1 if the n bytes at p are the word w. */
static int
word_is(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && memcmp(p, w, n) == 0;
}

static int
word_in(const char *p, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (word_is(p, n, *list))
			return 1;
	return 0;
}

/*
 * If the identifier at *pp is w followed by a space (or the end), moves
 * *pp past both and returns 1.
 */
static int
take_word(const char **pp, const char *e, const char *w)
{
	const char *q = ident_end(*pp, e);

	if (!word_is(*pp, (size_t)(q - *pp), w) ||
	    (q < e && !is_space((unsigned char)*q)))
		return 0;
	*pp = skip_ws(q, e);
	return 1;
}

static const char *
line_end(const struct line *l)
{
	return l->s + l->len;
}

/* The line's text without its indentation and trailing space. */
static struct code_span
trimmed(const char *s, const char *e)
{
	s = skip_ws(s, e);
	while (e > s && is_space((unsigned char)e[-1]))
		e--;
	return (struct code_span){s, (size_t)(e - s)};
}

/*
 * From the open character at *p on line *li, finds the one that closes
 * it, over at most MAX_HEAD_LINES lines, stepping over the string
 * literals whose quotes are in quotes.  Returns 1 with *li and *p just
 * past the close, else 0.
 */
static int
match_close(const struct lines *l, size_t *li, const char **p, char open,
    char close, const char *quotes)
{
	size_t i = *li;
	const char *q = *p, *e = line_end(&l->v[i]);
	int depth = 0;
	char quote;

	for (;;) {
		for (; q < e; q++) {
			if (*q == open) {
				depth++;
			} else if (*q == close) {
				if (--depth == 0) {
					*li = i;
					*p = q + 1;
					return 1;
				}
			} else if (strchr(quotes, *q) != NULL && *q != '\0') {
				for (quote = *q++; q < e && *q != quote; q++)
					if (*q == '\\' && q + 1 < e)
						q++;
				if (q >= e)
					return 0; /* no string runs over lines */
			}
		}
		if (++i >= l->n || i - *li > MAX_HEAD_LINES)
			return 0;
		q = l->v[i].s;
		e = line_end(&l->v[i]);
	}
}

/* The first non-blank line after li, or NULL. */
static const struct line *
next_nonblank(const struct lines *l, size_t li)
{
	size_t i;

	for (i = li + 1; i < l->n && i <= li + 3; i++)
		if (trimmed(l->v[i].s, line_end(&l->v[i])).len > 0)
			return &l->v[i];
	return NULL;
}

/* Returns 1 if the next non-blank line after li begins with c. */
static int
next_begins(const struct lines *l, size_t li, char c)
{
	const struct line *n = next_nonblank(l, li);

	return n != NULL && next_is(n->s, line_end(n), c);
}

static void
add_def(
    struct code_defs *out, const char *name, size_t len, const struct line *l)
{
	ARRAY_GROW(out->v, out->n, out->cap);
	out->v[out->n].name = (struct code_span){name, len};
	out->v[out->n].line = trimmed(l->s, line_end(l));
	out->v[out->n].head = (struct code_span){NULL, 0};
	out->n++;
}

void
code_defs_release(struct code_defs *d)
{
	free(d->v);
	d->v = NULL;
	d->n = d->cap = 0;
}

void
code_spans_release(struct code_spans *s)
{
	free(s->v);
	s->v = NULL;
	s->n = s->cap = 0;
}

/*
 * C and its kin
 */

/* Words that begin a statement, never a definition. */
static const char *const c_statement[] = {"return", "else", "goto", "case",
    "do", "typedef", "if", "while", "for", "switch", "throw", "new", "delete",
    "using", "break", "continue", "default", "sizeof", "import", "package",
    "assert", NULL};

/* Names that are not a function's. */
static const char *const c_not_name[] = {"if", "for", "while", "switch",
    "return", "sizeof", "else", "do", "case", "goto", "typeof", "alignof",
    "_Alignof", "__attribute__", "__declspec", "defined", "catch", "new",
    "delete", "throw", "using", "namespace", "decltype", "static_assert",
    "_Static_assert", "void", "int", "char", "short", "long", "float", "double",
    "signed", "unsigned", "struct", "union", "enum", "const", "volatile",
    "static", "extern", "inline", "register", "auto", "bool", "_Bool", "asm",
    "__asm__", "synchronized", "super", "this", "operator", NULL};

/*
 * Returns 1 if l, the line before a name at the start of a line, is the
 * type of a definition in the style of "static int\nname(void)".
 */
static int
c_type_line(const struct line *l)
{
	const char *p = l->s, *e = line_end(l), *q;
	struct code_span t = trimmed(p, e);

	if (t.len == 0 || is_space((unsigned char)*p) || *p == '#')
		return 0;
	q = ident_end(t.s, t.s + t.len);
	if (q == t.s || word_in(t.s, (size_t)(q - t.s), c_statement))
		return 0;
	for (p = t.s; p < t.s + t.len; p++)
		if (!is_ident_char((unsigned char)*p) && !is_space(*p) &&
		    *p != '*' && *p != '&' && *p != ':' && *p != '<' &&
		    *p != '>' && *p != ',')
			return 0;
	return t.s[t.len - 1] != ',';
}

/* Returns 1 if what follows the parameters at p of line li has a body. */
static int
c_body_follows(const struct lines *l, size_t li, const char *p)
{
	const char *e = line_end(&l->v[li]), *q;
	struct code_span rest;
	size_t i;

	for (;;) {
		p = skip_ws(p, e);
		if (p >= e)
			return next_begins(l, li, '{');
		if (*p == '{')
			return 1;
		if (*p == ':' || (*p == '-' && p + 1 < e && p[1] == '>')) {
			rest = trimmed(p, e);
			return rest.s[rest.len - 1] == '{' ||
			    (rest.len == 1 && next_begins(l, li, '{'));
		}
		if (*p == '&') {
			p++;
			continue;
		}
		q = ident_end(p, e);
		if (q == p)
			return 0;
		/* const, noexcept, override, throws X, __attribute__((x)) */
		p = skip_ws(q, e);
		if (p < e && *p == '(') {
			i = li;
			if (!match_close(l, &i, &p, '(', ')', "\"'") || i != li)
				return 0;
		} else if (p < e && *p == ',') {
			p++; /* throws A, B */
		}
	}
}

static void
defs_c(const struct lines *l, struct code_defs *out)
{
	const char *p, *e, *q, *name;
	size_t i, li, name_len;
	int types;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		p = skip_ws(l->v[i].s, e);
		if (p >= e || strchr("#}/*@", *p) != NULL || e[-1] == '\\')
			continue;
		name = NULL;
		name_len = 0;
		types = 0;
		while (p < e && *p != '(') {
			if (is_ident_start((unsigned char)*p) || *p == '~') {
				q = ident_end(p + (*p == '~'), e);
				if (word_in(p, (size_t)(q - p), c_statement))
					break;
				/* Name::name, a C++ member */
				while (
				    q + 2 < e && q[0] == ':' && q[1] == ':') {
					p = q + 2 + (q[2] == '~');
					q = ident_end(p, e);
				}
				if (name != NULL)
					types++;
				name = p;
				name_len = (size_t)(q - p);
				p = q;
			} else if (*p == '*' || *p == '&') {
				if (name != NULL)
					types++;
				name = NULL;
				p++;
			} else if (*p == '<' || *p == '[') {
				li = i;
				if (!match_close(l, &li, &p, *p,
					*p == '<' ? '>' : ']', "") ||
				    li != i)
					break;
			} else if (is_space((unsigned char)*p)) {
				p++;
			} else {
				break;
			}
		}
		if (p >= e || *p != '(' || name == NULL || name_len == 0 ||
		    word_in(name, name_len, c_not_name))
			continue;
		if (types == 0 &&
		    (name != l->v[i].s || i == 0 || !c_type_line(&l->v[i - 1])))
			continue;
		li = i;
		if (!match_close(l, &li, &p, '(', ')', "\"'") ||
		    !c_body_follows(l, li, p))
			continue;
		add_def(out, name, name_len, &l->v[i]);
		if (types == 0) /* the type is the line before's */
			out->v[out->n - 1].head =
			    trimmed(l->v[i - 1].s, line_end(&l->v[i - 1]));
	}
}

/*
 * Python
 */

static void
defs_python(const struct lines *l, struct code_defs *out)
{
	const char *p, *e, *q;
	struct code_span t;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		p = skip_ws(l->v[i].s, e);
		take_word(&p, e, "async");
		if (!take_word(&p, e, "def"))
			continue;
		q = ident_end(p, e);
		if (q == p || !next_is(q, e, '('))
			continue;
		/* A stub, "def f(x): ...", has no body. */
		t = trimmed(q, e);
		if (t.len >= 4 && memcmp(t.s + t.len - 3, "...", 3) == 0 &&
		    t.s[t.len - 4 - (t.s[t.len - 4] == ' ')] == ':')
			continue;
		add_def(out, p, (size_t)(q - p), &l->v[i]);
	}
}

/*
 * JavaScript and TypeScript
 */

static const char *const js_not_name[] = {"if", "for", "while", "switch",
    "catch", "function", "return", "with", "else", "do", "new", "typeof",
    "await", "yield", "super", "this", "import", "export", "class", "const",
    "let", "var", "throw", "case", "void", "in", "of", NULL};

static const char *const js_modifiers[] = {"public", "private", "protected",
    "static", "async", "get", "set", "override", "readonly", "abstract",
    "export", "default", NULL};

#define JS_QUOTES "\"'`"

/* After the parameters at p on line li: a body, "{" here or next. */
static int
js_body_follows(const struct lines *l, size_t li, const char *p)
{
	const char *e = line_end(&l->v[li]), *q;

	p = skip_ws(p, e);
	if (p >= e)
		return next_begins(l, li, '{');
	if (*p == '{')
		return 1;
	if (*p != ':')
		return 0;
	/* A return type, then the body: ": Promise<User> {" */
	for (q = p; q < e && *q != ';' && *q != '='; q++)
		if (*q == '{')
			return 1;
	return q >= e && next_begins(l, li, '{');
}

/*
 * The right-hand side of "const name =" at p defines a function: a
 * function expression, an arrow function with parameters in parentheses,
 * or "x =>".
 */
static int
js_function_value(const struct lines *l, size_t li, const char *p)
{
	const char *e = line_end(&l->v[li]), *q;

	p = skip_ws(p, e);
	take_word(&p, e, "async");
	q = ident_end(p, e);
	if (word_is(p, (size_t)(q - p), "function"))
		return 1;
	if (q > p) {
		q = skip_ws(q, e);
		return q + 1 < e && q[0] == '=' && q[1] == '>';
	}
	if (p >= e || *p != '(' ||
	    !match_close(l, &li, &p, '(', ')', JS_QUOTES))
		return 0;
	e = line_end(&l->v[li]);
	/* An optional return type, then the arrow. */
	for (; p + 1 < e; p++) {
		if (p[0] == '=' && p[1] == '>')
			return 1;
		if (*p == ';' || *p == '{' || (*p == '=' && p[1] != '>'))
			return 0;
	}
	return 0;
}

/* "function [*]name[<T>](...) {" from p, after the word "function". */
static void
js_function_decl(
    const struct lines *l, size_t i, const char *p, struct code_defs *out)
{
	const char *e = line_end(&l->v[i]), *name, *q;
	size_t li = i, n;

	p = skip_ws(p, e);
	if (p < e && *p == '*')
		p = skip_ws(p + 1, e);
	name = p;
	q = ident_end(p, e);
	n = (size_t)(q - p);
	p = skip_ws(q, e);
	if (n > 0 && p < e && *p == '<' &&
	    !match_close(l, &li, &p, '<', '>', ""))
		return;
	p = skip_ws(p, line_end(&l->v[li]));
	if (n > 0 && li == i && p < e && *p == '(' &&
	    match_close(l, &li, &p, '(', ')', JS_QUOTES) &&
	    js_body_follows(l, li, p))
		add_def(out, name, n, &l->v[i]);
}

/* "const|let|var name[: type] = <a function>", from after the keyword. */
static void
js_binding(
    const struct lines *l, size_t i, const char *q, struct code_defs *out)
{
	const char *e = line_end(&l->v[i]), *name = skip_ws(q, e), *p;
	size_t n;

	q = ident_end(name, e);
	n = (size_t)(q - name);
	/* A type annotation runs to the "=" of the value. */
	for (p = q; p < e; p++)
		if (*p == '=' && p + 1 < e && p[1] != '>' && p[1] != '=')
			break;
	if (n > 0 && p < e && js_function_value(l, i, p + 1))
		add_def(out, name, n, &l->v[i]);
}

/* "[module.]exports.name = <a function>"; 0 if the line is not one. */
static int
js_export(const struct lines *l, size_t i, const char *p, struct code_defs *out)
{
	const char *e = line_end(&l->v[i]), *name, *q;
	size_t n;

	if ((size_t)(e - p) > 8 && memcmp(p, "exports.", 8) == 0)
		p += 8;
	else if ((size_t)(e - p) > 15 && memcmp(p, "module.exports.", 15) == 0)
		p += 15;
	else
		return 0;
	name = p;
	q = ident_end(p, e);
	n = (size_t)(q - p);
	p = skip_ws(q, e);
	if (n > 0 && p < e && *p == '=' && js_function_value(l, i, p + 1))
		add_def(out, name, n, &l->v[i]);
	return 1;
}

/* A method of a class or an object: indented, "name(...) {". */
static void
js_method(const struct lines *l, size_t i, const char *p, struct code_defs *out)
{
	const char *e = line_end(&l->v[i]), *name, *q;
	size_t li = i, n;

	if (p == l->v[i].s)
		return;
	for (;;) {
		q = ident_end(p, e);
		if (!word_in(p, (size_t)(q - p), js_modifiers) ||
		    skip_ws(q, e) == q || next_is(q, e, '('))
			break;
		p = skip_ws(q, e);
	}
	if (p < e && (*p == '*' || *p == '#'))
		p++;
	name = p;
	q = ident_end(p, e);
	n = (size_t)(q - p);
	if (n == 0 || word_in(name, n, js_not_name))
		return;
	p = skip_ws(q, e);
	if (p < e && *p == '<' && !match_close(l, &li, &p, '<', '>', ""))
		return;
	if (li == i && p < e && *p == '(' &&
	    match_close(l, &li, &p, '(', ')', JS_QUOTES) &&
	    js_body_follows(l, li, p))
		add_def(out, name, n, &l->v[i]);
}

static void
defs_js(const struct lines *l, struct code_defs *out)
{
	const char *p, *e, *q;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		p = skip_ws(l->v[i].s, e);
		if (p >= e || *p == '/' || *p == '*' ||
		    take_word(&p, e, "declare"))
			continue;
		take_word(&p, e, "export");
		take_word(&p, e, "default");
		take_word(&p, e, "async");
		q = ident_end(p, e);
		if (word_is(p, (size_t)(q - p), "function"))
			js_function_decl(l, i, q, out);
		else if (word_is(p, (size_t)(q - p), "const") ||
		    word_is(p, (size_t)(q - p), "let") ||
		    word_is(p, (size_t)(q - p), "var"))
			js_binding(l, i, q, out);
		else if (!js_export(l, i, p, out))
			js_method(l, i, p, out);
	}
}

/*
 * Go
 */

static void
defs_go(const struct lines *l, struct code_defs *out)
{
	const char *p, *e, *q, *name;
	size_t i, li, n;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		p = skip_ws(l->v[i].s, e);
		if (!take_word(&p, e, "func"))
			continue;
		li = i;
		if (p < e && *p == '(') {
			if (!match_close(l, &li, &p, '(', ')', "\"'`") ||
			    li != i)
				continue;
			p = skip_ws(p, e);
		}
		name = p;
		q = ident_end(p, e);
		n = (size_t)(q - p);
		p = skip_ws(q, e);
		if (n > 0 && p < e && *p == '[' &&
		    (!match_close(l, &li, &p, '[', ']', "") || li != i))
			continue;
		if (n == 0 || p >= e || *p != '(' ||
		    !match_close(l, &li, &p, '(', ')', "\"'`"))
			continue;
		/* Go puts the body's brace on the line the head ends. */
		if (memchr(p, '{', (size_t)(line_end(&l->v[li]) - p)) != NULL)
			add_def(out, name, n, &l->v[i]);
	}
}

/*
 * Rust
 */

static void
defs_rust(const struct lines *l, struct code_defs *out)
{
	static const char *const quals[] = {
	    "const", "async", "unsafe", "default", "extern", NULL};
	const char *p, *e, *q, *name;
	size_t i, li, n;
	int more;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		p = skip_ws(l->v[i].s, e);
		q = ident_end(p, e);
		if (word_is(p, (size_t)(q - p), "pub")) {
			p = skip_ws(q, e);
			li = i;
			if (p < e && *p == '(' &&
			    (!match_close(l, &li, &p, '(', ')', "") || li != i))
				continue;
			p = skip_ws(p, e);
		}
		do {
			more = 0;
			q = ident_end(p, e);
			if (word_in(p, (size_t)(q - p), quals)) {
				p = skip_ws(q, e);
				if (p < e && *p == '"') /* extern "C" */
					while (++p < e && *p != '"')
						;
				p = skip_ws(p + (p < e), e);
				more = 1;
			}
		} while (more);
		if (!take_word(&p, e, "fn"))
			continue;
		name = p;
		q = ident_end(p, e);
		n = (size_t)(q - p);
		p = skip_ws(q, e);
		li = i;
		if (n > 0 && p < e && *p == '<' &&
		    !match_close(l, &li, &p, '<', '>', ""))
			continue;
		p = skip_ws(p, line_end(&l->v[li]));
		if (n == 0 || p >= line_end(&l->v[li]) || *p != '(' ||
		    !match_close(l, &li, &p, '(', ')', "\""))
			continue;
		/* The body or the end of a declaration, past -> and where. */
		for (;;) {
			e = line_end(&l->v[li]);
			while (p < e && *p != '{' && *p != ';')
				p++;
			if (p < e || ++li >= l->n || li - i > MAX_HEAD_LINES)
				break;
			p = l->v[li].s;
		}
		if (li < l->n && p < line_end(&l->v[li]) && *p == '{')
			add_def(out, name, n, &l->v[i]);
	}
}

/*
 * Shell
 */

static const char *const sh_not_name[] = {"if", "then", "else", "elif", "fi",
    "for", "while", "until", "do", "done", "case", "esac", "select", "function",
    "time", "in", "return", "exit", "echo", NULL};

static const char *
sh_name_end(const char *p, const char *e)
{
	if (p >= e || !(isalpha((unsigned char)*p) || *p == '_'))
		return p;
	while (p < e && (isalnum((unsigned char)*p) || strchr("_-:.@", *p)))
		p++;
	return p;
}

static void
defs_shell(const struct lines *l, struct code_defs *out)
{
	const char *p, *e, *q, *name;
	size_t i, n;
	int keyword;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		p = skip_ws(l->v[i].s, e);
		keyword = take_word(&p, e, "function");
		name = p;
		q = sh_name_end(p, e);
		n = (size_t)(q - p);
		if (n == 0 || word_in(name, n, sh_not_name))
			continue;
		p = skip_ws(q, e);
		if (p + 1 < e && p[0] == '(') {
			p = skip_ws(p + 1, e);
			if (p >= e || *p != ')')
				continue;
			p = skip_ws(p + 1, e);
		} else if (!keyword) {
			continue;
		}
		if ((p < e && (*p == '{' || *p == '(')) ||
		    (p >= e &&
			(next_begins(l, i, '{') || next_begins(l, i, '('))))
			add_def(out, name, n, &l->v[i]);
	}
}

static void
find_defs(enum code_lang lang, const struct lines *l, struct code_defs *out)
{
	switch (lang) {
	case CODE_C:
	case CODE_UNKNOWN:
		defs_c(l, out);
		break;
	case CODE_PYTHON:
		defs_python(l, out);
		break;
	case CODE_JS:
		defs_js(l, out);
		break;
	case CODE_GO:
		defs_go(l, out);
		break;
	case CODE_RUST:
		defs_rust(l, out);
		break;
	case CODE_SHELL:
		defs_shell(l, out);
		break;
	default:
		break;
	}
}

void
code_find_defs(
    enum code_lang lang, const char *s, size_t len, struct code_defs *out)
{
	struct lines l = {NULL, 0, 0};

	lines_split(&l, s, len);
	find_defs(lang, &l, out);
	free(l.v);
}

/*
 * TODO comments
 */

static void
todos_in(const struct lines *l, struct code_spans *out)
{
	static const char *const marks[] = {
	    "//", "/*", "<!--", "--", "#", ";", "*", NULL};
	const char *p, *e, *t, *m;
	const char *const *mark;
	struct code_span s;
	size_t i;

	for (i = 0; i < l->n; i++) {
		if (!l->v[i].mark)
			continue;
		e = line_end(&l->v[i]);
		for (p = l->v[i].s; p + 4 <= e; p++) {
			if (memcmp(p, "TODO", 4) != 0 &&
			    (p + 5 > e || memcmp(p, "FIXME", 5) != 0))
				continue;
			/* A comment mark, then at most spaces, then TODO. */
			for (m = p; m > l->v[i].s && is_space(m[-1]); m--)
				;
			for (mark = marks; *mark != NULL; mark++)
				if ((size_t)(m - l->v[i].s) >= strlen(*mark) &&
				    memcmp(m - strlen(*mark), *mark,
					strlen(*mark)) == 0)
					break;
			if (*mark == NULL)
				break;
			t = p + (*p == 'T' ? 4 : 5);
			if (t < e && *t == '(')
				while (t < e && *t++ != ')')
					;
			if (t < e && *t == ':')
				t++;
			else if (t < e && !is_space((unsigned char)*t))
				break;
			s = trimmed(t, e);
			if (s.len >= 2 &&
			    (memcmp(s.s + s.len - 2, "*/", 2) == 0))
				s = trimmed(s.s, s.s + s.len - 2);
			else if (s.len >= 3 &&
			    memcmp(s.s + s.len - 3, "-->", 3) == 0)
				s = trimmed(s.s, s.s + s.len - 3);
			if (s.len > 0) {
				ARRAY_GROW(out->v, out->n, out->cap);
				out->v[out->n++] = s;
			}
			break;
		}
	}
}

void
code_find_todos(const char *s, size_t len, struct code_spans *out)
{
	struct lines l = {NULL, 0, 0};

	lines_split(&l, s, len);
	todos_in(&l, out);
	free(l.v);
}

/*
 * Languages and paths
 */

static const struct {
	const char *word;
	enum code_lang lang;
} lang_words[] = {
    {"c", CODE_C},
    {"h", CODE_C},
    {"cpp", CODE_C},
    {"c++", CODE_C},
    {"cc", CODE_C},
    {"cxx", CODE_C},
    {"hpp", CODE_C},
    {"hh", CODE_C},
    {"objc", CODE_C},
    {"java", CODE_C},
    {"cs", CODE_C},
    {"csharp", CODE_C},
    {"c#", CODE_C},
    {"python", CODE_PYTHON},
    {"py", CODE_PYTHON},
    {"python3", CODE_PYTHON},
    {"py3", CODE_PYTHON},
    {"pyi", CODE_PYTHON},
    {"js", CODE_JS},
    {"javascript", CODE_JS},
    {"jsx", CODE_JS},
    {"ts", CODE_JS},
    {"typescript", CODE_JS},
    {"tsx", CODE_JS},
    {"mjs", CODE_JS},
    {"cjs", CODE_JS},
    {"node", CODE_JS},
    {"go", CODE_GO},
    {"golang", CODE_GO},
    {"rust", CODE_RUST},
    {"rs", CODE_RUST},
    {"sh", CODE_SHELL},
    {"bash", CODE_SHELL},
    {"shell", CODE_SHELL},
    {"zsh", CODE_SHELL},
    {"ksh", CODE_SHELL},
    {"dash", CODE_SHELL},
    {"shellscript", CODE_SHELL},
    {"diff", CODE_DIFF},
    {"patch", CODE_DIFF},
    {"udiff", CODE_DIFF},
};

static const struct {
	const char *ext;
	enum code_lang lang;
} lang_exts[] = {
    {"c", CODE_C},
    {"h", CODE_C},
    {"cc", CODE_C},
    {"cpp", CODE_C},
    {"cxx", CODE_C},
    {"hpp", CODE_C},
    {"hh", CODE_C},
    {"java", CODE_C},
    {"cs", CODE_C},
    {"m", CODE_C},
    {"py", CODE_PYTHON},
    {"pyi", CODE_PYTHON},
    {"pyw", CODE_PYTHON},
    {"js", CODE_JS},
    {"jsx", CODE_JS},
    {"ts", CODE_JS},
    {"tsx", CODE_JS},
    {"mjs", CODE_JS},
    {"cjs", CODE_JS},
    {"mts", CODE_JS},
    {"cts", CODE_JS},
    {"go", CODE_GO},
    {"rs", CODE_RUST},
    {"sh", CODE_SHELL},
    {"bash", CODE_SHELL},
    {"zsh", CODE_SHELL},
    {"ksh", CODE_SHELL},
    {"bashrc", CODE_SHELL},
    {"zshrc", CODE_SHELL},
    {"profile", CODE_SHELL},
    {"bash_profile", CODE_SHELL},
    {"diff", CODE_DIFF},
    {"patch", CODE_DIFF},
};

const char *
code_lang_name(enum code_lang lang)
{
	static const char *const names[] = {
	    NULL, "c", "python", "js", "go", "rust", "shell", "diff", NULL};

	return (unsigned)lang < sizeof(names) / sizeof(names[0]) ? names[lang]
								 : NULL;
}

/* Returns 1 if the n bytes at s are w, in any case. */
static int
same_word(const char *s, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(s, w, n) == 0;
}

enum code_lang
code_lang_of_word(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return CODE_UNKNOWN;
	for (i = 0; i < sizeof(lang_words) / sizeof(lang_words[0]); i++)
		if (same_word(s, len, lang_words[i].word))
			return lang_words[i].lang;
	return CODE_OTHER;
}

enum code_lang
code_lang_of_path(const char *s, size_t len)
{
	const char *dot = NULL, *p;
	size_t i;

	if (len == 0)
		return CODE_UNKNOWN;
	for (p = s; p < s + len; p++)
		if (*p == '.')
			dot = p;
		else if (*p == '/')
			dot = NULL;
	if (dot == NULL)
		return CODE_OTHER;
	for (i = 0; i < sizeof(lang_exts) / sizeof(lang_exts[0]); i++)
		if (same_word(
			dot + 1, (size_t)(s + len - dot - 1), lang_exts[i].ext))
			return lang_exts[i].lang;
	return CODE_OTHER;
}

/* Returns 1 if the line at p begins with prefix. */
static int
begins(const char *p, const char *e, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(e - p) >= n && memcmp(p, prefix, n) == 0;
}

/* Returns 1 if the line [p, e) holds the bytes w. */
static int
holds(const char *p, const char *e, const char *w)
{
	size_t n = strlen(w);

	for (; (size_t)(e - p) >= n; p++)
		if (*p == *w && memcmp(p, w, n) == 0)
			return 1;
	return 0;
}

/* The language one line of code speaks for, if any. */
static enum code_lang
line_lang(const char *s, const char *e, const char *next, const char *next_e)
{
	const char *p = skip_ws(s, e);

	if (begins(s, e, "diff --git ") || begins(s, e, "@@ -") ||
	    (begins(s, e, "--- ") && next != NULL &&
		begins(next, next_e, "+++ ")))
		return CODE_DIFF;
	if (begins(s, e, "#!"))
		return holds(s, e, "python") ? CODE_PYTHON
		    : holds(s, e, "node")    ? CODE_JS
		    : holds(s, e, "sh")      ? CODE_SHELL
					     : CODE_OTHER;
	if (begins(s, e, "Traceback (") || begins(s, e, "$ "))
		return CODE_OTHER;
	if (begins(p, e, "def ") || begins(p, e, "async def ") ||
	    (begins(s, e, "from ") && holds(s, e, " import ")) ||
	    (begins(s, e, "class ") && e > s && e[-1] == ':'))
		return CODE_PYTHON;
	if (begins(s, e, "package ") || begins(s, e, "func "))
		return CODE_GO;
	if (begins(p, e, "fn ") || begins(p, e, "pub fn ") ||
	    begins(s, e, "impl ") || begins(s, e, "impl<") ||
	    holds(s, e, "let mut ") ||
	    (begins(s, e, "use ") && holds(s, e, "::")))
		return CODE_RUST;
	if (begins(p, e, "function ") || begins(p, e, "export ") ||
	    begins(p, e, "const ") || holds(s, e, "=> ") ||
	    (begins(s, e, "import ") && holds(s, e, " from ")) ||
	    holds(s, e, "console.log"))
		return CODE_JS;
	if (begins(s, e, "#include") || begins(s, e, "#define") ||
	    begins(s, e, "static ") || begins(s, e, "struct ") ||
	    begins(s, e, "typedef "))
		return CODE_C;
	if ((e - s > 4 && holds(s, e, "() {")) || begins(p, e, "fi") ||
	    begins(p, e, "esac") || begins(p, e, "done"))
		return CODE_SHELL;
	return CODE_UNKNOWN;
}

enum code_lang
code_lang_guess(const char *s, size_t len)
{
	int votes[CODE_OTHER + 1] = {0}, best = CODE_UNKNOWN, i, lines = 0;
	const char *p = s, *end = s + len, *nl, *next, *next_e;
	enum code_lang lang;

	while (p < end && lines++ < 40) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		next = nl < end ? nl + 1 : NULL;
		next_e = next != NULL ? memchr(next, '\n', (size_t)(end - next))
				      : NULL;
		if (next != NULL && next_e == NULL)
			next_e = end;
		lang = line_lang(p, nl, next, next_e);
		if (lang == CODE_DIFF || lang == CODE_OTHER)
			return lang;
		votes[lang]++;
		p = nl + 1;
	}
	for (i = CODE_C; i < CODE_DIFF; i++)
		if (votes[i] > votes[best])
			best = i;
	for (i = CODE_C; i < CODE_DIFF; i++)
		if (i != best && votes[i] == votes[best])
			return CODE_UNKNOWN;
	return (enum code_lang)best;
}

/* Files known by a name without an extension. */
static const char *const bare_files[] = {"Makefile", "makefile", "GNUmakefile",
    "Dockerfile", "Containerfile", "Rakefile", "Gemfile", "Procfile",
    "Vagrantfile", "Jenkinsfile", "Justfile", "justfile", "LICENSE", "README",
    "CHANGELOG", "NEWS", "TODO", "AUTHORS", NULL};

/* Extensions that end a host name, not a file. */
static const char *const not_exts[] = {"com", "org", "net", "io", "ai", "dev",
    "co", "uk", "de", "fr", "g", "e", NULL};

/* Names that are libraries' names when written Name.js. */
static const char *const js_names[] = {"node", "vue", "next", "nuxt", "express",
    "three", "chart", "ember", "backbone", "alpine", "solid", "d3", "p5", NULL};

int
code_is_path(const char *s, size_t len)
{
	const char *p, *base = s, *dot = NULL, *e = s + len;
	size_t slashes = 0, i;
	int alnum = 0;

	if (len == 0 || len > 255 || *s == '-' || *s == '@')
		return 0;
	for (p = s; p < e; p++) {
		if ((unsigned char)*p <= ' ' ||
		    strchr("\"'`<>|:;,*?()[]{}=!#&%", *p))
			return 0;
		if (*p == '/') {
			slashes++;
			base = p + 1;
			dot = NULL;
		} else if (*p == '.') {
			dot = p;
		} else if (isalnum((unsigned char)*p)) {
			alnum = 1;
		}
	}
	if (!alnum || e[-1] == '.')
		return 0;
	for (i = 0; bare_files[i] != NULL; i++)
		if (word_is(base, (size_t)(e - base), bare_files[i]))
			return 1;
	if (dot != NULL) {
		/* An extension: letters first, then letters or digits. */
		if (dot + 1 >= e || !isalpha((unsigned char)dot[1]) ||
		    e - dot > 13)
			return 0;
		for (p = dot + 1; p < e; p++)
			if (!isalnum((unsigned char)*p) && *p != '_')
				return 0;
		if (slashes == 0 &&
		    (word_in(dot + 1, (size_t)(e - dot - 1), not_exts) ||
			(dot == base + 1 && e - dot == 2)))
			return 0;
		if (slashes == 0 &&
		    word_is(dot + 1, (size_t)(e - dot - 1), "js"))
			for (i = 0; js_names[i] != NULL; i++)
				if (same_word(base, (size_t)(dot - base),
					js_names[i]))
					return 0;
		/* "e.g", "i.e", "v1.2" and the like have no letters before. */
		return dot > base || slashes > 0 || dot == base;
	}
	/* A directory: "./x", "../x", "~/x", or two slashes and more. */
	if (*s == '/')
		return 0;
	return slashes >= 2 || begins(s, e, "./") || begins(s, e, "../") ||
	    begins(s, e, "~/");
}

/*
 * Fences
 */

/* The end of the line at p, without its line end; *next past it. */
static const char *
eol(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));

	*next = nl != NULL ? nl + 1 : end;
	if (nl == NULL)
		nl = end;
	return nl > p && nl[-1] == '\r' ? nl - 1 : nl;
}

/* The length of a fence run at p (``` or ~~~), after <= 3 spaces; or 0. */
static size_t
fence_run(const char *p, const char *e, char *c)
{
	const char *q;
	int indent = 0;

	while (p < e && *p == ' ' && indent < 4) {
		p++;
		indent++;
	}
	if (indent > 3 || p >= e || (*p != '`' && *p != '~'))
		return 0;
	for (q = p; q < e && *q == *p; q++)
		;
	if (q - p < 3)
		return 0;
	*c = *p;
	return (size_t)(q - p);
}

/*
 * Returns 1 if s may be a file's name where a label says it is one:
 * one word with a slash or a dot in it, not a URL.
 */
static int
labelled_path(const char *s, size_t len)
{
	const char *p;
	int mark = 0;

	if (code_is_path(s, len))
		return 1;
	if (len == 0 || len > 255 || *s == '-')
		return 0;
	for (p = s; p < s + len; p++) {
		if ((unsigned char)*p <= ' ' ||
		    strchr("\"'`<>|;,*?()[]{}=!:", *p) != NULL)
			return 0;
		mark |= *p == '/' || *p == '.';
	}
	return mark && isalnum((unsigned char)s[len - 1]);
}

/* Keys of an info string that name the file: title="app/db.py". */
static const char *const path_keys[] = {
    "title", "file", "filename", "path", "name", "fn", NULL};

/* A path named in the info string [s, e), else len 0. */
static struct code_span
info_path(const char *s, const char *e, struct code_span *lang)
{
	struct code_span none = {NULL, 0}, w;
	const char *p = s, *q, *eq;

	*lang = none;
	while (p < e) {
		p = skip_ws(p, e);
		for (q = p; q < e && !is_space((unsigned char)*q); q++)
			;
		if (q == p)
			break;
		w = (struct code_span){p, (size_t)(q - p)};
		eq = memchr(p, '=', (size_t)(q - p));
		if (p == s) {
			/* The first word: a language, "lang:path" or a path. */
			while (w.len > 0 && (*w.s == '{' || *w.s == '.')) {
				w.s++;
				w.len--;
			}
			eq = memchr(w.s, ':', w.len);
			if (eq != NULL &&
			    code_is_path(
				eq + 1, (size_t)(w.s + w.len - eq - 1))) {
				*lang =
				    (struct code_span){w.s, (size_t)(eq - w.s)};
				return (struct code_span){
				    eq + 1, (size_t)(w.s + w.len - eq - 1)};
			}
			if (code_lang_of_word(w.s, w.len) == CODE_OTHER &&
			    code_is_path(w.s, w.len))
				return w;
			*lang = w;
		} else if (eq != NULL) {
			if (word_in(p, (size_t)(eq - p), path_keys)) {
				w.s = eq + 1;
				w.len = (size_t)(q - eq - 1);
				if (w.len >= 2 &&
				    (*w.s == '"' || *w.s == '\'') &&
				    w.s[w.len - 1] == *w.s) {
					w.s++;
					w.len -= 2;
				}
				if (labelled_path(w.s, w.len))
					return w;
			}
		} else if (code_is_path(w.s, w.len)) {
			return w;
		}
		p = q;
	}
	return none;
}

static const char *const comment_marks[] = {
    "<!--", "/*", "//", "--", "#", ";", "%", NULL};
static const char *const comment_labels[] = {
    "file:", "filename:", "path:", "file name:", NULL};

/* A path that a comment on the first line of body names, else len 0. */
static struct code_span
comment_path(const char *s, const char *end)
{
	struct code_span none = {NULL, 0}, t;
	const char *p, *e, *next, *q;
	const char *const *m;
	int labelled = 0;
	size_t n;

	e = eol(s, end, &next);
	if (begins(s, e, "#!")) {
		s = next;
		e = eol(s, end, &next);
	}
	p = skip_ws(s, e);
	for (m = comment_marks; *m != NULL; m++)
		if (begins(p, e, *m))
			break;
	if (*m == NULL)
		return none;
	p = skip_ws(p + strlen(*m), e);
	for (m = comment_labels; *m != NULL; m++) {
		n = strlen(*m);
		if ((size_t)(e - p) >= n && strncasecmp(p, *m, n) == 0) {
			p = skip_ws(p + n, e);
			labelled = 1;
			break;
		}
	}
	for (q = p; q < e && !is_space((unsigned char)*q); q++)
		if (begins(q, e, "*/") || begins(q, e, "-->"))
			break;
	if (labelled ? !labelled_path(p, (size_t)(q - p))
		     : !code_is_path(p, (size_t)(q - p)))
		return none;
	t = trimmed(q, e);
	if (!labelled && t.len > 0 && !word_is(t.s, t.len, "*/") &&
	    !word_is(t.s, t.len, "-->"))
		return none;
	return (struct code_span){p, (size_t)(q - p)};
}

int
code_next_fence(const char *text, size_t len, size_t *pos, struct code_fence *f)
{
	const char *end = text + len, *p = text + *pos, *e, *next, *body;
	struct code_span info, lang;
	size_t run, close;
	char c = 0, cc;

	for (; p < end; p = next) {
		e = eol(p, end, &next);
		if ((run = fence_run(p, e, &c)) == 0)
			continue;
		info = trimmed(skip_ws(p, e) + run, e);
		if (c == '`' && memchr(info.s, '`', info.len) != NULL)
			continue;
		break;
	}
	if (p >= end)
		return 0;
	memset(f, 0, sizeof(*f));
	f->start = (size_t)(p - text);
	f->info = info;
	body = next;
	for (p = next; p < end; p = next) {
		e = eol(p, end, &next);
		if ((close = fence_run(p, e, &cc)) >= run && cc == c &&
		    trimmed(skip_ws(p, e) + close, e).len == 0)
			break;
	}
	f->body = (struct code_span){body, (size_t)(p - body)};
	f->end = (size_t)(next - text);
	*pos = f->end;
	f->path = info_path(info.s, info.s + info.len, &lang);
	if (f->path.len == 0)
		f->path = comment_path(body, body + f->body.len);
	if (lang.len > 0)
		f->lang = code_lang_of_word(lang.s, lang.len);
	else if (f->path.len > 0)
		f->lang = code_lang_of_path(f->path.s, f->path.len);
	else
		f->lang = code_lang_guess(f->body.s, f->body.len);
	if (f->lang == CODE_OTHER && f->path.len > 0 && lang.len == 0)
		f->lang = CODE_OTHER;
	return 1;
}

/*
 * Diffs
 */

/* A path of a "--- " or "+++ " line: to a tab or the end, trimmed. */
static struct code_span
header_path(const char *p, const char *e)
{
	const char *tab = memchr(p, '\t', (size_t)(e - p));
	struct code_span t = trimmed(p, tab != NULL ? tab : e);

	if (word_is(t.s, t.len, "/dev/null"))
		t.len = 0;
	return t;
}

static int
hunk_line(const char *p, const char *e)
{
	return p < e && (*p == ' ' || *p == '+' || *p == '-' || *p == '\\');
}

/* Returns 1 if the line at p begins a file's headers. */
static int
file_header(const char *p, const char *e, const char *next, const char *end)
{
	const char *n;

	if (begins(p, e, "diff --git "))
		return 1;
	if (!begins(p, e, "--- ") || next >= end)
		return 0;
	return begins(next, eol(next, end, &n), "+++ ");
}

static int
same_span(const struct code_span *a, const struct code_span *b)
{
	return a->len == b->len &&
	    (a->len == 0 || memcmp(a->s, b->s, a->len) == 0);
}

static void
strip_prefixes(struct diff_file *f, int git)
{
	int a = f->old_path.len > 2 &&
	    begins(f->old_path.s, f->old_path.s + f->old_path.len, "a/");
	int b = f->new_path.len > 2 &&
	    begins(f->new_path.s, f->new_path.s + f->new_path.len, "b/");

	if (a && (b || f->new_path.len == 0 || git)) {
		f->old_path.s += 2;
		f->old_path.len -= 2;
	}
	if (b && (a || f->old_path.len == 0 || git)) {
		f->new_path.s += 2;
		f->new_path.len -= 2;
	}
}

/* "diff --git a/X b/Y": the two paths, split at " b/". */
static void
git_paths(const char *p, const char *e, struct diff_file *f)
{
	const char *b;

	p += strlen("diff --git ");
	for (b = p; b + 3 <= e; b++)
		if (memcmp(b, " b/", 3) == 0)
			break;
	if (b + 3 > e)
		return;
	f->old_path = trimmed(p, b);
	f->new_path = trimmed(b + 1, e);
}

/* Where a diff is read: the line at p, ending at e, the next at next. */
struct cursor {
	const char *p, *e, *next, *end;
};

/* What git's extended header lines said of a file. */
struct diff_flags {
	int created, deleted, renamed;
};

/* The lines after "diff --git": modes, renames, index; up to the rest. */
static void
git_extended(struct cursor *c, struct diff_file *f, struct diff_flags *fl)
{
	const char *p, *e;

	for (c->p = c->next; c->p < c->end; c->p = c->next) {
		p = c->p;
		e = c->e = eol(p, c->end, &c->next);
		if (begins(p, e, "new file mode")) {
			fl->created = 1;
		} else if (begins(p, e, "deleted file mode")) {
			fl->deleted = 1;
		} else if (begins(p, e, "rename from ")) {
			/* Rename lines name the paths bare. */
			f->old_path = trimmed(p + 12, e);
			fl->renamed = 1;
		} else if (begins(p, e, "rename to ")) {
			f->new_path = trimmed(p + 10, e);
			fl->renamed = 1;
		} else if (!(begins(p, e, "index ") ||
			       begins(p, e, "similarity index") ||
			       begins(p, e, "dissimilarity index") ||
			       begins(p, e, "old mode") ||
			       begins(p, e, "new mode") ||
			       begins(p, e, "copy from") ||
			       begins(p, e, "copy to") ||
			       begins(p, e, "Binary files"))) {
			break;
		}
	}
}

/*
 * The "--- a" and "+++ b" lines at c->p, if they are there and the
 * file's: their paths into f.  Returns where the file's lines end so far.
 */
static const char *
unified_paths(struct cursor *c, struct diff_file *f, int git, int renamed)
{
	const char *e2, *n2;
	struct diff_file h;

	if (c->p >= c->end || !begins(c->p, c->e, "--- ") || c->next >= c->end)
		return c->p;
	e2 = eol(c->next, c->end, &n2);
	if (!begins(c->next, e2, "+++ "))
		return c->p;
	h.old_path = header_path(c->p + 4, c->e);
	h.new_path = header_path(c->next + 4, e2);
	strip_prefixes(&h, git);
	/*
	 * A rename that changed nothing has no hunks: headers of other
	 * paths are the next file's, with no "diff --git".
	 */
	if (renamed &&
	    (!same_span(&h.old_path, &f->old_path) ||
		!same_span(&h.new_path, &f->new_path))) {
		c->end = c->p;
		return c->p;
	}
	f->old_path = h.old_path;
	f->new_path = h.new_path;
	c->p = n2;
	return n2;
}

/*
 * The hunks from c->p, their lines added and removed counted into f.
 * Returns where the file's lines end.
 */
static const char *
read_hunks(struct cursor *c, struct diff_file *f, const char *last)
{
	const char *hunks = NULL, *p, *e, *n2;
	int in_hunk = 0;

	for (; c->p < c->end; c->p = c->next) {
		p = c->p;
		e = eol(p, c->end, &c->next);
		if (begins(p, e, "@@")) {
			if (hunks == NULL)
				hunks = p;
			in_hunk = 1;
		} else if (file_header(p, e, c->next, c->end) ||
		    !(hunk_line(p, e) ||
			(p == e && in_hunk && c->next < c->end &&
			    hunk_line(c->next, eol(c->next, c->end, &n2))))) {
			break;
		} else {
			if (hunks == NULL)
				hunks = p; /* a hunk without its "@@" line */
			in_hunk = 1;
			if (*p == '+')
				f->added++;
			else if (*p == '-')
				f->removed++;
		}
		last = c->next;
	}
	if (hunks != NULL)
		f->hunks = (struct code_span){hunks, (size_t)(last - hunks)};
	return last;
}

int
diff_next_file(const char *text, size_t len, size_t *pos, struct diff_file *f)
{
	struct cursor c = {text + *pos, NULL, NULL, text + len};
	struct diff_flags fl = {0, 0, 0};
	const char *last;
	int git;

	for (; c.p < c.end; c.p = c.next) {
		c.e = eol(c.p, c.end, &c.next);
		if (file_header(c.p, c.e, c.next, c.end))
			break;
	}
	if (c.p >= c.end)
		return 0;
	memset(f, 0, sizeof(*f));
	f->start = (size_t)(c.p - text);
	git = begins(c.p, c.e, "diff --git ");
	if (git) {
		git_paths(c.p, c.e, f);
		strip_prefixes(f, 1);
		git_extended(&c, f, &fl);
	}
	last = read_hunks(&c, f, unified_paths(&c, f, git, fl.renamed));
	f->end = (size_t)(last - text);
	*pos = f->end;
	if (fl.created || f->old_path.len == 0)
		f->change = DIFF_CREATED;
	else if (fl.deleted || f->new_path.len == 0)
		f->change = DIFF_DELETED;
	else if (fl.renamed || (git && !same_span(&f->old_path, &f->new_path)))
		f->change = DIFF_RENAMED; /* diff -u's old name: a backup */
	else
		f->change = DIFF_MODIFIED;
	return 1;
}

/*
 * The hunks of f one at a time, as the lines of one side: each with
 * its first character dropped, marked as the side's changed lines (or
 * any line, with context).  Calls fn for each hunk.
 */
static void
each_hunk(const struct diff_file *f, enum diff_side side, int context,
    void (*fn)(const struct lines *, void *), void *arg)
{
	const char *p = f->hunks.s, *end, *e, *next;
	char changed = side == DIFF_NEW ? '+' : '-';
	char other = side == DIFF_NEW ? '-' : '+';
	struct lines l = {NULL, 0, 0};

	if (f->hunks.len == 0)
		return;
	for (end = p + f->hunks.len; p < end; p = next) {
		e = eol(p, end, &next);
		if (begins(p, e, "@@")) {
			if (l.n > 0)
				fn(&l, arg);
			l.n = 0;
		} else if (p == e) {
			lines_add(&l, p, 0, 0);
		} else if (*p == changed) {
			lines_add(&l, p + 1, (size_t)(e - p - 1), 1);
		} else if (*p == ' ') {
			lines_add(&l, p + 1, (size_t)(e - p - 1), context);
		} else if (*p != other && *p != '\\') {
			break;
		}
	}
	if (l.n > 0)
		fn(&l, arg);
	free(l.v);
}

struct defs_arg {
	enum code_lang lang;
	struct code_defs *out;
};

static void
hunk_defs(const struct lines *l, void *arg)
{
	struct defs_arg *a = arg;

	find_defs(a->lang, l, a->out);
}

void
diff_find_defs(const struct diff_file *f, enum code_lang lang,
    enum diff_side side, int context, struct code_defs *out)
{
	struct defs_arg a = {lang, out};

	each_hunk(f, side, context, hunk_defs, &a);
}

static void
hunk_todos(const struct lines *l, void *arg)
{
	todos_in(l, arg);
}

void
diff_find_todos(const struct diff_file *f, struct code_spans *out)
{
	each_hunk(f, DIFF_NEW, 0, hunk_todos, out);
}
