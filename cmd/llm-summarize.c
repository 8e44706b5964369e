/* llm-summarize: progressive summaries of conversations, and of any text. */
#include <err.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/config.h"
#include "core/context.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "core/record.h"
#include "core/utf8.h"
#include "core/util.h"
#include "mem/extract.h"
#include "mem/logsum.h"
#include "mem/summarize.h"
#include "tok/budget.h"
#include "tok/count.h"

#define EXIT_OVER_BUDGET 3
/* The summary's length without --budget, and text mode's budget. */
#define DEFAULT_SIZE 2000
#define DEFAULT_KEEP 8
/* The model that writes summaries unless told otherwise. */
#define SUMMARIZER_DEFAULT "claude-sonnet"
/* Text mode reads this much at a time; a longer line is cut. */
#define TEXT_CHUNK (1u << 16)
#define MAX_TEXT_LINE (1u << 16)
/* Prose is told from logs by this much of the first input. */
#define SAMPLE (1u << 16)

static struct {
	const char *model, *summarizer, *ask, *engine, *budget;
	const char *baseline, *save_state;
	long keep, size;
	int plain, text;
} opt = {.keep = -1, .size = -1};

static struct config cfg;
static struct inputs inputs;
static struct counter counter;
static const struct model *model;

#define SYNOPSIS \
	"usage: llm-summarize [-t] [-m model] [--engine llm|extractive] [--ask cmd]\n" \
	"                     [--summarizer model] [--budget n|auto [--keep k] | --size n]\n" \
	"                     [--text [--baseline file] [--save-state file]] [file ...]\n"

void
usage(void)
{
	fputs(SYNOPSIS, stderr);
	exit(2);
}

static void
help(void)
{
	printf(SYNOPSIS
	    "\n"
	    "Summarizes the conversation in the JSON-lines files, or standard\n"
	    "input (also \"-\"), into one summary record; with --budget, compacts\n"
	    "it to fit; with --text, summarizes plain text or logs.\n"
	    "\n"
	    "      --ask CMD         run CMD for the llm engine (default llm-ask)\n"
	    "      --baseline FILE   --text: only what is new since FILE, a log\n"
	    "                        or a --save-state file\n"
	    "      --budget N|auto   pass the stream through if it fits N tokens,\n"
	    "                        else [system..., summary, last K]; --text:\n"
	    "                        the summary's length (default 2000)\n"
	    "      --engine E        llm or extractive (default: llm when the\n"
	    "                        summarizer's provider has a key)\n"
	    "      --keep K          messages kept as they are (default 8)\n"
	    "  -m, --model MODEL     count as MODEL does; auto is its budget\n"
	    "      --save-state FILE --text: write the templates seen to FILE\n"
	    "      --size N          the summary's length without --budget\n"
	    "                        (default 2000 tokens)\n"
	    "      --summarizer M    the llm engine's model (default: the\n"
	    "                        configuration's summary_model, claude-sonnet)\n"
	    "  -t, --plain           print the summary's text, not a record\n"
	    "      --text            the input is text or a log, not records\n"
	    "  -h, --help            this help\n"
	    "      --version         the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 failure, 2 usage, 3 over budget, 4 key or\n"
	    "billing, 5 transient.\n");
	exit_flushed(0);
}

/*
 * The input of conversation mode: every record in a context, in order,
 * with the lines as read (passed through untouched when they fit).
 */
struct input {
	struct context ctx;
	struct buf lines;
	cJSON *summary; /* an earlier summary record, or NULL */
	int bad;
};

