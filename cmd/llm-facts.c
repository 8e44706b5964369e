/* llm-facts: the facts of a coding session, kept current. */
#include <err.h>
#include <getopt.h>
#include <limits.h>
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
#include "mem/facts.h"
#include "net/child.h"

/* Exit statuses beyond 0, 1 and 2, a model call's; llm-facts(1). */
#define EXIT_OVER_BUDGET 3
#define EXIT_AUTH 4
#define EXIT_TRANSIENT 5

/* A model call reads at most about this much of the messages' text. */
#define BATCH_BYTES (48u << 10)

enum engine { ENGINE_DEFAULT, ENGINE_RULES, ENGINE_LLM };
enum format { FORMAT_OPS, FORMAT_CONTEXT };

static struct {
	enum engine engine;
	enum format format;
	const char *model;
	const char *ask;
	long timeout;
	int pass;
} opt;

static struct config cfg;
static struct inputs inputs;

#define SYNOPSIS \
	"usage: llm-facts [-p] [-e rules|llm] [-f ops|context] [-m model]\n" \
	"                 [--ask command] [--timeout s] [file ...]\n"

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
	    "Reads messages (JSON lines), after the facts already known, and\n"
	    "prints fact records that add, update or delete facts so that the\n"
	    "known ones stay true: files created, modified or deleted,\n"
	    "functions added or removed, decisions, preferences, todos.\n"
	    "\n"
	    "  -e, --engine E      rules (offline) or llm (a model, through\n"
	    "                      llm-ask); default llm when a key is set\n"
	    "  -f, --format F      ops: the fact records (default); context: one\n"
	    "                      system message, the live facts as llm-ask\n"
	    "                      shows them to a model\n"
	    "  -m, --model MODEL   the model llm-ask is to call\n"
	    "  -p, --pass          print the input too, each message before its\n"
	    "                      facts\n"
	    "      --ask COMMAND   the command that calls the model (default\n"
	    "                      $LLMPIPE_ASK, then llm-ask)\n"
	    "      --timeout S     stop a model call after S seconds\n"
	    "  -h, --help          this help\n"
	    "      --version       the version\n"
	    "\n"
	    "Exit status: 0 ok, 1 a bad line, 2 usage, and from a model call\n"
	    "that failed (the rules' facts were printed instead): 3 over\n"
	    "budget, 4 key or billing, 5 transient.\n");
	exit_flushed(0);
}

/* The state of a run. */
struct run {
	struct jsonl in;
	struct facts facts;
	struct facts_found found;
	struct buf text;
	cJSON *ops;   /* the fact records not yet written */
	cJSON *batch; /* the llm engine's records of its next call */
	size_t batch_bytes;
	char *command;  /* of the model call */
	char *schema;   /* of its reply */
	int status;     /* to exit with */
	int model_down; /* a failure every call would meet: rules from now */
};

static void
set_status(struct run *r, int status)
{
	if (status > r->status)
		r->status = status;
}

static void
write_record(const cJSON *rec)
{
	if (jsonl_write(stdout, rec) < 0)
		err(1, "write error");
}

/* Writes the ops gathered (unless the format is context) and empties. */
static void
flush_ops(struct run *r)
{
	cJSON *rec;

	/* With -f context, only the usage of model calls. */
	cJSON_ArrayForEach(rec, r->ops) {
		if (opt.format == FORMAT_OPS || record_type(rec) != REC_FACT)
			write_record(rec);
	}
	cJSON_Delete(r->ops);
	if ((r->ops = cJSON_CreateArray()) == NULL)
		errx(1, "out of memory");
}

static int
is_message(const cJSON *rec)
{
	const char *role = msg_str(rec, "role");

	return record_type(rec) == REC_MESSAGE && role != NULL &&
	    (strcmp(role, "user") == 0 || strcmp(role, "assistant") == 0);
}

static struct fact_origin
origin_of(const cJSON *msg)
{
	struct fact_origin o = {
	    msg_str(msg, "id"), msg_str(msg, "ts"), msg_str(msg, "session")};

	return o;
}

/*
 * With --pass, a message that lacks an id is given one, so that its
 * facts' source names it in the store too.
 */
static void
give_id(cJSON *msg)
{
	char id[RECORD_ID_SIZE];

	if (opt.pass && msg_str(msg, "id") == NULL) {
		record_ulid(id);
		msg_set_string(msg, "id", id);
	}
}

