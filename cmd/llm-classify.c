/* llm-classify: route a conversation to the model for its task, and say why. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "core/context.h"
#include "core/json.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "core/record.h"
#include "core/util.h"
#include "mem/route.h"
#include "net/child.h"

#define EXIT_OVER_BUDGET 3

/* What --llm shows the model of the conversation. */
#define LLM_MESSAGES 8
#define LLM_MESSAGE_BYTES 1500

static struct {
	int each, pass, explain, llm;
	double max_cost;
	const char *ask;
	long timeout;
} opt = {.max_cost = -1};

static struct config cfg;
static struct route_config rc;
static struct inputs inputs;

#define SYNOPSIS \
	"usage: llm-classify [--each | --pass] [--explain] [--max-cost usd]\n" \
	"                    [--llm [--ask cmd] [--timeout s]] [file ...]\n"

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
	    "Reads a conversation (JSON lines) from the files, or standard\n"
	    "input (also \"-\"), and prints a route record for its last user\n"
	    "message: code, complex or simple, the model for it, and why.\n"
	    "\n"
	    "      --pass          the route record, then the input records\n"
	    "      --each          add \"route\" to every user message\n"
	    "      --explain       each rule that fired, and its weight, on\n"
	    "                      stderr\n"
	    "      --max-cost USD  the first of the task's models whose\n"
	    "                      estimated cost is at most USD (exit 3 if\n"
	    "                      none is)\n"
	    "      --llm           ask a cheap model; the rules if that fails\n"
	    "      --ask CMD       the command --llm runs (default: llm-ask)\n"
	    "      --timeout S     seconds --llm waits (default 30)\n"
	    "  -h, --help          this help\n"
	    "      --version       the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 failure (a bad line, no user message),\n"
	    "2 usage, 3 no model under --max-cost.\n");
	exit_flushed(0);
}

static double
parse_cost(const char *s)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || end == s || *end != '\0' || !(v >= 0 && v < 1e9)) {
		warnx("--max-cost: expected an amount in USD, such as 0.01, "
		      "not '%s'",
		    s);
		usage();
	}
	return v;
}

static double
round_to(double v, double unit)
{
	return round(v / unit) * unit;
}

/* The route object: task, model, confidence, reasons, scores, engine. */
static cJSON *
route_object(const struct route_result *r, const char *model,
    const char *engine, const char *llm_reason, enum route_task rules_task)
{
	cJSON *o = cJSON_CreateObject(), *reasons, *scores;
	struct buf b = BUF_INIT;
	int i;

	msg_set_string(o, "type", "route");
	msg_set_string(o, "task", route_tasks[r->task]);
	msg_set_string(o, "model", model);
	msg_set_number(o, "confidence", round_to(r->confidence, 0.01));
	reasons = cJSON_CreateArray();
	if (llm_reason != NULL)
		cJSON_AddItemToArray(reasons, cJSON_CreateString(llm_reason));
	for (i = 0; i < r->nreasons; i++)
		if (r->reason[i].task == r->task && llm_reason == NULL)
			cJSON_AddItemToArray(
			    reasons, cJSON_CreateString(r->reason[i].detail));
	if (llm_reason != NULL) {
		buf_printf(&b, "rules: %s", route_tasks[rules_task]);
		cJSON_AddItemToArray(reasons, cJSON_CreateString(b.s));
	}
	msg_set(o, "reasons", reasons);
	scores = cJSON_CreateObject();
	for (i = 0; i < ROUTE_TASKS; i++)
		msg_set_number(
		    scores, route_tasks[i], round_to(r->scores[i], 0.01));
	msg_set(o, "scores", scores);
	msg_set_string(o, "engine", engine);
	buf_release(&b);
	return o;
}

/* --explain: each rule on stderr, with the line of the message if any. */
static void
explain(const struct route_result *r, const struct jsonl *in)
{
	struct buf where = BUF_INIT;
	int i;

	if (in != NULL)
		buf_printf(&where, "line %lu: ", in->lineno);
	for (i = 0; i < r->nreasons; i++)
		fprintf(stderr, "%s: %s%+.2f %s %s\n",
		    program_invocation_short_name, where.s, r->reason[i].weight,
		    route_tasks[r->reason[i].task], r->reason[i].detail);
	fprintf(stderr,
	    "%s: %sscores code %.2f, complex %.2f, simple %.2f: %s\n",
	    program_invocation_short_name, where.s, r->scores[ROUTE_CODE],
	    r->scores[ROUTE_COMPLEX], r->scores[ROUTE_SIMPLE],
	    route_tasks[r->task]);
	buf_release(&where);
}

/*
 * --llm
 */

