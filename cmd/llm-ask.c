/* llm-ask: one model call, with a context that fits the model's budget. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/config.h"
#include "tok/count.h"
#include "net/http.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "net/provider.h"
#include "core/util.h"

/* Exit statuses beyond 0, 1 and 2; llm-ask(1) lists them. */
#define EXIT_OVER_BUDGET 3
#define EXIT_AUTH 4
#define EXIT_TRANSIENT 5

static struct {
	const char *model;
	const char *system;
	const char *schema;
	long max_tokens;
	double temperature;
	int fit, stream, text, dry_run, count;
	struct http_opts http;
} opt = {.temperature = -1,
    .http = {.connect_timeout = 10, .idle_timeout = 600, .retries = 2}};

static struct config cfg;

/* The input, sorted by what each record is for. */
struct input {
	const char *route_model; /* from a leading route record */
	struct buf system;       /* system messages' text, in order */
	cJSON *summaries;        /* summary records */
	cJSON *facts;            /* fact records */
	cJSON *docs;             /* doc records, best score first */
	cJSON *messages;         /* the conversation: plain messages */
	cJSON *records;          /* every record read, owning the above */
};

/* What --fit or a provider's complaint took out of the input. */
struct dropped {
	int docs, messages;
	size_t tokens;
};

#define SYNOPSIS \
	"usage: llm-ask [-m model] [-s system] [--fit] [--stream | -t]\n" \
	"               [--max-tokens n] [--temperature t] [--json-schema s]\n" \
	"               [--count] [--dry-run] [--models] [timeouts]\n"

static void
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
	    "Sends the conversation read on stdin (JSON lines) to a model and\n"
	    "prints its reply as an assistant message record.\n"
	    "\n"
	    "  -m, --model MODEL     the model (default: the route record, then\n"
	    "                        $LLMPIPE_MODEL, the config, gpt-4o)\n"
	    "  -s, --system TEXT     the system prompt\n"
	    "      --fit             drop docs, then the oldest messages, to fit\n"
	    "                        the model's input budget\n"
	    "      --stream          delta records as the reply arrives\n"
	    "  -t, --text            only the reply's text, as it arrives\n"
	    "      --max-tokens N    the longest reply\n"
	    "      --temperature T   sampling temperature\n"
	    "      --json-schema S   a JSON Schema (text or file) for the reply\n"
	    "      --count           the input's tokens, by the provider's count\n"
	    "                        endpoint where it has one; send no request\n"
	    "      --dry-run         print the request body; send nothing\n"
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

static long
parse_long(const char *s, const char *what, long min)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min) {
		warnx("%s: expected a whole number of at least %ld, not '%s'",
		    what, min, s);
		usage();
	}
	return v;
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
	const char *v;
	size_t i;

	for (i = 0; i < 3; i++)
		if (!given[i] &&
		    (v = config_get(&cfg, "", "", timeouts[i].key)))
			*timeouts[i].value = parse_long(v, timeouts[i].key, 0);
	if (!given[3] && (v = config_get(&cfg, "", "", "retries")) != NULL)
		opt.http.retries = (int)parse_long(v, "retries", 0);
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
		cJSON_AddStringToObject(rec, "counter",
		    m->counter == COUNT_CLAUDE         ? "claude"
			: m->counter == COUNT_DEEPSEEK ? "deepseek"
						       : m->encoding);
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
	FILE *fp;
	cJSON *schema;

	if (arg[strspn(arg, " \t\n")] == '{')
		return cJSON_Parse(arg);
	if ((fp = fopen(arg, "r")) == NULL)
		err(2, "--json-schema: %s", arg);
	buf_reset(&text);
	if (buf_read(&text, fp) < 0)
		err(2, "--json-schema: %s", arg);
	fclose(fp);
	schema = cJSON_ParseWithLength(text.s, text.len);
	buf_release(&text);
	return schema;
}

static const char *const roles[] = {
    "system", "developer", "user", "assistant", "tool", NULL};