static const char *
check_summary(const cJSON *rec)
{
	const cJSON *covers = cJSON_GetObjectItemCaseSensitive(rec, "covers");
	const cJSON *through = cJSON_GetObjectItemCaseSensitive(rec, "through");
	const char *role = msg_str(rec, "role");

	if (covers != NULL &&
	    !(cJSON_IsNumber(covers) && covers->valuedouble >= 0 &&
		covers->valuedouble <= 9e15 &&
		covers->valuedouble == (double)(long long)covers->valuedouble))
		return "a summary's 'covers' is not a whole number";
	if (through != NULL && !cJSON_IsString(through))
		return "a summary's 'through' is not a string";
	if (cJSON_GetObjectItemCaseSensitive(rec, "role") != NULL &&
	    (role == NULL || strcmp(role, "system") != 0))
		return "a summary's 'role' is not system";
	return NULL;
}

/* A message of the conversation: not system text, not another type. */
static int
conversation_message(const cJSON *rec)
{
	const char *role = msg_str(rec, "role");

	return record_type(rec) == REC_MESSAGE && role != NULL &&
	    !record_role_system(role);
}

static void
read_records(struct input *in)
{
	struct jsonl r;
	const char *why;
	cJSON *rec;
	int rv, messages = 0;

	context_init(&in->ctx);
	jsonl_init_inputs(&r, &inputs);
	while ((rv = jsonl_read(&r, &rec)) != 0) {
		if (rv < 0) {
			in->bad = 1;
			continue;
		}
		why = NULL;
		if (record_type(rec) == REC_SUMMARY &&
		    (why = record_check(rec)) == NULL) {
			if ((why = check_summary(rec)) == NULL && messages > 0)
				why =
				    "a summary record after messages: it must "
				    "come before those it does not cover";
			else if (why == NULL && in->summary != NULL)
				why = "a second summary record: give only the "
				      "latest";
		}
		if (why != NULL)
			cJSON_Delete(
			    rec); /* the context keeps all it is given */
		else if ((why = context_add(&in->ctx, rec)) == NULL &&
		    record_type(rec) == REC_SUMMARY)
			in->summary = rec;
		else if (why == NULL && conversation_message(rec))
			messages++;
		if (why != NULL) {
			jsonl_error(&r, "%s", why);
			in->bad = 1;
			continue;
		}
		buf_add(&in->lines, r.line.s, r.line.len);
		buf_add(&in->lines, "\n", 1);
	}
	jsonl_release(&r);
	if (inputs.failed)
		in->bad = 1;
}

static void
input_release(struct input *in)
{
	context_release(&in->ctx);
	buf_release(&in->lines);
}

/* The engine's name, as the record gives it. */
static const char *
engine_name(void)
{
	const struct model *m;

	if (opt.engine != NULL)
		return opt.engine;
	m = model_find(opt.summarizer);
	return m != NULL && model_has_key(m, &cfg) ? "llm" : "extractive";
}

/* What is summarized: an earlier summary, then messages first to last. */
struct covered {
	const cJSON *summary;
	const cJSON **m;
	size_t n, cap;
	long covers; /* messages, with those the earlier summary covers */
	const char *from, *through, *session;
};

static void
covered_add(struct covered *cv, const cJSON *m)
{
	const char *id = msg_str(m, "id");

	ARRAY_GROW(cv->m, cv->n, cv->cap);
	cv->m[cv->n++] = m;
	cv->covers++;
	if (id != NULL) {
		/* after an earlier summary, the first is that summary's */
		if (cv->from == NULL && cv->summary == NULL)
			cv->from = id;
		cv->through = id;
	}
	if (msg_str(m, "session") != NULL)
		cv->session = msg_str(m, "session");
}

static void
covered_init(struct covered *cv, const cJSON *summary)
{
	const cJSON *covers =
	    cJSON_GetObjectItemCaseSensitive(summary, "covers");

	memset(cv, 0, sizeof(*cv));
	cv->summary = summary;
	if (summary != NULL) {
		cv->covers =
		    cJSON_IsNumber(covers) ? (long)covers->valuedouble : 0;
		cv->from = msg_str(summary, "from");
		cv->through = msg_str(summary, "through");
		cv->session = msg_str(summary, "session");
	}
}

