/* llm-ask: one model call, with a context that fits the model's budget. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/config.h"
#include "core/context.h"
#include "core/json.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "core/record.h"
#include "core/util.h"
#include "mem/route.h"
#include "net/http.h"
#include "net/provider.h"
#include "tok/budget.h"
#include "tok/count.h"

/* Exit statuses beyond 0, 1 and 2; llm-ask(1) lists them. */
#define EXIT_OVER_BUDGET 3
#define EXIT_AUTH 4
#define EXIT_TRANSIENT 5

static struct {
	const char *model;
	const char *system;
	const char *schema;
	const char *record; /* --record: the reply record's file */
	long max_tokens;
	double temperature;
	int fit, stream, text, show, dry_run, count, auto_route;
	int embed;
	long dims, batch; /* --embed's */
	struct http_opts http;
} opt = {.temperature = -1,
    .batch = 128,
    .http = {.connect_timeout = 10,
	.idle_timeout = 600,
	.retries = 2,
	.max_event = HTTP_MAX_EVENT,
	.max_reply = HTTP_MAX_REPLY}};

static struct config cfg;

#define SYNOPSIS \
	"usage: llm-ask [-m model] [-s system] [--fit] [--stream | -t | --show]\n" \
	"               [--max-tokens n] [--temperature t] [--json-schema s]\n" \
	"               [--auto] [--count] [--dry-run] [--record file]\n" \
	"               [timeouts] [prompt ...]\n" \
	"       llm-ask --embed [-m model] [--dims n] [--batch n] [--dry-run]\n" \
	"               [timeouts] [text ...]\n" \
	"       llm-ask --models\n"

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
	    "Sends the conversation read on stdin (JSON lines), then the prompt\n"
	    "given as operands as a user message, to a model and prints its\n"
	    "reply as an assistant message record.\n"
	    "\n"
	    "  -m, --model MODEL     the model (default: the route record, then\n"
	    "                        $LLMPIPE_MODEL, the config, gpt-4o)\n"
	    "      --auto            without -m or a route record, the model\n"
	    "                        llm-classify's rules route the input to\n"
	    "  -s, --system TEXT     the system prompt\n"
	    "      --fit             drop docs, then the oldest messages, to fit\n"
	    "                        the model's input budget\n"
	    "      --stream          delta records as the reply arrives\n"
	    "  -t, --text            only the reply's text, as it arrives\n"
	    "      --show            the text on stderr as it arrives; stdout\n"
	    "                        gets the reply record alone\n"
	    "      --record FILE     write the reply record to FILE too\n"
	    "      --max-tokens N    the longest reply\n"
	    "      --temperature T   sampling temperature\n"
	    "      --json-schema S   a JSON Schema (text or file) for the reply\n"
	    "      --count           the input's tokens, by the provider's count\n"
	    "                        endpoint where it has one; send no request\n"
	    "      --dry-run         print the request body; send nothing\n"
	    "      --embed           embedding records of the text records\n"
	    "                        (default text-embedding-3-small)\n"
	    "      --dims N          with --embed: vectors of N dimensions\n"
	    "      --batch N         with --embed: texts a request (128)\n"
	    "      --models          list the model table\n"
	    "      --connect-timeout S, --idle-timeout S, --timeout S\n"
	    "                        seconds to connect, without a byte, in all\n"
	    "      --retries N       attempts after a transient failure\n"
	    "  -h, --help            this help\n"
	    "      --version         the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 failure, 2 usage, 3 over budget, 4 key or\n"
	    "billing, 5 transient (overload, rate limit, network, cut stream).\n");
	exit_flushed(0);
}

static double
parse_temperature(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v <= 2)) {
		warnx("--temperature: expected a number from 0 to 2, not '%s'",
		    s);
		usage();
	}
	return v;
}

/* Settings the configuration's first lines may hold, where no flag did. */
static void
apply_config(const int *given)
{
	static const struct {
		const char *key;
		long *value;
	} timeouts[] = {
	    {"connect_timeout", &opt.http.connect_timeout},
	    {"idle_timeout", &opt.http.idle_timeout},
	    {"timeout", &opt.http.total_timeout},
	};
	size_t i;

	for (i = 0; i < 3; i++)
		if (!given[i])
			*timeouts[i].value = config_number(
			    &cfg, "", "", timeouts[i].key, *timeouts[i].value);
	if (!given[3])
		opt.http.retries = (int)config_number(
		    &cfg, "", "", "retries", opt.http.retries);
	opt.http.max_event = (size_t)config_number(
	    &cfg, "", "", "max_event_bytes", (long)opt.http.max_event);
	opt.http.max_reply = (size_t)config_number(
	    &cfg, "", "", "max_reply_bytes", (long)opt.http.max_reply);
	if (opt.system == NULL)
		opt.system = config_get(&cfg, "", "", "system");
}

