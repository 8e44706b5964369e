/* http: one call to a provider over libcurl, with retries and timeouts. */
#include <ctype.h>
#include <curl/curl.h>
#include <err.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "core/json.h"
#include "net/http.h"
#include "net/sse.h"

/* A retry-after beyond this is not waited for; the SDKs cap it too. */
#define MAX_RETRY_AFTER_MS 60000
/* What retry-after asks when it asks for longer than anyone waits. */
#define FOREVER_MS 0x7fffffffL
/*
 * A parsed JSON value costs some 80 bytes, so "[0,0,...]" is forty
 * times larger as a tree than as text.  A reply, or an event, may hold
 * a value for every VALUE_BYTES of its cap, and VALUE_FLOOR in any case.
 */
#define VALUE_BYTES 64
#define VALUE_FLOOR 1024

struct attempt {
	CURL *curl;
	const struct provider *p;
	struct reply *r;
	struct sse sse;
	int stream;
	long status;
	int event_stream; /* the reply is text/event-stream */
	struct buf body;  /* a body that is not a stream of events */
	const char *cap;  /* the cap a reply passed, or NULL */
	size_t values;    /* the values the cap allowed, if it was those */
	const struct http_opts *o;
	int broken;       /* the transfer failed, or the stream had no end */
	double last_byte; /* when the last byte came, in seconds */
	long idle_timeout;
	int idle_expired;
	long retry_after_ms; /* -1: not given */
	int should_retry;    /* x-should-retry: -1 not given, 0, 1 */
	char request_id[96];
};

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
http_init(void)
{
	srand((unsigned)time(NULL) ^ (unsigned)getpid()); /* for jitter */
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void
http_cleanup(void)
{
	curl_global_cleanup();
}

/*
 * retry-after is seconds (a fraction allowed) or an HTTP date; a delay
 * too long for a long (inf, 1e300) is FOREVER_MS, not an overflow.
 */
static long
retry_after(const char *v, int in_ms)
{
	char *end;
	double d = strtod(v, &end);
	time_t t;

	if (end != v && (*end == '\0' || isspace((unsigned char)*end))) {
		if (!(d > 0))
			return -1;
		d = in_ms ? d : d * 1000;
		return d < FOREVER_MS ? (long)d : FOREVER_MS;
	}
	if (in_ms)
		return -1;
	t = curl_getdate(v, NULL);
	return t > time(NULL) ? (long)(t - time(NULL)) * 1000 : -1;
}

static void
take_header(
    struct attempt *a, const char *name, size_t name_len, const char *value)
{
#define IS(s) (name_len == strlen(s) && strncasecmp(name, s, name_len) == 0)
	if (IS("retry-after-ms"))
		a->retry_after_ms = retry_after(value, 1);
	else if (IS("retry-after") && a->retry_after_ms < 0)
		a->retry_after_ms = retry_after(value, 0);
	else if (IS("x-should-retry"))
		a->should_retry = strncmp(value, "true", 4) == 0;
	else if (IS("content-type"))
		a->event_stream =
		    strncasecmp(value, "text/event-stream", 17) == 0;
	else if (IS("request-id") || IS("x-request-id"))
		snprintf(a->request_id, sizeof(a->request_id), "%.*s",
		    (int)strcspn(value, "\r\n"), value);
#undef IS
}

static size_t
on_header(char *data, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * n;
	char line[1024], *colon, *value;

	a->last_byte = now();
	if (len >= 5 && memcmp(data, "HTTP/", 5) == 0) {
		/* A new response (after a 100 Continue): forget the last. */
		a->retry_after_ms = -1;
		a->should_retry = -1;
		a->event_stream = 0;
		a->request_id[0] = '\0';
		return len;
	}
	if (len >= sizeof(line))
		return len;
	memcpy(line, data, len);
	line[len] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	colon = strchr(line, ':');
	if (colon == NULL)
		return len;
	for (value = colon + 1; *value == ' ' || *value == '\t'; value++)
		;
	take_header(a, line, colon - line, value);
	return len;
}

/*
 * Whether text, a reply or an event under the cap max, holds more JSON
 * values than it may: if so, the cap is named in a.  The count is one
 * more than the commas, brackets and braces outside strings.
 */
static int
too_many_values(struct attempt *a, const char *text, size_t len, size_t max,
    const char *cap)
{
	size_t i, values = 1, limit = max / VALUE_BYTES + VALUE_FLOOR;
	int in_string = 0;

	for (i = 0; i < len && values <= limit; i++) {
		if (in_string) {
			if (text[i] == '\\')
				i++;
			else if (text[i] == '"')
				in_string = 0;
		} else if (text[i] == '"') {
			in_string = 1;
		} else if (text[i] == ',' || text[i] == '[' || text[i] == '{') {
			values++;
		}
	}
	if (values <= limit)
		return 0;
	a->cap = cap;
	a->values = limit;
	return 1;
}

static int
on_event(void *arg, const char *event, const char *data, size_t len)
{
	struct attempt *a = arg;
	int rc;

	if (too_many_values(a, data, len, a->o->max_event, "max_event_bytes"))
		return -1;
	rc = a->p->dialect->event(a->r, event, data, len);

	if (rc == 0 && a->r->text.len + a->r->reasoning.len > a->o->max_reply) {
		a->cap = "max_reply_bytes";
		return -1;
	}
	return rc;
}

static size_t
on_body(char *data, size_t size, size_t n, void *arg)
{
	struct attempt *a = arg;
	size_t len = size * n;

	a->last_byte = now();
	if (a->status == 0)
		curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->status);
	if (a->stream && a->event_stream && a->status / 100 == 2) {
		if (sse_feed(&a->sse, data, len) == 0)
			return len;
		if (a->sse.too_long)
			a->cap = "max_event_bytes";
		return 0;
	}
	if (a->body.len + len > a->o->max_reply) {
		a->cap = "max_reply_bytes";
		return 0;
	}
	buf_add(&a->body, data, len);
	return len;
}

