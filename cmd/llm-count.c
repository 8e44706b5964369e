/* llm-count: count, encode, decode and truncate tokens, exactly. */
#include <sys/mman.h>
#include <sys/stat.h>

#include <err.h>
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <sched.h>
#include <limits.h>
#include <stdint.h>
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
#include "tok/bpe.h"
#include "tok/budget.h"
#include "tok/count.h"

#define EXIT_OVER_BUDGET 3
/* Text mode reads this much at a time and encodes whole pieces of it. */
#define CHUNK (1u << 20)
/* It maps this much of a regular file at a time. */
#define WINDOW ((size_t)4 << 20)
/* -T: the most threads, the parts they take, how far back a cut is sought. */
#define MAX_THREADS 64
#define THREAD_PART ((off_t)1 << 20)
#define SPLIT_SEARCH ((off_t)64 << 10)
/* The separators --decode --text accepts between ids. */
#define ID_SEPARATORS " \t\r\n,[]"

enum mode { COUNT, TOTAL, ENCODE, DECODE, TRUNCATE, BUDGET };

static enum mode mode = COUNT;
static int text_input;
static struct counter counter;
static const struct model *model;
static size_t limit; /* of --truncate or --budget */
static const char *budget_arg;
static struct config cfg;
static struct inputs inputs;
static long threads = 1; /* -T */

#define SYNOPSIS \
	"usage: llm-count [-t] [-T threads] [-e encoding] [-m model] [--allow-special]\n" \
	"                 [--total | --encode | --decode | --truncate n | --budget n|auto]\n" \
	"                 [file ...]\n"

void
usage(void)
{
	fputs(SYNOPSIS, stderr);
	exit(2);
}

/* A read or a map of the input being counted failed: errno says why. */
static void __attribute__((noreturn)) input_failed(void)
{
	err(1, "%s", inputs.name ? inputs.name : "stdin");
}

static void
help(void)
{
	printf(SYNOPSIS
	    "\n"
	    "Adds \"tokens\" to each JSON-lines record of the files, or of\n"
	    "standard input (also \"-\").\n"
	    "\n"
	    "  -e, --encoding ENC  count with cl100k_base or o200k_base\n"
	    "  -m, --model MODEL   count as MODEL does (default gpt-4o)\n"
	    "  -t, --text          the input is plain text, not records\n"
	    "  -T, --threads N     count a regular file of 2 MB or more with N\n"
	    "                      threads (0: as many as there are CPUs)\n"
	    "      --total         one record: the tokens of the request, as\n"
	    "                      llm-ask would send it, chat overhead included\n"
	    "      --encode        token ids (\"ids\", or a line of numbers)\n"
	    "      --decode        ids back to text\n"
	    "      --truncate N    keep the first N tokens of each text\n"
	    "      --budget N|auto pass input through if it fits N tokens\n"
	    "                      (auto: the model's input budget), else\n"
	    "                      report and exit 3\n"
	    "      --allow-special <|endoftext|> and the like are special tokens\n"
	    "  -h, --help          this help\n"
	    "      --version       the version\n");
	exit_flushed(0);
}

