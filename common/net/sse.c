/* sse: a parser for text/event-stream, as the WHATWG HTML standard says. */
#include <string.h>

#include "net/sse.h"

void
sse_init(struct sse *s, sse_event_fn *fn, void *arg)
{
	memset(s, 0, sizeof(*s));
	s->fn = fn;
	s->arg = arg;
	s->max = SSE_MAX_LINE;
}

void
sse_release(struct sse *s)
{
	buf_release(&s->line);
	buf_release(&s->event);
	buf_release(&s->data);
}

/* A blank line: hands the event on, unless it has no data at all. */
static int
dispatch(struct sse *s)
{
	int rc = 0;

	if (s->data.len > 0) {
		s->data.s[--s->data.len] = '\0'; /* the last line's "\n" */
		rc = s->fn(s->arg, s->event.len > 0 ? s->event.s : "message",
		    s->data.s, s->data.len);
	}
	s->data.len = 0;
	s->event.len = 0;
	return rc;
}

/* One line, without its end: a field, a comment or a blank line. */
static int
take_line(struct sse *s)
{
	const char *line = s->line.s, *value, *colon;
	size_t name_len, value_len;

	if (!s->first_done) {
		s->first_done = 1;
		if (s->line.len >= 3 && memcmp(line, "\xef\xbb\xbf", 3) == 0) {
			line += 3; /* a byte order mark may open the stream */
			s->line.len -= 3;
		}
	}
	if (s->line.len == 0)
		return dispatch(s);
	if (line[0] == ':')
		return 0;
	colon = memchr(line, ':', s->line.len);
	if (colon != NULL) {
		name_len = colon - line;
		value = colon + 1;
		if (value < line + s->line.len && *value == ' ')
			value++;
	} else {
		name_len = s->line.len;
		value = line + s->line.len;
	}
	value_len = line + s->line.len - value;
	if (name_len == 5 && memcmp(line, "event", 5) == 0) {
		buf_reset(&s->event);
		buf_add(&s->event, value, value_len);
	} else if (name_len == 4 && memcmp(line, "data", 4) == 0) {
		/* Data lines with never a blank line must not grow forever. */
		if (s->data.len + value_len + 1 > s->max) {
			s->too_long = 1;
			return -1;
		}
		buf_add(&s->data, value, value_len);
		buf_add(&s->data, "\n", 1);
	}
	/* "id" and "retry" concern reconnection, which a reply never does. */
	return 0;
}

int
sse_feed(struct sse *s, const char *p, size_t n)
{
	const char *end = p + n, *stop;
	int rc;

	while (p < end) {
		if (s->after_cr && *p == '\n') {
			s->after_cr = 0;
			p++;
			continue;
		}
		s->after_cr = 0;
		for (stop = p; stop < end && *stop != '\n' && *stop != '\r';
		     stop++)
			;
		if (s->line.len + (stop - p) > s->max) {
			s->too_long = 1;
			return -1;
		}
		buf_add(&s->line, p, stop - p);
		if (stop == end)
			break;
		s->after_cr = *stop == '\r';
		p = stop + 1;
		rc = take_line(s);
		s->line.len = 0;
		if (rc != 0)
			return rc;
	}
	return 0;
}
