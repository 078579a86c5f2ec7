/* Diagnostics of one parse: every problem the loader (load.c) and the tree
 * walker (tree.c) find is collected here as "FILE:LINE: message", sorted by
 * line and handed to the caller, so an admin fixes a file in one pass. Both
 * parse stages depend on this file; it depends on neither. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/parse.h"

/* Make room for one more element in a doubling array (first size `first`). */
bool cfg_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first)
{
  if (n < *cap)
    return true;
  size_t ncap = *cap ? *cap * 2 : first;
  void *a = realloc(*arr, ncap * elem);
  if (!a)
    return false;
  *arr = a;
  *cap = ncap;
  return true;
}

char *cfg_diag_vformat(const char *path, int line, const char *kind, const char *fmt,
                       va_list ap)
{
  char body[768];
  char *msg;
  int r;

  vsnprintf(body, sizeof body, fmt, ap);
  if (line > 0)
    r = asprintf(&msg, "%s:%d: %s%s", path, line, kind, body);
  else
    r = asprintf(&msg, "%s: %s%s", path, kind, body);
  return r < 0 ? NULL : msg;
}

void cfg_diag(struct pctx *x, int line, const char *fmt, ...)
{
  char *msg;
  va_list ap;

  va_start(ap, fmt);
  msg = cfg_diag_vformat(x->path, line, "", fmt, ap);
  va_end(ap);
  if (!msg) {
    x->oom = true;
    return;
  }
  if (!cfg_grow((void **) &x->d, &x->cap, x->n, sizeof *x->d, 8)) {
    free(msg);
    x->oom = true;
    return;
  }
  x->d[x->n++] = (struct diag){ .line = line, .msg = msg };
}

/* Appends msg to the caller's diags, which then own it; freed if that fails
 * (a lost message beats a failed login). */
void cfg_diags_push(struct uj_diags *out, char *msg)
{
  char **items = out ? realloc(out->items, (out->n + 1) * sizeof *items) : NULL;

  if (!items) {
    free(msg);
    return;
  }
  out->items = items;
  out->items[out->n++] = msg;
}

/* Hands the collected messages, in line order, to the caller's diags. */
int cfg_finish(struct pctx *x, struct uj_diags *out, struct uj_err *err)
{
  int ret = 0;

  /* insertion sort: stable, and n is tiny */
  for (size_t i = 1; i < x->n; i++) {
    struct diag d = x->d[i];
    size_t j = i;
    while (j > 0 && x->d[j - 1].line > d.line) {
      x->d[j] = x->d[j - 1];
      j--;
    }
    x->d[j] = d;
  }
  if (x->oom) {
    uj_err_set(err, ENOMEM, "%s", x->path);
    ret = -1;
  } else if (x->n > 0) {
    uj_err_set(err, 0, "%s", x->d[0].msg);
    ret = -1;
  }
  for (size_t i = 0; i < x->n; i++)
    cfg_diags_push(out, x->d[i].msg);
  free(x->d);
  free(x->big);
  return ret;
}


void uj_diags_free(struct uj_diags *d)
{
  if (!d)
    return;
  for (size_t i = 0; i < d->n; i++)
    free(d->items[i]);
  free(d->items);
  d->items = NULL;
  d->n = 0;
}
