/* The configuration as libconfig hands it over: walk the tree, validate
 * every value, and build struct uj_config (top-level defaults, exempt list,
 * rules that start as copies of the defaults). Every problem is reported
 * through cfg_diag with its line, and walking goes on, so one run lists all
 * of them. Reading the file and checking the raw text before libconfig sees
 * it is config_load.c; matching users against the result is policy.c. */
#include "config/config.h"

#include <ctype.h>
#include <libconfig.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/parse.h"
#include "util/filterlist.h"
#include "util/text.h"

#define PIDS_LIMIT 4194304 /* PID_MAX_LIMIT: the largest pids.max the kernel takes */
#define CPU_MIN 0.05
#define CPU_MAX 1024.0
#define PIDS_RANGE "an integer from 1 to 4194304, or \"unlimited\""
#define CPU_RANGE "a number from 0.05 to 1024, or \"unlimited\""
#define DANGEROUS_LIST "(/, /proc, /sys, /dev)"
#define SIZE_HELP "(a whole number with an optional K, M, G or T suffix, e.g. \"512M\")"
#define PATTERN_HELP "(use NAME, @GROUP or uid:LOW-HIGH)"

static int lineof(const config_setting_t *st)
{
  return (int) config_setting_source_line(st);
}

/* Config values quoted in messages go to terminals and syslog: show control
 * characters escaped and cut very long values. */
static const char *shown(const char *v, char *buf, size_t len)
{
  size_t o = 0;

  for (; *v && o + 8 < len; v++) {
    unsigned char c = (unsigned char) *v;
    if (c < 0x20 || c == 0x7f || c == '\\')
      o += (size_t) snprintf(buf + o, len - o, "\\x%02x", c);
    else
      buf[o++] = (char) c;
  }
  if (*v)
    memcpy(buf + o, "...", 4);
  else
    buf[o] = '\0';
  return buf;
}
#define SHOW(v) shown((v), (char[160]){ 0 }, 160)

#define SETTING_KEYS "hostname", "tmp_size", "limits", "on_logout", "on_error", "network", \
                     "network_allow_host_ports", "pasta", \
                     "rootfs", "upper", "upper_size", "binds", "seccomp", "seccomp_allow", \
                     "userns", "notice", "lxcfs"
static const char *const limit_keys[] = { "memory", "pids", "cpu" };
static const char *const bind_keys[] = { "source", "destination", "mode", "optional" };
static const char *const rule_keys[] = { "match", SETTING_KEYS };
static const char *const top_keys[] = { "exempt", "rules", "quick_join", SETTING_KEYS };
#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* "unknown key 'memroy' in limits (did you mean 'memory'?)" */
static void unknown_key(struct pctx *x, int line, const char *name, const char *where,
                        const char *const *keys, size_t n)
{
  const char *near = uj_near_miss(name, keys, n);
  char hint[64] = "";

  if (near)
    snprintf(hint, sizeof hint, " (did you mean '%s'?)", near);
  cfg_diag(x, line, "unknown key '%s'%s%s", name, where, hint);
}

/* Was this setting's value a literal already reported as too large? Then a
 * second message about the truncated value would only confuse. */
static bool big_reported(const struct pctx *x, const config_setting_t *st)
{
  for (size_t i = 0; i < x->n_big; i++)
    if (x->big[i].line == lineof(st) && x->big[i].val == config_setting_get_int64(st))
      return true;
  return false;
}


static void strv_free(char **v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free(v[i]);
  free(v);
}

void uj_config_free(struct uj_config *c)
{
  if (!c)
    return;
  free(c->path);
  cfg_settings_free(&c->defaults);
  strv_free(c->exempt, c->n_exempt);
  for (size_t i = 0; i < c->n_rules; i++) {
    strv_free(c->rules[i].match, c->rules[i].n_match);
    cfg_settings_free(&c->rules[i].s);
  }
  free(c->rules);
  free(c);
}


/* ---- typed getters --------------------------------------------------------- */

static const char *get_string(struct pctx *x, config_setting_t *st, const char *key)
{
  if (config_setting_type(st) != CONFIG_TYPE_STRING) {
    cfg_diag(x, lineof(st), "%s must be a string", key);
    return NULL;
  }
  return config_setting_get_string(st);
}

