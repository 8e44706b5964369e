/* jsonl: the JSON-lines reader and writer every program uses. */
#ifndef JSONL_H
#define JSONL_H

#include <stdio.h>

#include <cjson/cJSON.h>

#include "core/util.h"

/* The longest line a reader accepts, in bytes, without its line end. */
#define JSONL_MAX_LINE (64u << 20)

struct jsonl {
	FILE *fp;
	unsigned long lineno; /* of the line last returned */
	size_t max_line;
	struct buf line;
	char *in; /* read buffer */
	size_t in_len, in_pos;
	int eof;
};

void jsonl_init(struct jsonl *r, FILE *fp);
void jsonl_release(struct jsonl *r);

/*
 * Reads the next record.  Returns 1 and stores it in *rec (the caller
 * frees it with cJSON_Delete), 0 at the end of input, or -1 for a bad line,
 * which has been reported on stderr as "prog: line N: problem"; the
 * caller may go on reading.  Blank lines are skipped, a final "\r" is
 * dropped, the last line needs no "\n".  A line must be valid UTF-8 and
 * hold one JSON object.  A read error is fatal.
 */
int jsonl_read(struct jsonl *r, cJSON **rec);

/* Reports "prog: line N: fmt..." for the line last read. */
void jsonl_error(const struct jsonl *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * Writes rec as one line.  Returns 0, or -1 on a write error (the caller
 * checks the stream at exit as well).
 */
int jsonl_write(FILE *fp, const cJSON *rec);

#endif
