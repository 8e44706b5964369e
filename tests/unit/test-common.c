/* test-common: direct tests of the shared library's tricky units. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/context.h"
#include "core/json.h"
#include "core/jsonl.h"
#include "core/models.h"
#include "core/msg.h"
#include "core/record.h"
#include "core/utf8.h"
#include "core/util.h"
#include "net/child.h"
#include "net/sse.h"
#include "tok/bpe.h"
#include "tok/budget.h"
#include "tok/chunk.h"

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

/*
 * utf8_valid_prefix, which checks text 32 bytes at a time until it
 * must find where it breaks: each way UTF-8 breaks, and valid characters
 * of each length, at every place in those blocks, after ASCII and after
 * characters of two and three bytes, at the end of the text and inside.
 */
static void
test_utf8_blocks(void)
{
	static const struct {
		const char *seq;
		long bad_at; /* where in seq the valid prefix ends; -1: valid */
	} cases[] = {{"\xc2\x80", -1}, {"\xdf\xbf", -1}, {"\xe0\xa0\x80", -1},
	    {"\xed\x9f\xbf", -1}, {"\xef\xbf\xbf", -1},
	    {"\xf0\x90\x80\x80", -1}, {"\xf1\x80\x80\x80", -1},
	    {"\xf4\x8f\xbf\xbf", -1}, {"\xc0\x80", 0}, {"\xc1\xbf", 0},
	    {"\xe0\x9f\xbf", 0}, {"\xed\xa0\x80", 0}, {"\xf0\x8f\xbf\xbf", 0},
	    {"\xf4\x90\x80\x80", 0}, {"\xf5\x80\x80\x80", 0}, {"\xff", 0},
	    {"\x80", 0}, {"\xc2", 0}, {"\xe1\x80", 0}, {"\xf1\x80\x80", 0},
	    {"\xc2\x80\x80", 2}, {"\xe1\xc2\x80", 0}};
	static const char *fillers[] = {"a", "\xd0\xb4", "\xe4\xb8\xad"};
	struct buf text = BUF_INIT, name = BUF_INIT;
	size_t i, f, j, k, before, wrong;
	const char *c;
	long want;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		wrong = 0;
		for (f = 0; f < 3; f++) {
			for (j = 0; j < 70; j++) {
				buf_reset(&text);
				for (k = 0; k < j; k++)
					buf_addstr(&text, fillers[f]);
				before = text.len;
				buf_addstr(&text, cases[i].seq);
				for (k = 0; k < 2; k++) {
					want = cases[i].bad_at < 0
					    ? (long)text.len
					    : (long)before + cases[i].bad_at;
					if ((long)utf8_valid_prefix(
						text.s, text.len) != want)
						wrong++;
					while (text.len < 100 + j)
						buf_addstr(&text, fillers[f]);
				}
			}
		}
		buf_reset(&name);
		buf_addstr(&name, "utf8_valid_prefix");
		for (c = cases[i].seq; *c != '\0'; c++)
			buf_printf(&name, " %02x", (unsigned char)*c);
		expect_num(name.s, (long)wrong, 0);
	}
	buf_release(&name);
	buf_release(&text);
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

/* Whether ids spell text: the encoding loses nothing. */
static int
spells(const struct bpe *enc, const struct bpe_ids *ids, const char *text)
{
	const char *tok;
	size_t i, len, at = 0;

	for (i = 0; i < ids->n; i++) {
		if ((tok = bpe_token(enc, ids->v[i], &len)) == NULL ||
		    strncmp(text + at, tok, len) != 0)
			return 0;
		at += len;
	}
	return text[at] == '\0';
}

/*
 * Pieces that were only counted are cached without their ids: an
 * encoding of the same text afterwards must merge them again, and give
 * what it gives when it comes first.  The text has words that must be
 * merged, short ones and Cyrillic ones of more than ten tokens.
 */