static const char llm_system[] =
    "You route the requests of a coding assistant's users to a model. "
    "Classify the LAST user message of the conversation, reading the "
    "earlier turns for follow-ups (\"yes\" to an offer to write tests is "
    "code; \"yes\" to \"did that fix it?\" is simple), into one task:\n"
    "code: write, change, debug, refactor, test or review-and-fix code; "
    "shell commands; SQL; regular expressions; configuration files "
    "(Dockerfile, YAML, nginx, systemd, cron, CI); stack traces or build "
    "errors to fix.\n"
    "complex: explanations, architecture and trade-offs, analysis, "
    "comparisons, planning, prose (emails, READMEs, postmortems), "
    "mathematics and reasoning, reviews of long documents, and messages "
    "that contain code but ask only for an explanation.\n"
    "simple: greetings, thanks, acknowledgements, small talk, short "
    "factual or yes/no questions.\n"
    "Reply with JSON only: {\"task\":\"code|complex|simple\","
    "\"confidence\":0.0-1.0,\"reason\":\"a few words\"}.";

static const char llm_schema[] =
    "{\"type\":\"object\",\"properties\":{\"task\":{\"type\":\"string\","
    "\"enum\":[\"code\",\"complex\",\"simple\"]},\"confidence\":{\"type\":"
    "\"number\"},\"reason\":{\"type\":\"string\"}},\"required\":[\"task\","
    "\"confidence\",\"reason\"],\"additionalProperties\":false}";

/* Appends at most max bytes of s, cut at a character's start. */
static void
add_clipped(struct buf *b, const char *s, size_t len, size_t max)
{
	if (len > max) {
		while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
			max--;
		buf_add(b, s, max);
		buf_addstr(b, " [...]");
	} else {
		buf_add(b, s, len);
	}
}

/* The prompt: the last messages up to the last user message. */
static cJSON *
llm_records(const struct context *ctx)
{
	const cJSON *m, *last = NULL, *from;
	struct buf text = BUF_INIT, content = BUF_INIT;
	cJSON *records = cJSON_CreateArray(), *rec;
	const char *role, *why;
	int n = 0;

	cJSON_ArrayForEach(m, ctx->messages) {
		role = msg_str(m, "role");
		if (role != NULL && strcmp(role, "user") == 0)
			last = m;
	}
	for (from = last; from != ctx->messages->child && n < LLM_MESSAGES; n++)
		from = from->prev;
	for (m = from; m != NULL; m = m == last ? NULL : m->next) {
		role = msg_str(m, "role");
		buf_reset(&content);
		msg_content(m, &content, &why);
		buf_printf(&text, "%s%s: ", text.len > 0 ? "\n\n" : "",
		    role != NULL ? role : "user");
		add_clipped(&text, content.s, content.len, LLM_MESSAGE_BYTES);
	}
	rec = cJSON_CreateObject();
	msg_set_string(rec, "role", "system");
	msg_set_string(rec, "content", llm_system);
	cJSON_AddItemToArray(records, rec);
	rec = cJSON_CreateObject();
	msg_set_string(rec, "role", "user");
	buf_addstr(&text, "\n\nClassify the last user message.");
	msg_set_string(rec, "content", text.s);
	cJSON_AddItemToArray(records, rec);
	buf_release(&text);
	buf_release(&content);
	return records;
}

/*
 * Takes the model's label into r if its reply holds a valid one, and
 * its reason into reason.  Returns 0, or -1 for anything else.
 */
static int
llm_label(const cJSON *reply, struct route_result *r, struct buf *reason)
{
	const char *content = msg_str(reply, "content"), *why;
	const cJSON *conf;
	struct json_error e;
	enum route_task task;
	cJSON *label;

	if (content == NULL)
		return -1;
	label = json_parse(content, strlen(content), &e);
	if (!cJSON_IsObject(label) ||
	    (task = route_task_named(msg_str(label, "task") != NULL
		     ? msg_str(label, "task")
		     : "")) == ROUTE_NONE) {
		cJSON_Delete(label);
		return -1;
	}
	r->task = task;
	conf = cJSON_GetObjectItemCaseSensitive(label, "confidence");
	r->confidence = cJSON_IsNumber(conf) && conf->valuedouble >= 0 &&
		conf->valuedouble <= 1
	    ? conf->valuedouble
	    : 0.5;
	why = msg_str(label, "reason");
	buf_addstr(reason, "llm: ");
	add_clipped(reason, why != NULL ? why : route_tasks[task],
	    why != NULL ? strlen(why) : strlen(route_tasks[task]), 120);
	cJSON_Delete(label);
	return 0;
}

