/* logsum: a summary of a log of any size, in one pass, in a token budget. */
#ifndef LOGSUM_H
#define LOGSUM_H

#include <stddef.h>
#include <stdio.h>

#include "tok/count.h"

/*
 * Lines are masked and mined into templates (drain.h) as they come, so
 * memory is bounded whatever the size of the log.  Kept verbatim with
 * their line numbers: the first lines of each template (so every line of
 * a rare one) and the first and latest lines of error-like ones, stack
 * traces and tracebacks whole (up to a bound), the head, the tail, and
 * lines that give an exit status.  The summary shows these and each
 * common template once, with its count, first and last line and an
 * example, and fits a budget by leaving out the least informative first:
 * common templates, then the head, the tail, rare lines, warnings,
 * further lines of errors; the first line of each error template,
 * traces and exit statuses last.
 */
struct logsum;

struct logsum *logsum_new(void);
void logsum_free(struct logsum *ls);

/* A new input begins, called name (NULL for standard input). */
void logsum_file(struct logsum *ls, const char *name);

/* One line of the input, without its line end. */
void logsum_line(struct logsum *ls, const char *line, size_t len);

/*
 * The baseline, read before the input: a state file (logsum_load_state
 * returns 1 when fp holds one, 0 when it is a log to be given line by
 * line to logsum_baseline_line, -1 after reporting a bad state file),
 * then logsum_baseline_done.  The summary then shows only what is new
 * or whose count changed markedly, and what is no longer seen.
 */
int logsum_load_state(struct logsum *ls, FILE *fp, const char *name);
void logsum_baseline_line(struct logsum *ls, const char *line, size_t len);
void logsum_baseline_done(struct logsum *ls);

/* Writes the templates seen and their counts, for a later --baseline. */
void logsum_save_state(const struct logsum *ls, FILE *fp);

/* The lines read. */
long logsum_lines(const struct logsum *ls);

/*
 * The summary, at most budget tokens as c counts them; "" for no input.
 * Allocated; the caller frees it.
 */
char *logsum_render(struct logsum *ls, const struct counter *c, size_t budget);

/* Returns 1 if len bytes of sample (a text's beginning) read as prose. */
int logsum_prose(const char *sample, size_t len);

#endif
