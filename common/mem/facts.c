/* facts: a coding session's facts, found by rules and kept current. */
#include <ctype.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/msg.h"
#include "core/record.h"
#include "core/util.h"
#include "mem/codescan.h"
#include "mem/facts.h"

/* The longest content the rules give a fact, in bytes. */
#define MAX_CONTENT 200
/* The most words a decision's, preference's or todo's subject has. */
#define MAX_SUBJECT_WORDS 8
/* How much of the text before a block says what the block is. */
#define LEAD_IN 400

static const char K_FILE_CREATED[] = "file_created";
static const char K_FILE_MODIFIED[] = "file_modified";
static const char K_FILE_DELETED[] = "file_deleted";
static const char K_FUNCTION_ADDED[] = "function_added";
static const char K_FUNCTION_REMOVED[] = "function_removed";
static const char K_DECISION[] = "decision";
static const char K_PREFERENCE[] = "preference";
static const char K_TODO[] = "todo";

void
facts_found_reset(struct facts_found *f)
{
	size_t i;

	for (i = 0; i < f->n; i++) {
		free(f->v[i].subject);
		free(f->v[i].content);
	}
	f->n = 0;
}

void
facts_found_release(struct facts_found *f)
{
	facts_found_reset(f);
	free(f->v);
	f->v = NULL;
	f->cap = 0;
}

/* Returns 1 if the n bytes at s are one of the words of list. */
static int
word_in_list(const char *s, size_t n, const char *const *list)
{
	for (; *list != NULL; list++)
		if (strlen(*list) == n && memcmp(s, *list, n) == 0)
			return 1;
	return 0;
}

/* [s, e) without the white space around it. */
static struct code_span
trimmed_span(const char *s, const char *e)
{
	while (s < e && isspace((unsigned char)*s))
		s++;
	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	return (struct code_span){s, (size_t)(e - s)};
}

/* Appends s (len bytes) with its white space runs made one space. */
static void
add_collapsed(struct buf *out, const char *s, size_t len)
{
	const char *e = s + len;
	int space = 0;
	char *o;

	buf_grow(out, len); /* never longer than the text */
	for (o = out->s + out->len; s < e; s++) {
		if (isspace((unsigned char)*s)) {
			space = o > out->s;
			continue;
		}
		if (space)
			*o++ = ' ';
		space = 0;
		*o++ = *s;
	}
	out->len = (size_t)(o - out->s);
	out->s[out->len] = '\0';
}

/*
 * Cuts out to at most MAX_CONTENT bytes, at a space if there is one
 * near the end, never inside a UTF-8 character, and marks the cut.
 */
static void
cap_content(struct buf *out)
{
	size_t n = MAX_CONTENT - 3, i;

	if (out->len <= MAX_CONTENT)
		return;
	for (i = n; i > n - 40; i--)
		if (out->s[i] == ' ')
			break;
	if (out->s[i] == ' ')
		n = i;
	while (n > 0 && ((unsigned char)out->s[n] & 0xc0) == 0x80)
		n--;
	out->len = n;
	buf_addstr(out, "...");
}

/*
 * Adds a find to out, unless its kind and subject are there already: a
 * strong find then takes the place of a weak one.
 */
static void
found_add(struct facts_found *out, const char *kind, const char *subject,
    size_t subject_len, const struct buf *content, size_t at, int flags)
{
	struct fact_found *f;
	size_t i;

	if (subject_len == 0)
		return;
	for (i = 0; i < out->n; i++) {
		f = &out->v[i];
		if (f->kind != kind || strlen(f->subject) != subject_len ||
		    memcmp(f->subject, subject, subject_len) != 0)
			continue;
		if ((f->flags & FOUND_WEAK) && !(flags & FOUND_WEAK)) {
			free(f->content);
			f->content = xstrdup(content->s);
			f->flags = flags;
		}
		return;
	}
	ARRAY_GROW(out->v, out->n, out->cap);
	f = &out->v[out->n++];
	f->kind = kind;
	f->subject = xstrndup(subject, subject_len);
	f->content = xstrdup(content->s);
	f->at = at;
	f->flags = flags;
}

/*
 * Blocks of code
 *
 * A message's code is in fences, or in diffs written without one.
 * Whether a block adds code or quotes it (for review, as an example,
 * as a log or as commands to run) is said by the words before it: the
 * last telling phrase wins; with none, the assistant's code is added
 * and the user's quoted, as the user mostly shows code to ask about it.
 */
enum intent { QUOTES, ADDS };
enum file_hint { HINT_NONE, HINT_CREATE, HINT_MODIFY };

static const struct cue {
	const char *phrase;
	enum intent intent;
	enum file_hint hint;
	int user; /* also in a user's words */
} cues[] = {
    /* What is shown is new. */
    {"here's the fix", ADDS, HINT_MODIFY, 0},
    {"here is the fix", ADDS, HINT_MODIFY, 0},
    {"fixed version", ADDS, HINT_MODIFY, 0},
    {"corrected version", ADDS, HINT_MODIFY, 0},
    {"updated version", ADDS, HINT_MODIFY, 0},
    {"the updated", ADDS, HINT_MODIFY, 0},
    {"new version", ADDS, HINT_MODIFY, 0},
    {"a version that", ADDS, HINT_NONE, 0},
    {"change it to", ADDS, HINT_MODIFY, 0},
    {"replace it with", ADDS, HINT_MODIFY, 0},
    {"replace", ADDS, HINT_MODIFY, 0},
    {"should look like", ADDS, HINT_MODIFY, 0},
    {"becomes", ADDS, HINT_MODIFY, 0},
    {"after:", ADDS, HINT_MODIFY, 0},
    {"add this", ADDS, HINT_MODIFY, 0},
    {"add these", ADDS, HINT_MODIFY, 0},
    {"add the following", ADDS, HINT_MODIFY, 0},
    {"append", ADDS, HINT_MODIFY, 0},
    {"put this", ADDS, HINT_NONE, 0},
    {"insert", ADDS, HINT_MODIFY, 0},
    {"update ", ADDS, HINT_MODIFY, 0},
    {"create ", ADDS, HINT_CREATE, 0},
    {"new file", ADDS, HINT_CREATE, 0},
    {"save this", ADDS, HINT_CREATE, 0},
    {"save it", ADDS, HINT_CREATE, 0},
    {"save as", ADDS, HINT_CREATE, 0},
    {"implement", ADDS, HINT_NONE, 0},
    {"here's the", ADDS, HINT_NONE, 0},
    {"here is the", ADDS, HINT_NONE, 0},
    {"here's a", ADDS, HINT_NONE, 0},
    {"here is a", ADDS, HINT_NONE, 0},
    {"here's an", ADDS, HINT_NONE, 0},
    {"the fix", ADDS, HINT_MODIFY, 0},
    {"rewrite", ADDS, HINT_MODIFY, 0},
    {"full file", ADDS, HINT_NONE, 0},
    {"final version", ADDS, HINT_NONE, 0},
    {"i added", ADDS, HINT_MODIFY, 1},
    {"i've added", ADDS, HINT_MODIFY, 1},
    {"i have added", ADDS, HINT_MODIFY, 1},
    {"i wrote", ADDS, HINT_NONE, 1},
    {"i've written", ADDS, HINT_NONE, 1},
    {"i created", ADDS, HINT_CREATE, 1},
    {"i've created", ADDS, HINT_CREATE, 1},
    {"i implemented", ADDS, HINT_NONE, 1},
    {"i've implemented", ADDS, HINT_NONE, 1},
    {"i changed", ADDS, HINT_MODIFY, 1},
    {"i've changed", ADDS, HINT_MODIFY, 1},
    {"i updated", ADDS, HINT_MODIFY, 1},
    {"i've updated", ADDS, HINT_MODIFY, 1},
    {"i made", ADDS, HINT_MODIFY, 1},
    {"i've made", ADDS, HINT_MODIFY, 1},
    {"i refactored", ADDS, HINT_MODIFY, 1},
    {"i rewrote", ADDS, HINT_MODIFY, 1},
    {"i fixed", ADDS, HINT_MODIFY, 1},
    {"i've fixed", ADDS, HINT_MODIFY, 1},
    {"i applied", ADDS, HINT_MODIFY, 1},
    /* What is shown is there already, or is not code to keep. */
    {"your code", QUOTES, HINT_NONE, 1},
    {"in your", QUOTES, HINT_NONE, 1},
    {"of your", QUOTES, HINT_NONE, 1},
    {"your current", QUOTES, HINT_NONE, 1},
    {"your version", QUOTES, HINT_NONE, 1},
    {"your implementation", QUOTES, HINT_NONE, 1},
    {"your original", QUOTES, HINT_NONE, 1},
    {"your function", QUOTES, HINT_NONE, 1},
    {"you have", QUOTES, HINT_NONE, 1},
    {"you wrote", QUOTES, HINT_NONE, 1},
    {"you've got", QUOTES, HINT_NONE, 1},
    {"currently", QUOTES, HINT_NONE, 1},
    {"the current", QUOTES, HINT_NONE, 1},
    {"existing", QUOTES, HINT_NONE, 1},
    {"the original", QUOTES, HINT_NONE, 1},
    {"the old", QUOTES, HINT_NONE, 1},
    {"before:", QUOTES, HINT_NONE, 1},
    {"this is what", QUOTES, HINT_NONE, 1},
    {"this part", QUOTES, HINT_NONE, 1},
    {"look at this", QUOTES, HINT_NONE, 1},
    {"call it like", QUOTES, HINT_NONE, 1},
    {"call it as", QUOTES, HINT_NONE, 1},
    {"for example", QUOTES, HINT_NONE, 1},
    {"example:", QUOTES, HINT_NONE, 1},
    {"usage:", QUOTES, HINT_NONE, 1},
    {"you can call", QUOTES, HINT_NONE, 1},
    {"you can use it", QUOTES, HINT_NONE, 1},
    {"to use it", QUOTES, HINT_NONE, 1},
    {"run:", QUOTES, HINT_NONE, 1},
    {"run the", QUOTES, HINT_NONE, 1},
    {"run this", QUOTES, HINT_NONE, 1},
    {"to run", QUOTES, HINT_NONE, 1},
    {"output:", QUOTES, HINT_NONE, 1},
    {"the output", QUOTES, HINT_NONE, 1},
    {"prints", QUOTES, HINT_NONE, 1},
    {"you'll see", QUOTES, HINT_NONE, 1},
    {"you should see", QUOTES, HINT_NONE, 1},
    {"i ran", QUOTES, HINT_NONE, 1},
    {"i get", QUOTES, HINT_NONE, 1},
    {"i'm getting", QUOTES, HINT_NONE, 1},
    {"i got", QUOTES, HINT_NONE, 1},
    {"here's my", QUOTES, HINT_NONE, 1},
    {"here is my", QUOTES, HINT_NONE, 1},
    {"this is my", QUOTES, HINT_NONE, 1},
    {"my code", QUOTES, HINT_NONE, 1},
    {"review", QUOTES, HINT_NONE, 1},
    {"why does", QUOTES, HINT_NONE, 1},
    {"what's wrong", QUOTES, HINT_NONE, 1},
    {"doesn't work", QUOTES, HINT_NONE, 1},
    {"does not work", QUOTES, HINT_NONE, 1},
    {"not working", QUOTES, HINT_NONE, 1},
    {"traceback", QUOTES, HINT_NONE, 1},
    {"stack trace", QUOTES, HINT_NONE, 1},
    {"install", QUOTES, HINT_NONE, 1},
    {"in a terminal", QUOTES, HINT_NONE, 1},
    {"command", QUOTES, HINT_NONE, 1},
};