static void
write_bytes(const char *s, size_t len)
{
	if (len > 0 && fwrite(s, 1, len, stdout) != len)
		err(1, "write error");
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
 * Appends the bytes of ids to out.  Returns 0, or -1 for an id the
 * encoding lacks, reported for the line in of a record, if any.
 */
static int
decode_ids(
    const uint32_t *ids, size_t n, struct buf *out, const struct jsonl *in)
{
	const char *tok;
	size_t i, len;

	for (i = 0; i < n; i++) {
		if ((tok = bpe_token(counter.enc, ids[i], &len)) != NULL) {
			buf_add(out, tok, len);
			continue;
		}
		if (in != NULL)
			jsonl_error(in, "no token %u in %s", (unsigned)ids[i],
			    bpe_name(counter.enc));
		else
			warnx("no token %u in %s", (unsigned)ids[i],
			    bpe_name(counter.enc));
		return -1;
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
	size_t units, tokens; /* counted, for COUNT and BUDGET; encoded */
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
		bpe_encode(counter.enc, s, len, counter.flags, &st->ids);
		print_ids(&st->ids, &st->first);
		break;
	case TRUNCATE:
		/* Written as decoded, so invalid UTF-8 comes out repaired. */
		st->ids.n = 0;
		n = bpe_encode(counter.enc, s, len, counter.flags, &st->ids);
		keep = st->tokens + n <= limit ? n : limit - st->tokens;
		buf_reset(&st->out);
		decode_ids(st->ids.v, keep, &st->out, NULL);
		if (keep < n) {
			st->out.len = whole_chars(st->out.s, st->out.len);
			st->done = 1;
		}
		write_bytes(st->out.s, st->out.len);
		st->tokens += keep;
		break;
	case BUDGET:
		st->units += counter_units(&counter, s, len);
		if (counter_tokens(&counter, st->units) <= limit)
			buf_add(&st->held, s, len);
		break;
	default:
		st->units += counter_units(&counter, s, len);
		break;
	}
}

static void
report_over(size_t tokens)
{
	printf("{\"tokens\":%zu,\"limit\":%zu,\"over\":%zu%s}\n", tokens, limit,
	    tokens - limit, counter_exact(&counter) ? "" : ",\"exact\":false");
	warnx("over budget: %zu tokens, limit %zu", tokens, limit);
}

/*
 * Encodes one input in pieces as it is read, each up to a point where
 * what follows cannot matter, so that memory stays small; a file's end
 * ends its text (no token spans two files).
 */
static void
text_input_file(struct text_state *st, FILE *fp, struct buf *in)
{
	size_t got, cut, from;
	int eof = 0;

	in->len = 0;
	while (!eof && !st->done) {
		buf_grow(in, CHUNK);
		got = fread(in->s + in->len, 1, CHUNK, fp);
		/* Only the new bytes and the one before them can split. */
		from = in->len > 0 ? in->len - 1 : 0;
		in->len += got;
		if (got < CHUNK) {
			if (ferror(fp))
				input_failed();
			eof = feof(fp);
		}
		if (eof) {
			cut = in->len;
		} else {
			cut = bpe_split_point(in->s + from, in->len - from);
			if (cut == 0)
				continue;
			cut += from;
		}
		text_chunk(st, in->s, cut);
		memmove(in->s, in->s + cut, in->len - cut);
		in->len -= cut;
	}
}

/*
 * Encodes bytes from .. to of a regular file, where to is its end or a
 * cut, mapped a window at a time rather than read: reading copied each
 * megabyte into pages that first had to be faulted in and cleared, a
 * tenth of the time of counting it.  Each window ends where
 * bpe_split_point cuts, and the next begins there.  Returns where it
 * stopped, to unless st is done, or -1 if the file cannot be mapped
 * (nothing is encoded then).  A file cut short while it is mapped raises
 * SIGBUS, as the man page says.
 */
static off_t
text_region(struct text_state *st, int fd, off_t from, off_t to)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), window = WINDOW;
	size_t skip, span, cut;
	off_t at = from, base;
	char *map;

	while (at < to && !st->done) {
		base = at - at % (off_t)page;
		skip = (size_t)(at - base);
		span = to - base < (off_t)window ? (size_t)(to - base) : window;
		map = mmap(NULL, span, PROT_READ, MAP_PRIVATE, fd, base);
		if (map == MAP_FAILED) {
			if (at == from)
				return -1;
			input_failed();
		}
		cut = span - skip;
		if (base + (off_t)span < to &&
		    (cut = bpe_split_point(map + skip, span - skip)) == 0)
			window *= 2; /* no cut in the window: a larger one */
		else
			text_chunk(st, map + skip, cut);
		munmap(map, span);
		at += (off_t)cut;
	}
	return at;
}