static int
on_progress(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
    curl_off_t ulnow)
{
	struct attempt *a = arg;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	if (a->idle_timeout > 0 && now() - a->last_byte > a->idle_timeout) {
		a->idle_expired = 1;
		return 1;
	}
	return 0;
}

static struct curl_slist *
headers_for(const struct dialect *d, const char *key, int stream)
{
	struct curl_slist *h = NULL;
	const char *const *fixed;
	struct buf auth = BUF_INIT;

	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h,
	    stream ? "Accept: text/event-stream" : "Accept: application/json");
	for (fixed = d->fixed; *fixed != NULL; fixed++)
		h = curl_slist_append(h, *fixed);
	if (key != NULL) {
		buf_addstr(&auth, d->auth_header);
		buf_addstr(&auth, key);
		h = curl_slist_append(h, auth.s);
		memset(auth.s, 0, auth.len);
		buf_release(&auth);
	}
	return h;
}

/* libcurl reads no CA variables itself; the curl tool's are honoured. */
static void
set_ca(CURL *curl)
{
	const char *v;

	if ((v = getenv("CURL_CA_BUNDLE")) != NULL ||
	    (v = getenv("SSL_CERT_FILE")) != NULL)
		curl_easy_setopt(curl, CURLOPT_CAINFO, v);
	if ((v = getenv("SSL_CERT_DIR")) != NULL)
		curl_easy_setopt(curl, CURLOPT_CAPATH, v);
}

static CURLcode
perform(struct attempt *a, const char *url, const char *body,
    struct curl_slist *headers, long timeout_ms, char *errbuf)
{
	const struct http_opts *o = a->o;
	CURL *curl = a->curl;

	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(
	    curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(body));
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "llmpipe/" LLMPIPE_VERSION);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, o->connect_timeout);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
	curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, a);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, a);
	curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, on_progress);
	curl_easy_setopt(curl, CURLOPT_XFERINFODATA, a);
	curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
	set_ca(curl);
	a->last_byte = now();
	return curl_easy_perform(curl);
}

/* Which failures a human must fix, which may pass by themselves. */
static enum call_end
classify(long status, const char *type, const char *message)
{
	static const char *const human[] = {"insufficient_quota",
	    "billing_error", "authentication_error", "permission_error",
	    "invalid_api_key", NULL};
	static const char *const passing[] = {"overloaded_error",
	    "rate_limit_error", "rate_limit_exceeded", "api_error",
	    "server_error", "timeout_error", "server_is_overloaded", NULL};
	const char *const *t;

	for (t = human; type != NULL && *t != NULL; t++)
		if (strcmp(type, *t) == 0)
			return CALL_AUTH;
	if (status == 401 || status == 402 || status == 403)
		return CALL_AUTH;
	if ((type != NULL && strcmp(type, "context_length_exceeded") == 0) ||
	    strstr(message, "maximum context length") != NULL ||
	    strstr(message, "prompt is too long") != NULL)
		return CALL_TOO_LONG;
	for (t = passing; type != NULL && *t != NULL; t++)
		if (strcmp(type, *t) == 0)
			return CALL_TRANSIENT;
	if (status == 408 || status == 409 || status == 429 || status >= 500)
		return CALL_TRANSIENT;
	return CALL_FAILED;
}