static bool is_int(const config_setting_t *st)
{
  int t = config_setting_type(st);
  return t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64;
}

static bool set_str(struct pctx *x, char **dst, const char *v)
{
  char *n = strdup(v);
  if (!n) {
    x->oom = true;
    return false;
  }
  free(*dst);
  *dst = n;
  return true;
}

/* A size: "64M"-style string or a plain byte count; "unlimited" -> 0 when
 * the key allows it. */
static void get_size(struct pctx *x, config_setting_t *st, const char *key, bool unlimited,
                     uint64_t *out)
{
  if (config_setting_type(st) == CONFIG_TYPE_STRING) {
    const char *v = config_setting_get_string(st);
    char fix[32];
    if (unlimited && strcmp(v, "unlimited") == 0)
      *out = 0;
    else if (uj_parse_size(v, out) == 0)
      return;
    else if (uj_size_suggest(v, fix, sizeof fix) == 0)
      cfg_diag(x, lineof(st), "bad size '%s' for %s: sizes are whole numbers, write \"%s\"",
               SHOW(v), key, fix);
    else
      cfg_diag(x, lineof(st), "bad size '%s' for %s " SIZE_HELP, SHOW(v), key);
  } else if (is_int(st)) {
    long long v = config_setting_get_int64(st);
    if (big_reported(x, st))
      return;
    if (v <= 0)
      cfg_diag(x, lineof(st), "bad size '%lld' for %s " SIZE_HELP, v, key);
    else
      *out = (uint64_t) v;
  } else {
    cfg_diag(x, lineof(st), "%s must be a size such as \"256M\"%s", key,
             unlimited ? " or \"unlimited\"" : "");
  }
}

/* `binds` and `rules` take a list of groups; an empty one may also be
 * written as an array, `()` and `[]` alike. */
static bool is_group_list(const config_setting_t *st)
{
  int t = config_setting_type(st);
  return t == CONFIG_TYPE_LIST || (t == CONFIG_TYPE_ARRAY && config_setting_length(st) == 0);
}

struct enum_val {
  const char *name;
  int val;
};

static void get_enum(struct pctx *x, config_setting_t *st, const char *key,
                     const struct enum_val *vals, size_t n, int *out)
{
  const char *v = get_string(x, st, key);
  const char *names[8];
  char allowed[128] = "";

  if (!v)
    return;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(v, vals[i].name) == 0) {
      *out = vals[i].val;
      return;
    }
    if (i < 8)
      names[i] = vals[i].name;
    snprintf(allowed + strlen(allowed), sizeof allowed - strlen(allowed), "%s%s",
             i ? ", " : "", vals[i].name);
  }
  const char *near = uj_near_miss(v, names, n < 8 ? n : 8);
  if (near)
    cfg_diag(x, lineof(st), "bad value '%s' for %s (allowed: %s; did you mean '%s'?)", SHOW(v),
             key, allowed, near);
  else
    cfg_diag(x, lineof(st), "bad value '%s' for %s (allowed: %s)", SHOW(v), key, allowed);
}
#define GET_ENUM(x, st, key, vals, field)                                           \
  do {                                                                              \
    int v_ = (int) (field);                                                         \
    get_enum((x), (st), (key), (vals), sizeof(vals) / sizeof((vals)[0]), &v_);      \
    (field) = v_;                                                                   \
  } while (0)

static const struct enum_val logout_vals[] = { { "kill", UJ_LOGOUT_KILL },
                                               { "linger", UJ_LOGOUT_LINGER } };
static const struct enum_val onerr_vals[] = { { "deny", UJ_ONERR_DENY },
                                              { "allow", UJ_ONERR_ALLOW } };
static const struct enum_val net_vals[] = { { "host", UJ_NET_HOST },
                                            { "none", UJ_NET_NONE },
                                            { "private", UJ_NET_PRIVATE } };
static const struct enum_val upper_vals[] = { { "ephemeral", UJ_UPPER_EPHEMERAL },
                                              { "persistent", UJ_UPPER_PERSISTENT } };
static const struct enum_val mode_vals[] = { { "ro", false }, { "rw", true } };

/* ---- individual settings --------------------------------------------------- */

