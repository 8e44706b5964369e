/* logsum: a summary of a log of any size, in one pass, in a token budget. */
#include <ctype.h>
#include <err.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/msg.h"
#include "core/utf8.h"
#include "core/util.h"
#include "mem/drain.h"
#include "mem/logsum.h"
#include "mem/mask.h"

#define STATE_TYPE "llm-summarize-state"
#define KEEP_FIRST 4  /* first lines kept of each template */
#define KEEP_LATEST 3 /* and latest, of an error-like one */
#define RARE 3        /* a template of at most this many lines is rare */
#define MAX_KEPT 320  /* bytes of a line kept */
#define HEAD 6
#define TAIL 8
#define MAX_EXIT 4
#define MAX_TRACES 8
#define MAX_TRACE_LINES 40
#define ELLIPSIS "\xe2\x80\xa6"

struct kept {
	long line;
	int file;
	char *text;
};

/* What is known of each template beyond the miner's tokens. */
struct tinfo {
	long count, base; /* lines in the input, in the baseline */
	long first, last;
	int first_file, last_file;
	struct kept keep[KEEP_FIRST];
	struct kept latest[KEEP_LATEST]; /* a ring */
	int nkeep, nlatest;
};

struct trace {
	uint64_t hash;
	long count, base, first, last;
	int file, lines, more;
	struct buf text;
};

struct logsum {
	struct drain *d;
	struct mask m;
	struct tinfo *t;
	size_t nt, tcap;
	const char **files;
	int nfiles;
	long line, lines, base_lines;
	int baseline, has_baseline;
	struct kept head[HEAD], tail[TAIL], exits[MAX_EXIT];
	int nhead, ntail, nexits;
	char **base_exits;
	int nbase_exits;
	struct trace traces[MAX_TRACES], cur;
	int ntraces, in_trace, python, frames;
	long more_traces;
	struct buf prev;  /* the line before, as shown, for a trace's header */
	struct buf valid; /* a line with invalid UTF-8, repaired */
	long prev_line;
};

struct logsum *
logsum_new(void)
{
	struct logsum *ls = xmalloc(sizeof(*ls));

	memset(ls, 0, sizeof(*ls));
	ls->d = drain_new();
	mask_init(&ls->m);
	ls->prev = (struct buf)BUF_INIT;
	ls->valid = (struct buf)BUF_INIT;
	ls->cur.text = (struct buf)BUF_INIT;
	return ls;
}

static void
unkeep(struct kept *k)
{
	free(k->text);
	k->text = NULL;
}

void
logsum_free(struct logsum *ls)
{
	size_t i;
	int j;

	if (ls == NULL)
		return;
	for (i = 0; i < ls->nt; i++) {
		for (j = 0; j < KEEP_FIRST; j++)
			unkeep(&ls->t[i].keep[j]);
		for (j = 0; j < KEEP_LATEST; j++)
			unkeep(&ls->t[i].latest[j]);
	}
	for (j = 0; j < HEAD; j++)
		unkeep(&ls->head[j]);
	for (j = 0; j < TAIL; j++)
		unkeep(&ls->tail[j]);
	for (j = 0; j < MAX_EXIT; j++)
		unkeep(&ls->exits[j]);
	for (j = 0; j < ls->nbase_exits; j++)
		free(ls->base_exits[j]);
	for (j = 0; j < ls->ntraces; j++)
		buf_release(&ls->traces[j].text);
	buf_release(&ls->cur.text);
	buf_release(&ls->prev);
	buf_release(&ls->valid);
	free(ls->base_exits);
	free(ls->files);
	free(ls->t);
	drain_free(ls->d);
	mask_release(&ls->m);
	free(ls);
}

void
logsum_file(struct logsum *ls, const char *name)
{
	ls->files = xreallocarray(
	    ls->files, (size_t)ls->nfiles + 1, sizeof(*ls->files));
	ls->files[ls->nfiles++] = name;
	ls->line = 0;
}

long
logsum_lines(const struct logsum *ls)
{
	return ls->lines;
}

