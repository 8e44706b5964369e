/* record: llmpipe's record types and their rules, times, ids, fact identity. */
#include <ctype.h>
#include <err.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "core/msg.h"
#include "core/record.h"
#include "core/util.h"

enum record_type
record_type(const cJSON *rec)
{
	static const struct {
		const char *name;
		enum record_type type;
	} types[] = {{"summary", REC_SUMMARY}, {"fact", REC_FACT},
	    {"doc", REC_DOC}, {"route", REC_ROUTE}, {"delta", REC_DELTA}};
	const char *type = msg_str(rec, "type");
	size_t i;

	if (cJSON_GetObjectItemCaseSensitive(rec, "type") == NULL)
		return REC_MESSAGE;
	for (i = 0; type != NULL && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(type, types[i].name) == 0)
			return types[i].type;
	return REC_OTHER;
}

int
record_role_valid(const char *role)
{
	static const char *const roles[] = {
	    "system", "user", "assistant", "tool", "developer"};
	size_t i;

	for (i = 0; role != NULL && i < sizeof(roles) / sizeof(roles[0]); i++)
		if (strcmp(role, roles[i]) == 0)
			return 1;
	return 0;
}

int
record_role_system(const char *role)
{
	return strcmp(role, "system") == 0 || strcmp(role, "developer") == 0;
}

int
record_session_valid(const char *s)
{
	size_t n = 0;

	for (; s[n] != '\0'; n++)
		if ((unsigned char)s[n] < 0x20 || s[n] == 0x7f)
			return 0;
	return n > 0 && n <= RECORD_MAX_SESSION;
}

static int
optional_string(const cJSON *rec, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(rec, key);

	return v == NULL || cJSON_IsString(v);
}

static int
is_count(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble >= 0 &&
	    v->valuedouble <= 9e15 && v->valuedouble == floor(v->valuedouble);
}

/* Returns why usage, cost_usd and latency_ms are malformed, or NULL. */
static const char *
check_usage(const cJSON *rec)
{
	static const char *const counts[] = {"input_tokens", "output_tokens",
	    "cached_tokens", "cache_write_tokens", "counted_input_tokens"};
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(rec, "usage"), *v;
	size_t i;

	if (u != NULL && !cJSON_IsObject(u))
		return "'usage' is not an object";
	for (i = 0; u != NULL && i < sizeof(counts) / sizeof(counts[0]); i++)
		if ((v = cJSON_GetObjectItemCaseSensitive(u, counts[i])) !=
			NULL &&
		    !is_count(v))
			return "'usage' holds a token count that is not a "
			       "whole number";
	v = cJSON_GetObjectItemCaseSensitive(rec, "cost_usd");
	if (v != NULL && !(cJSON_IsNumber(v) && v->valuedouble >= 0))
		return "'cost_usd' is not a number";
	v = cJSON_GetObjectItemCaseSensitive(rec, "latency_ms");
	if (v != NULL && !cJSON_IsNumber(v))
		return "'latency_ms' is not a number";
	return NULL;
}

const char *const fact_kinds[] = {"file_created", "file_modified",
    "file_deleted", "function_added", "function_removed", "decision",
    "preference", "todo", "note", NULL};

int
fact_kind_known(const char *kind)
{
	const char *const *k;

	for (k = fact_kinds; kind != NULL && *k != NULL; k++)
		if (strcmp(*k, kind) == 0)
			return 1;
	return 0;
}

static const char *
check_fact(const cJSON *rec)
{
	const char *kind = msg_str(rec, "kind"), *op = msg_str(rec, "op");

	if (kind == NULL || kind[0] == '\0')
		return "a fact needs a 'kind'";
	if (!optional_string(rec, "op") ||
	    (op != NULL && strcmp(op, "add") != 0 &&
		strcmp(op, "update") != 0 && strcmp(op, "delete") != 0))
		return "a fact's 'op' is not add, update or delete";
	if (!optional_string(rec, "subject") || !optional_string(rec, "source"))
		return "a fact's 'subject' and 'source' must be strings";
	if (!optional_string(rec, "content"))
		return "a fact's 'content' is not a string";
	if (fact_key(rec) == NULL)
		return "a fact needs a 'subject' or a 'content'";
	return NULL;
}

static const char *
check_message(const cJSON *rec, int has_content)
{
	static char why[96];
	const char *role = msg_str(rec, "role");

	if (role == NULL)
		return "a message needs a 'role' (or a record a 'type')";
	if (!record_role_valid(role)) {
		snprintf(why, sizeof(why), "unknown role '%.*s' (%s)",
		    (int)strcspn(role, "\n"), role, RECORD_ROLES);
		if (strlen(role) > 32)
			snprintf(why, sizeof(why), "unknown role (%s)",
			    RECORD_ROLES);
		return why;
	}
	if (!has_content &&
	    cJSON_GetObjectItemCaseSensitive(rec, "tool_calls") == NULL)
		return "a message needs 'content'";
	return NULL;
}

