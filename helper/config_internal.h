/* Private to config.c (libconfig tree walking and validation) and
 * config_load.c (reading the file, pre-scanning the text, collecting
 * diagnostics). Not a contract for anything else. */
#ifndef UJ_CONFIG_INTERNAL_H
#define UJ_CONFIG_INTERNAL_H

#include <libconfig.h>
#include <stdbool.h>
#include <stddef.h>

#include "config.h"

/* One collected problem; sorted by line before it reaches the caller. */
struct diag {
  int line;
  char *msg;
};

/* A truncated literal: its line and the value libconfig will hand us. */
struct big {
  int line;
  long long val;
};

/* Everything one parse accumulates: messages, the out-of-memory flag (the
 * run then fails as a whole) and the literals the pre-scan reported. */
struct pctx {
  const char *path;
  struct diag *d;
  size_t n, cap;
  bool oom;
  struct big *big; /* integer literals already reported as truncated */
  size_t n_big, cap_big;
};

/* Collects "PATH:LINE: message" (or "PATH: message" when line <= 0); an
 * allocation failure only sets x->oom, so callers never check. */
__attribute__((format(printf, 3, 4)))
void cfg_diag(struct pctx *x, int line, const char *fmt, ...);

/* Walks a libconfig tree into a new config (defaults, exempt, rules). Every
 * problem goes through cfg_diag. Returns what was built, possibly partial or
 * NULL (x->oom then set); the caller frees it unless x ended up clean. */
struct uj_config *cfg_from_tree(struct pctx *x, config_setting_t *root);

#endif
