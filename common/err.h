/* Errors as values: a struct that carries errno plus a message, filled at the
 * failure site and prefixed with context as it travels up ("create jail for
 * alice: bind /home/alice: Permission denied"). Fixed-size, no allocation, so
 * it is usable in a freshly cloned child and in the PAM module alike. */
#ifndef UJ_ERR_H
#define UJ_ERR_H

#include <stddef.h>

#define UJ_ERR_MSG 1024

struct uj_err {
  int code;              /* errno value, 0 when not an OS error */
  char msg[UJ_ERR_MSG];  /* human-readable, already includes strerror(code) */
};

/* Record an error. When errnum != 0, ": strerror(errnum)" is appended.
 * Always returns -1 so callers can write `return uj_err_set(...)`. */
int uj_err_set(struct uj_err *e, int errnum, const char *fmt, ...)
  __attribute__((format(printf, 3, 4)));

/* Prefix the existing message with context + ": ". Returns -1. */
int uj_err_prefix(struct uj_err *e, const char *fmt, ...)
  __attribute__((format(printf, 2, 3)));

void uj_err_clear(struct uj_err *e);

#endif
