/* sse: a parser for text/event-stream, as the WHATWG HTML standard says. */
#ifndef SSE_H
#define SSE_H

#include <stddef.h>

#include "core/util.h"

/*
 * Called for each event with its type ("message" when none was named)
 * and its data, the data lines joined by "\n".  Returns 0 to go on; any
 * other value stops the parser, and sse_feed returns it.
 */
typedef int
sse_event_fn(void *arg, const char *event, const char *data, size_t len);

struct sse {
	sse_event_fn *fn;
	void *arg;
	struct buf line;  /* the line being read, without its end */
	struct buf event; /* the event type field */
	struct buf data;  /* data lines, each followed by "\n" */
	int after_cr;     /* the last byte was a CR, so an LF ends nothing */
	int first_done;   /* the first line, which may open with a BOM */
	size_t max;       /* the longest line, and event data, taken */
	int too_long;     /* a line or an event's data passed max */
};

void sse_init(struct sse *s, sse_event_fn *fn, void *arg);
void sse_release(struct sse *s);

/*
 * Parses n more bytes of the stream, which may end anywhere: inside a
 * line, a line end or a UTF-8 character.  Returns 0, the first non-zero
 * value of the callback, or -1 (too_long set) when a line or an event's
 * data exceeds max, SSE_MAX_LINE unless the caller sets it.  At the
 * end of the stream an event not ended by a blank line is dropped, as
 * the standard says; the caller decides whether the stream was complete.
 */
int sse_feed(struct sse *s, const char *p, size_t n);

#define SSE_MAX_LINE (64u << 20)

#endif
