/* jsonl: the JSON-lines reader and writer every program uses. */
#ifndef JSONL_H
#define JSONL_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/json.h"
#include "core/util.h"

/* The longest line a reader accepts, in bytes, without its line end. */
#define JSONL_MAX_LINE (64u << 20)

struct jsonl {
	FILE *fp;
	struct inputs *inputs; /* where fp comes from, or NULL */
	const char *name;      /* of the input, for messages; NULL: none */
	unsigned long lineno;  /* of the line last returned, in the input */
	size_t max_line;
	struct buf line;
	char *in; /* read buffer */
	size_t in_len, in_pos;
	int eof;
};

void jsonl_init(struct jsonl *r, FILE *fp);

/*
 * Sets r up to read the inputs in turn, as one stream of records whose
 * line numbers and messages are each file's own.
 */
void jsonl_init_inputs(struct jsonl *r, struct inputs *in);
void jsonl_release(struct jsonl *r);

/*
 * Reads the next record.  Returns 1 and stores it in *rec (the caller
 * frees it with cJSON_Delete), 0 at the end of input, or -1 for a bad line,
 * which has been reported on stderr as "prog: line N: problem" (or
 * "prog: file: line N: problem"); the
 * caller may go on reading.  Blank lines are skipped, a final "\r" is
 * dropped, the last line needs no "\n".  A line must be valid UTF-8 and
 * hold one JSON object.  A read error is fatal.
 */
int jsonl_read(struct jsonl *r, cJSON **rec);

/* Reports "prog: line N: fmt..." for the line last read. */
void jsonl_error(const struct jsonl *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Reports a fault of json_parse in the line last read, with its column. */
void jsonl_report(const struct jsonl *r, const struct json_error *e);

/*
 * Writes rec as one line.  Returns 0, or -1 on a write error (the caller
 * checks the stream at exit as well).
 */
int jsonl_write(FILE *fp, const cJSON *rec);

#endif