/*
 * Stores in *cut the last place before byte at of the file, and after
 * from, where bpe_split_point cuts, or from if it finds none in the
 * SPLIT_SEARCH bytes before at.  Returns -1 if the file cannot be mapped.
 */
static int
cut_before(int fd, off_t from, off_t at, off_t *cut)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), skip, span, c;
	off_t lo = at - from > SPLIT_SEARCH ? at - SPLIT_SEARCH : from;
	off_t base = lo - lo % (off_t)page;
	char *map;

	skip = (size_t)(lo - base);
	span = (size_t)(at - base);
	if ((map = mmap(NULL, span, PROT_READ, MAP_PRIVATE, fd, base)) ==
	    MAP_FAILED)
		return -1;
	c = bpe_split_point(map + skip, span - skip);
	munmap(map, span);
	*cut = c != 0 ? lo + (off_t)c : from;
	return 0;
}

/*
 * -T: the threads take a file a part at a time, each part THREAD_PART
 * bytes or more, up to where bpe_split_point cuts, so that the parts
 * count what the whole does.  Parts rather than a half each: text of one
 * kind counts faster than another, and a thread that ends early takes the
 * next part.
 */
struct shared_file {
	pthread_mutex_t lock;
	int fd;
	off_t at, end; /* the next part begins at at */
};

struct worker {
	struct shared_file *file;
	struct text_state st;
	pthread_t thread;
	int started;
};

/*
 * Takes the next part of the file: stores its bounds and returns 1, or
 * returns 0 when none is left, or -1 if the file cannot be mapped.
 */
static int
next_part(struct shared_file *f, off_t *from, off_t *to)
{
	off_t want = THREAD_PART, cut;
	int ret = 1;

	pthread_mutex_lock(&f->lock);
	*from = cut = f->at;
	/* no cut near: a part twice as long, up to the end */
	while (ret == 1 && cut == *from &&
	    *from + want + THREAD_PART / 2 < f->end) {
		if (cut_before(f->fd, *from, *from + want, &cut) != 0)
			ret = -1;
		want *= 2;
	}
	if (ret == 1) {
		*to = f->at = cut == *from ? f->end : cut;
		if (*from == f->end)
			ret = 0;
	}
	pthread_mutex_unlock(&f->lock);
	return ret;
}

/* Counts parts of the file into st while parts are left. */
static void
count_parts(struct shared_file *f, struct text_state *st)
{
	off_t from, to;
	int got;

	while ((got = next_part(f, &from, &to)) != 0)
		if (got < 0 || text_region(st, f->fd, from, to) < 0)
			input_failed();
}

static void *
worker_run(void *arg)
{
	struct worker *w = arg;

	count_parts(w->file, &w->st);
	bpe_thread_release();
	return NULL;
}

/*
 * -T: counts from .. to of a regular file with this thread and up to
 * threads - 1 more.  Returns -1 if the file cannot be mapped (nothing is
 * counted then).
 */
static int
count_threaded(struct text_state *st, int fd, off_t from, off_t to)
{
	struct shared_file f = {PTHREAD_MUTEX_INITIALIZER, fd, from, to};
	struct worker workers[MAX_THREADS];
	off_t first_from, first_to;
	long n = threads, i;
	int got;

	if (n > (to - from) / THREAD_PART)
		n = (long)((to - from) / THREAD_PART);
	/* The first part here: a file that cannot be mapped is read. */
	if ((got = next_part(&f, &first_from, &first_to)) < 0)
		return -1;
	for (i = 1; i < n; i++) {
		memset(&workers[i], 0, sizeof(workers[i]));
		workers[i].file = &f;
		workers[i].started = pthread_create(&workers[i].thread, NULL,
					 worker_run, &workers[i]) == 0;
	}
	if (got > 0 && text_region(st, fd, first_from, first_to) < 0)
		input_failed();
	count_parts(&f, st);
	for (i = 1; i < n; i++) {
		if (workers[i].started &&
		    (errno = pthread_join(workers[i].thread, NULL)) != 0)
			err(1, "pthread_join");
		st->units += workers[i].st.units;
	}
	return 0;
}

