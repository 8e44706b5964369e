/* llm-count: count, encode, decode and truncate tokens, exactly. */
#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bpe.h"
#include "count.h"
#include "jsonl.h"
#include "models.h"
#include "msg.h"
#include "utf8.h"
#include "util.h"

#define EXIT_OVER_BUDGET 3
/* Text mode reads this much at a time and encodes whole pieces of it. */
#define CHUNK (1u << 20)

enum mode { COUNT, TOTAL, ENCODE, DECODE, TRUNCATE, BUDGET };

static enum mode mode = COUNT;
static int text_input, bpe_flags;
static struct counter counter;
static const struct model *model;
static size_t limit; /* for TRUNCATE and BUDGET */
static const char *budget_arg;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: llm-count [-t] [-e encoding | -m model] [--allow-special]\n"
	    "                 [--total | --encode | --decode | --truncate n | --budget n|auto]\n");
	exit(2);
}

static void
help(void)
{
	printf(
	    "usage: llm-count [-t] [-e encoding | -m model] [--allow-special]\n"
	    "                 [--total | --encode | --decode | --truncate n | --budget n|auto]\n"
	    "\n"
	    "Adds \"tokens\" to each JSON-lines record read on stdin.\n"
	    "\n"
	    "  -e, --encoding ENC  count with cl100k_base or o200k_base\n"
	    "  -m, --model MODEL   count as MODEL does (default gpt-4o)\n"
	    "  -t, --text          stdin is plain text, not records\n"
	    "      --total         one record: all tokens, with chat overhead\n"
	    "      --encode        token ids (\"ids\", or a line of numbers)\n"
	    "      --decode        ids back to text\n"
	    "      --truncate N    keep the first N tokens of each text\n"
	    "      --budget N|auto pass input through if it fits N tokens\n"
	    "                      (auto: the model's input budget), else\n"
	    "                      report and exit 3\n"
	    "      --allow-special <|endoftext|> and the like are special tokens\n"
	    "  -h, --help          this help\n"
	    "      --version       the version\n");
	exit(0);
}

static size_t
parse_count(const char *s, const char *opt)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (*s == '\0' || *s == '-' || *end != '\0' || errno != 0 ||
	    v > SIZE_MAX / 2) {
		warnx("%s: invalid number '%s'", opt, s);
		usage();
	}
	return (size_t)v;
}

/* Writes ids as decimal numbers; first says whether one was written. */
static void
print_ids(const struct bpe_ids *ids, int *first)
{
	size_t i;

	for (i = 0; i < ids->n; i++) {
		if (!*first)
			putchar(' ');
		printf("%u", (unsigned)ids->v[i]);
		*first = 0;
	}
}

/*
 * Appends the bytes of ids to out.  Returns 0, or -1 (reported) for an id
 * the encoding lacks.
 */
static int
decode_ids(const uint32_t *ids, size_t n, struct buf *out)
{
	const char *tok;
	size_t i, len;

	for (i = 0; i < n; i++) {
		if ((tok = bpe_token(counter.enc, ids[i], &len)) == NULL) {
			warnx("no token %u in %s", (unsigned)ids[i],
			    bpe_name(counter.enc));
			return -1;
		}
		buf_add(out, tok, len);
	}
	return 0;
}

/* Drops an incomplete UTF-8 sequence that a token boundary cut off. */
static size_t
whole_chars(const char *s, size_t len)
{
	size_t ok = utf8_valid_prefix(s, len);

	return len - ok < 4 ? ok : len;
}

/* --text: stdin is one text; its pieces are processed as they arrive. */
struct text_state {
	size_t tokens;
	int first, done;
	struct bpe_ids ids;
	struct buf held; /* BUDGET: the input, until it is known to fit */
	struct buf out;
};

static void
text_chunk(struct text_state *st, const char *s, size_t len)
{
	size_t n, keep;

	switch (mode) {
	case ENCODE:
		st->ids.n = 0;
		st->tokens +=
		    bpe_encode(counter.enc, s, len, bpe_flags, &st->ids);
		print_ids(&st->ids, &st->first);
		break;
	case TRUNCATE:
		/* Written as decoded, so invalid UTF-8 comes out repaired. */
		st->ids.n = 0;
		n = bpe_encode(counter.enc, s, len, bpe_flags, &st->ids);
		keep = st->tokens + n <= limit ? n : limit - st->tokens;
		buf_reset(&st->out);
		decode_ids(st->ids.v, keep, &st->out);
		if (keep < n) {
			st->out.len = whole_chars(st->out.s, st->out.len);
			st->done = 1;
		}
		fwrite(st->out.s, 1, st->out.len, stdout);
		st->tokens += keep;
		break;
	case BUDGET:
		st->tokens += counter_count(&counter, s, len);
		if (st->tokens <= limit)
			buf_add(&st->held, s, len);
		break;
	default:
		st->tokens += counter_count(&counter, s, len);
		break;
	}
}

