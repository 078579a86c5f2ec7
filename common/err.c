#include "common/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int uj_err_set(struct uj_err *e, int errnum, const char *fmt, ...)
{
  va_list ap;
  int n;

  if (!e)
    return -1;
  e->code = errnum;
  va_start(ap, fmt);
  n = vsnprintf(e->msg, sizeof e->msg, fmt, ap);
  va_end(ap);
  if (n < 0)
    n = 0;
  if (errnum && (size_t) n < sizeof e->msg)
    snprintf(e->msg + n, sizeof e->msg - n, ": %s", strerror(errnum));
  return -1;
}

int uj_err_prefix(struct uj_err *e, const char *fmt, ...)
{
  char prefix[256];
  char old[UJ_ERR_MSG];
  va_list ap;

  if (!e)
    return -1;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  size_t plen;

  memcpy(old, e->msg, sizeof old);
  plen = strlen(prefix);
  /* prefix + ": " + old, truncated to fit; spelled out to keep the
   * compiler's truncation warning (an error here) quiet. */
  memcpy(e->msg, prefix, plen);
  memcpy(e->msg + plen, ": ", 2);
  plen += 2;
  strncpy(e->msg + plen, old, sizeof e->msg - plen - 1);
  e->msg[sizeof e->msg - 1] = '\0';
  return -1;
}

void uj_err_clear(struct uj_err *e)
{
  e->code = 0;
  e->msg[0] = '\0';
}
