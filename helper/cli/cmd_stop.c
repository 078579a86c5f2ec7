/* `userjail stop [--grace SECONDS] [--message TEXT] USER|UID|--all`:
 * gently when asked (a note to the user's terminals, SIGTERM to every
 * process of the jail, a grace time for them to end), then the monitor's
 * teardown (uj_monitor_stop: SIGKILL of everything, cgroup and state
 * removed). Exit 1 when a jail did not end. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "cli/cli.h"
#include "cli/view.h"
#include "common/timeouts.h"
#include "jail/client.h"
#include "jail/jail.h"

#define MAX_MESSAGE 400
/* Unix98 pty slaves (/dev/pts/N): majors 136..143. Only these get the
 * note: a process's stdout may be a file or a pipe, never written to. */
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143

struct stop_req {
  bool gentle;          /* --grace or --message given */
  unsigned grace;       /* seconds */
  char note[MAX_MESSAGE + 64];
};

struct ttys {
  const char *note;
  dev_t seen[64];
  size_t n;
};

static void on_alarm(int sig)
{
  /* only interrupts a write to a stopped terminal (no SA_RESTART) */
}

/* Write the note once to each pty that a process of the jail has on fd
 * 0, 1 or 2. The descriptor is copied with pidfd_getfd, not reopened by
 * path: the jail's /dev/pts is nodev for us, and copying opens nothing, so
 * no other kind of file is touched; what is not a pty slave is closed
 * unwritten. A terminal stopped with ^S could block the write: it is
 * polled first and the write bounded by an alarm. */