static void
report_over(size_t tokens)
{
	printf("{\"tokens\":%zu,\"limit\":%zu,\"over\":%zu}\n", tokens, limit,
	    tokens - limit);
	warnx("over budget: %zu tokens, limit %zu", tokens, limit);
}

static int
run_text(void)
{
	struct text_state st = {0, 1, 0, {NULL, 0, 0}, BUF_INIT, BUF_INIT};
	struct buf in = BUF_INIT;
	size_t got, cut, from;
	int eof = 0, status = 0;

	while (!eof && !st.done) {
		buf_grow(&in, CHUNK);
		got = fread(in.s + in.len, 1, CHUNK, stdin);
		/* Only the new bytes and the one before them can split. */
		from = in.len > 0 ? in.len - 1 : 0;
		in.len += got;
		if (got < CHUNK) {
			if (ferror(stdin))
				err(1, "read error");
			eof = feof(stdin);
		}
		/* Encode up to a point where what follows cannot matter. */
		if (eof) {
			cut = in.len;
		} else {
			cut = bpe_split_point(in.s + from, in.len - from);
			if (cut == 0)
				continue;
			cut += from;
		}
		text_chunk(&st, in.s, cut);
		memmove(in.s, in.s + cut, in.len - cut);
		in.len -= cut;
	}
	switch (mode) {
	case ENCODE:
		putchar('\n');
		break;
	case BUDGET:
		if (st.tokens > limit) {
			report_over(st.tokens);
			status = EXIT_OVER_BUDGET;
		} else {
			fwrite(st.held.s, 1, st.held.len, stdout);
		}
		break;
	case TRUNCATE:
		break;
	default:
		printf("%zu\n", st.tokens);
		break;
	}
	bpe_ids_release(&st.ids);
	buf_release(&st.held);
	buf_release(&st.out);
	buf_release(&in);
	return status;
}

/* --decode --text: numbers separated by spaces, commas or brackets. */
static int
run_decode_text(void)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct bpe_ids ids = {NULL, 0, 0};
	char chunk[65536], *p, *end;
	size_t got;
	unsigned long v;
	int status = 0;

	while ((got = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		buf_add(&in, chunk, got);
	if (ferror(stdin))
		err(1, "read error");
	for (p = in.s; p != NULL && *p != '\0';) {
		if (strchr(" \t\r\n,[]", *p) != NULL) {
			p++;
			continue;
		}
		errno = 0;
		v = strtoul(p, &end, 10);
		if (end == p || *p == '-' || *p == '+' || errno != 0 ||
		    v > UINT32_MAX) {
			warnx("invalid token id '%.*s'",
			    (int)strcspn(p, " \t\r\n,[]"), p);
			status = 1;
			break;
		}
		bpe_ids_push(&ids, (uint32_t)v);
		p = end;
	}
	if (status == 0 && decode_ids(ids.v, ids.n, &out) < 0)
		status = 1;
	if (status == 0)
		fwrite(out.s, 1, out.len, stdout);
	bpe_ids_release(&ids);
	buf_release(&out);
	buf_release(&in);
	return status;
}

static cJSON *
ids_array(const struct bpe_ids *ids)
{
	cJSON *a = cJSON_CreateArray(), *n;
	size_t i;

	if (a == NULL)
		errx(1, "out of memory");
	for (i = 0; i < ids->n; i++) {
		if ((n = cJSON_CreateNumber(ids->v[i])) == NULL ||
		    !cJSON_AddItemToArray(a, n))
			errx(1, "out of memory");
	}
	return a;
}

/* Reads a record's "ids" into ids; returns -1 (reported) if malformed. */
static int
record_ids(const cJSON *rec, const struct jsonl *in, struct bpe_ids *ids)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, "ids"), *v;

	if (!cJSON_IsArray(a)) {
		jsonl_error(in, "no 'ids' array");
		return -1;
	}
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > UINT32_MAX ||
		    v->valuedouble != (double)(uint32_t)v->valuedouble) {
			jsonl_error(in, "'ids' holds something not a token id");
			return -1;
		}
		bpe_ids_push(ids, (uint32_t)v->valuedouble);
	}
	return 0;
}

