/* The configuration file up to the libconfig tree: read it safely, check the
 * raw text, hand it to libconfig, and collect every problem as
 * "FILE:LINE: message" so an admin can fix a broken file in one pass
 * (`userjail check-config`). Validating the tree is tree.c; diag.c collects the messages.
 *
 * Two things libconfig 1.5 (Debian 12) does that we must not let through:
 *  - `@include "file"` is processed by its lexer even in config_read_string,
 *    and this version has no include hook. An included file would escape the
 *    root-ownership check, so include lines are found (conservatively, by
 *    line) before libconfig sees the text, reported, and blanked out.
 *  - an integer literal that does not fit in 32 bits and has no L suffix is
 *    silently truncated ("memory = 5000000000" becomes 705032704). A small
 *    scanner reports such literals instead. */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libconfig.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "config/parse.h"
#include "util/text.h"

#define MAX_CONFIG_BYTES (1024 * 1024)

/* ---- text pre-scan (before libconfig sees it) ----------------------------- */

/* libconfig's lexer takes `^[ \t]*@include[ \t]+"` as an include. Anything
 * that starts a line with "@include" after blanks is refused and blanked (the
 * newline stays, so later line numbers are unchanged). This also catches
 * lines inside comments and strings: harmless over-reporting, never under. */
static void refuse_includes(struct pctx *x, char *t)
{
  int line = 1;

  for (char *p = t; *p;) {
    char *q = p;
    while (*q == ' ' || *q == '\t' || *q == '\r' || *q == '\f' || *q == '\v')
      q++;
    char *eol = strchr(p, '\n');
    if (!eol)
      eol = p + strlen(p);
    if (strncasecmp(q, "@include", 8) == 0) {
      cfg_diag(x, line, "@include is not allowed (included files would escape the ownership check)");
      memset(p, ' ', (size_t) (eol - p));
    }
    if (!*eol)
      break;
    p = eol + 1;
    line++;
  }
}

static const char *scan_number(struct pctx *x, const char *p, int line)
{
  const char *start = p;
  bool neg = false, hex = false, over = false;
  uint64_t v = 0;

  if (*p == '-' || *p == '+')
    neg = *p++ == '-';
  if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && isxdigit((unsigned char) p[2])) {
    hex = true;
    for (p += 2; isxdigit((unsigned char) *p); p++) {
      int d = isdigit((unsigned char) *p) ? *p - '0' : (tolower((unsigned char) *p) - 'a' + 10);
      if (v > (UINT64_MAX >> 4))
        over = true;
      v = (v << 4) | (uint64_t) d;
    }
  } else {
    for (; isdigit((unsigned char) *p); p++) {
      if (v > (UINT64_MAX - 9) / 10)
        over = true;
      v = v * 10 + (uint64_t) (*p - '0');
    }
    if (*p == '.' || *p == 'e' || *p == 'E') { /* a float: no truncation issue */
      /* *p first: strchr() also finds the terminating NUL, which would walk
       * past the end of the text ("cpu = 0.5" at the very end of a file). */
      while (*p && (isdigit((unsigned char) *p) || strchr(".eE+-", *p)))
        p++;
      return p;
    }
  }
  if (*p == 'L') { /* 64-bit literal: libconfig keeps it */
    while (*p == 'L')
      p++;
    return p;
  }
  /* a 32-bit literal: hex wraps above 0x7fffffff, decimal outside int range */
  if (over || (hex && v > 0x7fffffff) || (!hex && v > (neg ? 2147483648u : 2147483647u))) {
    cfg_diag(x, line, "integer %.*s is too large for a plain libconfig integer (it would be "
             "silently truncated); write a size such as \"4G\" or add an L suffix",
             (int) (p - start > 40 ? 40 : p - start), start);
    if (!cfg_grow((void **) &x->big, &x->cap_big, x->n_big, sizeof *x->big, 4)) {
      x->oom = true;
      return p;
    }
    /* what libconfig makes of it: strtoll-style saturation, then a wrap to
     * 32 bits (hex: the low 32 bits) */
    long long sat = hex ? (long long) v
                  : over || v > (uint64_t) LLONG_MAX ? (neg ? LLONG_MIN : LLONG_MAX)
                  : neg ? -(long long) v : (long long) v;
    x->big[x->n_big++] = (struct big){ .line = line, .val = (int32_t) (uint32_t) sat };
  }
  return p;
}