/* How many bytes of s, at most max, are whole UTF-8 characters. */
static size_t
whole_chars(const char *s, size_t len, size_t max)
{
	size_t n = len;

	if (n > max) {
		n = max;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	return n;
}

/* A copy of a line to keep: at most MAX_KEPT bytes, whole characters. */
static char *
copy_line(const char *s, size_t len)
{
	struct buf b = BUF_INIT;
	size_t n = whole_chars(s, len, MAX_KEPT);

	buf_add(&b, s, n);
	if (n < len)
		buf_addstr(&b, " " ELLIPSIS);
	return buf_detach(&b);
}

static void
set_kept(struct logsum *ls, struct kept *k, const char *s, size_t len)
{
	free(k->text);
	k->text = copy_line(s, len);
	k->line = ls->line;
	k->file = ls->nfiles - 1;
}

static struct tinfo *
info(struct logsum *ls, size_t i)
{
	while (ls->nt <= i) {
		ARRAY_GROW(ls->t, ls->nt, ls->tcap);
		memset(&ls->t[ls->nt], 0, sizeof(ls->t[ls->nt]));
		ls->nt++;
	}
	return &ls->t[i];
}

/*
 * Lines that say how a job ended: exit codes, make's ***, BUILD FAILED.
 * One pass finds a place worth a closer look; most lines have none.
 */
static int
exit_like(const char *s, size_t len)
{
	static const char *const says[] = {"exit status", "exit code",
	    "exited with", "exit value", "exitcode", "returned non-zero",
	    "non-zero exit", "code=exited", "build failed", "build succeeded",
	    "build successful", "process finished with", NULL};
	char low[256];
	size_t i, n = len < sizeof(low) ? len : sizeof(low);
	int look = 0;

	for (i = 0; i + 3 <= len && !look; i++)
		switch (s[i]) {
		case 'x':
			look = s[i + 1] == 'i' && s[i + 2] == 't';
			break;
		case '*':
			look = s[i + 1] == '*' && s[i + 2] == '*' &&
			    memmem(s, len, "make", 4) != NULL;
			if (look)
				return 1;
			break;
		case 'B':
		case 'b':
			look = i + 5 <= len &&
			    (memcmp(s + i + 1, "UILD", 4) == 0 ||
				memcmp(s + i + 1, "uild", 4) == 0);
			break;
		case 'n':
			look =
			    i + 8 <= len && memcmp(s + i, "non-zero", 8) == 0;
			break;
		default:
			break;
		}
	if (!look)
		return 0;
	for (i = 0; i < n; i++)
		low[i] = (char)tolower((unsigned char)s[i]);
	for (i = 0; says[i] != NULL; i++)
		if (memmem(low, n, says[i], strlen(says[i])) != NULL)
			return 1;
	return 0;
}

static int
starts(const char *s, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && memcmp(s, prefix, n) == 0;
}

/* A frame of a stack trace: "  at f (x.js:1:2)", "#3 0x...", "File ". */
static int
frame_line(const char *s, size_t len)
{
	size_t i = 0;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	s += i;
	len -= i;
	return starts(s, len, "at ") || starts(s, len, "File \"") ||
	    (len > 2 && s[0] == '#' && isdigit((unsigned char)s[1])) ||
	    starts(s, len, "frame #");
}

/* A line that begins a trace of its own. */
static int
trace_start(const char *s, size_t len, int *python)
{
	*python = starts(s, len, "Traceback (most recent call last)");
	return *python || starts(s, len, "goroutine ") ||
	    starts(s, len, "stack backtrace:") ||
	    (starts(s, len, "==") && memmem(s, len, "ERROR: ", 7) != NULL &&
		memmem(s, len, "Sanitizer", 9) != NULL);
}

static int
trace_more(const struct logsum *ls, const char *s, size_t len)
{
	if (len == 0)
		return 0;
	if (s[0] == ' ' || s[0] == '\t' || frame_line(s, len))
		return 1;
	return starts(s, len, "Caused by") || starts(s, len, "... ") ||
	    starts(s, len, "created by ") ||
	    (starts(s, len, "goroutine ") && !ls->python);
}

static void
trace_add_line(struct logsum *ls, const char *s, size_t len, long line)
{
	struct trace *t = &ls->cur;
	char *copy;

	if (t->lines == 0) {
		t->first = line;
		t->file = ls->nfiles - 1;
	}
	t->last = line;
	if (t->lines < MAX_TRACE_LINES) {
		copy = copy_line(s, len);
		buf_printf(&t->text, "%s%s", t->lines > 0 ? "\n" : "", copy);
		free(copy);
		t->lines++;
	} else {
		t->more++;
	}
}

/* The trace's hash: its text without the digits that vary. */
static uint64_t
trace_hash(const struct buf *text)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < text->len; i++)
		if (!isdigit((unsigned char)text->s[i]))
			h = (h ^ (unsigned char)text->s[i]) * 1099511628211ull;
	return h | 1;
}