static int
valid_role(const char *role)
{
	const char *const *r;

	for (r = roles; role != NULL && *r != NULL; r++)
		if (strcmp(role, *r) == 0)
			return 1;
	return 0;
}

/* A plain message: checks it, and sorts system text from conversation. */
static int
take_message(struct input *in, const struct jsonl *r, cJSON *rec)
{
	const char *role = msg_str(rec, "role"), *why = NULL;
	struct buf text = BUF_INIT;
	int has;

	if (!valid_role(role)) {
		jsonl_error(r,
		    role == NULL ? "a message needs a 'role'"
				 : "unknown role '%s'",
		    role);
		return -1;
	}
	if ((has = msg_content(rec, &text, &why)) < 0) {
		jsonl_error(r, "%s", why);
		buf_release(&text);
		return -1;
	}
	if (has == 0 &&
	    cJSON_GetObjectItemCaseSensitive(rec, "tool_calls") == NULL) {
		jsonl_error(r, "a message needs 'content'");
		return -1;
	}
	if (strcmp(role, "system") == 0 || strcmp(role, "developer") == 0) {
		if (in->system.len > 0)
			buf_addstr(&in->system, "\n\n");
		buf_add(&in->system, text.s, text.len);
	} else {
		cJSON_AddItemReferenceToArray(in->messages, rec);
	}
	buf_release(&text);
	return 0;
}

static double
score(const cJSON *doc)
{
	const cJSON *s = cJSON_GetObjectItemCaseSensitive(doc, "score");

	return cJSON_IsNumber(s) ? s->valuedouble : 0;
}

/* Keeps docs best first, so that --fit drops from the end. */
static void
insert_doc(cJSON *docs, cJSON *doc)
{
	const cJSON *d;
	int i = 0;

	cJSON_ArrayForEach(d, docs) {
		if (score(doc) > score(d))
			break;
		i++;
	}
	cJSON_InsertItemInArray(
	    docs, i, cJSON_CreateObjectReference(doc->child));
}

/* Records carry their kind in "type"; only plain messages have none. */
static int
take_record(struct input *in, const struct jsonl *r, cJSON *rec, int first)
{
	const char *type = msg_str(rec, "type");

	if (cJSON_GetObjectItemCaseSensitive(rec, "type") == NULL)
		return take_message(in, r, rec);
	if (type == NULL) {
		jsonl_error(r, "'type' must be a string");
		return -1;
	}
	if (strcmp(type, "route") == 0) {
		if (first)
			in->route_model = msg_str(rec, "model");
	} else if (strcmp(type, "summary") == 0 || strcmp(type, "fact") == 0 ||
	    strcmp(type, "doc") == 0) {
		if (msg_str(rec, "content") == NULL) {
			jsonl_error(r, "a %s needs a 'content' string", type);
			return -1;
		}
		if (type[0] == 's')
			cJSON_AddItemReferenceToArray(in->summaries, rec);
		else if (type[0] == 'f')
			cJSON_AddItemReferenceToArray(in->facts, rec);
		else
			insert_doc(in->docs, rec);
	}
	/* Other types (deltas, usage, ...) are not for the model. */
	return 0;
}

/* Reads every record; any bad line means no call at all. */
static int
read_input(struct input *in)
{
	struct jsonl r;
	cJSON *rec;
	int rc, bad = 0, first = 1;

	memset(in, 0, sizeof(*in));
	buf_reset(&in->system);
	in->records = cJSON_CreateArray();
	in->summaries = cJSON_CreateArray();
	in->facts = cJSON_CreateArray();
	in->docs = cJSON_CreateArray();
	in->messages = cJSON_CreateArray();
	jsonl_init(&r, stdin);
	while ((rc = jsonl_read(&r, &rec)) != 0) {
		if (rc < 0) {
			bad = 1;
			continue;
		}
		cJSON_AddItemToArray(in->records, rec);
		if (take_record(in, &r, rec, first) != 0)
			bad = 1;
		first = 0;
	}
	jsonl_release(&r);
	return bad ? -1 : 0;
}