/* Host paths we mount (rootfs, bind source and destination) must be clean
 * and absolute, and not one of the kernel's own trees. `alt` names what else
 * the key accepts, for the message. */
static bool path_ok(struct pctx *x, config_setting_t *st, const char *what, const char *alt,
                    const char *v)
{
  if (!uj_path_is_clean(v))
    cfg_diag(x, lineof(st), "%s '%s' must be %san absolute path without '.', '..', '//' or a "
             "trailing '/'", what, SHOW(v), alt);
  else if (uj_path_is_dangerous(v))
    cfg_diag(x, lineof(st), "%s '%s' is not allowed " DANGEROUS_LIST, what, SHOW(v));
  else
    return true;
  return false;
}

static void parse_hostname(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  const char *v = get_string(x, st, "hostname");
  char out[256];

  if (!v)
    return;
  for (const char *p = v; *p; p++) {
    if (*p != '%')
      continue;
    if (p[1] != 'u' && p[1] != 'U' && p[1] != '%') {
      if (p[1])
        cfg_diag(x, lineof(st), "hostname pattern '%s' has unknown escape '%%%c' (allowed: %%u, %%U, %%%%)",
                 SHOW(v), isprint((unsigned char) p[1]) ? p[1] : '?');
      else
        cfg_diag(x, lineof(st), "hostname pattern '%s' ends in a lone '%%' (write %%%% for a percent)",
                 SHOW(v));
      return;
    }
    p++;
  }
  /* A typical user: the pattern must at least work for a plain name. Names
   * that cannot be part of a hostname ("a_b") are the jail builder's case. */
  if (uj_expand_pattern(v, "user", 1000, out, sizeof out) < 0 || !uj_valid_hostname(out)) {
    cfg_diag(x, lineof(st), "hostname pattern '%s' cannot yield a valid hostname (letters, digits, "
             "'-' and '.', at most 64 characters)", SHOW(v));
    return;
  }
  set_str(x, &s->hostname, v);
}

static void parse_rootfs(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  const char *v = get_string(x, st, "rootfs");

  if (!v)
    return;
  if (strcmp(v, "host") == 0) {
    free(s->rootfs);
    s->rootfs = NULL;
  } else if (path_ok(x, st, "rootfs", "\"host\" or ", v)) {
    set_str(x, &s->rootfs, v);
  }
}

/* Where LXCFS is mounted on the host, or "none". Whether it actually runs
 * there is looked at when a jail is built (it may start later). */
static void parse_lxcfs(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  const char *v = get_string(x, st, "lxcfs");

  if (!v)
    return;
  if (strcmp(v, "none") == 0) {
    free(s->lxcfs);
    s->lxcfs = NULL;
  } else if (path_ok(x, st, "lxcfs", "\"none\" or ", v)) {
    set_str(x, &s->lxcfs, v);
  }
}

/* A number within [min, max], or "unlimited" (stored as 0). */
static bool get_number(struct pctx *x, config_setting_t *e, const char *key, bool integer,
                       double min, double max, const char *range, double *out)
{
  int t = config_setting_type(e);
  char v[64];

  if (t == CONFIG_TYPE_STRING) {
    const char *str = config_setting_get_string(e);
    char *end;
    double n;
    if (strcmp(str, "unlimited") == 0) {
      *out = 0;
      return true;
    }
    snprintf(v, sizeof v, "%s", SHOW(str));
    /* a number in quotes, or a percentage: say what to write instead */
    n = strtod(str, &end);
    if (end != str && !*end && n >= min && n <= max && (!integer || n == (long long) n)) {
      cfg_diag(x, lineof(e), "%s must be a number, not a string: write %s = %s; (without quotes)",
               key, key, v);
      return false;
    }
    if (!integer && end != str && end[0] == '%' && !end[1] && n / 100 >= min && n / 100 <= max) {
      cfg_diag(x, lineof(e), "bad value '%s' for %s: cpu is a fraction of one CPU, write "
               "%s = %g;", v, key, key, n / 100);
      return false;
    }
  } else if (is_int(e)) {
    long long n = config_setting_get_int64(e);
    if (big_reported(x, e))
      return false;
    if (n >= min && n <= max) {
      *out = (double) n;
      return true;
    }
    snprintf(v, sizeof v, "%lld", n);
  } else if (t == CONFIG_TYPE_FLOAT && !integer) {
    double f = config_setting_get_float(e);
    if (f >= min && f <= max) {
      *out = f;
      return true;
    }
    snprintf(v, sizeof v, "%g", f);
  } else {
    cfg_diag(x, lineof(e), "%s must be %s", key, range);
    return false;
  }
  cfg_diag(x, lineof(e), "bad value '%s' for %s (%s)", v, key, range);
  return false;
}