/* The state of a run over records. */
struct records {
	struct jsonl in;
	struct buf text, out;
	struct bpe_ids ids;
	size_t total, messages;
	struct buf held; /* BUDGET: the input lines, as read */
};

static size_t
count_str(const char *s)
{
	return counter_count(&counter, s, strlen(s));
}

/*
 * Adds rec's tokens to the total as OpenAI counts a chat request: each
 * message costs 3 tokens besides its role and content, a name 1 more;
 * records without a role (docs, facts) count their content alone.
 */
static void
add_to_total(struct records *r, const cJSON *rec, size_t content)
{
	const char *role = msg_str(rec, "role"), *name = msg_str(rec, "name");

	r->total += content;
	if (role == NULL)
		return;
	r->total += 3 + count_str(role);
	if (name != NULL)
		r->total += 1 + count_str(name);
	r->messages++;
}

/* Does the work of the mode on one record; -1 if it was reported bad. */
static int
process_record(struct records *r, cJSON *rec)
{
	const char *why = NULL;
	size_t n;
	int has, truncated = 0;

	if (mode == DECODE) {
		r->ids.n = 0;
		buf_reset(&r->out);
		if (record_ids(rec, &r->in, &r->ids) < 0 ||
		    decode_ids(r->ids.v, r->ids.n, &r->out) < 0)
			return -1;
		buf_reset(&r->text);
		utf8_sanitize(r->out.s, r->out.len, &r->text);
		msg_set_string(rec, "content", r->text.s);
		return 0;
	}
	buf_reset(&r->text);
	if ((has = msg_content(rec, &r->text, &why)) < 0) {
		jsonl_error(&r->in, "%s", why);
		return -1;
	}
	if (has == 0) {
		if (mode == TOTAL || mode == BUDGET)
			add_to_total(r, rec, 0);
		return 0;
	}
	r->ids.n = 0;
	if (mode == ENCODE || mode == TRUNCATE)
		n = bpe_encode(
		    counter.enc, r->text.s, r->text.len, bpe_flags, &r->ids);
	else
		n = counter_count(&counter, r->text.s, r->text.len);
	switch (mode) {
	case TOTAL:
	case BUDGET:
		add_to_total(r, rec, n);
		return 0;
	case TRUNCATE:
		if (n > limit) {
			buf_reset(&r->out);
			decode_ids(r->ids.v, limit, &r->out);
			r->out.len = whole_chars(r->out.s, r->out.len);
			r->out.s[r->out.len] = '\0';
			msg_set_string(rec, "content", r->out.s);
			n = bpe_encode(
			    counter.enc, r->out.s, r->out.len, bpe_flags, NULL);
			truncated = 1;
		}
		break;
	default:
		break;
	}
	msg_set_number(rec, "tokens", (double)n);
	if (!counter_exact(&counter))
		msg_set(rec, "exact", cJSON_CreateFalse());
	if (mode == ENCODE)
		msg_set(rec, "ids", ids_array(&r->ids));
	if (truncated)
		msg_set(rec, "truncated", cJSON_CreateTrue());
	return 0;
}

static void
print_total(const struct records *r)
{
	size_t total = r->total + (r->messages > 0 ? 3 : 0);

	printf("{\"tokens\":%zu,\"messages\":%zu%s}\n", total, r->messages,
	    counter_exact(&counter) ? "" : ",\"exact\":false");
}

static int
run_records(void)
{
	struct records r;
	cJSON *rec;
	size_t total;
	int rv, status = 0;

	memset(&r, 0, sizeof(r));
	jsonl_init(&r.in, stdin);
	while ((rv = jsonl_read(&r.in, &rec)) != 0) {
		if (rv < 0 || process_record(&r, rec) < 0) {
			status = 1;
		} else if (mode == BUDGET) {
			buf_add(&r.held, r.in.line.s, r.in.line.len);
			buf_add(&r.held, "\n", 1);
		} else if (mode != TOTAL) {
			jsonl_write(stdout, rec);
		}
		cJSON_Delete(rec);
	}
	if (mode == TOTAL)
		print_total(&r);
	if (mode == BUDGET) {
		total = r.total + (r.messages > 0 ? 3 : 0);
		if (status != 0) {
			warnx("bad input: nothing passed through");
		} else if (total > limit) {
			report_over(total);
			status = EXIT_OVER_BUDGET;
		} else {
			fwrite(r.held.s, 1, r.held.len, stdout);
		}
	}
	buf_release(&r.held);
	bpe_ids_release(&r.ids);
	buf_release(&r.out);
	buf_release(&r.text);
	jsonl_release(&r.in);
	return status;
}

