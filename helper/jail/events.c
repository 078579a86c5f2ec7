/* When a limit bites, the user and the admin learn it. Without this a
 * memory hog dies with a bare "Killed" and a fork that hits the process
 * limit says "Resource temporarily unavailable", and nobody is told why.
 *
 * Sources, both kernel-notified, so an idle jail costs no CPU:
 *   - memory: v2 memory.events ("oom_kill N", POLLPRI when it changes);
 *     v1 memory.oom_control through an eventfd registered in
 *     cgroup.event_control (fires on OOM; "oom_kill N" is then read);
 *   - processes: pids.events ("max N": forks refused by pids.max). v2
 *     signals changes (POLLPRI); v1 counts but never signals (measured on
 *     6.18), so on v1 the file is read every PERIODIC_S seconds: one read
 *     per jail per period, no CPU to speak of.
 * Each change is logged to syslog with the user and the limit, and written
 * as one line to every terminal the jail's processes have open (pts
 * devices, found through /proc/PID/fd of the cgroup's processes), like
 * wall. A fork bomb fails thousands of forks a second: reports are held to
 * one per REPORT_GAP_S per kind, the rest counted into the next one. */
#include "jail/events.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <syslog.h>
#include <time.h>
#include <dirent.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "common/cleanup.h"
#include "common/notice.h"

#define REPORT_GAP_S 10
#define MAX_TTYS 32
/* UNIX98 pty slaves: majors 136..143. */
#define PTS_MAJOR_FIRST 136
#define PTS_MAJOR_LAST 143

enum kind { K_OOM, K_PIDS, K_N };

struct source {
  int fd;              /* polled fd: an events file (POLLPRI) or an eventfd (POLLIN) */
  int counter_fd;      /* the file holding the counter (== fd for events files) */
  bool is_eventfd;
  const char *key;     /* "oom_kill " or "max " */
  uint64_t seen;       /* counter value already reported or held */
  uint64_t held;       /* events not yet reported (rate limit) */
  time_t last_report;
  int rechecks;        /* v1 OOM: the eventfd fires before the kill is counted */
  bool periodic;       /* v1 pids.events: not pollable, read every PERIODIC_S */
  time_t next_check;
};

#define PERIODIC_S 5

static const char *const keys[K_N] = { [K_OOM] = "oom_kill ", [K_PIDS] = "max " };

#define RECHECK_MS 50
#define RECHECKS 20

struct uj_events {
  struct source src[K_N];
  char procs[PATH_MAX];  /* cgroup.procs listing the jail's processes */
  char user[64];
  struct uj_limits_msg limits;
};

static int open_knob(const char *dir, const char *knob, int flags)
{
  char path[PATH_MAX];
  if ((size_t) snprintf(path, sizeof path, "%s/%s", dir, knob) >= sizeof path)
    return -1;
  return open(path, flags | O_CLOEXEC | O_NOFOLLOW);
}

/* The value after `key` at the start of a line of a flat-keyed file. */
static bool read_counter(int fd, const char *key, uint64_t *out)
{
  char buf[1024];
  ssize_t n;
  size_t klen = strlen(key);

  if (lseek(fd, 0, SEEK_SET) < 0)
    return false;
  n = read(fd, buf, sizeof buf - 1);
  if (n <= 0)
    return false;
  buf[n] = '\0';
  for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
    if (strncmp(line, key, klen) == 0) {
      *out = strtoull(line + klen, NULL, 10);
      return true;
    }
  }
  return false;
}

static void source_close(struct source *s)
{
  if (s->counter_fd >= 0 && s->counter_fd != s->fd)
    close(s->counter_fd);
  if (s->fd >= 0)
    close(s->fd);
  s->fd = s->counter_fd = -1;
}

