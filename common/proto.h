/* Wire formats between the three parties of a login:
 *   pam_userjail.so  <-socketpair->  userjail session-open (helper, exec'd per login)
 *   helper / CLI     <-unix socket->  jail monitor (one per live jail, /run/userjail/UID.sock)
 * Messages are fixed-size structs plus file descriptors sent with SCM_RIGHTS,
 * so nothing is parsed from text and no pid is ever passed by number. */
#ifndef UJ_PROTO_H
#define UJ_PROTO_H

#include <stddef.h>
#include <stdint.h>
#include <linux/filter.h>

#include "common/err.h"

#define UJ_PROTO_MAGIC 0x756a3031u /* "uj01" */
/* The seccomp filter message (module <-> helper only; monitors never see
 * it, so a monitor started by an older helper still serves new ones). */
#define UJ_FILTER_MAGIC 0x756a6631u /* "ujf1" */
/* A uj_join_msg with this magic is followed on the stream by a
 * uj_limits_msg (sent with it in one sendmsg). A jail monitor started by an
 * older release sends UJ_PROTO_MAGIC and no trailer, so a helper reading
 * the join message first and the trailer only under this magic serves both
 * kinds of live jail across an upgrade. The module and the helper are
 * installed together: they always speak the newest form. */
#define UJ_PROTO_MAGIC_LIMITS 0x756a3032u /* "uj02" */
/* Where live jails' monitors listen (UID.sock), root-only. */
#define UJ_RUN_DIR "/run/userjail"
#define UJ_MAX_FDS 16
#define UJ_MSG_LEN 512
/* Instructions of the seccomp filter a session installs (the default one is
 * about 60 with three architectures). */
#define UJ_MAX_FILTER 512

/* helper -> module: outcome of a session request. */
enum uj_status {
  UJ_STATUS_JAILED = 1,   /* fds attached: enter the jail */
  UJ_STATUS_IGNORE = 2,   /* user not matched or exempt: touch nothing */
  UJ_STATUS_DENY = 3,     /* failure, on_error = deny: refuse the session (also the
                             monitor's answer to a session it cannot take) */
  UJ_STATUS_ALLOW = 4,    /* failure, on_error = allow: log msg, go on unjailed */
  UJ_STATUS_RETRY = 5,    /* monitor -> module, UJ_CMD_QUICK: no quick answer, ask
                             the helper (the normal path) */
};

/* What a caller needs to put one process into a jail. Sent with fds in this
 * order: [session, pidfd, cgroup procs..., restore dirs...]. */
struct uj_join_msg {
  uint32_t magic;
  uint32_t status;        /* enum uj_status */
  uint32_t ns_flags;      /* CLONE_NEW* to setns() through the pidfd */
  uint32_t n_cgroup;      /* cgroup.procs fds of the user's cgroup(s) */
  uint32_t n_restore;     /* O_PATH dir fds of the caller's original cgroups */
  int32_t init_pid;       /* jail init pid as the host sees it (for display) */
  uint32_t on_error_allow;/* the rule's on_error: 1 = a failure to enter goes on unjailed */
  char msg[UJ_MSG_LEN];   /* reason for DENY/ALLOW */
};

/* helper -> module, right after a JAILED uj_join_msg: the session's seccomp
 * filter as classic BPF (built by the helper with libseccomp, so sshd never
 * maps that library); n = 0 when the rule says seccomp = false. A message
 * of its own, built after the jail exists, so a jail's monitor (forked from
 * the helper, memory benchmarked) never carries it. */
struct uj_filter_msg {
  uint32_t magic;
  uint32_t n;
  struct sock_filter insns[UJ_MAX_FILTER];
};

/* What the jail is held to, as its monitor created it (not the config of
 * the moment: a live jail keeps its settings). For the notice at login and
 * for pinning the session to the jail's CPUs. */
#define UJ_CPUMASK_WORDS 16 /* 1024 CPUs */
struct uj_limits_msg {
  uint64_t memory_max;    /* bytes, 0 = unlimited */
  uint64_t pids_max;      /* 0 = unlimited */
  uint64_t tmp_size;      /* bytes of each of /tmp, /var/tmp, /dev/shm */
  uint32_t cpu_milli;     /* 1000 = one CPU, 0 = unlimited */
  uint32_t notice;        /* 1: tell the user at login */
  uint32_t lxcfs;         /* 1: the jail's /proc shows LXCFS's views */
  uint32_t ncpus;         /* CPUs set in cpu_mask; 0 = no pinning */
  uint64_t cpu_mask[UJ_CPUMASK_WORDS];
  char hostname[72];      /* the jail's hostname, NUL-terminated */
};


/* Monitor commands: the first byte a client writes on the jail socket. */
#define UJ_CMD_SESSION 'S'  /* hold a session; reply uj_join_msg + fds */
/* The same for `userjail enter` (an admin): never refused for a used-up
 * process limit, which is what an admin may come in to fix. A monitor of an
 * older release closes the connection on it; the caller then asks 'S'. */
#define UJ_CMD_SESSION_ADMIN 'A'
#define UJ_CMD_INFO 'I'     /* reply a uj_info_msg, then close */
/* A later login's quick way in (jail/quick.c says when it is taken): the
 * module itself connects and sends 'Q' with its own pidfd and a
 * uj_quick_req. Reply: a uj_join_msg with its limits trailer, fds [pidfd,
 * cgroup..., restore dirs...], then a uj_filter_msg -- or a RETRY (or a
 * DENY for a jail at its limits). A monitor of an older release closes the
 * connection on 'Q': the module then runs the helper, as it always did. */
