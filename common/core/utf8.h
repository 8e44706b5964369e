/* utf8: validation and repair of UTF-8 text. */
#ifndef UTF8_H
#define UTF8_H

#include <stddef.h>

#include "core/util.h"

/*
 * Returns the length of the longest valid UTF-8 prefix of s, so len when
 * all of it is valid.  Overlong forms, surrogates and code points above
 * U+10FFFF are invalid, as RFC 3629 says.
 */
size_t utf8_valid_prefix(const char *s, size_t len);

/*
 * Appends s to out with each maximal invalid subpart replaced by U+FFFD,
 * the substitution the Unicode standard recommends and that Python's
 * "replace" handler and the WHATWG decoder perform.
 */
void utf8_sanitize(const char *s, size_t len, struct buf *out);

#endif