/* The rules over one message: its ops join r->ops. */
static void
rules(struct run *r, const cJSON *msg)
{
	struct fact_origin o = origin_of(msg);
	const char *why;

	buf_reset(&r->text);
	if (msg_content(msg, &r->text, &why) <= 0)
		return;
	facts_found_reset(&r->found);
	facts_extract(r->text.s, r->text.len,
	    strcmp(msg_str(msg, "role"), "user") == 0, &r->found);
	facts_ops(&r->facts, &r->found, &o, r->ops);
}

/*
 * The llm engine
 */

/* The schema of the reply, with the kinds of record.h's list. */
static char *
reply_schema(void)
{
	static const char *const ops[] = {"add", "update", "delete"};
	cJSON *schema = cJSON_CreateObject(), *facts, *item, *props, *p, *req;
	const char *const *k;
	char *text;
	int nkinds;

	cJSON_AddStringToObject(schema, "type", "object");
	props = cJSON_AddObjectToObject(schema, "properties");
	facts = cJSON_AddObjectToObject(props, "facts");
	cJSON_AddStringToObject(facts, "type", "array");
	item = cJSON_AddObjectToObject(facts, "items");
	cJSON_AddStringToObject(item, "type", "object");
	p = cJSON_AddObjectToObject(item, "properties");
	req = cJSON_CreateArray();
	for (nkinds = 0; fact_kinds[nkinds] != NULL; nkinds++)
		;
	cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "kind"), "enum",
	    cJSON_CreateStringArray(fact_kinds, nkinds));
	cJSON_AddStringToObject(
	    cJSON_AddObjectToObject(p, "subject"), "type", "string");
	cJSON_AddStringToObject(
	    cJSON_AddObjectToObject(p, "content"), "type", "string");
	cJSON_AddItemToObject(cJSON_AddObjectToObject(p, "op"), "enum",
	    cJSON_CreateStringArray(ops, 3));
	cJSON_AddStringToObject(
	    cJSON_AddObjectToObject(p, "source"), "type", "string");
	for (k = (const char *const[]){"kind", "subject", "content", "op",
		 "source", NULL};
	     *k != NULL; k++)
		cJSON_AddItemToArray(req, cJSON_CreateString(*k));
	cJSON_AddItemToObject(item, "required", req);
	cJSON_AddFalseToObject(item, "additionalProperties");
	req = cJSON_CreateArray();
	cJSON_AddItemToArray(req, cJSON_CreateString("facts"));
	cJSON_AddItemToObject(schema, "required", req);
	cJSON_AddFalseToObject(schema, "additionalProperties");
	text = json_print_alloc(schema);
	cJSON_Delete(schema);
	return text;
}

static void
instructions(struct buf *out)
{
	const char *const *k;

	buf_addstr(out,
	    "You keep the facts of a coding session.  Read the messages the "
	    "user sends and reply, as JSON {\"facts\":[...]}, with the changes "
	    "they make to the known facts.  A fact has a kind (");
	for (k = fact_kinds; *k != NULL; k++)
		buf_printf(out, "%s%s", *k, k[1] != NULL ? ", " : "");
	buf_addstr(out,
	    "), a subject, a content (one short sentence), an op, and the "
	    "source: the id of the message it comes from.\n"
	    "- Files created, modified, deleted or renamed (a fence or a "
	    "comment that names the file, a diff, prose that says so): the "
	    "subject is the path as written, without a diff's a/ or b/.\n"
	    "- Functions defined with a body in code a message adds; not "
	    "prototypes, calls, lambdas, or code quoted for review, examples, "
	    "logs or commands: the subject is the bare name.\n"
	    "- Decisions, preferences and todos the user or the assistant "
	    "commits to; not options discussed, questions or negations: the "
	    "subject is a short lowercase key phrase.\n"
	    "- op: add for a new fact; update when a known fact of the same "
	    "kind and subject has new content; delete when a known fact stops "
	    "being true (a file renamed or deleted, a function renamed or "
	    "removed, a decision reversed), with an add of what replaces it.\n"
	    "Leave out what the known facts already say.  Reply "
	    "{\"facts\":[]} when there is nothing.");
}

