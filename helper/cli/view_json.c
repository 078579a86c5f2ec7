/* `status --json` (and the string escaping of every --json): the same
 * facts as the text views in view.c and cmd_status.c, one JSON object. */
#include "cli/view.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jail/jail.h"
#include "util/filterlist.h"
#include "util/json.h"
#include "util/text.h"

void uj_view_json_string(FILE *f, const char *s)
{
  char small[256];
  size_t n;

  if (!s) {
    fputs("null", f);
    return;
  }
  n = uj_json_escape(s, small, sizeof small);
  if (n < sizeof small) {
    fputs(small, f);
    return;
  }
  char *big = malloc(n + 1);
  if (!big) {
    fputs("null", f); /* still valid JSON */
    return;
  }
  uj_json_escape(s, big, n + 1);
  fputs(big, f);
  free(big);
}

/* a limit: the number, or null for unlimited (0) */
static void limit(FILE *f, const char *key, uint64_t v)
{
  if (v)
    fprintf(f, "\"%s\": %llu", key, (unsigned long long) v);
  else
    fprintf(f, "\"%s\": null", key);
}

static void settings_json(FILE *f, const struct uj_settings *s, const char *hostname)
{
  fputs("{\"hostname\": ", f);
  uj_view_json_string(f, hostname);
  fprintf(f, ", \"tmp_size_bytes\": %llu, \"limits\": {", (unsigned long long) s->tmp_size);
  limit(f, "pids", s->pids_max);
  fputs(", ", f);
  limit(f, "memory_bytes", s->memory_max);
  if (s->cpu == 0)
    fputs(", \"cpu\": null}", f);
  else
    fprintf(f, ", \"cpu\": %.17g}", s->cpu);
  fprintf(f, ", \"on_logout\": \"%s\", \"on_error\": \"%s\", \"network\": \"%s\"",
          s->on_logout == UJ_LOGOUT_LINGER ? "linger" : "kill",
          s->on_error == UJ_ONERR_ALLOW ? "allow" : "deny", uj_view_network(s));
  fputs(", \"network_allow_host_ports\": [", f);
  for (size_t i = 0; i < s->n_host_ports; i++)
    fprintf(f, "%s%u", i ? ", " : "", (unsigned) s->host_ports[i]);
  fputs("], \"rootfs\": ", f);
  uj_view_json_string(f, s->rootfs ? s->rootfs : "host");
  fprintf(f, ", \"upper\": \"%s\", ",
          s->upper == UJ_UPPER_PERSISTENT ? "persistent" : "ephemeral");
  limit(f, "upper_size_bytes", s->upper_size);
  fprintf(f, ", \"seccomp\": %s, \"seccomp_allow\": [", s->seccomp ? "true" : "false");
  for (size_t i = 0, k = 0; i < uj_filter_n_entries && i < 32; i++)
    if (s->seccomp_allow & (1u << i)) {
      fputs(k++ ? ", " : "", f);
      uj_view_json_string(f, uj_filter_entries[i].name);
    }
  fprintf(f, "], \"userns\": %s, \"notice\": %s, \"lxcfs\": ", s->userns ? "true" : "false",
          s->notice ? "true" : "false");
  uj_view_json_string(f, s->lxcfs);
  fprintf(f, ", \"lxcfs_running\": %s, \"binds\": [",
          s->lxcfs && uj_lxcfs_running(s->lxcfs) ? "true" : "false");
  for (size_t i = 0; i < s->n_binds; i++) {
    fputs(i ? ", {\"source\": " : "{\"source\": ", f);
    uj_view_json_string(f, s->binds[i].source);
    fputs(", \"destination\": ", f);
    uj_view_json_string(f, s->binds[i].dest);
    fprintf(f, ", \"mode\": \"%s\", \"optional\": %s}", s->binds[i].rw ? "rw" : "ro",
            s->binds[i].optional ? "true" : "false");
  }
  fputs("]}", f);
}

void uj_view_explain_json(FILE *f, const struct uj_config *c, const struct uj_userinfo *ui)
{
  static const char *const reasons[] = {
    [UJ_WHY_NO_RULE] = "no_rule",
    [UJ_WHY_ROOT] = "root",
    [UJ_WHY_EXEMPT] = "exempt",
    [UJ_WHY_RULE] = "rule",
  };
  struct uj_policy_match m;
  const struct uj_settings *s = uj_policy_explain(c, &ui->u, &m);
  char host[300];

  fprintf(f, "\"decision\": \"%s\", \"reason\": \"%s\", \"exempt\": %s, \"pattern\": ",
          s ? "jailed" : "not_jailed", reasons[m.reason],
          m.reason == UJ_WHY_EXEMPT ? "true" : "false");
  uj_view_json_string(f, m.reason == UJ_WHY_EXEMPT || m.reason == UJ_WHY_RULE ? m.pattern
                                                                              : NULL);
  if (m.reason == UJ_WHY_RULE)
    fprintf(f, ", \"rule\": %zu, \"line\": %d", m.rule + 1, m.line);
  else
    fputs(", \"rule\": null, \"line\": null", f);
  fputs(", \"settings\": ", f);
  if (!s) {
    fputs("null", f);
    return;
  }
  if (uj_expand_pattern(s->hostname, ui->name, ui->u.uid, host, sizeof host) < 0)
    settings_json(f, s, NULL);
  else
    settings_json(f, s, host);
}

void uj_view_jail_json(FILE *f, uid_t uid, uint64_t now_hash)
{
  struct uj_view_jail j;
  struct uj_err err;

  if (uj_view_jail_query(uid, &j, &err) < 0) {
    if (err.code == ENOENT || err.code == ECONNREFUSED) {
      fputs("null", f);
    } else {
      fputs("{\"error\": ", f);
      uj_view_json_string(f, err.msg);
      fputs("}", f);
    }
    return;
  }
  fprintf(f, "{\"init_pid\": %d, \"sessions\": %u, \"uptime_s\": %ld, \"linger\": %s, ",
          j.info.init_pid, j.info.sessions, (long) (time(NULL) - j.info.started),
          j.info.linger ? "true" : "false");
  if (j.have_usage)
    fprintf(f, "\"pids\": %llu, \"memory_bytes\": %llu, ", (unsigned long long) j.pids,
            (unsigned long long) j.mem);
  else
    fputs("\"pids\": null, \"memory_bytes\": null, ", f);
  fprintf(f, "\"config\": \"%s\", \"config_hash\": ", uj_view_config_state(&j.info, now_hash));
  if (j.info.version < 2 || j.info.config_hash == 0)
    fputs("null}", f);
  else
    fprintf(f, "\"%016llx\"}", (unsigned long long) j.info.config_hash);
}