/* A value that needs quotes (a size like 1G, a word like linger): say so,
 * and remember the line, so the bare "syntax error" libconfig reports for
 * it is not repeated. */
static void unquoted(struct pctx *x, int line, const char *w, const char *end)
{
  int n = (int) (end - w > 40 ? 40 : end - w);

  cfg_diag(x, line, "value %.*s must be quoted: write \"%.*s\"", n, w, n, w);
  if (!x->unquoted_line)
    x->unquoted_line = line;
}

/* A lexer just precise enough to find integer literals outside strings,
 * comments and names, and values that need quotes. */
static void refuse_big_integers(struct pctx *x, const char *t)
{
  int line = 1;
  const char *p = t;
  bool after_assign = false, after_assign_list = false;

  while (*p) {
    unsigned char c = (unsigned char) *p;
    if (c == '\n') {
      line++;
      p++;
    } else if (c == '"') {
      after_assign = false;
      for (p++; *p && *p != '"'; p++) {
        if (*p == '\\' && p[1])
          p++;
        if (*p == '\n')
          line++;
      }
      if (*p)
        p++;
    } else if (c == '#' || (c == '/' && p[1] == '/')) {
      while (*p && *p != '\n')
        p++;
    } else if (c == '/' && p[1] == '*') {
      for (p += 2; *p && !(p[0] == '*' && p[1] == '/'); p++)
        if (*p == '\n')
          line++;
      if (*p)
        p += 2;
    } else if (isalpha(c) || c == '*') {
      const char *w = p;
      while (isalnum((unsigned char) *p) || *p == '-' || *p == '_' || *p == '*')
        p++;
      /* a bare word where a value goes: libconfig only says "syntax error" */
      if (after_assign && !(p - w == 4 && strncasecmp(w, "true", 4) == 0) &&
          !(p - w == 5 && strncasecmp(w, "false", 5) == 0))
        unquoted(x, line, w, p);
      after_assign = false;
    } else if (isdigit(c) || ((c == '-' || c == '+') && isdigit((unsigned char) p[1]))) {
      const char *w = p;
      p = scan_number(x, p, line);
      /* a size without quotes ("memory = 1G;") */
      if (isalpha((unsigned char) *p)) {
        while (isalnum((unsigned char) *p) || *p == '.')
          p++;
        unquoted(x, line, w, p);
      }
      after_assign = false;
    } else {
      if (!isspace(c))
        after_assign = c == '=' || c == ':' || c == '[' || c == '(' ||
                       (c == ',' && after_assign_list);
      if (c == '[' || c == '(')
        after_assign_list = true;
      else if (c == ']' || c == ')' || c == '{' || c == '}' || c == ';')
        after_assign_list = false;
      p++;
    }
  }
}

/* ---- entry points ----------------------------------------------------------- */

int uj_config_parse_string(const char *text, const char *path, struct uj_config **out,
                           struct uj_diags *diags, struct uj_err *err)
{
  struct pctx x = { .path = path ? path : "(config)" };
  cleanup_free char *buf = NULL;
  struct uj_config *c = NULL;
  config_t cfg;

  *out = NULL;
  if (!text)
    return uj_err_set(err, EINVAL, "%s", x.path);
  buf = strdup(text);
  if (!buf)
    return uj_err_set(err, ENOMEM, "%s", x.path);

