/* Warnings for `userjail check-config`: things that are valid but almost
 * certainly not what the admin meant. They look at the system (NSS, the
 * host's files) as it is now, so they are advice, never a reason to refuse
 * a config at login:
 *   - a match pattern no user can reach (an earlier rule or exempt takes
 *     it first), and a rule none of whose patterns can;
 *   - a user or group name that does not exist;
 *   - a bind source that does not exist (the jail would fail to start);
 *   - a bind destination under a read-only host directory that does not
 *     exist on the host (rootfs "host": it cannot be created there);
 *   - network = "private" with a pasta that cannot be executed. */
#include "config/config.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/parse.h"
#include "util/text.h"

/* The host directories a rootfs = "host" jail binds read-only (as
 * helper/jail/mounts.c host_dirs). */
static const char *const ro_host_dirs[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32",
                                            "/lib64", "/libx32", "/etc", "/opt" };

__attribute__((format(printf, 4, 5)))
static void warn(struct uj_diags *w, const struct uj_config *c, int line, const char *fmt, ...)
{
  va_list ap;
  char *msg;

  va_start(ap, fmt);
  msg = cfg_diag_vformat(c->path, line, "warning: ", fmt, ap);
  va_end(ap);
  if (msg)
    cfg_diags_push(w, msg); /* a lost warning beats a failed check */
}

/* Does `earlier` match every user that `p` matches? Exact repeats, uid
 * ranges inside uid ranges, and a named user whom `earlier` matches now
 * (looked up: uid and groups). */
static bool covers(const char *earlier, const char *p)
{
  uid_t lo1, hi1, lo2, hi2;

  if (strcmp(earlier, p) == 0)
    return true;
  if (strncmp(earlier, "uid:", 4) == 0 && strncmp(p, "uid:", 4) == 0 &&
      uj_parse_uid_range(earlier + 4, &lo1, &hi1) == 0 &&
      uj_parse_uid_range(p + 4, &lo2, &hi2) == 0)
    return lo1 <= lo2 && hi2 <= hi1;
  if (p[0] == '@' || strncmp(p, "uid:", 4) == 0)
    return false;
  struct passwd *pw = getpwnam(p);
  if (!pw)
    return false;
  /* as at login: only the group the earlier pattern names is looked up */
  const char *names[1];
  struct uj_user u = { .name = p, .uid = pw->pw_uid, .gid = pw->pw_gid, .groups = names };
  if (earlier[0] == '@') {
    struct group *g = getgrnam(earlier + 1);
    gid_t gids[1024];
    int ng = 1024;
    if (!g || getgrouplist(p, pw->pw_gid, gids, &ng) < 0)
      return false;
    for (int i = 0; i < ng; i++)
      if (gids[i] == g->gr_gid) {
        names[0] = earlier + 1;
        u.n_groups = 1;
      }
  }
  return uj_pattern_matches(earlier, &u);
}

static void check_names(struct uj_diags *w, const struct uj_config *c, char *const *pats,
                        size_t n, int line, const char *where)
{
  for (size_t i = 0; i < n; i++) {
    const char *p = pats[i];
    if (strncmp(p, "uid:", 4) == 0)
      continue;
    errno = 0;
    if (p[0] == '@' && !getgrnam(p + 1))
      warn(w, c, line, "group '%s' in %s does not exist", p + 1, where);
    else if (p[0] != '@' && !getpwnam(p))
      warn(w, c, line, "user '%s' in %s does not exist", p, where);
  }
}

