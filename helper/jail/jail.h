/* One jail per user: its description (spec.c), the code that assembles its
 * root filesystem (mounts.c), its PID 1 (init.c), the host-side monitor that
 * owns it (monitor.c; client.c talks to it) and the path from a login to a
 * session in it (request.c, join.c). */
#ifndef UJ_JAIL_H
#define UJ_JAIL_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/proto.h"
#include "cgroup/cgroup.h"
#include "config/config.h"
#include "jail/rundir.h"


/* Everything needed to build a user's jail, resolved before any namespace
 * is created so that the jail's init never consults passwd or config. */
struct uj_jail_spec {
  const struct uj_settings *s;
  const char *user;
  uid_t uid;
  gid_t gid;
  const char *home;
  const gid_t *groups;      /* the user's groups: home and binds in it are opened with them */
  size_t n_groups;
  char hostname[65];
  unsigned ns_flags;        /* CLONE_NEWNS|CLONE_NEWPID|CLONE_NEWUTS|CLONE_NEWIPC[|CLONE_NEWNET] */
  const char *cgroup_root;  /* normally /sys/fs/cgroup */
  uint64_t config_hash;     /* of the config text the settings came from */
};

struct uj_jail_view;

/* spec.c — fill spec from settings and user (hostname expanded, ns flags). */
int uj_jail_spec_init(struct uj_jail_spec *spec, const struct uj_settings *s,
                      const char *user, uid_t uid, gid_t gid, const char *home,
                      struct uj_err *err);

/* mounts.c — in the jail init, already in its new mount namespace: make
 * propagation private, assemble the root, pivot_root into it and detach the
 * old root. On return the process runs inside the finished jail root. */
struct uj_view_wait {
  /* Called right before the jail's view of its cgroup and limits is built
   * (view.c), after every other mount: the init waits there for the
   * monitor, which makes the user's cgroup meanwhile, and fills view->cg. */
  int (*fn)(void *arg, struct uj_jail_view *view, struct uj_err *err);
  void *arg;
};
int uj_build_root(const struct uj_jail_spec *spec, struct uj_jail_view *view,
                  const struct uj_view_wait *wait, struct uj_err *err);


/* init.c — the jail's PID 1, entered right after clone. `chan` is its end
 * of a SOCK_SEQPACKET socketpair with the monitor. It joins `netns_fd` when
 * >= 0 (network = "private") and builds the root while the monitor makes
 * the user's cgroup; before the jail's view of that cgroup it waits for a
 * byte on the channel (the cgroup is ready), opens the cgroup and joins it
 * by itself; then sends "OK" ("OKL": with LXCFS views) or the error, and
 * becomes the reaper: reaps every child until killed or until the channel
 * hangs up (the monitor is gone). */
void uj_init_main(const struct uj_jail_spec *spec, struct uj_jail_view *view, int netns_fd,
                  int chan)
    __attribute__((noreturn));

/* init.c — name this process for ps (comm and command line). */
void uj_set_proc_title(const char *title);

/* net.c — the jail's network namespace and, for network = "private", the
 * pasta(1) that connects it. Owned by the monitor; see net.c for why the
 * namespace belongs to a user namespace of pasta's uid. */
struct uj_net {
  uid_t uid;          /* pasta runs as this (nobody); owner of the user namespace */
  gid_t gid;
  int userns_fd;      /* until pasta is up: the namespaces it joins */
  int netns_fd;
  pid_t starter;      /* the pasta we exec'd; exits once the network is set up */
  int starter_pidfd;
  int pid_memfd;      /* pasta writes its daemon's pid here */
  int err_fd;         /* its stderr */
  bool spawned;       /* pasta was started: every later child of ours is its */
  pid_t pasta_pid;    /* the daemon (our child: we are its subreaper) */
  int pasta_pidfd;
};
void uj_net_init(struct uj_net *n);
/* Create the user namespace (owned by pasta's uid) and the jail's network
 * namespace in it; n->netns_fd is for the init to join. */
int uj_net_create(struct uj_net *n, struct uj_err *err);
/* Start pasta on those namespaces, in the user's cgroup; returns at once. */
int uj_net_spawn(struct uj_net *n, const struct uj_jail_spec *spec, const struct uj_cgroup *cg,
                 struct uj_err *err);
/* Wait until pasta has set the network up (or failed: its message). */
int uj_net_ready(struct uj_net *n, const struct uj_jail_spec *spec, struct uj_err *err);
/* pasta exited on its own (its pidfd polled readable): reap it. */
void uj_net_reap(struct uj_net *n);
/* Kill pasta (at teardown or after a failed setup) and close everything. */
void uj_net_stop(struct uj_net *n);
/* In the init, inside its new network namespace: loopback up, and ping
 * allowed to every group (net.ipv4.ping_group_range). */
int uj_net_setup_inside(struct uj_err *err);
int uj_loopback_up(struct uj_err *err);