/* The extractive engine over what is covered, in room tokens. */
static char *
extract_covered(const struct covered *cv, size_t room)
{
	struct extract *x = extract_new(&counter);
	char *out;

	summarize_feed(x, cv->summary, cv->m, cv->n);
	out = extract_render(x, room, cv->covers);
	extract_free(x);
	return out;
}

/* The tokens of what is covered: its text, as one request counts it. */
static size_t
covered_tokens(const struct covered *cv)
{
	struct cost cost = {0, 0};
	const char *s;
	size_t i;

	if (cv->summary != NULL &&
	    (s = msg_str(cv->summary, "content")) != NULL)
		cost.units += counter_units(&counter, s, strlen(s));
	for (i = 0; i < cv->n; i++)
		budget_add_message(&counter, cv->m[i], &cost);
	return budget_tokens(&counter, &cost);
}

/*
 * The summary's text by the engine chosen, in room tokens; the llm
 * engine adds its fields to rec.  Returns 0, or the status to exit with
 * (nothing printed).
 */
static int
summarize(const struct covered *cv, size_t room, int extractive, cJSON *rec,
    char **text)
{
	struct summarize_opts so;
	const char *why = NULL;
	int status;

	*text = NULL;
	if (!extractive && strcmp(engine_name(), "llm") == 0) {
		memset(&so, 0, sizeof(so));
		so.command = opt.ask;
		so.summarizer = opt.summarizer;
		so.counter = &counter;
		so.room = room;
		so.limit = covered_tokens(cv);
		so.covers = cv->covers;
		status = summarize_llm(
		    &so, cv->summary, cv->m, cv->n, rec, text, &why);
		if (status != 0)
			return status;
		if (*text != NULL) {
			msg_set_string(rec, "engine", "llm");
			return 0;
		}
	} else if (extractive) {
		why = "is over the budget";
	}
	if (why != NULL) {
		warnx("the llm engine's summary %s: the extractive engine "
		      "summarized instead",
		    why);
		msg_set_string(rec, "fallback", why);
	}
	*text = extract_covered(cv, room);
	msg_set_string(rec, "engine", "extractive");
	return 0;
}

static cJSON *
summary_record(void)
{
	cJSON *rec = cJSON_CreateObject();

	if (rec == NULL)
		errx(1, "out of memory");
	msg_set_string(rec, "type", "summary");
	msg_set_string(rec, "role", "system");
	msg_set_string(rec, "content", "");
	return rec;
}

static void
summary_fields(cJSON *rec, const struct covered *cv)
{
	msg_set_number(rec, "covers", (double)cv->covers);
	if (cv->through != NULL)
		msg_set_string(rec, "through", cv->through);
	if (cv->from != NULL)
		msg_set_string(rec, "from", cv->from);
	if (cv->session != NULL)
		msg_set_string(rec, "session", cv->session);
}

/* Writes the summary: the record, or with -t its text alone. */
static void
print_summary(const cJSON *rec)
{
	const char *text = msg_str(rec, "content");

	if (!opt.plain) {
		jsonl_write(stdout, rec);
	} else if (text[0] != '\0') {
		fputs(text, stdout);
		if (text[strlen(text) - 1] != '\n')
			putchar('\n');
	}
}

/* Default mode: the whole conversation in one summary record. */
static int
run_summary(struct input *in)
{
	size_t size = (size_t)(opt.size >= 0 ? opt.size : DEFAULT_SIZE), limit;
	struct covered cv;
	const cJSON *m;
	cJSON *rec;
	char *text;
	int status;

	covered_init(&cv, in->summary);
	cJSON_ArrayForEach(m, in->ctx.messages) {
		covered_add(&cv, m);
	}
	if (cv.n == 0 && cv.summary == NULL) {
		free(cv.m);
		return 0; /* nothing to summarize */
	}
	limit = covered_tokens(&cv);
	rec = summary_record();
	summary_fields(rec, &cv);
	status = summarize(&cv, size < limit ? size : limit, 0, rec, &text);
	if (status == 0) {
		msg_set_string(rec, "content", text);
		print_summary(rec);
	}
	free(text);
	cJSON_Delete(rec);
	free(cv.m);
	return status;
}