static void
trace_end(struct logsum *ls)
{
	struct trace *t = &ls->cur, *same = NULL;
	uint64_t h;
	int i;

	ls->in_trace = 0;
	if (t->lines == 0)
		return;
	h = trace_hash(&t->text);
	for (i = 0; i < ls->ntraces; i++)
		if (ls->traces[i].hash == h)
			same = &ls->traces[i];
	if (same == NULL && ls->ntraces < MAX_TRACES) {
		same = &ls->traces[ls->ntraces++];
		*same = *t;
		same->hash = h;
		same->count = same->base = 0;
		t->text = (struct buf)BUF_INIT;
	} else if (same == NULL) {
		ls->more_traces++;
	}
	if (same != NULL) {
		if (ls->baseline)
			same->base++;
		else if (same->count++ == 0 && same->base > 0) {
			/* first seen now, seen in the baseline: where now */
			same->first = t->first;
			same->file = t->file;
		}
		if (!ls->baseline)
			same->last = t->last;
	}
	buf_reset(&t->text);
	t->lines = t->more = 0;
}

/*
 * Follows stack traces: returns 1 if the line belongs to one (and is
 * not mined), 0 if not.
 */
static int
follow_trace(struct logsum *ls, const char *s, size_t len)
{
	int python;

	if (ls->in_trace) {
		if (trace_more(ls, s, len)) {
			trace_add_line(ls, s, len, ls->line);
			ls->frames++;
			return 1;
		}
		if (ls->python && len > 0 && ls->frames > 0) {
			/* the exception, after the frames */
			trace_add_line(ls, s, len, ls->line);
			trace_end(ls);
			return 0; /* and mined too: it names the error */
		}
		trace_end(ls);
	}
	if (trace_start(s, len, &python)) {
		ls->in_trace = 1;
		ls->python = python;
		ls->frames = 0;
		trace_add_line(ls, s, len, ls->line);
		return 1;
	}
	if (frame_line(s, len) && ls->prev.len > 0) {
		ls->in_trace = 1;
		ls->python = 0;
		ls->frames = 1;
		trace_add_line(ls, ls->prev.s, ls->prev.len, ls->prev_line);
		trace_add_line(ls, s, len, ls->line);
		return 1;
	}
	return 0;
}

static void
take_line(struct logsum *ls, const char *line, size_t len)
{
	const char *s;
	size_t n;
	int in_trace;

	ls->line++;
	/* Records are UTF-8: a bad byte is U+FFFD, as a decoder makes it. */
	if (utf8_valid_prefix(line, len) != len) {
		buf_reset(&ls->valid);
		utf8_sanitize(line, len, &ls->valid);
		line = ls->valid.s;
		len = ls->valid.len;
	}
	/* What a terminal shows; the masker cleans it once for both. */
	mask_line(&ls->m, line, len);
	s = ls->m.shown;
	n = ls->m.shown_len;
	in_trace = follow_trace(ls, s, n);
	if (!ls->baseline) {
		if (ls->nhead < HEAD && n > 0)
			set_kept(ls, &ls->head[ls->nhead++], s, n);
		if (n > 0) {
			set_kept(ls, &ls->tail[ls->ntail % TAIL], s, n);
			ls->ntail++;
		}
		if (ls->m.exitish && exit_like(s, n)) {
			set_kept(ls, &ls->exits[ls->nexits % MAX_EXIT], s, n);
			ls->nexits++;
		}
	}
	if (!in_trace && n > 0) {
		struct tinfo *t;
		size_t at;
		int created;

		if (ls->m.n > 0) {
			at = drain_add(ls->d, &ls->m, &created);
			t = info(ls, at);
			if (ls->baseline) {
				t->base++;
			} else {
				if (t->count++ == 0) {
					t->first = ls->line;
					t->first_file = ls->nfiles - 1;
				}
				t->last = ls->line;
				t->last_file = ls->nfiles - 1;
				if (t->nkeep < KEEP_FIRST) {
					set_kept(
					    ls, &t->keep[t->nkeep++], s, n);
				} else if (drain_get(ls->d, at)->level == 2) {
					set_kept(ls,
					    &t->latest[t->nlatest %
						KEEP_LATEST],
					    s, n);
					t->nlatest++;
				}
			}
		}
	}
	buf_reset(&ls->prev);
	buf_add(&ls->prev, s, whole_chars(s, n, MAX_KEPT));
	ls->prev_line = ls->line;
}

void
logsum_line(struct logsum *ls, const char *line, size_t len)
{
	if (ls->baseline) {
		/* the input begins: a trace of the baseline ends with it */
		if (ls->in_trace)
			trace_end(ls);
		ls->baseline = 0;
	}
	ls->lines++;
	take_line(ls, line, len);
}

