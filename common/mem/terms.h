/* terms: the paths, identifiers and values in a text, and what it says. */
#ifndef TERMS_H
#define TERMS_H

#include <stddef.h>

/*
 * What a summary must carry verbatim.  A path has a '/' and an
 * extension or a leading '/', './', '~/', or is a file name with a known
 * extension (parse.c, Makefile, .env); an identifier is snake_case,
 * camelCase, SCREAMING_CASE, a call (name()), a member (a.b, a::b) or a
 * command-line flag (--dry-run); a number may have a unit (30s, 512MB)
 * or be a version (v1.2.3); a quoted term is what `backticks` hold.
 */
enum term_kind { TERM_PATH, TERM_IDENT, TERM_NUMBER, TERM_QUOTED, TERM_URL };

/* Called with each term: len bytes at s, inside text. */
typedef void term_fn(void *arg, enum term_kind kind, const char *s, size_t len);

/*
 * Calls fn with each term of len bytes of text, in order.  The inside
 * of a `quoted` span is one term, and the words in it are not passed
 * again.  Trailing punctuation (a sentence's full stop, a comma) is not
 * part of a term.
 */
void terms_scan(const char *text, size_t len, term_fn *fn, void *arg);

/* What a sentence says, from its words: a set of these. */
#define CUE_ERROR 0x001    /* error, failed, segfault, traceback... */
#define CUE_FIX 0x002      /* fixed, root cause, the problem was... */
#define CUE_DECISION 0x004 /* decided, let's, go with, instead... */
#define CUE_PREFER 0x008   /* always, never, please, from now on... */
#define CUE_TASK 0x010     /* todo, still need to, next, later... */
#define CUE_DONE 0x020     /* done, finished, merged, works now... */
#define CUE_CHANGE 0x040   /* rename, changed, bump, switch to... */
#define CUE_FILLER 0x080   /* thanks, sure, sounds good... */
#define CUE_WARN 0x100     /* warning, deprecated */

/*
 * The cues of len bytes of text.  An error word counted as none ("0
 * failed", "no errors", "errors: 0") is no error.
 */
unsigned terms_cues(const char *text, size_t len);

/*
 * Returns 1 if the word of len bytes at s (letters only, any case) is
 * one that makes a log line error-like, 2 if warning-like, else 0.
 */
int terms_error_word(const char *s, size_t len);

/*
 * Returns the length of the sentence that starts text (at most len
 * bytes): up to and with the first '.', '!' or '?' that is followed by
 * white space and then a capital letter, a digit, a quote or a
 * backtick, and that does not end "e.g.", "i.e.", a file name or an
 * initial; else up to the end of the line, or of text.
 */
size_t terms_sentence(const char *text, size_t len);

#endif
