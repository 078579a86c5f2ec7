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
#include "fs/safefs.h"
#include "common/timeouts.h"
#include "cgroup/internal.h"


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
  cleanup_close int pfd = uj_open_nofollow(parent, O_PATH | O_DIRECTORY, 0);
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
    if (!L->have[c] || (cur && cg_list_has(cur, cg_ctrl_name[c])))
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
    cg->procs_fds[i] = cg->join_fds[i] = -1;
}

void uj_cgroup_close(struct uj_cgroup *cg)
{
  close_many(cg->procs_fds, UJ_CGROUP_MAXDIRS);
  close_many(cg->join_fds, UJ_CGROUP_MAXDIRS);
  for (size_t i = 0; i < UJ_CGROUP_MAXDIRS; i++)
    free(cg->dirs[i]);
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
  /* See join_fds in cgroup.h for why v1 joins through `tasks`. */
  const char *join = cg->version == 1 ? "tasks" : "cgroup.procs";
  for (size_t i = 0; i < cg->n; i++) {
    char path[PATH_MAX];
    if (cg_join(path, cg->dirs[i], "cgroup.procs", err) < 0)
      return -1;
    cg->procs_fds[i] = uj_open_nofollow(path, O_WRONLY | extra, 0644);
    if (cg->procs_fds[i] < 0)
      return uj_err_set(err, errno, "open %s", path);
    if (cg_join(path, cg->dirs[i], join, err) < 0)
      return -1;
    cg->join_fds[i] = uj_open_nofollow(path, O_WRONLY | extra, 0644);
    if (cg->join_fds[i] < 0)
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

/* What a creation has made so far, so that a failure undoes exactly that:
 * per controller the user's directory and its parent (v1: one per
 * hierarchy; v2: index 0 only), and the directories the limits go to. */
struct made {
  char dir[C_N][PATH_MAX], parent[C_N][PATH_MAX];
  bool created[C_N], pcreated[C_N];
  const char *kdir[C_N], *kpdir[C_N]; /* per controller: user's dir, its parent */
};

/* Refuse before touching anything when a limit needs a missing controller. */
static int check_controllers(const char *root, struct layout *L, const bool need[C_N],
                             struct uj_err *err)
{
  char from[PATH_MAX];

  if (L->version == 1) {
    for (int c = 0; c < C_N; c++)
      if (need[c] && !L->hier[c][0])
        return uj_err_set(err, 0,
                          "%s controller not available on this host (cgroup v1: no %s "
                          "hierarchy under %s)", cg_ctrl_name[c], cg_ctrl_name[c], root);
    return 0;
  }
  if (L->systemd && !cg_is_dir(L->parent) && cg_sd_start_unit(L->parent, err) < 0)
    return -1;
  if (cg_v2_available(root, L, from, err) < 0)
    return -1;
  for (int c = 0; c < C_N; c++)
    if (need[c] && !L->have[c])
      return uj_err_set(err, 0, "%s controller not available on this host (cgroup v2: not in %s)",
                        cg_ctrl_name[c], from);
  return 0;
}

/* v2: one directory under the parent, controllers enabled on the way. */
static int make_v2(const char *root, const struct layout *L, const char *name,
                   const bool need[C_N], struct made *m, struct uj_cgroup *cg, struct uj_err *err)
{
  int r;

  if (!L->systemd) {
    if (enable_controllers(root, L, need, err) < 0)
      return -1;
    if ((r = make_dir(root, PARENT_NAME, err)) < 0)
      return -1;
    m->pcreated[0] = r == 1;
    snprintf(m->parent[0], PATH_MAX, "%s", L->parent);
  } else if (cg_sd_wait_delegated_empty(L->parent, err) < 0) {
    return -1;
  }
  if (enable_controllers(L->parent, L, need, err) < 0 ||
      cg_join(m->dir[0], L->parent, name, err) < 0)
    return -1;
  if ((r = make_dir(L->parent, name, err)) < 0)
    return -1;
  m->created[0] = r == 1;
  if (!m->created[0] && check_unpopulated(m->dir[0], err) < 0)
    return -1;
  for (int c = 0; c < C_N; c++)
    if (L->have[c]) {
      m->kdir[c] = m->dir[0];
      m->kpdir[c] = L->parent;
    }
  return add_dir(cg, m->dir[0], err);
}

/* v1: HIER/userjail/NAME in each hierarchy; co-mounted controllers share. */
static int make_v1(const struct layout *L, const char *name, struct made *m,
                   struct uj_cgroup *cg, struct uj_err *err)
{
  for (int c = 0; c < C_N; c++) {
    int r, shared = -1;
    if (!L->hier[c][0])
      continue;
    for (int k = 0; k < c; k++)
      if (m->kdir[k] && strcmp(L->hier[k], L->hier[c]) == 0)
        shared = k;
    /* v1 optional knobs (memsw) are probed at the hierarchy root */
    m->kpdir[c] = L->hier[c];
    if (shared >= 0) {
      m->kdir[c] = m->kdir[shared];
      continue;
    }
    if (cg_join(m->parent[c], L->hier[c], PARENT_NAME, err) < 0 ||
        cg_join(m->dir[c], m->parent[c], name, err) < 0)
      return -1;
    if ((r = make_dir(L->hier[c], PARENT_NAME, err)) < 0)
      return -1;
    m->pcreated[c] = r == 1;
    if ((r = make_dir(m->parent[c], name, err)) < 0)
      return -1;
    m->created[c] = r == 1;
    m->kdir[c] = m->dir[c];
    if (!m->created[c] && check_unpopulated(m->dir[c], err) < 0)
      return -1;
    if (add_dir(cg, m->dir[c], err) < 0)
      return -1;
  }
  return 0;
}

/* Remove what this creation made (a parent shared with others stays:
 * rmdir of a non-empty cgroup fails, which is what we want). */
static void unmake(const struct made *m)
{
  struct uj_err ignored;
  for (int c = 0; c < C_N; c++) {
    if (m->created[c])
      cg_remove_dir(m->dir[c], &ignored);
    if (m->pcreated[c])
      cg_remove_dir(m->parent[c], &ignored);
  }
}

int uj_cgroup_create(const char *root, const char *name, const struct uj_settings *s,
                     struct uj_cgroup *cg, struct uj_err *err)
{
  struct layout L;
  bool need[C_N] = {s->pids_max > 0, s->memory_max > 0, s->cpu > 0};
  cleanup_free struct made *m = calloc(1, sizeof *m);

  if (!m)
    return uj_err_set(err, ENOMEM, "cgroup %s", name);
  if (begin(root, name, &L, cg, err) < 0 || check_controllers(root, &L, need, err) < 0)
    return -1;
  /* From here on a failure undoes our mkdirs. */
  if ((L.version == 2 ? make_v2(root, &L, name, need, m, cg, err) : make_v1(&L, name, m, cg, err)) <
          0 ||
      cg_write_limits(&L, m->kdir, m->kpdir, s, err) < 0 || open_procs(cg, O_CREAT, err) < 0 ||
      (L.systemd && cg_sd_join_keeper(&L, err) < 0)) {
    uj_err_prefix(err, "cgroup %s", name);
    uj_cgroup_close(cg);
    unmake(m);
    return -1;
  }
  return 0;
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

int uj_cgroup_join_self(const struct uj_cgroup *cg, struct uj_err *err)
{
  if (cg->n == 0)
    return uj_err_set(err, EINVAL, "no cgroup to join");
  for (size_t i = 0; i < cg->n; i++) {
    /* "0" is the writing process (v1 tasks: the writing thread). */
    if (cg->join_fds[i] < 0 || write(cg->join_fds[i], "0", 1) != 1)
      return uj_err_set(err, cg->join_fds[i] < 0 ? EBADF : errno, "join cgroup %s", cg->dirs[i]);
  }
  return 0;
}
