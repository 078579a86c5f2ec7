/* `userjail metrics [--output FILE] [--config FILE]`: OpenMetrics text for
 * node_exporter's textfile collector (or any scraper reading a file): live
 * jails, sessions, per-user usage and limits, and the helper's counters.
 * With --output the file is written whole to a temp file next to it and
 * renamed, so a collector never reads half of it. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/cli.h"
#include "cli/view.h"
#include "common/cleanup.h"
#include "jail/rundir.h"
#include "jail/stats.h"

#define MAX_JAILS 4096

struct row {
  struct uj_view_jail j;
  struct uj_cgroup_stats st;
  const char *state;
};

static void family(FILE *f, const char *name, const char *type, const char *help)
{
  fprintf(f, "# TYPE %s %s\n# HELP %s %s\n", name, type, name, help);
}

/* user names go into label values: escape as the format wants */
static void labels(FILE *f, const struct row *r)
{
  fputs("{user=\"", f);
  for (const char *p = r->j.user; *p; p++) {
    if (*p == '"' || *p == '\\')
      fputc('\\', f);
    if (*p == '\n')
      fputs("\\n", f);
    else
      fputc(*p, f);
  }
  fprintf(f, "\",uid=\"%u\"}", (unsigned) r->j.uid);
}

/* One gauge per jail; `get` returns < 0 for "not available here". */
static void per_jail(FILE *f, const struct row *rows, size_t n, const char *name,
                     const char *type, const char *help, double (*get)(const struct row *))
{
  family(f, name, type, help);
  for (size_t i = 0; i < n; i++) {
    double v = get(&rows[i]);
    if (v < 0)
      continue;
    fputs(name, f);
    if (!strcmp(type, "counter"))
      fputs("_total", f);
    labels(f, &rows[i]);
    fprintf(f, " %.17g\n", v);
  }
}

static double g_sessions(const struct row *r) { return r->j.info.sessions; }
static double g_pids(const struct row *r) { return r->j.have_usage ? (double) r->j.pids : -1; }
static double g_mem(const struct row *r) { return r->j.have_usage ? (double) r->j.mem : -1; }
static double g_pids_max(const struct row *r) { return (double) r->st.pids_max; }
static double g_mem_max(const struct row *r) { return (double) r->st.memory_max; }
static double g_cpu_max(const struct row *r)
{
  return r->st.cpu_quota < 0 ? -1 : (double) r->st.cpu_quota / 1e6;
}
static double g_cpu(const struct row *r)
{
  return r->st.cpu_usec < 0 ? -1 : (double) r->st.cpu_usec / 1e6;
}
static double g_oom(const struct row *r) { return (double) r->st.oom_kills; }
static double g_started(const struct row *r) { return (double) r->j.info.started; }
static double g_stale(const struct row *r)
{
  return !strcmp(r->state, "stale") ? 1 : !strcmp(r->state, "current") ? 0 : -1;
}

/* The helper's time for each successful login, by whether it started the
 * jail or joined a running one (jail/stats.h). */
static void login_latency(FILE *f)
{
  static const char *const kinds[][2] = {
    { "create", UJ_STAT_LOGIN_CREATE },
    { "join", UJ_STAT_LOGIN_JOIN },
    { "quick", UJ_STAT_LOGIN_QUICK },
  };

  family(f, "userjail_login_seconds", "histogram",
         "Helper time of successful logins since boot, from the request to the answer; "
         "create: the login started the jail, join: it joined a running one, quick: the "
         "jail's monitor let it in without the helper (quick_join).");
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    uint64_t v[UJ_LATENCY_VALUES];
    uj_counter_read(kinds[k][1], v, UJ_LATENCY_VALUES);
    for (size_t i = 0; i < UJ_LATENCY_BUCKETS; i++) {
      /* canonical floats, as OpenMetrics wants for le: "0.005", "1.0" */
      double le = (double) uj_latency_bounds_us[i] / 1e6;
      fprintf(f, le == (double) (uint64_t) le
                     ? "userjail_login_seconds_bucket{kind=\"%s\",le=\"%.1f\"} %llu\n"
                     : "userjail_login_seconds_bucket{kind=\"%s\",le=\"%g\"} %llu\n",
              kinds[k][0], le, (unsigned long long) v[2 + i]);
    }
    fprintf(f, "userjail_login_seconds_bucket{kind=\"%s\",le=\"+Inf\"} %llu\n", kinds[k][0],
            (unsigned long long) v[0]);
    fprintf(f, "userjail_login_seconds_count{kind=\"%s\"} %llu\n", kinds[k][0],
            (unsigned long long) v[0]);
    fprintf(f, "userjail_login_seconds_sum{kind=\"%s\"} %.6f\n", kinds[k][0],
            (double) v[1] / 1e6);
  }
}