/* The rules every record follows, whatever its type. */
static const char *
check_common(const cJSON *rec)
{
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(rec, "type");
	const char *s;

	if (type != NULL &&
	    (!cJSON_IsString(type) || type->valuestring[0] == '\0'))
		return "'type' is not a string";
	if (!optional_string(rec, "id") ||
	    ((s = msg_str(rec, "id")) != NULL && s[0] == '\0'))
		return "'id' is not a string";
	if (!optional_string(rec, "session") ||
	    ((s = msg_str(rec, "session")) != NULL && !record_session_valid(s)))
		return "'session' is not a valid session name";
	if (!optional_string(rec, "ts") ||
	    ((s = msg_str(rec, "ts")) != NULL && !record_ts_valid(s)))
		return "'ts' is not an RFC 3339 time";
	return check_usage(rec);
}

const char *
record_check(const cJSON *rec)
{
	struct buf text = BUF_INIT;
	const char *why;
	int has;

	if ((why = check_common(rec)) != NULL)
		return why;
	has = msg_content(rec, &text, &why);
	buf_release(&text);
	if (has < 0)
		return why;
	switch (record_type(rec)) {
	case REC_MESSAGE:
		return check_message(rec, has);
	case REC_FACT:
		return check_fact(rec);
	case REC_SUMMARY:
		return msg_str(rec, "content") == NULL
		    ? "a summary's 'content' is not a string"
		    : NULL;
	case REC_DOC:
		return msg_str(rec, "content") == NULL
		    ? "a doc's 'content' is not a string"
		    : NULL;
	case REC_ROUTE:
		return !optional_string(rec, "model")
		    ? "a route's 'model' is not a string"
		    : NULL;
	default:
		return NULL;
	}
}

const char *
fact_key(const cJSON *fact)
{
	const char *subject = msg_str(fact, "subject");

	return subject != NULL ? subject : msg_str(fact, "content");
}

int
fact_same(const cJSON *a, const cJSON *b)
{
	const char *ka = msg_str(a, "kind"), *kb = msg_str(b, "kind");
	const char *sa = fact_key(a), *sb = fact_key(b);

	return ka != NULL && kb != NULL && sa != NULL && sb != NULL &&
	    strcmp(ka, kb) == 0 && strcmp(sa, sb) == 0;
}

int
fact_deletes(const cJSON *fact)
{
	const char *op = msg_str(fact, "op");

	return op != NULL && strcmp(op, "delete") == 0;
}

void
fact_identity_of(const char *kind, const char *key, struct buf *out)
{
	buf_addstr(out, kind != NULL ? kind : "");
	buf_add(out, "", 1);
	buf_addstr(out, key != NULL ? key : "");
}

void
fact_identity(const cJSON *fact, struct buf *out)
{
	fact_identity_of(msg_str(fact, "kind"), fact_key(fact), out);
}

void
record_now(char out[RECORD_TS_SIZE])
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(out, RECORD_TS_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + 19, RECORD_TS_SIZE - 19, ".%03dZ",
	    (int)(ts.tv_nsec / 1000000));
}

static int
digits(const char *s, int n)
{
	int i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* Returns 1 if s begins with a real date, YYYY-MM-DD. */
static int
valid_day(const char *s)
{
	static const int days[] = {
	    31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int y = digits(s, 4), m, d;

	if (y < 0 || s[4] != '-' || s[7] != '-')
		return 0;
	m = digits(s + 5, 2);
	d = digits(s + 8, 2);
	if (m < 1 || m > 12 || d < 1 || d > days[m - 1])
		return 0;
	return m != 2 || d < 29 ||
	    (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

int
record_ts_valid(const char *s)
{
	int h, min, sec;

	if (strlen(s) < 20 || !valid_day(s) || (s[10] != 'T' && s[10] != 't'))
		return 0;
	h = digits(s + 11, 2);
	min = digits(s + 14, 2);
	sec = digits(s + 17, 2); /* 60: a leap second */
	if (h < 0 || h > 23 || s[13] != ':' || min < 0 || min > 59 ||
	    s[16] != ':' || sec < 0 || sec > 60)
		return 0;
	s += 19;
	if (*s == '.' && isdigit((unsigned char)s[1]))
		for (s++; isdigit((unsigned char)*s); s++)
			;
	if (*s == 'Z' || *s == 'z')
		return s[1] == '\0';
	if ((*s != '+' && *s != '-') || s[3] != ':' || s[6] != '\0')
		return 0;
	h = digits(s + 1, 2);
	min = digits(s + 4, 2);
	return h >= 0 && h <= 23 && min >= 0 && min <= 59;
}

int
record_date_valid(const char *s)
{
	if (strlen(s) == 10)
		return valid_day(s);
	return record_ts_valid(s);
}

void
record_ulid(char out[RECORD_ID_SIZE])
{
	static const char digit[] = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
	static unsigned char rnd[10];
	static int seeded;
	struct timespec ts;
	uint64_t ms;
	int i, bit;

	if (!seeded && getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd))
		err(1, "getrandom");
	seeded = 1;
	for (i = 9; i >= 0 && ++rnd[i] == 0; i--)
		;
	clock_gettime(CLOCK_REALTIME, &ts);
	ms = (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
	for (i = 9; i >= 0; i--, ms >>= 5)
		out[i] = digit[ms & 31];
	for (i = 0; i < 16; i++) {
		bit = i * 5;
		out[10 + i] =
		    digit[(((rnd[bit / 8] << 8) |
			       (bit / 8 + 1 < 10 ? rnd[bit / 8 + 1] : 0)) >>
			      (11 - bit % 8)) &
			31];
	}
	out[26] = '\0';
}