/*
 * Asks the model for the task of ctx's last user message.  Returns 0
 * with r's task and confidence the model's and *reason its reason, or
 * -1 (said on stderr) when the rules' r stands.  The call's usage and
 * cost go on cost, whatever it answered.
 */
static int
ask_llm(const struct context *ctx, struct route_result *r, struct buf *reason,
    cJSON *cost)
{
	const struct model *m =
	    rc.llm_model != NULL ? model_find(rc.llm_model) : route_cheapest();
	const char *args[] = {"-m", m != NULL ? m->name : MODEL_DEFAULT,
	    "--json-schema", llm_schema, "--max-tokens", "200", "--temperature",
	    "0", NULL};
	struct route_result rules = *r;
	char *command = child_command(opt.ask);
	cJSON *records = llm_records(ctx), *reply = NULL;
	int status, rv = -1;

	status = child_ask(command, args, records,
	    opt.timeout > 0 ? opt.timeout : rc.llm_timeout, &reply);
	if (reply != NULL)
		child_usage_add(cost, reply);
	if (status != 0)
		warnx("--llm: the model call failed (exit status %d); the "
		      "rules decided",
		    status);
	else if (llm_label(reply, r, reason) != 0)
		warnx("--llm: the reply is not a valid label; the rules "
		      "decided");
	else
		rv = 0;
	if (rv == 0) {
		/* The model's task, beside what the rules found. */
		memcpy(r->scores, rules.scores, sizeof(r->scores));
		r->nreasons = rules.nreasons;
	}
	cJSON_Delete(reply);
	cJSON_Delete(records);
	free(command);
	return rv;
}

/*
 * One conversation: its route record, then with --pass the records.
 */

struct conversation {
	struct jsonl in;
	struct context ctx;
	cJSON *out; /* references to the records that pass, in order */
};

static int
read_conversation(struct conversation *cv)
{
	const char *why;
	cJSON *rec;
	int rv, status = 0, first = 1;

	while ((rv = jsonl_read(&cv->in, &rec)) != 0) {
		if (rv < 0) {
			status = 1;
			continue;
		}
		/* A route record of the input gives way to the new one. */
		if (first && record_type(rec) == REC_ROUTE) {
			first = 0;
			context_add(&cv->ctx, rec);
			continue;
		}
		first = 0;
		if ((why = context_add(&cv->ctx, rec)) != NULL) {
			jsonl_error(&cv->in, "%s", why);
			status = 1;
			continue;
		}
		cJSON_AddItemReferenceToArray(cv->out, rec);
	}
	return status;
}

static int
run_one(void)
{
	struct conversation cv;
	struct route_result r;
	struct route_choice c;
	struct buf reason = BUF_INIT;
	const char *engine = "rules";
	enum route_task rules_task;
	cJSON *route, *cost = cJSON_CreateObject(), *f;
	const cJSON *rec;
	int status;

	jsonl_init_inputs(&cv.in, &inputs);
	context_init(&cv.ctx);
	cv.out = cJSON_CreateArray();
	status = read_conversation(&cv);
	if (inputs.failed)
		status = 1;
	if (route_context(&rc, &cv.ctx, &r) != 0) {
		warnx("no user message to classify");
		status = 1;
		goto out;
	}
	if (opt.explain)
		explain(&r, NULL);
	rules_task = r.task;
	if (opt.llm && ask_llm(&cv.ctx, &r, &reason, cost) == 0)
		engine = "llm";
	route_choose(&rc, &cv.ctx, NULL, r.task, opt.max_cost, &c);
	route = route_object(&r, c.model->name, engine,
	    reason.len > 0 ? reason.s : NULL, rules_task);
	if (c.why[0] != '\0')
		cJSON_AddItemToArray(
		    cJSON_GetObjectItemCaseSensitive(route, "reasons"),
		    cJSON_CreateString(c.why));
	msg_set(route, "fits", cJSON_CreateBool(c.fits));
	msg_set_number(route, "tokens", (double)c.tokens);
	if (opt.max_cost >= 0 && c.cost >= 0)
		msg_set_number(
		    route, "estimated_cost_usd", round_to(c.cost, 1e-9));
	for (f = cost->child; f != NULL; f = f->next)
		msg_set(route, f->string, cJSON_Duplicate(f, 1));
	if (jsonl_write(stdout, route) < 0)
		err(1, "write error");
	cJSON_Delete(route);
	if (c.over_cap) {
		warnx("no %s model is estimated under $%g", route_tasks[r.task],
		    opt.max_cost);
		status = EXIT_OVER_BUDGET;
	} else if (opt.pass) {
		cJSON_ArrayForEach(rec, cv.out) {
			if (jsonl_write(stdout, rec) < 0)
				err(1, "write error");
		}
	}
out:
	buf_release(&reason);
	cJSON_Delete(cost);
	cJSON_Delete(cv.out);
	context_release(&cv.ctx);
	jsonl_release(&cv.in);
	return status;
}