/* The records of a call: instructions, the live facts, the messages. */
static cJSON *
prompt(const struct run *r)
{
	cJSON *records = cJSON_CreateArray(), *sys = cJSON_CreateObject(),
	      *user = cJSON_CreateObject();
	const cJSON *rec;
	struct buf text = BUF_INIT;
	const char *why, *id;
	int n = 0;

	instructions(&text);
	msg_set_string(sys, "role", "system");
	msg_set_string(sys, "content", text.s);
	cJSON_AddItemToArray(records, sys);
	cJSON_ArrayForEach(rec, r->facts.live) {
		cJSON_AddItemToArray(records, cJSON_Duplicate(rec, 1));
	}
	buf_reset(&text);
	cJSON_ArrayForEach(rec, r->batch) {
		n++;
		if (!is_message(rec))
			continue;
		id = msg_str(rec, "id");
		if (id != NULL)
			buf_printf(&text, "Message %s (%s):\n", id,
			    msg_str(rec, "role"));
		else
			buf_printf(&text, "Message #%d (%s):\n", n,
			    msg_str(rec, "role"));
		msg_content(rec, &text, &why);
		while (text.len > 0 && strchr(" \t\r\n", text.s[text.len - 1]))
			text.s[--text.len] = '\0';
		buf_addstr(&text, "\n\n");
	}
	msg_set_string(user, "role", "user");
	msg_set_string(user, "content", text.s);
	cJSON_AddItemToArray(records, user);
	buf_release(&text);
	return records;
}

/* The message of the batch that source names ("ID" or "#N"), or NULL. */
static const cJSON *
batch_message(const struct run *r, const char *source)
{
	const cJSON *rec, *last = NULL;
	const char *id;
	int n = 0;

	cJSON_ArrayForEach(rec, r->batch) {
		n++;
		if (!is_message(rec))
			continue;
		last = rec;
		id = msg_str(rec, "id");
		if (source == NULL)
			continue;
		if (id != NULL ? strcmp(id, source) == 0
			       : (source[0] == '#' && atoi(source + 1) == n))
			return rec;
	}
	return last;
}

/*
 * The facts of a reply, or NULL if it holds none: its content is
 * {"facts":[...]} or a bare array, perhaps inside a code fence.
 */
static cJSON *
reply_facts(const cJSON *reply)
{
	const char *s = msg_str(reply, "content"), *e;
	struct json_error je;
	cJSON *v, *facts;

	if (s == NULL)
		return NULL;
	s += strspn(s, " \t\r\n");
	if (strncmp(s, "```", 3) == 0 && (s = strchr(s, '\n')) != NULL) {
		e = strstr(s, "```");
		v = json_parse(s, e != NULL ? (size_t)(e - s) : strlen(s), &je);
	} else {
		v = s != NULL ? json_parse(s, strlen(s), &je) : NULL;
	}
	if (cJSON_IsArray(v))
		return v;
	facts = cJSON_DetachItemFromObjectCaseSensitive(v, "facts");
	cJSON_Delete(v);
	if (cJSON_IsArray(facts))
		return facts;
	cJSON_Delete(facts);
	return NULL;
}

/* The usage and cost of a call, as a record of its own. */
static void
usage_record(struct run *r, const cJSON *reply, const cJSON *last)
{
	cJSON *rec;
	char ts[RECORD_TS_SIZE];
	const char *s;

	if (cJSON_GetObjectItemCaseSensitive(reply, "usage") == NULL &&
	    cJSON_GetObjectItemCaseSensitive(reply, "cost_usd") == NULL)
		return;
	rec = cJSON_CreateObject();
	msg_set_string(rec, "type", "usage");
	if ((s = msg_str(reply, "model")) != NULL)
		msg_set_string(rec, "model", s);
	if ((s = msg_str(reply, "provider")) != NULL)
		msg_set_string(rec, "provider", s);
	child_usage_add(rec, reply);
	if (last != NULL && (s = msg_str(last, "id")) != NULL)
		msg_set_string(rec, "source", s);
	record_now(ts);
	msg_set_string(rec, "ts", ts);
	if (last != NULL && (s = msg_str(last, "session")) != NULL)
		msg_set_string(rec, "session", s);
	cJSON_AddItemToArray(r->ops, rec);
}