/* Lower-cases the n bytes at s into out (ASCII; ’ becomes '). */
static void
add_lower(struct buf *out, const char *s, size_t n)
{
	const char *e = s + n;
	char *o;

	buf_grow(out, n); /* never longer than the text */
	for (o = out->s + out->len; s < e; s++) {
		if ((unsigned char)*s == 0xe2 && e - s >= 3 &&
		    memcmp(s, "\xe2\x80\x99", 3) == 0) {
			*o++ = '\'';
			s += 2;
			continue;
		}
		*o++ = (char)tolower((unsigned char)*s);
	}
	out->len = (size_t)(o - out->s);
	out->s[out->len] = '\0';
}

/* Returns 1 if a word can begin or end at offset at of text. */
static int
word_edge(const char *text, size_t len, size_t at)
{
	return at == 0 || at >= len || !isalnum((unsigned char)text[at - 1]) ||
	    !isalnum((unsigned char)text[at]);
}

/*
 * What the lead-in (the lower-cased words before a block) says of it:
 * adds or quotes, and whether a file is created or changed.
 */
static enum intent
block_intent(const struct buf *lead, int from_user, enum file_hint *hint)
{
	const char *p;
	size_t i, n, best = 0, at;
	int found = 0;
	enum intent intent = from_user ? QUOTES : ADDS;

	*hint = HINT_NONE;
	for (i = 0; i < sizeof(cues) / sizeof(cues[0]); i++) {
		if (from_user && !cues[i].user)
			continue;
		n = strlen(cues[i].phrase);
		for (p = lead->s; (p = strstr(p, cues[i].phrase)) != NULL;
		     p++) {
			at = (size_t)(p - lead->s);
			if (!word_edge(lead->s, lead->len, at) ||
			    !word_edge(lead->s, lead->len, at + n))
				continue;
			if (!found || at + n > best) {
				best = at + n;
				intent = cues[i].intent;
				*hint = cues[i].hint;
				found = 1;
			}
		}
	}
	return intent;
}

/* The last path written in the last sentence of the lead-in, if any. */
static struct code_span
lead_in_path(const char *s, size_t len)
{
	struct code_span none = {NULL, 0}, best = none;
	const char *p = s, *e = s + len, *q, *w;

	while (e > s && isspace((unsigned char)e[-1]))
		e--;
	/* Its last sentence: after the last ". " or blank line. */
	for (q = s; q + 1 < e; q++)
		if ((q[0] == '.' && isspace((unsigned char)q[1])) ||
		    (q[0] == '\n' && q[1] == '\n'))
			p = q + 1;
	while (p < e) {
		if (*p == '`') {
			q = memchr(p + 1, '`', (size_t)(e - p - 1));
			if (q == NULL)
				break;
			if (code_is_path(p + 1, (size_t)(q - p - 1)))
				best = (struct code_span){
				    p + 1, (size_t)(q - p - 1)};
			p = q + 1;
			continue;
		}
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		for (w = p; p < e && !isspace((unsigned char)*p) && *p != '`';
		     p++)
			;
		q = p;
		while (q > w && strchr(".,:;)!?'\"", q[-1]) != NULL)
			q--;
		if (q > w && (memchr(w, '/', (size_t)(q - w)) != NULL) &&
		    code_is_path(w, (size_t)(q - w)))
			best = (struct code_span){w, (size_t)(q - w)};
	}
	return best;
}

static size_t
count_lines(const char *s, size_t len)
{
	size_t n = 0, i;

	for (i = 0; i < len; i++)
		n += s[i] == '\n';
	return n + (len > 0 && s[len - 1] != '\n');
}

/* "c, 31 lines; defines a, b, c", of a file's code. */
static void
describe_code(struct buf *out, enum code_lang lang, size_t lines,
    const struct code_defs *defs, const char *verb)
{
	size_t i;

	buf_reset(out);
	if (code_lang_name(lang) != NULL && lang != CODE_DIFF)
		buf_printf(out, "%s, ", code_lang_name(lang));
	buf_printf(out, "%zu line%s", lines, lines == 1 ? "" : "s");
	for (i = 0; defs != NULL && i < defs->n && i < 6; i++)
		buf_printf(out, "%s%.*s", i == 0 ? verb : ", ",
		    (int)defs->v[i].name.len, defs->v[i].name.s);
	if (defs != NULL && defs->n > 6)
		buf_addstr(out, ", ...");
	cap_content(out);
}

/* "c, src/x.c: int f(void)", of a definition. */
static void
describe_def(struct buf *out, enum code_lang lang, const struct code_span *path,
    const struct code_def *d)
{
	struct code_span l = d->line;

	buf_reset(out);
	if (code_lang_name(lang) != NULL && lang != CODE_DIFF)
		buf_printf(out, "%s", code_lang_name(lang));
	if (path->len > 0)
		buf_printf(out, "%s%.*s", out->len > 0 ? ", " : "",
		    (int)path->len, path->s);
	if (out->len > 0)
		buf_addstr(out, ": ");
	/* The head of the definition, without its body's brace. */
	while (l.len > 0 &&
	    (l.s[l.len - 1] == '{' ||
		(lang == CODE_PYTHON && l.s[l.len - 1] == ':') ||
		isspace((unsigned char)l.s[l.len - 1])))
		l.len--;
	if (l.len > 120)
		l.len = 120;
	if (d->head.len > 0 && d->head.len < 60) {
		add_collapsed(out, d->head.s, d->head.len);
		if (d->head.s[d->head.len - 1] != '*')
			buf_add(out, " ", 1);
	}
	add_collapsed(out, l.s, l.len);
	cap_content(out);
}

static void todo_subject(const char *s, size_t len, struct buf *out);

static void
add_todos(struct facts_found *out, const struct code_spans *todos,
    const struct code_span *path, size_t at, struct buf *content,
    struct buf *subject)
{
	size_t i;

	for (i = 0; i < todos->n; i++) {
		buf_reset(subject);
		todo_subject(todos->v[i].s, todos->v[i].len, subject);
		buf_reset(content);
		if (path->len > 0)
			buf_printf(
			    content, "TODO in %.*s: ", (int)path->len, path->s);
		else
			buf_addstr(content, "TODO: ");
		add_collapsed(content, todos->v[i].s, todos->v[i].len);
		cap_content(content);
		found_add(
		    out, K_TODO, subject->s, subject->len, content, at, 0);
	}
}

/* Returns 1 if defs has a definition called name. */
static int
has_def(const struct code_defs *defs, const struct code_span *name)
{
	size_t i;

	for (i = 0; i < defs->n; i++)
		if (defs->v[i].name.len == name->len &&
		    memcmp(defs->v[i].name.s, name->s, name->len) == 0)
			return 1;
	return 0;
}

/* The facts of one file of a diff that a message adds. */
static void
diff_file_facts(const struct diff_file *df, size_t at, struct facts_found *out)
{
	struct code_defs added = CODE_DEFS_INIT, removed = CODE_DEFS_INIT,
			 all = CODE_DEFS_INIT;
	struct code_spans todos = CODE_SPANS_INIT;
	struct buf content = BUF_INIT, subject = BUF_INIT;
	const struct code_span *path =
	    df->new_path.len > 0 ? &df->new_path : &df->old_path;
	enum code_lang lang = code_lang_of_path(path->s, path->len);
	size_t i;

	if (path->len == 0)
		return;
	diff_find_defs(df, lang, DIFF_NEW, 0, &added);
	diff_find_defs(df, lang, DIFF_OLD, 0, &removed);
	diff_find_defs(df, lang, DIFF_NEW, 1, &all);
	switch (df->change) {
	case DIFF_CREATED:
		describe_code(&content, lang, df->added, &added, "; defines ");
		found_add(
		    out, K_FILE_CREATED, path->s, path->len, &content, at, 0);
		break;
	case DIFF_DELETED:
		buf_printf(&content, "deleted, %zu line%s", df->removed,
		    df->removed == 1 ? "" : "s");
		found_add(
		    out, K_FILE_DELETED, path->s, path->len, &content, at, 0);
		break;
	case DIFF_RENAMED:
		buf_printf(&content, "renamed to %.*s", (int)df->new_path.len,
		    df->new_path.s);
		found_add(out, K_FILE_DELETED, df->old_path.s, df->old_path.len,
		    &content, at, 0);
		buf_reset(&content);
		buf_printf(&content, "renamed from %.*s", (int)df->old_path.len,
		    df->old_path.s);
		found_add(
		    out, K_FILE_CREATED, path->s, path->len, &content, at, 0);
		break;
	default:
		buf_printf(&content, "+%zu -%zu lines", df->added, df->removed);
		for (i = 0; i < added.n && i < 6; i++)
			buf_printf(&content, "%s%.*s",
			    i == 0 ? "; adds " : ", ", (int)added.v[i].name.len,
			    added.v[i].name.s);
		cap_content(&content);
		found_add(
		    out, K_FILE_MODIFIED, path->s, path->len, &content, at, 0);
		break;
	}
	for (i = 0; i < added.n; i++) {
		describe_def(&content, lang, path, &added.v[i]);
		found_add(out, K_FUNCTION_ADDED, added.v[i].name.s,
		    added.v[i].name.len, &content, at, 0);
	}
	/* Removed: defined on a removed line and nowhere in the new file. */
	for (i = 0; i < removed.n; i++) {
		if (has_def(&all, &removed.v[i].name))
			continue;
		buf_reset(&content);
		/* From the old file, when a rename gave it a new name. */
		buf_printf(&content, "removed from %.*s",
		    (int)(df->old_path.len > 0 ? df->old_path.len : path->len),
		    df->old_path.len > 0 ? df->old_path.s : path->s);
		found_add(out, K_FUNCTION_REMOVED, removed.v[i].name.s,
		    removed.v[i].name.len, &content, at, 0);
	}
	diff_find_todos(df, &todos);
	add_todos(out, &todos, path, at, &content, &subject);
	code_spans_release(&todos);
	code_defs_release(&added);
	code_defs_release(&removed);
	code_defs_release(&all);
	buf_release(&content);
	buf_release(&subject);
}

