/* http: one call to a provider over libcurl, with retries and timeouts. */
#ifndef HTTP_H
#define HTTP_H

#include "net/provider.h"

/* A stream's event, and a whole reply, is refused past these by default. */
#define HTTP_MAX_EVENT (16L << 20)
#define HTTP_MAX_REPLY (32L << 20)

struct http_opts {
	long connect_timeout; /* seconds to connect */
	long idle_timeout;    /* seconds with no byte at all; 0: none */
	long total_timeout;   /* seconds for the whole call, retries and
				 waits included; 0: none */
	int retries;          /* further attempts after a transient fault */
	int quiet;            /* no notice of retries on stderr */
	size_t max_event;     /* bytes of one event's data, or a line */
	size_t max_reply;     /* bytes of a reply: its text, or its body */
};

/* How a call ended, from which llm-ask's exit status follows. */
enum call_end {
	CALL_OK,
	CALL_FAILED,    /* a bad request, an unusable reply */
	CALL_AUTH,      /* a key, permission or billing problem */
	CALL_TRANSIENT, /* overload, rate limit, network: try again later */
	CALL_TOO_LONG   /* the provider says the input exceeds the window */
};

/* Sets up libcurl; once, before any call. */
int http_init(void);
void http_cleanup(void);

/*
 * POSTs body to url in p's dialect, with key (NULL: none) in the
 * dialect's header, and reads the reply into r, a stream of events if
 * stream.  Retries connection faults and 408, 409, 429, 5xx and 529
 * with backoff, honouring retry-after, but never once text has been
 * delivered.  A reply or an event over its cap ends the call, which is
 * not retried (the same request would meet the same cap).  On failure
 * r->err.message says what happened, naming the provider and the HTTP
 * status, and never holds the key.
 */
enum call_end
http_call(const struct provider *p, const char *url, const char *key,
    const char *body, int stream, const struct http_opts *o, struct reply *r);

#endif
