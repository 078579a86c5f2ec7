/* Private to the jail monitor: monitor.c (lifecycle: start, serve loop,
 * teardown) and monitor_sessions.c (the session table and the requests
 * that arrive on the socket). Nothing else includes this. */
#ifndef UJ_JAIL_MONITOR_H
#define UJ_JAIL_MONITOR_H

#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include "cgroup/cgroup.h"
#include "jail/jail.h"

/* Sessions one jail holds at most. Each costs the monitor two fds (its
 * connection and a pidfd of its process), so the monitor raises its own
 * RLIMIT_NOFILE to UJ_MONITOR_NOFILE: sshd hands its children 1024, which
 * used to cap a jail at ~508 sessions and then spin on accept4 EMFILE. */
#define UJ_MAX_SESSIONS 4096
#define UJ_MONITOR_FD_MARGIN 64
#define UJ_MONITOR_NOFILE (2 * UJ_MAX_SESSIONS + UJ_MONITOR_FD_MARGIN)
/* Logged-out session processes a monitor waits for at most (one fd each,
 * within the margin above); monitor_leavers.c. */
#define UJ_MAX_LEAVERS 32

/* One session: its connection, and a pidfd of the process that opened it.
 * Either ending ends the session: the connection alone is not enough,
 * because processes the session process forks (sshd's unprivileged child)
 * inherit it, and Linux has no close-on-fork. */
struct session {
  int sock;
  int pidfd; /* -1 when the client sent none */
};

struct monitor {
  const struct uj_jail_spec *spec;
  struct uj_cgroup cg;
  struct uj_net net; /* network = "private": pasta */
  pid_t init_pid;
  int pidfd;      /* of the init */
  int lifeline;   /* our end of the channel to the init: it exits on its hangup */
  int listen_fd;
  /* Held in reserve: when accept4 fails with EMFILE, closing it makes room
   * to accept the waiting client and answer it (a refusal for a session)
   * instead of leaving it in the backlog, where poll reports it again at
   * once: that was the 100 % CPU loop. */
  int spare_fd;
  /* Sessions, grown on demand: an idle jail's memory is what the
   * benchmark holds us to, so no fixed 4096-slot arrays. */
  struct session *sess;
  size_t n_sess, cap_sess;
  /* pidfds of session processes that logged out and still run: they stay
   * in the user's cgroup until they exit (monitor_leavers.c). */
  int leavers[UJ_MAX_LEAVERS];
  size_t n_leave;
  /* The process whose login created the jail, moved into the user's
   * cgroup together with the init (monitor.c): its first session request
   * is answered without cgroup fds. -1 / 0 once that request came. */
  int premoved_pidfd;
  pid_t premoved_pid;
  struct pollfd *pfds;
  time_t started;
  /* Until its first session arrives the jail is ended at this time
   * (CLOCK_MONOTONIC ms); 0 once a session came. */
  int64_t first_session_deadline;
  /* Accepting is paused until then (ms) after an accept error that a
   * retry would only repeat (ENFILE, ENOMEM). */
  int64_t accept_paused_until;
  /* Set by a teardown that will not be called off (stop, init died): new
   * sessions are refused while it waits for the user's lock. */
  bool ending;
  struct uj_jail_view view;  /* limits sent with each session; what the init was given */
  struct uj_events *events;  /* limit events (events.c); NULL when not watched */
  struct uj_quick_grant *grant;  /* quick.c: what lets later logins in quickly; NULL: none */
  /* When to give back memory (monitor.c, trim_text): a second after the
   * last activity (CLOCK_MONOTONIC ms); 0 = done. */
  int64_t trim_at;
  /* This process is userjail-monitor (monitor_handoff.c), or tried to
   * become it and stays as it is. */
  bool handed_off;
};

#define UJ_MONITOR_TRIM_MS 1000

/* monitor_self.c: OOM protection and fd limit of the monitor (and the init
 * it clones), and the init's CPUs: the monitor's others while the root is
 * built (prepare before the clone, init after it), the jail's once the
 * login has its answer (pin_init). */
void uj_monitor_protect_self(const char *user);
void uj_monitor_spread_prepare(struct uj_jail_view *view);
void uj_monitor_spread_init(const struct uj_jail_view *view, pid_t init);
void uj_monitor_pin_init(struct monitor *m);