/* Picks the counter from -e and -m; exits with a usage error if unknown. */
static void
setup_counter(const char *encoding, const char *model_name)
{
	if (model_name != NULL && (model = model_find(model_name)) == NULL) {
		warnx("unknown model '%s'", model_name);
		usage();
	}
	if (encoding != NULL) {
		if (counter_for_encoding(&counter, encoding) < 0) {
			warnx("unknown encoding '%s' (cl100k_base, o200k_base)",
			    encoding);
			usage();
		}
		return;
	}
	if (model == NULL)
		model = model_find(MODEL_DEFAULT);
	if (counter_for_model(&counter, model) < 0)
		errx(1, "model '%s' has no counter", model->name);
}

static void
check_mode(void)
{
	if ((mode == ENCODE || mode == DECODE || mode == TRUNCATE) &&
	    (counter.enc == NULL || !counter_exact(&counter))) {
		warnx(
		    "--encode, --decode and --truncate need an exact encoding; '%s' is counted by estimate",
		    model->name);
		usage();
	}
	if (mode == BUDGET) {
		if (strcmp(budget_arg, "auto") != 0) {
			limit = parse_count(budget_arg, "--budget");
		} else if (model == NULL) {
			warnx("--budget auto needs -m model");
			usage();
		} else {
			limit = (size_t)model->budget;
		}
	}
	if (mode == TOTAL && text_input) {
		warnx(
		    "--total counts records; without it --text counts the text");
		usage();
	}
}

static void
set_mode(enum mode m)
{
	if (mode != COUNT && mode != m) {
		warnx(
		    "--total, --encode, --decode, --truncate and --budget exclude each other");
		usage();
	}
	mode = m;
}

int
main(int argc, char *argv[])
{
	enum {
		OPT_ALLOW_SPECIAL = 256,
		OPT_BUDGET,
		OPT_DECODE,
		OPT_ENCODE,
		OPT_TOTAL,
		OPT_TRUNCATE,
		OPT_VERSION
	};
	static const struct option longopts[] = {
	    {"allow-special", no_argument, NULL, OPT_ALLOW_SPECIAL},
	    {"budget", required_argument, NULL, OPT_BUDGET},
	    {"decode", no_argument, NULL, OPT_DECODE},
	    {"encode", no_argument, NULL, OPT_ENCODE},
	    {"encoding", required_argument, NULL, 'e'},
	    {"help", no_argument, NULL, 'h'},
	    {"model", required_argument, NULL, 'm'},
	    {"text", no_argument, NULL, 't'},
	    {"total", no_argument, NULL, OPT_TOTAL},
	    {"truncate", required_argument, NULL, OPT_TRUNCATE},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *encoding = NULL, *model_name = NULL;
	int ch, status;

	while ((ch = getopt_long(argc, argv, "e:hm:t", longopts, NULL)) != -1) {
		switch (ch) {
		case 'e':
			encoding = optarg;
			break;
		case 'h':
			help();
			break;
		case 'm':
			model_name = optarg;
			break;
		case 't':
			text_input = 1;
			break;
		case OPT_ALLOW_SPECIAL:
			bpe_flags |= BPE_SPECIAL;
			break;
		case OPT_BUDGET:
			set_mode(BUDGET);
			budget_arg = optarg;
			break;
		case OPT_DECODE:
			set_mode(DECODE);
			break;
		case OPT_ENCODE:
			set_mode(ENCODE);
			break;
		case OPT_TOTAL:
			set_mode(TOTAL);
			break;
		case OPT_TRUNCATE:
			set_mode(TRUNCATE);
			limit = parse_count(optarg, "--truncate");
			break;
		case OPT_VERSION:
			printf("llm-count %s\n", LLMPIPE_VERSION);
			return 0;
		default:
			usage();
		}
	}
	if (optind < argc) {
		warnx("unexpected argument '%s'", argv[optind]);
		usage();
	}
	setup_counter(encoding, model_name);
	check_mode();
	if (text_input)
		status = mode == DECODE ? run_decode_text() : run_text();
	else
		status = run_records();
	if (fflush(stdout) == EOF || ferror(stdout))
		err(1, "write error");
	return status;
}