/*
 * Encodes a regular file from where its offset is, and leaves the offset
 * past what was encoded; with -T, counts it in threads.  Returns 0, or -1
 * if the file cannot be mapped (nothing is encoded then, and it is read
 * instead).
 */
static int
text_input_mapped(struct text_state *st, int fd, off_t size)
{
	off_t start = lseek(fd, 0, SEEK_CUR), end = size;

	if (start < 0 || start >= size)
		return start == size ? 0 : -1;
	if (mode == COUNT && threads > 1 && size - start >= 2 * THREAD_PART) {
		if (count_threaded(st, fd, start, size) != 0)
			return -1;
	} else if ((end = text_region(st, fd, start, size)) < 0) {
		return -1;
	}
	(void)lseek(fd, end, SEEK_SET);
	return 0;
}

/* Encodes one input: mapped when it is a regular file, else read. */
static void
text_one_input(struct text_state *st, FILE *fp, struct buf *in)
{
	struct stat sb;

	if (fstat(fileno(fp), &sb) == 0 && S_ISREG(sb.st_mode) &&
	    sb.st_size > 0 &&
	    text_input_mapped(st, fileno(fp), sb.st_size) == 0)
		return;
	text_input_file(st, fp, in);
}

static int
run_text(void)
{
	struct text_state st = {.first = 1};
	struct buf in = BUF_INIT;
	size_t tokens;
	FILE *fp;
	int status = 0;

	while (!st.done && (fp = inputs_next(&inputs)) != NULL)
		text_one_input(&st, fp, &in);
	tokens = counter_tokens(&counter, st.units);
	if (inputs.failed && mode != ENCODE && mode != TRUNCATE) {
		warnx("an input could not be read: %s",
		    mode == BUDGET ? "nothing passed through" : "no count");
		status = 1;
	} else if (mode == ENCODE) {
		putchar('\n');
	} else if (mode == BUDGET && tokens > limit) {
		report_over(tokens);
		status = EXIT_OVER_BUDGET;
	} else if (mode == BUDGET) {
		write_bytes(st.held.s, st.held.len);
	} else if (mode == COUNT) {
		printf("%zu\n", tokens);
	}
	bpe_ids_release(&st.ids);
	buf_release(&st.held);
	buf_release(&st.out);
	buf_release(&in);
	return status;
}

static int
is_separator(char c)
{
	return c != '\0' && strchr(ID_SEPARATORS, c) != NULL;
}

/*
 * --decode --text: numbers separated by spaces, commas or brackets, so
 * that both a JSON array and a line of --encode output will do.  Returns
 * -1 (reported) for anything else.
 */
static int
parse_ids(const char *s, size_t len, struct bpe_ids *ids)
{
	const char *p = s, *end = s + len;
	char *after;
	unsigned long v;

	while (p < end) {
		if (is_separator(*p)) {
			p++;
			continue;
		}
		errno = 0;
		v = *p >= '0' && *p <= '9' ? strtoul(p, &after, 10) : 0;
		if (*p < '0' || *p > '9' || errno != 0 || v > UINT32_MAX ||
		    (after < end && !is_separator(*after))) {
			if (*p == '\0' || (after < end && *after == '\0'))
				warnx("NUL character among the token ids");
			else
				warnx("invalid token id '%.*s'",
				    (int)strcspn(p, ID_SEPARATORS), p);
			return -1;
		}
		bpe_ids_push(ids, (uint32_t)v);
		p = after;
	}
	return 0;
}