static void
diff_facts(const char *s, size_t len, size_t at, struct facts_found *out)
{
	struct diff_file df;
	size_t pos = 0;

	while (diff_next_file(s, len, &pos, &df))
		diff_file_facts(&df, at + df.start, out);
}

/*
 * The facts of a fenced block that a message adds: the file it names
 * (or the lead-in names), the functions it defines, its TODOs.
 */
static void
fence_facts(const struct code_fence *f, const char *lead, size_t lead_len,
    enum file_hint hint, size_t at, struct facts_found *out)
{
	struct code_defs defs = CODE_DEFS_INIT;
	struct code_spans todos = CODE_SPANS_INIT;
	struct buf content = BUF_INIT, subject = BUF_INIT;
	struct code_span path = f->path;
	enum code_lang lang = f->lang;
	const char *kind;
	size_t i;

	if (lang == CODE_DIFF) {
		diff_facts(f->body.s, f->body.len, at, out);
		return;
	}
	if (path.len == 0) {
		path = lead_in_path(lead, lead_len);
		if (path.len > 0 && (lang == CODE_UNKNOWN))
			lang = code_lang_of_path(path.s, path.len);
	}
	code_find_defs(lang, f->body.s, f->body.len, &defs);
	if (path.len > 0) {
		kind = hint == HINT_MODIFY ? K_FILE_MODIFIED : K_FILE_CREATED;
		describe_code(&content, lang,
		    count_lines(f->body.s, f->body.len), &defs, "; defines ");
		found_add(out, kind, path.s, path.len, &content, at,
		    hint == HINT_NONE ? FOUND_GUESS : 0);
	}
	for (i = 0; i < defs.n; i++) {
		describe_def(&content, lang, &path, &defs.v[i]);
		found_add(out, K_FUNCTION_ADDED, defs.v[i].name.s,
		    defs.v[i].name.len, &content, at, 0);
	}
	if (lang != CODE_OTHER) {
		code_find_todos(f->body.s, f->body.len, &todos);
		add_todos(out, &todos, &path, at, &content, &subject);
	}
	code_spans_release(&todos);
	code_defs_release(&defs);
	buf_release(&content);
	buf_release(&subject);
}

/*
 * Prose
 *
 * Prose is cut into units (paragraphs, list items, headings), units
 * into sentences, sentences into tokens: words, `code` and punctuation,
 * each with a lower-cased key.  Phrases that commit to something
 * ("let's go with", "I prefer", "TODO:") and verbs of work done on
 * files ("I created", "removed") are found among the tokens.
 */
enum tok_type { TOK_WORD, TOK_CODE, TOK_PUNCT };

struct tok {
	const char *s; /* the text; for code, between the backticks */
	size_t len;
	const char *outer; /* with the backticks */
	size_t outer_len;
	size_t key; /* of its NUL-terminated key in keys */
	enum tok_type type;
};

struct toks {
	struct tok *v;
	size_t n, cap;
	struct buf keys;
};

#define KEY(t, i) ((t)->keys.s + (t)->v[i].key)

static void
tok_add(struct toks *t, enum tok_type type, const char *s, size_t len,
    const char *outer, size_t outer_len)
{
	struct tok *k;

	ARRAY_GROW(t->v, t->n, t->cap);
	k = &t->v[t->n++];
	*k = (struct tok){s, len, outer, outer_len, t->keys.len, type};
	add_lower(&t->keys, s, len);
	buf_add(&t->keys, "", 1);
}

/* The length of a typographic punctuation mark at p, or 0. */
static size_t
unicode_punct(const char *p, const char *e)
{
	static const char *const marks[] = {"\xe2\x80\x9c", "\xe2\x80\x9d",
	    "\xe2\x80\x98", "\xe2\x80\x94", "\xe2\x80\x93", "\xe2\x86\x92",
	    "\xe2\x80\xa6", NULL};
	const char *const *m;

	if (e - p < 3 || (unsigned char)*p != 0xe2)
		return 0;
	for (m = marks; *m != NULL; m++)
		if (memcmp(p, *m, 3) == 0)
			return 3;
	return 0;
}

static int
word_byte(const char *p, const char *e)
{
	/* The bytes of a word besides letters and digits: _-/.~'+#@ */
	static const unsigned char extra[256] = {['_'] = 1,
	    ['-'] = 1,
	    ['/'] = 1,
	    ['.'] = 1,
	    ['~'] = 1,
	    ['\''] = 1,
	    ['+'] = 1,
	    ['#'] = 1,
	    ['@'] = 1};
	unsigned char c = (unsigned char)*p;

	if (c < 0x80)
		return isalnum(c) || extra[c];
	return unicode_punct(p, e) == 0;
}

static void
tokenize(const char *s, size_t len, struct toks *t)
{
	const char *p = s, *e = s + len, *q, *w, *close;
	size_t run, n;

	while (p < e) {
		if (isspace((unsigned char)*p)) {
			p++;
			continue;
		}
		if (*p == '`') {
			for (q = p; q < e && *q == '`'; q++)
				;
			run = (size_t)(q - p);
			for (close = q; close < e; close++) {
				if (*close != '`')
					continue;
				for (w = close; w < e && *w == '`'; w++)
					;
				if ((size_t)(w - close) == run)
					break;
				close = w - 1;
			}
			if (close < e) {
				struct code_span in = trimmed_span(q, close);

				tok_add(t, TOK_CODE, in.s, in.len, p,
				    (size_t)(close + run - p));
				p = close + run;
				continue;
			}
			tok_add(t, TOK_PUNCT, p, run, p, run);
			p = q;
			continue;
		}
		if (word_byte(p, e)) {
			for (w = p; p < e && word_byte(p, e); p++)
				;
			/* A word's last dots, dashes and quotes are not its. */
			for (q = p; q > w && strchr(".-'", q[-1]) != NULL; q--)
				;
			while (w < q && *w == '\'')
				w++;
			if (q > w) {
				tok_add(t, TOK_WORD, w, (size_t)(q - w), w,
				    (size_t)(q - w));
				p = q;
				continue;
			}
			p = w;
		}
		if ((n = unicode_punct(p, e)) == 0)
			n = 1;
		if (*p != '*') /* emphasis: **Decision:** */
			tok_add(t, TOK_PUNCT, p, n, p, n);
		p += n;
	}
}

enum action { A_DECIDE, A_PREFER, A_TODO, A_DROP, A_SWITCH, A_FILE };

enum verb { V_NONE, V_CREATE, V_MODIFY, V_DELETE, V_RENAME };

#define T_START 1 /* only where a sentence starts */
#define T_USER 2  /* only in the user's words: an order, not advice */
#define T_TIME 4  /* a todo only with a time: later, eventually... */

/*
 * The phrases, as lower-case words; ":" and "," are those marks.  The
 * longest phrase that matches at a word is the one taken.
 */