static void
test_count_then_encode(void)
{
	const struct bpe *cl100k = bpe_find("cl100k_base");
	const char *text =
	    "P\xc5\x99\xc3\xadli\xc5\xa1 \xc5\xbelu\xc5\xa5ou\xc4\x8dk\xc3\xbd "
	    "k\xc5\xaf\xc5\x88 \xd0\x90\xd1\x83\xd0\xb0\xd2\xa9\xd1\x8b\xd1\x82"
	    "\xd3\x99\xd1\x8b\xd2\xa9\xd1\x81\xd0\xb0 \xd0\x97\xd0\xb5\xd0\xb3"
	    "\xd1\x8c\xd0\xb5\xd0\xb8\xd1\x86\xd1\x8b\xd1\x80\xd0\xb7\xd0\xb5"
	    "\xd0\xb8\xd2\xa7\xd1\x88\xd1\x83";
	struct bpe_ids first = {NULL, 0, 0}, again = {NULL, 0, 0};
	size_t counted;

	counted = bpe_encode(cl100k, text, strlen(text), 0, NULL);
	expect_num("encoded after counting",
	    (long)bpe_encode(cl100k, text, strlen(text), 0, &first),
	    (long)counted);
	expect_num("ids spell the text", spells(cl100k, &first, text), 1);
	expect_num("encoded again",
	    (long)bpe_encode(cl100k, text, strlen(text), 0, &again),
	    (long)counted);
	expect_num("same ids",
	    again.n == first.n &&
		memcmp(again.v, first.v, first.n * sizeof(*first.v)) == 0,
	    1);
	expect_num("counted again",
	    (long)bpe_encode(cl100k, text, strlen(text), 0, NULL),
	    (long)counted);
	bpe_ids_release(&first);
	bpe_ids_release(&again);
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

/*
 * Feeds a stream in two reads cut at byte cut, or one byte a read if cut
 * is -1; returns what sse_feed last returned, and too_long in *too_long.
 */
static int
sse_run(const char *stream, size_t len, long cut, size_t max, struct buf *log,
    int *too_long)
{
	struct sse s;
	size_t i;
	int rc = 0;

	buf_reset(log);
	sse_init(&s, sse_record, log);
	if (max > 0)
		s.max = max;
	if (cut < 0) {
		for (i = 0; i < len && rc == 0; i++)
			rc = sse_feed(&s, stream + i, 1);
	} else {
		rc = sse_feed(&s, stream, (size_t)cut);
		if (rc == 0)
			rc = sse_feed(&s, stream + cut, len - cut);
	}
	*too_long = s.too_long;
	sse_release(&s);
	return rc;
}

/*
 * Each stream, cut at every byte into two reads and fed a byte at a
 * time, gives the same events.  A CR then an LF is one line end, so
 * multi-line data after CRLF stays one event of one type.
 */
static void
test_sse(void)
{
	static const struct {
		const char *stream, *events;
	} cases[] = {
	    {"data: a\n\n", "[message|a]"},
	    {"data:a\r\n\r\ndata:  b\r\rdata: c\n\n",
		"[message|a][message| b][message|c]"},
	    {"event: x\r\ndata: a\r\ndata: b\r\n\r\n", "[x|a\nb]"},
	    {"event: x\rdata: a\rdata: b\r\r", "[x|a\nb]"},
	    {"data: a\r\ndata: b\n\rdata: c\r\n\r\n",
		"[message|a\nb][message|c]"},
	    {"data: a\r\n\r\n\r\n\r\nevent: y\r\ndata: b\r\n\r\n",
		"[message|a][y|b]"},
	    {": c\r\nevent: x\r\n: c\r\ndata: a\r\n: c\r\ndata: b\r\n\r\n",
		"[x|a\nb]"},
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
	size_t i, len;
	long cut;
	int too_long;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].stream);
		for (cut = -1; cut <= (long)len; cut++) {
			sse_run(cases[i].stream, len, cut, 0, &log, &too_long);
			expect_str(cases[i].stream, log.s, log.len,
			    cases[i].events, strlen(cases[i].events));
		}
	}
	buf_release(&log);
}

/*
 * The cap, max bytes, on a line and on an event's data (its lines, each
 * with a "\n"), however the stream is cut: what comes before is
 * delivered, then sse_feed returns -1 with too_long set.
 */