static void parse_limits(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  if (config_setting_type(st) != CONFIG_TYPE_GROUP) {
    cfg_diag(x, lineof(st), "limits must be a group, e.g. { pids = 512; memory = \"1G\"; cpu = 1.0; }");
    return;
  }
  for (int i = 0; i < config_setting_length(st); i++) {
    config_setting_t *e = config_setting_get_elem(st, (unsigned) i);
    const char *name = config_setting_name(e);
    int line = lineof(e);
    double v;

    if (strcmp(name, "memory") == 0) {
      get_size(x, e, "memory", true, &s->memory_max);
    } else if (strcmp(name, "pids") == 0) {
      if (get_number(x, e, "pids", true, 1, PIDS_LIMIT, PIDS_RANGE, &v))
        s->pids_max = (uint64_t) v;
    } else if (strcmp(name, "cpu") == 0) {
      if (get_number(x, e, "cpu", false, CPU_MIN, CPU_MAX, CPU_RANGE, &v))
        s->cpu = v;
    } else {
      unknown_key(x, line, name, " in limits", limit_keys, NKEYS(limit_keys));
    }
  }
}

/* network_allow_host_ports = [ 5432, 6379 ]: always replaces the list. */
static void parse_host_ports(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  int t = config_setting_type(st), n = config_setting_length(st);
  uint16_t ports[UJ_MAX_HOST_PORTS];
  size_t np = 0;
  bool bad = false;

  if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
    cfg_diag(x, lineof(st), "network_allow_host_ports must be a list of TCP ports, e.g. [ 5432 ]");
    return;
  }
  if (n > UJ_MAX_HOST_PORTS) {
    cfg_diag(x, lineof(st), "network_allow_host_ports has %d ports (at most %d)", n,
             UJ_MAX_HOST_PORTS);
    return;
  }
  for (int i = 0; i < n; i++) {
    config_setting_t *e = config_setting_get_elem(st, (unsigned) i);
    long long v = is_int(e) ? config_setting_get_int64(e) : 0;
    if (!is_int(e))
      cfg_diag(x, lineof(e), "network_allow_host_ports entries must be port numbers (1-65535)");
    else if (v < 1 || v > 65535)
      cfg_diag(x, lineof(e), "bad port '%lld' in network_allow_host_ports (1-65535)", v);
    else
      ports[np++] = (uint16_t) v;
    bad |= np != (size_t) i + 1;
  }
  if (bad)
    return;
  memcpy(s->host_ports, ports, np * sizeof ports[0]);
  s->n_host_ports = np;
}

/* pasta is exec'd as root by the monitor: only an absolute, clean path. */
static void parse_pasta(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  const char *v = get_string(x, st, "pasta");
  if (v && path_ok(x, st, "pasta", "", v))
    set_str(x, &s->pasta, v);
}

static void parse_bind_path(struct pctx *x, config_setting_t *st, const char *what, char **dst)
{
  const char *v = get_string(x, st, what);
  if (v && path_ok(x, st, what, "", v))
    set_str(x, dst, v);
}

static void parse_one_bind(struct pctx *x, config_setting_t *g, struct uj_bind *b)
{
  config_setting_t *src = NULL;

  b->line = lineof(g);
  for (int i = 0; i < config_setting_length(g); i++) {
    config_setting_t *e = config_setting_get_elem(g, (unsigned) i);
    const char *name = config_setting_name(e);

    if (strcmp(name, "source") == 0) {
      src = e;
      parse_bind_path(x, e, "bind source", &b->source);
    } else if (strcmp(name, "destination") == 0) {
      parse_bind_path(x, e, "bind destination", &b->dest);
    } else if (strcmp(name, "mode") == 0) {
      GET_ENUM(x, e, "mode", mode_vals, b->rw);
    } else if (strcmp(name, "optional") == 0) {
      if (config_setting_type(e) == CONFIG_TYPE_BOOL)
        b->optional = config_setting_get_bool(e);
      else
        cfg_diag(x, lineof(e), "optional must be true or false");
    } else {
      unknown_key(x, lineof(e), name, " in bind", bind_keys, NKEYS(bind_keys));
    }
  }
  if (!src)
    cfg_diag(x, b->line, "bind has no source");
  if (b->source && !b->dest && !(b->dest = strdup(b->source)))
    x->oom = true;
}