static void
report_over(size_t tokens, size_t limit, const char *what)
{
	printf("{\"tokens\":%zu,\"limit\":%zu,\"over\":%zu%s}\n", tokens, limit,
	    tokens - limit, counter_exact(&counter) ? "" : ",\"exact\":false");
	warnx("over budget: %s is %zu tokens, limit %zu", what, tokens, limit);
}

/* The prompt llm-ask puts first, so that the count is what it sends. */
static const char *
system_prompt(void)
{
	return config_get(&cfg, "", "", "system");
}

/*
 * Writes the records in order: the earlier summary and the covered
 * messages give way to rec, at the place of the first of them.
 */
static void
print_compacted(const struct input *in, const cJSON *tail, cJSON *rec)
{
	const cJSON *r;
	int before_tail = 1, placed = 0;

	cJSON_ArrayForEach(r, in->ctx.records) {
		if (r == rec)
			continue;
		if (tail != NULL && r->child == tail->child)
			before_tail = 0;
		if (r == in->summary ||
		    (before_tail && conversation_message(r))) {
			if (!placed)
				jsonl_write(stdout, rec);
			placed = 1;
			continue;
		}
		jsonl_write(stdout, r);
	}
	if (!placed)
		jsonl_write(stdout, rec);
}

/* --budget: pass through what fits, else [system..., summary, last K]. */
static int
run_compact(struct input *in, size_t limit)
{
	const char *prompt = system_prompt();
	size_t tokens, fixed, room, after;
	struct covered cv;
	cJSON *tail, *m, *rec;
	char *text = NULL;
	int status = 0, tries;

	tokens = budget_context(&counter, &in->ctx, prompt, NULL, NULL);
	if (tokens <= limit) {
		fwrite(in->lines.s, 1, in->lines.len, stdout);
		return 0;
	}
	tail = budget_tail(in->ctx.messages, (int)opt.keep);
	covered_init(&cv, in->summary);
	/* The records themselves: the lists hold references, dropped below. */
	cJSON_ArrayForEach(m, in->ctx.records) {
		if (tail != NULL && m->child == tail->child)
			break;
		if (conversation_message(m))
			covered_add(&cv, m);
	}
	if (cv.n == 0) {
		report_over(
		    tokens, limit, "the input, with nothing to summarize,");
		free(cv.m);
		return EXIT_OVER_BUDGET;
	}
	/* What stays: all but the covered, with an empty summary. */
	rec = summary_record();
	summary_fields(rec, &cv);
	while (
	    in->ctx.messages->child != NULL && in->ctx.messages->child != tail)
		context_drop(in->ctx.messages, in->ctx.messages->child);
	if (in->ctx.summaries->child != NULL)
		context_drop(in->ctx.summaries, in->ctx.summaries->child);
	context_add(&in->ctx, rec);
	fixed = budget_context(&counter, &in->ctx, prompt, NULL, NULL);
	if (fixed >= limit) {
		report_over(fixed, limit, "what is kept without a summary");
		status = EXIT_OVER_BUDGET;
		goto out;
	}
	room = limit - fixed;
	for (tries = 0; tries < 3; tries++) {
		free(text);
		/* Only once by a model: then by extraction, which fits. */
		status = summarize(&cv, room,
		    tries > 0 && strcmp(msg_str(rec, "engine"), "llm") == 0,
		    rec, &text);
		if (status != 0)
			goto out;
		msg_set_string(rec, "content", text);
		after = budget_context(&counter, &in->ctx, prompt, NULL, NULL);
		if (after <= limit)
			break;
		/* Text that meets the heading may count differently. */
		room = room > after - limit ? room - (after - limit) : 0;
	}
	if (after > limit) {
		report_over(after, limit, "the compacted stream");
		status = EXIT_OVER_BUDGET;
		goto out;
	}
	print_compacted(in, tail, rec);
out:
	free(text);
	free(cv.m);
	return status;
}