static void
input_release(struct input *in)
{
	buf_release(&in->system);
	cJSON_Delete(in->summaries);
	cJSON_Delete(in->facts);
	cJSON_Delete(in->docs);
	cJSON_Delete(in->messages);
	cJSON_Delete(in->records);
}

/* Whether a later fact (same kind and subject) replaced or deleted f. */
static int
superseded(const cJSON *facts, const cJSON *f)
{
	const char *kind = msg_str(f, "kind"), *subject = msg_str(f, "subject");
	const char *op = msg_str(f, "op");
	const cJSON *later;

	if (op != NULL && strcmp(op, "delete") == 0)
		return 1;
	for (later = f->next; later != NULL; later = later->next)
		if (kind != NULL && subject != NULL &&
		    msg_str(later, "kind") != NULL &&
		    msg_str(later, "subject") != NULL &&
		    strcmp(kind, msg_str(later, "kind")) == 0 &&
		    strcmp(subject, msg_str(later, "subject")) == 0)
			return 1;
	(void)facts;
	return 0;
}

static void
add_section(struct buf *out, const char *heading)
{
	if (out->len > 0)
		buf_addstr(out, "\n\n");
	buf_addstr(out, heading);
}

static void
add_doc(struct buf *out, const cJSON *doc)
{
	const char *source = msg_str(doc, "source");

	buf_printf(out, "\n\n[%s]\n%s", source != NULL ? source : "document",
	    msg_str(doc, "content"));
}

/*
 * The system prompt: the prompt itself, then what the pipeline retrieved,
 * in the order of priority llmpipe(7) gives: summary, facts, docs.
 */
static void
system_prompt(struct buf *out, const struct input *in, const cJSON *schema,
    const struct provider *p)
{
	const cJSON *rec;
	const char *subject;
	char *text;

	buf_reset(out);
	if (opt.system != NULL)
		buf_addstr(out, opt.system);
	if (in->system.len > 0)
		add_section(out, in->system.s);
	cJSON_ArrayForEach(rec, in->summaries) {
		add_section(out, "Summary of the conversation so far:\n");
		buf_addstr(out, msg_str(rec, "content"));
	}
	if (cJSON_GetArraySize(in->facts) > 0)
		add_section(out, "Known facts:");
	cJSON_ArrayForEach(rec, in->facts) {
		if (superseded(in->facts, rec))
			continue;
		subject = msg_str(rec, "subject");
		buf_printf(out, "\n- %s%s%s: %s",
		    msg_str(rec, "kind") ? msg_str(rec, "kind") : "fact",
		    subject ? " " : "", subject ? subject : "",
		    msg_str(rec, "content"));
	}
	if (cJSON_GetArraySize(in->docs) > 0)
		add_section(out, "Documents that may help:");
	cJSON_ArrayForEach(rec, in->docs) {
		add_doc(out, rec);
	}
	if (schema != NULL && !p->json_schema) {
		/* No structured output here: ask, and check the reply. */
		text = cJSON_PrintUnformatted(schema);
		add_section(out,
		    "Reply with JSON only, without code fences, "
		    "valid against this JSON Schema:\n");
		buf_addstr(out, text);
		free(text);
	}
}

/*
 * Adds a message's size to *units and *overhead as llm-count --total
 * counts it: its content, then its role and name (see
 * counter_add_message).
 */
static void
add_message(
    const struct counter *c, const cJSON *rec, size_t *units, size_t *overhead)
{
	struct buf text = BUF_INIT;
	const char *why;

	buf_reset(&text);
	msg_content(rec, &text, &why);
	*units += counter_units(c, text.s, text.len);
	counter_add_message(
	    c, msg_str(rec, "role"), msg_str(rec, "name"), units, overhead);
	buf_release(&text);
}

/* A request's size: the counter's units of its text, and chat overhead. */
struct size {
	size_t system, messages, overhead;
};

static struct size
request_size(
    const struct counter *c, const struct buf *system, const cJSON *messages)
{
	struct size s = {counter_units(c, system->s, system->len), 0,
	    COUNT_PER_REPLY + (system->len > 0 ? COUNT_PER_MESSAGE : 0)};
	const cJSON *rec;

	cJSON_ArrayForEach(rec, messages) {
		add_message(c, rec, &s.messages, &s.overhead);
	}
	return s;
}

