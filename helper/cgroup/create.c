/* Per-user cgroups: every quota the jail enforces is written here. This
 * file detects the layout, creates (or finds) the user's cgroup, writes the
 * limits and moves processes in; usage, kill and removal are cgroup_procs.c,
 * symlink-free file access is cgroup_fs.c.
 *
 * Layouts (detected from files under `root`, so tests can fake a tree):
 *   v2 unified  root/cgroup.controllers exists.
 *               no systemd: root/userjail/NAME (we enable the controllers in
 *               root/ and userjail/ cgroup.subtree_control);
 *               systemd:    root/userjail.slice/userjail.service/NAME, the
 *               only subtree systemd delegates to us (conf/userjail.service,
 *               Delegate=yes; slices cannot be delegated, so a service whose
 *               one process parks itself in the leaf ".keeper" holds it);
 *               nothing outside it is ever written. Creating a jail's
 *               cgroup also moves the caller (the jail monitor) into
 *               .keeper, out of the logind scope of the login that forked
 *               it; a session moves back to .keeper when its own scope is
 *               gone at logout (cgroup_procs.c).
 *   v1/hybrid   per-controller hierarchies root/pids, root/memory and the one
 *               holding cpu.cfs_quota_us (root/cpu or root/cpu,cpuacct ...):
 *               HIER/userjail/NAME in each.
 * Parents never hold processes (v2 no-internal-process rule).
 *
 * Paths are opened with openat2(RESOLVE_NO_SYMLINKS) (cgroup_fs.c): cgroupfs
 * has no symlinks, so one showing up means something is wrong. Knob files are
 * opened with O_CREAT: on cgroupfs they already exist and cannot be created, and on a
 * plain directory tree (unit tests) the written values become visible. */
#include "cgroup/cgroup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/timeouts.h"
#include "cgroup/internal.h"

#define CPU_PERIOD 100000
#define CPU_MIN_QUOTA 1000 /* the kernel refuses quotas below 1 ms */
#define PARENT_NAME "userjail"
#define SD_SLICE "userjail.slice"
#define SD_UNIT "userjail.service"

const char *const cg_ctrl_name[C_N] = {"pids", "memory", "cpu"};
/* A v1 directory counts as the controller's hierarchy only with this file. */
static const char *const v1_key[C_N] = {"cgroup.procs", "memory.limit_in_bytes",
                                        "cpu.cfs_quota_us"};

/* ---- small helpers ------------------------------------------------------- */

static int write_knob(const char *dir, const char *knob, const char *val, struct uj_err *err)
{
  return cg_write_knob_flags(dir, knob, val, O_TRUNC, err);
}

/* Is `word` one of the whitespace-separated words of `list` (a leading '+'
 * ignored, as a test tree holds what we wrote to cgroup.subtree_control)? */
static bool list_has(const char *list, const char *word)
{
  size_t wl = strlen(word);
  for (const char *p = list;;) {
    p += strspn(p, " \t\n");
    if (!*p)
      return false;
    size_t l = strcspn(p, " \t\n");
    const char *tok = p;
    p += l;
    if (*tok == '+') {
      tok++;
      l--;
    }
    if (l == wl && strncmp(tok, word, wl) == 0)
      return true;
  }
}

static bool swap_is_on(void)
{
  cleanup_fclose FILE *f = fopen("/proc/swaps", "re");
  char line[512];
  int lines = 0;
  if (!f)
    return false;
  while (fgets(line, sizeof line, f))
    lines++;
  return lines > 1; /* the first line is the header */
}

static bool valid_name(const char *n)
{
  size_t l = strlen(n);
  if (l == 0 || l > 64 || n[0] == '.' || n[0] == '-')
    return false;
  for (const char *p = n; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '_' || *p == '-' || *p == '.' || *p == '@'))
      return false;
  return true;
}