static void
list_models(void)
{
	const struct model *m;
	cJSON *rec;
	size_t i;

	for (i = 0; (m = model_at(i)) != NULL; i++) {
		rec = cJSON_CreateObject();
		cJSON_AddStringToObject(rec, "model", m->name);
		cJSON_AddStringToObject(rec, "provider", m->provider);
		cJSON_AddStringToObject(rec, "api_id", m->api_id);
		cJSON_AddNumberToObject(rec, "context", m->context);
		cJSON_AddNumberToObject(rec, "budget", m->budget);
		cJSON_AddNumberToObject(rec, "max_output", m->max_output);
		cJSON_AddStringToObject(rec, "counter", model_counter_name(m));
		if (m->counter == COUNT_SCALED && m->factor != 1000)
			cJSON_AddNumberToObject(
			    rec, "factor", m->factor / 1000.0);
		cJSON_AddBoolToObject(rec, "exact", m->counter == COUNT_EXACT);
		if (m->prices.input >= 0) {
			cJSON_AddNumberToObject(
			    rec, "price_input", m->prices.input);
			cJSON_AddNumberToObject(
			    rec, "price_cached", m->prices.cached);
			cJSON_AddNumberToObject(
			    rec, "price_output", m->prices.output);
		}
		if (m->prices.as_of != NULL)
			cJSON_AddStringToObject(
			    rec, "prices_as_of", m->prices.as_of);
		jsonl_write(stdout, rec);
		cJSON_Delete(rec);
	}
	exit_flushed(0);
}

/* --json-schema takes the schema itself, or a file that holds it. */
static cJSON *
load_schema(const char *arg)
{
	struct buf text = BUF_INIT;
	struct json_error e;
	FILE *fp;
	cJSON *schema;

	if (arg[strspn(arg, " \t\n")] == '{') {
		buf_addstr(&text, arg);
	} else {
		if ((fp = fopen(arg, "re")) == NULL || buf_read(&text, fp) < 0)
			err(2, "--json-schema: %s", arg);
		fclose(fp);
	}
	schema = json_parse(text.s, text.len, &e);
	buf_release(&text);
	if (!cJSON_IsObject(schema))
		errx(2, "--json-schema: not a JSON object");
	return schema;
}

/*
 * Text that is not JSON lines, such as "echo hello | llm-ask", gets a
 * word on what the input is and how text is sent.
 */
static void
hint_text_input(const struct jsonl *r)
{
	const char *s = r->line.s + strspn(r->line.s, " \t");

	if (r->lineno == 1 && *s != '{' && *s != '[')
		warnx("standard input is JSON lines, one record such as "
		      "{\"role\":\"user\",\"content\":\"...\"} a line; "
		      "to send text, give it as operands "
		      "(llm-ask 'question') or pipe it through "
		      "jq -Rs '{role:\"user\",content:.}'");
}

/* Reads every record of standard input; any bad line means no call. */
static int
read_input(struct context *ctx)
{
	struct jsonl r;
	const char *why;
	cJSON *rec;
	int rc, bad = 0;

	jsonl_init(&r, stdin);
	while ((rc = jsonl_read(&r, &rec)) != 0) {
		if (rc < 0) {
			hint_text_input(&r);
			bad = 1;
		} else if ((why = context_add(ctx, rec)) != NULL) {
			jsonl_error(&r, "%s", why);
			bad = 1;
		}
	}
	jsonl_release(&r);
	return bad ? -1 : 0;
}

/* The operands, joined by spaces, as the last user message. */
static void
add_prompt(struct context *ctx, char **words, int n)
{
	struct buf text = BUF_INIT;
	cJSON *rec = cJSON_CreateObject();
	int i;

	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addstr(&text, " ");
		buf_addstr(&text, words[i]);
	}
	msg_set_string(rec, "role", "user");
	msg_set_string(rec, "content", text.s);
	buf_release(&text);
	context_add(ctx, rec);
}

/*
 * What the system prompt holds beyond the context: for a provider
 * without structured output, the schema the reply must follow.  The
 * caller frees it.
 */
static char *
schema_instruction(const cJSON *schema, const struct provider *p)
{
	struct buf text = BUF_INIT;

	if (schema == NULL || p->json_schema)
		return NULL;
	buf_addstr(&text,
	    "Reply with JSON only, without code fences, "
	    "valid against this JSON Schema:\n");
	json_print(&text, schema);
	return buf_detach(&text);
}

static void
report_dropped(
    const struct budget_report *d, const struct model *m, size_t limit)
{
	if (d->docs + d->facts + d->messages == 0)
		return;
	warnx("dropped %d doc%s, %d fact%s and %d message%s (%zu tokens) to "
	      "fit %s's limit of %zu tokens",
	    d->docs, d->docs == 1 ? "" : "s", d->facts,
	    d->facts == 1 ? "" : "s", d->messages, d->messages == 1 ? "" : "s",
	    d->before - d->after, m->name, limit);
}

/*
 * "maximum context length is 128000 tokens. However, your messages
 * resulted in 130000 tokens" (OpenAI; DeepSeek: "you requested"), or
 * "prompt is too long: 210000 tokens > 200000 maximum" (Anthropic).
 */
static int
overflow(const char *message, long *limit, long *actual)
{
	const char *s;

	if ((s = strstr(message, "prompt is too long: ")) != NULL)
		return sscanf(s, "prompt is too long: %ld tokens > %ld", actual,
			   limit) == 2
		    ? 0
		    : -1;
	if ((s = strstr(message, "maximum context length is ")) == NULL ||
	    sscanf(s, "maximum context length is %ld", limit) != 1)
		return -1;
	if ((s = strstr(message, "resulted in ")) != NULL)
		return sscanf(s, "resulted in %ld", actual) == 1 ? 0 : -1;
	if ((s = strstr(message, "requested ")) != NULL)
		return sscanf(s, "requested %ld", actual) == 1 ? 0 : -1;
	return -1;
}