static const struct trigger {
	const char *words;
	enum action action;
	int flags;
	enum verb verb;
} triggers[] = {
    {"let's go with", A_DECIDE, 0, V_NONE},
    {"let's use", A_DECIDE, 0, V_NONE},
    {"let's stick with", A_DECIDE, 0, V_NONE},
    {"let's switch to", A_DECIDE, 0, V_NONE},
    {"let's move to", A_DECIDE, 0, V_NONE},
    {"let's adopt", A_DECIDE, 0, V_NONE},
    {"let's pick", A_DECIDE, 0, V_NONE},
    {"let's choose", A_DECIDE, 0, V_NONE},
    {"let's standardize on", A_DECIDE, 0, V_NONE},
    {"let's settle on", A_DECIDE, 0, V_NONE},
    {"let's opt for", A_DECIDE, 0, V_NONE},
    {"let us use", A_DECIDE, 0, V_NONE},
    {"let us go with", A_DECIDE, 0, V_NONE},
    {"we'll go with", A_DECIDE, 0, V_NONE},
    {"we will go with", A_DECIDE, 0, V_NONE},
    {"we'll use", A_DECIDE, 0, V_NONE},
    {"we will use", A_DECIDE, 0, V_NONE},
    {"we'll stick with", A_DECIDE, 0, V_NONE},
    {"we'll switch to", A_DECIDE, 0, V_NONE},
    {"we'll adopt", A_DECIDE, 0, V_NONE},
    {"we'll standardize on", A_DECIDE, 0, V_NONE},
    {"we'll settle on", A_DECIDE, 0, V_NONE},
    {"we'll opt for", A_DECIDE, 0, V_NONE},
    {"we're going with", A_DECIDE, 0, V_NONE},
    {"we are going with", A_DECIDE, 0, V_NONE},
    {"we're going to use", A_DECIDE, 0, V_NONE},
    {"we are going to use", A_DECIDE, 0, V_NONE},
    {"we're going to go with", A_DECIDE, 0, V_NONE},
    {"we're switching to", A_DECIDE, 0, V_NONE},
    {"we are switching to", A_DECIDE, 0, V_NONE},
    {"we're moving to", A_DECIDE, 0, V_NONE},
    {"we're sticking with", A_DECIDE, 0, V_NONE},
    {"we're standardizing on", A_DECIDE, 0, V_NONE},
    {"we're opting for", A_DECIDE, 0, V_NONE},
    {"we decided to use", A_DECIDE, 0, V_NONE},
    {"we decided to go with", A_DECIDE, 0, V_NONE},
    {"we decided on", A_DECIDE, 0, V_NONE},
    {"we decided to", A_DECIDE, 0, V_NONE},
    {"we've decided to use", A_DECIDE, 0, V_NONE},
    {"we've decided on", A_DECIDE, 0, V_NONE},
    {"we've decided to", A_DECIDE, 0, V_NONE},
    {"i decided to use", A_DECIDE, 0, V_NONE},
    {"i decided to go with", A_DECIDE, 0, V_NONE},
    {"i decided to", A_DECIDE, 0, V_NONE},
    {"i've decided to", A_DECIDE, 0, V_NONE},
    {"decided to use", A_DECIDE, 0, V_NONE},
    {"decided to go with", A_DECIDE, 0, V_NONE},
    {"decided on", A_DECIDE, 0, V_NONE},
    {"decision :", A_DECIDE, T_START, V_NONE},
    {"decided :", A_DECIDE, T_START, V_NONE},
    {"we chose", A_DECIDE, 0, V_NONE},
    {"we've chosen", A_DECIDE, 0, V_NONE},
    {"we picked", A_DECIDE, 0, V_NONE},
    {"i chose", A_DECIDE, 0, V_NONE},
    {"i picked", A_DECIDE, 0, V_NONE},
    {"i went with", A_DECIDE, 0, V_NONE},
    {"we went with", A_DECIDE, 0, V_NONE},
    {"i'll go with", A_DECIDE, 0, V_NONE},
    {"i'm going with", A_DECIDE, 0, V_NONE},
    {"i am going with", A_DECIDE, 0, V_NONE},
    {"we settled on", A_DECIDE, 0, V_NONE},
    {"settled on", A_DECIDE, T_START, V_NONE},
    {"going with", A_DECIDE, T_START, V_NONE},
    {"opting for", A_DECIDE, T_START, V_NONE},
    {"go with", A_DECIDE, T_START | T_USER, V_NONE},
    {"use", A_DECIDE, T_START | T_USER, V_NONE},
    {"switch to", A_DECIDE, T_START | T_USER, V_NONE},
    {"stick with", A_DECIDE, T_START | T_USER, V_NONE},
    {"the plan is to use", A_DECIDE, 0, V_NONE},
    {"the plan is to go with", A_DECIDE, 0, V_NONE},
    {"switch from", A_SWITCH, 0, V_NONE},
    {"switching from", A_SWITCH, 0, V_NONE},
    {"switched from", A_SWITCH, 0, V_NONE},
    {"migrate from", A_SWITCH, 0, V_NONE},
    {"migrating from", A_SWITCH, 0, V_NONE},
    {"migrated from", A_SWITCH, 0, V_NONE},
    {"move from", A_SWITCH, 0, V_NONE},
    {"moving from", A_SWITCH, 0, V_NONE},
    {"we're dropping", A_DROP, 0, V_NONE},
    {"we are dropping", A_DROP, 0, V_NONE},
    {"let's drop", A_DROP, 0, V_NONE},
    {"we'll drop", A_DROP, 0, V_NONE},
    {"drop", A_DROP, T_START | T_USER, V_NONE},
    {"dropping", A_DROP, T_START, V_NONE},
    {"we're not using", A_DROP, 0, V_NONE},
    {"we are not using", A_DROP, 0, V_NONE},
    {"we won't use", A_DROP, 0, V_NONE},
    {"we will not use", A_DROP, 0, V_NONE},
    {"we won't be using", A_DROP, 0, V_NONE},
    {"let's not use", A_DROP, 0, V_NONE},
    {"let's not go with", A_DROP, 0, V_NONE},
    {"we're not going to use", A_DROP, 0, V_NONE},
    {"we are not going to use", A_DROP, 0, V_NONE},
    {"we're not going with", A_DROP, 0, V_NONE},
    {"no longer use", A_DROP, 0, V_NONE},
    {"no longer using", A_DROP, 0, V_NONE},
    {"forget about", A_DROP, T_START, V_NONE},
    {"forget", A_DROP, T_START | T_USER, V_NONE},
    {"scrap", A_DROP, T_START | T_USER, V_NONE},
    {"let's scrap", A_DROP, 0, V_NONE},
    {"ditch", A_DROP, T_START | T_USER, V_NONE},
    {"let's ditch", A_DROP, 0, V_NONE},
    {"we're ditching", A_DROP, 0, V_NONE},
    {"stop using", A_DROP, T_START, V_NONE},
    {"let's stop using", A_DROP, 0, V_NONE},
    {"we'll stop using", A_DROP, 0, V_NONE},
    {"we're moving away from", A_DROP, 0, V_NONE},
    {"let's move away from", A_DROP, 0, V_NONE},
    {"move away from", A_DROP, T_START, V_NONE},
    {"we're abandoning", A_DROP, 0, V_NONE},
    {"get rid of", A_DROP, T_START | T_USER, V_NONE},
    {"let's get rid of", A_DROP, 0, V_NONE},
    {"i prefer", A_PREFER, 0, V_NONE},
    {"i'd prefer", A_PREFER, 0, V_NONE},
    {"i would prefer", A_PREFER, 0, V_NONE},
    {"prefer", A_PREFER, T_START, V_NONE},
    {"my preference is", A_PREFER, 0, V_NONE},
    {"i'd rather", A_PREFER, 0, V_NONE},
    {"i would rather", A_PREFER, 0, V_NONE},
    {"always use", A_PREFER, T_START, V_NONE},
    {"always", A_PREFER, T_START, V_NONE},
    {"never use", A_PREFER, T_START, V_NONE},
    {"never", A_PREFER, T_START, V_NONE},
    {"please always", A_PREFER, T_START, V_NONE},
    {"please never", A_PREFER, T_START, V_NONE},
    {"please use", A_PREFER, T_START, V_NONE},
    {"please don't use", A_PREFER, T_START, V_NONE},
    {"don't use", A_PREFER, T_START | T_USER, V_NONE},
    {"do not use", A_PREFER, T_START | T_USER, V_NONE},
    {"avoid", A_PREFER, T_START | T_USER, V_NONE},
    {"from now on ,", A_PREFER, T_START, V_NONE},
    {"from now on", A_PREFER, T_START, V_NONE},
    {"going forward ,", A_PREFER, T_START, V_NONE},
    {"going forward", A_PREFER, T_START, V_NONE},
    {"stick to", A_PREFER, T_START | T_USER, V_NONE},
    {"todo :", A_TODO, 0, V_NONE},
    {"todo for me :", A_TODO, 0, V_NONE},
    {"todo", A_TODO, T_START, V_NONE},
    {"fixme :", A_TODO, 0, V_NONE},
    {"later we need to", A_TODO, 0, V_NONE},
    {"later we need", A_TODO, 0, V_NONE},
    {"later , we need to", A_TODO, 0, V_NONE},
    {"later , we need", A_TODO, 0, V_NONE},
    {"later we should", A_TODO, 0, V_NONE},
    {"later we'll need to", A_TODO, 0, V_NONE},
    {"later we'll want", A_TODO, 0, V_NONE},
    {"later :", A_TODO, T_START, V_NONE},
    {"we still need to", A_TODO, 0, V_NONE},
    {"we still need", A_TODO, 0, V_NONE},
    {"still need to", A_TODO, 0, V_NONE},
    {"we still have to", A_TODO, 0, V_NONE},
    {"still have to", A_TODO, 0, V_NONE},
    {"we need to", A_TODO, T_TIME, V_NONE},
    {"we need", A_TODO, T_TIME, V_NONE},
    {"we'll need to", A_TODO, T_TIME, V_NONE},
    {"we'll need", A_TODO, T_TIME, V_NONE},
    {"we will need to", A_TODO, T_TIME, V_NONE},
    {"we'll have to", A_TODO, T_TIME, V_NONE},
    {"we should", A_TODO, T_TIME, V_NONE},
    {"the next step is to", A_TODO, 0, V_NONE},
    {"next step is to", A_TODO, 0, V_NONE},
    {"next we need to", A_TODO, 0, V_NONE},
    {"next , we need to", A_TODO, 0, V_NONE},
    {"don't forget to", A_TODO, 0, V_NONE},
    {"remember to", A_TODO, T_START, V_NONE},
    {"created", A_FILE, 0, V_CREATE},
    {"added", A_FILE, 0, V_CREATE},
    {"wrote", A_FILE, 0, V_CREATE},
    {"written", A_FILE, 0, V_CREATE},
    {"generated", A_FILE, 0, V_CREATE},
    {"scaffolded", A_FILE, 0, V_CREATE},
    {"initialized", A_FILE, 0, V_CREATE},
    {"introduced", A_FILE, 0, V_CREATE},
    {"implemented", A_FILE, 0, V_CREATE},
    {"defined", A_FILE, 0, V_CREATE},
    {"set up", A_FILE, 0, V_CREATE},
    {"updated", A_FILE, 0, V_MODIFY},
    {"modified", A_FILE, 0, V_MODIFY},
    {"changed", A_FILE, 0, V_MODIFY},
    {"edited", A_FILE, 0, V_MODIFY},
    {"fixed", A_FILE, 0, V_MODIFY},
    {"patched", A_FILE, 0, V_MODIFY},
    {"refactored", A_FILE, 0, V_MODIFY},
    {"tweaked", A_FILE, 0, V_MODIFY},
    {"adjusted", A_FILE, 0, V_MODIFY},
    {"rewrote", A_FILE, 0, V_MODIFY},
    {"rewritten", A_FILE, 0, V_MODIFY},
    {"extended", A_FILE, 0, V_MODIFY},
    {"reworked", A_FILE, 0, V_MODIFY},
    {"simplified", A_FILE, 0, V_MODIFY},
    {"deleted", A_FILE, 0, V_DELETE},
    {"removed", A_FILE, 0, V_DELETE},
    {"dropped", A_FILE, 0, V_DELETE},
    {"renamed", A_FILE, 0, V_RENAME},
    {"moved", A_FILE, 0, V_RENAME},
};

#define NTRIGGERS (sizeof(triggers) / sizeof(triggers[0]))
#define TRIGGER_SLOTS 512

/*
 * Triggers by the hash of their first word, chained: built on first
 * use, in static storage (a few microseconds, nothing to free).
 */
static short trigger_head[TRIGGER_SLOTS], trigger_next[NTRIGGERS];
static uint64_t trigger_hash[NTRIGGERS];
static int triggers_indexed;

static void
index_triggers(void)
{
	size_t i, n, slot;

	for (i = 0; i < TRIGGER_SLOTS; i++)
		trigger_head[i] = -1;
	for (i = NTRIGGERS; i-- > 0;) {
		n = strcspn(triggers[i].words, " ");
		trigger_hash[i] = hash_bytes(triggers[i].words, n);
		slot = trigger_hash[i] % TRIGGER_SLOTS;
		trigger_next[i] = trigger_head[slot];
		trigger_head[slot] = (short)i;
	}
	triggers_indexed = 1;
}