void
logsum_baseline_line(struct logsum *ls, const char *line, size_t len)
{
	ls->baseline = 1;
	ls->has_baseline = 1;
	ls->base_lines++;
	take_line(ls, line, len);
	/* exit lines of the baseline, kept to compare */
	if (ls->m.exitish && exit_like(ls->m.shown, ls->m.shown_len) &&
	    ls->nbase_exits < 64) {
		ls->base_exits = xreallocarray(ls->base_exits,
		    (size_t)ls->nbase_exits + 1, sizeof(*ls->base_exits));
		ls->base_exits[ls->nbase_exits++] =
		    copy_line(ls->m.shown, ls->m.shown_len);
	}
}

void
logsum_baseline_done(struct logsum *ls)
{
	if (ls->in_trace)
		trace_end(ls);
	ls->baseline = 0;
	ls->has_baseline = 1;
	ls->line = 0;
	buf_reset(&ls->prev);
}

/*
 * State files: a first line that says what it is, then one line for
 * each template, trace and exit line, as JSON.
 */
void
logsum_save_state(const struct logsum *ls, FILE *fp)
{
	const struct drain_template *dt;
	struct buf text = BUF_INIT;
	cJSON *rec;
	size_t i;
	int j;

	fprintf(fp, "{\"type\":\"%s\",\"version\":1,\"lines\":%ld}\n",
	    STATE_TYPE, ls->lines);
	for (i = 0; i < drain_count(ls->d); i++) {
		dt = drain_get(ls->d, i);
		if (i >= ls->nt || ls->t[i].count == 0)
			continue;
		buf_reset(&text);
		for (j = 0; j < dt->n; j++)
			buf_printf(&text, "%s%s", j > 0 ? " " : "", dt->tok[j]);
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "template", text.s);
		cJSON_AddNumberToObject(rec, "count", (double)ls->t[i].count);
		cJSON_AddNumberToObject(rec, "level", dt->level);
		buf_reset(&text);
		json_print(&text, rec);
		fprintf(fp, "%s\n", text.s);
		cJSON_Delete(rec);
	}
	for (j = 0; j < ls->ntraces; j++)
		if (ls->traces[j].count > 0)
			fprintf(fp, "{\"trace\":\"%016llx\",\"count\":%ld}\n",
			    (unsigned long long)ls->traces[j].hash,
			    ls->traces[j].count);
	for (j = 0; j < ls->nexits && j < MAX_EXIT; j++) {
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "exit", ls->exits[j].text);
		buf_reset(&text);
		json_print(&text, rec);
		fprintf(fp, "%s\n", text.s);
		cJSON_Delete(rec);
	}
	buf_release(&text);
}

static int
load_record(struct logsum *ls, const cJSON *rec)
{
	const char *tmpl = msg_str(rec, "template"),
		   *exit = msg_str(rec, "exit");
	const char *trace = msg_str(rec, "trace");
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(rec, "count");
	const cJSON *level = cJSON_GetObjectItemCaseSensitive(rec, "level");
	char *copy, *tok[MASK_MAX_TOKENS], *p, *save = NULL;
	size_t at;
	int n = 0;

	if (tmpl != NULL && cJSON_IsNumber(count)) {
		copy = xstrdup(tmpl);
		for (p = strtok_r(copy, " ", &save);
		     p != NULL && n < MASK_MAX_TOKENS;
		     p = strtok_r(NULL, " ", &save))
			tok[n++] = p;
		if (n > 0) {
			at = drain_insert(ls->d, tok, n,
			    cJSON_IsNumber(level) ? (int)level->valuedouble
						  : 0);
			info(ls, at)->base += (long)count->valuedouble;
		}
		free(copy);
		return 0;
	}
	if (trace != NULL && cJSON_IsNumber(count)) {
		if (ls->ntraces < MAX_TRACES) {
			struct trace *t = &ls->traces[ls->ntraces++];

			memset(t, 0, sizeof(*t));
			t->text = (struct buf)BUF_INIT;
			t->hash = strtoull(trace, NULL, 16);
			t->base = (long)count->valuedouble;
		}
		return 0;
	}
	if (exit != NULL) {
		ls->base_exits = xreallocarray(ls->base_exits,
		    (size_t)ls->nbase_exits + 1, sizeof(*ls->base_exits));
		ls->base_exits[ls->nbase_exits++] = xstrdup(exit);
		return 0;
	}
	return -1;
}