/* `binds` always replaces the list it is applied to (in a rule: the default
 * list), so a rule can also remove all binds with `binds = ();`. */
static void parse_binds(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  int n = config_setting_length(st);
  struct uj_bind *binds;
  size_t nb = 0;
  bool bad = false;

  if (!is_group_list(st)) {
    cfg_diag(x, lineof(st), "binds must be a list of groups, e.g. ( { source = \"/srv/shared\"; } )");
    return;
  }
  binds = calloc((size_t) n + 1, sizeof *binds);
  if (!binds) {
    x->oom = true;
    return;
  }
  for (int i = 0; i < n; i++) {
    config_setting_t *g = config_setting_get_elem(st, (unsigned) i);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
      cfg_diag(x, lineof(g), "each bind must be a group, e.g. { source = \"/srv/shared\"; mode = \"rw\"; }");
      bad = true;
      continue;
    }
    struct uj_bind *b = &binds[nb++];
    parse_one_bind(x, g, b);
    if (!b->source || !b->dest) {
      bad = true;
      continue;
    }
    for (size_t j = 0; j + 1 < nb; j++) {
      if (binds[j].dest && strcmp(binds[j].dest, b->dest) == 0) {
        cfg_diag(x, b->line, "bind destination '%s' is already used by the bind on line %d",
                 SHOW(b->dest), binds[j].line);
        bad = true;
        break;
      }
    }
  }
  if (bad) {
    cfg_binds_free(binds, nb);
    return;
  }
  cfg_binds_free(s->binds, s->n_binds);
  if (nb == 0) { /* "no binds" always looks the same: NULL, 0 */
    free(binds);
    binds = NULL;
  }
  s->binds = binds;
  s->n_binds = nb;
}

/* upper_size: "unlimited" (default) or a size of at least 16M (mke2fs and
 * the journal need room). */
static void parse_upper_size(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  uint64_t v = s->upper_size;

  get_size(x, st, "upper_size", true, &v);
  if (v && v < (16u << 20))
    cfg_diag(x, lineof(st), "upper_size must be at least 16M (or \"unlimited\")");
  else
    s->upper_size = v;
}

static void get_bool(struct pctx *x, config_setting_t *st, const char *key, bool *out)
{
  if (config_setting_type(st) == CONFIG_TYPE_BOOL)
    *out = config_setting_get_bool(st);
  else
    cfg_diag(x, lineof(st), "%s must be true or false", key);
}

/* `seccomp_allow = [ "perf_event_open", "TIOCSTI" ]`: entries of the default
 * filter this rule lets through. Only names the filter refuses are
 * accepted, so a typo cannot look like a working exception. */
static void parse_seccomp_allow(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  int t = config_setting_type(st);
  uint32_t mask = 0;

  if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
    cfg_diag(x, lineof(st), "seccomp_allow must be a list of names, e.g. [ \"perf_event_open\" ]");
    return;
  }
  for (int i = 0; i < config_setting_length(st); i++) {
    config_setting_t *e = config_setting_get_elem(st, (unsigned) i);
    const char *v = config_setting_type(e) == CONFIG_TYPE_STRING ? config_setting_get_string(e) : NULL;
    int k = v ? uj_filter_index(v) : -1;
    if (k < 0) {
      cfg_diag(x, lineof(e), "seccomp_allow: '%s' is not refused by the filter (see userjail.conf(5) "
               "for the list)", v ? SHOW(v) : "(not a string)");
      continue;
    }
    mask |= 1u << k;
  }
  s->seccomp_allow = mask;
}