/* Takes the model's facts into r->ops, each checked. */
static void
take_reply(struct run *r, cJSON *facts)
{
	const cJSON *p, *msg;
	struct fact_origin o;
	const char *why;
	cJSON *op;
	int n = 0;

	cJSON_ArrayForEach(p, facts) {
		n++;
		msg = batch_message(r, msg_str(p, "source"));
		o = origin_of(msg);
		if ((why = facts_take_proposed(&r->facts, p, &o, &op)) != NULL)
			warnx("dropped the model's fact %d: %s", n, why);
		else if (op != NULL)
			cJSON_AddItemToArray(r->ops, op);
	}
}

/* One model call for the batch, or the rules when it fails. */
static void
flush_batch(struct run *r)
{
	const char *args[5] = {"--json-schema", NULL, NULL, NULL, NULL};
	cJSON *records, *reply = NULL, *facts = NULL, *rec;
	int status = 0, n = 0;

	cJSON_ArrayForEach(rec, r->batch) {
		n += is_message(rec);
	}
	if (n > 0 && !r->model_down) {
		if (r->schema == NULL)
			r->schema = reply_schema();
		args[1] = r->schema;
		if (opt.model != NULL) {
			args[2] = "-m";
			args[3] = opt.model;
		}
		records = prompt(r);
		status =
		    child_ask(r->command, args, records, opt.timeout, &reply);
		cJSON_Delete(records);
		if (status == 0 && (facts = reply_facts(reply)) == NULL)
			warnx("%s: the reply holds no facts; the rules' facts "
			      "instead",
			    r->command);
		else if (status != 0)
			warnx("%s: the model call failed; the rules' facts "
			      "instead",
			    r->command);
		if (status == EXIT_AUTH || status == EXIT_TRANSIENT)
			r->model_down = 1;
		if (status >= EXIT_OVER_BUDGET)
			set_status(r, status);
	}
	cJSON_ArrayForEach(rec, r->batch) {
		if (opt.pass && opt.format == FORMAT_OPS)
			write_record(rec);
		if (is_message(rec) && facts == NULL)
			rules(r, rec);
	}
	if (facts != NULL) {
		take_reply(r, facts);
		usage_record(r, reply, batch_message(r, NULL));
	}
	cJSON_Delete(facts);
	cJSON_Delete(reply);
	cJSON_Delete(r->batch);
	if ((r->batch = cJSON_CreateArray()) == NULL)
		errx(1, "out of memory");
	r->batch_bytes = 0;
	flush_ops(r);
}

/*
 * Reading
 */

/* A known fact: its kind must be one of the nine. */
static int
known_fact(struct run *r, const cJSON *rec)
{
	const char *kind = msg_str(rec, "kind");

	if (!fact_kind_known(kind)) {
		jsonl_error(&r->in,
		    "unknown fact kind '%.40s' (file_created, file_modified, "
		    "file_deleted, function_added, function_removed, decision, "
		    "preference, todo or note)",
		    kind);
		return -1;
	}
	return 0;
}

static void
take(struct run *r, cJSON *rec)
{
	int llm = opt.engine == ENGINE_LLM && !r->model_down;
	const char *why;

	if (record_type(rec) == REC_FACT) {
		if (known_fact(r, rec) < 0) {
			set_status(r, 1);
			cJSON_Delete(rec);
			return;
		}
		if (r->batch->child != NULL)
			flush_batch(r); /* what came before, before it */
		facts_apply(&r->facts, rec);
	}
	if (is_message(rec))
		give_id(rec);
	if (llm || r->batch->child != NULL) {
		cJSON_AddItemToArray(r->batch, rec);
		buf_reset(&r->text);
		if (is_message(rec) && msg_content(rec, &r->text, &why) > 0)
			r->batch_bytes += r->text.len;
		if (r->batch_bytes >= BATCH_BYTES)
			flush_batch(r);
		return;
	}
	if (opt.pass && opt.format == FORMAT_OPS)
		write_record(rec);
	if (is_message(rec))
		rules(r, rec);
	flush_ops(r);
	cJSON_Delete(rec);
}

/* --format context: the live facts as the block llm-ask shows a model. */
static void
print_context(const struct run *r)
{
	struct context ctx;
	struct buf text = BUF_INIT;
	const cJSON *rec;
	cJSON *sys;

	context_init(&ctx);
	cJSON_ArrayForEach(rec, r->facts.live) {
		context_add(&ctx, cJSON_Duplicate(rec, 1));
	}
	context_system(&ctx, NULL, NULL, &text);
	if (text.len > 0) {
		sys = cJSON_CreateObject();
		msg_set_string(sys, "role", "system");
		msg_set_string(sys, "content", text.s);
		write_record(sys);
		cJSON_Delete(sys);
	}
	buf_release(&text);
	context_release(&ctx);
}

