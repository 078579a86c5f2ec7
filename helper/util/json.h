/* JSON string literals for the admin commands' --json output (status,
 * list, check-config). Side-effect free, unit-tested in
 * tests/unit/util/test_json.c. */
#ifndef UJ_UTIL_JSON_H
#define UJ_UTIL_JSON_H

#include <stddef.h>

/* s as a JSON string literal, quotes included, into out (always
 * NUL-terminated when len > 0). '"' and '\\' are escaped, control
 * characters and DEL become \n, \t ... or \u00XX, valid UTF-8 passes
 * unchanged, and a byte that is not valid UTF-8 becomes \ufffd, so the
 * result is valid JSON whatever bytes a user name or path holds.
 * Returns the length the whole literal needs (without the NUL), like
 * snprintf: the output is complete when that is < len. */
size_t uj_json_escape(const char *s, char *out, size_t len);

#endif