/* Fields of ours the reply sets itself, or that belong to one message. */
static const char *const own_fields[] = {"role", "content", "id", "ts", "model",
    "provider", "api_model", "finish", "reasoning", "tokens", "exact",
    "truncated", "usage", "cost_usd", "latency_ms", "name", "tool_calls",
    "tool_call_id", "type", NULL};

static int
own_field(const char *name)
{
	const char *const *f;

	for (f = own_fields; *f != NULL; f++)
		if (strcmp(*f, name) == 0)
			return 1;
	return 0;
}

static double
round_usd(double usd)
{
	return round(usd * 1e9) / 1e9; /* nano-dollars: no float noise */
}

/*
 * The usage the provider reported, normalized, and beside it the input
 * as llm-ask counted it, so that an estimate can be checked against
 * the provider's count (llm-memdb cost shows the ratio).
 */
static cJSON *
usage_record(const struct reply *r, size_t counted)
{
	cJSON *u = cJSON_CreateObject();

	cJSON_AddNumberToObject(u, "input_tokens", r->usage.input);
	cJSON_AddNumberToObject(u, "output_tokens", r->usage.output);
	cJSON_AddNumberToObject(u, "cached_tokens", r->usage.cached);
	if (r->usage.cache_write > 0)
		cJSON_AddNumberToObject(
		    u, "cache_write_tokens", r->usage.cache_write);
	cJSON_AddNumberToObject(u, "counted_input_tokens", (double)counted);
	return u;
}

/* The assistant message: the reply, what it cost, and the carried. */
static cJSON *
reply_record(const struct reply *r, const struct model *m,
    const struct context *ctx, size_t counted, long latency_ms)
{
	cJSON *rec = cJSON_CreateObject();
	const cJSON *f,
	    *last = ctx->messages->child != NULL ? ctx->messages->child->prev
						 : NULL;
	char ts[RECORD_TS_SIZE];
	double cost;

	cJSON_AddStringToObject(rec, "role", "assistant");
	cJSON_AddStringToObject(rec, "content", r->text.s);
	if (r->reasoning.len > 0)
		cJSON_AddStringToObject(rec, "reasoning", r->reasoning.s);
	for (f = last != NULL ? last->child : NULL; f != NULL; f = f->next)
		if (!own_field(f->string))
			cJSON_AddItemToObject(
			    rec, f->string, cJSON_Duplicate(f, 1));
	cJSON_AddStringToObject(rec, "model", m->name);
	cJSON_AddStringToObject(rec, "provider", m->provider);
	if (r->api_model != NULL)
		cJSON_AddStringToObject(rec, "api_model", r->api_model);
	if (r->finish != NULL)
		cJSON_AddStringToObject(rec, "finish", r->finish);
	if (r->has_usage) {
		cJSON_AddItemToObject(rec, "usage", usage_record(r, counted));
		cost = model_cost(m, r->usage.input, r->usage.cached,
		    r->usage.cache_write, r->usage.output);
		if (cost >= 0)
			cJSON_AddNumberToObject(
			    rec, "cost_usd", round_usd(cost));
	}
	cJSON_AddNumberToObject(rec, "latency_ms", latency_ms);
	record_now(ts);
	cJSON_AddStringToObject(rec, "ts", ts);
	return rec;
}

/* Text as it arrives: -t on stdout, --show on stderr, else records. */
static void
on_delta(void *arg, const char *text, size_t len)
{
	cJSON *delta;

	(void)arg;
	if (opt.show) {
		fwrite(text, 1, len, stderr);
		return;
	}
	if (opt.text) {
		fwrite(text, 1, len, stdout);
	} else {
		delta = cJSON_CreateObject();
		cJSON_AddStringToObject(delta, "type", "delta");
		cJSON_AddItemToObject(
		    delta, "content", cJSON_CreateString(text));
		jsonl_write(stdout, delta);
		cJSON_Delete(delta);
	}
	if (fflush(stdout) == EOF)
		err(1, "write error");
}

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (t.tv_sec - since->tv_sec) * 1000 +
	    (t.tv_nsec - since->tv_nsec) / 1000000;
}

static int
exit_status(enum call_end end)
{
	switch (end) {
	case CALL_OK:
		return 0;
	case CALL_AUTH:
		return EXIT_AUTH;
	case CALL_TRANSIENT:
		return EXIT_TRANSIENT;
	case CALL_TOO_LONG:
		return EXIT_OVER_BUDGET;
	default:
		return 1;
	}
}

/* What a model call needs beyond the input. */
struct target {
	const struct model *m;
	const struct provider *p;
	struct counter counter;
	const char *key;
	struct buf base; /* the base URL, without a final '/' */
	struct buf url;  /* base and the dialect's path */
	char *extra;     /* schema_instruction, or NULL */
};

static void
target_for(struct target *t, const char *name, const cJSON *schema)
{
	const char *base;

	t->m = model_find(name);
	if (t->m == NULL)
		errx(2, "unknown model '%s' (llm-ask --models lists them)",
		    name);
	t->p = provider_find(t->m->provider);
	if (t->p == NULL)
		errx(1,
		    "model %s: no provider '%s' (add a [provider %s] "
		    "section to the configuration)",
		    t->m->name, t->m->provider, t->m->provider);
	if (counter_for_model(&t->counter, t->m) != 0)
		errx(1, "model %s: no such encoding '%s'", t->m->name,
		    t->m->encoding);
	if (provider_key(t->p, &cfg, &t->key) < 0)
		exit(EXIT_AUTH);
	base = provider_base_url(t->p, &cfg);
	buf_add(&t->base, base, strlen(base) - (base[strlen(base) - 1] == '/'));
	buf_printf(&t->url, "%s%s", t->base.s, t->p->dialect->path);
	t->extra = schema_instruction(schema, t->p);
}

