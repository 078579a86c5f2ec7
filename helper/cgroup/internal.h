/* Private to the cgroup files: cgroup.c (layout detection, creation,
 * limits), cgroup_procs.c (usage, kill and removal, a process's current
 * cgroups) and cgroup_fs.c (symlink-free file access on cgroupfs). */
#ifndef UJ_CGROUP_INTERNAL_H
#define UJ_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

enum { C_PIDS, C_MEMORY, C_CPU, C_N };
extern const char *const cg_ctrl_name[C_N]; /* "pids", "memory", "cpu" */

struct layout {
  int version;
  bool systemd;
  char hier[C_N][PATH_MAX]; /* v1: hierarchy root per controller, "" if absent */
  char parent[PATH_MAX];    /* v2: parent of the per-user cgroups */
  bool have[C_N];           /* v2: controller listed in the parent's cgroup.controllers */
};

/* cgroup.c */
int cg_detect(const char *root, struct layout *L, struct uj_err *err);
/* Does the comma-separated controller list `names` (a v1 hierarchy's
 * directory name, or the middle field of /proc/PID/cgroup) name controller c? */
bool cg_names_controller(const char *names, int c);

/* cgroup_fs.c: paths are opened with RESOLVE_NO_SYMLINKS (see cgroup.c) */
int cg_open_nofollow(const char *path, int flags, mode_t mode);
bool cg_path_exists(const char *path);
bool cg_is_dir(const char *path);
bool cg_knob_exists(const char *dir, const char *knob);
/* out (PATH_MAX bytes) = a/b; ENAMETOOLONG when it does not fit. */
int cg_join(char *out, const char *a, const char *b, struct uj_err *err);
/* A whole file as a malloc'ed NUL-terminated string, or NULL (err set). */
char *cg_read_all(const char *path, struct uj_err *err);
/* Write val to dir/knob, opened O_WRONLY|O_CREAT|extra. */
int cg_write_knob_flags(const char *dir, const char *knob, const char *val, int extra,
                        struct uj_err *err);
/* rmdir a cgroup; a missing one is not an error. */
int cg_remove_dir(const char *path, struct uj_err *err);

#endif