static int
run_decode_text(void)
{
	struct buf in = BUF_INIT, out = BUF_INIT;
	struct bpe_ids ids = {NULL, 0, 0};
	int status = 0;
	FILE *fp;

	while ((fp = inputs_next(&inputs)) != NULL) {
		if (buf_read(&in, fp) < 0)
			input_failed();
		buf_add(&in, " ", 1); /* ids do not run across files */
	}
	if (inputs.failed)
		status = 1;
	else if (parse_ids(in.s, in.len, &ids) < 0 ||
	    decode_ids(ids.v, ids.n, &out, NULL) < 0)
		status = 1;
	else
		write_bytes(out.s, out.len);
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

/*
 * The state of a run over records.  --total and --budget count the
 * request llm-ask would make of them: the system prompt that folds in
 * system messages, summaries, the live facts and docs (kept in ctx),
 * and the conversation's messages, counted as they pass.
 */
struct records {
	struct jsonl in;
	struct buf text, out;
	struct bpe_ids ids;
	struct context ctx; /* what the system prompt is made of */
	struct cost cost;   /* of the messages, and of text in no message */
	size_t messages;
	struct buf held; /* --budget: the lines, as read */
};

/*
 * --decode: turns a record's "ids" into its "content"; a record without
 * them passes unchanged.  Returns -1 (reported) for a bad id.
 */
static int
decode_record(struct records *r, cJSON *rec)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(rec, "ids"), *v;

	if (a == NULL)
		return 0;
	if (!cJSON_IsArray(a)) {
		jsonl_error(&r->in, "'ids' is not an array");
		return -1;
	}
	r->ids.n = 0;
	cJSON_ArrayForEach(v, a) {
		if (!cJSON_IsNumber(v) || v->valuedouble < 0 ||
		    v->valuedouble > UINT32_MAX ||
		    v->valuedouble != (double)(uint32_t)v->valuedouble) {
			jsonl_error(
			    &r->in, "'ids' holds something not a token id");
			return -1;
		}
		bpe_ids_push(&r->ids, (uint32_t)v->valuedouble);
	}
	buf_reset(&r->out);
	if (decode_ids(r->ids.v, r->ids.n, &r->out, &r->in) < 0)
		return -1;
	buf_reset(&r->text);
	utf8_sanitize(r->out.s, r->out.len, &r->text);
	msg_set_string(rec, "content", r->text.s);
	return 0;
}

/*
 * Cuts text to its first room tokens, at a whole character; returns the
 * tokens it keeps and leaves the text in r->out.
 */
static size_t
truncate_text(struct records *r, const char *text, size_t room)
{
	size_t n;

	r->ids.n = 0;
	n = bpe_encode(counter.enc, text, strlen(text), counter.flags, &r->ids);
	buf_reset(&r->out);
	if (n <= room) {
		buf_addstr(&r->out, text);
		return n;
	}
	decode_ids(r->ids.v, room, &r->out, NULL);
	r->out.len = whole_chars(r->out.s, r->out.len);
	r->out.s[r->out.len] = '\0';
	return room;
}

/*
 * --truncate on an array of parts: the text parts are cut in order to
 * the room left, text parts past it dropped, other parts (images) kept.
 */
static void
truncate_parts(struct records *r, cJSON *parts)
{
	cJSON *part, *next;
	size_t room = limit;

	for (part = parts->child; part != NULL; part = next) {
		next = part->next;
		if (!msg_text_part(part))
			continue;
		if (room == 0) {
			cJSON_Delete(cJSON_DetachItemViaPointer(parts, part));
			continue;
		}
		room -= truncate_text(r, msg_str(part, "text"), room);
		msg_set_string(part, "text", r->out.s);
	}
}

/* --truncate: returns 1 if the content was cut, 0 if it fit. */
static int
truncate_record(struct records *r, cJSON *rec, size_t tokens)
{
	cJSON *content = cJSON_GetObjectItemCaseSensitive(rec, "content");

	if (tokens <= limit)
		return 0;
	if (cJSON_IsArray(content)) {
		truncate_parts(r, content);
	} else {
		truncate_text(r, content->valuestring, limit);
		msg_set_string(rec, "content", r->out.s);
	}
	return 1;
}