/* Returns false when `st` is not a settings key (the caller reports it). */
static bool parse_setting(struct pctx *x, config_setting_t *st, struct uj_settings *s)
{
  const char *name = config_setting_name(st);

  if (strcmp(name, "hostname") == 0)
    parse_hostname(x, st, s);
  else if (strcmp(name, "tmp_size") == 0)
    get_size(x, st, "tmp_size", false, &s->tmp_size);
  else if (strcmp(name, "limits") == 0)
    parse_limits(x, st, s);
  else if (strcmp(name, "on_logout") == 0)
    GET_ENUM(x, st, "on_logout", logout_vals, s->on_logout);
  else if (strcmp(name, "on_error") == 0)
    GET_ENUM(x, st, "on_error", onerr_vals, s->on_error);
  else if (strcmp(name, "network") == 0)
    GET_ENUM(x, st, "network", net_vals, s->network);
  else if (strcmp(name, "network_allow_host_ports") == 0)
    parse_host_ports(x, st, s);
  else if (strcmp(name, "pasta") == 0)
    parse_pasta(x, st, s);
  else if (strcmp(name, "rootfs") == 0)
    parse_rootfs(x, st, s);
  else if (strcmp(name, "upper") == 0)
    GET_ENUM(x, st, "upper", upper_vals, s->upper);
  else if (strcmp(name, "binds") == 0)
    parse_binds(x, st, s);
  else if (strcmp(name, "upper_size") == 0)
    parse_upper_size(x, st, s);
  else if (strcmp(name, "seccomp") == 0)
    get_bool(x, st, "seccomp", &s->seccomp);
  else if (strcmp(name, "seccomp_allow") == 0)
    parse_seccomp_allow(x, st, s);
  else if (strcmp(name, "userns") == 0)
    get_bool(x, st, "userns", &s->userns);
  else if (strcmp(name, "notice") == 0)
    get_bool(x, st, "notice", &s->notice);
  else if (strcmp(name, "lxcfs") == 0)
    parse_lxcfs(x, st, s);
  else
    return false;
  return true;
}

/* ---- patterns, rules, top level -------------------------------------------- */

static bool pattern_ok(const char *p)
{
  uid_t lo, hi;

  if (strncmp(p, "uid:", 4) == 0)
    return uj_parse_uid_range(p + 4, &lo, &hi) == 0;
  if (p[0] == '@')
    return uj_valid_username(p + 1); /* group names follow the same rules */
  return uj_valid_username(p);
}

static void parse_patterns(struct pctx *x, config_setting_t *st, const char *key, char ***out,
                           size_t *n_out)
{
  int t = config_setting_type(st), n = config_setting_length(st);
  char **v;
  size_t nv = 0;

  if (t != CONFIG_TYPE_ARRAY && t != CONFIG_TYPE_LIST) {
    cfg_diag(x, lineof(st), "%s must be a list of patterns, e.g. [ \"alice\", \"@jailed\", "
             "\"uid:2000-2999\" ]", key);
    return;
  }
  v = calloc((size_t) n + 1, sizeof *v);
  if (!v) {
    x->oom = true;
    return;
  }
  for (int i = 0; i < n; i++) {
    config_setting_t *e = config_setting_get_elem(st, (unsigned) i);
    if (config_setting_type(e) != CONFIG_TYPE_STRING) {
      cfg_diag(x, lineof(e), "%s patterns must be strings " PATTERN_HELP, key);
      continue;
    }
    const char *p = config_setting_get_string(e);
    if (!pattern_ok(p)) {
      cfg_diag(x, lineof(e), "bad %s pattern '%s' " PATTERN_HELP, key, SHOW(p));
      continue;
    }
    if (!(v[nv] = strdup(p))) {
      x->oom = true;
      break;
    }
    nv++;
  }
  strv_free(*out, *n_out);
  *out = v;
  *n_out = nv;
}