/* The first line of a body that is not JSON, for the message. */
static void
describe_body(struct buf *msg, const struct buf *body)
{
	size_t n = strcspn(body->s, "\r\n");

	if (n > 200)
		n = 200;
	buf_addstr(msg, "the reply is not JSON: ");
	buf_add(msg, body->s, n);
}

/* Reads a whole body: a reply, or an error in either dialect. */
static void
take_body(struct attempt *a)
{
	struct reply *r = a->r;
	struct json_error e;
	cJSON *json;

	if (a->body.len == 0 && a->status / 100 == 2) {
		r->failed = 1;
		buf_addstr(&r->err.message, "the reply is empty");
		return;
	}
	json = json_parse(a->body.s, a->body.len, &e);
	if (json == NULL) {
		r->failed = 1;
		describe_body(&r->err.message, &a->body);
	} else if (a->status / 100 != 2) {
		reply_error(r, json);
	} else {
		a->p->dialect->parse(r, json);
	}
	cJSON_Delete(json);
}

/* Why a transfer stopped that libcurl or a stream ended early. */
static void
take_fault(struct attempt *a, CURLcode rc, const char *errbuf,
    const struct http_opts *o)
{
	struct reply *r = a->r;

	if (r->failed)
		return; /* an error event said why */
	r->failed = 1;
	a->broken = 1;
	if (a->idle_expired)
		buf_printf(
		    &r->err.message, "no data for %ld s", o->idle_timeout);
	else if (a->values > 0)
		buf_printf(&r->err.message,
		    "%s holds over %zu JSON values (one for each %d bytes of "
		    "%s)",
		    strcmp(a->cap, "max_event_bytes") == 0 ? "an event"
							   : "the reply",
		    a->values, VALUE_BYTES, a->cap);
	else if (a->cap != NULL && strcmp(a->cap, "max_event_bytes") == 0)
		buf_printf(&r->err.message,
		    "a line or an event of the stream is over %zu bytes "
		    "(max_event_bytes)",
		    o->max_event);
	else if (a->cap != NULL)
		buf_printf(&r->err.message,
		    "the reply is over %zu bytes (max_reply_bytes)",
		    o->max_reply);
	else if (rc == CURLE_OPERATION_TIMEDOUT && o->total_timeout > 0)
		buf_printf(&r->err.message, "no reply within %ld s (--timeout)",
		    o->total_timeout);
	else if (rc != CURLE_OK)
		buf_printf(&r->err.message, "%s",
		    errbuf[0] != '\0' ? errbuf : curl_easy_strerror(rc));
	else
		buf_printf(&r->err.message,
		    "the stream ended before its "
		    "end marker");
}

/* One attempt: the reply, or what went wrong in r->err. */
static enum call_end
attempt(struct attempt *a, const char *url, const char *body,
    struct curl_slist *headers, long timeout_ms)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	const struct http_opts *o = a->o;
	struct reply *r = a->r;
	CURLcode rc;
	int whole;

	rc = perform(a, url, body, headers, timeout_ms, errbuf);
	if (a->status == 0)
		curl_easy_getinfo(a->curl, CURLINFO_RESPONSE_CODE, &a->status);
	r->err.status = a->status;
	whole = rc == CURLE_OK &&
	    !(a->stream && a->event_stream && a->status / 100 == 2);
	if (whole &&
	    !too_many_values(
		a, a->body.s, a->body.len, o->max_reply, "max_reply_bytes"))
		take_body(a);
	else if (whole || rc != CURLE_OK || !r->done)
		take_fault(a, rc, errbuf, o);
	if (!r->failed)
		return CALL_OK;
	if (a->broken && r->err.type == NULL)
		return CALL_TRANSIENT; /* the connection or the stream broke */
	return classify(a->status, r->err.type, r->err.message.s);
}

static long
backoff_ms(const struct attempt *a, int n)
{
	double ms = 500.0 * (1 << n);

	if (a->retry_after_ms > 0)
		return a->retry_after_ms;
	if (ms > 8000)
		ms = 8000;
	return (long)(ms * (1 - 0.25 * (rand() / (double)RAND_MAX)));
}

static void
sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	while (nanosleep(&ts, &ts) != 0)
		;
}

/*
 * Whether to try again: only what may pass, only before any text, and
 * never a reply over a cap, which the same request would meet again.
 */