/* monitor.c — start a jail for spec: forks a detached monitor that creates the
 * cgroup, clones the init, waits for its setup and listens on
 * /run/userjail/UID.sock. Returns once the socket accepts sessions, or -1
 * with the setup error (in which case nothing is left behind).
 * session_pid (0: none) is the process whose login asks for this jail: it
 * is moved into the user's cgroup right after the init (see monitor.c). */
/* How the caller starts a monitor (opts may be NULL: none of this).
 * `meanwhile` (may be NULL) runs in the caller once the monitor is forked
 * off, while the jail is being set up: work the caller needs anyway, that
 * must not be inherited by the monitor (the seccomp filter: libseccomp).
 * `caller_exits`: the caller exits as soon as it has answered
 * (session-open), so the monitor may be its child until then and is
 * re-parented to the host's init when it exits, like a daemon's second fork
 * would make it, one fork sooner. Otherwise (`userjail run`, which lives on
 * as the session process in the jail) the monitor is forked twice and is
 * never the caller's child. */
struct monitor; /* private to the monitor (monitor.h) */
struct uj_start_opts {
  void (*meanwhile)(void *arg);
  void *arg;
  bool caller_exits;
  /* Non-NULL: this process becomes the monitor instead of forking one (a
   * standby's worker, whose process ends after its login anyway). On
   * success *become is that monitor, and once the login has its answer
   * the caller must go on as it: uj_monitor_continue. Before, every fd
   * from 3 up but the `keep` ones is closed. */
  struct monitor **become;
  const int *keep;
  size_t n_keep;
};
/* On success *conn is a connection to the new monitor on which a session
 * request for session_pid is already sent (uj_monitor_recv_session reads
 * the answer). */
int uj_monitor_start(const struct uj_jail_spec *spec, pid_t session_pid,
                     const struct uj_start_opts *opts, int *conn, struct uj_err *err);
/* The monitor this process became (uj_start_opts.become), from its first
 * login's answer on: it serves the jail until the jail ends. */
void uj_monitor_continue(struct monitor *m) __attribute__((noreturn));
/* What a UJ_CMD_GRANT on its socket would give it (quick.c), for the
 * monitor this process became: it cannot accept() its own connection
 * before it serves. */
void uj_monitor_keep_grant(struct monitor *m, const struct uj_grant_msg *g);

/* remains.c — clear what a jail whose monitor died left: its socket file,
 * every process in the user's cgroup (killed), the cgroup. The caller holds
 * the user's rundir lock; a monitor that answers owns its jail, which is
 * then left alone (returns 0). Returns 1 when
 * something was there (and is gone), 0 when nothing was, -1 with err. */
int uj_jail_remains_clear(uid_t uid, const char *cgroup_root, struct uj_err *err);

/* join.c — obtain a session in the user's jail, creating the jail when
 * none is alive; concurrent callers for one user are serialized by the
 * rundir lock so exactly one jail is made. The session lasts while its
 * connection is open and `session_pid` lives. On success `msg` and `fds`
 * hold the uj_join_msg and [session, pidfd, cgroup procs...], and
 * *created (may be NULL) says whether this call started the jail; only
 * then has opts->meanwhile run (uj_monitor_start). */
int uj_jail_join(const struct uj_jail_spec *spec, pid_t session_pid, struct uj_join_msg *msg,
                 struct uj_limits_msg *limits, int *fds, size_t *nfds, bool *created,
                 const struct uj_start_opts *opts, struct uj_err *err);

/* limits.c — the limits message of a jail about to be created from spec,
 * with the CPUs to pin it to (ceil(cpu) of the caller's CPUs, from
 * uid % count; none when the quota covers them all). */
void uj_limits_fill(const struct uj_jail_spec *spec, struct uj_limits_msg *l);
/* limits.c — does LXCFS run at `dir` (a FUSE mount with proc/meminfo)? */
bool uj_lxcfs_running(const char *dir);
bool uj_lxcfs_dir_ok(int dirfd);

/* What the init needs besides the spec: the limits message (it writes
 * /run/userjail-info from it) and the user's cgroup directories (bound
 * read-only into the jail so usage can be read from inside). */
struct uj_cgroup;
struct uj_jail_view {
  struct uj_limits_msg limits;
  const struct uj_cgroup *cg;
  int cpuset_fd;  /* v1 + LXCFS: `tasks` of the jail's cpuset, the init joins it; else -1 */
  /* The monitor's CPUs: the init is cloned to run on the others while
   * the monitor makes the cgroup (monitor_self.c, uj_monitor_spread_init),
   * and takes these back when told to go on ("G", init.c). */
  bool spread;
  cpu_set_t home_cpus;
};

/* view.c — in the init, before pivot_root: LXCFS's /proc files over the
 * jail's /proc (when LXCFS runs; *lxcfs says whether), the user's cgroup
 * read-only at /run/userjail/cgroup, /run/userjail-info, /run/screen. */
int uj_view_build(int host, int root, const struct uj_jail_spec *spec,
                  struct uj_jail_view *view, struct uj_err *err);

#endif