static void
test_sse_max(void)
{
	static const struct {
		const char *stream, *events;
		int rc;
	} cases[] = {
	    /* A line of 16 bytes is taken, one of 17 is not. */
	    {"data: 0123456789\n\n", "[message|0123456789]", 0},
	    {"data: a\n\ndata: 0123456789a\n\n", "[message|a]", -1},
	    {"data: 0123456789", "", 0},
	    {"data: 0123456789a", "", -1},
	    {": 34567890123456789\n", "", -1},
	    {"data: 0123456789\r\n\r\n", "[message|0123456789]", 0},
	    /* Data of 16 bytes is taken, 17 is not, blank line or none. */
	    {"data: 1234\ndata: 5678\ndata: 9abc\n\n",
		"[message|1234\n5678\n9abc]", 0},
	    {"data: 1234\ndata: 5678\ndata: 9abc\ndata: d\n\n", "", -1},
	    {"data: 123456\r\ndata: 5678\r\ndata: 9abc\r\n", "", -1},
	    {"data: 1234\n\ndata: 1234\n\ndata: 1234\n\ndata: 1234\n\n",
		"[message|1234][message|1234][message|1234][message|1234]", 0},
	};
	struct buf log = BUF_INIT;
	size_t i, len;
	long cut;
	int rc, too_long;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		len = strlen(cases[i].stream);
		for (cut = -1; cut <= (long)len; cut++) {
			rc = sse_run(
			    cases[i].stream, len, cut, 16, &log, &too_long);
			expect_str(cases[i].stream, log.s, log.len,
			    cases[i].events, strlen(cases[i].events));
			expect_num(cases[i].stream, rc, cases[i].rc);
			expect_num(cases[i].stream, too_long, rc != 0);
		}
	}
	buf_release(&log);
}

/* The parser's verdict on text: its reprint, or "fault@column: what". */
static void
expect_json(const char *text, const char *want)
{
	struct json_error e;
	struct buf got = BUF_INIT;
	cJSON *v = json_parse(text, strlen(text), &e);

	if (v != NULL)
		json_print(&got, v);
	else
		buf_printf(
		    &got, "%d@%zu: %s", (int)e.fault, e.offset + 1, e.what);
	expect_str(text, got.s, got.len, want, strlen(want));
	cJSON_Delete(v);
	buf_release(&got);
}

static void
test_json(void)
{
	struct buf deep = BUF_INIT, keys = BUF_INIT;
	int i;

	expect_json(
	    "{\"a\":[1,true,null,\"x\"]}", "{\"a\":[1,true,null,\"x\"]}");
	/* Numbers keep their digits: no 9.00719925474099e+15 or 1e+300. */
	expect_json("[9007199254740993,1e300,1.0,-0,0.1,12345678901234567890]",
	    "[9007199254740993,1e300,1.0,-0,0.1,12345678901234567890]");
	expect_json("[1E+2, 2.50e-3 ,-7]", "[1E+2,2.50e-3,-7]");
	expect_json("\"\\u00e9\\ud83d\\ude00\\n\\/\"", "\"é😀\\n/\"");
	/* cJSON reads each of these as U+0000 and cuts the string. */
	expect_json(
	    "{\"c\":\"hello \\uqqqq world\"}", "0@13: bad escape '\\uqqqq'");
	expect_json("\"\\u0G00\"", "0@2: bad escape '\\u0G00'");
	expect_json("\"\\u00zz\"", "0@2: bad escape '\\u00zz'");
	expect_json("{\"\\uzz\":1}", "0@3: bad escape '\\uzz'");
	expect_json("\"\\x\"", "0@2: bad escape '\\x'");
	expect_json("\"\\é\"", "0@2: bad escape '\\é'");
	expect_json("\"\\ud800\"", "0@2: lone surrogate '\\ud800'");
	expect_json("\"\\udc00\\ud800\"", "0@2: lone surrogate '\\udc00'");
	expect_json("\"a\\u0000b\"", "2@3: unsupported NUL character");
	expect_json("\"a\tb\"", "0@3: control character U+0009 in a string");
	expect_json("\"caf\xe9\"", "1@5: invalid UTF-8");
	expect_json("{\"a\":1,\"b\":2,\"a\":3}", "0@14: duplicate key 'a'");
	expect_json("{\"a\":{\"b\":1},\"b\":{\"b\":2,\"b\":3}}",
	    "0@25: duplicate key 'b'");
	expect_json("[1e400]", "0@2: number out of range");
	expect_json("[01]", "0@3: syntax error");
	expect_json("[1.]", "0@2: syntax error");
	expect_json("[.5]", "0@2: syntax error");
	expect_json("{\"a\":1} x", "3@9: unexpected text");
	expect_json("{\"a\":\"b", "0@6: unterminated string");
	expect_json("{\"a\"", "0@4: syntax error");
	expect_json("", "0@1: syntax error");
	/* Nesting: 1000 levels are fine, 1001 are not. */
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_addstr(&deep, "[");
	for (i = 0; i < JSON_MAX_DEPTH; i++)
		buf_addstr(&deep, "]");
	expect_json(deep.s, deep.s);
	buf_reset(&deep);
	for (i = 0; i <= JSON_MAX_DEPTH; i++)
		buf_addstr(&deep, "[");
	expect_json(deep.s, "0@1001: nested deeper than 1000 levels");
	/* A big object finds a repeated key by hashing. */
	buf_addstr(&keys, "{");
	for (i = 0; i < 500; i++)
		buf_printf(&keys, "\"k%d\":%d,", i, i);
	buf_addstr(&keys, "\"k250\":0}");
	expect_json(keys.s, "0@5282: duplicate key 'k250'");
	buf_release(&deep);
	buf_release(&keys);
}

