/* route: which model a request goes to, by rules that say why. */
#include <err.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/record.h"
#include "mem/route.h"
#include "tok/budget.h"
#include "tok/count.h"

/* What a word of route_words.h is evidence of. */
#define W_ACTION (1u << 0)     /* an imperative verb: write, fix, add */
#define W_CODEOBJ (1u << 1)    /* function, script, query, regex */
#define W_PROSEOBJ (1u << 2)   /* email, README, postmortem, paragraph */
#define W_PROSEVERB (1u << 3)  /* draft, summarize, redacta */
#define W_ANALYSIS (1u << 4)   /* explain, why, compare, trade-offs */
#define W_MATH (1u << 5)       /* prove, probability, integral */
#define W_DEBUG (1u << 6)      /* error, crash, broken, fails */
#define W_TECH (1u << 7)       /* languages and tools */
#define W_GREET (1u << 8)      /* hi, thanks, bye, ok, cool */
#define W_ACK (1u << 9)        /* what thanks are said with: it, so, much */
#define W_YES (1u << 10)       /* an answer: yes, sure */
#define W_NO (1u << 11)        /* no, nope */
#define W_DOIT (1u << 12)      /* go ahead, do it */
#define W_HOWTO (1u << 13)     /* how do I, give me, I need */
#define W_QWORD (1u << 14)     /* what, who, is, does: a question begins */
#define W_CONT (1u << 15)      /* now, and, also, what about: goes on */
#define W_REQ (1u << 16)       /* please, can, you, to: a request's verb next */
#define W_NEG (1u << 17)       /* not, don't, without: negates a verb next */
#define W_NEGPHRASE (1u << 18) /* "not asking for a fix", "theory only" */
#define W_OFFER (1u << 19)     /* an assistant's offer: want me to */
#define W_CHECK (1u << 20)     /* an assistant's check: did that fix it */
#define W_NEUTRAL (1u << 21)   /* "know how to": takes its words, no more */
#define W_PREFIX (1u << 22)    /* unused in the tables: stems are apart */
#define W_FREE (1u << 23)      /* a verb that needs no request before it */
#define W_NEGONLY (1u << 24)   /* counts only negated: "rewritten" */
#define W_NOUN (1u << 25)      /* of W_DEBUG: names output, not a fault */
#define W_WRITE (1u << 26)     /* write: of prose as often as of code */

struct word {
	const char *s;
	unsigned flags;
};

#include "mem/route_words.h"

#define NWORDS (sizeof(words) / sizeof(words[0]))
#define NSTEMS (sizeof(stems) / sizeof(stems[0]))
#define NCJK (sizeof(cjk_words) / sizeof(cjk_words[0]))

const char *const route_tasks[ROUTE_TASKS] = {"code", "complex", "simple"};

const char *const route_features[RF_COUNT] = {"fence", "code_lines", "error",
    "file", "tech", "action", "analysis", "prose", "math", "negation",
    "greeting", "question", "length", "follow_up"};

/* The default weights, in the order of route_features. */
static const double default_weight[RF_COUNT] = {
    3, 2.5, 3, 1, 1, 3, 2.5, 3, 3, 4, 3, 2, 1, 3};

/* Simple starts ahead, so that a message with no evidence is simple. */
#define SIMPLE_PRIOR 0.5

enum route_task
route_task_named(const char *name)
{
	int i;

	for (i = 0; i < ROUTE_TASKS; i++)
		if (strcmp(route_tasks[i], name) == 0)
			return (enum route_task)i;
	return ROUTE_NONE;
}

/*
 * Looking words up
 */

/* Compares the table's s with the n bytes at p, as strcmp would. */
static int
cmp(const char *s, const char *p, size_t n)
{
	size_t len = strlen(s);
	int c = memcmp(s, p, len < n ? len : n);

	if (c != 0)
		return c;
	return len < n ? -1 : len > n;
}