int
logsum_load_state(struct logsum *ls, FILE *fp, const char *name)
{
	struct buf line = BUF_INIT;
	struct json_error e;
	cJSON *rec;
	const char *type;
	char chunk[4096];
	long lineno = 0;
	int rv = 1, c;

	/* The first line says whether this is a state file at all. */
	while ((c = getc(fp)) != EOF && c != '\n') {
		char ch = (char)c;

		buf_add(&line, &ch, 1);
	}
	rec = json_parse(line.s, line.len, &e);
	type = msg_str(rec, "type");
	if (type == NULL || strcmp(type, STATE_TYPE) != 0) {
		cJSON_Delete(rec);
		buf_release(&line);
		return 0;
	}
	ls->base_lines = (long)cJSON_GetNumberValue(
	    cJSON_GetObjectItemCaseSensitive(rec, "lines"));
	cJSON_Delete(rec);
	lineno = 1;
	buf_reset(&line);
	while (fgets(chunk, sizeof(chunk), fp) != NULL) {
		buf_addstr(&line, chunk);
		if (line.len == 0 || line.s[line.len - 1] != '\n')
			if (!feof(fp))
				continue;
		lineno++;
		while (line.len > 0 &&
		    (line.s[line.len - 1] == '\n' ||
			line.s[line.len - 1] == '\r'))
			line.s[--line.len] = '\0';
		if (line.len > 0) {
			rec = json_parse(line.s, line.len, &e);
			if (rec == NULL || load_record(ls, rec) < 0) {
				warnx(
				    "%s: line %ld: not a line of a state file",
				    name, lineno);
				rv = -1;
			}
			cJSON_Delete(rec);
		}
		buf_reset(&line);
	}
	buf_release(&line);
	ls->has_baseline = 1;
	return rv;
}

/*
 * Rendering
 */

enum section {
	S_ERRORS,
	S_TRACES,
	S_EXIT,
	S_NEW,
	S_CHANGED,
	S_GONE,
	S_RARE,
	S_WARN,
	S_COMMON,
	S_HEAD,
	S_TAIL,
	NSECTIONS
};

static const char *const headings[NSECTIONS] = {
    "Errors:", "Stack traces:", "Exit status:", "New since the baseline:",
    "Counts that changed:", "No longer seen:", "Rare lines:", "Warnings:",
    "Templates (count, lines, template, example):", "Head:", "Tail:"};

struct item {
	enum section section;
	double prio, order;
	long line, last; /* the lines it shows, from line to last; 0: none */
	int file, chosen, alt; /* alt: index + 1 of the item it shortens */
	int single;            /* it is the one line it shows */
	struct buf text;
	size_t units;
};

struct render {
	struct logsum *ls;
	const struct counter *c;
	struct item *v;
	size_t n, cap;
	int files; /* name files in line references */
};

static struct item *
item(struct render *r, enum section s, double prio, double order)
{
	struct item *it;

	ARRAY_GROW(r->v, r->n, r->cap);
	it = &r->v[r->n++];
	memset(it, 0, sizeof(*it));
	it->section = s;
	it->prio = prio;
	it->order = order;
	it->text = (struct buf)BUF_INIT;
	return it;
}

/* "12" or "build.log:12": where a line is, for sed -n. */
static void
where(const struct render *r, struct buf *out, int file, long line)
{
	const char *name;

	if (r->files) {
		name = r->ls->files[file];
		buf_printf(out, "%s:", name != NULL ? name : "-");
	}
	buf_printf(out, "%ld", line);
}

static void
line_item(struct render *r, enum section s, double prio, const struct kept *k,
    const char *indent)
{
	struct item *it;

	if (k->text == NULL)
		return;
	it = item(r, s, prio, (double)k->file * 1e12 + (double)k->line);
	it->line = it->last = k->line;
	it->file = k->file;
	it->single = 1;
	buf_addstr(&it->text, indent);
	where(r, &it->text, k->file, k->line);
	buf_printf(&it->text, ": %s", k->text);
}

static void
template_text(const struct drain_template *dt, struct buf *out)
{
	int i;

	for (i = 0; i < dt->n; i++)
		buf_printf(out, "%s%s", i > 0 ? " " : "", dt->tok[i]);
	if (dt->more)
		buf_addstr(out, " " ELLIPSIS);
}

/* "x12 lines 40-97: template" */
static void
count_line(const struct render *r, struct buf *out, const struct tinfo *t,
    const struct drain_template *dt)
{
	buf_printf(out, "\xc3\x97%ld lines ", t->count);
	where(r, out, t->first_file, t->first);
	buf_addstr(out, "-");
	where(r, out, t->last_file, t->last);
	buf_addstr(out, ": ");
	template_text(dt, out);
}

/* The kept lines of t: the first, then the latest, oldest first. */
static int
kept_lines(const struct tinfo *t, const struct kept **out)
{
	int n = 0, i, from;

	for (i = 0; i < t->nkeep; i++)
		out[n++] = &t->keep[i];
	from = t->nlatest > KEEP_LATEST ? t->nlatest - KEEP_LATEST : 0;
	for (i = from; i < t->nlatest; i++)
		out[n++] = &t->latest[i % KEEP_LATEST];
	return n;
}

