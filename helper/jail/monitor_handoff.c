/* The monitor's handoff to userjail-monitor.
 *
 * A jail's monitor starts as a fork of the helper that created the jail:
 * it inherits the helper's heap, stack, libraries (libconfig, libcap) and
 * everything the user lookup and the config parse dirtied. Once the jail
 * runs and the monitor has been idle for a moment (UJ_MONITOR_TRIM_MS, off
 * every login's path), it executes userjail-monitor: a program built from
 * the same sources but linked with only the loop, the session requests and
 * the teardown (Makefile: --gc-sections), which starts with a fresh address
 * space. What carries over:
 *   - every fd (the listening socket, the init's pidfd and lifeline, the
 *     sessions, the cgroup's files, the event sources, pasta's pidfd), by
 *     clearing close-on-exec on all of them for the exec;
 *   - the process itself: pid, children (the init, pasta), session, cgroup,
 *     oom_score_adj, RLIMIT_NOFILE, child-subreaper;
 *   - the rest of the state (struct monitor and the spec's few fields a
 *     running monitor reads) in a sealed memfd whose number is argv[2].
 *
 * The state's layout is the build's own: userjail-monitor must come from
 * the same build as the monitor that hands off. Both link this file, which
 * holds HANDOFF_MARK; the monitor reads the program file and execs it only
 * when that exact mark is in it. An upgrade that replaced the program
 * meanwhile (another mark) or a missing program leaves the monitor as it
 * is: it keeps serving, only bigger. So does any failure before the exec.
 * The jail never notices either way: logins wait in the socket's backlog
 * for the ~1 ms the exec takes. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <dirent.h>
#include <linux/close_range.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <syslog.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "config/config.h"
#include "fs/safefs.h"
#include "jail/events.h"
#include "jail/monitor.h"

#ifndef UJ_HANDOFF_ID
#error "UJ_HANDOFF_ID: the build's id (Makefile)"
#endif
#ifndef UJ_MONITOR_PATH
#define UJ_MONITOR_PATH "/usr/local/libexec/userjail-monitor"
#endif

#define HANDOFF_MARK "userjail-monitor-handoff:" UJ_HANDOFF_ID
/* The program is small; anything much larger is not ours. */
#define PROGRAM_MAX (16u << 20)

/* Fixed part of the state; variable parts follow in this order: user,
 * cgroup_root, the cgroup dirs, the sessions, the events, the grant. */
struct head {
  char mark[sizeof HANDOFF_MARK];
  uint32_t size_head;
  /* spec */
  uid_t uid;
  gid_t gid;
  unsigned ns_flags;
  uint64_t config_hash;
  int32_t on_logout;
  /* monitor */
  pid_t init_pid;
  int pidfd, lifeline, listen_fd, spare_fd, premoved_pidfd;
  pid_t premoved_pid;
  int64_t started;
  int64_t first_session_deadline, accept_paused_until;
  struct uj_limits_msg limits;
  struct uj_net net;
  int32_t cg_version;
  uint32_t cg_n;
  int procs_fds[UJ_CGROUP_MAXDIRS], join_fds[UJ_CGROUP_MAXDIRS];
  uint32_t n_leave;
  int leavers[UJ_MAX_LEAVERS];
  uint32_t n_sess;
  uint32_t len_user, len_root, len_dirs[UJ_CGROUP_MAXDIRS], len_events, len_grant;
};

