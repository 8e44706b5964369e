/* jsonl: the JSON-lines reader and writer every program uses. */
#include <err.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonl.h"

#define READ_SIZE 65536

void
jsonl_init(struct jsonl *r, FILE *fp)
{
	memset(r, 0, sizeof(*r));
	buf_reset(&r->line);
	r->fp = fp;
	r->max_line = JSONL_MAX_LINE;
	r->in = xmalloc(READ_SIZE);
}

void
jsonl_init_inputs(struct jsonl *r, struct inputs *in)
{
	jsonl_init(r, inputs_next(in));
	r->inputs = in;
	r->name = in->name;
	r->eof = r->fp == NULL;
}

/* At the end of an input, goes on to the next; 0 when there is none. */
static int
next_input(struct jsonl *r)
{
	if (r->inputs == NULL || (r->fp = inputs_next(r->inputs)) == NULL)
		return 0;
	r->name = r->inputs->name;
	r->lineno = 0;
	r->eof = 0;
	return 1;
}

void
jsonl_release(struct jsonl *r)
{
	if (r == NULL)
		return;
	buf_release(&r->line);
	free(r->in);
	r->in = NULL;
}

void
jsonl_error(const struct jsonl *r, const char *fmt, ...)
{
	va_list ap;

	if (r->name != NULL)
		fprintf(stderr,
		    "%s: %s: line %lu: ", program_invocation_short_name,
		    r->name, r->lineno);
	else
		fprintf(stderr, "%s: line %lu: ", program_invocation_short_name,
		    r->lineno);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Reads one line into r->line, without its "\n".  Returns 1 for a line,
 * 0 at the end of input, -1 for a line over the limit (consumed whole).
 */
static int
read_line(struct jsonl *r)
{
	char *nl;
	size_t n;
	int too_long = 0, any = 0;

	buf_reset(&r->line);
	for (;;) {
		if (r->in_pos == r->in_len) {
			/* A file's last line ends with the file. */
			if (r->eof && (any || !next_input(r)))
				break;
			r->in_len = fread(r->in, 1, READ_SIZE, r->fp);
			r->in_pos = 0;
			if (r->in_len == 0) {
				if (ferror(r->fp))
					err(1, "%s",
					    r->name != NULL ? r->name
							    : "stdin");
				r->eof = 1;
				continue;
			}
		}
		any = 1;
		nl = memchr(r->in + r->in_pos, '\n', r->in_len - r->in_pos);
		n = (nl ? (size_t)(nl - r->in) : r->in_len) - r->in_pos;
		if (!too_long && r->line.len + n > r->max_line) {
			too_long = 1;
			buf_release(&r->line);
		}
		if (!too_long)
			buf_add(&r->line, r->in + r->in_pos, n);
		r->in_pos += n;
		if (nl != NULL) {
			r->in_pos++;
			break;
		}
	}
	if (!any)
		return 0;
	r->lineno++;
	if (too_long) {
		jsonl_error(r, "line too long (over %zu bytes)", r->max_line);
		return -1;
	}
	if (r->line.len > 0 && r->line.s[r->line.len - 1] == '\r')
		r->line.s[--r->line.len] = '\0';
	return 1;
}

static int
is_blank(const char *s, size_t n)
{
	while (n > 0 && (*s == ' ' || *s == '\t' || *s == '\r'))
		s++, n--;
	return n == 0;
}

/* Removes a byte order mark, which some editors write, from a line. */
static void
skip_bom(struct buf *line)
{
	if (line->len >= 3 && memcmp(line->s, "\xef\xbb\xbf", 3) == 0) {
		memmove(line->s, line->s + 3, line->len - 2);
		line->len -= 3;
	}
}

int
jsonl_read(struct jsonl *r, cJSON **rec)
{
	struct json_error e;
	int rv;

	*rec = NULL;
	while ((rv = read_line(r)) == 1) {
		skip_bom(&r->line);
		if (!is_blank(r->line.s, r->line.len))
			break;
	}
	if (rv <= 0)
		return rv;
	if ((*rec = json_parse(r->line.s, r->line.len, &e)) == NULL) {
		jsonl_report(r, &e);
		return -1;
	}
	if (!cJSON_IsObject(*rec)) {
		jsonl_error(r, "not a JSON object");
		cJSON_Delete(*rec);
		*rec = NULL;
		return -1;
	}
	return 1;
}

void
jsonl_report(const struct jsonl *r, const struct json_error *e)
{
	switch (e->fault) {
	case JSON_UTF8:
	case JSON_NUL:
		jsonl_error(r, "%s at column %zu", e->what, e->offset + 1);
		break;
	default:
		jsonl_error(r, "invalid JSON: %s at column %zu", e->what,
		    e->offset + 1);
		break;
	}
}

int
jsonl_write(FILE *fp, const cJSON *rec)
{
	struct buf out = BUF_INIT;
	int rv = 0;

	json_print(&out, rec);
	buf_add(&out, "\n", 1);
	if (fwrite(out.s, 1, out.len, fp) != out.len)
		rv = -1;
	buf_release(&out);
	return rv;
}