/* Returns 1 if token i is the word (or mark) w. */
static int
tok_is(const struct toks *t, size_t i, const char *w)
{
	return i < t->n && t->v[i].type != TOK_CODE &&
	    strcmp(KEY(t, i), w) == 0;
}

static int
tok_in(const struct toks *t, size_t i, const char *const *list)
{
	for (; *list != NULL; list++)
		if (tok_is(t, i, *list))
			return 1;
	return 0;
}

/* The index past the words of phrase at token i (before end), or 0. */
static size_t
match_words(const struct toks *t, size_t i, size_t end, const char *words)
{
	const char *w = words, *sp;
	size_t n;

	while (*w != '\0') {
		sp = strchr(w, ' ');
		n = sp != NULL ? (size_t)(sp - w) : strlen(w);
		if (i >= end || t->v[i].type == TOK_CODE ||
		    strlen(KEY(t, i)) != n || memcmp(KEY(t, i), w, n) != 0)
			return 0;
		i++;
		w += n + (sp != NULL);
	}
	return i;
}

/* The trigger at token i, and in *past the index after it; or -1. */
static int
trigger_at(const struct toks *t, size_t i, size_t end, size_t start,
    int from_user, size_t *past)
{
	uint64_t h;
	size_t j;
	int k, best = -1;

	if (!triggers_indexed)
		index_triggers();
	if (t->v[i].type != TOK_WORD)
		return -1;
	h = hash_bytes(KEY(t, i), strlen(KEY(t, i)));
	*past = 0;
	for (k = trigger_head[h % TRIGGER_SLOTS]; k >= 0; k = trigger_next[k]) {
		if (trigger_hash[k] != h ||
		    ((triggers[k].flags & T_START) && i != start) ||
		    ((triggers[k].flags & T_USER) && !from_user))
			continue;
		j = match_words(t, i, end, triggers[k].words);
		if (j > *past) {
			*past = j;
			best = k;
		}
	}
	return best;
}

/* Words a sentence may open with that say nothing: "Ok, ...". */
static const char *const interjections[] = {"ok", "okay", "alright", "yes",
    "yeah", "yep", "no", "nope", "actually", "so", "fine", "great", "good",
    "right", "sure", "well", "hmm", "then", "also", "and", "but", "perfect",
    "cool", "thanks", "done", "oh", "ah", "anyway", "now", "besides", "finally",
    "first", "second", "next", "lastly", "otherwise", NULL};

/* Words before a phrase that take back its commitment. */
static const char *const hedges[] = {"maybe", "perhaps", "might", "could",
    "would", "should", "consider", "considering", "suggest", "recommend",
    "option", "options", "alternatively", "either", "possibly", "probably",
    "if", "unless", "whether", "not", "never", "no", "cannot", "nor", "without",
    "wonder", "unsure", "thinking", NULL};

/* Words that end a decision's, preference's or todo's phrase. */
static const char *const stops[] = {"because", "since", "so", "but", "which",
    "that", "when", "once", "if", "unless", "until", "while", "where", "though",
    "although", "too", "instead", "rather", "than", "for", "to", "in", "on",
    "at", "from", "by", "via", "after", "before", "now", "here", "there",
    "everywhere", "anymore", "again", "later", "eventually", "today",
    "tomorrow", "soon", "already", "also", "then", "throughout", "across",
    "whenever", "whether", "or", "except", "like", "such", "including", "per",
    "into", "onto", "within", "without", "against", "between", "during",
    "under", "yet", "everything", "all", NULL};

/* A decision or preference also ends at these: "tabs over spaces". */
static const char *const choice_stops[] = {"over", "not", NULL};

/* Words that open a phrase and are not its subject. */
static const char *const determiners[] = {"the", "a", "an", "some", "our", "my",
    "your", "their", "its", "this", "these", "those", "proper", NULL};

/* Words a phrase does not end with. */
static const char *const weak_ends[] = {"and", "with", "of", "the", "a", "an",
    "to", "our", "my", "your", "for", "or", "as", NULL};

/* Subjects that point elsewhere and say nothing alone. */
static const char *const vague[] = {"it", "this", "that", "them", "these",
    "those", "one", "something", "anything", "what", "which", "yours", "mine",
    "both", "either", "neither", "same", "option", "approach", "way", "idea",
    "solution", "version", "thing", "things", "plan", "you", "me", "us", "we",
    "i", NULL};

/* Words that say when, which a todo needs if it is said as a need. */
static const char *const times[] = {"later", "eventually", "someday", "soon",
    "tomorrow", "afterwards", "follow-up", "eventually,", NULL};

/* Words before a verb that make it not (yet) done. */
static const char *const modals[] = {"will", "would", "should", "could", "can",
    "might", "must", "to", "going", "please", "let", "let's", "if", "need",
    "needs", "want", "wants", "not", "never", "shall", "may", "i'll", "we'll",
    "you'll", "let me", NULL};

static const char *const passive[] = {
    "was", "were", "been", "is", "are", "be", "being", "get", "gets", NULL};

/* Words after a file verb that end what it acts on. */
static const char *const verb_breaks[] = {"so", "because", "since", "which",
    "but", "while", "then", "that", "where", "when", "after", "before", "until",
    "unless", "if", "as", "instead", NULL};

static const char *const verb_preps[] = {"to", "in", "into", "from", "inside",
    "within", "of", "for", "under", "at", "on", "as", "with", NULL};

/* Words next to a name that say it is a function's. */
static const char *const function_words[] = {"function", "functions", "method",
    "methods", "helper", "helpers", "func", "fn", "handler", "callback", "hook",
    "routine", "procedure", "constructor", NULL};

static int
ends_with_nt(const char *key)
{
	size_t n = strlen(key);

	return n > 3 && strcmp(key + n - 3, "n't") == 0;
}

struct prose {
	const char *text; /* the message's */
	int from_user;
	struct facts_found *out;
	struct toks t;
	struct buf subject, content, other;
	enum verb section; /* of a "Files changed:" list */
	int todo_section;  /* of a "Next steps:" list */
};

/*
 * The subject a phrase from token i on gives: lower-case words up to a
 * stop, without determiners before or weak words after.  Sets *end to
 * the token it stopped at; with code_first, a `code` word in it is the
 * subject alone ("the `tokio` runtime": tokio).
 */
static void
phrase(const struct toks *t, size_t i, size_t end, enum action a,
    struct buf *out, size_t *stop)
{
	size_t first = i, last, n = 0, code = SIZE_MAX, k;

	buf_reset(out);
	while (i < end && tok_in(t, i, determiners))
		i++;
	if ((a == A_PREFER || a == A_DROP) &&
	    (tok_is(t, i, "use") || tok_is(t, i, "using")))
		i++;
	first = i;
	for (; i < end && n < MAX_SUBJECT_WORDS; i++, n++) {
		if (t->v[i].type == TOK_PUNCT || tok_in(t, i, stops) ||
		    ((a == A_DECIDE || a == A_PREFER || a == A_DROP ||
			 a == A_SWITCH) &&
			tok_in(t, i, choice_stops)))
			break;
		if (t->v[i].type == TOK_CODE && code == SIZE_MAX)
			code = i;
	}
	*stop = i;
	last = i;
	while (last > first && tok_in(t, last - 1, weak_ends))
		last--;
	if (last == first)
		return;
	if (a == A_DECIDE && code != SIZE_MAX && code < last) {
		buf_addstr(out, KEY(t, code));
		return;
	}
	for (k = first; k < last; k++) {
		if (k > first)
			buf_add(out, " ", 1);
		buf_addstr(out, KEY(t, k));
	}
	if (last - first == 1 && tok_in(t, first, vague))
		buf_reset(out);
}

static void
todo_subject(const char *s, size_t len, struct buf *out)
{
	struct toks t = {NULL, 0, 0, BUF_INIT};
	size_t stop;

	tokenize(s, len, &t);
	phrase(&t, 0, t.n, A_TODO, out, &stop);
	free(t.v);
	buf_release(&t.keys);
}

/* The sentence's text, as content. */
static void
sentence_content(const struct toks *t, size_t a, size_t b, struct buf *out)
{
	const struct tok *first = &t->v[a], *last = &t->v[b - 1];

	buf_reset(out);
	add_collapsed(out, first->outer,
	    (size_t)(last->outer + last->outer_len - first->outer));
	cap_content(out);
}

static size_t
tok_at(const struct prose *ps, size_t i)
{
	return (size_t)(ps->t.v[i].outer - ps->text);
}

/* Returns 1 if a word in [from, to) takes back what follows it. */
static int
hedged(const struct toks *t, size_t from, size_t to)
{
	size_t i;

	for (i = from; i < to; i++)
		if (t->v[i].type == TOK_WORD &&
		    (tok_in(t, i, hedges) || ends_with_nt(KEY(t, i))))
			return 1;
	return 0;
}

static int
has_time(const struct toks *t, size_t a, size_t b)
{
	size_t i;

	for (i = a; i < b; i++)
		if (tok_in(t, i, times) ||
		    (tok_is(t, i, "at") && tok_is(t, i + 1, "some") &&
			tok_is(t, i + 2, "point")) ||
		    (tok_is(t, i, "in") && tok_is(t, i + 1, "the") &&
			tok_is(t, i + 2, "future")))
			return 1;
	return 0;
}

/* Returns 1 if token i is a path: `src/x.c`, or such a word. */
static int
tok_path(const struct toks *t, size_t i)
{
	return i < t->n && t->v[i].type != TOK_PUNCT &&
	    code_is_path(t->v[i].s, t->v[i].len) &&
	    (t->v[i].type == TOK_CODE || memchr(t->v[i].s, '/', t->v[i].len) ||
		memchr(t->v[i].s, '.', t->v[i].len));
}

/*
 * The name `code` at token i gives a function, if it is one: an
 * identifier, with "()" or "(args)" after it or a word such as
 * "function" beside it.  Returns its length (the name begins at
 * t->v[i].s, past any "Class." or "Class::"), or 0.
 */
static size_t
function_name(const struct toks *t, size_t i, int need_cue, const char **name)
{
	const char *s = t->v[i].s, *e = s + t->v[i].len, *p;
	int parens;

	if (t->v[i].type != TOK_CODE)
		return 0;
	for (p = s; p < e &&
	     (isalnum((unsigned char)*p) || *p == '_' || *p == '$' ||
		 *p == '.' || *p == ':');
	     p++)
		if (*p == '.' || *p == ':')
			s = p + 1;
	if (p == s || !(isalpha((unsigned char)*s) || *s == '_'))
		return 0;
	parens = p < e && *p == '(' && e[-1] == ')';
	if (p < e && !parens)
		return 0;
	if (need_cue && !parens &&
	    !(i > 0 && tok_in(t, i - 1, function_words)) &&
	    !tok_in(t, i + 1, function_words))
		return 0;
	*name = s;
	return (size_t)(p - s);
}