/* --budget, checked when it was given: a number, or auto. */
static size_t
budget_value(const char *arg)
{
	if (strcmp(arg, "auto") == 0)
		return (size_t)model->budget;
	return (size_t)strtol(arg, NULL, 10);
}

/* The model counted by; returns -1 after saying why there is none. */
static int
setup_counter(const char *route)
{
	const char *name = models_pick(opt.model, route, &cfg);

	if ((model = model_find(name)) == NULL) {
		warnx("unknown model '%s'%s", name,
		    route != NULL && opt.model == NULL ? " in the route record"
						       : "");
		return -1;
	}
	if (counter_for_model(&counter, model) < 0) {
		warnx("model '%s' has no counter", model->name);
		return -1;
	}
	return 0;
}

static int
run_records(void)
{
	struct input in;
	int status;

	memset(&in, 0, sizeof(in));
	in.lines = (struct buf)BUF_INIT;
	read_records(&in);
	if (setup_counter(in.ctx.route_model) < 0) {
		status = 1;
	} else if (in.bad) {
		warnx("bad input: %s",
		    opt.budget != NULL ? "nothing passed through"
				       : "no summary");
		status = 1;
	} else if (opt.budget != NULL) {
		status = run_compact(&in, budget_value(opt.budget));
	} else {
		status = run_summary(&in);
	}
	input_release(&in);
	return status;
}

/*
 * Text mode
 */

/* Lines as they are cut from the bytes read, at most MAX_TEXT_LINE. */
struct lines {
	struct buf line;
	void (*fn)(void *, const char *, size_t);
	void *arg;
};

static void
add_bytes(struct lines *l, const char *s, size_t len)
{
	if (l->line.len < MAX_TEXT_LINE)
		buf_add(&l->line, s,
		    len < MAX_TEXT_LINE - l->line.len
			? len
			: MAX_TEXT_LINE - l->line.len);
}

static void
cut_lines(struct lines *l, const char *s, size_t len)
{
	const char *end = s + len, *nl;

	for (; s < end; s = nl + 1) {
		if ((nl = memchr(s, '\n', (size_t)(end - s))) == NULL) {
			add_bytes(l, s, (size_t)(end - s));
			return;
		}
		if (l->line.len == 0) {
			l->fn(l->arg, s,
			    (size_t)(nl - s) < MAX_TEXT_LINE ? (size_t)(nl - s)
							     : MAX_TEXT_LINE);
		} else {
			add_bytes(l, s, (size_t)(nl - s));
			l->fn(l->arg, l->line.s, l->line.len);
			buf_reset(&l->line);
		}
	}
}

/*
 * Feeds fn the lines of prefix (len bytes already read from fp), then
 * of the rest of fp; a line over MAX_TEXT_LINE bytes is cut there.
 * Returns 0, or -1 after reporting a read error.
 */