#define UJ_CMD_QUICK 'Q'
/* helper -> monitor after a login it let in (a uj_grant_msg follows): the
 * policy let this user in under this config text; later logins may come
 * in the quick way while the text is unchanged, for ttl seconds. */
#define UJ_CMD_GRANT 'V'
#define UJ_CMD_STOP 'T'     /* tear the jail down; the socket closes when done,
                               after the error text if it did not end cleanly */

#define UJ_QUICK_MAGIC 0x756a7131u /* "ujq1" */
#define UJ_CONFIG_PATH_LEN 512

/* A first login through a standby helper (`userjail standby`,
 * helper/cli/cmd_standby.c): the module connects here, sends a
 * uj_standby_req, and reads the same answer session-open would write on
 * its fd 3. No answer at all (no standby, a closed connection): the module
 * spawns session-open as without one. */
#define UJ_STANDBY_SOCK UJ_RUN_DIR "/standby/helper.sock"
#define UJ_STANDBY_MAGIC 0x756a7331u /* "ujs1" */
struct uj_standby_req {
  uint32_t magic;
  uint32_t reserved;
  char user[257];
  char config[UJ_CONFIG_PATH_LEN];  /* the module's config= argument, "" = default */
};

/* module -> helper, first thing on fd 3 of `session-open --module-groups`:
 * the user's group list as the session process's NSS gives it
 * (getgrouplist of the passwd entry's name and gid), followed by n_gids
 * gids. Why: the session process has its NSS modules loaded and has just
 * looked the user up; a freshly exec'd helper pays for loading them again,
 * and the group list is the dear part (with nss_systemd here: 0.85 ms in a
 * fresh process, 0.2-0.7 ms in one that has looked the user up), and the
 * module's runs while the helper execs. The helper still looks up the
 * passwd entry itself and uses the list only when it has arrived by then
 * and its uid and gid match that entry (identity/user.c).
 * n_gids = UJ_GROUPS_NONE: the module has no list for it (a failed
 * lookup, or more than UJ_GROUPS_MAX groups): the helper looks it up. */
#define UJ_GROUPS_MAGIC 0x756a6731u /* "ujg1" */
#define UJ_GROUPS_MAX 4096
#define UJ_GROUPS_NONE 0xffffffffu
struct uj_groups_msg {
  uint32_t magic;
  uint32_t uid, gid;
  uint32_t n_gids;
};

/* module -> monitor with UJ_CMD_QUICK. */
struct uj_quick_req {
  uint32_t magic;
  uint32_t reserved;
  char config[UJ_CONFIG_PATH_LEN];  /* the module's config= argument, "" = default */
};

/* helper -> monitor with UJ_CMD_GRANT. */
struct uj_grant_msg {
  uint32_t magic;         /* UJ_QUICK_MAGIC */
  uint32_t ttl_s;         /* how long quick logins may rely on this check */
  uint64_t config_hash;   /* uj_text_hash of the config file's text that was checked */
  uint32_t on_error_allow;
  uint32_t reserved;
  char config[UJ_CONFIG_PATH_LEN];  /* as the module names it, "" = default */
  struct uj_filter_msg filter;      /* the session's seccomp filter */
};

/* The reply to UJ_CMD_INFO. Versioning: monitors outlive the helper that
 * started them (an upgrade with live jails), so the reply only ever grows
 * by appending fields. A client reads up to sizeof(struct uj_info_msg) and
 * accepts any reply of at least UJ_INFO_V1_LEN bytes with the right magic:
 * fields past what the monitor sent read as zero ("unknown"). An old client
 * reads its shorter prefix of a new reply and ignores the rest. A change
 * that cannot be made by appending needs a new UJ_PROTO_MAGIC; clients then
 * refuse such a monitor with a message to stop (restart) that jail. */
#define UJ_INFO_V1_LEN 32      /* the reply of monitors before version 2 */
#define UJ_INFO_VERSION 2

struct uj_info_msg {
  uint32_t magic;
  int32_t init_pid;
  uint32_t sessions;
  uint32_t linger;
  int64_t started;        /* CLOCK_REALTIME seconds */
  uint32_t uid;
  uint32_t reserved0;     /* was padding in version 1: never read */
  /* version 2 */
  uint32_t version;       /* UJ_INFO_VERSION; 0 = a version 1 monitor */
  uint32_t reserved1;
  uint64_t config_hash;   /* of the config text the jail was built from */
};
_Static_assert(offsetof(struct uj_info_msg, version) == UJ_INFO_V1_LEN,
               "version 2 fields must start where a version 1 reply ends");

/* Send `len` bytes plus `nfds` descriptors in one message. */
int uj_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
                struct uj_err *err);
/* Receive exactly `len` bytes; up to `maxfds` descriptors land in fds (made
 * close-on-exec), their count in *nfds. Returns 0, or -1 with err set (a
 * closed peer is an error). */
int uj_recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds,
                struct uj_err *err);

/* A join message and its limits trailer (l may be NULL: then the plain
 * UJ_PROTO_MAGIC form, as an older monitor sends it). Sets msg->magic. */
int uj_send_join(int sock, struct uj_join_msg *msg, const struct uj_limits_msg *l,
                 const int *fds, size_t nfds, struct uj_err *err);
/* Receive a join message, and its trailer when the magic says one follows
 * (*have_limits tells; l zeroed otherwise). A magic of neither kind is an
 * EPROTO error (fds closed). */
int uj_recv_join(int sock, struct uj_join_msg *msg, struct uj_limits_msg *l, int *have_limits,
                 int *fds, size_t maxfds, size_t *nfds, struct uj_err *err);

#endif