/* v1 memory: an eventfd that the kernel signals on every OOM of the cgroup. */
static int open_v1_oom(struct source *s, const char *dir)
{
  char line[64];
  cleanup_close int ctl = open_knob(dir, "cgroup.event_control", O_WRONLY);
  int oom = open_knob(dir, "memory.oom_control", O_RDONLY);
  int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);

  if (ctl < 0 || oom < 0 || efd < 0)
    goto fail;
  snprintf(line, sizeof line, "%d %d", efd, oom);
  if (write(ctl, line, strlen(line)) < 0)
    goto fail;
  s->fd = efd;
  s->counter_fd = oom;
  s->is_eventfd = true;
  return 0;
fail:
  if (oom >= 0)
    close(oom);
  if (efd >= 0)
    close(efd);
  return -1;
}

int uj_events_open(const struct uj_cgroup *cg, const char *user,
                   const struct uj_limits_msg *limits, struct uj_events **out,
                   struct uj_err *err)
{
  struct uj_events *ev = calloc(1, sizeof *ev);
  bool any = false;

  *out = NULL;
  if (!ev)
    return uj_err_set(err, ENOMEM, "events");
  for (int k = 0; k < K_N; k++)
    ev->src[k].fd = ev->src[k].counter_fd = -1;
  for (int k = 0; k < K_N; k++)
    ev->src[k].key = keys[k];
  snprintf(ev->user, sizeof ev->user, "%s", user);
  ev->limits = *limits;
  if (cg->n == 0) {
    free(ev);
    return uj_err_set(err, ENOENT, "no cgroup");
  }
  snprintf(ev->procs, sizeof ev->procs, "%s/cgroup.procs", cg->dirs[0]);
  for (size_t i = 0; i < cg->n; i++) {
    const char *d = cg->dirs[i];
    struct source *s;
    int fd;

    s = &ev->src[K_PIDS];
    if (s->fd < 0 && limits->pids_max && (fd = open_knob(d, "pids.events", O_RDONLY)) >= 0) {
      s->fd = s->counter_fd = fd;
      s->periodic = cg->version == 1;
    }
    s = &ev->src[K_OOM];
    if (s->fd < 0 && limits->memory_max) {
      if (cg->version == 2 && (fd = open_knob(d, "memory.events", O_RDONLY)) >= 0)
        s->fd = s->counter_fd = fd;
      else if (cg->version == 1 && faccessat(AT_FDCWD, d, F_OK, 0) == 0)
        open_v1_oom(s, d);
    }
  }
  for (int k = 0; k < K_N; k++) {
    struct source *s = &ev->src[k];
    if (s->fd < 0)
      continue;
    /* A jail starts at zero, but a v1 oom_kill counter or a reused cgroup
     * may not: only changes from now on are news. */
    if (!read_counter(s->counter_fd, s->key, &s->seen)) {
      source_close(s);
      continue;
    }
    any = true;
  }
  if (!any) {
    free(ev);
    return uj_err_set(err, ENOENT, "the cgroup has no memory or pids event files");
  }
  *out = ev;
  return 0;
}

const void *uj_events_bytes(const struct uj_events *ev, size_t *len)
{
  *len = sizeof *ev;
  return ev;
}

struct uj_events *uj_events_from_bytes(const void *buf, size_t len)
{
  struct uj_events *ev;

  if (len != sizeof *ev || !(ev = malloc(sizeof *ev)))
    return NULL;
  memcpy(ev, buf, sizeof *ev);
  for (int k = 0; k < K_N; k++)
    ev->src[k].key = keys[k]; /* the old image's string addresses mean nothing here */
  return ev;
}

size_t uj_events_pollfds(struct uj_events *ev, struct pollfd *p)
{
  size_t n = 0;
  if (!ev)
    return 0;
  for (int k = 0; k < K_N; k++) {
    struct source *s = &ev->src[k];
    if (s->fd >= 0 && !s->periodic)
      p[n++] = (struct pollfd){ .fd = s->fd, .events = s->is_eventfd ? POLLIN : POLLPRI };
  }
  return n;
}