/* mkdir `name` in `parent`. 1 = created, 0 = already a directory, -1 error. */
static int make_dir(const char *parent, const char *name, struct uj_err *err)
{
  cleanup_close int pfd = cg_open_nofollow(parent, O_PATH | O_DIRECTORY, 0);
  struct stat st;
  if (pfd < 0)
    return uj_err_set(err, errno, "open %s", parent);
  if (mkdirat(pfd, name, 0755) == 0)
    return 1;
  if (errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s/%s", parent, name);
  if (fstatat(pfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR(st.st_mode))
    return uj_err_set(err, ENOTDIR, "%s/%s", parent, name);
  return 0;
}

/* ---- layout detection ----------------------------------------------------- */

bool cg_names_controller(const char *names, int c)
{
  size_t wl = strlen(cg_ctrl_name[c]);
  for (const char *p = names; *p;) {
    size_t l = strcspn(p, ",");
    if (l == wl && strncmp(p, cg_ctrl_name[c], wl) == 0)
      return true;
    p += l;
    if (*p)
      p++;
  }
  return false;
}

static int find_v1(const char *root, struct layout *L, struct uj_err *err)
{
  cleanup_close int fd = cg_open_nofollow(root, O_RDONLY | O_DIRECTORY, 0);
  DIR *d;
  struct dirent *de;

  if (fd < 0)
    return uj_err_set(err, errno, "open %s", root);
  if (!(d = fdopendir(fd)))
    return uj_err_set(err, errno, "read %s", root);
  fd = -1; /* owned by d now */
  while ((de = readdir(d))) {
    struct stat st;
    /* Skips symlinks such as cpu -> cpu,cpuacct: the real directory is listed too. */
    if (de->d_name[0] == '.' || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
        !S_ISDIR(st.st_mode))
      continue;
    for (int c = 0; c < C_N; c++) {
      char path[PATH_MAX];
      if (L->hier[c][0] || !cg_names_controller(de->d_name, c))
        continue;
      if (snprintf(path, sizeof path, "%s/%s/%s", root, de->d_name, v1_key[c]) <
              (int) sizeof path && cg_path_exists(path))
        snprintf(L->hier[c], PATH_MAX, "%s/%s", root, de->d_name);
    }
  }
  closedir(d);
  return 0;
}

int cg_detect(const char *root, struct layout *L, struct uj_err *err)
{
  char path[PATH_MAX];
  memset(L, 0, sizeof *L);
  if (cg_join(path, root, "cgroup.controllers", err) < 0)
    return -1;
  if (!cg_path_exists(path)) {
    L->version = 1;
    if (find_v1(root, L, err) < 0)
      return -1;
    if (!L->hier[C_PIDS][0] && !L->hier[C_MEMORY][0] && !L->hier[C_CPU][0])
      return uj_err_set(err, 0,
                        "no cgroup hierarchy under %s (no cgroup.controllers for v2, no pids, "
                        "memory or cpu hierarchy for v1)", root);
    return 0;
  }
  L->version = 2;
  /* systemd as PID 1 on the unified hierarchy always has init.scope; the
   * /run check covers the real root (that file is the documented test). */
  char initscope[PATH_MAX];
  L->systemd = (cg_join(initscope, root, "init.scope", err) == 0 && cg_is_dir(initscope)) ||
               (strcmp(root, UJ_CGROUP_ROOT) == 0 && cg_path_exists("/run/systemd/system"));
  if (L->systemd)
    snprintf(L->parent, sizeof L->parent, "%s/%s/%s", root, SD_SLICE, SD_UNIT);
  else
    snprintf(L->parent, sizeof L->parent, "%s/%s", root, PARENT_NAME);
  return 0;
}

/* The controllers the v2 parent can hand to its children: read from the
 * parent itself under systemd (the delegated unit), else from the root. */
static int v2_available(const char *root, struct layout *L, char *from, struct uj_err *err)
{
  if (cg_join(from, L->systemd ? L->parent : root, "cgroup.controllers", err) < 0)
    return -1;
  cleanup_free char *list = cg_read_all(from, err);
  if (!list)
    return -1;
  for (int c = 0; c < C_N; c++)
    L->have[c] = list_has(list, cg_ctrl_name[c]);
  return 0;
}

/* Enable the available controllers in dir/cgroup.subtree_control. A failure
 * matters only for a controller that a limit needs. */
static int enable_controllers(const char *dir, const struct layout *L, const bool need[C_N],
                              struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, "cgroup.subtree_control", err) < 0)
    return -1;
  struct uj_err ignored;
  cleanup_free char *cur = cg_read_all(path, &ignored);
  for (int c = 0; c < C_N; c++) {
    char tok[32];
    if (!L->have[c] || (cur && list_has(cur, cg_ctrl_name[c])))
      continue;
    snprintf(tok, sizeof tok, "+%s\n", cg_ctrl_name[c]);
    /* EBUSY while a process still sits in dir (no-internal-process rule);
     * under systemd, wait_delegated_empty() has already waited for that. */
    int r;
    for (int tries = 0;
         (r = cg_write_knob_flags(dir, "cgroup.subtree_control", tok, O_APPEND, err)) < 0 &&
         err->code == EBUSY && tries < 200;
         tries++)
      nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
    if (r < 0 && need[c])
      return uj_err_prefix(err, "enable %s controller", cg_ctrl_name[c]);
  }
  return 0;
}