static size_t
size_tokens(const struct counter *c, const struct size *s)
{
	return counter_tokens(c, s->system + s->messages) + s->overhead;
}

/* The request's size in the model's tokens, chat overhead included. */
static size_t
request_tokens(
    const struct counter *c, const struct buf *system, const cJSON *messages)
{
	struct size s = request_size(c, system, messages);

	return size_tokens(c, &s);
}

/* The units of doc as the system prompt holds it. */
static size_t
doc_units(const struct counter *c, const cJSON *doc)
{
	struct buf text = BUF_INIT;
	size_t units;

	buf_reset(&text);
	add_doc(&text, doc);
	units = counter_units(c, text.s, text.len);
	buf_release(&text);
	return units;
}

/*
 * How many of the oldest messages go together: an assistant turn that
 * calls tools goes with the tool results that answer it.
 */
static int
oldest_group(const cJSON *messages)
{
	const cJSON *m = messages->child;
	const char *role;
	int n = 1;

	if (m == NULL)
		return 0;
	if (cJSON_GetObjectItemCaseSensitive(m, "tool_calls") != NULL)
		for (m = m->next; m != NULL; m = m->next, n++) {
			role = msg_str(m, "role");
			if (role == NULL || strcmp(role, "tool") != 0)
				break;
		}
	return n;
}

/*
 * Drops docs, worst first, then the oldest messages, until the request
 * fits limit tokens.  The latest message always stays.  Returns the
 * request's tokens, over limit only if nothing more could go.  Each
 * message is counted once, not the whole request after each drop: a
 * conversation of thousands of messages far over the budget would take
 * minutes.
 */
static size_t
shrink(struct input *in, const struct counter *c, struct buf *system,
    const cJSON *schema, const struct provider *p, size_t limit,
    struct dropped *d)
{
	struct size s = request_size(c, system, in->messages);
	size_t before = size_tokens(c, &s), tokens = before, units, overhead;
	int n, left, docs, had_system;

	/*
	 * Docs go by their own counts; then the prompt is counted again,
	 * for text counts a token more or less than its parts.
	 */
	while (tokens > limit && (docs = cJSON_GetArraySize(in->docs)) > 0) {
		do {
			units =
			    doc_units(c, cJSON_GetArrayItem(in->docs, --docs));
			s.system -= units < s.system ? units : s.system;
			cJSON_DeleteItemFromArray(in->docs, docs);
			d->docs++;
		} while (docs > 0 && size_tokens(c, &s) > limit);
		had_system = system->len > 0;
		system_prompt(system, in, schema, p);
		s.system = counter_units(c, system->s, system->len);
		if (had_system && system->len == 0)
			s.overhead -= COUNT_PER_MESSAGE;
		tokens = size_tokens(c, &s);
	}
	left = cJSON_GetArraySize(in->messages);
	while (tokens > limit) {
		n = oldest_group(in->messages);
		if (n >= left)
			break;
		d->messages += n;
		left -= n;
		while (n-- > 0) {
			units = overhead = 0;
			add_message(c, in->messages->child, &units, &overhead);
			s.messages -= units;
			s.overhead -= overhead;
			cJSON_DeleteItemFromArray(in->messages, 0);
		}
		tokens = size_tokens(c, &s);
	}
	d->tokens += before > tokens ? before - tokens : 0;
	return tokens;
}