int uj_events_timeout_ms(struct uj_events *ev)
{
  time_t now = time(NULL), due = 0;

  if (!ev)
    return -1;
  for (int k = 0; k < K_N; k++)
    if (ev->src[k].rechecks)
      return RECHECK_MS;
  for (int k = 0; k < K_N; k++) {
    const struct source *s = &ev->src[k];
    if (s->held && (!due || s->last_report + REPORT_GAP_S < due))
      due = s->last_report + REPORT_GAP_S;
    if (s->fd >= 0 && s->periodic && (!due || s->next_check < due))
      due = s->next_check;
  }
  if (!due)
    return -1;
  return due <= now ? 0 : (int) (due - now) * 1000;
}

/* The host path of a pty slave that /proc/PID/fd/FD points to, in
 * name[size]: true when it is "/dev/pts/N". readlink() does not terminate
 * what it writes, so the check must not look past it. It once did: at an
 * OOM report the bytes after "/dev/pts/0" were left over from earlier calls
 * (seen in the VM: part of an address, random per monitor process under
 * ASLR; zeros at a pids report), and when the first of them happened to be
 * an ASCII digit, the user's terminal failed the all-digits test and missed
 * the report: a rare flake of check-vm-systemd's view-oom-terminal. */
static bool pts_path(const char *fdpath, char *name, size_t size)
{
  ssize_t nl = readlink(fdpath, name, size - 1);

  if (nl <= 9 || (size_t) nl >= size - 1) /* error, too short, or maybe cut */
    return false;
  name[nl] = '\0';
  return strncmp(name, "/dev/pts/", 9) == 0 && strspn(name + 9, "0123456789") == (size_t) nl - 9;
}

/* Open the pty slave that fdpath (a /proc/PID/fd entry, already stat()ed
 * into *st) points to, for writing: -1 when it is not one or is no longer
 * the same device. The kernel refuses to reopen a pty through
 * /proc/PID/fd; it is opened by its name on the host's /dev/pts (the jail
 * binds that same instance) and checked to be the very device. O_NOCTTY:
 * the monitor is a session leader without a terminal and must not gain
 * this one. O_NONBLOCK: a stopped terminal (^S) must not hang the monitor. */
static int open_pts(const char *fdpath, const struct stat *st, char *name, size_t size)
{
  struct stat tst;
  int t;

  if (!pts_path(fdpath, name, size))
    return -1;
  t = open(name, O_WRONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC | O_NOFOLLOW);
  if (t < 0)
    return -1;
  if (fstat(t, &tst) < 0 || !S_ISCHR(tst.st_mode) || tst.st_rdev != st->st_rdev ||
      tst.st_dev != st->st_dev) {
    close(t);
    return -1;
  }
  return t;
}

/* Write one line to every pts the jail's processes hold open, once each.
 * A terminal counts as told only once it was opened, checked and written
 * to: one process's descriptor that fails the checks must not hide the same
 * terminal held by another. One that refuses the write (a full or hung-up
 * terminal, or one stopped with ^S) misses the message, which the log
 * says, with why: the syslog line is the report that always arrives. */
