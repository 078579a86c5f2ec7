/* Admin subcommands: list and check-config (status: cmd_status.c, stop:
 * cmd_stop.c). */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "cli/cli.h"
#include "cli/view.h"
#include "config/config.h"
#include "identity/user.h"
#include "jail/jail.h"

int uj_cmd_list(int argc, char **argv)
{
  bool json = false;
  const char *config = UJ_DEFAULT_CONFIG;
  const struct uj_opt opts[] = { { "--json", false, NULL, &json },
                                 { "--config", true, &config, NULL },
                                 { NULL } };
  struct uj_args a;
  int r = uj_cli_args(argc, argv, opts, 0, 0, false, &a);
  uint64_t now_hash = 0;
  DIR *d;
  struct dirent *e;
  time_t now = time(NULL);
  struct uj_err err;
  int first = 1;

  if (r < 0)
    return r;
  now_hash = uj_view_current_hash(config);
  d = opendir(UJ_RUN_DIR);
  if (json)
    printf("[");
  else
    printf("%-16s %7s %8s %8s %10s %6s %10s %s\n", "USER", "UID", "INIT", "SESSIONS", "UPTIME",
           "PIDS", "MEMORY", "CONFIG");
  while (d && (e = readdir(d))) {
    char *end;
    unsigned long uid = strtoul(e->d_name, &end, 10);
    struct uj_view_jail j;
    if (end == e->d_name || strcmp(end, ".sock") != 0)
      continue;
    if (uj_view_jail_query((uid_t) uid, &j, &err) < 0) {
      /* Not silently dropped: a jail whose monitor is dead or stuck is
       * exactly what an admin looks for here. */
      fprintf(stderr, "userjail list: uid %lu: %s%s\n", uid, err.msg,
              err.code == ECONNREFUSED ? " (monitor dead: `userjail stop UID` clears it)" : "");
      continue;
    }
    long up = (long) (now - j.info.started);
    const char *state = uj_view_config_state(&j.info, now_hash);
    if (json) {
      /* user names may hold quotes, backslashes, anything NSS hands out */
      printf("%s\n  {\"user\": ", first ? "" : ",");
      uj_view_json_string(stdout, j.user);
      printf(", \"uid\": %u, \"init_pid\": %d, \"sessions\": %u, "
             "\"uptime_s\": %ld, \"linger\": %s, \"pids\": %llu, \"memory_bytes\": %llu, "
             "\"config\": \"%s\", \"config_hash\": \"%016llx\"}",
             (unsigned) j.uid, j.info.init_pid, j.info.sessions, up,
             j.info.linger ? "true" : "false", (unsigned long long) j.pids,
             (unsigned long long) j.mem, state, (unsigned long long) j.info.config_hash);
    } else {
      char mem[32];
      snprintf(mem, sizeof mem, "%.1fM", (double) j.mem / 1048576.0);
      printf("%-16s %7u %8d %8u %9lds %6llu %10s %s\n", j.user, (unsigned) j.uid,
             j.info.init_pid, j.info.sessions, up, (unsigned long long) j.pids,
             j.have_usage ? mem : "-", state);
    }
    first = 0;
  }
  if (d)
    closedir(d);
  if (json)
    printf("%s]\n", first ? "" : "\n");
  return 0;
}

/* The last valid copy logins use while `path` is broken, or NULL. */
static const char *fallback_copy(const char *path, char *copy, size_t len, char *when,
                                 size_t wlen)
{
  struct stat st;

  uj_config_last_good_path(UJ_RUN_DIR, path, copy, len);
  if (lstat(copy, &st) < 0 || !S_ISREG(st.st_mode))
    return NULL;
  strftime(when, wlen, "%Y-%m-%d %H:%M:%S", localtime(&st.st_mtime));
  return copy;
}

/* What logins do while `path` is broken: say it next to the errors. */
static void note_fallback(const char *path)
{
  char copy[256], when[32];

  if (fallback_copy(path, copy, sizeof copy, when, sizeof when))
    fprintf(stderr, "note: logins keep using the last valid copy %s (saved %s) until %s is "
            "fixed\n", copy, when, path);
  else if (strcmp(path, UJ_DEFAULT_CONFIG) == 0)
    fprintf(stderr, "note: there is no last valid copy: every login except root's is refused "
            "until %s is fixed\n", path);
}

static void json_string(const char *v)
{
  uj_view_json_string(stdout, v ? v : "");
}

/* "PATH:LINE: message" (or "PATH: message") as a JSON object. */
static void json_diag(const char *path, const char *d)
{
  size_t pl = strlen(path);
  long line = 0;
  const char *msg = d;

  if (strncmp(d, path, pl) == 0 && d[pl] == ':') {
    char *end;
    msg = d + pl + 1;
    line = strtol(msg, &end, 10);
    if (end != msg && end[0] == ':')
      msg = end + 1;
    else
      line = 0;
    while (*msg == ' ')
      msg++;
  }
  if (strncmp(msg, "warning: ", 9) == 0)
    msg += 9;
  printf("{\"line\": %ld, \"message\": ", line);
  json_string(msg);
  putchar('}');
}