/* The body in dialect d for the request as the context stands now. */
static char *
request_body(const struct target *t, const struct dialect *d,
    const struct context *ctx, const cJSON *schema)
{
	struct buf system = BUF_INIT;
	struct request rq = {t->m, t->p, NULL, ctx->messages, opt.max_tokens,
	    opt.temperature, schema, opt.stream || opt.text || opt.show};
	cJSON *body;
	char *s;

	context_system(ctx, opt.system, t->extra, &system);
	rq.system = system.len > 0 ? system.s : NULL;
	body = d->body(&rq);
	s = json_print_alloc(body);
	cJSON_Delete(body);
	buf_release(&system);
	return s;
}

/* Checks the request against the budget, shrinking it with --fit. */
static int
fit_budget(struct context *ctx, const struct target *t, size_t *tokens)
{
	size_t limit = (size_t)t->m->budget;
	struct budget_report d;

	*tokens = budget_context(&t->counter, ctx, opt.system, t->extra, NULL);
	if (*tokens <= limit)
		return 0;
	if (!opt.fit) {
		warnx("the input is %zu tokens, %zu over %s's budget of %zu "
		      "(--fit drops docs and old messages)",
		    *tokens, *tokens - limit, t->m->name, limit);
		return -1;
	}
	*tokens = budget_fit(ctx, &t->counter, opt.system, t->extra, limit, &d);
	report_dropped(&d, t->m, limit);
	if (*tokens > limit) {
		warnx("even with only the latest message the input is %zu "
		      "tokens, over %s's budget of %zu",
		    *tokens, t->m->name, limit);
		return -1;
	}
	return 0;
}

/*
 * The provider counts more than we did: shrink by its own measure of
 * the overflow, scaled to our count, and say so.  Returns -1 if the
 * message gives no measure or nothing is left to drop.
 */
static int
shrink_for_provider(struct context *ctx, const struct target *t,
    const char *message, size_t *tokens)
{
	struct budget_report d;
	long limit, actual;
	size_t target;

	if (overflow(message, &limit, &actual) != 0 || actual <= limit)
		return -1;
	target = (size_t)((double)*tokens * limit / actual * 0.98);
	*tokens =
	    budget_fit(ctx, &t->counter, opt.system, t->extra, target, &d);
	if (*tokens > target)
		return -1;
	warnx("%s counts %ld tokens against a window of %ld; retrying once",
	    t->p->name, actual, limit);
	report_dropped(&d, t->m, target);
	return 0;
}

static int
is_json(const char *text)
{
	struct json_error e;
	cJSON *json = json_parse(text, strlen(text), &e);

	cJSON_Delete(json);
	return json != NULL;
}

/* Says so on stderr if t's provider needs a key and has none. */
static int
have_key(const struct target *t)
{
	char var[256];

	if (t->key != NULL || t->p->key_optional)
		return 1;
	model_provider_var(t->p->name, "_API_KEY", var, sizeof(var));
	warnx("%s: no API key: set %s, or api_key in [provider %s] of the "
	      "configuration",
	    t->p->name, var, t->p->name);
	return 0;
}

static void
print_count(const struct target *t, size_t tokens, size_t messages, int exact)
{
	cJSON *rec = cJSON_CreateObject();

	msg_set_number(rec, "tokens", (double)tokens);
	msg_set_number(rec, "messages", (double)messages);
	if (!exact) /* as llm-count marks an estimate */
		msg_set(rec, "exact", cJSON_CreateFalse());
	msg_set_string(rec, "model", t->m->name);
	msg_set_string(rec, "provider", t->p->name);
	jsonl_write(stdout, rec);
	cJSON_Delete(rec);
}

/*
 * --count: the request's input tokens, as the provider counts them where
 * it has a count endpoint (Anthropic's count_tokens, whose count is
 * exact where llm-count can only estimate), else by the model's counter
 * as llm-count --total counts.  No budget applies.
 */
static int
count(struct context *ctx, const struct target *t, const cJSON *schema)
{
	const struct dialect *d = t->p->dialect->count;
	struct provider counting = *t->p;
	struct buf url = BUF_INIT;
	struct reply r;
	enum call_end end;
	size_t tokens, messages;
	char *body;

	tokens =
	    budget_context(&t->counter, ctx, opt.system, t->extra, &messages);
	if (d == NULL) {
		print_count(t, tokens, messages, counter_exact(&t->counter));
		return 0;
	}
	body = request_body(t, d, ctx, schema);
	if (opt.dry_run || !have_key(t)) {
		if (opt.dry_run)
			printf("%s\n", body);
		free(body);
		return opt.dry_run ? 0 : EXIT_AUTH;
	}
	counting.dialect = d;
	buf_printf(&url, "%s%s", t->base.s, d->path);
	reply_init(&r);
	end = http_call(&counting, url.s, t->key, body, 0, &opt.http, &r);
	free(body);
	buf_release(&url);
	if (end == CALL_OK)
		print_count(t, (size_t)r.usage.input, messages, 1);
	else
		warnx("%s", r.err.message.s);
	reply_release(&r);
	return exit_status(end);
}