static void
error_items(struct render *r, size_t i, enum section s, double prio)
{
	const struct drain_template *dt = drain_get(r->ls->d, i);
	const struct tinfo *t = &r->ls->t[i];
	const struct kept *k[KEEP_FIRST + KEEP_LATEST];
	struct item *it;
	int n = kept_lines(t, k), j;
	double order = (double)t->first_file * 1e12 + (double)t->first;

	if (n == 0)
		return;
	if (t->count > n) {
		/* the template with its count, then its lines */
		it = item(r, s, prio, order);
		count_line(r, &it->text, t, dt);
		for (j = 0; j < n; j++) {
			it = item(r, s, prio - 20 - j, order + (j + 1) * 1e-3);
			buf_addstr(&it->text, "  ");
			where(r, &it->text, k[j]->file, k[j]->line);
			buf_printf(&it->text, ": %s", k[j]->text);
			it->line = it->last = k[j]->line;
			it->file = k[j]->file;
			it->single = 1;
		}
		r->v[r->n - (size_t)n - 1].prio = prio;
		/* the first line goes with the count */
		r->v[r->n - (size_t)n].prio = prio - 1;
		return;
	}
	for (j = 0; j < n; j++)
		line_item(r, s, prio - (j > 0 ? 20 + j : 0), k[j], "");
}

static void
common_item(struct render *r, size_t i, enum section s, double prio)
{
	const struct drain_template *dt = drain_get(r->ls->d, i);
	const struct tinfo *t = &r->ls->t[i];
	struct item *it = item(r, s, prio, -(double)t->count + i * 1e-9);

	count_line(r, &it->text, t, dt);
	if (t->nkeep > 0) {
		it->line = it->last = t->keep[0].line;
		it->file = t->keep[0].file;
		buf_addstr(&it->text, "\n  e.g. ");
		where(r, &it->text, t->keep[0].file, t->keep[0].line);
		buf_printf(&it->text, ": %s", t->keep[0].text);
	}
}

static void
trace_items(struct render *r, const struct trace *t, double prio)
{
	struct item *it =
	    item(r, S_TRACES, prio, (double)t->file * 1e12 + t->first);
	const char *s, *nl;
	int n = 0;

	it->line = t->first;
	it->last = t->last;
	it->file = t->file;
	buf_addstr(&it->text, "lines ");
	where(r, &it->text, t->file, t->first);
	buf_printf(&it->text, "-%ld", t->last);
	if (t->count > 1)
		buf_printf(&it->text, " (\xc3\x97%ld, the first)", t->count);
	buf_addstr(&it->text, ":");
	for (s = t->text.s; *s != '\0'; s = *nl != '\0' ? nl + 1 : nl) {
		nl = strchr(s, '\n');
		if (nl == NULL)
			nl = s + strlen(s);
		buf_printf(&it->text, "\n  %.*s", (int)(nl - s), s);
		n++;
	}
	if (t->more > 0)
		buf_printf(
		    &it->text, "\n  " ELLIPSIS " %d more lines", t->more);
	/* a shorter one, should the whole not fit: its first and last lines */
	if (n > 8) {
		struct item *alt = item(r, S_TRACES, prio - 2, it->order);
		const char *p;
		int line = 0;

		/* item may have moved the array: the whole is just before alt */
		it = alt - 1;
		p = it->text.s;
		alt->alt = (int)(r->n - 2) + 1;
		alt->line = it->line;
		alt->last = it->last;
		alt->file = it->file;
		for (s = p; *s != '\0' && line < 6; s++)
			if (*s == '\n')
				line++;
		buf_add(&alt->text, p, (size_t)(s - p));
		buf_printf(&alt->text, "  " ELLIPSIS "\n%s",
		    strrchr(p, '\n') != NULL ? strrchr(p, '\n') + 1 : "");
	}
}

