/* config: the one configuration file, $XDG_CONFIG_HOME/llmpipe/config. */
#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/config.h"
#include "core/util.h"

/* The keys each section may hold; anything else is a typo to report. */
static const char *const top_keys[] = {"model", "system", "retries",
    "connect_timeout", "idle_timeout", "timeout", NULL};
static const char *const model_keys[] = {"provider", "api_id", "context",
    "budget", "max_output", "counter", "price_input", "price_cached",
    "price_output", "prices_as_of", NULL};
static const char *const provider_keys[] = {
    "dialect", "base_url", "api_key", "max_tokens_field", "json_schema", NULL};

static int
known(const char *const *keys, const char *key)
{
	for (; *keys != NULL; keys++)
		if (strcmp(*keys, key) == 0)
			return 1;
	return 0;
}

static const char *const *
keys_of(const char *section)
{
	if (strcmp(section, "model") == 0)
		return model_keys;
	if (strcmp(section, "provider") == 0)
		return provider_keys;
	return top_keys;
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

	buf_reset(&out);
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
	return out.s;
malformed:
	buf_release(&out);
	return NULL;
}

struct parse {
	struct config *c;
	const char *path;
	unsigned line;
	char *section, *name;
};

static int
bad(const struct parse *ps, const char *what)
{
	warnx("%s:%u: %s", ps->path, ps->line, what);
	return -1;
}

/* "[model NAME]" or "[provider NAME]". */
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
	if (name == name_end || memchr(name, ' ', name_end - name) != NULL ||
	    memchr(name, '\t', name_end - name) != NULL)
		return bad(ps,
		    "a section header is [model NAME] or "
		    "[provider NAME]");
	free(ps->section);
	free(ps->name);
	ps->section = xstrndup(s, word_end - s);
	ps->name = xstrndup(name, name_end - name);
	if (strcmp(ps->section, "model") != 0 &&
	    strcmp(ps->section, "provider") != 0)
		return bad(ps,
		    "unknown section; there are [model NAME] and "
		    "[provider NAME]");
	return 0;
}

static int
parse_setting(struct parse *ps, const char *s, const char *end)
{
	const char *eq = memchr(s, '=', end - s), *key_end, *value, *value_end;
	struct config_entry *e;
	char *key, *v;

	if (eq == NULL)
		return bad(ps, "expected 'key = value'");
	s = trim(s, eq, &key_end);
	value = trim(eq + 1, end, &value_end);
	if (s == key_end)
		return bad(ps, "a setting needs a key before '='");
	key = xstrndup(s, key_end - s);
	if (!known(keys_of(ps->section), key)) {
		free(key);
		return bad(ps,
		    ps->section[0] == '\0'
			? "unknown key (see llm-ask(1), CONFIGURATION)"
			: "unknown key for this section (see llm-ask(1))");
	}
	if (value < value_end && *value == '"') {
		v = value_end - value >= 2 && value_end[-1] == '"'
		    ? unquote(value, value_end)
		    : NULL;
		if (v == NULL) {
			free(key);
			return bad(
			    ps, "unterminated or malformed quoted value");
		}
	} else {
		v = xstrndup(value, value_end - value);
	}
	ps->c->v = xreallocarray(ps->c->v, ps->c->n + 1, sizeof(*ps->c->v));
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
	struct parse ps = {c, path, 0, NULL, NULL};
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
	buf_reset(&text);
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

char *
config_default_path(void)
{
	return xdg_path("XDG_CONFIG_HOME", ".config", "config");
}