static void parse_rule(struct pctx *x, config_setting_t *g, struct uj_rule *r)
{
  config_setting_t *match = NULL;

  r->line = lineof(g);
  for (int i = 0; i < config_setting_length(g); i++) {
    config_setting_t *e = config_setting_get_elem(g, (unsigned) i);
    const char *name = config_setting_name(e);

    if (strcmp(name, "match") == 0) {
      match = e;
      parse_patterns(x, e, "match", &r->match, &r->n_match);
    } else if (strcmp(name, "exempt") == 0 || strcmp(name, "rules") == 0 ||
               strcmp(name, "quick_join") == 0) {
      cfg_diag(x, lineof(e), "%s is only allowed at the top level, not in a rule", name);
    } else if (!parse_setting(x, e, &r->s)) {
      unknown_key(x, lineof(e), name, " in rule", rule_keys, NKEYS(rule_keys));
    }
  }
  if (!match)
    cfg_diag(x, r->line, "rule has no match list");
  else if (config_setting_is_aggregate(match) && config_setting_length(match) == 0)
    cfg_diag(x, lineof(match), "rule has an empty match list");
}

static void parse_rules(struct pctx *x, config_setting_t *st, struct uj_config *c)
{
  int n = config_setting_length(st);

  if (!is_group_list(st)) {
    cfg_diag(x, lineof(st), "rules must be a list of groups, e.g. ( { match = [ \"@jailed\" ]; } )");
    return;
  }
  c->rules = calloc((size_t) n + 1, sizeof *c->rules);
  if (!c->rules) {
    x->oom = true;
    return;
  }
  for (int i = 0; i < n; i++) {
    config_setting_t *g = config_setting_get_elem(st, (unsigned) i);
    if (config_setting_type(g) != CONFIG_TYPE_GROUP) {
      cfg_diag(x, lineof(g), "each rule must be a group, e.g. { match = [ \"@jailed\" ]; }");
      continue;
    }
    struct uj_rule *r = &c->rules[c->n_rules];
    /* every rule starts as a full copy of the (already parsed) defaults */
    if (cfg_settings_copy(&r->s, &c->defaults) < 0) {
      x->oom = true;
      return;
    }
    c->n_rules++;
    parse_rule(x, g, r);
  }
}

/* quick_join: seconds (jail/quick.c). A plain integer only: "unlimited"
 * or a string would leave unclear whether 0 means off or forever. */
static void parse_quick_join(struct pctx *x, config_setting_t *e, struct uj_config *c)
{
  if (is_int(e) && !big_reported(x, e)) {
    long long n = config_setting_get_int64(e);
    if (n >= 0 && n <= UJ_QUICK_JOIN_MAX_S) {
      c->quick_join_s = (uint32_t) n;
      return;
    }
  }
  cfg_diag(x, lineof(e), "quick_join must be a whole number of seconds from 0 (off) to %d, "
           "e.g. quick_join = %d;", UJ_QUICK_JOIN_MAX_S, UJ_QUICK_JOIN_DEFAULT_S);
}

static void parse_root(struct pctx *x, config_setting_t *root, struct uj_config *c)
{
  config_setting_t *rules = NULL;

  /* defaults first, wherever they appear in the file: rules copy them */
  for (int i = 0; i < config_setting_length(root); i++) {
    config_setting_t *e = config_setting_get_elem(root, (unsigned) i);
    const char *name = config_setting_name(e);

    if (strcmp(name, "rules") == 0)
      rules = e;
    else if (strcmp(name, "exempt") == 0) {
      c->exempt_line = lineof(e);
      parse_patterns(x, e, "exempt", &c->exempt, &c->n_exempt);
    }
    else if (strcmp(name, "quick_join") == 0)
      parse_quick_join(x, e, c);
    else if (strcmp(name, "match") == 0)
      cfg_diag(x, lineof(e), "match is only allowed inside a rule");
    else if (!parse_setting(x, e, &c->defaults))
      unknown_key(x, lineof(e), name, "", top_keys, NKEYS(top_keys));
  }
  if (rules)
    parse_rules(x, rules, c);
}

/* ---- entry point (for config_load.c) ------------------------------------- */

struct uj_config *cfg_from_tree(struct pctx *x, config_setting_t *root)
{
  struct uj_config *c = calloc(1, sizeof *c);

  if (c)
    c->quick_join_s = UJ_QUICK_JOIN_DEFAULT_S;
  if (!c || !(c->path = strdup(x->path)) || cfg_settings_init(&c->defaults) < 0)
    x->oom = true;
  else
    parse_root(x, root, c);
  return c;
}