static void
add_prose(struct prose *ps, const char *kind, const char *s, size_t len,
    size_t at, int flags)
{
	found_add(ps->out, kind, s, len, &ps->content, at, flags | FOUND_WEAK);
}

/* A path that the verb at i acts on, with the preposition before it. */
static void
verb_path(
    struct prose *ps, enum verb v, const char *prep, size_t k, size_t *renamed)
{
	const struct tok *p = &ps->t.v[k];
	int in = prep != NULL &&
	    (strcmp(prep, "to") == 0 || strcmp(prep, "in") == 0 ||
		strcmp(prep, "into") == 0 || strcmp(prep, "inside") == 0 ||
		strcmp(prep, "within") == 0 || strcmp(prep, "under") == 0);
	int from = prep != NULL &&
	    (strcmp(prep, "from") == 0 || strcmp(prep, "of") == 0 || in);
	const struct tok *old;

	switch (v) {
	case V_CREATE:
		if (prep == NULL || in)
			add_prose(ps, in ? K_FILE_MODIFIED : K_FILE_CREATED,
			    p->s, p->len, tok_at(ps, k), 0);
		break;
	case V_MODIFY:
		add_prose(ps, K_FILE_MODIFIED, p->s, p->len, tok_at(ps, k), 0);
		break;
	case V_DELETE:
		if (prep == NULL || from)
			add_prose(ps, from ? K_FILE_MODIFIED : K_FILE_DELETED,
			    p->s, p->len, tok_at(ps, k), 0);
		break;
	case V_RENAME:
		if (*renamed == SIZE_MAX) {
			*renamed = k;
			break;
		}
		if (prep == NULL ||
		    (strcmp(prep, "to") != 0 && strcmp(prep, "as") != 0 &&
			strcmp(prep, "into") != 0))
			break;
		old = &ps->t.v[*renamed];
		add_prose(ps, K_FILE_DELETED, old->s, old->len,
		    tok_at(ps, *renamed), 0);
		add_prose(ps, K_FILE_CREATED, p->s, p->len, tok_at(ps, k), 0);
		*renamed = SIZE_MAX;
		break;
	default:
		break;
	}
}

/* A function that the verb at i adds, removes or renames. */
static void
verb_function(
    struct prose *ps, enum verb v, const char *prep, size_t k, size_t *renamed)
{
	const char *name, *old;
	size_t n, m;

	if (v == V_RENAME) {
		if ((n = function_name(&ps->t, k, 0, &name)) == 0)
			return;
		if (*renamed == SIZE_MAX) {
			*renamed = k;
			return;
		}
		if (prep == NULL || strcmp(prep, "to") != 0 ||
		    (m = function_name(&ps->t, *renamed, 0, &old)) == 0)
			return;
		add_prose(
		    ps, K_FUNCTION_REMOVED, old, m, tok_at(ps, *renamed), 0);
		add_prose(ps, K_FUNCTION_ADDED, name, n, tok_at(ps, k), 0);
		*renamed = SIZE_MAX;
		return;
	}
	if ((n = function_name(&ps->t, k, 1, &name)) == 0)
		return;
	if (v == V_CREATE)
		add_prose(ps, K_FUNCTION_ADDED, name, n, tok_at(ps, k), 0);
	else if (v == V_DELETE)
		add_prose(ps, K_FUNCTION_REMOVED, name, n, tok_at(ps, k), 0);
}

/*
 * A verb of work done at token i ("created", "removed"): what it acts
 * on, up to the end of its clause.  Not when the verb is not done yet
 * ("I'll create"), not done at all ("didn't change"), or passive ("was
 * modified", which says what happened, not what we did).  Returns the
 * token to go on from.
 */
static size_t
file_verb(struct prose *ps, size_t a, size_t i, size_t j, size_t b, enum verb v)
{
	const struct toks *t = &ps->t;
	const char *prep = NULL;
	size_t k, words = 0, renamed = SIZE_MAX, past;
	int got = 0, n;

	for (k = i; k > a; k--) {
		if (t->v[k - 1].type == TOK_PUNCT &&
		    strchr(",;:(", *t->v[k - 1].s) != NULL)
			break;
		if (t->v[k - 1].type == TOK_WORD &&
		    (tok_in(t, k - 1, modals) || ends_with_nt(KEY(t, k - 1))))
			return j;
	}
	if (i > a && tok_in(t, i - 1, passive))
		return j;
	for (k = j; k < b; k++) {
		if (t->v[k].type == TOK_PUNCT) {
			if (*t->v[k].s == ':' && k == j)
				continue;
			if (*t->v[k].s == ',' && got &&
			    (tok_path(t, k + 1) || tok_is(t, k + 1, "and")))
				continue;
			break;
		}
		if (t->v[k].type == TOK_WORD) {
			if (tok_in(t, k, verb_breaks) ||
			    (k > j &&
				(n = trigger_at(t, k, b, a, 1, &past)) >= 0 &&
				triggers[n].action == A_FILE))
				break;
			if (tok_in(t, k, verb_preps)) {
				prep = KEY(t, k);
				continue;
			}
			if (tok_is(t, k, "and")) {
				if (got && !tok_path(t, k + 1) &&
				    (k + 1 >= b ||
					t->v[k + 1].type != TOK_CODE))
					break;
				continue;
			}
			if (!tok_path(t, k)) {
				if (++words > 6 && !got)
					break;
				continue;
			}
		}
		if (tok_path(t, k)) {
			verb_path(ps, v, prep, k, &renamed);
			got = 1;
		} else {
			verb_function(ps, v, prep, k, &renamed);
		}
	}
	return k;
}

/* "Vite it is.": a choice said by its name alone. */
static void
it_is(struct prose *ps, size_t start, size_t b)
{
	const struct toks *t = &ps->t;
	size_t end = b, stop;

	if (end > start && t->v[end - 1].type == TOK_PUNCT)
		end--;
	if (end < start + 3 || !tok_is(t, end - 2, "it") ||
	    !tok_is(t, end - 1, "is") || end - 2 - start > 3)
		return;
	phrase(t, start, end - 2, A_DECIDE, &ps->subject, &stop);
	if (stop == end - 2)
		add_prose(ps, K_DECISION, ps->subject.s, ps->subject.len,
		    tok_at(ps, start), 0);
}

/* After a decision: "instead of X", "rather than X", ", not X". */
static void
given_up(struct prose *ps, size_t i, size_t b)
{
	const struct toks *t = &ps->t;
	size_t from = SIZE_MAX, stop;

	if (tok_is(t, i, "instead") && tok_is(t, i + 1, "of"))
		from = i + 2;
	else if (tok_is(t, i, "rather") && tok_is(t, i + 1, "than"))
		from = i + 2;
	else if (tok_is(t, i, "over"))
		from = i + 1;
	else if (tok_is(t, i, ",") && tok_is(t, i + 1, "not"))
		from = i + 2;
	else if (tok_is(t, i, "not"))
		from = i + 1;
	if (from >= b)
		return;
	phrase(t, from, b, A_DROP, &ps->other, &stop);
	found_add(ps->out, K_DECISION, ps->other.s, ps->other.len, &ps->content,
	    tok_at(ps, from), FOUND_DROP | FOUND_WEAK);
}

/* What a trigger at token i (phrase from j) commits to. */
static size_t
commit(struct prose *ps, const struct trigger *tr, size_t start, size_t i,
    size_t j, size_t b)
{
	const struct toks *t = &ps->t;
	size_t stop, to;

	if (hedged(t, start, i) ||
	    ((tr->flags & T_TIME) && !has_time(t, start, b)))
		return j;
	phrase(t, j, b, tr->action, &ps->subject, &stop);
	if (ps->subject.len == 0)
		return j;
	switch (tr->action) {
	case A_DECIDE:
		if (tok_is(t, stop, "or") || tok_is(t, stop, "if") ||
		    tok_is(t, stop, "unless"))
			return stop;
		add_prose(ps, K_DECISION, ps->subject.s, ps->subject.len,
		    tok_at(ps, i), 0);
		given_up(ps, stop, b);
		break;
	case A_PREFER:
		if (tok_is(t, stop, "or"))
			return stop;
		add_prose(ps, K_PREFERENCE, ps->subject.s, ps->subject.len,
		    tok_at(ps, i), 0);
		break;
	case A_TODO:
		add_prose(ps, K_TODO, ps->subject.s, ps->subject.len,
		    tok_at(ps, i), 0);
		break;
	case A_DROP:
		add_prose(ps, K_DECISION, ps->subject.s, ps->subject.len,
		    tok_at(ps, i), FOUND_DROP);
		break;
	case A_SWITCH:
		/* switch from X to Y: X given up, Y chosen */
		if (!tok_is(t, stop, "to"))
			return stop;
		buf_reset(&ps->other);
		buf_addstr(&ps->other, ps->subject.s);
		to = stop + 1;
		phrase(t, to, b, A_DECIDE, &ps->subject, &stop);
		if (ps->subject.len == 0)
			return stop;
		found_add(ps->out, K_DECISION, ps->other.s, ps->other.len,
		    &ps->content, tok_at(ps, j), FOUND_DROP | FOUND_WEAK);
		add_prose(ps, K_DECISION, ps->subject.s, ps->subject.len,
		    tok_at(ps, to), 0);
		break;
	default:
		break;
	}
	return stop > j ? stop : j;
}

/* One sentence: tokens [a, b). */
static void
sentence(struct prose *ps, size_t a, size_t b)
{
	const struct toks *t = &ps->t;
	size_t start = a, i, j;
	int k;

	if (b == a || tok_is(t, b - 1, "?"))
		return; /* a question commits to nothing */
	while (start < b && tok_in(t, start, interjections)) {
		start++;
		while (start < b && t->v[start].type == TOK_PUNCT &&
		    strchr(",!.", *t->v[start].s) != NULL)
			start++;
	}
	sentence_content(t, a, b, &ps->content);
	it_is(ps, start, b);
	for (i = start; i < b; i++) {
		if ((k = trigger_at(t, i, b, start, ps->from_user, &j)) < 0)
			continue;
		if (triggers[k].action == A_FILE)
			j = file_verb(ps, a, i, j, b, triggers[k].verb);
		else
			j = commit(ps, &triggers[k], start, i, j, b);
		i = j > i ? j - 1 : i;
	}
}