/* A call that failed: what was received goes to stderr, never stdout. */
static void
report_failure(const struct reply *r)
{
	if (opt.text && r->text.len > 0)
		putchar('\n');
	if (opt.show && r->text.len > 0)
		fputc('\n', stderr);
	fflush(stdout);
	if (r->text.len > 0 && (opt.text || opt.show))
		warnx("%s; the reply above is incomplete", r->err.message.s);
	else if (r->text.len > 0)
		warnx("%s; the reply so far (%zu bytes, incomplete):\n%s",
		    r->err.message.s, r->text.len, r->text.s);
	else
		warnx("%s", r->err.message.s);
}

/* A reply cut by the output limit is not the whole answer: say so. */
static void
warn_if_cut(const struct reply *r)
{
	if (r->finish != NULL &&
	    (strcmp(r->finish, "length") == 0 ||
		strcmp(r->finish, "max_tokens") == 0))
		warnx("the reply was cut at the output limit (finish: %s)",
		    r->finish);
}

/* The call itself, retried once smaller if the provider finds it long. */
static enum call_end
call(struct context *ctx, const struct target *t, const cJSON *schema,
    struct reply *r, size_t *tokens)
{
	char *body = request_body(t, t->p->dialect, ctx, schema);
	enum call_end end;
	int tries = 0;

	while ((end = http_call(t->p, t->url.s, t->key, body,
		    opt.stream || opt.text || opt.show, &opt.http, r)) ==
		CALL_TOO_LONG &&
	    tries++ == 0 &&
	    shrink_for_provider(ctx, t, r->err.message.s, tokens) == 0) {
		free(body);
		body = request_body(t, t->p->dialect, ctx, schema);
		reply_reset(r);
	}
	free(body);
	return end;
}

/*
 * --record: the reply record into its file as well, once it is whole,
 * so that -t can show the text while a script keeps the record.
 */
static int
write_record(const cJSON *rec)
{
	FILE *fp = fopen(opt.record, "we");

	if (fp == NULL || jsonl_write(fp, rec) < 0 || fclose(fp) != 0) {
		warn("--record: %s", opt.record);
		return 1;
	}
	return 0;
}

static int
ask(struct context *ctx, const struct target *t, const cJSON *schema)
{
	struct timespec start;
	struct reply r;
	enum call_end end;
	size_t tokens;
	char *body;
	cJSON *rec;
	int rv;

	if (fit_budget(ctx, t, &tokens) != 0)
		return EXIT_OVER_BUDGET;
	if (opt.dry_run) {
		body = request_body(t, t->p->dialect, ctx, schema);
		printf("%s\n", body);
		free(body);
		return 0;
	}
	if (!have_key(t))
		return EXIT_AUTH;
	reply_init(&r);
	if (opt.stream || opt.text || opt.show)
		r.on_delta = on_delta;
	clock_gettime(CLOCK_MONOTONIC, &start);
	if ((end = call(ctx, t, schema, &r, &tokens)) != CALL_OK) {
		report_failure(&r);
		reply_release(&r);
		return exit_status(end);
	}
	if (schema != NULL && !is_json(r.text.s)) {
		warnx("%s: the reply is not JSON:\n%s", t->p->name, r.text.s);
		reply_release(&r);
		return 1;
	}
	if (opt.show && r.text.len > 0 && r.text.s[r.text.len - 1] != '\n')
		fputc('\n', stderr);
	if (opt.text && r.text.len > 0 && r.text.s[r.text.len - 1] != '\n')
		putchar('\n');
	rec = reply_record(&r, t->m, ctx, tokens, elapsed_ms(&start));
	if (!opt.text)
		jsonl_write(stdout, rec);
	rv = opt.record != NULL ? write_record(rec) : 0;
	cJSON_Delete(rec);
	warn_if_cut(&r);
	reply_release(&r);
	return rv;
}

/* An --embed call sends at most these: OpenAI's limits of one request. */
#define EMBED_MAX_INPUTS 2048
#define EMBED_MAX_TOKENS 300000

/* The texts to embed, and each one's tokens by the model's counter. */
struct texts {
	cJSON *v; /* an array of strings */
	size_t *tokens, n, cap;
};

/* What the --embed calls so far have done. */
struct embedded {
	size_t calls, inputs, counted;
	long input, latency_ms;
	long dims; /* of every vector: --dims, else the first reply's */
};

/*
 * Adds s to the texts, unless it is over the model's budget: a text is
 * refused, never cut.  Returns 0, or -1 with the count in *tokens.
 */
static int
add_text(
    struct texts *tx, const struct target *t, const char *s, size_t *tokens)
{
	*tokens = counter_count(&t->counter, s, strlen(s));
	if (*tokens > (size_t)t->m->budget)
		return -1;
	cJSON_AddItemToArray(tx->v, cJSON_CreateString(s));
	ARRAY_GROW(tx->tokens, tx->n, tx->cap);
	tx->tokens[tx->n++] = *tokens;
	return 0;
}

/*
 * --embed reads text records, not a conversation: each record's "text",
 * else its "content" (a message's or a doc's), one input each, in order.
 * Returns 0, or the exit status after reporting every bad line.
 */