static void
baseline_items(struct render *r)
{
	struct logsum *ls = r->ls;
	const struct drain_template *dt;
	const struct tinfo *t;
	struct item *it;
	double scale =
	    ls->base_lines > 0 ? (double)ls->lines / ls->base_lines : 1;
	double expected;
	size_t i;
	int j, k;

	for (i = 0; i < ls->nt; i++) {
		t = &ls->t[i];
		dt = drain_get(ls->d, i);
		expected = t->base * scale;
		if (t->count > 0 && t->base == 0) {
			if (dt->level == 2)
				error_items(r, i, S_NEW, 80);
			else if (t->count <= RARE)
				error_items(
				    r, i, S_NEW, 50 + (dt->level == 1) * 5);
			else
				common_item(r, i, S_NEW, 40);
		} else if (t->count > 0 &&
		    (t->count >= 2 * expected + 2 ||
			2 * t->count + 2 <= expected)) {
			it = item(r, S_CHANGED, dt->level == 2 ? 70 : 45,
			    -(double)t->count);
			count_line(r, &it->text, t, dt);
			buf_printf(
			    &it->text, " (before: \xc3\x97%ld)", t->base);
		} else if (t->count == 0 && t->base > 0) {
			it = item(r, S_GONE, dt->level == 2 ? 30 : 42,
			    -(double)t->base);
			buf_printf(&it->text, "\xc3\x97%ld before: ", t->base);
			template_text(dt, &it->text);
		}
	}
	for (j = 0; j < ls->ntraces; j++)
		if (ls->traces[j].count > 0 && ls->traces[j].base == 0)
			trace_items(r, &ls->traces[j], 75);
	for (j = 0; j < ls->nexits && j < MAX_EXIT; j++) {
		const struct kept *e = &ls->exits[j];

		for (k = 0; k < ls->nbase_exits; k++)
			if (strcmp(ls->base_exits[k], e->text) == 0)
				break;
		if (k == ls->nbase_exits)
			line_item(r, S_EXIT, 90, e, "");
	}
}

static void
summary_items(struct render *r)
{
	struct logsum *ls = r->ls;
	const struct drain_template *dt;
	const struct tinfo *t;
	size_t i;
	int j;

	for (i = 0; i < ls->nt; i++) {
		t = &ls->t[i];
		dt = drain_get(ls->d, i);
		if (t->count == 0)
			continue;
		if (dt->level == 2)
			error_items(r, i, S_ERRORS, 80 + 5.0 / t->count);
		else if (dt->level == 1 && t->count <= RARE)
			error_items(r, i, S_WARN, 50);
		else if (dt->level == 1)
			common_item(r, i, S_WARN, 35);
		else if (t->count <= RARE)
			error_items(r, i, S_RARE, 45 + (t->count == 1) * 5);
		else
			common_item(r, i, S_COMMON,
			    10 + 20 / (1 + log10((double)t->count)));
	}
	for (j = 0; j < ls->ntraces; j++)
		if (ls->traces[j].count > 0)
			trace_items(r, &ls->traces[j], 76);
	for (j = 0; j < ls->nexits && j < MAX_EXIT; j++)
		line_item(r, S_EXIT, 90, &ls->exits[j], "");
	for (j = 0; j < ls->nhead; j++)
		line_item(r, S_HEAD, 30 - j * 0.1, &ls->head[j], "");
	for (j = 0; j < ls->ntail && j < TAIL; j++)
		line_item(r, S_TAIL, 40 + j * 0.1, &ls->tail[j], "");
}

static void
header(const struct render *r, struct buf *out)
{
	const struct logsum *ls = r->ls;
	size_t i, errors = 0, templates = 0;
	long error_lines = 0;
	int traces = 0, j;

	for (i = 0; i < ls->nt; i++) {
		if (ls->t[i].count == 0)
			continue;
		templates++;
		if (drain_get(ls->d, i)->level == 2) {
			errors++;
			error_lines += ls->t[i].count;
		}
	}
	for (j = 0; j < ls->ntraces; j++)
		traces += ls->traces[j].count > 0;
	if (ls->nfiles == 1 && ls->files[0] != NULL)
		buf_printf(out, "%s: ", ls->files[0]);
	buf_printf(out,
	    "%ld lines, %zu templates, %ld error lines in %zu "
	    "templates",
	    ls->lines, templates, error_lines, errors);
	if (traces > 0)
		buf_printf(
		    out, ", %d stack trace%s", traces, traces == 1 ? "" : "s");
	if (ls->has_baseline)
		buf_printf(out, "; compared with a baseline of %ld lines",
		    ls->base_lines);
	buf_addstr(out, ".");
}

