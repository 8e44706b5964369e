/* A libFuzzer target for the SSE parser: any bytes, split anywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"

/* A cap small enough for the fuzzer's inputs to pass it often. */
#define SMALL_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Every event, type and data, as one string to compare. */
static int
record(void *arg, const char *event, const char *data, size_t len)
{
	struct buf *log = arg;

	if (strlen(data) != len && memchr(data, '\0', len) == NULL)
		abort(); /* the length must be the data's */
	buf_addstr(log, event);
	buf_add(log, "\0", 1);
	buf_add(log, data, len);
	buf_add(log, "\0", 1);
	return 0;
}

/* The parser, fed step bytes a read (0: all at once); its last result. */
static int
parse(
    const uint8_t *data, size_t size, size_t step, size_t max, struct buf *log)
{
	struct sse s;
	size_t i, n;
	int rc = 0;

	sse_init(&s, record, log);
	s.max = max;
	for (i = 0; i < size && rc == 0; i += n) {
		n = step == 0 ? size : step;
		if (n > size - i)
			n = size - i;
		rc = sse_feed(&s, (const char *)data + i, n);
	}
	if ((rc != 0) != s.too_long)
		abort(); /* only the cap stops this parser */
	sse_release(&s);
	return rc;
}

/*
 * The standard's algorithm written plainly, over the whole stream at
 * once, as the oracle: lines end at CRLF, LF or CR; the first may open
 * with a byte order mark; a blank line hands on an event with data; a
 * line, or an event's data, over max bytes stops it with -1.
 */
static int
reference(const uint8_t *data, size_t size, size_t max, struct buf *log)
{
	const char *p = (const char *)data, *line, *colon, *value;
	struct buf type = BUF_INIT, lines = BUF_INIT;
	size_t i = 0, start, len, name_len, value_len;
	int rc = 0;

	while (i < size) {
		start = i;
		while (i < size && p[i] != '\r' && p[i] != '\n')
			i++;
		if (i - start > max) {
			rc = -1;
			break;
		}
		if (i == size)
			break; /* a last line with no end is no line */
		line = p + start;
		len = i - start;
		i += p[i] == '\r' && i + 1 < size && p[i + 1] == '\n' ? 2 : 1;
		if (start == 0 && len >= 3 &&
		    memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3;
			len -= 3;
		}
		if (len == 0) {
			if (lines.len > 0) {
				lines.s[--lines.len] = '\0';
				record(log, type.len > 0 ? type.s : "message",
				    lines.s, lines.len);
			}
			buf_reset(&type);
			buf_reset(&lines);
			continue;
		}
		if (line[0] == ':')
			continue;
		colon = memchr(line, ':', len);
		name_len = colon != NULL ? (size_t)(colon - line) : len;
		value = colon != NULL ? colon + 1 : line + len;
		if (value < line + len && *value == ' ')
			value++;
		value_len = line + len - value;
		if (name_len == 5 && memcmp(line, "event", 5) == 0) {
			buf_reset(&type);
			buf_add(&type, value, value_len);
		} else if (name_len == 4 && memcmp(line, "data", 4) == 0) {
			if (lines.len + value_len + 1 > max) {
				rc = -1;
				break;
			}
			buf_add(&lines, value, value_len);
			buf_add(&lines, "\n", 1);
		}
	}
	buf_release(&type);
	buf_release(&lines);
	return rc;
}

/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

static int
same(const struct buf *a, const struct buf *b)
{
	return a->len == b->len && memcmp(a->s, b->s, a->len) == 0;
}

/*
 * The events must not depend on how the stream was cut into reads (the
 * whole input at once, a byte at a time and three at a time agree), and
 * they must be the oracle's, with no cap in reach and with a small one.
 */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = {SSE_MAX_LINE, SMALL_MAX};
	struct buf whole = BUF_INIT, bytes = BUF_INIT, threes = BUF_INIT,
		   oracle = BUF_INIT;
	size_t i;
	int rc;

	for (i = 0; i < sizeof(maxes) / sizeof(maxes[0]); i++) {
		buf_reset(&whole);
		buf_reset(&bytes);
		buf_reset(&threes);
		buf_reset(&oracle);
		rc = parse(data, size, 0, maxes[i], &whole);
		if (parse(data, size, 1, maxes[i], &bytes) != rc ||
		    parse(data, size, 3, maxes[i], &threes) != rc ||
		    reference(data, size, maxes[i], &oracle) != rc)
			abort();
		if (!same(&whole, &bytes) || !same(&whole, &threes) ||
		    !same(&whole, &oracle))
			abort();
	}
	buf_release(&whole);
	buf_release(&bytes);
	buf_release(&threes);
	buf_release(&oracle);
	return 0;
}