/*
 * --total and --budget: a conversation's message is counted now, what
 * the system prompt holds kept for the end; a record that is neither
 * (no role, no type) counts its content.  Returns -1 (reported) for a
 * record that llm-ask would refuse.
 */
static int
add_to_total(struct records *r, cJSON **rec)
{
	const char *role = msg_str(*rec, "role"), *why;

	if (role == NULL &&
	    cJSON_GetObjectItemCaseSensitive(*rec, "type") == NULL) {
		r->cost.units +=
		    counter_units(&counter, r->text.s, r->text.len);
		return 0;
	}
	if ((why = record_check(*rec)) != NULL) {
		jsonl_error(&r->in, "%s", why);
		return -1;
	}
	if (record_type(*rec) == REC_MESSAGE && !record_role_system(role)) {
		budget_add_message(&counter, *rec, &r->cost);
		r->messages++;
		return 0;
	}
	context_add(&r->ctx, *rec);
	*rec = NULL; /* the context has it */
	return 0;
}

/* The request's tokens: its messages, and a system prompt if any. */
static size_t
total_tokens(struct records *r, size_t *messages)
{
	struct buf system = BUF_INIT;
	struct cost cost = r->cost, more;

	context_system(&r->ctx, NULL, NULL, &system);
	*messages = r->messages + (system.len > 0);
	if (r->messages > 0) {
		more = budget_system(&counter, system.s, system.len);
		cost.units += more.units;
		cost.overhead += more.overhead;
	} else {
		/* No request without a message: the text alone. */
		cost.units += counter_units(&counter, system.s, system.len);
	}
	buf_release(&system);
	return budget_tokens(&counter, &cost);
}

/*
 * Does the work of the mode on one record; -1 if it was reported bad.
 * --total and --budget may take the record over (*rec set to NULL).
 */