/* The section a label ("Files changed:", "Next steps:") opens. */
static void
label_section(struct prose *ps)
{
	static const char *const create[] = {
	    "created", "create", "new", "added", "add", NULL};
	static const char *const modify[] = {"changed", "changes", "modified",
	    "updated", "edited", "touched", "change", NULL};
	static const char *const delete[] = {
	    "deleted", "removed", "delete", "remove", NULL};
	static const char *const todo[] = {"todo", "todos", "follow-up",
	    "follow-ups", "followups", "remaining", "later", NULL};
	const struct toks *t = &ps->t;
	size_t i;

	ps->section = V_NONE;
	ps->todo_section = 0;
	for (i = 0; i < t->n; i++) {
		if (tok_path(t, i))
			return; /* the lead-in of a block, not a list */
		if (tok_in(t, i, todo) ||
		    (tok_is(t, i, "next") &&
			(tok_is(t, i + 1, "steps") ||
			    tok_is(t, i + 1, "step"))))
			ps->todo_section = 1;
		else if (tok_in(t, i, create) ||
		    (tok_is(t, i, "set") && tok_is(t, i + 1, "up")))
			ps->section =
			    ps->section == V_NONE ? V_CREATE : ps->section;
		else if (tok_in(t, i, modify))
			ps->section =
			    ps->section == V_NONE ? V_MODIFY : ps->section;
		else if (tok_in(t, i, delete))
			ps->section =
			    ps->section == V_NONE ? V_DELETE : ps->section;
	}
	if (ps->todo_section)
		ps->section = V_NONE;
}

/* An item of a labelled list: "- `src/x.c`: ...", "- write the tests". */
static void
section_item(struct prose *ps)
{
	const struct toks *t = &ps->t;
	size_t stop = SIZE_MAX, k;
	int trig;

	if (t->n == 0)
		return;
	sentence_content(t, 0, t->n, &ps->content);
	if (ps->section != V_NONE && tok_path(t, 0)) {
		verb_path(ps, ps->section, NULL, 0, &stop);
		return;
	}
	if (!ps->todo_section || tok_is(t, t->n - 1, "?"))
		return;
	if ((trig = trigger_at(t, 0, t->n, 0, ps->from_user, &k)) >= 0)
		return; /* the item says what it is itself */
	phrase(t, 0, t->n, A_TODO, &ps->subject, &stop);
	add_prose(ps, K_TODO, ps->subject.s, ps->subject.len, tok_at(ps, 0), 0);
}

/* One unit of prose: a paragraph, a list item or a heading. */
static void
unit(struct prose *ps, const char *s, const char *e, int item, int heading)
{
	struct toks *t = &ps->t;
	size_t a = 0, i;

	t->n = 0;
	buf_reset(&t->keys);
	tokenize(s, (size_t)(e - s), t);
	if (t->n == 0)
		return;
	if (item)
		section_item(ps);
	for (i = 0; i < t->n; i++) {
		if (t->v[i].type == TOK_PUNCT &&
		    strchr(".!?;", *t->v[i].s) != NULL && t->v[i].len == 1) {
			sentence(ps, a, i + 1);
			a = i + 1;
		}
	}
	if (a < t->n)
		sentence(ps, a, t->n);
	if (heading || tok_is(t, t->n - 1, ":"))
		label_section(ps);
	else if (!item)
		ps->section = V_NONE, ps->todo_section = 0;
}

/* Returns 1 if s begins with the digits of a date or a time: a log's. */
static int
stamped(const char *s, const char *e)
{
	const char *p = s + (s < e && *s == '[');

	return (e - p >= 10 && isdigit((unsigned char)p[0]) &&
		   isdigit((unsigned char)p[3]) && p[4] == '-' &&
		   isdigit((unsigned char)p[5])) ||
	    (e - p >= 8 && isdigit((unsigned char)p[0]) && p[2] == ':' &&
		isdigit((unsigned char)p[3]) && p[5] == ':');
}

/*
 * Returns 1 for a line of prose that is not prose: JSON, a log line, a
 * compiler's diagnostic, a stack frame, a shell prompt, indented code.
 */
static int
noise_line(const char *s, const char *e)
{
	static const char *const starts[] = {"npm ERR!", "npm WARN",
	    "Traceback", "File \"", "at ",
	    "error:", "Error:", "warning:", "fatal:", "panic:", "thread '",
	    "Exception", "Caused by:", "$ ", "> ", "ERROR", "WARN", "INFO",
	    "DEBUG", "TRACE", "E ", "#0 ", "==", "{", "[", "<", "}", "]", NULL};
	const char *p = s, *q;
	const char *const *st;
	size_t n;

	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	if (p - s >= 4 || (p > s && s[0] == '\t'))
		return 1;
	for (st = starts; *st != NULL; st++) {
		n = strlen(*st);
		if ((size_t)(e - p) >= n && memcmp(p, *st, n) == 0)
			return 1;
	}
	if (stamped(p, e))
		return 1;
	/* "src/x.c:12:5: error: ..." */
	for (q = p; q < e && !isspace((unsigned char)*q) && *q != ':'; q++)
		;
	if (q + 1 < e && *q == ':' && isdigit((unsigned char)q[1]) && q > p)
		return 1;
	/* A line of code: it ends as one and holds code's marks. */
	if (e > p && strchr(";{}", e[-1]) != NULL &&
	    (memchr(p, '(', (size_t)(e - p)) != NULL ||
		memchr(p, '=', (size_t)(e - p)) != NULL))
		return 1;
	return 0;
}

/* The marker of a list item at p ("- ", "* ", "1. "): its length, or 0. */
static size_t
item_marker(const char *p, const char *e)
{
	const char *q = p;

	if (e - p >= 2 && strchr("-*+", *p) != NULL && p[1] == ' ')
		return 2;
	if (e - p >= 4 && memcmp(p, "\xe2\x80\xa2 ", 4) == 0)
		return 4;
	while (q < e && isdigit((unsigned char)*q))
		q++;
	if (q > p && q - p <= 3 && q + 1 < e && (*q == '.' || *q == ')') &&
	    q[1] == ' ')
		return (size_t)(q + 2 - p);
	return 0;
}

/* The prose [s, e) of the text, cut into units. */
static void
prose(struct prose *ps, const char *s, const char *e)
{
	const char *p = s, *line, *le, *next, *para = NULL, *para_end = NULL;
	size_t m, h;
	int heading;

	for (; p < e; p = next) {
		line = p;
		le = memchr(p, '\n', (size_t)(e - p));
		next = le != NULL ? le + 1 : e;
		if (le == NULL)
			le = e;
		while (line < le && (*line == ' ' || *line == '\t') &&
		    line - p < 4)
			line++;
		m = item_marker(line, le);
		h = strspn(line, "#");
		heading = h >= 1 && h <= 6 && line + h < le && line[h] == ' ';
		if (line == le || (m == 0 && !heading && noise_line(p, le)) ||
		    m > 0 || heading) {
			if (para != NULL)
				unit(ps, para, para_end, 0, 0);
			para = NULL;
			if (m > 0)
				unit(ps, line + m, le, 1, 0);
			else if (heading)
				unit(ps, line + h, le, 0, 1);
			else if (line != le)
				ps->section = V_NONE, ps->todo_section = 0;
			continue;
		}
		if (para == NULL)
			para = line;
		para_end = le;
		while (para_end > para && isspace((unsigned char)para_end[-1]))
			para_end--;
		if (para_end > para && para_end[-1] == ':') {
			unit(ps, para, para_end, 0, 0);
			para = NULL;
		}
	}
	if (para != NULL)
		unit(ps, para, para_end, 0, 0);
}

/*
 * The rules over a whole message
 */

struct block {
	size_t start, end;
	int is_fence;
	struct code_fence fence;
	struct code_span diff; /* a diff without a fence */
};

struct blocks {
	struct block *v;
	size_t n, cap;
};

/* Diffs written without a fence, in the text between [s, e). */
static void
bare_diffs(const char *text, size_t s, size_t e, struct blocks *b)
{
	struct diff_file df;
	size_t pos = 0, first = SIZE_MAX, last = 0;

	/* Consecutive files of one diff are one block. */
	while (diff_next_file(text + s, e - s, &pos, &df)) {
		if (first != SIZE_MAX && df.start > last) {
			ARRAY_GROW(b->v, b->n, b->cap);
			b->v[b->n++] = (struct block){s + first, s + last, 0,
			    {0}, {text + s + first, last - first}};
			first = SIZE_MAX;
		}
		if (first == SIZE_MAX)
			first = df.start;
		last = df.end;
	}
	if (first != SIZE_MAX) {
		ARRAY_GROW(b->v, b->n, b->cap);
		b->v[b->n++] = (struct block){s + first, s + last, 0, {0},
		    {text + s + first, last - first}};
	}
}

static int
by_start(const void *a, const void *b)
{
	const struct block *x = a, *y = b;

	return x->start < y->start ? -1 : x->start > y->start;
}

/* Orders the finds by where they were said; ties keep their order. */
static void
order_found(struct facts_found *out, size_t from)
{
	struct fact_found f;
	size_t i, j;

	for (i = from + 1; i < out->n; i++) {
		f = out->v[i];
		for (j = i; j > from && out->v[j - 1].at > f.at; j--)
			out->v[j] = out->v[j - 1];
		out->v[j] = f;
	}
}

void
facts_extract(
    const char *text, size_t len, int from_user, struct facts_found *out)
{
	struct prose ps = {text, from_user, out, {NULL, 0, 0, BUF_INIT},
	    BUF_INIT, BUF_INIT, BUF_INIT, V_NONE, 0};
	struct blocks b = {NULL, 0, 0};
	struct code_fence f;
	struct buf lead = BUF_INIT;
	enum file_hint hint;
	size_t pos = 0, prev = 0, n, i, from = out->n, lead_at;

	while (code_next_fence(text, len, &pos, &f)) {
		bare_diffs(text, prev, f.start, &b);
		ARRAY_GROW(b.v, b.n, b.cap);
		b.v[b.n++] = (struct block){f.start, f.end, 1, f, {NULL, 0}};
		prev = f.end;
	}
	bare_diffs(text, prev, len, &b);
	if (b.n > 0)
		qsort(b.v, b.n, sizeof(*b.v), by_start);
	prev = 0;
	for (i = 0; i < b.n; i++) {
		prose(&ps, text + prev, text + b.v[i].start);
		lead_at = b.v[i].start - prev > LEAD_IN ? b.v[i].start - LEAD_IN
							: prev;
		n = b.v[i].start - lead_at;
		buf_reset(&lead);
		add_lower(&lead, text + lead_at, n);
		if (block_intent(&lead, from_user, &hint) == ADDS) {
			if (b.v[i].is_fence)
				fence_facts(&b.v[i].fence, text + lead_at, n,
				    hint, b.v[i].start, out);
			else
				diff_facts(b.v[i].diff.s, b.v[i].diff.len,
				    b.v[i].start, out);
		}
		prev = b.v[i].end;
		ps.section = V_NONE;
		ps.todo_section = 0;
	}
	prose(&ps, text + prev, text + len);
	order_found(out, from);
	free(b.v);
	free(ps.t.v);
	buf_release(&ps.t.keys);
	buf_release(&ps.subject);
	buf_release(&ps.content);
	buf_release(&ps.other);
	buf_release(&lead);
}