static void json_list(const char *key, const char *path, const struct uj_diags *d)
{
  printf(", \"%s\": [", key);
  for (size_t i = 0; i < d->n; i++) {
    printf("%s", i ? ", " : "");
    json_diag(path, d->items[i]);
  }
  putchar(']');
}

/* Not an error: jails work without LXCFS, but their users then see the
 * host's memory and CPUs in free, top and /proc; say so once per place. */
static void lxcfs_notes(const struct uj_config *cfg)
{
  const char *seen[64];
  size_t n = 0;

  for (size_t i = 0; i <= cfg->n_rules && n < 64; i++) {
    const char *p = i == 0 ? cfg->defaults.lxcfs : cfg->rules[i - 1].s.lxcfs;
    bool dup = false;
    if (!p)
      continue;
    for (size_t k = 0; k < n; k++)
      dup = dup || strcmp(seen[k], p) == 0;
    if (dup)
      continue;
    seen[n++] = p;
    if (!uj_lxcfs_running(p))
      printf("note: LXCFS does not run at %s: free, top and uptime in jails show the host's "
             "memory and CPUs (apt install lxcfs; or lxcfs = \"none\"; to silence this)\n", p);
  }
}

int uj_cmd_check_config(int argc, char **argv)
{
  const char *user = NULL;
  bool json = false;
  const struct uj_opt opts[] = { { "--user", true, &user, NULL },
                                 { "--json", false, NULL, &json },
                                 { NULL } };
  struct uj_args a;
  int r = uj_cli_args(argc, argv, opts, 0, 1, false, &a);
  const char *path;
  cleanup_free char *text = NULL;
  struct uj_config *cfg = NULL;
  struct uj_diags diags = { 0 }, warnings = { 0 };
  struct uj_err err;
  size_t len = 0;
  int rc;

  if (r < 0)
    return r;
  if (json && user) {
    fprintf(stderr, "userjail check-config: --json and --user cannot be combined\n");
    return UJ_EXIT_USAGE;
  }
  path = a.n_ops ? a.ops[0] : UJ_DEFAULT_CONFIG;
  uj_err_clear(&err);
  rc = uj_config_read(path, &text, &len, &diags, &err);
  if (rc == 0)
    rc = uj_config_parse_string(text, path, &cfg, &diags, &err);
  if (rc < 0 && diags.n == 0) {
    char *m = strdup(err.msg);
    if (m && (diags.items = malloc(sizeof *diags.items)))
      diags.items[diags.n++] = m;
    else
      free(m);
  }
  if (rc == 0)
    uj_config_lint(cfg, &warnings);
  if (json) {
    char copy[256], when[32];
    printf("{\"file\": ");
    json_string(path);
    printf(", \"ok\": %s, \"rules\": %zu", rc == 0 ? "true" : "false", cfg ? cfg->n_rules : 0);
    json_list("errors", path, &diags);
    json_list("warnings", path, &warnings);
    printf(", \"last_valid_copy\": ");
    if (rc < 0 && fallback_copy(path, copy, sizeof copy, when, sizeof when))
      json_string(copy);
    else
      printf("null");
    printf("}\n");
  } else {
    for (size_t i = 0; i < diags.n; i++)
      fprintf(stderr, "%s\n", diags.items[i]);
    for (size_t i = 0; i < warnings.n; i++)
      fprintf(stderr, "%s\n", warnings.items[i]);
    if (rc < 0)
      note_fallback(path);
    else
    {
      printf("%s: OK (%zu rule%s%s)\n", path, cfg->n_rules, cfg->n_rules == 1 ? "" : "s",
             warnings.n ? ", with warnings" : "");
      lxcfs_notes(cfg);
    }
  }
  /* The live file (the default, or one logins already keep a copy of):
   * a check that passes refreshes the copy logins fall back to. */
  if (rc == 0 && geteuid() == 0 &&
      (strcmp(path, UJ_DEFAULT_CONFIG) == 0 || uj_config_has_last_good(UJ_RUN_DIR, path)) &&
      uj_config_save_last_good(UJ_RUN_DIR, path, text, len, &err) < 0)
    fprintf(stderr, "warning: cannot keep a copy of %s: %s\n", path, err.msg);
  if (rc == 0 && user) {
    struct uj_userinfo ui;
    printf("\n");
    if (uj_view_user(user, cfg, &ui, &err) < 0) {
      fprintf(stderr, "userjail check-config: %s\n", err.msg);
      rc = -1;
    } else {
      uj_view_explain(stdout, cfg, &ui);
      uj_userinfo_free(&ui);
    }
  }
  uj_config_free(cfg);
  uj_diags_free(&diags);
  uj_diags_free(&warnings);
  return rc < 0 ? 1 : 0;
}