  refuse_includes(&x, buf);
  refuse_big_integers(&x, buf);

  config_init(&cfg);
  if (!config_read_string(&cfg, buf)) {
    const char *t = config_error_text(&cfg);
    /* already explained by the pre-scan (a value without quotes) */
    if (config_error_line(&cfg) == x.unquoted_line)
      ;
    /* libconfig's generic text is itself "syntax error" */
    else if (!t || strcmp(t, "syntax error") == 0)
      cfg_diag(&x, config_error_line(&cfg), "syntax error");
    else
      cfg_diag(&x, config_error_line(&cfg), "syntax error: %s", t);
  } else {
    c = cfg_from_tree(&x, config_root_setting(&cfg));
  }
  config_destroy(&cfg);

  if (cfg_finish(&x, diags, err) < 0) {
    uj_config_free(c);
    return -1;
  }
  c->hash = uj_text_hash(text, strlen(text));
  *out = c;
  return 0;
}

/* Records a load problem both in err (if it is the first) and in diags, so
 * `check-config` prints it like any other problem. */
static void load_problem(struct uj_diags *diags, struct uj_err *err, bool *first, int errnum,
                         const char *path, const char *what)
{
  struct uj_err e;
  char *msg;

  if (what)
    uj_err_set(&e, errnum, "%s: %s", path, what);
  else
    uj_err_set(&e, errnum, "%s", path);
  if (*first && err)
    *err = e;
  *first = false;
  if (diags && (msg = strdup(e.msg)))
    cfg_diags_push(diags, msg);
}

int uj_config_read(const char *path, char **text, size_t *len_out, struct uj_diags *diags,
                   struct uj_err *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct stat st;
  bool first = true;
  size_t len = 0;

  *text = NULL;
  *len_out = 0;
  /* O_NONBLOCK: a FIFO planted at the path must not hang the login */
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
  if (fd < 0) {
    load_problem(diags, err, &first, errno, path, NULL);
    return -1;
  }
  /* judge the file we actually opened, not whatever the path names now */
  if (fstat(fd, &st) < 0) {
    load_problem(diags, err, &first, errno, path, NULL);
    return -1;
  }
  if (!S_ISREG(st.st_mode)) {
    load_problem(diags, err, &first, 0, path, "not a regular file");
    return -1;
  }
  if (st.st_uid != 0)
    load_problem(diags, err, &first, 0, path, "must be owned by root");
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    load_problem(diags, err, &first, 0, path, "must not be writable by group or others");
  if (st.st_size > MAX_CONFIG_BYTES)
    load_problem(diags, err, &first, 0, path, "too large (over 1 MiB)");
  if (!first)
    return -1;

  buf = malloc(MAX_CONFIG_BYTES + 2);
  if (!buf) {
    load_problem(diags, err, &first, ENOMEM, path, NULL);
    return -1;
  }
  for (;;) {
    ssize_t r = read(fd, buf + len, MAX_CONFIG_BYTES + 1 - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      load_problem(diags, err, &first, errno, path, "read");
      return -1;
    }
    if (r == 0)
      break;
    len += (size_t) r;
    if (len > MAX_CONFIG_BYTES) {
      load_problem(diags, err, &first, 0, path, "too large (over 1 MiB)");
      return -1;
    }
  }
  buf[len] = '\0';
  if (memchr(buf, '\0', len)) {
    load_problem(diags, err, &first, 0, path, "contains a NUL byte (not a text file)");
    return -1;
  }
  *text = steal_pointer(&buf);
  *len_out = len;
  return 0;
}

int uj_config_load(const char *path, struct uj_config **out, struct uj_diags *diags,
                   struct uj_err *err)
{
  cleanup_free char *text = NULL;
  size_t len;

  *out = NULL;
  if (uj_config_read(path, &text, &len, diags, err) < 0)
    return -1;
  return uj_config_parse_string(text, path, out, diags, err);
}
