/* Private to helper/cgroup/: layout.c (detection), create.c (creation,
 * attach), limits.c (one function per knob), systemd.c (the delegated unit),
 * procs.c (usage, kill and removal, a process's current cgroups) and fs.c
 * (symlink-free file access on cgroupfs). */
#ifndef UJ_CGROUP_INTERNAL_H
#define UJ_CGROUP_INTERNAL_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "cgroup/cgroup.h"

#define PARENT_NAME "userjail"        /* parent of the per-user cgroups (no systemd) */
#define SD_SLICE "userjail.slice"     /* systemd: the slice and the delegated unit */
#define SD_UNIT "userjail.service"

enum { C_PIDS, C_MEMORY, C_CPU, C_N };
extern const char *const cg_ctrl_name[C_N]; /* "pids", "memory", "cpu" */

struct layout {
  int version;
  bool systemd;
  char hier[C_N][PATH_MAX]; /* v1: hierarchy root per controller, "" if absent */
  char parent[PATH_MAX];    /* v2: parent of the per-user cgroups */
  bool have[C_N];           /* v2: controller listed in the parent's cgroup.controllers */
};

/* layout.c */
int cg_detect(const char *root, struct layout *L, struct uj_err *err);
/* v2: fill L->have from the controllers the parent can hand down; `from`
 * (PATH_MAX) receives the file read, for messages. */
int cg_v2_available(const char *root, struct layout *L, char *from, struct uj_err *err);
/* Is `word` one of the whitespace-separated words of `list` (a leading '+'
 * ignored)? */
bool cg_list_has(const char *list, const char *word);
/* Does the comma-separated controller list `names` (a v1 hierarchy's
 * directory name, or the middle field of /proc/PID/cgroup) name controller c? */
bool cg_names_controller(const char *names, int c);

/* limits.c: write the limits of s into the per-controller dirs (NULL: that
 * controller is not used); pdir are their parents, where optional knobs
 * are probed. */
int cg_write_limits(const struct layout *L, const char *dir[C_N], const char *pdir[C_N],
                    const struct uj_settings *s, struct uj_err *err);

/* systemd.c */
int cg_sd_start_unit(const char *parent, struct uj_err *err);
int cg_sd_wait_delegated_empty(const char *dir, struct uj_err *err);
int cg_sd_join_keeper(const struct layout *L, struct uj_err *err);

/* fs.c: every path is opened with uj_open_nofollow (fs/safefs.h) */
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