/*
 * The live facts
 */

void
facts_init(struct facts *f)
{
	if ((f->live = cJSON_CreateArray()) == NULL)
		errx(1, "out of memory");
	f->at = (struct strmap)STRMAP_INIT;
	f->key = (struct buf)BUF_INIT;
}

void
facts_release(struct facts *f)
{
	cJSON_Delete(f->live);
	strmap_release(&f->at);
	buf_release(&f->key);
	f->live = NULL;
}

/* The map's value for a fact that was and is no more. */
#define GONE(f) ((void *)&(f)->at)

const cJSON *
facts_get(struct facts *f, const char *kind, const char *key)
{
	cJSON *rec;

	buf_reset(&f->key);
	fact_identity_of(kind, key, &f->key);
	rec = strmap_get(&f->at, f->key.s, f->key.len);
	return rec == GONE(f) ? NULL : rec;
}

void
facts_apply(struct facts *f, const cJSON *fact)
{
	cJSON *old, *copy = NULL;

	buf_reset(&f->key);
	fact_identity(fact, &f->key);
	old = strmap_get(&f->at, f->key.s, f->key.len);
	if (old != NULL && old != GONE(f))
		cJSON_Delete(cJSON_DetachItemViaPointer(f->live, old));
	if (!fact_deletes(fact)) {
		if ((copy = cJSON_Duplicate(fact, 1)) == NULL ||
		    !cJSON_AddItemToArray(f->live, copy))
			errx(1, "out of memory");
	}
	strmap_put(&f->at, f->key.s, f->key.len, copy != NULL ? copy : GONE(f));
}

static cJSON *
fact_record(const char *kind, const char *subject, const char *content,
    const char *op, const struct fact_origin *o, const char *ts)
{
	cJSON *rec = cJSON_CreateObject();

	if (rec == NULL)
		errx(1, "out of memory");
	msg_set_string(rec, "type", "fact");
	msg_set_string(rec, "kind", kind);
	msg_set_string(rec, "subject", subject);
	if (content != NULL)
		msg_set_string(rec, "content", content);
	msg_set_string(rec, "op", op);
	if (o->source != NULL)
		msg_set_string(rec, "source", o->source);
	msg_set_string(rec, "ts", ts);
	if (o->session != NULL)
		msg_set_string(rec, "session", o->session);
	return rec;
}

static void
emit(struct facts *f, cJSON *ops, cJSON *rec)
{
	facts_apply(f, rec);
	if (!cJSON_AddItemToArray(ops, rec))
		errx(1, "out of memory");
}

/* Ends the live fact of kind and subject, if there is one. */
static void
end_fact(struct facts *f, const char *kind, const char *subject,
    const char *why, const struct fact_origin *o, const char *ts, cJSON *ops)
{
	if (facts_get(f, kind, subject) != NULL)
		emit(f, ops, fact_record(kind, subject, why, "delete", o, ts));
}

/* Returns 1 if a and b have a word in common that says something. */
static int
share_word(const char *a, const char *b)
{
	static const char *const common[] = {"the", "a", "an", "of", "for",
	    "to", "and", "or", "with", "in", "on", "use", "using", "our", "my",
	    NULL};
	const char *p, *q, *wa, *wb;
	size_t na, nb;

	for (p = a; *p != '\0'; p = wa + na) {
		for (wa = p; *wa != '\0' && !isalnum((unsigned char)*wa); wa++)
			;
		for (na = 0; isalnum((unsigned char)wa[na]) ||
		     (wa[na] != '\0' && strchr("._+#-", wa[na]) != NULL);
		     na++)
			;
		if (na < 2 || word_in_list(wa, na, common))
			continue;
		for (q = b; *q != '\0'; q = wb + nb) {
			for (wb = q;
			     *wb != '\0' && !isalnum((unsigned char)*wb); wb++)
				;
			for (nb = 0; isalnum((unsigned char)wb[nb]) ||
			     (wb[nb] != '\0' &&
				 strchr("._+#-", wb[nb]) != NULL);
			     nb++)
				;
			if (na == nb && strncasecmp(wa, wb, na) == 0)
				return 1;
		}
	}
	return 0;
}

/* A decision given up ends each live decision that names the same. */
static void
drop_decisions(struct facts *f, const struct fact_found *d,
    const struct fact_origin *o, const char *ts, cJSON *ops)
{
	const cJSON *rec;
	cJSON *gone = cJSON_CreateArray();

	if (gone == NULL)
		errx(1, "out of memory");
	cJSON_ArrayForEach(rec, f->live) {
		const char *kind = msg_str(rec, "kind"), *key = fact_key(rec);

		if (kind != NULL && strcmp(kind, K_DECISION) == 0 &&
		    key != NULL && share_word(d->subject, key))
			cJSON_AddItemToArray(gone, cJSON_CreateString(key));
	}
	cJSON_ArrayForEach(rec, gone) {
		end_fact(
		    f, K_DECISION, rec->valuestring, d->content, o, ts, ops);
	}
	cJSON_Delete(gone);
}

static int
same_content(const cJSON *rec, const char *content)
{
	const char *c = msg_str(rec, "content");

	return (c == NULL && content == NULL) ||
	    (c != NULL && content != NULL && strcmp(c, content) == 0);
}

void
facts_ops(struct facts *f, const struct facts_found *found,
    const struct fact_origin *o, cJSON *ops)
{
	char now[RECORD_TS_SIZE];
	const char *ts = o->ts, *kind, *s;
	const struct fact_found *d;
	const cJSON *old, *created, *modified;
	size_t i;

	if (ts == NULL) {
		record_now(now);
		ts = now;
	}
	for (i = 0; i < found->n; i++) {
		d = &found->v[i];
		s = d->subject;
		if (d->flags & FOUND_DROP) {
			drop_decisions(f, d, o, ts, ops);
			continue;
		}
		kind = d->kind;
		if (kind == K_FILE_CREATED && (d->flags & FOUND_GUESS)) {
			created = facts_get(f, K_FILE_CREATED, s);
			modified = facts_get(f, K_FILE_MODIFIED, s);
			if ((created != NULL &&
				same_content(created, d->content)) ||
			    (modified != NULL &&
				same_content(modified, d->content)))
				continue; /* the same file, shown again */
			if (created != NULL || modified != NULL)
				kind = K_FILE_MODIFIED;
		}
		if (kind == K_FILE_CREATED || kind == K_FILE_MODIFIED) {
			end_fact(f, K_FILE_DELETED, s, d->content, o, ts, ops);
		} else if (kind == K_FILE_DELETED) {
			end_fact(f, K_FILE_CREATED, s, d->content, o, ts, ops);
			end_fact(f, K_FILE_MODIFIED, s, d->content, o, ts, ops);
		} else if (kind == K_FUNCTION_ADDED) {
			end_fact(
			    f, K_FUNCTION_REMOVED, s, d->content, o, ts, ops);
		} else if (kind == K_FUNCTION_REMOVED) {
			end_fact(
			    f, K_FUNCTION_ADDED, s, d->content, o, ts, ops);
		}
		if ((old = facts_get(f, kind, s)) == NULL)
			emit(f, ops,
			    fact_record(kind, s, d->content, "add", o, ts));
		else if (!(d->flags & FOUND_WEAK) &&
		    !same_content(old, d->content))
			emit(f, ops,
			    fact_record(kind, s, d->content, "update", o, ts));
	}
}

const char *
facts_take_proposed(struct facts *f, const cJSON *proposed,
    const struct fact_origin *o, cJSON **op)
{
	static char why[160];
	const cJSON *content =
	    cJSON_GetObjectItemCaseSensitive(proposed, "content");
	const char *kind = msg_str(proposed, "kind"), *s, *verb;
	const cJSON *old;
	struct code_span subject;
	char now[RECORD_TS_SIZE], *subj;

	*op = NULL;
	if (!cJSON_IsObject(proposed))
		return "not an object";
	if (kind == NULL || !fact_kind_known(kind)) {
		snprintf(why, sizeof(why), "unknown kind '%.40s'",
		    kind != NULL ? kind : "");
		return kind != NULL ? why : "no kind";
	}
	if ((s = msg_str(proposed, "subject")) == NULL ||
	    (subject = trimmed_span(s, s + strlen(s))).len == 0)
		return "no subject";
	if (content != NULL && !cJSON_IsString(content))
		return "its content is not a string";
	verb = msg_str(proposed, "op");
	if (verb == NULL &&
	    cJSON_GetObjectItemCaseSensitive(proposed, "op") == NULL)
		verb = "add";
	if (verb == NULL ||
	    (strcmp(verb, "add") != 0 && strcmp(verb, "update") != 0 &&
		strcmp(verb, "delete") != 0))
		return "its op is not add, update or delete";
	subj = xstrndup(subject.s, subject.len);
	old = facts_get(f, kind, subj);
	if (old == NULL && strcmp(verb, "add") != 0) {
		snprintf(why, sizeof(why), "'%s' of a fact not known: %s %.60s",
		    verb, kind, subj);
		free(subj);
		return why;
	}
	if (old != NULL && strcmp(verb, "delete") != 0) {
		if (same_content(old,
			cJSON_IsString(content) ? content->valuestring
						: NULL)) {
			free(subj);
			return NULL; /* known as it is */
		}
		verb = "update";
	}
	if (o->ts == NULL)
		record_now(now);
	*op = fact_record(kind, subj,
	    cJSON_IsString(content) ? content->valuestring : NULL, verb, o,
	    o->ts != NULL ? o->ts : now);
	facts_apply(f, *op);
	free(subj);
	return NULL;
}
