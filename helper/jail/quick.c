/* The quick way in for a later login, served by the jail's monitor.
 *
 * A login normally runs the helper (fork+exec, config, NSS lookups of the
 * user and the groups the rules name, policy, seccomp filter): ~4 ms of a
 * later login's ~6 ms on a quiet host (bench, phases). A later login of a
 * user whose jail runs needs none of it when nothing changed since the
 * helper last let that user in. So after each login it lets in, the helper
 * leaves the jail's monitor a grant (UJ_CMD_GRANT): the hash of the config
 * text it checked, the config path as the module names it, the rule's
 * on_error and the session's seccomp filter, valid for the config's
 * `quick_join` seconds (default 300, 0 = off). The module first asks the
 * monitor (UJ_CMD_QUICK) and runs the helper only when the answer is RETRY.
 *
 * A quick login is let in only when all hold:
 *   - a grant is held and younger than its ttl;
 *   - the module names the same config file;
 *   - that file, read now, is still root-owned, not group/world-writable,
 *     and its text hashes to what the helper checked: any edit (a rule, an
 *     exemption, a deny) sends the next login through the helper at once.
 * What it does not see within the ttl: a change of the user's group
 * membership in NSS (LDAP, /etc/group), which a rule matching @group would
 * have judged differently -- the same kind of delay as SSSD's or nscd's own
 * caches. An admin who needs it at once runs `userjail stop USER`.
 * Everything else a login gets is the same as through the helper: the
 * monitor's session checks (session limit, process limit, ending), its
 * cgroup and namespace fds, the filter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"
#include "common/proto.h"
#include "jail/monitor.h"
#include "util/text.h"

/* The grant, kept small: an idle jail's memory is benchmarked. */
struct uj_quick_grant {
  int64_t until_ms;        /* CLOCK_MONOTONIC */
  uint64_t config_hash;
  uint32_t on_error_allow;
  uint32_t n_insns;
  char *config;
  struct sock_filter insns[];
};

void uj_quick_grant_free(struct monitor *m)
{
  if (m->grant)
    free(m->grant->config);
  free(m->grant);
  m->grant = NULL;
}

/* Exactly len bytes from the connection (uj_recv_fds: no descriptor is
 * accepted with them). */
static bool recv_exact(int c, void *buf, size_t len)
{
  struct uj_err err;
  size_t nfds;
  return uj_recv_fds(c, buf, len, NULL, 0, &nfds, &err) == 0;
}

void uj_quick_grant_keep(struct monitor *m, const struct uj_grant_msg *g)
{
  struct uj_quick_grant *q;

  if (g->magic != UJ_QUICK_MAGIC || g->filter.magic != UJ_FILTER_MAGIC ||
      g->filter.n > UJ_MAX_FILTER || !memchr(g->config, '\0', sizeof g->config) ||
      g->ttl_s == 0 || g->ttl_s > UJ_QUICK_JOIN_MAX_S)
    return;
  q = calloc(1, sizeof *q + g->filter.n * sizeof q->insns[0]);
  if (!q || !(q->config = strdup(g->config))) {
    free(q);
    return;
  }
  q->until_ms = uj_monitor_now_ms() + (int64_t) g->ttl_s * 1000;
  q->config_hash = g->config_hash;
  q->on_error_allow = g->on_error_allow;
  q->n_insns = g->filter.n;
  memcpy(q->insns, g->filter.insns, g->filter.n * sizeof q->insns[0]);
  uj_quick_grant_free(m);
  m->grant = q;
}

void uj_quick_grant_take(struct monitor *m, int c)
{
  cleanup_free struct uj_grant_msg *g = calloc(1, sizeof *g);

  if (g && recv_exact(c, g, sizeof *g))
    uj_quick_grant_keep(m, g);
}

/* Flat: the grant, its filter, then its config path with the NUL. */
void *uj_quick_grant_bytes(const struct monitor *m, size_t *len)
{
  const struct uj_quick_grant *q = m->grant;
  size_t head, plen;
  char *buf;

  *len = 0;
  if (!q)
    return NULL;
  head = sizeof *q + q->n_insns * sizeof q->insns[0];
  plen = strlen(q->config) + 1;
  if (!(buf = malloc(head + plen)))
    return NULL;
  memcpy(buf, q, head);
  memcpy(buf + head, q->config, plen);
  *len = head + plen;
  return buf;
}

void uj_quick_grant_from_bytes(struct monitor *m, const void *buf, size_t len)
{
  const struct uj_quick_grant *in = buf;
  struct uj_quick_grant *q;
  size_t head;

  if (len < sizeof *in || in->n_insns > UJ_MAX_FILTER)
    return;
  head = sizeof *in + in->n_insns * sizeof in->insns[0];
  if (len <= head || ((const char *) buf)[len - 1] != '\0' || !(q = malloc(head)))
    return;
  memcpy(q, buf, head);
  if (!(q->config = strdup((const char *) buf + head))) {
    free(q);
    return;
  }
  uj_quick_grant_free(m);
  m->grant = q;
}

/* The hash of the config file's text as the helper's reader takes it
 * (config/load.c: the same checks; a file it would refuse never matches).
 * Its 1 MiB buffer is virtual: only the file's pages are touched, and the
 * idle monitor trims its heap (monitor.c). */
static bool config_hash_now(const char *path, uint64_t *hash)
{
  struct uj_diags diags = { 0 };
  struct uj_err err;
  char *text = NULL;
  size_t len;
  bool ok = uj_config_read(path, &text, &len, &diags, &err) == 0;

  if (ok)
    *hash = uj_text_hash(text, len);
  free(text);
  uj_diags_free(&diags);
  return ok;
}

bool uj_quick_allowed(struct monitor *m, int c, char *why, size_t len)
{
  struct uj_quick_req req;
  const char *path;
  uint64_t h;

  if (!recv_exact(c, &req, sizeof req) || req.magic != UJ_QUICK_MAGIC ||
      !memchr(req.config, '\0', sizeof req.config)) {
    snprintf(why, len, "malformed request");
    return false;
  }
  if (!m->grant) {
    snprintf(why, len, "no grant");
    return false;
  }
  if (uj_monitor_now_ms() >= m->grant->until_ms) {
    snprintf(why, len, "grant expired");
    return false;
  }
  if (strcmp(req.config, m->grant->config) != 0) {
    snprintf(why, len, "another config file");
    return false;
  }
  path = req.config[0] ? req.config : UJ_DEFAULT_CONFIG;
  if (!config_hash_now(path, &h) || h != m->grant->config_hash) {
    snprintf(why, len, "%s changed", path);
    return false;
  }
  return true;
}

void uj_quick_filter(const struct monitor *m, struct uj_filter_msg *f)
{
  memset(f, 0, sizeof *f);
  f->magic = UJ_FILTER_MAGIC;
  f->n = m->grant->n_insns;
  memcpy(f->insns, m->grant->insns, f->n * sizeof f->insns[0]);
}

uint32_t uj_quick_on_error_allow(const struct monitor *m)
{
  return m->grant->on_error_allow;
}