static bool put(int fd, const void *p, size_t n)
{
  const char *c = p;
  while (n) {
    ssize_t w = write(fd, c, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    c += w;
    n -= (size_t) w;
  }
  return true;
}

static bool get(int fd, void *p, size_t n)
{
  char *c = p;
  while (n) {
    ssize_t r = read(fd, c, n);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    c += r;
    n -= (size_t) r;
  }
  return true;
}

int uj_monitor_state_save(const struct monitor *m, struct uj_err *err)
{
  const struct uj_jail_spec *spec = m->spec;
  struct head h;
  size_t len_events = 0, len_grant = 0;
  const void *events = m->events ? uj_events_bytes(m->events, &len_events) : NULL;
  cleanup_free void *grant = uj_quick_grant_bytes(m, &len_grant);
  cleanup_close int fd = memfd_create("userjail-monitor-state", MFD_ALLOW_SEALING);

  if (fd < 0)
    return uj_err_set(err, errno, "memfd");
  memset(&h, 0, sizeof h);
  memcpy(h.mark, HANDOFF_MARK, sizeof h.mark);
  h.size_head = sizeof h;
  h.uid = spec->uid;
  h.gid = spec->gid;
  h.ns_flags = spec->ns_flags;
  h.config_hash = spec->config_hash;
  h.on_logout = spec->s->on_logout;
  h.init_pid = m->init_pid;
  h.pidfd = m->pidfd;
  h.lifeline = m->lifeline;
  h.listen_fd = m->listen_fd;
  h.spare_fd = m->spare_fd;
  h.premoved_pidfd = m->premoved_pidfd;
  h.premoved_pid = m->premoved_pid;
  h.started = m->started;
  h.first_session_deadline = m->first_session_deadline;
  h.accept_paused_until = m->accept_paused_until;
  h.limits = m->view.limits;
  h.net = m->net;
  h.cg_version = m->cg.version;
  h.cg_n = (uint32_t) m->cg.n;
  for (size_t i = 0; i < UJ_CGROUP_MAXDIRS; i++) {
    h.procs_fds[i] = m->cg.procs_fds[i];
    h.join_fds[i] = m->cg.join_fds[i];
    h.len_dirs[i] = i < m->cg.n && m->cg.dirs[i] ? (uint32_t) strlen(m->cg.dirs[i]) + 1 : 0;
  }
  h.n_leave = (uint32_t) m->n_leave;
  memcpy(h.leavers, m->leavers, sizeof h.leavers);
  h.n_sess = (uint32_t) m->n_sess;
  h.len_user = (uint32_t) strlen(spec->user) + 1;
  h.len_root = (uint32_t) strlen(spec->cgroup_root) + 1;
  h.len_events = (uint32_t) len_events;
  h.len_grant = (uint32_t) len_grant;
  bool ok = put(fd, &h, sizeof h) && put(fd, spec->user, h.len_user) &&
            put(fd, spec->cgroup_root, h.len_root);
  for (size_t i = 0; ok && i < UJ_CGROUP_MAXDIRS; i++)
    ok = put(fd, m->cg.dirs[i], h.len_dirs[i]);
  ok = ok && put(fd, m->sess, m->n_sess * sizeof *m->sess) && put(fd, events, len_events) &&
       put(fd, grant, len_grant);
  if (!ok)
    return uj_err_set(err, errno ? errno : EIO, "write state");
  /* What the new image reads is what was written: nobody else has the fd,
   * but sealed it cannot change even by accident. */
  if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0 ||
      lseek(fd, 0, SEEK_SET) < 0)
    return uj_err_set(err, errno, "seal state");
  return steal_fd(&fd);
}

/* Is the program at fd from this very build? (See the top of the file.) */
static bool same_build(int fd)
{
  struct stat st;
  cleanup_free char *buf = NULL;

  if (fstat(fd, &st) < 0 || st.st_size <= 0 || (uint64_t) st.st_size > PROGRAM_MAX ||
      !(buf = malloc((size_t) st.st_size)))
    return false;
  if (pread(fd, buf, (size_t) st.st_size, 0) != st.st_size)
    return false;
  return memmem(buf, (size_t) st.st_size, HANDOFF_MARK, sizeof HANDOFF_MARK) != NULL;
}

/* Clear close-on-exec on every fd but `keep_cloexec`: all the monitor has
 * open is its state (it closed everything else when it was forked). */
static void all_fds_inherit(int keep_cloexec)
{
  DIR *d = opendir("/proc/self/fd");
  struct dirent *e;

  if (!d)
    return;
  while ((e = readdir(d))) {
    int fd = atoi(e->d_name);
    if (e->d_name[0] == '.' || fd < 3 || fd == dirfd(d) || fd == keep_cloexec)
      continue;
    fcntl(fd, F_SETFD, 0);
  }
  closedir(d);
}

void uj_monitor_handoff(struct monitor *m)
{
  struct uj_err err;
  char state_arg[16];
  cleanup_close int prog = -1;
  int state;

  m->handed_off = true; /* once: a failure now would fail again */
  if (m->ending || m->first_session_deadline)
    return;
  prog = uj_open_own_program("userjail-monitor", UJ_MONITOR_PATH, O_RDONLY);
  if (prog < 0)
    return; /* not installed: this process serves on */
  if (!same_build(prog)) {
    syslog(LOG_NOTICE, "userjail: jail of %s: userjail-monitor is from another build; "
           "the monitor stays as it is", m->spec->user);
    return;
  }
  if ((state = uj_monitor_state_save(m, &err)) < 0) {
    syslog(LOG_WARNING, "userjail: jail of %s: monitor handoff: %s", m->spec->user, err.msg);
    return;
  }
  char title[80];
  snprintf(title, sizeof title, "userjail-mon %s", m->spec->user);
  snprintf(state_arg, sizeof state_arg, "%d", state);
  char *const argv[] = { title, UJ_HANDOFF_ARG, state_arg, NULL };
  char *const envp[] = { NULL };
  /* glibc's syslog socket is of no use to the new image (it opens its own) */
  closelog();
  all_fds_inherit(prog);
  syscall(SYS_execveat, prog, "", argv, envp, AT_EMPTY_PATH);
  int e = errno;
  /* Still here: as before, and the fds close-on-exec again. */
  syscall(SYS_close_range, 3U, ~0U, CLOSE_RANGE_CLOEXEC);
  close(state);
  syslog(LOG_WARNING, "userjail: jail of %s: exec userjail-monitor: %s; the monitor stays as "
         "it is", m->spec->user, strerror(e));
}