static int
run(void)
{
	struct run r;
	const char *why;
	cJSON *rec;
	int rv;

	memset(&r, 0, sizeof(r));
	facts_init(&r.facts);
	r.text = (struct buf)BUF_INIT;
	r.ops = cJSON_CreateArray();
	r.batch = cJSON_CreateArray();
	if (r.ops == NULL || r.batch == NULL)
		errx(1, "out of memory");
	if (opt.engine == ENGINE_LLM)
		r.command = child_command(opt.ask);
	jsonl_init_inputs(&r.in, &inputs);
	while ((rv = jsonl_read(&r.in, &rec)) != 0) {
		if (rv < 0) {
			set_status(&r, 1);
		} else if ((why = record_check(rec)) != NULL) {
			jsonl_error(&r.in, "%s", why);
			set_status(&r, 1);
			cJSON_Delete(rec);
		} else {
			take(&r, rec);
		}
	}
	flush_batch(&r);
	if (inputs.failed)
		set_status(&r, 1);
	if (opt.format == FORMAT_CONTEXT)
		print_context(&r);
	jsonl_release(&r.in);
	facts_release(&r.facts);
	facts_found_release(&r.found);
	buf_release(&r.text);
	cJSON_Delete(r.ops);
	cJSON_Delete(r.batch);
	free(r.command);
	free(r.schema);
	return r.status;
}

static enum engine
parse_engine(const char *s)
{
	if (strcmp(s, "rules") == 0)
		return ENGINE_RULES;
	if (strcmp(s, "llm") == 0)
		return ENGINE_LLM;
	warnx("-e: not rules or llm: '%s'", s);
	usage();
}

static enum format
parse_format(const char *s)
{
	if (strcmp(s, "ops") == 0)
		return FORMAT_OPS;
	if (strcmp(s, "context") == 0)
		return FORMAT_CONTEXT;
	warnx("-f: not ops or context: '%s'", s);
	usage();
}

int
main(int argc, char *argv[])
{
	enum { OPT_ASK = 256, OPT_TIMEOUT, OPT_VERSION };
	static const struct option longopts[] = {
	    {"ask", required_argument, NULL, OPT_ASK},
	    {"engine", required_argument, NULL, 'e'},
	    {"format", required_argument, NULL, 'f'},
	    {"help", no_argument, NULL, 'h'},
	    {"model", required_argument, NULL, 'm'},
	    {"pass", no_argument, NULL, 'p'},
	    {"timeout", required_argument, NULL, OPT_TIMEOUT},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *env;
	int ch, status;

	while (
	    (ch = getopt_long(argc, argv, "e:f:hm:p", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			opt.engine = parse_engine(optarg);
			break;
		case 'f':
			opt.format = parse_format(optarg);
			break;
		case 'h':
			help();
			break;
		case 'm':
			opt.model = optarg;
			break;
		case 'p':
			opt.pass = 1;
			break;
		case OPT_ASK:
			opt.ask = optarg;
			break;
		case OPT_TIMEOUT:
			opt.timeout =
			    option_number("--timeout", optarg, 0, 86400);
			break;
		case OPT_VERSION:
			printf("llm-facts %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			usage();
		}
	}
	if (opt.pass && opt.format == FORMAT_CONTEXT) {
		warnx("-p prints records; -f context prints one block");
		usage();
	}
	if (models_load(&cfg) != 0)
		exit(1);
	if (opt.model != NULL && model_find(opt.model) == NULL) {
		warnx("unknown model '%s' (llm-ask --models lists them)",
		    opt.model);
		usage();
	}
	if (opt.engine == ENGINE_DEFAULT) {
		env = getenv("LLMPIPE_ASK");
		opt.engine = opt.ask != NULL ||
			(env != NULL && env[0] != '\0') || child_key_set(&cfg)
		    ? ENGINE_LLM
		    : ENGINE_RULES;
	}
	inputs_init(&inputs, argv + optind, argc - optind);
	status = run();
	inputs_release(&inputs);
	models_release();
	config_release(&cfg);
	exit_flushed(status);
}
