/* Shared views of the admin commands (see view.h). */
#include "cli/view.h"

#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/timeouts.h"
#include "jail/client.h"
#include "jail/jail.h"
#include "jail/rundir.h"
#include "util/text.h"

int uj_view_jail_query(uid_t uid, struct uj_view_jail *j, struct uj_err *err)
{
  struct uj_err e;
  struct passwd *pw;
  struct uj_cgroup cg;
  char name[32];

  memset(j, 0, sizeof *j);
  if (!err)
    err = &e;
  if (uj_monitor_info(uid, &j->info, err) < 0)
    return -1;
  j->uid = uid;
  pw = getpwuid(uid);
  snprintf(j->user, sizeof j->user, "%s", pw ? pw->pw_name : "?");
  snprintf(name, sizeof name, "%u", (unsigned) uid);
  uj_cgroup_init(&cg);
  if (uj_cgroup_open(UJ_CGROUP_ROOT, name, &cg, &e) == 0) {
    j->have_usage = uj_cgroup_usage(&cg, &j->pids, &j->mem, &e) == 0;
    uj_cgroup_close(&cg);
  }
  return 0;
}

int uj_view_user(const char *name, const struct uj_config *c, struct uj_userinfo *ui,
                 struct uj_err *err)
{
  cleanup_free const char **named = NULL;
  size_t n = 0;

  if (c && !(named = uj_config_group_names(c, &n)))
    return uj_err_set(err, ENOMEM, "configuration");
  return uj_userinfo_get(name, named, n, UJ_TIMEOUT_LOOKUP_S, ui, err);
}

uint64_t uj_view_current_hash(const char *config)
{
  struct uj_config *c = NULL;
  struct uj_diags d = { 0 };
  struct uj_config_source src;
  struct uj_err err;
  uint64_t h = 0;

  if (uj_config_load_or_last_good(config, UJ_RUN_DIR, false, NULL, &c, &d, &src, &err) == 0)
    h = c->hash;
  uj_config_free(c);
  uj_diags_free(&d);
  return h;
}

const char *uj_view_config_state(const struct uj_info_msg *info, uint64_t current)
{
  if (info->version < 2 || info->config_hash == 0 || current == 0)
    return "unknown";
  return info->config_hash == current ? "current" : "stale";
}

void uj_view_size(char *buf, size_t len, uint64_t v, bool unlimited_zero)
{
  static const char units[] = "KMGT";
  int u = -1;

  if (v == 0 && unlimited_zero) {
    snprintf(buf, len, "unlimited");
    return;
  }
  while (u < 3 && v >= 1024 && v % 1024 == 0) {
    v /= 1024;
    u++;
  }
  if (u < 0)
    snprintf(buf, len, "%llu", (unsigned long long) v);
  else
    snprintf(buf, len, "%llu%c", (unsigned long long) v, units[u]);
}

const char *uj_view_network(const struct uj_settings *s)
{
  return s->network == UJ_NET_NONE ? "none" : s->network == UJ_NET_PRIVATE ? "private" : "host";
}

static void print_settings(FILE *f, const struct uj_settings *s, const char *hostname)
{
  char tmp[32], mem[32], cpu[32];

  uj_view_size(tmp, sizeof tmp, s->tmp_size, false);
  uj_view_size(mem, sizeof mem, s->memory_max, true);
  if (s->cpu == 0)
    snprintf(cpu, sizeof cpu, "unlimited");
  else
    snprintf(cpu, sizeof cpu, "%g", s->cpu);
  fprintf(f, "  hostname    %s\n", hostname);
  fprintf(f, "  tmp_size    %s\n", tmp);
  if (s->pids_max)
    fprintf(f, "  limits      pids %llu, memory %s, cpu %s\n",
            (unsigned long long) s->pids_max, mem, cpu);
  else
    fprintf(f, "  limits      pids unlimited, memory %s, cpu %s\n", mem, cpu);
  fprintf(f, "  on_logout   %s\n", s->on_logout == UJ_LOGOUT_LINGER ? "linger" : "kill");
  fprintf(f, "  on_error    %s\n", s->on_error == UJ_ONERR_ALLOW ? "allow" : "deny");
  fprintf(f, "  network     %s\n", uj_view_network(s));
  if (s->rootfs)
    fprintf(f, "  rootfs      %s (upper %s)\n", s->rootfs,
            s->upper == UJ_UPPER_PERSISTENT ? "persistent" : "ephemeral");
  else
    fprintf(f, "  rootfs      host\n");
  fprintf(f, "  notice      %s\n", s->notice ? "true" : "false");
  if (!s->lxcfs)
    fprintf(f, "  lxcfs       none (free and top show the host's memory and CPUs)\n");
  else if (uj_lxcfs_running(s->lxcfs))
    fprintf(f, "  lxcfs       %s (running: free and top show the jail)\n", s->lxcfs);
  else
    fprintf(f, "  lxcfs       %s (note: LXCFS does not run there: free and top show the "
            "host's memory and CPUs)\n", s->lxcfs);
  if (s->n_binds == 0)
    fprintf(f, "  binds       none\n");
  for (size_t i = 0; i < s->n_binds; i++)
    fprintf(f, "  %-11s %s -> %s (%s%s)\n", i ? "" : "binds", s->binds[i].source,
            s->binds[i].dest, s->binds[i].rw ? "rw" : "ro",
            s->binds[i].optional ? ", optional" : "");
}

void uj_view_explain(FILE *f, const struct uj_config *c, const struct uj_userinfo *ui)
{
  struct uj_policy_match m;
  const struct uj_settings *s = uj_policy_explain(c, &ui->u, &m);
  char host[300];

  fprintf(f, "user        %s (uid %u)\n", ui->name, (unsigned) ui->u.uid);
  switch (m.reason) {
  case UJ_WHY_ROOT:
    fprintf(f, "decision    not jailed: root is never jailed\n");
    return;
  case UJ_WHY_EXEMPT:
    fprintf(f, "decision    not jailed: exempt (pattern \"%s\")\n", m.pattern);
    return;
  case UJ_WHY_NO_RULE:
    fprintf(f, "decision    not jailed: no rule matches (%zu rule%s tried)\n", c->n_rules,
            c->n_rules == 1 ? "" : "s");
    return;
  case UJ_WHY_RULE:
    break;
  }
  fprintf(f, "decision    jailed by rule %zu (%s:%d), pattern \"%s\"\n", m.rule + 1, c->path,
          m.line, m.pattern);
  if (uj_expand_pattern(s->hostname, ui->name, ui->u.uid, host, sizeof host) < 0)
    snprintf(host, sizeof host, "(pattern %s too long for this user)", s->hostname);
  fprintf(f, "settings\n");
  print_settings(f, s, host);
}