int uj_monitor_resume(int fd, struct monitor *m, struct uj_jail_spec *spec,
                      struct uj_settings *s, struct uj_err *err)
{
  struct head h;
  cleanup_free void *events = NULL, *grant = NULL;
  char *user = NULL, *root = NULL;

  if (!get(fd, &h, sizeof h) || memcmp(h.mark, HANDOFF_MARK, sizeof h.mark) != 0 ||
      h.size_head != sizeof h || h.cg_n > UJ_CGROUP_MAXDIRS || h.n_leave > UJ_MAX_LEAVERS ||
      h.n_sess > UJ_MAX_SESSIONS || h.len_user == 0 || h.len_root == 0 ||
      h.len_user > 4096 || h.len_root > PATH_MAX || h.len_events > (1u << 20) ||
      h.len_grant > (1u << 20))
    return uj_err_set(err, EINVAL, "state: not from this build");
  memset(m, 0, sizeof *m);
  memset(spec, 0, sizeof *spec);
  memset(s, 0, sizeof *s);
  uj_cgroup_init(&m->cg);
  if (!(user = malloc(h.len_user)) || !(root = malloc(h.len_root)) ||
      !get(fd, user, h.len_user) || !get(fd, root, h.len_root) ||
      user[h.len_user - 1] || root[h.len_root - 1])
    goto bad;
  s->on_logout = (enum uj_on_logout) h.on_logout;
  spec->s = s;
  spec->user = user;
  spec->cgroup_root = root;
  spec->uid = h.uid;
  spec->gid = h.gid;
  spec->ns_flags = h.ns_flags;
  spec->config_hash = h.config_hash;
  m->spec = spec;
  m->cg.version = h.cg_version;
  m->cg.n = h.cg_n;
  for (size_t i = 0; i < UJ_CGROUP_MAXDIRS; i++) {
    m->cg.procs_fds[i] = h.procs_fds[i];
    m->cg.join_fds[i] = h.join_fds[i];
    if (!h.len_dirs[i])
      continue;
    if (h.len_dirs[i] > PATH_MAX || !(m->cg.dirs[i] = malloc(h.len_dirs[i])) ||
        !get(fd, m->cg.dirs[i], h.len_dirs[i]) || m->cg.dirs[i][h.len_dirs[i] - 1])
      goto bad;
  }
  m->init_pid = h.init_pid;
  m->pidfd = h.pidfd;
  m->lifeline = h.lifeline;
  m->listen_fd = h.listen_fd;
  m->spare_fd = h.spare_fd;
  m->premoved_pidfd = h.premoved_pidfd;
  m->premoved_pid = h.premoved_pid;
  m->started = (time_t) h.started;
  m->first_session_deadline = h.first_session_deadline;
  m->accept_paused_until = h.accept_paused_until;
  m->view.limits = h.limits;
  m->view.cg = &m->cg;
  m->view.cpuset_fd = -1;
  m->net = h.net;
  m->n_leave = h.n_leave;
  memcpy(m->leavers, h.leavers, sizeof m->leavers);
  /* grow the tables (uj_monitor_reserve grows them when full) */
  do {
    m->n_sess = m->cap_sess;
    if (!uj_monitor_reserve(m))
      goto bad;
  } while (m->cap_sess <= h.n_sess);
  if (!get(fd, m->sess, h.n_sess * sizeof *m->sess))
    goto bad;
  m->n_sess = h.n_sess;
  if (h.len_events) {
    if (!(events = malloc(h.len_events)) || !get(fd, events, h.len_events) ||
        !(m->events = uj_events_from_bytes(events, h.len_events)))
      goto bad;
  }
  if (h.len_grant) {
    if (!(grant = malloc(h.len_grant)) || !get(fd, grant, h.len_grant))
      goto bad;
    uj_quick_grant_from_bytes(m, grant, h.len_grant);
  }
  m->handed_off = true;
  return 0;
bad:
  return uj_err_set(err, EINVAL, "state: short or malformed");
}
