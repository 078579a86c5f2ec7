/* Admin subcommands: list, stop, check-config. */
#include <dirent.h>
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "cli/cli.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "common/timeouts.h"
#include "jail/client.h"
#include "jail/jail.h"

struct jail_row {
  uid_t uid;
  char user[64];
  struct uj_info_msg info;
  uint64_t pids, mem;
  int have_usage;
};

static int query(uid_t uid, struct jail_row *r)
{
  struct uj_err err;
  struct passwd *pw;
  struct uj_cgroup cg;
  char name[32];

  if (uj_monitor_info(uid, &r->info, &err) < 0)
    return -1;
  r->uid = uid;
  pw = getpwuid(uid);
  snprintf(r->user, sizeof r->user, "%s", pw ? pw->pw_name : "?");
  snprintf(name, sizeof name, "%u", (unsigned) uid);
  uj_cgroup_init(&cg);
  if (uj_cgroup_open(UJ_CGROUP_ROOT, name, &cg, &err) == 0) {
    r->have_usage = uj_cgroup_usage(&cg, &r->pids, &r->mem, &err) == 0;
    uj_cgroup_close(&cg);
  }
  return 0;
}

int uj_cmd_list(int argc, char **argv)
{
  int json = argc > 1 && !strcmp(argv[1], "--json");
  DIR *d = opendir(UJ_RUN_DIR);
  struct dirent *e;
  time_t now = time(NULL);
  int first = 1;

  if (json)
    printf("[");
  else
    printf("%-16s %7s %8s %8s %10s %6s %10s\n", "USER", "UID", "INIT", "SESSIONS", "UPTIME",
           "PIDS", "MEMORY");
  while (d && (e = readdir(d))) {
    char *end;
    unsigned long uid = strtoul(e->d_name, &end, 10);
    struct jail_row r;
    if (end == e->d_name || strcmp(end, ".sock") != 0)
      continue;
    memset(&r, 0, sizeof r);
    if (query((uid_t) uid, &r) < 0)
      continue;
    long up = (long) (now - r.info.started);
    if (json) {
      printf("%s\n  {\"user\": \"%s\", \"uid\": %u, \"init_pid\": %d, \"sessions\": %u, "
             "\"uptime_s\": %ld, \"linger\": %s, \"pids\": %llu, \"memory_bytes\": %llu}",
             first ? "" : ",", r.user, (unsigned) r.uid, r.info.init_pid, r.info.sessions, up,
             r.info.linger ? "true" : "false", (unsigned long long) r.pids,
             (unsigned long long) r.mem);
    } else {
      char mem[32];
      snprintf(mem, sizeof mem, "%.1fM", (double) r.mem / 1048576.0);
      printf("%-16s %7u %8d %8u %9lds %6llu %10s\n", r.user, (unsigned) r.uid, r.info.init_pid,
             r.info.sessions, up, (unsigned long long) r.pids, r.have_usage ? mem : "-");
    }
    first = 0;
  }
  if (d)
    closedir(d);
  if (json)
    printf("%s]\n", first ? "" : "\n");
  return 0;
}

int uj_cmd_stop(int argc, char **argv)
{
  struct uj_err err;
  struct passwd *pw;
  uid_t uid = 0;

  if (argc != 2) {
    fprintf(stderr, "usage: userjail stop USER|UID\n");
    return 2;
  }
  /* A uid stops the jail of a user deleted while it lingered. */
  pw = getpwnam(argv[1]);
  if (pw) {
    uid = pw->pw_uid;
  } else {
    char *end;
    unsigned long v = strtoul(argv[1], &end, 10);
    if (!*argv[1] || *end || v == 0 || v > UINT32_MAX - 1) {
      fprintf(stderr, "userjail stop: unknown user '%s'\n", argv[1]);
      return 1;
    }
    uid = (uid_t) v;
  }
  if (uj_monitor_stop(uid, UJ_TIMEOUT_STOP_MS, &err) < 0) {
    if (err.code == ENOENT) {
      fprintf(stderr, "userjail stop: %s has no jail\n", argv[1]);
      return 1;
    }
    if (err.code != ECONNREFUSED) {
      fprintf(stderr, "userjail stop: %s: %s\n", argv[1], err.msg);
      return 1;
    }
    /* A socket without a monitor: the monitor died. Clean what it left. */
    struct uj_cgroup cg;
    char name[32], path[108];
    int lock = uj_rundir_lock(uid, false, &err);
    snprintf(name, sizeof name, "%u", (unsigned) uid);
    uj_cgroup_init(&cg);
    if (uj_cgroup_open(UJ_CGROUP_ROOT, name, &cg, &err) == 0 &&
        uj_cgroup_destroy(&cg, UJ_TIMEOUT_CGROUP_EMPTY_MS, &err) < 0)
      fprintf(stderr, "userjail stop: %s: %s\n", argv[1], err.msg);
    uj_rundir_path(path, sizeof path, uid, ".sock");
    unlink(path);
    uj_rundir_unlock(lock, uid, true);
    printf("removed the remains of %s's jail\n", argv[1]);
    return 0;
  }
  printf("stopped the jail of %s\n", argv[1]);
  return 0;
}

int uj_cmd_check_config(int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : UJ_DEFAULT_CONFIG;
  struct uj_config *cfg = NULL;
  struct uj_diags diags = { 0 };
  struct uj_err err;
  int rc;

  uj_err_clear(&err);
  rc = uj_config_load(path, &cfg, &diags, &err);
  for (size_t i = 0; i < diags.n; i++)
    fprintf(stderr, "%s\n", diags.items[i]);
  if (rc < 0 && diags.n == 0)
    fprintf(stderr, "%s\n", err.msg);
  if (rc == 0)
    printf("%s: OK (%zu rule%s)\n", path, cfg->n_rules, cfg->n_rules == 1 ? "" : "s");
  uj_config_free(cfg);
  uj_diags_free(&diags);
  return rc < 0 ? 1 : 0;
}
