/* Which cgroup layout this host has, detected from the files under `root`
 * (normally /sys/fs/cgroup; a temporary tree in unit tests): v2 unified with
 * or without systemd, or v1/hybrid with one hierarchy per controller. The
 * layouts themselves are described in create.c. Reads only. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/safefs.h"
#include "cgroup/internal.h"

const char *const cg_ctrl_name[C_N] = {"pids", "memory", "cpu"};
/* A v1 directory counts as the controller's hierarchy only with this file. */
static const char *const v1_key[C_N] = {"cgroup.procs", "memory.limit_in_bytes",
                                        "cpu.cfs_quota_us"};

/* Is `word` one of the whitespace-separated words of `list` (a leading '+'
 * ignored, as a test tree holds what we wrote to cgroup.subtree_control)? */
bool cg_list_has(const char *list, const char *word)
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
  cleanup_close int fd = uj_open_nofollow(root, O_RDONLY | O_DIRECTORY, 0);
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
int cg_v2_available(const char *root, struct layout *L, char *from, struct uj_err *err)
{
  if (cg_join(from, L->systemd ? L->parent : root, "cgroup.controllers", err) < 0)
    return -1;
  cleanup_free char *list = cg_read_all(from, err);
  if (!list)
    return -1;
  for (int c = 0; c < C_N; c++)
    L->have[c] = cg_list_has(list, cg_ctrl_name[c]);
  return 0;
}

