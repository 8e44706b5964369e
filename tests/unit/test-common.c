/* test-common: direct tests of the shared library's tricky units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tok/bpe.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "net/sse.h"
#include "core/utf8.h"
#include "core/util.h"

static int passed, failed;

static void
expect_str(const char *what, const char *got, size_t got_len, const char *want,
    size_t want_len)
{
	if (got_len == want_len && memcmp(got, want, want_len) == 0) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: got '%.*s' (%zu bytes), want '%.*s' (%zu bytes)\n",
	    what, (int)got_len, got, got_len, (int)want_len, want, want_len);
}

static void
expect_num(const char *what, long got, long want)
{
	if (got == want) {
		passed++;
		return;
	}
	failed++;
	printf("FAIL %s: got %ld, want %ld\n", what, got, want);
}

#define FFFD "\xef\xbf\xbd"

/* One U+FFFD per maximal subpart, as Unicode 3.9 Table 3-8 shows. */
static void
test_utf8(void)
{
	static const struct {
		const char *in, *out;
	} cases[] = {
	    {"caf\xc3\xa9", "caf\xc3\xa9"},
	    {"a\xc3", "a" FFFD},
	    {"\xe0\x80\xaf", FFFD FFFD FFFD},
	    {"\xed\xa0\x80", FFFD FFFD FFFD},
	    {"\xf0\x9f\x98", FFFD},
	    {"\xf0\x9f\x98z", FFFD "z"},
	    {"\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD},
	    {"\xc0\xaf", FFFD FFFD},
	    {"\x80\xbf", FFFD FFFD},
	    {"\xff\xfe", FFFD FFFD},
	    {"\xe1\x80\xe2\xf0\x91\x92\xf1\xbf\x41", FFFD FFFD FFFD FFFD "A"},
	};
	struct buf out = BUF_INIT;
	size_t i, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		buf_reset(&out);
		len = strlen(cases[i].in);
		utf8_sanitize(cases[i].in, len, &out);
		expect_str("utf8_sanitize", out.s, out.len, cases[i].out,
		    strlen(cases[i].out));
	}
	expect_num("utf8_valid_prefix",
	    (long)utf8_valid_prefix("ab\xc3\xa9\xff", 5), 4);
	buf_release(&out);
}

static void
test_split_point(void)
{
	static const struct {
		const char *text;
		long at;
	} cases[] = {
	    {"hello world", 5},
	    {"hello", 0},
	    {"one two three", 7},
	    {"x1\n", 2},
	    {"!!! ", 0},
	    {"\xe4\xb8\xad ", 0},
	    {"a  ", 1},
	    {"a.\nB", 3},
	    {"a.\n/x", 0},
	    {"\n\n x", 0},
	    {"x\n\t(", 1},
	    {".\n\xe6\x88\x91", 2},
	    {".\n\xe3\x80\x80x", 0},
	    {".\n\xc2\x85x", 0},
	    {".\n\xe6\x88", 0},
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		expect_num(cases[i].text,
		    (long)bpe_split_point(cases[i].text, strlen(cases[i].text)),
		    cases[i].at);
}

static void
test_special(void)
{
	const struct bpe *o200k = bpe_find("o200k_base");
	struct bpe_ids ids = {NULL, 0, 0};
	const char *text = "a<|endoftext|>b<|endofprompt|><|nope|>";
	const char *tok;
	size_t len;

	expect_num("ordinary",
	    (long)bpe_encode(o200k, text, strlen(text), 0, NULL), 21);
	expect_num("special",
	    (long)bpe_encode(o200k, text, strlen(text), BPE_SPECIAL, &ids), 10);
	if (ids.n == 10) {
		expect_num("special id", ids.v[1], 199999);
		expect_num("special id", ids.v[3], 200018);
	}
	tok = bpe_token(o200k, 200018, &len);
	expect_str("special text", tok, len, "<|endofprompt|>", 15);
	expect_num("no such id", bpe_token(o200k, 199998, &len) == NULL, 1);
	expect_num("unknown encoding", bpe_find("p50k_base") == NULL, 1);
	bpe_ids_release(&ids);
}

static void
test_models(void)
{
	static const struct {
		const char *name, *want;
	} cases[] = {
	    {"gpt-4o", "gpt-4o"},
	    {"gpt-4o-2024-08-06", "gpt-4o"},
	    {"gpt-4o-mini-2024-07-18", "gpt-4o-mini"},
	    {"gpt-4-0613", "gpt-4"},
	    {"gpt-4-turbo-2024-04-09", "gpt-4-turbo"},
	    {"o1-mini", "o1"},
	    {"claude-3-5-haiku-latest", "claude"},
	    {"claude-sonnet-4-5", "claude-sonnet"},
	    {"deepseek-coder", "deepseek-coder"},
	    {"gpt-40", NULL},
	    {"nope", NULL},
	};
	const struct model *m;
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		m = model_find(cases[i].name);
		if (cases[i].want == NULL)
			expect_num(cases[i].name, m == NULL, 1);
		else
			expect_str(cases[i].name, m ? m->name : "(none)",
			    strlen(m ? m->name : "(none)"), cases[i].want,
			    strlen(cases[i].want));
	}
}