static int
by_prio(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a;
	const struct item *y = *(const struct item *const *)b;

	if (x->prio != y->prio)
		return x->prio > y->prio ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static int
by_place(const void *a, const void *b)
{
	const struct item *x = *(const struct item *const *)a;
	const struct item *y = *(const struct item *const *)b;

	if (x->section != y->section)
		return x->section < y->section ? -1 : 1;
	return x->order < y->order ? -1 : x->order > y->order;
}

static void
render_chosen(struct render *r, struct item **place, struct buf *out)
{
	int section = -1;
	size_t i;

	buf_reset(out);
	header(r, out);
	for (i = 0; i < r->n; i++) {
		if (!place[i]->chosen)
			continue;
		if ((int)place[i]->section != section) {
			section = (int)place[i]->section;
			buf_printf(out, "\n%s", headings[section]);
		}
		buf_printf(out, "\n%s", place[i]->text.s);
	}
}

/* Whether a line is shown by a chosen item already. */
static int
shown(struct render *r, const struct item *it)
{
	size_t i;

	if (!it->single)
		return 0;
	for (i = 0; i < r->n; i++)
		if (r->v[i].chosen && r->v[i].file == it->file &&
		    r->v[i].line <= it->line && it->line <= r->v[i].last)
			return 1;
	return 0;
}

char *
logsum_render(struct logsum *ls, const struct counter *c, size_t budget)
{
	struct render r = {ls, c, NULL, 0, 0, ls->nfiles > 1};
	struct item **prio, **place;
	struct buf out = BUF_INIT;
	int used_section[NSECTIONS] = {0};
	size_t i, used, heading[NSECTIONS], tokens;

	if (ls->in_trace)
		trace_end(ls);
	if (ls->lines == 0)
		return xstrdup("");
	if (ls->has_baseline)
		baseline_items(&r);
	else
		summary_items(&r);
	prio = xreallocarray(NULL, r.n + 1, sizeof(*prio));
	place = xreallocarray(NULL, r.n + 1, sizeof(*place));
	for (i = 0; i < r.n; i++) {
		prio[i] = place[i] = &r.v[i];
		r.v[i].units =
		    counter_units(c, r.v[i].text.s, r.v[i].text.len) + 1;
	}
	for (i = 0; i < NSECTIONS; i++)
		heading[i] =
		    counter_units(c, headings[i], strlen(headings[i])) + 1;
	qsort(prio, r.n, sizeof(*prio), by_prio);
	qsort(place, r.n, sizeof(*place), by_place);
	header(&r, &out);
	used = counter_units(c, out.s, out.len);
	for (i = 0; i < r.n; i++) {
		struct item *it = prio[i];
		size_t more = it->units +
		    (used_section[it->section] ? 0 : heading[it->section]);

		if (it->alt > 0 && r.v[it->alt - 1].chosen)
			continue;
		if (counter_tokens(c, used + more) > budget || shown(&r, it))
			continue;
		it->chosen = 1;
		used += more;
		used_section[it->section] = 1;
	}
	render_chosen(&r, place, &out);
	/* Exactly, by the whole text's count: drop the least until it fits. */
	while ((tokens = counter_count(c, out.s, out.len)) > budget) {
		for (i = r.n; i-- > 0;)
			if (prio[i]->chosen)
				break;
		if (i == (size_t)-1)
			break;
		prio[i]->chosen = 0;
		render_chosen(&r, place, &out);
	}
	if (tokens > budget)
		buf_reset(&out); /* not even the header fits */
	for (i = 0; i < r.n; i++)
		buf_release(&r.v[i].text);
	free(r.v);
	free(prio);
	free(place);
	return buf_detach(&out);
}

/*
 * Prose or log?  A log's lines mostly begin with a time, a number, a
 * bracket or a level, or hold key=value pairs; prose's lines are long
 * runs of words that end sentences.
 */
int
logsum_prose(const char *sample, size_t len)
{
	const char *s = sample, *end = sample + len, *nl;
	int lines = 0, prose = 0, logs = 0, words, i;
	size_t n;

	for (; s < end && lines < 400; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (nl == NULL)
			nl = end;
		n = (size_t)(nl - s);
		while (n > 0 && isspace((unsigned char)*s))
			s++, n--;
		if (n == 0)
			continue;
		lines++;
		if (isdigit((unsigned char)s[0]) || s[0] == '[' ||
		    s[0] == '<' || s[0] == '{' ||
		    memmem(s, n, "=", 1) != NULL ||
		    memmem(s, n, "INFO", 4) != NULL ||
		    memmem(s, n, "DEBUG", 5) != NULL ||
		    memmem(s, n, "ERROR", 5) != NULL ||
		    memmem(s, n, "WARN", 4) != NULL) {
			logs++;
			continue;
		}
		for (words = 0, i = 0; i < (int)n; i++)
			words +=
			    s[i] == ' ' && i + 1 < (int)n && s[i + 1] != ' ';
		if (words >= 6 || (s[0] == '#' && words >= 1) ||
		    (s[0] == '-' && words >= 3))
			prose++;
	}
	return lines > 0 && prose * 2 >= lines && logs * 5 < lines;
}