static void write_metrics(FILE *f, const struct row *rows, size_t n)
{
  static const char *const reasons[][2] = {
    { "config", UJ_STAT_REFUSED_CONFIG },
    { "user", UJ_STAT_REFUSED_USER },
    { "jail", UJ_STAT_REFUSED_JAIL },
    { "helper", UJ_STAT_REFUSED_HELPER },
  };

  family(f, "userjail_jails", "gauge", "Live jails.");
  fprintf(f, "userjail_jails %zu\n", n);
  per_jail(f, rows, n, "userjail_sessions", "gauge", "Sessions held in the jail.", g_sessions);
  per_jail(f, rows, n, "userjail_jail_start_time_seconds", "gauge",
           "When the jail was created (Unix time).", g_started);
  per_jail(f, rows, n, "userjail_jail_config_stale", "gauge",
           "1 when the jail was built from another text of the configuration.", g_stale);
  per_jail(f, rows, n, "userjail_pids", "gauge", "Processes in the user's cgroup.", g_pids);
  per_jail(f, rows, n, "userjail_pids_limit", "gauge", "pids limit (0 = unlimited).",
           g_pids_max);
  per_jail(f, rows, n, "userjail_memory_bytes", "gauge", "Memory charged to the user's cgroup.",
           g_mem);
  per_jail(f, rows, n, "userjail_memory_limit_bytes", "gauge", "Memory limit (0 = unlimited).",
           g_mem_max);
  per_jail(f, rows, n, "userjail_cpu_limit_cpus", "gauge", "CPU limit in CPUs (0 = unlimited).",
           g_cpu_max);
  per_jail(f, rows, n, "userjail_cpu_seconds", "counter", "CPU time used by the jail.", g_cpu);
  per_jail(f, rows, n, "userjail_oom_kills", "counter", "Processes killed by the OOM killer.",
           g_oom);
  family(f, "userjail_logins_refused", "counter",
         "Logins refused since boot, by reason (helper: the PAM module got no usable answer "
         "from the helper).");
  for (size_t i = 0; i < sizeof reasons / sizeof reasons[0]; i++)
    fprintf(f, "userjail_logins_refused_total{reason=\"%s\"} %llu\n", reasons[i][0],
            (unsigned long long) uj_stats_read(reasons[i][1]));
  family(f, "userjail_logins_unjailed", "counter",
         "Logins let in unjailed after a failure (on_error = allow) since boot.");
  fprintf(f, "userjail_logins_unjailed_total %llu\n",
          (unsigned long long) uj_stats_read(UJ_STAT_UNJAILED));
  family(f, "userjail_config_fallback_logins", "counter",
         "Logins that used the last valid configuration copy because the file was invalid.");
  fprintf(f, "userjail_config_fallback_logins_total %llu\n",
          (unsigned long long) uj_stats_read(UJ_STAT_CONFIG_FALLBACK));
  login_latency(f);
  fputs("# EOF\n", f);
}

static size_t collect(struct row *rows, size_t max, const char *config)
{
  uint64_t now_hash = uj_view_current_hash(config);
  DIR *d = opendir(UJ_RUN_DIR);
  struct dirent *e;
  size_t n = 0;

  while (d && n < max && (e = readdir(d))) {
    char *end, name[32];
    unsigned long uid = strtoul(e->d_name, &end, 10);
    struct uj_cgroup cg;
    struct uj_err err;
    if (end == e->d_name || strcmp(end, ".sock") != 0)
      continue;
    if (uj_view_jail_query((uid_t) uid, &rows[n].j, NULL) < 0)
      continue;
    rows[n].state = uj_view_config_state(&rows[n].j.info, now_hash);
    rows[n].st = (struct uj_cgroup_stats){ -1, -1, -1, -1, -1 };
    snprintf(name, sizeof name, "%lu", uid);
    uj_cgroup_init(&cg);
    if (uj_cgroup_open(UJ_CGROUP_ROOT, name, &cg, &err) == 0) {
      uj_cgroup_stats(&cg, &rows[n].st);
      uj_cgroup_close(&cg);
    }
    n++;
  }
  if (d)
    closedir(d);
  return n;
}

int uj_cmd_metrics(int argc, char **argv)
{
  const char *output = NULL, *config = UJ_DEFAULT_CONFIG;
  const struct uj_opt opts[] = { { "--output", true, &output, NULL },
                                 { "--config", true, &config, NULL },
                                 { NULL } };
  struct uj_args a;
  int r = uj_cli_args(argc, argv, opts, 0, 0, false, &a);
  cleanup_free struct row *rows = NULL;
  char tmp[4200];
  size_t n;
  FILE *f;
  int fd;

  if (r < 0)
    return r;
  rows = calloc(MAX_JAILS, sizeof *rows);
  if (!rows) {
    fprintf(stderr, "userjail metrics: out of memory\n");
    return 1;
  }
  n = collect(rows, MAX_JAILS, config);
  if (!output) {
    write_metrics(stdout, rows, n);
    return fflush(stdout) == 0 ? 0 : 1;
  }
  /* the temp file is a dot file next to the target: the textfile
   * collector only reads *.prom, and rename stays on one filesystem */
  {
    const char *slash = strrchr(output, '/');
    int dl = slash ? (int) (slash - output + 1) : 0;
    snprintf(tmp, sizeof tmp, "%.*s.%s.XXXXXX", dl, output, slash ? slash + 1 : output);
  }
  fd = mkostemp(tmp, O_CLOEXEC);
  if (fd < 0 || fchmod(fd, 0644) < 0 || !(f = fdopen(fd, "w"))) {
    fprintf(stderr, "userjail metrics: %s: %s\n", tmp, strerror(errno));
    if (fd >= 0) {
      close(fd);
      unlink(tmp);
    }
    return 1;
  }
  write_metrics(f, rows, n);
  if (fflush(f) != 0 || fsync(fileno(f)) < 0 || fclose(f) != 0 || rename(tmp, output) < 0) {
    fprintf(stderr, "userjail metrics: write %s: %s\n", output, strerror(errno));
    unlink(tmp);
    return 1;
  }
  return 0;
}