/* The reader with a 16-byte limit, through a memory stream. */
static void
test_reader(void)
{
	static char input[] = "{\"a\":1}\r\n\n  \n"
			      "{\"content\":\"a very long line\"}\n"
			      "{\"b\":[1,2]}\n"
			      "{\"c\":2}";
	struct jsonl r;
	cJSON *rec;
	FILE *fp = fmemopen(input, sizeof(input) - 1, "r");
	long got[8], n = 0;
	int rv;

	if (fp == NULL) {
		expect_num("fmemopen", 0, 1);
		return;
	}
	jsonl_init(&r, fp);
	r.max_line = 16;
	while ((rv = jsonl_read(&r, &rec)) != 0 && n < 8) {
		got[n++] = rv > 0 ? (long)r.lineno : -(long)r.lineno;
		cJSON_Delete(rec);
	}
	expect_num("records and errors", n, 4);
	expect_num("line 1", got[0], 1);
	expect_num("line 4 too long", got[1], -4);
	expect_num("line 5", got[2], 5);
	expect_num("line 6, no newline", got[3], 6);
	jsonl_release(&r);
	fclose(fp);
}

/* buf_read appends a whole stream, longer than its read size, or none. */
static void
test_buf_read(void)
{
	static char input[200001];
	struct buf b = BUF_INIT;
	FILE *fp;
	size_t i;

	for (i = 0; i < sizeof(input) - 1; i++)
		input[i] = (char)('a' + i % 26);
	if ((fp = fmemopen(input, sizeof(input) - 1, "r")) == NULL) {
		expect_num("fmemopen", 0, 1);
		return;
	}
	buf_addstr(&b, ">");
	expect_num("buf_read", buf_read(&b, fp), 0);
	expect_num("length", (long)b.len, (long)sizeof(input));
	expect_num("appended", memcmp(b.s + 1, input, sizeof(input) - 1), 0);
	expect_num("again, at the end", buf_read(&b, fp), 0);
	expect_num("nothing more", (long)b.len, (long)sizeof(input));
	fclose(fp);
	buf_release(&b);
}

static void
test_content(void)
{
	cJSON *rec = cJSON_Parse(
	    "{\"content\":[{\"type\":\"text\",\"text\":\"a\"},"
	    "{\"type\":\"image_url\"},{\"type\":\"text\",\"text\":\"b\"}]}");
	struct buf text = BUF_INIT;
	const char *why = NULL;

	expect_num("parts", msg_content(rec, &text, &why), 1);
	expect_str("parts text", text.s, text.len, "ab", 2);
	msg_set_number(rec, "tokens", 2);
	msg_set_number(rec, "tokens", 3);
	expect_num("replaced in place", cJSON_GetArraySize(rec), 2);
	cJSON_Delete(rec);
	buf_release(&text);
}

static int
sse_record(void *arg, const char *event, const char *data, size_t len)
{
	struct buf *log = arg;

	buf_printf(log, "[%s|%.*s]", event, (int)len, data);
	return 0;
}

/* Each stream, cut at every byte into two reads, gives the same events. */
static void
test_sse(void)
{
	static const struct {
		const char *stream, *events;
	} cases[] = {
	    {"data: a\n\n", "[message|a]"},
	    {"data:a\r\n\r\ndata:  b\r\rdata: c\n\n",
		"[message|a][message| b][message|c]"},
	    {"event: ping\ndata: {}\n\nevent: x\n\n", "[ping|{}]"},
	    {": keep-alive\n\ndata: 1\ndata: 2\n\n", "[message|1\n2]"},
	    {"\xef\xbb\xbf"
	     "data: bom\n\n",
		"[message|bom]"},
	    {"data\n\ndata:\n\n", "[message|][message|]"},
	    {"id: 7\nretry: 5\nfoo: bar\ndata: x\n\n", "[message|x]"},
	    {"data: cut\n", ""},
	    {"data: \xe4\xb8\x96\xe7\x95\x8c\n\n",
		"[message|\xe4\xb8\x96\xe7\x95\x8c]"},
	};
	struct buf log = BUF_INIT;
	struct sse s;
	size_t i, cut, len;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].stream);
		for (cut = 0; cut <= len; cut++) {
			buf_reset(&log);
			sse_init(&s, sse_record, &log);
			sse_feed(&s, cases[i].stream, cut);
			sse_feed(&s, cases[i].stream + cut, len - cut);
			sse_release(&s);
			expect_str(cases[i].stream, log.s, log.len,
			    cases[i].events, strlen(cases[i].events));
		}
	}
	buf_release(&log);
}

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

int
main(void)
{
	test_utf8();
	test_split_point();
	test_special();
	test_models();
	test_reader();
	test_buf_read();
	test_content();
	test_sse();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