static int
read_texts(struct texts *tx, const struct target *t)
{
	struct jsonl r;
	struct buf b = BUF_INIT;
	const char *why;
	const cJSON *s;
	cJSON *rec;
	size_t n;
	int rc, status = 0;

	jsonl_init(&r, stdin);
	while ((rc = jsonl_read(&r, &rec)) != 0) {
		if (rc < 0) {
			status = 1;
			continue;
		}
		buf_reset(&b);
		why = "nothing to embed: no \"text\" or \"content\"";
		s = cJSON_GetObjectItemCaseSensitive(rec, "text");
		if (cJSON_IsString(s))
			buf_addstr(&b, s->valuestring);
		else if (s == NULL)
			msg_content(rec, &b, &why);
		cJSON_Delete(rec);
		if (b.len == 0) {
			jsonl_error(&r, "%s", why);
			status = 1;
		} else if (add_text(tx, t, b.s, &n) != 0) {
			jsonl_error(&r,
			    "%zu tokens, over %s's limit of %ld an input; "
			    "split it first",
			    n, t->m->name, t->m->budget);
			status = status ? status : EXIT_OVER_BUDGET;
		}
	}
	jsonl_release(&r);
	buf_release(&b);
	return status;
}

/*
 * The vectors of a reply for n inputs, in the inputs' order: one for
 * each index, every one an array of finite numbers of done->dims (set
 * by the first).  Returns NULL after saying what is wrong.
 */
static const cJSON **
vectors_of(const struct reply *r, size_t n, struct embedded *done,
    const char *provider)
{
	const cJSON **v = xreallocarray(NULL, n, sizeof(*v)), *item, *x, *e;
	size_t got = 0;
	double i;

	memset(v, 0, n * sizeof(*v));
	cJSON_ArrayForEach(item, r->embeddings) {
		x = cJSON_GetObjectItemCaseSensitive(item, "index");
		e = cJSON_GetObjectItemCaseSensitive(item, "embedding");
		i = cJSON_IsNumber(x) ? x->valuedouble : -1;
		if (i < 0 || i >= (double)n || i != floor(i) ||
		    v[(size_t)i] != NULL || !cJSON_IsArray(e) ||
		    cJSON_GetArraySize(e) == 0)
			goto bad;
		if (done->dims == 0)
			done->dims = cJSON_GetArraySize(e);
		if (cJSON_GetArraySize(e) != done->dims)
			goto bad;
		cJSON_ArrayForEach(x, e) {
			if (!cJSON_IsNumber(x) || !isfinite(x->valuedouble))
				goto bad;
		}
		v[(size_t)i] = e;
		got++;
	}
	if (got == n)
		return v;
bad:
	warnx("%s: the reply does not hold one vector of finite numbers, "
	      "all of %ld dimensions, for each of the %zu inputs; nothing "
	      "written for them",
	    provider, done->dims, n);
	free(v);
	return NULL;
}

static void
write_embedding(const struct model *m, const cJSON *vector)
{
	cJSON *rec = cJSON_CreateObject();

	cJSON_AddStringToObject(rec, "type", "embedding");
	cJSON_AddStringToObject(rec, "model", m->name);
	cJSON_AddNumberToObject(rec, "dims", cJSON_GetArraySize(vector));
	cJSON_AddItemToObject(rec, "vector", cJSON_Duplicate(vector, 1));
	jsonl_write(stdout, rec);
	cJSON_Delete(rec);
}

/* What the calls cost, as a record that llm-memdb add keeps as usage. */
static void
write_embed_usage(const struct model *m, const struct embedded *done)
{
	cJSON *rec = cJSON_CreateObject(), *u = cJSON_CreateObject();
	double cost = model_cost(m, done->input, 0, 0, 0);

	cJSON_AddStringToObject(rec, "type", "usage");
	cJSON_AddStringToObject(rec, "model", m->name);
	cJSON_AddStringToObject(rec, "provider", m->provider);
	cJSON_AddNumberToObject(rec, "calls", (double)done->calls);
	cJSON_AddNumberToObject(rec, "inputs", (double)done->inputs);
	cJSON_AddNumberToObject(u, "input_tokens", (double)done->input);
	cJSON_AddNumberToObject(
	    u, "counted_input_tokens", (double)done->counted);
	cJSON_AddItemToObject(rec, "usage", u);
	if (cost >= 0)
		cJSON_AddNumberToObject(rec, "cost_usd", round_usd(cost));
	cJSON_AddNumberToObject(rec, "latency_ms", done->latency_ms);
	jsonl_write(stdout, rec);
	cJSON_Delete(rec);
}

/* The end of the batch from start: --batch inputs and a request's tokens. */
static size_t
batch_end(const struct texts *tx, size_t start)
{
	size_t end = start, sum = 0;

	while (end < tx->n && end - start < (size_t)opt.batch &&
	    (end == start || sum + tx->tokens[end] <= EMBED_MAX_TOKENS))
		sum += tx->tokens[end++];
	return end;
}

/*
 * One call for count inputs from *next (which it moves on): their
 * records out, its usage into done.  Returns an exit status.
 */