/* The first entry of words[] not below the n bytes at p. */
static size_t
lower_bound(const char *p, size_t n)
{
	size_t lo = 0, hi = NWORDS, mid;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (cmp(words[mid].s, p, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* A table out of order would make words vanish: say so at once. */
static void
check_table(void)
{
	static int checked;
	size_t i;

	if (checked)
		return;
	for (i = 1; i < NWORDS; i++)
		if (strcmp(words[i - 1].s, words[i].s) >= 0)
			errx(1, "route_words.h: '%s' is out of order",
			    words[i].s);
	checked = 1;
}

/*
 * Reading a message
 *
 * A message is read once, line by line: fenced blocks, lines shaped
 * like code, error and log lines are counted; the rest is prose, whose
 * words are lowercased into one string (a space between words, a line
 * break where a clause ends, so that no phrase spans two clauses) and
 * looked up.
 */

struct token {
	size_t off, len; /* in scan.norm */
	unsigned solo;   /* the flags of the word alone */
	int clause;      /* it begins a clause */
	int cjk;         /* a run of CJK characters */
};

/* A match of the table: n tokens from at. */
struct hit {
	int at, n;
	unsigned flags;
	const char *s;
};

struct scan {
	struct buf norm;
	struct token *tok;
	size_t ntok, tok_cap;
	struct hit *hit;
	size_t nhit, hit_cap;
	int fences, fence_lines, fence_errors;
	int code_lines, code_strong, error_lines, error_names, log_lines;
	int inline_code, files, cjk_chars, question, words;
	unsigned cjk; /* the flags of the CJK words found */
	char file[64], error[64], inline_code_text[64];
	int pending_clause;
};

static void
scan_init(struct scan *s)
{
	memset(s, 0, sizeof(*s));
	s->norm = (struct buf)BUF_INIT;
}

static void
scan_release(struct scan *s)
{
	buf_release(&s->norm);
	free(s->tok);
	free(s->hit);
}

static int
starts(const char *s, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - s) >= n && memcmp(s, prefix, n) == 0;
}

static const char *
find(const char *s, const char *end, const char *what)
{
	return memmem(s, (size_t)(end - s), what, strlen(what));
}

static int
is_word_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '_';
}

static void
note(char *dst, size_t size, const char *s, size_t n)
{
	if (dst[0] != '\0')
		return;
	if (n >= size)
		n = size - 1;
	/* Never cut a character in two. */
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

/* "KeyError", "NullPointerException", "django.db.OperationalError". */
static const char *
named_error(const char *s, const char *end, size_t *len)
{
	const char *p, *w;

	for (p = s; p < end; p++) {
		if (!(*p >= 'A' && *p <= 'Z') ||
		    (p > s && (is_word_byte(p[-1]) || p[-1] == '.')))
			continue;
		for (w = p; w < end && (is_word_byte(*w) || *w == '.'); w++)
			;
		if ((w - p > 5 && memcmp(w - 5, "Error", 5) == 0 &&
			w - p > 5) ||
		    (w - p > 9 && memcmp(w - 9, "Exception", 9) == 0)) {
			*len = (size_t)(w - p);
			return p;
		}
	}
	return NULL;
}

/* Text that says something failed, wherever it is in a line. */
static const char *const failure_text[] = {"Segmentation fault", "core dumped",
    "undefined reference to", "No such file or directory", "Permission denied",
    "command not found", "CrashLoopBackOff", "OOMKilled", "Back-off restarting",
    "exit status ", "exited with code", "Error 1", "is not defined",
    "Cannot find module", "cannot import name", "Cannot read propert",
    "is not a function", "npm ERR!", "panicked at",
    "Traceback (most recent call last)", "Exception in thread", NULL};

/* "src/net.c", "main.go": letters and a dot or a slash, not "21". */
static int
file_like(const char *s, const char *end)
{
	int letter = 0, mark = 0;

	for (; s < end; s++) {
		letter |= (*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z');
		mark |= *s == '.' || *s == '/';
	}
	return letter && mark;
}

/* Returns 1 if the line, trimmed to [t, end), is compiler or trace output. */
static int
error_line(const char *t, const char *end, int indented, int prev_error)
{
	static const char *const starts_with[] = {"Traceback (", "File \"",
	    "error:", "error[", "warning:", "fatal:", "fatal error:", "FATAL",
	    "ERROR", "panic:", "goroutine ", "Exception in thread",
	    "Caused by:", "npm ERR!", "make: ***", "make[", "E   ", "FAILED",
	    "FAIL ", "--> ", "Error: ", "thread '", NULL};
	const char *p, *const *s;
	size_t n;

	if (t == end)
		return 0;
	for (s = starts_with; *s != NULL; s++)
		if (starts(t, end, *s))
			return 1;
	if (starts(t, end, "at ") && find(t, end, "(") != NULL &&
	    (find(t, end, ":") != NULL || find(t, end, "native") != NULL))
		return 1;
	/* path:12:3: error ... as compilers and linters print */
	for (p = t; p < end && (is_word_byte(*p) || strchr("./-", *p)); p++)
		;
	if (p > t && p < end && *p == ':' && p + 1 < end && p[1] >= '0' &&
	    p[1] <= '9' && file_like(t, p))
		return 1;
	/* eslint: "  12:7  error  'x' is assigned ..." */
	for (p = t; p < end && (*p == ':' || (*p >= '0' && *p <= '9')); p++)
		;
	if (p > t && p[-1] != ':' && find(t, p, ":") != NULL &&
	    (find(p, end, " error ") != NULL ||
		find(p, end, " warning ") != NULL))
		return 1;
	for (s = failure_text; *s != NULL; s++)
		if (find(t, end, *s) != NULL && end - t < 200 &&
		    find(t, end, " ") != NULL &&
		    (size_t)(end - t) < strlen(*s) + 80)
			return 1;
	if ((p = named_error(t, end, &n)) == t && t + n < end && t[n] == ':')
		return 1;
	/* gcc's source excerpt and carets; a traceback's indented code */
	if ((*t >= '0' && *t <= '9') && find(t, end, " | ") != NULL &&
	    prev_error)
		return 1;
	if ((*t == '|' || *t == '^') && prev_error)
		return 1;
	return indented && prev_error;
}

/* A line of a log: it begins with a date or a time of day. */
static int
log_line(const char *t, const char *end)
{
	int i, digits = 0;

	if (end - t >= 10 && t[4] == '-' && t[7] == '-') {
		for (i = 0; i < 10; i++)
			digits += t[i] >= '0' && t[i] <= '9';
		return digits == 8;
	}
	if (end - t >= 8 && t[2] == ':' && t[5] == ':') {
		for (i = 0; i < 8; i++)
			digits += t[i] >= '0' && t[i] <= '9';
		return digits == 6;
	}
	return 0;
}

static int
is_error_log(const char *t, const char *end)
{
	return find(t, end, " ERROR ") != NULL ||
	    find(t, end, " FATAL ") != NULL ||
	    find(t, end, "level=error") != NULL ||
	    find(t, end, "[error]") != NULL ||
	    find(t, end, "Exception") != NULL;
}

/* Words that begin a line of code, and what each is worth. */
static const struct {
	const char *s;
	int score;
} code_starts[] = {{"def ", 2}, {"class ", 2}, {"import ", 2}, {"return", 2},
    {"fn ", 2}, {"func ", 2}, {"function", 2}, {"const ", 2}, {"let ", 2},
    {"var ", 2}, {"val ", 2}, {"public ", 2}, {"private ", 2},
    {"protected ", 2}, {"static ", 2}, {"void ", 2}, {"int ", 2}, {"char ", 2},
    {"struct ", 2}, {"typedef ", 2}, {"#include", 2}, {"#define", 2}, {"#!", 2},
    {"package ", 2}, {"impl ", 2}, {"pub ", 2}, {"try:", 2}, {"try {", 2},
    {"except", 2}, {"catch", 2}, {"async ", 2}, {"await ", 2}, {"print(", 2},
    {"printf(", 2}, {"console.", 2}, {"SELECT ", 2}, {"INSERT ", 2},
    {"UPDATE ", 2}, {"DELETE ", 2}, {"CREATE ", 2}, {"ALTER ", 2}, {"DROP ", 2},
    {"FROM ", 2}, {"WHERE ", 2}, {"JOIN ", 2}, {"GROUP BY", 2}, {"ORDER BY", 2},
    {"RUN ", 2}, {"COPY ", 2}, {"CMD ", 2}, {"ENTRYPOINT", 2}, {"WORKDIR ", 2},
    {"ENV ", 2}, {"EXPOSE ", 2}, {"ARG ", 2}, {"$ ", 2}, {">>> ", 2},
    {"// ", 2}, {"/*", 2}, {"@", 1}, {"</", 2}, {"<div", 2}, {"export ", 2},
    {"require(", 2}, {"resource \"", 2}, {"apiVersion:", 2}, {"kind:", 2},
    {"if ", 1}, {"if(", 1}, {"elif ", 2}, {"else", 1}, {"for ", 1}, {"for(", 1},
    {"while ", 1}, {"while(", 1}, {"switch", 1}, {"case ", 1}, {"echo ", 1},
    {"done", 1}, {"fi", 1}, {"then", 1}, {"use ", 1}, {"with ", 1},
    {"sudo ", 1}, {"end", 1}};

static const char *const operators[] = {"==", "!=", "=>", "->",
    "::", ":=", "+=", "-=", "++", "&&", "||", "<-", "</", "/>", "${", "$(",
    NULL};

/* How much a line, [t, end) trimmed of its indent, looks like code. */
static int
code_score(const char *t, const char *end, int indented, int prev_code)
{
	const char *p, *const *op;
	int score = 0, kw = 0, ops = 0, sym = 0, chars = 0, nwords = 0;
	size_t i, n;
	char last;

	while (end > t && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	if (t == end || starts(t, end, "# ") || starts(t, end, "## "))
		return 0;
	last = end[-1];
	for (i = 0; i < sizeof(code_starts) / sizeof(code_starts[0]); i++) {
		n = strlen(code_starts[i].s);
		if ((size_t)(end - t) >= n &&
		    memcmp(t, code_starts[i].s, n) == 0 &&
		    ((size_t)(end - t) == n || code_starts[i].s[n - 1] == ' ' ||
			!is_word_byte(t[n]) ||
			code_starts[i].s[n - 1] == '(')) {
			kw = code_starts[i].score;
			break;
		}
	}
	if (kw == 2 && starts(t, end, "FROM ") && find(t, end, " ") == NULL)
		kw = 0;
	score += kw;
	for (p = t; p < end; p++) {
		if (*p == ' ' || *p == '\t')
			continue;
		chars++;
		if (strchr("{}[]();=<>|&$*\\^~", *p) != NULL)
			sym++;
		if (is_word_byte(*p) && (p == t || !is_word_byte(p[-1])) &&
		    ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			nwords++;
	}
	for (op = operators; *op != NULL; op++)
		if (find(t, end, *op) != NULL)
			ops++;
	score += ops > 2 ? 2 : ops;
	if (last == ';' || last == '{' || last == '}' ||
	    (last == ')' && end - t > 1 && end[-2] == '(') ||
	    (last == ':' && kw > 0) || (last == ',' && kw > 0))
		score += 2;
	if (kw == 1 &&
	    ((end - t > 3 && memcmp(end - 3, " do", 3) == 0) ||
		(end - t > 5 && memcmp(end - 5, " then", 5) == 0)))
		score += 2;
	if (chars > 0 && sym * 4 >= chars)
		score += 2;
	else if (chars > 0 && sym * 8 >= chars)
		score++;
	/* identifier = value, identifier(args) */
	for (p = t; p < end && (is_word_byte(*p) || strchr(".[]'\"", *p)); p++)
		;
	if (p > t && p + 2 < end && p[0] == ' ' && p[1] == '=' && p[2] == ' ')
		score += 2;
	else if (p > t && p < end && *p == '(')
		score++;
	/* INI and YAML: [Section], key=value, key: value */
	if (*t == '[' && last == ']' && nwords <= 3)
		score += 2;
	if (p > t && p < end && *p == '=' && p + 1 < end && p[1] != ' ' &&
	    p[1] != '=')
		score += 2;
	if (p > t && p < end && *p == ':' && (p + 1 == end || p[1] == ' ') &&
	    find(t, p, " ") == NULL)
		score += indented ? 2 : (p + 1 == end ? 1 : 0);
	if ((*t == '-' && end - t > 2 && t[1] == ' ' && prev_code && indented))
		score++;
	if (indented && prev_code)
		score++;
	/* A sentence, however it is punctuated, is prose. */
	if (kw == 0 &&
	    ((nwords >= 6 && (last == '.' || last == '?' || last == '!')) ||
		(nwords >= 10 && sym * 20 < chars)))
		score -= 3;
	return score;
}

/*
 * Letters and CJK characters make words; other characters end them.
 * Returns the code point at *p, and moves *p past it.
 */
static uint32_t
next_cp(const char **p, const char *end)
{
	const unsigned char *s = (const unsigned char *)*p;
	uint32_t c = s[0];
	int n = c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4, i;

	if (end - *p < n) {
		*p = end;
		return 0xfffd;
	}
	if (n > 1) {
		c &= 0x3f >> (n - 1);
		for (i = 1; i < n; i++)
			c = c << 6 | (s[i] & 0x3f);
	}
	*p += n;
	return c;
}

static int
is_cjk(uint32_t c)
{
	return (c >= 0x3040 && c <= 0x30ff) || (c >= 0x3400 && c <= 0x9fff) ||
	    (c >= 0xac00 && c <= 0xd7af) || (c >= 0xf900 && c <= 0xfaff);
}

static int
is_letter(uint32_t c)
{
	if (c < 0x80)
		return is_word_byte((int)c);
	if (c == 0xd7 || c == 0xf7 || c < 0xc0)
		return 0;
	if ((c >= 0x2000 && c <= 0x2bff) || (c >= 0x3000 && c <= 0x303f) ||
	    (c >= 0xfe30 && c <= 0xfe4f) || c >= 0x1f000)
		return 0;
	if (c >= 0xff00 && c <= 0xffef)
		return (c >= 0xff10 && c <= 0xff19) ||
		    (c >= 0xff21 && c <= 0xff3a) ||
		    (c >= 0xff41 && c <= 0xff5a);
	return 1;
}

/* Ends a clause: . , ; : ! ? and their CJK forms. */
static int
ends_clause(uint32_t c)
{
	return strchr(".,;:!?\n", (int)(c < 0x80 ? c : 1)) != NULL ||
	    c == 0x3002 || c == 0xff0c || c == 0x3001 || c == 0xff1b ||
	    c == 0xff1a || c == 0xff01 || c == 0xff1f || c == 0x2014;
}

/* Lowercase for ASCII, Latin-1, Latin Extended-A and Cyrillic. */
static uint32_t
lower(uint32_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 32;
	if (c >= 0xc0 && c <= 0xde && c != 0xd7)
		return c + 32;
	if (c >= 0x100 && c <= 0x17f && c % 2 == 0)
		return c + 1;
	if (c >= 0x410 && c <= 0x42f)
		return c + 32;
	if (c >= 0x400 && c <= 0x40f)
		return c + 80;
	if (c == 0x2019)
		return '\'';
	return c;
}

static void
put_cp(struct buf *b, uint32_t c)
{
	char s[4];
	size_t n;

	if (c < 0x80) {
		s[0] = (char)c;
		n = 1;
	} else if (c < 0x800) {
		s[0] = (char)(0xc0 | c >> 6);
		s[1] = (char)(0x80 | (c & 0x3f));
		n = 2;
	} else if (c < 0x10000) {
		s[0] = (char)(0xe0 | c >> 12);
		s[1] = (char)(0x80 | (c >> 6 & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		n = 3;
	} else {
		s[0] = (char)(0xf0 | c >> 18);
		s[1] = (char)(0x80 | (c >> 12 & 0x3f));
		s[2] = (char)(0x80 | (c >> 6 & 0x3f));
		s[3] = (char)(0x80 | (c & 0x3f));
		n = 4;
	}
	buf_add(b, s, n);
}

static void
end_token(struct scan *s, size_t start, int cjk)
{
	struct token *t;

	if (s->norm.len == start)
		return;
	ARRAY_GROW(s->tok, s->ntok, s->tok_cap);
	t = &s->tok[s->ntok++];
	t->off = start;
	t->len = s->norm.len - start;
	t->solo = 0;
	t->clause = s->pending_clause || s->ntok == 1;
	t->cjk = cjk;
	s->pending_clause = 0;
	if (!cjk)
		s->words++;
}

/* Starts a new token: after the separator that the last clause ended. */
static size_t
begin_token(struct scan *s)
{
	if (s->norm.len > 0)
		buf_add(&s->norm, s->pending_clause ? "\n" : " ", 1);
	return s->norm.len;
}

/* "src/x.c", "Dockerfile", "/etc/nginx/": a file or a path. */
static int
file_token(const char *p, size_t n)
{
	static const char *const exts[] = {"c", "h", "py", "js", "ts", "tsx",
	    "jsx", "go", "rs", "java", "kt", "rb", "php", "cs", "cpp", "cc",
	    "hpp", "swift", "scala", "sh", "bash", "zsh", "ps1", "sql", "yml",
	    "yaml", "json", "toml", "ini", "cfg", "conf", "xml", "html", "css",
	    "scss", "lock", "env", "tf", "hcl", "proto", "gradle", "lua", "vim",
	    "el", "ex", "exs", "erl", "hs", "ml", "dart", "pl", "mk", "cmake",
	    "service", "timer", "dockerfile", "vue", "svelte", "mjs", "cjs",
	    NULL};
	static const char *const names[] = {"Dockerfile", "Makefile",
	    "CMakeLists.txt", "Gemfile", "Rakefile", "Procfile", "Jenkinsfile",
	    "Vagrantfile", "docker-compose", ".gitignore", ".env", NULL};
	const char *dot = NULL, *q, *const * e;
	int letters = 0;

	while (n > 0 && strchr(".,;:!?)'\"`", p[n - 1]) != NULL)
		n--;
	while (n > 0 && strchr("('\"`", *p) != NULL) {
		p++;
		n--;
	}
	if (n < 2 || n > 200)
		return 0;
	for (e = names; *e != NULL; e++)
		if (n >= strlen(*e) && memcmp(p, *e, strlen(*e)) == 0)
			return 1;
	for (q = p; q < p + n; q++) {
		if (*q == '.')
			dot = q;
		else if (!is_word_byte(*q) && !strchr("/-~", *q))
			return 0;
		letters += (*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z');
	}
	if (letters == 0)
		return 0;
	if (dot != NULL && dot > p && dot + 1 < p + n)
		for (e = exts; *e != NULL; e++)
			if ((size_t)(p + n - dot - 1) == strlen(*e) &&
			    memcmp(dot + 1, *e, strlen(*e)) == 0)
				return 1;
	/* A path: /etc/x, ./x, ~/x, src/ */
	return (*p == '/' && n > 1 && is_word_byte(p[1])) ||
	    starts(p, p + n, "./") || starts(p, p + n, "~/") ||
	    (p[n - 1] == '/' && memchr(p, '/', n - 1) == NULL && n > 2);
}

/* Looks for files in the whitespace-separated tokens of a line. */
static void
scan_files(struct scan *s, const char *t, const char *end)
{
	const char *p = t, *w;

	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		for (w = p; w < end && *w != ' ' && *w != '\t'; w++)
			;
		if (w > p && file_token(p, (size_t)(w - p))) {
			s->files++;
			note(s->file, sizeof(s->file), p,
			    strcspn(p, ":,;!?)'\"` \t") < (size_t)(w - p)
				? strcspn(p, ":,;!?)'\"` \t")
				: (size_t)(w - p));
		}
		p = w;
	}
}

/* Adds the words of a line of prose, without its inline `code`. */
static void
scan_prose(struct scan *s, const char *t, const char *end)
{
	const char *p = t, *q, *close, *const * f;
	size_t start = 0;
	uint32_t c;
	int in_word = 0, word_cjk = 0, cjk;
	size_t n;

	if ((q = named_error(t, end, &n)) != NULL) {
		s->error_names++;
		note(s->error, sizeof(s->error), q, n);
	}
	for (f = failure_text; *f != NULL; f++)
		if (find(t, end, *f) != NULL) {
			s->error_names++;
			note(s->error, sizeof(s->error), *f, strlen(*f));
			break;
		}
	scan_files(s, t, end);
	while (p < end) {
		if (*p == '`') {
			close = memchr(p + 1, '`', (size_t)(end - p - 1));
			if (close != NULL && close > p + 1) {
				s->inline_code++;
				note(s->inline_code_text,
				    sizeof(s->inline_code_text), p,
				    (size_t)(close - p + 1));
				if (in_word)
					end_token(s, start, word_cjk);
				in_word = 0;
				p = close + 1;
				continue;
			}
		}
		c = lower(next_cp(&p, end));
		cjk = is_cjk(c);
		if (cjk)
			s->cjk_chars++;
		if (c == '?' || c == 0xff1f)
			s->question = 1;
		if (is_letter(c) ||
		    (c == '\'' && in_word && p < end && is_word_byte(*p)) ||
		    ((c == '+' || c == '#') && in_word && !word_cjk)) {
			if (in_word && cjk != word_cjk) {
				end_token(s, start, word_cjk);
				in_word = 0;
			}
			if (!in_word) {
				start = begin_token(s);
				in_word = 1;
				word_cjk = cjk;
			}
			put_cp(&s->norm, c);
		} else {
			if (in_word)
				end_token(s, start, word_cjk);
			in_word = 0;
			if (ends_clause(c) && !(c == '.' && is_word_byte(*p)))
				s->pending_clause = 1;
		}
	}
	if (in_word)
		end_token(s, start, word_cjk);
	s->pending_clause = 1; /* a line break ends a clause */
}

/*
 * "Explain this regex: ^(?=.*[A-Z])...$": a few words, a colon, then
 * code.  Returns where the code begins, or NULL.
 */
static const char *
prose_then_code(const char *t, const char *end)
{
	const char *colon = find(t, end, ": "), *p;
	int nwords = 0;

	if (colon == NULL)
		return NULL;
	for (p = t; p < colon; p++) {
		if (!is_word_byte(*p) && *p != ' ' && *p != '\'' &&
		    (unsigned char)*p < 0x80)
			return NULL;
		if (is_word_byte(*p) && (p == t || p[-1] == ' '))
			nwords++;
	}
	if (nwords < 2 || nwords > 12)
		return NULL;
	return code_score(colon + 2, end, 0, 0) >= 2 ? colon + 2 : NULL;
}

/* A line of a fence: ``` or ~~~ after at most three spaces. */
static int
fence_line(const char *t, const char *end)
{
	return starts(t, end, "```") || starts(t, end, "~~~");
}

static void
scan_lines(struct scan *s, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *nl, *t, *e, *code;
	int in_fence = 0, prev_code = 0, prev_error = 0, indented, score;

	for (; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		e = nl > p && nl[-1] == '\r' ? nl - 1 : nl;
		for (t = p; t < e && (*t == ' ' || *t == '\t'); t++)
			;
		indented = t - p >= 2 || (t > p && *p == '\t');
		if (fence_line(t, e)) {
			if (!in_fence)
				s->fences++;
			in_fence = !in_fence;
			continue;
		}
		if (in_fence) {
			s->fence_lines++;
			if (error_line(t, e, indented, prev_error)) {
				s->fence_errors++;
				prev_error = 1;
				note(s->error, sizeof(s->error), t,
				    (size_t)(e - t));
			} else {
				prev_error = 0;
			}
			continue;
		}
		if (t == e) {
			prev_error = 0;
			continue;
		}
		if (error_line(t, e, indented, prev_error) ||
		    (log_line(t, e) && is_error_log(t, e))) {
			s->error_lines++;
			note(s->error, sizeof(s->error), t, (size_t)(e - t));
			prev_error = 1;
			prev_code = 0;
			continue;
		}
		prev_error = 0;
		if (log_line(t, e)) {
			s->log_lines++;
			continue;
		}
		if ((code = prose_then_code(t, e)) != NULL) {
			scan_prose(s, t, code);
			s->code_lines++;
			s->code_strong++;
			prev_code = 1;
			continue;
		}
		score = code_score(t, e, indented, prev_code);
		if (score >= 2) {
			s->code_lines++;
			s->code_strong += score >= 3;
			prev_code = 1;
			scan_files(s, t, e);
			continue;
		}
		prev_code = 0;
		scan_prose(s, t, e);
	}
}

/* The flags of the word at tok alone, its stem's if none. */
static unsigned
solo_flags(const struct scan *s, const struct token *tok)
{
	const char *w = s->norm.s + tok->off;
	size_t i = lower_bound(w, tok->len), n;

	if (i < NWORDS && cmp(words[i].s, w, tok->len) == 0)
		return words[i].flags;
	if ((unsigned char)*w < 0x80)
		return 0;
	for (i = 0; i < NSTEMS; i++) {
		n = strlen(stems[i].s);
		if (n <= tok->len && memcmp(stems[i].s, w, n) == 0)
			return stems[i].flags;
	}
	return 0;
}

static void
add_hit(struct scan *s, int at, int n, unsigned flags, const char *str)
{
	ARRAY_GROW(s->hit, s->nhit, s->hit_cap);
	s->hit[s->nhit++] = (struct hit){at, n, flags, str};
}

/*
 * Matches the tokens against the table, the longest phrase at each
 * place first; a phrase's words are taken by it.
 */
static void
scan_words(struct scan *s)
{
	const char *w, *e;
	size_t i, j, k, len, best_len;
	unsigned best;
	const char *best_s;
	int best_n, n;

	for (i = 0; i < s->ntok; i++)
		s->tok[i].solo = solo_flags(s, &s->tok[i]);
	for (i = 0; i < s->ntok; i += (size_t)(best_n > 0 ? best_n : 1)) {
		w = s->norm.s + s->tok[i].off;
		len = s->tok[i].len;
		best = s->tok[i].solo;
		best_s = NULL;
		best_n = best != 0 ? 1 : 0;
		best_len = len;
		for (j = lower_bound(w, len); j < NWORDS; j++) {
			e = words[j].s;
			if (strncmp(e, w, len) != 0)
				break;
			if (e[len] == '\0') {
				best_s = e;
				continue;
			}
			if (e[len] != ' ')
				break;
			k = strlen(e);
			if (k <= best_len || s->tok[i].off + k > s->norm.len ||
			    memcmp(s->norm.s + s->tok[i].off, e, k) != 0 ||
			    (s->tok[i].off + k < s->norm.len &&
				s->norm.s[s->tok[i].off + k] != ' ' &&
				s->norm.s[s->tok[i].off + k] != '\n'))
				continue;
			for (n = 1; *e != '\0'; e++)
				n += *e == ' ';
			best = words[j].flags;
			best_s = words[j].s;
			best_n = n;
			best_len = k;
		}
		if (best_n > 0)
			add_hit(s, (int)i, best_n, best,
			    best_s != NULL ? best_s : "");
	}
	if (s->cjk_chars == 0)
		return;
	for (i = 0; i < NCJK; i++)
		if (memmem(s->norm.s, s->norm.len, cjk_words[i].s,
			strlen(cjk_words[i].s)) != NULL) {
			s->cjk |= cjk_words[i].flags;
			add_hit(s, -1, 0, cjk_words[i].flags, cjk_words[i].s);
		}
}

static void
scan_text(struct scan *s, const char *text, size_t len)
{
	check_table();
	scan_lines(s, text, len);
	scan_words(s);
	s->words += (s->cjk_chars + 1) / 2;
}

/*
 * Weighing the evidence
 */

/* What the words of a message say, gathered from its hits. */
struct evidence {
	int action, action_code, action_prose, action_open, write_open, negated;
	int codeobj, codeobj_early, proseobj, proseverb, analysis, math;
	int debug, fault, tech, greet, howto, negphrase, offer, check;
	int ack_only, lead; /* lead: W_YES, W_NO or W_DOIT of the first hit */
	int cont, anaphora, qstart;
	const char *action_word, *object_word, *analysis_word, *math_word;
	const char *debug_word, *tech_word, *greet_word, *prose_word;
	const char *howto_word, *neg_word;
};

static int
token_is(const struct scan *s, int i, const char *w)
{
	return i >= 0 && (size_t)i < s->ntok && s->tok[i].len == strlen(w) &&
	    memcmp(s->norm.s + s->tok[i].off, w, s->tok[i].len) == 0;
}

/*
 * The "to" at i asks for what follows: "I want you to add", "help me
 * to", "we need to"; not "learns to", "people want to".
 */
static int
want_to(const struct scan *s, int i)
{
	static const char *const objects[] = {"you", "me", "us", NULL};
	static const char *const wants[] = {
	    "need", "want", "like", "have", NULL};
	static const char *const subjects[] = {"i", "we", "i'd", "we'd", NULL};
	const char *const *w;
	int j;

	for (w = objects; *w != NULL; w++)
		if (token_is(s, i - 1, *w))
			return 1;
	for (w = wants; *w != NULL; w++)
		if (token_is(s, i - 1, *w))
			for (j = 0; subjects[j] != NULL; j++)
				if (token_is(s, i - 2, subjects[j]))
					return 1;
	return 0;
}

/* An English verb counts as a request at a clause's start or after one. */
static int
request_position(const struct scan *s, const struct hit *h)
{
	const struct token *t;

	if (h->at < 0 || (h->flags & W_FREE))
		return 1;
	t = &s->tok[h->at];
	if (t->clause)
		return 1;
	if (token_is(s, h->at - 1, "to"))
		return want_to(s, h->at - 1);
	return (s->tok[h->at - 1].solo &
		   (W_REQ | W_CONT | W_YES | W_DOIT | W_GREET)) != 0;
}

/* The first object after the verb of hit i, within seven words. */
static const struct hit *
object_after(const struct scan *s, size_t i)
{
	const struct hit *h = &s->hit[i], *o;
	size_t j;

	for (j = i + 1; j < s->nhit && s->hit[j].at >= 0; j++) {
		o = &s->hit[j];
		if (o->at > h->at + h->n + 7)
			break;
		if (o->flags & (W_CODEOBJ | W_TECH | W_PROSEOBJ))
			return o;
	}
	return NULL;
}

/* Returns 1 if a negation comes at most four words before hit i. */
static int
negated(const struct scan *s, size_t i)
{
	const struct hit *h = &s->hit[i];
	size_t j;

	for (j = i; j-- > 0 && s->hit[j].at >= 0;) {
		if (s->hit[j].at + s->hit[j].n + 4 <= h->at)
			break;
		if (s->hit[j].flags & W_NEG)
			return 1;
	}
	return 0;
}

/* Counts one more of a kind of word, and keeps the first one's text. */
static void
count_word(int *count, const char **first, const char *word)
{
	(*count)++;
	if (*first == NULL)
		*first = word;
}

/* An action word of a request: on code, on prose, or open. */
static void
gather_action(const struct scan *s, size_t i, struct evidence *ev)
{
	const struct hit *h = &s->hit[i];
	const struct hit *o = h->at >= 0 ? object_after(s, i) : NULL;

	count_word(&ev->action, &ev->action_word, h->s);
	if (o != NULL && (o->flags & (W_CODEOBJ | W_TECH))) {
		count_word(&ev->action_code, &ev->object_word, o->s);
	} else if (o != NULL) {
		count_word(&ev->action_prose, &ev->prose_word, o->s);
	} else {
		ev->action_open++;
		ev->write_open += (h->flags & W_WRITE) != 0;
	}
}

/* What one hit tells, added to ev; returns its words that are thanks. */
static int
gather_hit(const struct scan *s, size_t i, struct evidence *ev)
{
	const struct hit *h = &s->hit[i];
	unsigned f = h->flags;

	if (h->at == 0)
		ev->lead = f & W_DOIT ? W_DOIT
		    : f & W_NO        ? W_NO
		    : f & W_YES       ? W_YES
				      : 0;
	if (h->at == 0 && (f & W_CONT))
		ev->cont = 1;
	if (f & W_NEGPHRASE) {
		ev->negphrase++;
		ev->neg_word = h->s;
	}
	if ((f & W_ACTION) && negated(s, i)) {
		ev->negated++;
		ev->neg_word = h->s;
	} else if ((f & W_ACTION) && !(f & W_NEGONLY) &&
	    request_position(s, h)) {
		gather_action(s, i, ev);
	}
	if (f & W_CODEOBJ) {
		count_word(&ev->codeobj, &ev->object_word, h->s);
		ev->codeobj_early += h->at >= 0 && h->at < 4;
	}
	if (f & W_PROSEOBJ)
		count_word(&ev->proseobj, &ev->prose_word, h->s);
	if (f & W_PROSEVERB)
		count_word(&ev->proseverb, &ev->prose_word, h->s);
	if ((f & W_ANALYSIS) && !negated(s, i))
		count_word(&ev->analysis, &ev->analysis_word, h->s);
	if (f & W_MATH)
		count_word(&ev->math, &ev->math_word, h->s);
	if (f & W_DEBUG) {
		count_word(&ev->debug, &ev->debug_word, h->s);
		ev->fault += !(f & W_NOUN);
	}
	if (f & W_TECH)
		count_word(&ev->tech, &ev->tech_word, h->s);
	if (f & W_GREET)
		count_word(&ev->greet, &ev->greet_word, h->s);
	if (f & W_HOWTO)
		count_word(&ev->howto, &ev->howto_word, h->s);
	ev->offer += (f & W_OFFER) != 0;
	ev->check += (f & W_CHECK) != 0;
	if (h->at > 0 && (f & W_DOIT) && ev->lead == W_YES)
		ev->lead = W_DOIT;
	return h->at >= 0 && (f & (W_GREET | W_ACK | W_YES | W_NO)) ? h->n : 0;
}

static void
gather(const struct scan *s, struct evidence *ev)
{
	int ack_words = 0, other_words = 0;
	size_t i;

	memset(ev, 0, sizeof(*ev));
	if (s->ntok > 0)
		ev->qstart = (s->tok[0].solo & W_QWORD) != 0;
	for (i = 0; i < s->nhit; i++)
		ack_words += gather_hit(s, i, ev);
	for (i = 0; i < s->ntok; i++)
		other_words += !s->tok[i].cjk;
	other_words -= ack_words;
	/* Thanks and the like, and nothing else: CJK has no words to count. */
	ev->ack_only = ev->greet > 0 && other_words <= 0 &&
	    (s->cjk & ~(unsigned)(W_GREET | W_QWORD | W_ACK)) == 0 &&
	    s->cjk_chars <= 12;
}

struct weigh {
	const struct route_config *rc;
	struct route_result *r;
	struct buf why; /* scratch for details */
};

static void add(struct weigh *w, enum route_feature f, enum route_task task,
    double strength, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void
add(struct weigh *w, enum route_feature f, enum route_task task,
    double strength, const char *fmt, ...)
{
	struct route_result *r = w->r;
	struct route_reason *reason;
	double weight = w->rc->weight[f] * strength;
	va_list ap;
	int i;

	if (weight <= 0)
		return;
	r->scores[task] += weight;
	if (r->nreasons == ROUTE_MAX_REASONS)
		return;
	/* Kept in order of weight, most first. */
	for (i = r->nreasons; i > 0 && r->reason[i - 1].weight < weight; i--)
		r->reason[i] = r->reason[i - 1];
	reason = &r->reason[i];
	r->nreasons++;
	reason->feature = f;
	reason->task = task;
	reason->weight = weight;
	va_start(ap, fmt);
	vsnprintf(reason->detail, sizeof(reason->detail), fmt, ap);
	va_end(ap);
}

/* The task an assistant's question points at, and what kind it is. */
enum ask_kind { ASK_NONE, ASK_OFFER, ASK_CHECK, ASK_OTHER };

static enum ask_kind
ask_kind(const struct buf *question, enum route_task *task)
{
	struct scan s;
	struct evidence ev;
	enum ask_kind kind = ASK_NONE;
	double code, complex;

	*task = ROUTE_NONE;
	if (question->len == 0)
		return ASK_NONE;
	scan_init(&s);
	scan_text(&s, question->s, question->len);
	gather(&s, &ev);
	if (ev.offer > 0)
		kind = ASK_OFFER;
	else if (ev.check > 0)
		kind = ASK_CHECK;
	else if (s.question)
		kind = ASK_OTHER;
	code = ev.action_code * 2 + ev.action_open + ev.codeobj + ev.tech +
	    ev.debug + s.files + s.inline_code + ev.howto;
	complex = ev.analysis + ev.action_prose * 2 + ev.proseobj + ev.math;
	if (code > complex)
		*task = ROUTE_CODE;
	else if (complex > code)
		*task = ROUTE_COMPLEX;
	scan_release(&s);
	return kind;
}

static const char *
or_else(const char *s, const char *dflt)
{
	return s != NULL ? s : dflt;
}

/* What the rules read, derived once from the scan and the evidence. */
struct signals {
	int has_code, errors, context, prose, action, howto, about_code;
	int own, answer, fragment;
	double code_scale;  /* code that is the subject weighs less */
	enum ask_kind kind; /* of the question the last reply asked */
	enum route_task offer_task;
};

static void
read_signals(const struct scan *s, const struct evidence *ev,
    const struct route_state *st, struct signals *g)
{
	g->has_code = s->fences > 0 || s->code_lines > 0;
	g->errors = s->error_lines + s->fence_errors + s->error_names;
	g->context = g->has_code || g->errors > 0 || s->files > 0 ||
	    ev->tech > 0 || s->inline_code > 0;
	/* "Write a haiku": write, and no sign of code, is prose. */
	g->prose = ev->action_prose > 0 ||
	    (ev->write_open > 0 && ev->action_code == 0 && !g->context &&
		ev->codeobj == 0 && st->prev != ROUTE_CODE) ||
	    (ev->proseverb > 0 && ev->action_code == 0) ||
	    (ev->proseobj > 0 && ev->action_code == 0 && !g->has_code &&
		g->errors == 0);
	g->action = ev->action_code > 0 || ev->action_open > 0;
	g->howto =
	    ev->howto > 0 && !g->prose && ev->negphrase + ev->negated == 0;
	/* Code to be explained, not changed: it is the subject, no more. */
	g->about_code = (ev->analysis > 0 || ev->negphrase + ev->negated > 0) &&
	    !g->action && !g->howto && ev->fault == 0;
	if (ev->negphrase + ev->negated > 0)
		g->action = 0;
	g->code_scale = g->about_code ? 0.3 : 1;
	g->own = g->action || g->howto || ev->analysis > 0 || g->prose ||
	    ev->math > 0 || ev->negphrase + ev->negated > 0 || g->errors > 0 ||
	    g->has_code || ev->debug > 0;
	g->answer = ev->lead != 0 && s->words <= 8 && !g->own;
	g->kind = ask_kind(&st->question, &g->offer_task);
	g->fragment = st->prev != ROUTE_NONE && !ev->ack_only && !g->answer &&
	    (s->words <= 12 || (ev->cont && s->words <= 20));
}

static void
weigh_code(struct weigh *w, const struct scan *s, const struct evidence *ev,
    const struct signals *g)
{
	if (s->fences > 0 && s->fence_errors * 2 < s->fence_lines)
		add(w, RF_FENCE, ROUTE_CODE, g->code_scale, "fence");
	if (s->code_lines > 0)
		add(w, RF_CODE_LINES, ROUTE_CODE,
		    g->code_scale *
			(s->code_lines >= 3          ? 1
				: s->code_lines == 2 ? 0.8
				: s->code_strong > 0 ? 0.6
						     : 0.3),
		    "code_lines: %d", s->code_lines);
	if (g->errors > 0 ||
	    (s->fence_lines > 0 && s->fence_errors * 2 >= s->fence_lines))
		add(w, RF_ERROR, ROUTE_CODE, g->code_scale, "error: %s",
		    s->error);
	else if (ev->debug > 0)
		add(w, RF_ERROR, ROUTE_CODE,
		    (g->about_code ? 0.3 : 1) * (s->words > 60 ? 0.3 : 0.6),
		    "error: %s", ev->debug_word);
	if (s->files > 0)
		add(w, RF_FILE, ROUTE_CODE, g->code_scale, "file: %s", s->file);
	if (ev->tech > 0 || s->inline_code > 0)
		add(w, RF_TECH, ROUTE_CODE, g->code_scale, "tech: %s",
		    ev->tech > 0 ? ev->tech_word : s->inline_code_text);
	if (g->action && ev->action_code > 0)
		add(w, RF_ACTION, ROUTE_CODE, 1, "action: %s %s",
		    ev->action_word, or_else(ev->object_word, ""));
	else if (g->action && !g->prose)
		add(w, RF_ACTION, ROUTE_CODE, g->context ? 1 : 0.5,
		    "action: %s", ev->action_word);
	else if (g->howto)
		add(w, RF_ACTION, ROUTE_CODE,
		    ev->codeobj > 0 || g->context ? 1 : 0.4, "action: %s",
		    ev->howto_word);
	else if (ev->codeobj_early > 0 && !g->prose && ev->analysis == 0 &&
	    !s->question && s->words >= 3 && !g->about_code)
		add(w, RF_ACTION, ROUTE_CODE, 0.7, "action: %s",
		    ev->object_word);
}

static void
weigh_complex(struct weigh *w, const struct scan *s, const struct evidence *ev,
    const struct signals *g)
{
	if (ev->analysis > 0)
		add(w, RF_ANALYSIS, ROUTE_COMPLEX,
		    ev->analysis >= 3       ? 1.4
			: ev->analysis == 2 ? 1.2
					    : 1,
		    "analysis: %s", ev->analysis_word);
	if (g->prose)
		add(w, RF_PROSE, ROUTE_COMPLEX,
		    ev->action_prose > 0 || ev->proseverb > 0 ? 1 : 0.6,
		    "prose: %s",
		    or_else(ev->prose_word, or_else(ev->action_word, "")));
	if (ev->math > 0)
		add(w, RF_MATH, ROUTE_COMPLEX, 1, "math: %s", ev->math_word);
	if (ev->negphrase + ev->negated > 0)
		add(w, RF_NEGATION, ROUTE_COMPLEX, 1, "negation: %s",
		    ev->neg_word);
	if (s->words >= 40)
		add(w, RF_LENGTH, ROUTE_COMPLEX,
		    s->words >= 150 ? 2 : (s->words - 30) / 60.0,
		    "length: %d words", s->words);
}

/* A short answer to the last reply: what it answers decides. */
static void
weigh_answer(struct weigh *w, const struct evidence *ev,
    const struct route_state *st, const struct signals *g)
{
	if ((ev->lead & (W_YES | W_DOIT)) && g->kind == ASK_OFFER)
		add(w, RF_FOLLOW_UP,
		    g->offer_task != ROUTE_NONE  ? g->offer_task
			: st->prev != ROUTE_NONE ? st->prev
						 : ROUTE_SIMPLE,
		    1, "follow_up: yes to an offer");
	else if ((ev->lead & W_DOIT) && st->prev != ROUTE_NONE)
		add(w, RF_FOLLOW_UP, st->prev, 1, "follow_up: go ahead");
	else if ((ev->lead & W_YES) && g->kind == ASK_CHECK)
		add(w, RF_FOLLOW_UP, ROUTE_SIMPLE, 1,
		    "follow_up: yes, it works");
	else if ((ev->lead & W_YES) && g->kind == ASK_OTHER &&
	    st->prev != ROUTE_NONE)
		add(w, RF_FOLLOW_UP, st->prev, 1, "follow_up: an answer");
	else if ((ev->lead & W_NO) && g->kind == ASK_OFFER)
		add(w, RF_FOLLOW_UP, ROUTE_SIMPLE, 1,
		    "follow_up: no to an offer");
	else if ((ev->lead & W_NO) && st->prev != ROUTE_NONE &&
	    (g->kind == ASK_CHECK || g->kind == ASK_OTHER))
		add(w, RF_FOLLOW_UP, st->prev, 1, "follow_up: no, not yet");
	else
		add(w, RF_GREETING, ROUTE_SIMPLE, 0.8, "greeting: an answer");
}

/* The earlier turns: an answer, a fragment, or a turn that goes on. */
static void
weigh_follow_up(struct weigh *w, const struct evidence *ev,
    const struct route_state *st, const struct signals *g)
{
	if (g->answer)
		weigh_answer(w, ev, st, g);
	else if (g->fragment)
		add(w, RF_FOLLOW_UP, st->prev, g->own ? 0.5 : 1,
		    "follow_up: %s", route_tasks[st->prev]);
	else if (st->prev != ROUTE_NONE && !ev->ack_only)
		add(w, RF_FOLLOW_UP, st->prev, 0.3, "follow_up: %s",
		    route_tasks[st->prev]);
}

static void
weigh_simple(struct weigh *w, const struct scan *s, const struct evidence *ev,
    const struct route_state *st, const struct signals *g)
{
	if (ev->ack_only && !g->answer)
		add(w, RF_GREETING, ROUTE_SIMPLE, 1, "greeting: %s",
		    or_else(ev->greet_word, "thanks"));
	else if (ev->greet > 0 && !g->answer && !g->action && !g->howto &&
	    !g->prose && ev->analysis == 0 && !s->question && !g->has_code &&
	    g->errors == 0)
		add(w, RF_GREETING, ROUTE_SIMPLE, 0.8, "greeting: %s",
		    ev->greet_word);
	if ((s->question || ev->qstart) && s->words <= 12 && !g->own &&
	    !g->answer && !(ev->codeobj_early > 0 && !s->question) &&
	    !(g->fragment && st->prev != ROUTE_SIMPLE))
		add(w, RF_QUESTION, ROUTE_SIMPLE, 1, "question");
	if (s->words <= 8 && !g->context && !g->action && ev->debug == 0 &&
	    ev->codeobj == 0)
		add(w, RF_LENGTH, ROUTE_SIMPLE, s->words <= 3 ? 1 : 0.5,
		    "length: %d word%s", s->words, s->words == 1 ? "" : "s");
}

/*
 * The rules.  Each adds its weight, times a strength from 0 to 1 or a
 * little more, to one task; the task with the highest score wins.
 */
static void
weigh(struct weigh *w, const struct scan *s, const struct evidence *ev,
    const struct route_state *st)
{
	struct signals g;

	read_signals(s, ev, st, &g);
	weigh_code(w, s, ev, &g);
	weigh_complex(w, s, ev, &g);
	weigh_follow_up(w, ev, st, &g);
	weigh_simple(w, s, ev, st, &g);
}

static void
decide(struct route_result *r)
{
	double max, sum = 0;
	int i, best = ROUTE_SIMPLE;

	r->scores[ROUTE_SIMPLE] += SIMPLE_PRIOR;
	for (i = 0; i < ROUTE_TASKS; i++)
		if (r->scores[i] > r->scores[best])
			best = i;
	max = r->scores[best];
	for (i = 0; i < ROUTE_TASKS; i++)
		sum += exp(r->scores[i] - max);
	r->task = (enum route_task)best;
	r->confidence = 1 / sum;
}

void
route_state_init(struct route_state *s)
{
	s->prev = ROUTE_NONE;
	s->question = (struct buf)BUF_INIT;
}

void
route_state_release(struct route_state *s)
{
	buf_release(&s->question);
}

/*
 * The last sentence of an assistant's message, outside code: the
 * question it ends on, or an offer ("Let me know if you want me to
 * add tests.").
 */
void
route_assistant(struct route_state *s, const char *text, size_t len)
{
	const char *end = text + len, *p, *start, *nl;
	int in_fence = 0;

	buf_reset(&s->question);
	/* Past the last fence, if it is closed. */
	start = text;
	for (p = text; p < end; p = nl + 1) {
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		while (p < nl && (*p == ' ' || *p == '\t'))
			p++;
		if (fence_line(p, nl)) {
			in_fence = !in_fence;
			start = nl < end ? nl + 1 : end;
		}
	}
	if (in_fence)
		return;
	while (end > start && strchr(" \t\r\n", end[-1]) != NULL)
		end--;
	for (p = end - 1; p > start; p--)
		if (strchr(".!?\n", p[-1]) != NULL &&
		    (p - 1 == start || p[-2] != '.'))
			break;
	if (end - p > 400)
		return;
	buf_add(&s->question, p, (size_t)(end - p));
}

void
route_classify(const struct route_config *rc, struct route_state *st,
    const char *text, size_t len, struct route_result *r)
{
	struct weigh w = {rc, r, BUF_INIT};
	struct evidence ev;
	struct scan s;

	memset(r, 0, sizeof(*r));
	scan_init(&s);
	scan_text(&s, text, len);
	gather(&s, &ev);
	weigh(&w, &s, &ev, st);
	decide(r);
	scan_release(&s);
	buf_release(&w.why);
	st->prev = r->task;
	buf_reset(&st->question);
}

int
route_context(const struct route_config *rc, const struct context *ctx,
    struct route_result *r)
{
	struct route_state st;
	struct buf text = BUF_INIT;
	const cJSON *m, *last = NULL;
	const char *role, *why;

	cJSON_ArrayForEach(m, ctx->messages) {
		role = msg_str(m, "role");
		if (role != NULL && strcmp(role, "user") == 0)
			last = m;
	}
	if (last == NULL)
		return -1;
	route_state_init(&st);
	cJSON_ArrayForEach(m, ctx->messages) {
		role = msg_str(m, "role");
		buf_reset(&text);
		msg_content(m, &text, &why);
		if (role != NULL && strcmp(role, "user") == 0)
			route_classify(rc, &st, text.s, text.len, r);
		else if (role != NULL && strcmp(role, "assistant") == 0)
			route_assistant(&st, text.s, text.len);
		if (m == last)
			break;
	}
	route_state_release(&st);
	buf_release(&text);
	return 0;
}

/*
 * Models
 */

static int
priced_chat(const struct model *m)
{
	return m->prices.input >= 0 && m->prices.output >= 0 &&
	    m->prices.as_of != NULL && m->max_output > 0;
}

static double
price(const struct model *m)
{
	return m->prices.input + m->prices.output;
}

/* a before b: cheaper, or as cheap with a larger budget. */
static int
cheaper(const struct model *a, const struct model *b)
{
	return price(a) < price(b) ||
	    (price(a) == price(b) && a->budget > b->budget);
}

const struct model *
route_cheapest(void)
{
	const struct model *m, *best = NULL;
	size_t i;

	for (i = 0; (m = model_at(i)) != NULL; i++)
		if (priced_chat(m) && (best == NULL || cheaper(m, best)))
			best = m;
	return best;
}

/* Every priced chat model, cheapest first (the table's order on ties). */
static void
by_price(struct route_config *rc, int task)
{
	const struct model *m;
	size_t i;
	int j;

	rc->nmodels[task] = 0;
	for (i = 0; (m = model_at(i)) != NULL; i++) {
		if (!priced_chat(m) || rc->nmodels[task] == ROUTE_MAX_MODELS)
			continue;
		for (j = rc->nmodels[task];
		     j > 0 && cheaper(m, rc->models[task][j - 1]); j--)
			rc->models[task][j] = rc->models[task][j - 1];
		rc->models[task][j] = m;
		rc->nmodels[task]++;
	}
}

/* Fills task's list from the words of names; -1 (reported) if unknown. */
static int
set_models(struct route_config *rc, int task, const char *names,
    const struct config *c)
{
	const char *p = names, *w;
	char name[256];
	const struct model *m;
	size_t n;

	rc->nmodels[task] = 0;
	while (*p != '\0') {
		while (*p == ' ' || *p == '\t' || *p == ',')
			p++;
		for (w = p; *w != '\0' && *w != ' ' && *w != '\t' && *w != ',';
		     w++)
			;
		n = (size_t)(w - p);
		if (n == 0)
			break;
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, p, n);
		name[n] = '\0';
		p = w;
		if ((m = model_find(name)) == NULL) {
			warnx("%s: [route] %s: unknown model '%s'",
			    c->path != NULL ? c->path : "configuration",
			    route_tasks[task], name);
			return -1;
		}
		if (rc->nmodels[task] < ROUTE_MAX_MODELS)
			rc->models[task][rc->nmodels[task]++] = m;
	}
	return 0;
}

int
route_configure(struct route_config *rc, const struct config *c)
{
	static const char *const defaults[ROUTE_TASKS] = {
	    "deepseek-coder deepseek-chat", "claude-sonnet claude-opus", NULL};
	const char *v;
	int i;

	memset(rc, 0, sizeof(*rc));
	for (i = 0; i < RF_COUNT; i++) {
		v = config_get(c, "route", "", route_features[i]);
		rc->weight[i] = v != NULL ? strtod(v, NULL) : default_weight[i];
	}
	for (i = 0; i < ROUTE_TASKS; i++) {
		v = config_get(c, "route", "", route_tasks[i]);
		if (v == NULL && defaults[i] == NULL)
			by_price(rc, i);
		else if (set_models(rc, i, v != NULL ? v : defaults[i], c) != 0)
			return -1;
		/* A default the table no longer has: the cheapest will do. */
		if (rc->nmodels[i] == 0)
			by_price(rc, i);
		if (rc->nmodels[i] == 0) {
			rc->models[i][0] = model_at(0);
			rc->nmodels[i] = 1;
		}
	}
	rc->expected_output =
	    config_number(c, "route", "", "expected_output", 500);
	rc->llm_timeout = config_number(c, "route", "", "llm_timeout", 30);
	rc->llm_model = config_get(c, "route", "", "llm_model");
	if (rc->llm_model != NULL && model_find(rc->llm_model) == NULL) {
		warnx("%s: [route] llm_model: unknown model '%s'",
		    c->path != NULL ? c->path : "configuration", rc->llm_model);
		return -1;
	}
	return 0;
}

/* The request's tokens as m counts them; (size_t)-1 without a counter. */
static size_t
tokens_for(const struct model *m, const struct context *ctx, const char *prompt)
{
	struct counter c;

	if (counter_for_model(&c, m) != 0)
		return (size_t)-1;
	return budget_context(&c, ctx, prompt, NULL, NULL);
}

static double
estimate(const struct route_config *rc, const struct model *m, size_t tokens)
{
	if (m->prices.input < 0 || m->prices.output < 0)
		return -1;
	return (tokens * m->prices.input +
		   rc->expected_output * m->prices.output) /
	    1e6;
}

/* The models' request tokens, counted once per counter, when asked. */
struct counts {
	const struct model *const *list;
	const struct context *ctx;
	const char *prompt;
	size_t tokens[ROUTE_MAX_MODELS];
	int have[ROUTE_MAX_MODELS];
};

static int
same_counter(const struct model *a, const struct model *b)
{
	return a->counter == b->counter && a->factor == b->factor &&
	    (a->encoding == b->encoding ||
		(a->encoding != NULL && b->encoding != NULL &&
		    strcmp(a->encoding, b->encoding) == 0));
}

static size_t
count_of(struct counts *k, int i)
{
	int j;

	if (k->have[i])
		return k->tokens[i];
	for (j = 0; j < ROUTE_MAX_MODELS; j++)
		if (k->have[j] && same_counter(k->list[i], k->list[j]))
			break;
	k->tokens[i] = j < ROUTE_MAX_MODELS
	    ? k->tokens[j]
	    : tokens_for(k->list[i], k->ctx, k->prompt);
	k->have[i] = 1;
	return k->tokens[i];
}

void
route_choose(const struct route_config *rc, const struct context *ctx,
    const char *prompt, enum route_task task, double max_cost,
    struct route_choice *c)
{
	const struct model *const *list = rc->models[task];
	struct counts k;
	double cost;
	int i, n = rc->nmodels[task], pick = -1, cheapest = -1;

	memset(&k, 0, sizeof(k));
	k.list = list;
	k.ctx = ctx;
	k.prompt = prompt;
	memset(c, 0, sizeof(*c));
	for (i = 0; i < n && pick < 0; i++) {
		if (count_of(&k, i) > (size_t)list[i]->budget)
			continue;
		if (cheapest < 0 || cheaper(list[i], list[cheapest]))
			cheapest = i;
		cost = estimate(rc, list[i], k.tokens[i]);
		if (max_cost < 0 ? i == 0 : cost >= 0 && cost <= max_cost)
			pick = i;
	}
	if (pick < 0 && max_cost >= 0)
		c->over_cap = 1;
	if (pick < 0)
		pick = cheapest >= 0 ? cheapest : 0;
	c->model = list[pick];
	c->tokens = count_of(&k, pick);
	c->fits = c->tokens <= (size_t)c->model->budget;
	c->cost = estimate(rc, c->model, c->tokens);
	if (!c->fits)
		snprintf(c->why, sizeof(c->why),
		    "window: %zu tokens, over the budget of every %s model",
		    c->tokens, route_tasks[task]);
	else if (c->over_cap)
		snprintf(c->why, sizeof(c->why),
		    "cost: no %s model under $%g; %s costs $%.6f",
		    route_tasks[task], max_cost, c->model->name, c->cost);
	else if (pick > 0 && count_of(&k, 0) > (size_t)list[0]->budget)
		snprintf(c->why, sizeof(c->why),
		    "window: %zu tokens, over %s's budget of %ld; %s fits",
		    k.tokens[0], list[0]->name, list[0]->budget,
		    c->model->name);
	else if (pick > 0)
		snprintf(c->why, sizeof(c->why),
		    "cost: %s costs $%.6f, over $%g; %s costs $%.6f",
		    list[0]->name, estimate(rc, list[0], k.tokens[0]), max_cost,
		    c->model->name, c->cost);
	else if (max_cost >= 0)
		snprintf(c->why, sizeof(c->why), "cost: $%.6f, under $%g",
		    c->cost, max_cost);
}

const struct model *
route_auto(
    const struct config *cfg, const struct context *ctx, const char *prompt)
{
	struct route_config rc;
	struct route_result r;
	struct route_choice c;

	if (route_configure(&rc, cfg) != 0)
		return NULL;
	if (route_context(&rc, ctx, &r) != 0) {
		warnx("--auto: no user message to route");
		return NULL;
	}
	route_choose(&rc, ctx, prompt, r.task, -1, &c);
	return c.model;
}