/* systemd hosts: wait until the delegated cgroup holds no process, i.e. the
 * keeper of userjail.service has moved itself into ".keeper" (`systemctl
 * start` returns as soon as it is forked). Enabling a controller before that
 * is not just refused with EBUSY: a threaded one (pids, cpu) is accepted while
 * the keeper is still there, which turns the cgroup into a thread root; then
 * "+memory" fails with EOPNOTSUPP and the keeper's move into .keeper too, so
 * the unit fails. A missing cgroup.procs is a unit-test tree: nothing to wait for. */
static int wait_delegated_empty(const char *dir, struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, "cgroup.procs", err) < 0)
    return -1;
  for (int tries = 0;; tries++) {
    if (!cg_path_exists(path))
      return 0;
    cleanup_free char *procs = cg_read_all(path, err);
    if (!procs)
      return -1;
    if (procs[strspn(procs, " \n")] == '\0')
      return 0;
    if (tries >= UJ_TIMEOUT_DELEGATION_MS / 5) /* slow machines, emulated VMs */
      return uj_err_set(err, EBUSY,
                        "%s still holds processes (the keeper of %s did not move into "
                        "%s/.keeper)", dir, SD_UNIT, dir);
    nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL);
  }
}

/* systemd hosts: move the calling process (the jail's monitor) into the
 * delegated unit's ".keeper" leaf. It was forked by the first login's helper,
 * after pam_systemd, so it sits in that login's logind session scope: there it
 * would keep the session "closing" after that login ends (while other sessions
 * of the jail go on) and die with it on `loginctl terminate-session` or
 * KillUserProcesses=yes. A tree without .keeper (unit tests) is left alone. */
static int join_keeper(const struct layout *L, struct uj_err *err)
{
  char keeper[PATH_MAX];
  if (cg_join(keeper, L->parent, ".keeper", err) < 0)
    return -1;
  if (!cg_is_dir(keeper))
    return 0;
  if (cg_write_knob_flags(keeper, "cgroup.procs", "0", 0, err) < 0)
    return uj_err_prefix(err, "move the jail monitor into %s", keeper);
  return 0;
}

