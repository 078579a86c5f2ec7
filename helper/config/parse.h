/* Private to the parser: load.c (reading the file, pre-scanning the text),
 * tree.c (walking and validating the libconfig tree) and diag.c (collecting
 * diagnostics). Not a contract for anything else. */
#ifndef UJ_CONFIG_INTERNAL_H
#define UJ_CONFIG_INTERNAL_H

#include <libconfig.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "config/config.h"

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
  int unquoted_line; /* first line with a value that needs quotes, or 0 */
};

/* diag.c: collects "PATH:LINE: message" (or "PATH: message" when line <= 0); an
 * allocation failure only sets x->oom, so callers never check. */
__attribute__((format(printf, 3, 4)))
void cfg_diag(struct pctx *x, int line, const char *fmt, ...);

/* diag.c: make room for one more element in a doubling array (first size
 * `first`); false when out of memory. */
bool cfg_grow(void **arr, size_t *cap, size_t n, size_t elem, size_t first);
/* diag.c: "PATH:LINE: <kind>message" ("PATH: ..." when line <= 0) as a
 * malloc'ed string, NULL when out of memory. kind: "" or "warning: ". */
char *cfg_diag_vformat(const char *path, int line, const char *kind, const char *fmt,
                       va_list ap);
/* diag.c: append msg to out, which then owns it (freed when that fails). */
void cfg_diags_push(struct uj_diags *out, char *msg);
/* diag.c: sort x's messages by line, hand them to out and free x's arrays.
 * -1 with err = the first message (or ENOMEM) when there was any. */
int cfg_finish(struct pctx *x, struct uj_diags *out, struct uj_err *err);

/* tree.c: walks a libconfig tree into a new config (defaults, exempt, rules). Every
 * problem goes through cfg_diag. Returns what was built, possibly partial or
 * NULL (x->oom then set); the caller frees it unless x ended up clean. */
struct uj_config *cfg_from_tree(struct pctx *x, config_setting_t *root);

/* settings.c: the settings value (defaults, deep copy, free). init and
 * copy return -1 when out of memory (copy leaves d freed). */
int cfg_settings_init(struct uj_settings *s);
int cfg_settings_copy(struct uj_settings *d, const struct uj_settings *s);
void cfg_settings_free(struct uj_settings *s);
void cfg_binds_free(struct uj_bind *b, size_t n);

#endif