static int
should_retry(const struct attempt *a, enum call_end end)
{
	if (a->r->text.len > 0 || a->cap != NULL)
		return 0;
	if (a->should_retry >= 0 && end != CALL_AUTH)
		return a->should_retry;
	return end == CALL_TRANSIENT;
}

/* The key never leaves: not even when a server echoes it back. */
static void
scrub(struct buf *msg, const char *key)
{
	size_t n = key != NULL ? strlen(key) : 0;
	char *at;

	if (n < 4)
		return;
	while ((at = memmem(msg->s, msg->len, key, n)) != NULL) {
		memset(at, '*', 3);
		memmove(at + 3, at + n, msg->len - (at + n - msg->s) + 1);
		msg->len -= n - 3;
	}
}

static void
describe(struct attempt *a, struct buf *out)
{
	struct reply *r = a->r;

	buf_printf(out, "%s: ", a->p->name);
	if (a->status != 0 && a->status / 100 != 2)
		buf_printf(out, "HTTP %ld ", a->status);
	if (r->err.type != NULL)
		buf_printf(out, "%s: ", r->err.type);
	buf_add(out, r->err.message.s, r->err.message.len);
	if (a->request_id[0] != '\0')
		buf_printf(out, " (request %s)", a->request_id);
}

/* Milliseconds left before the deadline (0: none), at least 1. */
static long
left_ms(double deadline)
{
	double ms = (deadline - now()) * 1000;

	return deadline == 0 ? 0 : ms < 1 ? 1 : (long)ms;
}

/*
 * Whether the call waits wait ms and tries again; if not, says why in
 * r's message: a provider that asks for too long a wait, or a deadline
 * that the wait would pass.
 */
static int
may_wait(const struct attempt *a, long wait, double deadline)
{
	struct buf *m = &a->r->err.message;

	if (a->retry_after_ms >= FOREVER_MS) {
		buf_addstr(m,
		    "; the provider asks to wait longer than any "
		    "wait llm-ask makes");
		return 0;
	}
	if (a->retry_after_ms > MAX_RETRY_AFTER_MS) {
		buf_printf(m, "; the provider asks to wait %ld s",
		    a->retry_after_ms / 1000);
		return 0;
	}
	if (deadline > 0 && now() + wait / 1000.0 >= deadline) {
		buf_printf(m, "; no time left to retry within %ld s",
		    a->o->total_timeout);
		return 0;
	}
	return 1;
}

enum call_end
http_call(const struct provider *p, const char *url, const char *key,
    const char *body, int stream, const struct http_opts *o, struct reply *r)
{
	struct curl_slist *headers = headers_for(p->dialect, key, stream);
	double deadline = o->total_timeout > 0 ? now() + o->total_timeout : 0;
	struct buf msg = BUF_INIT;
	struct attempt a;
	enum call_end end;
	long wait;
	int n;

	memset(&a, 0, sizeof(a));
	if ((a.curl = curl_easy_init()) == NULL)
		errx(1, "cannot set up libcurl");
	a.p = p;
	a.r = r;
	a.o = o;
	a.stream = stream;
	a.idle_timeout = o->idle_timeout;
	for (n = 0;; n++) {
		a.status = 0;
		a.broken = a.idle_expired = a.event_stream = 0;
		a.cap = NULL;
		a.values = 0;
		a.retry_after_ms = a.should_retry = -1;
		a.request_id[0] = '\0'; /* an attempt with no reply has none */
		buf_reset(&a.body);
		sse_init(&a.sse, on_event, &a);
		a.sse.max = o->max_event;
		end = attempt(&a, url, body, headers, left_ms(deadline));
		sse_release(&a.sse);
		if (end == CALL_OK || n >= o->retries || !should_retry(&a, end))
			break;
		wait = backoff_ms(&a, n);
		if (!may_wait(&a, wait, deadline))
			break;
		if (!o->quiet) {
			buf_reset(&msg);
			describe(&a, &msg);
			scrub(&msg, key);
			warnx("%s; retrying in %.1f s", msg.s, wait / 1000.0);
		}
		sleep_ms(wait);
		reply_reset(r);
		curl_easy_reset(a.curl);
	}
	if (end != CALL_OK) {
		buf_reset(&msg);
		describe(&a, &msg);
		scrub(&msg, key);
		buf_reset(&r->err.message);
		buf_add(&r->err.message, msg.s, msg.len);
	}
	buf_release(&msg);
	buf_release(&a.body);
	curl_slist_free_all(headers);
	curl_easy_cleanup(a.curl);
	return end;
}