static int
read_lines(FILE *fp, const char *name, const char *prefix, size_t len,
    void (*fn)(void *, const char *, size_t), void *arg)
{
	struct lines l = {BUF_INIT, fn, arg};
	static char chunk[TEXT_CHUNK];
	size_t got;
	int rv = 0;

	cut_lines(&l, prefix, len);
	while ((got = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		cut_lines(&l, chunk, got);
	if (ferror(fp)) {
		warn("%s", name != NULL ? name : "stdin");
		rv = -1;
	} else if (l.line.len > 0) {
		fn(arg, l.line.s, l.line.len);
	}
	buf_release(&l.line);
	return rv;
}

static void
feed_log(void *arg, const char *s, size_t len)
{
	logsum_line(arg, s, len);
}

static void
feed_baseline(void *arg, const char *s, size_t len)
{
	logsum_baseline_line(arg, s, len);
}

static int
load_baseline(struct logsum *ls)
{
	FILE *fp = fopen(opt.baseline, "re");
	int rv;

	if (fp == NULL) {
		warn("%s", opt.baseline);
		return -1;
	}
	rv = logsum_load_state(ls, fp, opt.baseline);
	if (rv == 0) {
		rewind(fp);
		rv = read_lines(fp, opt.baseline, "", 0, feed_baseline, ls);
	}
	fclose(fp);
	logsum_baseline_done(ls);
	return rv < 0 ? -1 : 0;
}

static int
save_state(const struct logsum *ls)
{
	FILE *fp = fopen(opt.save_state, "we");

	if (fp == NULL) {
		warn("%s", opt.save_state);
		return -1;
	}
	logsum_save_state(ls, fp);
	if (fclose(fp) != 0) {
		warn("%s", opt.save_state);
		return -1;
	}
	return 0;
}

/* Prose: sentences with their line numbers, by the extractive engine. */
struct prose {
	struct extract *x;
	long line;
	size_t bytes;
	struct buf valid;
};

static void
feed_prose(void *arg, const char *s, size_t len)
{
	struct prose *p = arg;

	p->line++;
	/* Memory stays bounded: past this, only what may matter. */
	if (p->bytes > (64u << 20))
		return;
	p->bytes += len;
	if (utf8_valid_prefix(s, len) != len) {
		buf_reset(&p->valid);
		utf8_sanitize(s, len, &p->valid);
		s = p->valid.s;
		len = p->valid.len;
	}
	extract_add(p->x, EXTRACT_TEXT, s, len, p->line);
}

static int
run_text(void)
{
	size_t budget =
	    opt.budget != NULL ? budget_value(opt.budget) : DEFAULT_SIZE;
	struct logsum *ls = NULL;
	struct prose p = {NULL, 0, 0, BUF_INIT};
	static char sample[SAMPLE];
	size_t got;
	FILE *fp;
	cJSON *rec;
	char *text = NULL;
	int status = 0, first = 1, prose = 0;
	long lines = 0;

	while ((fp = inputs_next(&inputs)) != NULL) {
		if (first) {
			got = fread(sample, 1, sizeof(sample), fp);
			prose =
			    opt.baseline == NULL && logsum_prose(sample, got);
			if (prose)
				p.x = extract_new(&counter);
			else {
				ls = logsum_new();
				if (opt.baseline != NULL &&
				    load_baseline(ls) < 0) {
					status = 1;
					break;
				}
			}
			first = 0;
		} else {
			got = 0;
		}
		if (!prose)
			logsum_file(ls, inputs.name);
		if (read_lines(fp, inputs.name, sample, got,
			prose ? feed_prose : feed_log,
			prose ? (void *)&p : (void *)ls) < 0)
			status = 1;
	}
	if (inputs.failed)
		status = 1;
	if (status == 0) {
		rec = summary_record();
		if (prose) {
			text = extract_render(p.x, budget, 0);
			lines = p.line;
		} else {
			text = logsum_render(ls, &counter, budget);
			lines = logsum_lines(ls);
		}
		msg_set_string(rec, "content", text);
		msg_set_number(rec, "covers", (double)lines);
		msg_set_string(
		    rec, "engine", prose ? "extractive" : "templates");
		if (opt.save_state != NULL && ls != NULL && save_state(ls) < 0)
			status = 1;
		else if (lines > 0)
			print_summary(rec);
		cJSON_Delete(rec);
	}
	free(text);
	extract_free(p.x);
	buf_release(&p.valid);
	logsum_free(ls);
	return status;
}

static void
check_options(void)
{
	if (opt.engine != NULL && strcmp(opt.engine, "llm") != 0 &&
	    strcmp(opt.engine, "extractive") != 0) {
		warnx("--engine: expected llm or extractive, not '%s'",
		    opt.engine);
		usage();
	}
	if (opt.keep >= 0 && opt.budget == NULL) {
		warnx("--keep goes with --budget");
		usage();
	}
	if (opt.size >= 0 && (opt.budget != NULL || opt.text)) {
		warnx(
		    "--size is the summary's length without --budget or --text");
		usage();
	}
	if ((opt.baseline != NULL || opt.save_state != NULL) && !opt.text) {
		warnx("--baseline and --save-state go with --text");
		usage();
	}
	if (opt.plain && opt.budget != NULL && !opt.text) {
		warnx("-t prints a summary's text; --budget prints records");
		usage();
	}
	if (opt.keep < 0)
		opt.keep = DEFAULT_KEEP;
	if (opt.summarizer == NULL)
		opt.summarizer = config_get(&cfg, "", "", "summary_model");
	if (opt.summarizer == NULL)
		opt.summarizer = SUMMARIZER_DEFAULT;
	if (opt.engine != NULL && strcmp(opt.engine, "llm") == 0 &&
	    model_find(opt.summarizer) == NULL) {
		warnx("unknown model '%s'", opt.summarizer);
		usage();
	}
	if (opt.model != NULL && model_find(opt.model) == NULL) {
		warnx("unknown model '%s'", opt.model);
		usage();
	}
}

/* The options; those without a short one are numbered from 256. */
enum {
	OPT_ASK = 256,
	OPT_BASELINE,
	OPT_BUDGET,
	OPT_ENGINE,
	OPT_KEEP,
	OPT_SAVE_STATE,
	OPT_SIZE,
	OPT_SUMMARIZER,
	OPT_TEXT,
	OPT_VERSION
};

static const struct option longopts[] = {
    {"ask", required_argument, NULL, OPT_ASK},
    {"baseline", required_argument, NULL, OPT_BASELINE},
    {"budget", required_argument, NULL, OPT_BUDGET},
    {"engine", required_argument, NULL, OPT_ENGINE},
    {"help", no_argument, NULL, 'h'},
    {"keep", required_argument, NULL, OPT_KEEP},
    {"model", required_argument, NULL, 'm'},
    {"plain", no_argument, NULL, 't'},
    {"save-state", required_argument, NULL, OPT_SAVE_STATE},
    {"size", required_argument, NULL, OPT_SIZE},
    {"summarizer", required_argument, NULL, OPT_SUMMARIZER},
    {"text", no_argument, NULL, OPT_TEXT},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Parses the options into opt. */
static void
parse_options(int argc, char *argv[])
{
	int ch;

	while ((ch = getopt_long(argc, argv, "hm:t", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			break;
		case 'm':
			opt.model = optarg;
			break;
		case 't':
			opt.plain = 1;
			break;
		case OPT_ASK:
			opt.ask = optarg;
			break;
		case OPT_BASELINE:
			opt.baseline = optarg;
			break;
		case OPT_BUDGET:
			opt.budget = optarg;
			if (strcmp(optarg, "auto") != 0)
				option_number("--budget", optarg, 1, LONG_MAX);
			break;
		case OPT_ENGINE:
			opt.engine = optarg;
			break;
		case OPT_KEEP:
			opt.keep = option_number("--keep", optarg, 0, INT_MAX);
			break;
		case OPT_SAVE_STATE:
			opt.save_state = optarg;
			break;
		case OPT_SIZE:
			opt.size = option_number("--size", optarg, 1, LONG_MAX);
			break;
		case OPT_SUMMARIZER:
			opt.summarizer = optarg;
			break;
		case OPT_TEXT:
			opt.text = 1;
			break;
		case OPT_VERSION:
			printf("llm-summarize %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			usage();
		}
	}
}

int
main(int argc, char *argv[])
{
	int status;

	parse_options(argc, argv);
	if (models_load(&cfg) != 0)
		exit(1);
	check_options();
	inputs_init(&inputs, argv + optind, argc - optind);
	if (opt.text) {
		status = setup_counter(NULL) < 0 ? 1 : run_text();
	} else {
		status = run_records();
	}
	inputs_release(&inputs);
	models_release();
	config_release(&cfg);
	exit_flushed(status);
}