/* monitor_memory.c: give back what serving dirtied or mapped (idle). */
void uj_monitor_trim_memory(void);
void uj_monitor_trim_text(bool rescan);

int64_t uj_monitor_now_ms(void);
int64_t uj_monitor_now_us(void);

/* monitor_sessions.c */
/* Make room for one more session (and its two pollfds). */
bool uj_monitor_reserve(struct monitor *m);
void uj_monitor_drop_session(struct monitor *m, size_t i);
/* The first session of a monitor that was its login's helper
 * (monitor.c, become_monitor): c and pidfd (both consumed) as a session
 * request would bring them. True when taken. */
bool uj_monitor_take_first(struct monitor *m, int c, int pidfd);
/* Accept one connection and serve its request. Returns 1 when it became a
 * session. A stop request tears the jail down (and does not return). */
int uj_monitor_accept(struct monitor *m);

/* quick.c: the quick way in for later logins (see there). */
struct uj_quick_grant;
/* Read a uj_grant_msg from c and keep it (replacing the one held). */
void uj_quick_grant_take(struct monitor *m, int c);
/* Keep g (copied; a malformed one is ignored). */
void uj_quick_grant_keep(struct monitor *m, const struct uj_grant_msg *g);
void uj_quick_grant_free(struct monitor *m);
/* Read the uj_quick_req from c and say whether this login may come in the
 * quick way; if not, *why says why (for debugging: the module runs the
 * helper either way). */
bool uj_quick_allowed(struct monitor *m, int c, char *why, size_t len);
/* The grant's seccomp filter and on_error, to send with the join (a grant
 * is held: uj_quick_allowed said so). */
void uj_quick_filter(const struct monitor *m, struct uj_filter_msg *f);
uint32_t uj_quick_on_error_allow(const struct monitor *m);
/* The grant as bytes (malloc'd; NULL with *len 0 when none) and back, for
 * the handoff (monitor_handoff.c). A malformed block is dropped: no grant. */
void *uj_quick_grant_bytes(const struct monitor *m, size_t *len);
void uj_quick_grant_from_bytes(struct monitor *m, const void *buf, size_t len);

/* monitor_leavers.c */
/* Keep pidfd (consumed) of a session process that logged out. */
void uj_monitor_leaver_add(struct monitor *m, int pidfd);
/* Fill p (room for UJ_MAX_LEAVERS) with their pidfds; returns how many. */
size_t uj_monitor_leaver_pollfds(const struct monitor *m, struct pollfd *p);
/* Forget those whose pollfd (filled as above) reported their exit. */
void uj_monitor_leaver_reap(struct monitor *m, const struct pollfd *p);
/* Before the cgroup is emptied: wait (when `wait`) up to
 * UJ_TIMEOUT_LEAVE_MS for them to exit, move the rest out of the cgroup. */
void uj_monitor_leavers_release(struct monitor *m, bool wait);

/* monitor.c: the loop, until the jail ends. */
void uj_monitor_serve(struct monitor *m) __attribute__((noreturn));

/* monitor_handoff.c: once idle, the monitor execs userjail-monitor with
 * its state (see there). Returns only when that did not happen, with
 * everything as before. */
void uj_monitor_handoff(struct monitor *m);
/* The state as a sealed memfd, read from its start (what the handoff passes). */
int uj_monitor_state_save(const struct monitor *m, struct uj_err *err);
/* In userjail-monitor: rebuild the monitor from the state in fd (spec and
 * s are filled as far as a running monitor reads them). */
int uj_monitor_resume(int fd, struct monitor *m, struct uj_jail_spec *spec,
                      struct uj_settings *s, struct uj_err *err);
/* The argument userjail-monitor is started with, before the state's fd. */
#define UJ_HANDOFF_ARG "--handoff"

/* monitor.c: end the jail. `stopper` is the connection of `userjail stop`
 * (-1 otherwise); it gets the error, if any, and is closed when everything
 * is gone. Not `final` (no session left, none ever came): returns when a
 * login that was waiting for the user's lock took a session meanwhile, and
 * the jail lives on. */
void uj_monitor_teardown(struct monitor *m, int stopper, bool final);

#endif