/* systemd hosts: start the delegated unit when its cgroup is missing. */
static int start_systemd_unit(const char *parent, struct uj_err *err)
{
  static const char *const paths[] = {"/usr/bin/systemctl", "/bin/systemctl"};
  const char *exe = NULL;
  for (size_t i = 0; i < sizeof paths / sizeof *paths && !exe; i++)
    if (access(paths[i], X_OK) == 0)
      exe = paths[i];
  if (!exe)
    return uj_err_set(err, 0, "%s missing and systemctl not found to start %s", parent, SD_UNIT);
  pid_t pid = fork();
  if (pid < 0)
    return uj_err_set(err, errno, "fork");
  if (pid == 0) {
    char *const argv[] = {(char *) "systemctl", (char *) "start", (char *) SD_UNIT, NULL};
    char *const envp[] = {(char *) "PATH=/usr/sbin:/usr/bin:/sbin:/bin", NULL};
    int nul = open("/dev/null", O_RDWR);
    if (nul >= 0)
      dup2(nul, 0), dup2(nul, 1);
    execve(exe, argv, envp);
    _exit(127);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR)
      return uj_err_set(err, errno, "waitpid systemctl");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
    return uj_err_set(err, 0, "systemctl start %s failed (status %d)", SD_UNIT,
                      WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
  if (!cg_is_dir(parent))
    return uj_err_set(err, 0, "%s still missing after systemctl start %s (is Delegate=yes set?)",
                      parent, SD_UNIT);
  return 0;
}

/* ---- public API ----------------------------------------------------------- */

/* How create and open start: an empty cg, a name that is safe as one path
 * component, and the host's layout. */
static int begin(const char *root, const char *name, struct layout *L, struct uj_cgroup *cg,
                 struct uj_err *err)
{
  uj_cgroup_init(cg);
  if (!valid_name(name))
    return uj_err_set(err, EINVAL, "invalid cgroup name \"%s\"", name);
  if (cg_detect(root, L, err) < 0)
    return -1;
  cg->version = L->version;
  return 0;
}

void uj_cgroup_init(struct uj_cgroup *cg)
{
  memset(cg, 0, sizeof *cg);
  for (size_t i = 0; i < UJ_CGROUP_MAXDIRS; i++)
    cg->procs_fds[i] = -1;
}

void uj_cgroup_close(struct uj_cgroup *cg)
{
  for (size_t i = 0; i < UJ_CGROUP_MAXDIRS; i++) {
    if (cg->procs_fds[i] >= 0)
      close(cg->procs_fds[i]);
    free(cg->dirs[i]);
  }
  int v = cg->version;
  uj_cgroup_init(cg);
  cg->version = v;
}

static int add_dir(struct uj_cgroup *cg, const char *dir, struct uj_err *err)
{
  for (size_t i = 0; i < cg->n; i++)
    if (strcmp(cg->dirs[i], dir) == 0)
      return 0; /* co-mounted v1 controllers share one directory */
  if (cg->n >= UJ_CGROUP_MAXDIRS)
    return uj_err_set(err, 0, "too many cgroup hierarchies");
  if (!(cg->dirs[cg->n] = strdup(dir)))
    return uj_err_set(err, ENOMEM, "cgroup");
  cg->n++;
  return 0;
}

static int open_procs(struct uj_cgroup *cg, int extra, struct uj_err *err)
{
  for (size_t i = 0; i < cg->n; i++) {
    char path[PATH_MAX];
    if (cg_join(path, cg->dirs[i], "cgroup.procs", err) < 0)
      return -1;
    cg->procs_fds[i] = cg_open_nofollow(path, O_WRONLY | extra, 0644);
    if (cg->procs_fds[i] < 0)
      return uj_err_set(err, errno, "open %s", path);
  }
  return 0;
}

/* A leftover directory may be reused only when nothing runs in it. */
static int check_unpopulated(const char *dir, struct uj_err *err)
{
  char path[PATH_MAX];
  if (cg_join(path, dir, "cgroup.procs", err) < 0)
    return -1;
  if (!cg_path_exists(path))
    return 0; /* test tree: a bare directory */
  cleanup_free char *procs = cg_read_all(path, err);
  if (!procs)
    return -1;
  if (procs[strspn(procs, " \n")] != '\0')
    return uj_err_set(err, EBUSY, "cgroup %s already has processes (jail still running?)", dir);
  if (cg_join(path, dir, "cgroup.events", err) < 0)
    return -1;
  cleanup_free char *ev = cg_path_exists(path) ? cg_read_all(path, err) : NULL;
  if (ev && strstr(ev, "populated 1"))
    return uj_err_set(err, EBUSY, "cgroup %s already has processes (jail still running?)", dir);
  return 0;
}

static int write_limits(const struct layout *L, const char *dir[C_N], const char *pdir[C_N],
                        const struct uj_settings *s, struct uj_err *err)
{
  char v[64];
  const char *memdir = dir[C_MEMORY], *cpudir = dir[C_CPU];

  if (dir[C_PIDS]) {
    if (s->pids_max)
      snprintf(v, sizeof v, "%" PRIu64, s->pids_max);
    if (write_knob(dir[C_PIDS], "pids.max", s->pids_max ? v : "max", err) < 0)
      return -1;
  }

  if (memdir) {
    const char *mem = "-1";
    if (s->memory_max) {
      snprintf(v, sizeof v, "%" PRIu64, s->memory_max);
      mem = v;
    }
    if (L->version == 2) {
      if (write_knob(memdir, "memory.max", s->memory_max ? mem : "max", err) < 0)
        return -1;
      /* Without swap accounting the kernel has no memory.swap.max; that
       * only weakens the limit when swap is actually on. */
      if (cg_knob_exists(memdir, "memory.swap.max") ||
          cg_knob_exists(pdir[C_MEMORY], "memory.swap.max")) {
        if (write_knob(memdir, "memory.swap.max", s->memory_max ? "0" : "max", err) < 0)
          return -1;
      } else if (s->memory_max && swap_is_on()) {
        return uj_err_set(err, 0,
                          "swap is on but %s has no memory.swap.max (kernel without swap "
                          "accounting): the memory limit would not cover swap", memdir);
      }
    } else if (cg_knob_exists(memdir, "memory.memsw.limit_in_bytes") ||
               cg_knob_exists(pdir[C_MEMORY], "memory.memsw.limit_in_bytes")) {
      /* memsw must stay >= limit at every step: lift it, set limit, lower it. */
      if (write_knob(memdir, "memory.memsw.limit_in_bytes", "-1", err) < 0 ||
          write_knob(memdir, "memory.limit_in_bytes", mem, err) < 0 ||
          write_knob(memdir, "memory.memsw.limit_in_bytes", mem, err) < 0)
        return -1;
    } else {
      if (write_knob(memdir, "memory.limit_in_bytes", mem, err) < 0)
        return -1;
      if (s->memory_max && swap_is_on() && write_knob(memdir, "memory.swappiness", "0", err) < 0)
        return -1;
    }
  }

  if (cpudir) {
    uint64_t quota = 0;
    if (s->cpu > 0) {
      quota = (uint64_t) (s->cpu * CPU_PERIOD + 0.5);
      if (quota < CPU_MIN_QUOTA)
        quota = CPU_MIN_QUOTA;
    }
    if (L->version == 2) {
      if (quota)
        snprintf(v, sizeof v, "%" PRIu64 " %d", quota, CPU_PERIOD);
      else
        snprintf(v, sizeof v, "max %d", CPU_PERIOD);
      if (write_knob(cpudir, "cpu.max", v, err) < 0)
        return -1;
    } else {
      snprintf(v, sizeof v, "%d", CPU_PERIOD);
      if (write_knob(cpudir, "cpu.cfs_period_us", v, err) < 0)
        return -1;
      if (quota)
        snprintf(v, sizeof v, "%" PRIu64, quota);
      if (write_knob(cpudir, "cpu.cfs_quota_us", quota ? v : "-1", err) < 0)
        return -1;
    }
  }
  return 0;
}

int uj_cgroup_create(const char *root, const char *name, const struct uj_settings *s,
                     struct uj_cgroup *cg, struct uj_err *err)
{
  struct layout L;
  bool need[C_N] = {s->pids_max > 0, s->memory_max > 0, s->cpu > 0};
  /* per controller: the user's dir and its parent (NULL when not used) */
  char dirbuf[C_N][PATH_MAX], pbuf[C_N][PATH_MAX];
  const char *dir[C_N] = {NULL}, *pdir[C_N] = {NULL};
  bool created[C_N] = {false}, pcreated[C_N] = {false};
  char from[PATH_MAX];

  if (begin(root, name, &L, cg, err) < 0)
    return -1;

  if (L.version == 1) {
    for (int c = 0; c < C_N; c++)
      if (need[c] && !L.hier[c][0])
        return uj_err_set(err, 0,
                          "%s controller not available on this host (cgroup v1: no %s "
                          "hierarchy under %s)", cg_ctrl_name[c], cg_ctrl_name[c], root);
  } else {
    if (L.systemd && !cg_is_dir(L.parent) && start_systemd_unit(L.parent, err) < 0)
      return -1;
    if (v2_available(root, &L, from, err) < 0)
      return -1;
    for (int c = 0; c < C_N; c++)
      if (need[c] && !L.have[c])
        return uj_err_set(err, 0,
                          "%s controller not available on this host (cgroup v2: not in %s)",
                          cg_ctrl_name[c], from);
  }

  /* From here on every failure goes through `fail`, which undoes our mkdirs. */
  if (L.version == 2) {
    if (!L.systemd && enable_controllers(root, &L, need, err) < 0)
      goto fail;
    if (!L.systemd) {
      int r = make_dir(root, PARENT_NAME, err);
      if (r < 0)
        goto fail;
      pcreated[0] = r == 1;
    }
    if (L.systemd && wait_delegated_empty(L.parent, err) < 0)
      goto fail;
    if (enable_controllers(L.parent, &L, need, err) < 0)
      goto fail;
    if (cg_join(dirbuf[0], L.parent, name, err) < 0)
      goto fail;
    int r = make_dir(L.parent, name, err);
    if (r < 0)
      goto fail;
    created[0] = r == 1;
    if (!created[0] && check_unpopulated(dirbuf[0], err) < 0)
      goto fail;
    for (int c = 0; c < C_N; c++)
      if (L.have[c]) {
        dir[c] = dirbuf[0];
        pdir[c] = L.parent;
      }
    if (add_dir(cg, dirbuf[0], err) < 0)
      goto fail;
  } else {
    for (int c = 0; c < C_N; c++) {
      if (!L.hier[c][0])
        continue;
      int shared = -1; /* co-mounted with an earlier controller */
      for (int k = 0; k < c; k++)
        if (dir[k] && strcmp(L.hier[k], L.hier[c]) == 0)
          shared = k;
      if (shared >= 0) {
        dir[c] = dir[shared];
        pdir[c] = L.hier[c];
        continue;
      }
      if (cg_join(pbuf[c], L.hier[c], PARENT_NAME, err) < 0 ||
          cg_join(dirbuf[c], pbuf[c], name, err) < 0)
        goto fail;
      int r = make_dir(L.hier[c], PARENT_NAME, err);
      if (r < 0)
        goto fail;
      pcreated[c] = r == 1;
      r = make_dir(pbuf[c], name, err);
      if (r < 0)
        goto fail;
      created[c] = r == 1;
      dir[c] = dirbuf[c];
      /* v1 optional knobs (memsw) are probed at the hierarchy root */
      pdir[c] = L.hier[c];
      if (!created[c] && check_unpopulated(dirbuf[c], err) < 0)
        goto fail;
      if (add_dir(cg, dirbuf[c], err) < 0)
        goto fail;
    }
  }

  if (write_limits(&L, dir, pdir, s, err) < 0)
    goto fail;
  if (open_procs(cg, O_CREAT, err) < 0)
    goto fail;
  if (L.systemd && join_keeper(&L, err) < 0)
    goto fail;
  return 0;

fail:
  uj_err_prefix(err, "cgroup %s", name);
  uj_cgroup_close(cg);
  {
    struct uj_err ignored;
    for (int c = 0; c < C_N; c++) {
      if (created[c])
        cg_remove_dir(dirbuf[c], &ignored);
      if (pcreated[c])
        cg_remove_dir(L.version == 2 ? L.parent : pbuf[c], &ignored); /* fails if shared: fine */
    }
  }
  return -1;
}

int uj_cgroup_open(const char *root, const char *name, struct uj_cgroup *cg, struct uj_err *err)
{
  struct layout L;
  char path[PATH_MAX];

  if (begin(root, name, &L, cg, err) < 0)
    return -1;
  if (L.version == 2) {
    if (cg_join(path, L.parent, name, err) < 0)
      return -1;
    if (cg_is_dir(path) && add_dir(cg, path, err) < 0)
      return -1;
  } else {
    for (int c = 0; c < C_N; c++) {
      if (!L.hier[c][0])
        continue;
      if (snprintf(path, sizeof path, "%s/%s/%s", L.hier[c], PARENT_NAME, name) >= PATH_MAX)
        return uj_err_set(err, ENAMETOOLONG, "cgroup path");
      if (cg_is_dir(path) && add_dir(cg, path, err) < 0) {
        uj_cgroup_close(cg);
        return -1;
      }
    }
  }
  if (cg->n == 0)
    return uj_err_set(err, ENOENT, "no cgroup %s under %s", name, root);
  if (open_procs(cg, 0, err) < 0) {
    uj_cgroup_close(cg);
    return -1;
  }
  return 0;
}

int uj_cgroup_attach(const struct uj_cgroup *cg, pid_t pid, struct uj_err *err)
{
  char buf[32];
  int len = snprintf(buf, sizeof buf, "%d\n", (int) pid);
  if (cg->n == 0)
    return uj_err_set(err, EINVAL, "no cgroup to move %d into", (int) pid);
  for (size_t i = 0; i < cg->n; i++) {
    if (cg->procs_fds[i] < 0)
      return uj_err_set(err, EBADF, "cgroup %s not open", cg->dirs[i]);
    if (write(cg->procs_fds[i], buf, (size_t) len) != len)
      return uj_err_set(err, errno, "move process %d into cgroup %s", (int) pid, cg->dirs[i]);
  }
  return 0;
}
