/* config: the one configuration file, $XDG_CONFIG_HOME/llmpipe/config. */
#include <err.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/record.h"
#include "core/util.h"

/* The shape a value must have. */
enum shape {
	TEXT,   /* anything */
	LINE,   /* text without a line break: it goes into a header */
	NUMBER, /* a whole number from min to max */
	PRICE,  /* USD per million tokens, 0 or more */
	FACTOR, /* a positive decimal, three places at most */
	DATE,   /* YYYY-MM-DD */
	CHOICE, /* one of the words of choices */
	WEIGHT  /* a decimal from 0 to 100, three places at most */
};

/*
 * Every key the file may hold, by section ("" for the lines before the
 * first header); anything else is a typo to report.  The programs read
 * the values, which are known to be well formed.
 */
static const struct rule {
	const char *section, *key;
	enum shape shape;
	long min, max;
	const char *choices;
} rules[] = {
    {"", "model", LINE, 0, 0, NULL},
    {"", "system", TEXT, 0, 0, NULL},
    {"", "summary_model", LINE, 0, 0, NULL},
    {"", "embed_model", LINE, 0, 0, NULL},
    {"", "retries", NUMBER, 0, 100, NULL},
    {"", "connect_timeout", NUMBER, 1, 86400, NULL},
    {"", "idle_timeout", NUMBER, 0, 86400, NULL},
    {"", "timeout", NUMBER, 0, 86400, NULL},
    {"", "max_event_bytes", NUMBER, 1024, 1L << 30, NULL},
    {"", "max_reply_bytes", NUMBER, 1024, 1L << 30, NULL},
    {"model", "provider", LINE, 0, 0, NULL},
    {"model", "api_id", LINE, 0, 0, NULL},
    {"model", "context", NUMBER, 1, LONG_MAX, NULL},
    {"model", "budget", NUMBER, 1, LONG_MAX, NULL},
    {"model", "max_output", NUMBER, 1, LONG_MAX, NULL},
    {"model", "counter", CHOICE, 0, 0,
	"o200k_base cl100k_base claude deepseek"},
    {"model", "factor", FACTOR, 0, 0, NULL},
    {"model", "price_input", PRICE, 0, 0, NULL},
    {"model", "price_cached", PRICE, 0, 0, NULL},
    {"model", "price_output", PRICE, 0, 0, NULL},
    {"model", "prices_as_of", DATE, 0, 0, NULL},
    {"provider", "dialect", CHOICE, 0, 0, "openai anthropic"},
    {"provider", "base_url", LINE, 0, 0, NULL},
    {"provider", "api_key", LINE, 0, 0, NULL},
    {"provider", "max_tokens_field", LINE, 0, 0, NULL},
    {"provider", "json_schema", CHOICE, 0, 0, "yes no"},
    /* llm-classify and llm-ask --auto; llm-classify(1) */
    {"route", "code", LINE, 0, 0, NULL},
    {"route", "complex", LINE, 0, 0, NULL},
    {"route", "simple", LINE, 0, 0, NULL},
    {"route", "expected_output", NUMBER, 0, 10000000, NULL},
    {"route", "llm_model", LINE, 0, 0, NULL},
    {"route", "llm_timeout", NUMBER, 1, 86400, NULL},
    {"route", "fence", WEIGHT, 0, 0, NULL},
    {"route", "code_lines", WEIGHT, 0, 0, NULL},
    {"route", "error", WEIGHT, 0, 0, NULL},
    {"route", "file", WEIGHT, 0, 0, NULL},
    {"route", "tech", WEIGHT, 0, 0, NULL},
    {"route", "action", WEIGHT, 0, 0, NULL},
    {"route", "analysis", WEIGHT, 0, 0, NULL},
    {"route", "prose", WEIGHT, 0, 0, NULL},
    {"route", "math", WEIGHT, 0, 0, NULL},
    {"route", "negation", WEIGHT, 0, 0, NULL},
    {"route", "greeting", WEIGHT, 0, 0, NULL},
    {"route", "question", WEIGHT, 0, 0, NULL},
    {"route", "length", WEIGHT, 0, 0, NULL},
    {"route", "follow_up", WEIGHT, 0, 0, NULL},
    /* llm-chat, a script, reads these itself; here they are checked. */
    {"chat", "keep", NUMBER, 0, 1000, NULL},
    {"chat", "hits", NUMBER, 0, 100, NULL},
    {"chat", "facts_engine", CHOICE, 0, 0, "rules llm"},
    {"chat", "summary_engine", CHOICE, 0, 0, "extractive llm"},
    {"chat", "max_message", NUMBER, 1, 64L << 20, NULL},
};

/* The sections, and whether each is named: [model NAME]. */
static const struct {
	const char *name;
	int named;
} sections[] = {{"model", 1}, {"provider", 1}, {"route", 0}, {"chat", 0}};

#define NRULES (sizeof(rules) / sizeof(rules[0]))
#define NSECTIONS (sizeof(sections) / sizeof(sections[0]))

static const struct rule *
rule_for(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < NRULES; i++)
		if (strcmp(rules[i].section, section) == 0 &&
		    strcmp(rules[i].key, key) == 0)
			return &rules[i];
	return NULL;
}