static int
embed_batch(const struct target *t, const struct provider *p, const char *url,
    const cJSON **next, size_t count, size_t counted, struct embedded *done)
{
	cJSON *inputs = cJSON_CreateArray(), *b;
	const cJSON **v = NULL;
	struct timespec start;
	struct reply r;
	enum call_end end;
	char *body;
	size_t i;

	for (i = 0; i < count; i++, *next = (*next)->next)
		cJSON_AddItemToArray(inputs, cJSON_Duplicate(*next, 0));
	b = embed_body(t->m->api_id, inputs, opt.dims);
	body = json_print_alloc(b);
	cJSON_Delete(b);
	if (opt.dry_run) {
		printf("%s\n", body);
		free(body);
		return 0;
	}
	reply_init(&r);
	clock_gettime(CLOCK_MONOTONIC, &start);
	end = http_call(p, url, t->key, body, 0, &opt.http, &r);
	free(body);
	done->latency_ms += elapsed_ms(&start);
	if (end == CALL_OK) {
		done->calls++;
		done->counted += counted;
		done->input += r.has_usage ? r.usage.input : (long)counted;
		v = vectors_of(&r, count, done, p->name);
	} else {
		warnx("%s", r.err.message.s);
	}
	for (i = 0; v != NULL && i < count; i++)
		write_embedding(t->m, v[i]);
	if (v != NULL)
		done->inputs += count;
	free(v);
	reply_release(&r);
	return end != CALL_OK ? exit_status(end) : v == NULL;
}

/* --embed: every text in batches; the usage of the calls made last. */
static int
embed(struct texts *tx, const struct target *t)
{
	struct provider p = *t->p;
	struct embedded done = {.dims = opt.dims};
	struct buf url = BUF_INIT;
	const cJSON *next = tx->v->child;
	size_t i, end, counted, k;
	int status = 0;

	if (tx->n == 0) {
		warnx("nothing to embed: no text records on standard input");
		return 1;
	}
	if (!opt.dry_run && !have_key(t))
		return EXIT_AUTH;
	p.dialect = t->p->dialect->embed;
	buf_printf(&url, "%s%s", t->base.s, p.dialect->path);
	for (i = 0; status == 0 && i < tx->n; i = end) {
		end = batch_end(tx, i);
		for (counted = 0, k = i; k < end; k++)
			counted += tx->tokens[k];
		status =
		    embed_batch(t, &p, url.s, &next, end - i, counted, &done);
	}
	if (done.calls > 0)
		write_embed_usage(t->m, &done);
	if (status != 0 && done.inputs > 0)
		warnx(
		    "stopped after %zu of the %zu inputs", done.inputs, tx->n);
	buf_release(&url);
	return status;
}

static const char *
model_name(const struct context *ctx)
{
	const struct model *m;

	if (opt.model != NULL)
		return opt.model;
	if (ctx->route_model != NULL)
		return ctx->route_model;
	if (opt.auto_route) {
		if ((m = route_auto(&cfg, ctx, opt.system)) == NULL)
			exit(1);
		return m->name;
	}
	return models_pick(NULL, NULL, &cfg);
}

static void
load_config(void)
{
	if (models_load(&cfg) != 0 || providers_configure(&cfg) != 0)
		exit(1);
}

/* What main holds, freed at any exit so that every path ends clean. */
static struct context ctx;
static struct target target = {.base = BUF_INIT, .url = BUF_INIT};
static cJSON *schema;
static int http_ready;

static void
cleanup(void)
{
	if (http_ready)
		http_cleanup();
	context_release(&ctx);
	cJSON_Delete(schema);
	buf_release(&target.base);
	buf_release(&target.url);
	free(target.extra);
	models_release();
	providers_release();
	config_release(&cfg);
}

/* The conversation: standard input's records, then the operands. */
static void
read_conversation(char **prompt, int nprompt)
{
	int piped = !isatty(STDIN_FILENO);

	if (!piped && nprompt == 0) {
		warnx("no input: give a prompt as operands, or JSON lines on "
		      "standard input");
		usage();
	}
	context_init(&ctx);
	if (piped && read_input(&ctx) != 0)
		errx(1, "nothing sent: the input has bad lines");
	if (nprompt > 0)
		add_prompt(&ctx, prompt, nprompt);
	if (ctx.messages->child == NULL)
		errx(1,
		    "nothing to send: the input has no user, assistant or "
		    "tool message");
}

static void
start_http(void)
{
	if (http_init() != 0)
		errx(1, "cannot set up libcurl");
	http_ready = 1;
}

/* --embed: the texts of standard input's records, then the operands'. */
static int
embed_texts(char **words, int n)
{
	struct texts tx = {.v = NULL};
	struct buf joined = BUF_INIT;
	size_t tokens;
	int i, status = 0;

	target_for(&target, models_pick_embed(opt.model, &cfg), NULL);
	if (target.p->dialect->embed == NULL)
		errx(1, "model %s: the %s dialect has no embeddings",
		    target.m->name, target.p->dialect->name);
	tx.v = cJSON_CreateArray();
	if (!isatty(STDIN_FILENO))
		status = read_texts(&tx, &target);
	for (i = 0; i < n; i++)
		buf_printf(&joined, "%s%s", i > 0 ? " " : "", words[i]);
	if (n > 0 && add_text(&tx, &target, joined.s, &tokens) != 0) {
		warnx("the operands are %zu tokens, over %s's limit of %ld",
		    tokens, target.m->name, target.m->budget);
		status = EXIT_OVER_BUDGET;
	}
	if (status == 0 && !opt.dry_run)
		start_http();
	if (status == 0)
		status = embed(&tx, &target);
	cJSON_Delete(tx.v);
	free(tx.tokens);
	buf_release(&joined);
	return status;
}

/* The long options without a short one. */
enum {
	OPT_FIT = 256,
	OPT_STREAM,
	OPT_SHOW,
	OPT_RECORD,
	OPT_MAX_TOKENS,
	OPT_TEMPERATURE,
	OPT_JSON_SCHEMA,
	OPT_DRY_RUN,
	OPT_COUNT,
	OPT_MODELS,
	OPT_CONNECT_TIMEOUT,
	OPT_IDLE_TIMEOUT,
	OPT_TIMEOUT,
	OPT_RETRIES,
	OPT_AUTO,
	OPT_EMBED,
	OPT_DIMS,
	OPT_BATCH,
	OPT_VERSION
};