static int
process_record(struct records *r, cJSON **recp)
{
	cJSON *rec = *recp;
	const char *why = NULL;
	size_t n;
	int has, truncated = 0;

	if (mode == DECODE)
		return decode_record(r, rec);
	buf_reset(&r->text);
	if ((has = msg_content(rec, &r->text, &why)) < 0) {
		jsonl_error(&r->in, "%s", why);
		return -1;
	}
	if (mode == TOTAL || mode == BUDGET)
		return add_to_total(r, recp);
	if (has == 0)
		return 0;
	r->ids.n = 0;
	if (mode == ENCODE)
		n = bpe_encode(counter.enc, r->text.s, r->text.len,
		    counter.flags, &r->ids);
	else
		n = counter_count(&counter, r->text.s, r->text.len);
	if (mode == TRUNCATE && (truncated = truncate_record(r, rec, n))) {
		buf_reset(&r->text);
		msg_content(rec, &r->text, &why);
		n = counter_count(&counter, r->text.s, r->text.len);
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

/*
 * Ends --total and --budget.  Neither prints a total that a bad line has
 * made wrong: a count that looks complete must be.
 */
static int
finish_total(struct records *r, int status)
{
	size_t messages, total = total_tokens(r, &messages);

	if (status != 0) {
		warnx("bad input: %s",
		    mode == TOTAL ? "no total" : "nothing passed through");
	} else if (mode == TOTAL) {
		printf("{\"tokens\":%zu,\"messages\":%zu%s}\n", total, messages,
		    counter_exact(&counter) ? "" : ",\"exact\":false");
	} else if (total > limit) {
		report_over(total);
		status = EXIT_OVER_BUDGET;
	} else {
		write_bytes(r->held.s, r->held.len);
	}
	return status;
}

static int
run_records(void)
{
	struct records r;
	cJSON *rec;
	int rv, status = 0;

	memset(&r, 0, sizeof(r));
	buf_reset(&r.text);
	buf_reset(&r.out);
	buf_reset(&r.held);
	context_init(&r.ctx);
	jsonl_init_inputs(&r.in, &inputs);
	while ((rv = jsonl_read(&r.in, &rec)) != 0) {
		if (rv < 0 || process_record(&r, &rec) < 0) {
			status = 1;
		} else if (mode == BUDGET) {
			buf_add(&r.held, r.in.line.s, r.in.line.len);
			buf_add(&r.held, "\n", 1);
		} else if (mode != TOTAL && jsonl_write(stdout, rec) < 0) {
			err(1, "write error");
		}
		cJSON_Delete(rec);
	}
	if (inputs.failed)
		status = 1;
	if (mode == TOTAL || mode == BUDGET)
		status = finish_total(&r, status);
	context_release(&r.ctx);
	buf_release(&r.held);
	bpe_ids_release(&r.ids);
	buf_release(&r.out);
	buf_release(&r.text);
	jsonl_release(&r.in);
	return status;
}

/* The CPUs this process may run on, for -T 0. */
static long
cpus_available(void)
{
	cpu_set_t set;
	int n;

	if (sched_getaffinity(0, sizeof(set), &set) != 0 ||
	    (n = CPU_COUNT(&set)) < 1)
		return 1;
	return n < MAX_THREADS ? n : MAX_THREADS;
}

/*
 * Picks the model (-m, else the default) and the counter: -e, else the
 * model's.  Exits with a usage error for an unknown name.
 */
static void
setup_counter(const char *encoding, const char *model_name, int flags)
{
	if ((model = model_find(model_name ? model_name : MODEL_DEFAULT)) ==
	    NULL) {
		warnx("unknown model '%s'", model_name);
		usage();
	}
	if (encoding != NULL && counter_for_encoding(&counter, encoding) < 0) {
		warnx("unknown encoding '%s' (cl100k_base, o200k_base)",
		    encoding);
		usage();
	}
	if (encoding == NULL && counter_for_model(&counter, model) < 0)
		errx(1, "model '%s' has no counter", model->name);
	counter.flags = flags;
}

static void
check_mode(void)
{
	if ((mode == ENCODE || mode == DECODE || mode == TRUNCATE) &&
	    !counter_exact(&counter)) {
		warnx(
		    "--encode, --decode and --truncate need an exact encoding; '%s' is counted by estimate",
		    model->name);
		usage();
	}
	if (mode == BUDGET)
		limit = strcmp(budget_arg, "auto") == 0
		    ? (size_t)model->budget
		    : (size_t)option_number(
			  "--budget", budget_arg, 0, LONG_MAX);
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
	    {"threads", required_argument, NULL, 'T'},
	    {"total", no_argument, NULL, OPT_TOTAL},
	    {"truncate", required_argument, NULL, OPT_TRUNCATE},
	    {"version", no_argument, NULL, OPT_VERSION},
	    {NULL, 0, NULL, 0},
	};
	const char *encoding = NULL, *model_name = NULL;
	int ch, flags = 0, status;

	while (
	    (ch = getopt_long(argc, argv, "e:hm:tT:", longopts, NULL)) != -1) {
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
		case 'T':
			threads = option_number("-T", optarg, 0, MAX_THREADS);
			break;
		case OPT_ALLOW_SPECIAL:
			flags |= BPE_SPECIAL;
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
			limit = (size_t)option_number(
			    "--truncate", optarg, 0, LONG_MAX);
			break;
		case OPT_VERSION:
			printf("llm-count %s\n", LLMPIPE_VERSION);
			exit_flushed(0);
			break;
		default:
			usage();
		}
	}
	if (threads == 0)
		threads = cpus_available();
	if (models_load(&cfg) != 0)
		exit(1);
	setup_counter(encoding, model_name, flags);
	check_mode();
	inputs_init(&inputs, argv + optind, argc - optind);
	if (text_input)
		status = mode == DECODE ? run_decode_text() : run_text();
	else
		status = run_records();
	inputs_release(&inputs);
	models_release();
	config_release(&cfg);
	exit_flushed(status);
}