/*
 * --each: every user message gets a route, in its session's context.
 */

static struct route_state *
session_state(struct strmap *sessions, const cJSON *rec)
{
	const char *name = msg_str(rec, "session");
	struct route_state *st;

	if (name == NULL)
		name = "";
	if ((st = strmap_get(sessions, name, strlen(name))) == NULL) {
		st = xmalloc(sizeof(*st));
		route_state_init(st);
		strmap_put(sessions, name, strlen(name), st);
	}
	return st;
}

static int
label_message(struct strmap *sessions, const struct jsonl *in, cJSON *rec,
    struct buf *text)
{
	struct route_result r;
	struct route_state *st;
	const char *role = msg_str(rec, "role"), *why;

	if (record_type(rec) != REC_MESSAGE || role == NULL)
		return 0;
	if ((why = record_check(rec)) != NULL) {
		jsonl_error(in, "%s", why);
		return -1;
	}
	buf_reset(text);
	msg_content(rec, text, &why);
	st = session_state(sessions, rec);
	if (strcmp(role, "assistant") == 0) {
		route_assistant(st, text->s, text->len);
	} else if (strcmp(role, "user") == 0) {
		route_classify(&rc, st, text->s, text->len, &r);
		if (opt.explain)
			explain(&r, in);
		msg_set(rec, "route",
		    route_object(
			&r, rc.models[r.task][0]->name, "rules", NULL, r.task));
	}
	return 0;
}

static int
run_each(void)
{
	struct strmap sessions = STRMAP_INIT;
	struct buf text = BUF_INIT;
	struct jsonl in;
	cJSON *rec;
	size_t i;
	int rv, status = 0;

	jsonl_init_inputs(&in, &inputs);
	while ((rv = jsonl_read(&in, &rec)) != 0) {
		if (rv < 0 || label_message(&sessions, &in, rec, &text) < 0)
			status = 1;
		else if (jsonl_write(stdout, rec) < 0)
			err(1, "write error");
		cJSON_Delete(rec);
	}
	if (inputs.failed)
		status = 1;
	for (i = 0; i < sessions.cap; i++)
		if (sessions.slot[i].key != NULL) {
			route_state_release(sessions.slot[i].value);
			free(sessions.slot[i].value);
		}
	strmap_release(&sessions);
	buf_release(&text);
	jsonl_release(&in);
	return status;
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_ASK = 256,
		OPT_EACH,
		OPT_EXPLAIN,
		OPT_LLM,
		OPT_MAX_COST,
		OPT_PASS,
		OPT_TIMEOUT,
		OPT_VERSION
	};
	static const struct option longopts[] = {
	    {"ask", required_argument, NULL, OPT_ASK},
	    {"each", no_argument, NULL, OPT_EACH},
	    {"explain", no_argument, NULL, OPT_EXPLAIN},
	    {"help", no_argument, NULL, 'h'},
	    {"llm", no_argument, NULL, OPT_LLM},
	    {"max-cost", required_argument, NULL, OPT_MAX_COST},
	    {"pass", no_argument, NULL, OPT_PASS},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	int ch, status;

	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			help();
			break;
		case OPT_ASK:
			opt.ask = optarg;
			break;
		case OPT_EACH:
			opt.each = 1;
			break;
		case OPT_EXPLAIN:
			opt.explain = 1;
			break;
		case OPT_LLM:
			opt.llm = 1;
			break;
		case OPT_MAX_COST:
			opt.max_cost = parse_cost(optarg);
			break;
		case OPT_PASS:
			opt.pass = 1;
			break;
		case OPT_TIMEOUT:
			opt.timeout =
			    option_number("--timeout", optarg, 1, 86400);
			break;
		case OPT_VERSION:
			printf("llm-classify %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			usage();
		}
	}
	if (opt.each && (opt.pass || opt.llm || opt.max_cost >= 0)) {
		warnx("--each labels with the rules alone: not with --pass, "
		      "--llm or --max-cost");
		usage();
	}
	if ((opt.ask != NULL || opt.timeout > 0) && !opt.llm) {
		warnx("--ask and --timeout are for --llm");
		usage();
	}
	if (models_load(&cfg) != 0 || route_configure(&rc, &cfg) != 0) {
		models_release();
		config_release(&cfg);
		exit(1);
	}
	inputs_init(&inputs, argv + optind, argc - optind);
	status = opt.each ? run_each() : run_one();
	inputs_release(&inputs);
	models_release();
	config_release(&cfg);
	exit_flushed(status);
}