static void
report_dropped(const struct dropped *d, const struct model *m, size_t limit)
{
	if (d->docs + d->messages == 0)
		return;
	warnx("dropped %d doc%s and %d message%s (%zu tokens) to fit %s's "
	      "limit of %zu tokens",
	    d->docs, d->docs == 1 ? "" : "s", d->messages,
	    d->messages == 1 ? "" : "s", d->tokens, m->name, limit);
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

static void
rfc3339_now(char *out, size_t size)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static double
round_usd(double usd)
{
	return round(usd * 1e9) / 1e9; /* nano-dollars: no float noise */
}

static cJSON *
usage_record(const struct reply *r)
{
	cJSON *u = cJSON_CreateObject();

	cJSON_AddNumberToObject(u, "input_tokens", r->usage.input);
	cJSON_AddNumberToObject(u, "output_tokens", r->usage.output);
	cJSON_AddNumberToObject(u, "cached_tokens", r->usage.cached);
	if (r->usage.cache_write > 0)
		cJSON_AddNumberToObject(
		    u, "cache_write_tokens", r->usage.cache_write);
	return u;
}

/* The assistant message: the reply, what it cost, and the carried. */
static cJSON *
reply_record(const struct reply *r, const struct model *m,
    const struct input *in, long latency_ms)
{
	cJSON *rec = cJSON_CreateObject();
	const cJSON *last = cJSON_GetArrayItem(
	    in->messages, cJSON_GetArraySize(in->messages) - 1);
	const cJSON *f;
	double cost;
	char ts[32];

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
		cJSON_AddItemToObject(rec, "usage", usage_record(r));
		cost = model_cost(m, r->usage.input, r->usage.cached,
		    r->usage.cache_write, r->usage.output);
		if (cost >= 0)
			cJSON_AddNumberToObject(
			    rec, "cost_usd", round_usd(cost));
	}
	cJSON_AddNumberToObject(rec, "latency_ms", latency_ms);
	rfc3339_now(ts, sizeof(ts));
	cJSON_AddStringToObject(rec, "ts", ts);
	return rec;
}

static void
on_delta(void *arg, const char *text, size_t len)
{
	cJSON *delta;

	(void)arg;
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
};

static void
target_for(struct target *t, const char *name)
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
	t->key = provider_key(t->p, &cfg);
	base = provider_base_url(t->p, &cfg);
	buf_reset(&t->base);
	buf_add(&t->base, base, strlen(base) - (base[strlen(base) - 1] == '/'));
	buf_reset(&t->url);
	buf_printf(&t->url, "%s%s", t->base.s, t->p->dialect->path);
}

/* The body in dialect d for the request as the input stands now. */
static char *
request_body(const struct target *t, const struct dialect *d,
    const struct input *in, const struct buf *system, const cJSON *schema)
{
	struct request rq = {t->m, t->p, system->len > 0 ? system->s : NULL,
	    in->messages, opt.max_tokens, opt.temperature, schema,
	    opt.stream || opt.text};
	cJSON *body = d->body(&rq);
	char *s = cJSON_PrintUnformatted(body);

	cJSON_Delete(body);
	return s;
}