static int
one_of(const char *choices, const char *v)
{
	size_t n = strlen(v);
	const char *p;

	if (n == 0)
		return 0;
	for (p = choices; (p = strstr(p, v)) != NULL; p++)
		if ((p == choices || p[-1] == ' ') &&
		    (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

/* Returns 1 if v is digits (at most whole of them), a point and 1-3 more. */
static int
decimal(const char *v, size_t whole_max)
{
	size_t whole = strspn(v, "0123456789"), frac = 0;

	if (v[whole] == '.')
		frac = strspn(v + whole + 1, "0123456789");
	return whole > 0 && whole <= whole_max && frac <= 3 &&
	    v[whole + (v[whole] == '.' ? 1 + frac : 0)] == '\0' &&
	    !(v[whole] == '.' && frac == 0);
}

/* A factor: from 0.001 up.  A weight: from 0 to 100. */
static int
valid_factor(const char *v)
{
	return decimal(v, 6) && strtod(v, NULL) > 0;
}

static int
valid_weight(const char *v)
{
	return decimal(v, 3) && strtod(v, NULL) <= 100;
}

/* Returns why v does not have the shape r asks, or NULL. */
static const char *
check_value(const struct rule *r, const char *v)
{
	static char why[128];
	char *end;
	long n;
	double d;

	switch (r->shape) {
	case LINE:
		return strpbrk(v, "\r\n") != NULL ? "it holds a line break"
						  : NULL;
	case NUMBER:
		return number_check(v, r->min, r->max, &n);
	case PRICE:
		errno = 0;
		d = strtod(v, &end);
		return errno == 0 && end != v && *end == '\0' && d >= 0 &&
			d < 1e9
		    ? NULL
		    : "expected a price, USD per million tokens";
	case FACTOR:
		return valid_factor(v) ? NULL
				       : "expected a positive number such as "
					 "1.25 (three decimals at most)";
	case DATE:
		return record_date_valid(v) && strlen(v) == 10
		    ? NULL
		    : "expected a date, YYYY-MM-DD";
	case WEIGHT:
		return valid_weight(v) ? NULL
				       : "expected a weight from 0 to 100, "
					 "such as 2.5 (three decimals at most)";
	case CHOICE:
		if (one_of(r->choices, v))
			return NULL;
		snprintf(why, sizeof(why), "expected one of: %s", r->choices);
		return why;
	default:
		return NULL;
	}
}

static const char *
trim(const char *s, const char *end, const char **trimmed_end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	while (
	    end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	*trimmed_end = end;
	return s;
}

/* Undoes the quoting of a "..." value; NULL if it is malformed. */
static char *
unquote(const char *s, const char *end)
{
	struct buf out = BUF_INIT;

	for (s++, end--; s < end; s++) {
		if (*s == '"')
			goto malformed; /* a quote before the closing one */
		if (*s != '\\') {
			buf_add(&out, s, 1);
			continue;
		}
		if (++s == end || *s == '\0' || strchr("nt\"\\", *s) == NULL)
			goto malformed;
		buf_add(&out, *s == 'n' ? "\n" : *s == 't' ? "\t" : s, 1);
	}
	return buf_detach(&out);
malformed:
	buf_release(&out);
	return NULL;
}

struct parse {
	struct config *c;
	const char *path;
	unsigned line;
	char *section, *name;
	struct buf where; /* " in [model qwen]", or "" before any header */
};

static int bad(const struct parse *ps, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
bad(const struct parse *ps, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: %s:%u: ", program_invocation_short_name, ps->path,
	    ps->line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return -1;
}

static int
known_section(const char *name, int named)
{
	size_t i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(sections[i].name, name) == 0)
			return sections[i].named == named;
	return 0;
}

/* "[model NAME]", "[provider NAME]". */
static int
parse_header(struct parse *ps, const char *s, const char *end)
{
	const char *word_end, *name, *name_end;

	if (end[-1] != ']')
		return bad(ps, "a section header must end with ']'");
	s = trim(s + 1, end - 1, &end);
	for (word_end = s;
	     word_end < end && *word_end != ' ' && *word_end != '\t';
	     word_end++)
		;
	name = trim(word_end, end, &name_end);
	if (memchr(name, ' ', name_end - name) != NULL ||
	    memchr(name, '\t', name_end - name) != NULL)
		return bad(ps, "a section's name is one word");
	free(ps->section);
	free(ps->name);
	ps->section = xstrndup(s, word_end - s);
	ps->name = xstrndup(name, name_end - name);
	if (!known_section(ps->section, name < name_end))
		return bad(ps,
		    "unknown section '[%.*s]'; there are [model NAME], "
		    "[provider NAME], [route] and [chat]",
		    (int)(end - s), s);
	buf_reset(&ps->where);
	buf_printf(&ps->where, " in [%.*s]", (int)(end - s), s);
	return 0;
}

/* The value after '=', unquoted; NULL (reported) if malformed. */
static char *
parse_value(struct parse *ps, const char *value, const char *value_end)
{
	char *v;

	if (value == value_end || *value != '"')
		return xstrndup(value, value_end - value);
	v = value_end - value >= 2 && value_end[-1] == '"'
	    ? unquote(value, value_end)
	    : NULL;
	if (v == NULL)
		bad(ps, "unterminated or malformed quoted value");
	return v;
}

static int
parse_setting(struct parse *ps, const char *s, const char *end)
{
	const char *eq = memchr(s, '=', end - s), *key_end, *value, *value_end;
	const struct rule *r;
	struct config_entry *e;
	const char *why;
	char *key, *v;

	if (eq == NULL)
		return bad(ps, "expected 'key = value'");
	s = trim(s, eq, &key_end);
	value = trim(eq + 1, end, &value_end);
	if (s == key_end)
		return bad(ps, "a setting needs a key before '='");
	key = xstrndup(s, key_end - s);
	if ((r = rule_for(ps->section, key)) == NULL) {
		bad(ps, "unknown key '%s'%s", key,
		    ps->where.len > 0 ? ps->where.s
				      : " before the first section");
		free(key);
		return -1;
	}
	if ((v = parse_value(ps, value, value_end)) == NULL) {
		free(key);
		return -1;
	}
	if ((why = check_value(r, v)) != NULL) {
		/* Never a key in a message, not even a bad one. */
		if (strcmp(key, "api_key") == 0)
			bad(ps, "bad value for 'api_key'%s: %s", ps->where.s,
			    why);
		else
			bad(ps, "bad value '%s' for '%s'%s: %s", v, key,
			    ps->where.s, why);
		free(key);
		free(v);
		return -1;
	}
	ARRAY_GROW(ps->c->v, ps->c->n, ps->c->cap);
	e = &ps->c->v[ps->c->n++];
	e->section = xstrdup(ps->section);
	e->name = xstrdup(ps->name);
	e->key = key;
	e->value = v;
	e->line = ps->line;
	return 0;
}

int
config_parse(struct config *c, const char *path, const char *text, size_t len)
{
	struct parse ps = {c, path, 0, NULL, NULL, BUF_INIT};
	const char *end = text + len, *nl, *s, *line_end;
	int rc = 0;

	ps.section = xstrndup("", 0);
	ps.name = xstrndup("", 0);
	while (rc == 0 && text < end) {
		ps.line++;
		nl = memchr(text, '\n', end - text);
		line_end = nl != NULL ? nl : end;
		s = trim(text, line_end, &line_end);
		text = nl != NULL ? nl + 1 : end;
		if (memchr(s, '\0', line_end - s) != NULL)
			rc = bad(&ps, "a NUL byte");
		else if (s == line_end || *s == '#')
			continue;
		else if (*s == '[')
			rc = parse_header(&ps, s, line_end);
		else
			rc = parse_setting(&ps, s, line_end);
	}
	free(ps.section);
	free(ps.name);
	buf_release(&ps.where);
	return rc;
}

/* A key in a file others can read is no longer a secret. */
static int
check_private(const struct config *c, mode_t mode)
{
	size_t i;

	if ((mode & 077) == 0)
		return 0;
	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, "api_key") == 0) {
			warnx("%s: holds an API key but others may read it "
			      "(mode %04o); run: chmod 600 %s",
			    c->path, (unsigned)(mode & 07777), c->path);
			return -1;
		}
	return 0;
}

int
config_load(struct config *c, const char *path)
{
	struct buf text = BUF_INIT;
	struct stat st;
	FILE *fp;
	int rc;

	memset(c, 0, sizeof(*c));
	if (path == NULL)
		return 0;
	if ((fp = fopen(path, "re")) == NULL) {
		if (errno == ENOENT)
			return 0;
		warn("%s", path);
		return -1;
	}
	if (fstat(fileno(fp), &st) != 0 || !S_ISREG(st.st_mode)) {
		warnx("%s: not a regular file", path);
		fclose(fp);
		return -1;
	}
	if (buf_read(&text, fp) < 0) {
		warn("%s", path);
		fclose(fp);
		buf_release(&text);
		return -1;
	}
	fclose(fp);
	c->path = xstrdup(path);
	rc = config_parse(c, path, text.s, text.len);
	buf_release(&text);
	if (rc == 0)
		rc = check_private(c, st.st_mode);
	return rc;
}

void
config_release(struct config *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		free(c->v[i].section);
		free(c->v[i].name);
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	free(c->path);
	memset(c, 0, sizeof(*c));
}

const char *
config_get(const struct config *c, const char *section, const char *name,
    const char *key)
{
	const char *value = NULL;
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->v[i].section, section) == 0 &&
		    strcmp(c->v[i].name, name) == 0 &&
		    strcmp(c->v[i].key, key) == 0)
			value = c->v[i].value;
	return value;
}

long
config_number(const struct config *c, const char *section, const char *name,
    const char *key, long dflt)
{
	const char *v = config_get(c, section, name, key);

	return v != NULL ? strtol(v, NULL, 10) : dflt;
}

char *
config_default_path(void)
{
	return xdg_path("XDG_CONFIG_HOME", ".config", "config");
}
