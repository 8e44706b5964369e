/* jsonl: the JSON-lines reader and writer every program uses. */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jsonl.h"
#include "core/utf8.h"

#define READ_SIZE 65536

void
jsonl_init(struct jsonl *r, FILE *fp)
{
	memset(r, 0, sizeof(*r));
	r->fp = fp;
	r->max_line = JSONL_MAX_LINE;
	r->in = xmalloc(READ_SIZE);
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

	fprintf(
	    stderr, "%s: line %lu: ", program_invocation_short_name, r->lineno);
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
			if (r->eof)
				break;
			r->in_len = fread(r->in, 1, READ_SIZE, r->fp);
			r->in_pos = 0;
			if (r->in_len == 0) {
				if (ferror(r->fp))
					err(1, "read error");
				r->eof = 1;
				break;
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

/*
 * Returns 1 if item holds a number too large for a double, which cJSON
 * would otherwise turn into null without a word.
 */
static int
has_infinity(const cJSON *item)
{
	const cJSON *c;

	if (cJSON_IsNumber(item))
		return !isfinite(item->valuedouble);
	for (c = item->child; c != NULL; c = c->next)
		if (has_infinity(c))
			return 1;
	return 0;
}

/*
 * cJSON keeps strings NUL-terminated, so a NUL in the input, raw or as
 * \u0000, would silently cut a string short.  Returns the offset of the
 * first such NUL, or -1.
 */
static long
find_nul(const char *s, size_t n)
{
	const char *p = memchr(s, '\0', n), *q = s;
	size_t bs;

	if (p != NULL)
		return p - s;
	while ((q = memmem(q, n - (size_t)(q - s), "\\u0000", 6)) != NULL) {
		/* An escape only if preceded by an even run of backslashes. */
		for (bs = 0; q - bs > s && q[-1 - (long)bs] == '\\'; bs++)
			;
		if (bs % 2 == 0)
			return q - s;
		q++;
	}
	return -1;
}

int
jsonl_read(struct jsonl *r, cJSON **rec)
{
	const char *end = NULL;
	size_t ok;
	long nul;
	int rv;

	*rec = NULL;
	while ((rv = read_line(r)) == 1) {
		skip_bom(&r->line);
		if (!is_blank(r->line.s, r->line.len))
			break;
	}
	if (rv <= 0)
		return rv;
	if ((ok = utf8_valid_prefix(r->line.s, r->line.len)) != r->line.len) {
		jsonl_error(r, "invalid UTF-8 at column %zu", ok + 1);
		return -1;
	}
	if ((nul = find_nul(r->line.s, r->line.len)) >= 0) {
		jsonl_error(
		    r, "unsupported NUL character at column %ld", nul + 1);
		return -1;
	}
	*rec = cJSON_ParseWithLengthOpts(r->line.s, r->line.len, &end, 0);
	if (*rec == NULL) {
		end = cJSON_GetErrorPtr();
		jsonl_error(r, "invalid JSON: syntax error at column %ld",
		    end ? (long)(end - r->line.s) + 1 : 1L);
		return -1;
	}
	end += strspn(end, " \t\r");
	if (end != r->line.s + r->line.len) {
		jsonl_error(r, "invalid JSON: unexpected text at column %ld",
		    (long)(end - r->line.s) + 1);
		cJSON_Delete(*rec);
		*rec = NULL;
		return -1;
	}
	if (!cJSON_IsObject(*rec) || has_infinity(*rec)) {
		jsonl_error(r,
		    cJSON_IsObject(*rec) ? "number out of range"
					 : "not a JSON object");
		cJSON_Delete(*rec);
		*rec = NULL;
		return -1;
	}
	return 1;
}

int
jsonl_write(FILE *fp, const cJSON *rec)
{
	char *s;
	int rv = 0;

	if ((s = cJSON_PrintUnformatted(rec)) == NULL)
		errx(1, "out of memory");
	if (fputs(s, fp) == EOF || putc('\n', fp) == EOF)
		rv = -1;
	cJSON_free(s);
	return rv;
}