static void tell_terminals(const struct uj_events *ev, const char *line)
{
  struct tty_id {
    dev_t dev, rdev;
  } told[MAX_TTYS];
  size_t ntold = 0, len = strlen(line);
  char *procs = NULL;
  size_t cap = 0;
  FILE *f = fopen(ev->procs, "re");

  if (!f)
    return;
  while (getline(&procs, &cap, f) > 0 && ntold < MAX_TTYS) {
    char dirpath[64];
    long pid = strtol(procs, NULL, 10);
    DIR *d;
    struct dirent *e;

    if (pid <= 0)
      continue;
    snprintf(dirpath, sizeof dirpath, "/proc/%ld/fd", pid);
    d = opendir(dirpath);
    if (!d)
      continue;
    while ((e = readdir(d)) && ntold < MAX_TTYS) {
      char fdpath[sizeof dirpath + 258], name[64];
      struct stat st;
      bool dup = false;
      ssize_t w;
      int t;

      if (e->d_name[0] == '.')
        continue;
      snprintf(fdpath, sizeof fdpath, "%s/%s", dirpath, e->d_name);
      if (stat(fdpath, &st) < 0 || !S_ISCHR(st.st_mode) || major(st.st_rdev) < PTS_MAJOR_FIRST ||
          major(st.st_rdev) > PTS_MAJOR_LAST)
        continue;
      for (size_t i = 0; i < ntold; i++)
        dup = dup || (told[i].rdev == st.st_rdev && told[i].dev == st.st_dev);
      if (dup || (t = open_pts(fdpath, &st, name, sizeof name)) < 0)
        continue;
      told[ntold++] = (struct tty_id){ .dev = st.st_dev, .rdev = st.st_rdev };
      w = write(t, line, len);
      if (w != (ssize_t) len)
        syslog(LOG_NOTICE, "userjail: jail of %s: %s missed the report: %s", ev->user, name,
               w < 0 ? strerror(errno) : "the terminal took part of it");
      close(t);
    }
    closedir(d);
  }
  free(procs);
  fclose(f);
}

static void report(struct uj_events *ev, int k, uint64_t count)
{
  char lim[32], line[320], times[32] = "";

  if (count > 1)
    snprintf(times, sizeof times, " (%llu times)", (unsigned long long) count);
  if (k == K_OOM) {
    uj_fmt_size(ev->limits.memory_max, lim, sizeof lim);
    syslog(LOG_WARNING, "userjail: jail of %s: OOM kill (memory limit %s)%s", ev->user, lim,
           times);
    snprintf(line, sizeof line,
             "\r\nuserjail: a process in your jail was killed: out of memory (limit %s for all "
             "your processes and files in /tmp, /var/tmp, /dev/shm)%s\r\n", lim, times);
  } else {
    uj_fmt_count(ev->limits.pids_max, lim, sizeof lim);
    syslog(LOG_WARNING, "userjail: jail of %s: pids limit %s reached%s", ev->user, lim, times);
    snprintf(line, sizeof line,
             "\r\nuserjail: your jail reached its process limit (%s): new processes could not "
             "start%s\r\n", lim, times);
  }
  tell_terminals(ev, line);
}

void uj_events_handle(struct uj_events *ev, const struct pollfd *p, size_t n)
{
  time_t now = time(NULL);
  size_t i = 0;

  if (!ev)
    return;
  for (int k = 0; k < K_N; k++) {
    struct source *s = &ev->src[k];
    uint64_t v;

    if (s->fd < 0)
      continue;
    if (s->periodic) {
      if (now >= s->next_check) {
        s->next_check = now + PERIODIC_S;
        if (read_counter(s->counter_fd, s->key, &v) && v > s->seen) {
          s->held += v - s->seen;
          s->seen = v;
        }
      }
    } else if (i < n && p[i].fd == s->fd && p[i].revents) {
      if (s->is_eventfd) {
        uint64_t tick;
        if (read(s->fd, &tick, sizeof tick) == sizeof tick)
          s->rechecks = RECHECKS;
      }
      /* Reading the events file also clears its POLLPRI. */
      if (read_counter(s->counter_fd, s->key, &v) && v > s->seen) {
        s->held += v - s->seen;
        s->seen = v;
        s->rechecks = 0;
      }
    } else if (s->rechecks) {
      /* v1 signals the OOM before the victim is chosen: look again shortly,
       * a bounded number of times. */
      s->rechecks--;
      if (read_counter(s->counter_fd, s->key, &v) && v > s->seen) {
        s->held += v - s->seen;
        s->seen = v;
        s->rechecks = 0;
      }
    }
    if (!s->periodic && i < n && p[i].fd == s->fd)
      i++;
    if (s->held && now >= s->last_report + REPORT_GAP_S) {
      report(ev, k, s->held);
      s->held = 0;
      s->last_report = now;
    }
  }
}