static void note_terminals(int pidfd, pid_t pid, void *arg)
{
  struct ttys *t = arg;

  for (int fd = 0; fd <= 2; fd++) {
    struct stat st;
    bool seen = false;
    int w = (int) syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (w < 0)
      continue;
    if (fstat(w, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < PTS_MAJOR_FIRST ||
        major(st.st_rdev) > PTS_MAJOR_LAST) {
      close(w);
      continue;
    }
    for (size_t i = 0; i < t->n; i++)
      seen = seen || t->seen[i] == st.st_rdev;
    struct pollfd p = { .fd = w, .events = POLLOUT };
    if (!seen && t->n < sizeof t->seen / sizeof t->seen[0] && poll(&p, 1, 0) == 1 &&
        (p.revents & POLLOUT)) {
      struct sigaction sa = { .sa_handler = on_alarm }, old;
      sigaction(SIGALRM, &sa, &old);
      alarm(2);
      if (write(w, t->note, strlen(t->note)) > 0)
        t->seen[t->n++] = st.st_rdev;
      alarm(0);
      sigaction(SIGALRM, &old, NULL);
    }
    close(w);
  }
}

static void send_term(int pidfd, pid_t pid, void *arg)
{
  syscall(SYS_pidfd_send_signal, pidfd, SIGTERM, NULL, 0);
}

/* Has the jail ended, or is only its init left (a lingering jail)? */
static bool jail_settled(uid_t uid, struct uj_cgroup *cg)
{
  struct uj_info_msg info;
  struct uj_err err;
  uint64_t pids, mem;

  if (uj_monitor_info(uid, &info, &err) < 0)
    return err.code == ENOENT || err.code == ECONNREFUSED;
  return uj_cgroup_usage(cg, &pids, &mem, &err) == 0 && pids <= 1;
}

/* Gentle part: note, SIGTERM, wait. The teardown follows in stop_one.
 * False when there was no live jail to begin with. */
static bool stop_gently(uid_t uid, const char *who, const struct stop_req *r)
{
  struct uj_info_msg info;
  struct uj_cgroup cg;
  struct uj_err err;
  char name[32];
  struct timespec step = { 0, 100 * 1000 * 1000 };

  if (uj_monitor_info(uid, &info, &err) < 0)
    return false; /* no live monitor: stop_one reports it */
  snprintf(name, sizeof name, "%u", (unsigned) uid);
  uj_cgroup_init(&cg);
  if (uj_cgroup_open(UJ_CGROUP_ROOT, name, &cg, &err) < 0) {
    fprintf(stderr, "userjail stop: %s: %s\n", who, err.msg);
    return true;
  }
  if (r->note[0]) {
    struct ttys t = { .note = r->note };
    if (uj_cgroup_foreach(&cg, info.init_pid, note_terminals, &t, &err) >= 0)
      printf("told %zu terminal%s of %s\n", t.n, t.n == 1 ? "" : "s", who);
    fflush(stdout);
  }
  if (r->grace > 0) {
    /* sshd must read the note off the pty and send it before SIGTERM ends
     * the login: a second of the grace time is given to that */
    if (r->note[0])
      nanosleep(&(struct timespec){ 1, 0 }, NULL);
    if (uj_cgroup_foreach(&cg, info.init_pid, send_term, NULL, &err) < 0)
      fprintf(stderr, "userjail stop: %s: SIGTERM: %s\n", who, err.msg);
    for (unsigned i = 0; i < r->grace * 10 && !jail_settled(uid, &cg); i++)
      nanosleep(&step, NULL);
  }
  uj_cgroup_close(&cg);
  return true;
}

/* Whatever is left of uid's jail once its monitor is gone (it ended the
 * jail, or it died): processes still in the user's cgroup are killed, the
 * cgroup, socket and lock removed (jail/remains.c, as a login does). The
 * lock waits for a monitor still finishing its teardown. 1 when something
 * was there, 0 when nothing was, -1 (reported) on failure. */
static int clear_remains(uid_t uid, const char *who)
{
  struct uj_err err;
  char sock[108];
  int lock = uj_rundir_lock(uid, false, &err);
  int found;

  if (lock < 0) {
    fprintf(stderr, "userjail stop: %s: %s\n", who, err.msg);
    return -1;
  }
  found = uj_jail_remains_clear(uid, UJ_CGROUP_ROOT, &err);
  uj_rundir_path(sock, sizeof sock, uid, ".sock");
  /* The lock file goes with the jail; not if a login made a new one since. */
  uj_rundir_unlock(lock, uid, found >= 0 && access(sock, F_OK) != 0);
  if (found < 0)
    fprintf(stderr, "userjail stop: %s: %s\n", who, err.msg);
  return found;
}

static int stop_one(uid_t uid, const char *who, const struct stop_req *r, bool quiet_absent)
{
  struct uj_err err;
  bool existed = false;
  int stopped, found;

  if (r->gentle)
    existed = stop_gently(uid, who, r);
  stopped = uj_monitor_stop(uid, UJ_TIMEOUT_STOP_MS, &err);
  if (stopped < 0 && err.code != ENOENT && err.code != ECONNREFUSED) {
    /* A monitor answered but the jail did not end (in time, or entirely). */
    fprintf(stderr, "userjail stop: %s: %s\n", who, err.msg);
    return 1;
  }
  /* Ended by its monitor, or no monitor answers: either way nothing of the
   * jail may stay in the user's cgroup or in /run/userjail. */
  found = clear_remains(uid, who);
  if (found < 0)
    return 1;
  if (stopped == 0 || (existed && !found)) { /* existed: it ended in the grace time */
    printf("stopped the jail of %s\n", who);
    return 0;
  }
  if (!found) {
    if (!quiet_absent)
      fprintf(stderr, "userjail stop: %s has no jail\n", who);
    return 1;
  }
  printf("removed the remains of %s's jail (its monitor had died)\n", who);
  return 0;
}

/* Control characters of TEXT would reach the user's terminal: replace. */
static void make_note(struct stop_req *r, const char *text)
{
  char clean[MAX_MESSAGE + 1];
  size_t i;

  for (i = 0; text[i] && i < MAX_MESSAGE; i++)
    clean[i] = ((unsigned char) text[i] < 0x20 || text[i] == 0x7f) ? ' ' : text[i];
  clean[i] = '\0';
  snprintf(r->note, sizeof r->note, "\r\n\a*** userjail: message from the administrator: %s"
           " ***\r\n", clean);
}

int uj_cmd_stop(int argc, char **argv)
{
  const char *grace = NULL, *message = NULL;
  bool all = false;
  const struct uj_opt opts[] = { { "--grace", true, &grace, NULL },
                                 { "--message", true, &message, NULL },
                                 { "--all", false, NULL, &all },
                                 { NULL } };
  struct uj_args a;
  struct stop_req r = { 0 };
  int rc = uj_cli_args(argc, argv, opts, 0, 1, false, &a);

  if (rc < 0)
    return rc;
  if (all == (a.n_ops == 1)) {
    fprintf(stderr, "userjail stop: give USER, UID or --all (one of them)\n");
    return UJ_EXIT_USAGE;
  }
  if (grace && uj_args_seconds(grace, &r.grace) < 0) {
    fprintf(stderr, "userjail stop: --grace wants whole seconds from 0 to 86400, not '%s'\n",
            grace);
    return UJ_EXIT_USAGE;
  }
  if (message)
    make_note(&r, message);
  r.gentle = grace || message;

  if (all) {
    DIR *d = opendir(UJ_RUN_DIR);
    struct dirent *e;
    int n = 0;
    rc = 0;
    while (d && (e = readdir(d))) {
      char *end, who[300];
      unsigned long uid = strtoul(e->d_name, &end, 10);
      if (end == e->d_name || strcmp(end, ".sock") != 0)
        continue;
      struct passwd *pw = getpwuid((uid_t) uid);
      snprintf(who, sizeof who, "%s", pw ? pw->pw_name : e->d_name);
      rc |= stop_one((uid_t) uid, who, &r, true);
      n++;
    }
    if (d)
      closedir(d);
    if (n == 0)
      printf("no live jails\n");
    return rc ? 1 : 0;
  }

  /* A uid stops the jail of a user deleted while it lingered. */
  struct passwd *pw = getpwnam(a.ops[0]);
  uid_t uid;
  if (pw) {
    uid = pw->pw_uid;
  } else {
    char *end;
    unsigned long v = strtoul(a.ops[0], &end, 10);
    if (!*a.ops[0] || *end || v == 0 || v > UINT32_MAX - 1) {
      uj_view_unknown_user("stop", a.ops[0], NULL);
      return 1;
    }
    uid = (uid_t) v;
  }
  return stop_one(uid, a.ops[0], &r, false);
}