/* Checks the input against the budget, shrinking it with --fit. */
static int
fit_budget(struct input *in, const struct target *t, struct buf *system,
    const cJSON *schema)
{
	size_t limit = t->m->budget, tokens;
	struct dropped d = {0, 0, 0};

	tokens = request_tokens(&t->counter, system, in->messages);
	if (tokens <= limit)
		return 0;
	if (!opt.fit) {
		warnx("the input is %zu tokens, %zu over %s's budget of %zu "
		      "(--fit drops docs and old messages)",
		    tokens, tokens - limit, t->m->name, limit);
		return -1;
	}
	tokens = shrink(in, &t->counter, system, schema, t->p, limit, &d);
	report_dropped(&d, t->m, limit);
	if (tokens > limit) {
		warnx("even with only the latest message the input is %zu "
		      "tokens, over %s's budget of %zu",
		    tokens, t->m->name, limit);
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
shrink_for_provider(struct input *in, const struct target *t,
    struct buf *system, const cJSON *schema, const char *message)
{
	long limit, actual;
	size_t tokens = request_tokens(&t->counter, system, in->messages);
	size_t target;
	struct dropped d = {0, 0, 0};

	if (overflow(message, &limit, &actual) != 0 || actual <= limit)
		return -1;
	target = (size_t)((double)tokens * limit / actual * 0.98);
	if (shrink(in, &t->counter, system, schema, t->p, target, &d) > target)
		return -1;
	warnx("%s counts %ld tokens against a window of %ld; retrying once",
	    t->p->name, actual, limit);
	report_dropped(&d, t->m, target);
	return 0;
}

static int
is_json(const char *text)
{
	cJSON *json = cJSON_Parse(text);

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
	provider_env_var(t->p, "_API_KEY", var, sizeof(var));
	warnx("%s: no API key: set %s, or api_key in [provider %s] of the "
	      "configuration",
	    t->p->name, var, t->p->name);
	return 0;
}

static void
print_count(
    const struct target *t, const struct input *in, size_t tokens, int exact)
{
	cJSON *rec = cJSON_CreateObject();

	msg_set_number(rec, "tokens", (double)tokens);
	msg_set_number(rec, "messages", cJSON_GetArraySize(in->messages));
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
count(struct input *in, const struct target *t, const cJSON *schema)
{
	const struct dialect *d = t->p->dialect->count;
	struct buf system = BUF_INIT, url = BUF_INIT;
	struct provider counting = *t->p;
	struct reply r;
	enum call_end end;
	char *body;

	system_prompt(&system, in, schema, t->p);
	if (d == NULL) {
		print_count(t, in,
		    request_tokens(&t->counter, &system, in->messages),
		    counter_exact(&t->counter));
		buf_release(&system);
		return 0;
	}
	body = request_body(t, d, in, &system, schema);
	buf_release(&system);
	if (opt.dry_run || !have_key(t)) {
		if (opt.dry_run)
			printf("%s\n", body);
		free(body);
		return opt.dry_run ? 0 : EXIT_AUTH;
	}
	counting.dialect = d;
	buf_reset(&url);
	buf_printf(&url, "%s%s", t->base.s, d->path);
	reply_init(&r);
	end = http_call(&counting, url.s, t->key, body, 0, &opt.http, &r);
	free(body);
	buf_release(&url);
	if (end == CALL_OK)
		print_count(t, in, (size_t)r.usage.input, 1);
	else
		warnx("%s", r.err.message.s);
	reply_release(&r);
	return end == CALL_OK ? 0 : exit_status(end);
}

static int
ask(struct input *in, const struct target *t, const cJSON *schema)
{
	struct buf system = BUF_INIT;
	struct reply r;
	struct timespec start;
	enum call_end end;
	char *body;
	cJSON *rec;
	int tries = 0;

	system_prompt(&system, in, schema, t->p);
	if (fit_budget(in, t, &system, schema) != 0) {
		buf_release(&system);
		return EXIT_OVER_BUDGET;
	}
	body = request_body(t, t->p->dialect, in, &system, schema);
	if (opt.dry_run) {
		printf("%s\n", body);
		free(body);
		buf_release(&system);
		return 0;
	}
	if (!have_key(t)) {
		free(body);
		buf_release(&system);
		return EXIT_AUTH;
	}
	reply_init(&r);
	if (opt.stream || opt.text)
		r.on_delta = on_delta;
	clock_gettime(CLOCK_MONOTONIC, &start);
	while ((end = http_call(t->p, t->url.s, t->key, body,
		    opt.stream || opt.text, &opt.http, &r)) == CALL_TOO_LONG &&
	    tries++ == 0 &&
	    shrink_for_provider(in, t, &system, schema, r.err.message.s) == 0) {
		free(body);
		body = request_body(t, t->p->dialect, in, &system, schema);
		reply_reset(&r);
	}
	free(body);
	buf_release(&system);
	if (end != CALL_OK) {
		if (opt.text && r.text.len > 0)
			putchar('\n');
		fflush(stdout);
		if (r.text.len > 0 && opt.text)
			warnx("%s; the reply above is incomplete",
			    r.err.message.s);
		else if (r.text.len > 0)
			warnx(
			    "%s; the reply so far (%zu bytes, incomplete):\n%s",
			    r.err.message.s, r.text.len, r.text.s);
		else
			warnx("%s", r.err.message.s);
		reply_release(&r);
		return exit_status(end);
	}
	if (schema != NULL && !is_json(r.text.s)) {
		warnx("%s: the reply is not JSON:\n%s", t->p->name, r.text.s);
		reply_release(&r);
		return 1;
	}
	if (opt.text) {
		if (r.text.len > 0 && r.text.s[r.text.len - 1] != '\n')
			putchar('\n');
	} else {
		rec = reply_record(&r, t->m, in, elapsed_ms(&start));
		jsonl_write(stdout, rec);
		cJSON_Delete(rec);
	}
	reply_release(&r);
	return 0;
}

static const char *
model_name(const struct input *in)
{
	const char *name;

	if (opt.model != NULL)
		return opt.model;
	if (in->route_model != NULL)
		return in->route_model;
	if ((name = getenv("LLMPIPE_MODEL")) != NULL && name[0] != '\0')
		return name;
	if ((name = config_get(&cfg, "", "", "model")) != NULL)
		return name;
	return MODEL_DEFAULT;
}

static void
load_config(void)
{
	char *path = config_default_path();
	int rc = config_load(&cfg, path);

	free(path);
	if (rc != 0 || models_configure(&cfg) != 0 ||
	    providers_configure(&cfg) != 0)
		exit(1);
}

/* What main holds, freed at any exit so that every path ends clean. */
static struct input in;
static struct target target = {.base = BUF_INIT, .url = BUF_INIT};
static cJSON *schema;
static int http_ready;

static void
cleanup(void)
{
	if (http_ready)
		http_cleanup();
	input_release(&in);
	cJSON_Delete(schema);
	buf_release(&target.base);
	buf_release(&target.url);
	models_release();
	providers_release();
	config_release(&cfg);
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_FIT = 256,
		OPT_STREAM,
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
		OPT_VERSION
	};
	static const struct option longopts[] = {
	    {"model", required_argument, NULL, 'm'},
	    {"system", required_argument, NULL, 's'},
	    {"text", no_argument, NULL, 't'},
	    {"fit", no_argument, NULL, OPT_FIT},
	    {"stream", no_argument, NULL, OPT_STREAM},
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
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int given[4] = {0, 0, 0, 0}; /* timeouts and retries set by flags */
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
		case OPT_FIT:
			opt.fit = 1;
			break;
		case OPT_STREAM:
			opt.stream = 1;
			break;
		case OPT_MAX_TOKENS:
			opt.max_tokens = parse_long(optarg, "--max-tokens", 1);
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
		case OPT_CONNECT_TIMEOUT:
			opt.http.connect_timeout =
			    parse_long(optarg, "--connect-timeout", 1);
			given[0] = 1;
			break;
		case OPT_IDLE_TIMEOUT:
			opt.http.idle_timeout =
			    parse_long(optarg, "--idle-timeout", 0);
			given[1] = 1;
			break;
		case OPT_TIMEOUT:
			opt.http.total_timeout =
			    parse_long(optarg, "--timeout", 0);
			given[2] = 1;
			break;
		case OPT_RETRIES:
			opt.http.retries =
			    (int)parse_long(optarg, "--retries", 0);
			given[3] = 1;
			break;
		case 'h':
			help();
			break;
		case OPT_VERSION:
			printf("llm-ask %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			usage();
		}
	}
	if (optind != argc || (opt.stream && opt.text))
		usage();
	atexit(cleanup);
	load_config();
	apply_config(given);
	if (models)
		list_models();
	if (opt.schema != NULL && (schema = load_schema(opt.schema)) == NULL)
		errx(2, "--json-schema: not a JSON object");
	if (read_input(&in) != 0)
		errx(1, "nothing sent: the input has bad lines");
	if (cJSON_GetArraySize(in.messages) == 0)
		errx(1,
		    "nothing to send: the input has no user, assistant or "
		    "tool message");
	target_for(&target, model_name(&in));
	if (!opt.dry_run) {
		if (http_init() != 0)
			errx(1, "cannot set up libcurl");
		http_ready = 1;
	}
	exit_flushed(opt.count ? count(&in, &target, schema)
			       : ask(&in, &target, schema));
}
