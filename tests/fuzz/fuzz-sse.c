/* A libFuzzer target for the SSE parser: any bytes, split anywhere. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/sse.h"

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

static void
parse(const uint8_t *data, size_t size, size_t step, struct buf *log)
{
	struct sse s;
	size_t i, n;

	sse_init(&s, record, log);
	for (i = 0; i < size; i += n) {
		n = step == 0 ? size : step;
		if (n > size - i)
			n = size - i;
		if (sse_feed(&s, (const char *)data + i, n) != 0)
			abort(); /* no line here reaches the limit */
	}
	sse_release(&s);
}

/*
 * The events must not depend on how the stream was cut into reads: the
 * whole input at once, a byte at a time and three at a time agree.
 */
/* The library calls it for a bad option, which is not tested here. */
void
usage(void)
{
	abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct buf whole = BUF_INIT, bytes = BUF_INIT, threes = BUF_INIT;

	buf_reset(&whole);
	buf_reset(&bytes);
	buf_reset(&threes);
	parse(data, size, 0, &whole);
	parse(data, size, 1, &bytes);
	parse(data, size, 3, &threes);
	if (whole.len != bytes.len ||
	    memcmp(whole.s, bytes.s, whole.len) != 0 ||
	    whole.len != threes.len ||
	    memcmp(whole.s, threes.s, whole.len) != 0)
		abort();
	buf_release(&whole);
	buf_release(&bytes);
	buf_release(&threes);
	return 0;
}