static const struct option longopts[] = {
    {"model", required_argument, NULL, 'm'},
    {"auto", no_argument, NULL, OPT_AUTO},
    {"system", required_argument, NULL, 's'},
    {"text", no_argument, NULL, 't'},
    {"fit", no_argument, NULL, OPT_FIT},
    {"stream", no_argument, NULL, OPT_STREAM},
    {"show", no_argument, NULL, OPT_SHOW},
    {"record", required_argument, NULL, OPT_RECORD},
    {"max-tokens", required_argument, NULL, OPT_MAX_TOKENS},
    {"temperature", required_argument, NULL, OPT_TEMPERATURE},
    {"json-schema", required_argument, NULL, OPT_JSON_SCHEMA},
    {"dry-run", no_argument, NULL, OPT_DRY_RUN},
    {"count", no_argument, NULL, OPT_COUNT},
    {"models", no_argument, NULL, OPT_MODELS},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"idle-timeout", required_argument, NULL, OPT_IDLE_TIMEOUT},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"retries", required_argument, NULL, OPT_RETRIES},
    {"embed", no_argument, NULL, OPT_EMBED},
    {"dims", required_argument, NULL, OPT_DIMS},
    {"batch", required_argument, NULL, OPT_BATCH},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/*
 * The options of the connection, which the configuration may set too:
 * returns 0 if ch is not one of them.  given notes those the flags set.
 */
static int
network_option(int ch, int given[4])
{
	switch (ch) {
	case OPT_CONNECT_TIMEOUT:
		opt.http.connect_timeout =
		    option_number("--connect-timeout", optarg, 1, 86400);
		given[0] = 1;
		break;
	case OPT_IDLE_TIMEOUT:
		opt.http.idle_timeout =
		    option_number("--idle-timeout", optarg, 0, 86400);
		given[1] = 1;
		break;
	case OPT_TIMEOUT:
		opt.http.total_timeout =
		    option_number("--timeout", optarg, 0, 86400);
		given[2] = 1;
		break;
	case OPT_RETRIES:
		opt.http.retries =
		    (int)option_number("--retries", optarg, 0, 100);
		given[3] = 1;
		break;
	default:
		return 0;
	}
	return 1;
}

/* Parses the options into opt; returns 1 for --models. */
static int
parse_options(int argc, char *argv[], int given[4])
{
	int ch, models = 0;

	while ((ch = getopt_long(argc, argv, "hm:s:t", longopts, NULL)) != -1) {
		switch (ch) {
		case 'm':
			opt.model = optarg;
			break;
		case 's':
			opt.system = optarg;
			break;
		case 't':
			opt.text = 1;
			break;
		case OPT_AUTO:
			opt.auto_route = 1;
			break;
		case OPT_FIT:
			opt.fit = 1;
			break;
		case OPT_STREAM:
			opt.stream = 1;
			break;
		case OPT_SHOW:
			opt.show = 1;
			break;
		case OPT_RECORD:
			opt.record = optarg;
			break;
		case OPT_MAX_TOKENS:
			opt.max_tokens =
			    option_number("--max-tokens", optarg, 1, LONG_MAX);
			break;
		case OPT_TEMPERATURE:
			opt.temperature = parse_temperature(optarg);
			break;
		case OPT_JSON_SCHEMA:
			opt.schema = optarg;
			break;
		case OPT_DRY_RUN:
			opt.dry_run = 1;
			break;
		case OPT_COUNT:
			opt.count = 1;
			break;
		case OPT_MODELS:
			models = 1;
			break;
		case OPT_EMBED:
			opt.embed = 1;
			break;
		case OPT_DIMS:
			opt.dims = option_number("--dims", optarg, 1, 65536);
			break;
		case OPT_BATCH:
			opt.batch = option_number(
			    "--batch", optarg, 1, EMBED_MAX_INPUTS);
			break;
		case 'h':
			help();
			break;
		case OPT_VERSION:
			printf("llm-ask %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			if (!network_option(ch, given))
				usage();
		}
	}
	if (opt.stream + opt.text + opt.show > 1) {
		warnx("--stream, -t and --show exclude each other");
		usage();
	}
	if (opt.embed &&
	    (opt.stream || opt.text || opt.show || opt.fit || opt.count ||
		opt.auto_route || opt.schema || opt.system || opt.max_tokens ||
		opt.record)) {
		warnx("--embed takes only -m, --dims, --batch, --dry-run and "
		      "the timeouts");
		usage();
	}
	return models;
}

int
main(int argc, char *argv[])
{
	int given[4] = {0, 0, 0, 0}; /* timeouts and retries set by flags */
	int models;

	models = parse_options(argc, argv, given);
	atexit(cleanup);
	load_config();
	apply_config(given);
	if (models)
		list_models();
	if (opt.embed)
		exit_flushed(embed_texts(argv + optind, argc - optind));
	if (opt.schema != NULL)
		schema = load_schema(opt.schema);
	read_conversation(argv + optind, argc - optind);
	target_for(&target, model_name(&ctx), schema);
	if (!opt.dry_run)
		start_http();
	exit_flushed(opt.count ? count(&ctx, &target, schema)
			       : ask(&ctx, &target, schema));
}