static void check_shadowed(struct uj_diags *w, const struct uj_config *c)
{
  for (size_t r = 0; r < c->n_rules; r++) {
    const struct uj_rule *rule = &c->rules[r];
    size_t dead = 0;
    for (size_t i = 0; i < rule->n_match; i++) {
      const char *p = rule->match[i];
      bool found = false;
      for (size_t e = 0; e < c->n_exempt && !found; e++) {
        if (covers(c->exempt[e], p)) {
          warn(w, c, rule->line, "pattern '%s' of rule %zu never matches: exempt pattern '%s' "
               "takes it first", p, r + 1, c->exempt[e]);
          found = true;
        }
      }
      for (size_t q = 0; q < r && !found; q++) {
        for (size_t k = 0; k < c->rules[q].n_match && !found; k++) {
          if (covers(c->rules[q].match[k], p)) {
            warn(w, c, rule->line, "pattern '%s' of rule %zu never matches: rule %zu (line %d) "
                 "takes it first with '%s'", p, r + 1, q + 1, c->rules[q].line,
                 c->rules[q].match[k]);
            found = true;
          }
        }
      }
      dead += found;
    }
    if (rule->n_match > 0 && dead == rule->n_match)
      warn(w, c, rule->line, "rule %zu never applies: every pattern of it is taken by an "
           "earlier rule or exempt", r + 1);
  }
}

/* A bind as written in the file: rules hold copies of the default binds. */
struct seen_bind {
  int line;
  const char *dest;
};

static bool bind_seen(const struct seen_bind *seen, size_t n, const struct uj_bind *b)
{
  for (size_t i = 0; i < n; i++)
    if (seen[i].line == b->line && strcmp(seen[i].dest, b->dest) == 0)
      return true;
  return false;
}

static void check_binds(struct uj_diags *w, const struct uj_config *c, const struct uj_settings *s,
                        struct seen_bind *seen, size_t *n_seen, size_t cap)
{
  struct stat st;

  for (size_t i = 0; i < s->n_binds; i++) {
    const struct uj_bind *b = &s->binds[i];
    /* rules copy the default binds: report each bind once */
    if (bind_seen(seen, *n_seen, b) || *n_seen >= cap)
      continue;
    seen[(*n_seen)++] = (struct seen_bind){ .line = b->line, .dest = b->dest };
    if (!b->optional && lstat(b->source, &st) < 0 && errno == ENOENT)
      warn(w, c, b->line, "bind source '%s' does not exist: jails with this bind will fail "
           "to start (create it, or set optional = true)", b->source);
    if (s->rootfs)
      continue;
    for (size_t d = 0; d < sizeof ro_host_dirs / sizeof ro_host_dirs[0]; d++) {
      size_t l = strlen(ro_host_dirs[d]);
      if (strncmp(b->dest, ro_host_dirs[d], l) == 0 && b->dest[l] == '/' &&
          lstat(b->dest, &st) < 0 && errno == ENOENT) {
        warn(w, c, b->line, "bind destination '%s' is under the read-only host directory %s "
             "and does not exist on the host: create it there first", b->dest, ro_host_dirs[d]);
        break;
      }
    }
  }
}

/* network = "private" logins need pasta: report each path once. */
static void check_pasta(struct uj_diags *w, const struct uj_config *c, const struct uj_settings *s,
                        int line, const char **seen)
{
  if (s->network != UJ_NET_PRIVATE || !s->pasta || (*seen && strcmp(*seen, s->pasta) == 0))
    return;
  *seen = s->pasta;
  if (access(s->pasta, X_OK) != 0)
    warn(w, c, line, "pasta '%s' cannot be executed (%s): logins with network = \"private\" "
         "will fail (install passt)", s->pasta, strerror(errno));
}

void uj_config_lint(const struct uj_config *c, struct uj_diags *w)
{
  const char *pasta_seen = NULL;
  struct seen_bind seen[256];
  size_t n_seen = 0;

  check_names(w, c, c->exempt, c->n_exempt, c->exempt_line, "exempt");
  for (size_t r = 0; r < c->n_rules; r++)
    check_names(w, c, c->rules[r].match, c->rules[r].n_match, c->rules[r].line, "match");
  check_shadowed(w, c);
  check_binds(w, c, &c->defaults, seen, &n_seen, 256);
  for (size_t r = 0; r < c->n_rules; r++)
    check_binds(w, c, &c->rules[r].s, seen, &n_seen, 256);
  check_pasta(w, c, &c->defaults, 0, &pasta_seen);
  for (size_t r = 0; r < c->n_rules; r++)
    check_pasta(w, c, &c->rules[r].s, c->rules[r].line, &pasta_seen);
}