static cJSON *
parse(const char *text)
{
	struct json_error e;

	return json_parse(text, strlen(text), &e);
}

static void
test_record(void)
{
	const char *bad[] = {"2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z",
	    "2025-02-29T00:00:00Z", "2026-01-01T24:00:00Z",
	    "2026-01-01T00:60:00Z", "2026-01-01T00:00:00",
	    "2026-01-01 00:00:00Z", "2026-01-01T00:00:00+25:00", NULL};
	char ts[RECORD_TS_SIZE], id[RECORD_ID_SIZE], id2[RECORD_ID_SIZE];
	cJSON *a, *b;
	int i;

	expect_num("leap day", record_ts_valid("2024-02-29T12:00:00.5Z"), 1);
	expect_num("offset", record_ts_valid("2026-01-01T00:00:00+05:30"), 1);
	for (i = 0; bad[i] != NULL; i++)
		expect_num(bad[i], record_ts_valid(bad[i]), 0);
	expect_num("date", record_date_valid("2026-12-31"), 1);
	expect_num("no such date", record_date_valid("2026-13-45"), 0);
	record_now(ts);
	expect_num("now is valid", record_ts_valid(ts), 1);
	expect_num("now has ms", (long)strlen(ts), 24);
	record_ulid(id);
	record_ulid(id2);
	expect_num("ulids grow", strcmp(id, id2) < 0, 1);
	/* One identity: kind and subject, else kind and content. */
	a = parse("{\"kind\":\"note\",\"content\":\"x\"}");
	b = parse("{\"kind\":\"note\",\"content\":\"x\",\"op\":\"update\"}");
	expect_num("subject-less facts", fact_same(a, b), 1);
	cJSON_Delete(b);
	b = parse("{\"kind\":\"todo\",\"content\":\"x\"}");
	expect_num("other kind", fact_same(a, b), 0);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* A context of the records given as one text of JSON lines. */
static void
load_context(struct context *c, const char *lines)
{
	struct json_error e;
	const char *nl;

	context_init(c);
	for (; *lines != '\0'; lines = nl + 1) {
		nl = strchr(lines, '\n');
		context_add(c, json_parse(lines, (size_t)(nl - lines), &e));
	}
}

static void
test_context(void)
{
	struct context c;
	struct buf sys = BUF_INIT;

	load_context(&c,
	    "{\"role\":\"system\",\"content\":\"Be terse.\"}\n"
	    "{\"type\":\"fact\",\"kind\":\"note\",\"content\":\"uses C\"}\n"
	    "{\"type\":\"fact\",\"kind\":\"decision\",\"subject\":\"db\",\"content\":\"redis\"}\n"
	    "{\"type\":\"fact\",\"kind\":\"note\",\"content\":\"uses C\",\"op\":\"update\"}\n"
	    "{\"type\":\"fact\",\"kind\":\"decision\",\"subject\":\"db\",\"op\":\"delete\"}\n"
	    "{\"type\":\"doc\",\"source\":\"a#1\",\"content\":\"low\",\"score\":0.1}\n"
	    "{\"type\":\"doc\",\"source\":\"b#1\",\"content\":\"high\",\"score\":0.9}\n"
	    "{\"type\":\"summary\",\"role\":\"system\",\"content\":\"Earlier.\"}\n"
	    "{\"role\":\"user\",\"content\":\"hi\"}\n");
	context_system(&c, "Prompt.", NULL, &sys);
	expect_str("rendered", sys.s, sys.len,
	    "Prompt.\n\nBe terse.\n\nSummary of the conversation so far:\n"
	    "Earlier.\n\nKnown facts:\n- note: uses C\n\nDocuments that may "
	    "help:\n\n[b#1]\nhigh\n\n[a#1]\nlow",
	    strlen("Prompt.\n\nBe terse.\n\nSummary of the conversation so "
		   "far:\nEarlier.\n\nKnown facts:\n- note: uses C\n\n"
		   "Documents that may help:\n\n[b#1]\nhigh\n\n[a#1]\nlow"));
	expect_num("one message", cJSON_GetArraySize(c.messages), 1);
	buf_release(&sys);
	context_release(&c);
}

static void
test_budget(void)
{
	const struct model *m = model_find("gpt-4o");
	struct budget_report rep;
	struct counter counter;
	struct context c;
	struct buf in = BUF_INIT;
	size_t limit, tokens;
	int i;

	counter_for_model(&counter, m);
	for (i = 0; i < 40; i++)
		buf_printf(&in,
		    "{\"type\":\"fact\",\"kind\":\"note\",\"subject\":\"f%d\","
		    "\"content\":\"fact number %d\"}\n",
		    i, i);
	buf_addstr(&in,
	    "{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[]}\n"
	    "{\"role\":\"tool\",\"tool_call_id\":\"1\",\"content\":\"result\"}\n");
	for (i = 0; i < 60; i++)
		buf_printf(&in,
		    "{\"role\":\"%s\",\"content\":\"message %d says hello\"}\n",
		    i % 2 ? "assistant" : "user", i);
	for (limit = 40; limit < 800; limit += 37) {
		load_context(&c, in.s);
		tokens = budget_fit(&c, &counter, NULL, NULL, limit, &rep);
		/* What fit says fits is what the whole request counts. */
		expect_num("fit agrees",
		    (long)budget_context(&counter, &c, NULL, NULL, NULL),
		    (long)tokens);
		expect_num("fits", tokens <= limit, 1);
		/* A tool result is never kept without its call. */
		expect_num("no lone tool result",
		    strcmp(msg_str(c.messages->child, "role"), "tool") != 0, 1);
		context_release(&c);
	}
	buf_release(&in);
}

static int
count_piece(void *arg, const char *s, size_t len, long first, long last)
{
	struct buf *log = arg;

	buf_printf(log, "[%ld-%ld:%zu]", first, last, len);
	(void)s;
	return 0;
}

static void
test_chunk(void)
{
	const char text[] = "one two\nthree four five\nsix\n";
	struct buf log = BUF_INIT;
	struct counter c;

	counter_for_encoding(&c, "cl100k_base");
	chunk_lines(&c, text, strlen(text), 4, count_piece, &log);
	expect_str("chunks", log.s, log.len, "[1-1:8][2-2:16][3-3:4]", 22);
	buf_reset(&log);
	chunk_lines(&c, text, strlen(text), 100, count_piece, &log);
	expect_str("one chunk", log.s, log.len, "[1-3:28]", 8);
	expect_num("cut", (long)chunk_cut(&c, "one two three", 13, 2), 7);
	expect_num("cut keeps a character", (long)chunk_cut(&c, "éé", 4, 0), 2);
	buf_release(&log);
}

/* A fake llm-ask: it reads the prompt, prints a reply, exits. */
static int
ask_fake(const char *script, cJSON **reply)
{
	cJSON *records = parse("[{\"role\":\"user\",\"content\":\"hi\"}]");
	int status = child_ask(script, NULL, records, 2, reply);

	cJSON_Delete(records);
	return status;
}

static void
test_child(void)
{
	cJSON *reply, *total = cJSON_CreateObject();
	struct buf big = BUF_INIT;
	char *s;

	expect_num("reply",
	    ask_fake(
		"cat >/dev/null; echo '{\"type\":\"delta\"}';"
		" echo '{\"role\":\"assistant\",\"content\":\"ok\",\"usage\":"
		"{\"input_tokens\":3},\"cost_usd\":0.1}'",
		&reply),
	    0);
	expect_str("its content", msg_str(reply, "content"), 2, "ok", 2);
	child_usage_add(total, reply);
	child_usage_add(total, reply);
	cJSON_Delete(reply);
	s = json_print_alloc(total);
	expect_str("usage summed", s, strlen(s),
	    "{\"usage\":{\"input_tokens\":6},\"cost_usd\":0.2}", 43);
	free(s);
	cJSON_Delete(total);
	expect_num("exit 4 passes", ask_fake("exit 4", &reply), 4);
	expect_num("exit 3 passes", ask_fake("exit 3", &reply), 3);
	expect_num("exit 7 fails", ask_fake("exit 7", &reply), 1);
	expect_num("no reply", ask_fake("cat >/dev/null", &reply), 1);
	expect_num("timeout", ask_fake("sleep 5", &reply), 5);
	/* A prompt larger than a pipe holds, to a child that answers late. */
	buf_addstr(&big, "head -c 100 >/dev/null; sleep 0.2; cat >/dev/null; ");
	buf_addstr(&big, "echo '{\"role\":\"assistant\",\"content\":\"\"}'");
	expect_num("big prompt", ask_fake(big.s, &reply), 0);
	cJSON_Delete(reply);
	buf_release(&big);
	s = child_command("my-ask -m x");
	expect_str("--ask wins", s, strlen(s), "my-ask -m x", 11);
	free(s);
}

static void
test_util(void)
{
	struct strmap m = STRMAP_INIT;
	struct buf b = BUF_INIT;
	char *s;
	long v;
	int i, *items = NULL;
	size_t n = 0, cap = 0;

	/* BUF_INIT is an empty string at once. */
	expect_str("empty", b.s, strlen(b.s), "", 0);
	s = buf_detach(&b);
	expect_str("detached", s, strlen(s), "", 0);
	free(s);
	expect_num("number", number_check("42", 0, 100, &v) == NULL, 1);
	expect_num("its value", v, 42);
	expect_str("why", number_check("many", 0, 100, &v), 37,
	    "expected a whole number from 0 to 100", 37);
	expect_num("no sign", number_check("-1", 0, 9, &v) != NULL, 1);
	expect_num("no space", number_check(" 1", 0, 9, &v) != NULL, 1);
	for (i = 0; i < 1000; i++) {
		ARRAY_GROW(items, n, cap);
		items[n++] = i;
		buf_printf(&b, "%d", i);
		strmap_put(&m, b.s, b.len, &items[0]);
		buf_reset(&b);
	}
	expect_num("grown", items[999], 999);
	expect_num("map size", (long)m.n, 1000);
	expect_num("map finds", strmap_get(&m, "999", 3) != NULL, 1);
	expect_num("map misses", strmap_get(&m, "1000", 4) == NULL, 1);
	free(items);
	strmap_release(&m);
	buf_release(&b);
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
	test_utf8_blocks();
	test_split_point();
	test_special();
	test_count_then_encode();
	test_models();
	test_reader();
	test_buf_read();
	test_content();
	test_sse();
	test_sse_max();
	test_json();
	test_record();
	test_context();
	test_budget();
	test_chunk();
	test_child();
	test_util();
	printf("%d passed, %d failed\n", passed, failed);
	return failed != 0;
}
