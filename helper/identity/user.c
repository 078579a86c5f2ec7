/* See user.h. Why not in the caller's own thread: an NSS module (sss,
 * ldap) can block for minutes on a directory that does not answer (the sss
 * client alone waits up to 300 s), and interrupting it from a signal
 * handler would leave glibc's and the module's locks and sockets in an
 * unknown state. So the lookup runs beside the caller, who waits for its
 * answer on a pipe until a deadline, in one of two ways:
 * - a child process, killed whole at the deadline: for callers that live
 *   on (`userjail run` becomes the session; status and list);
 * - a thread, for session-open, a helper that exits right after its
 *   answer: a thread still stuck at the deadline simply ends with the
 *   process. It costs no fork and no wait for a new process to be
 *   scheduled: measured 0.3-0.4 ms less per first login after a quiet
 *   moment. Its NSS modules and malloc arena stay mapped in the helper and
 *   so in a new jail's monitor (a fork of it) until, a second later, the
 *   monitor execs userjail-monitor (jail/monitor_handoff.c). *
 * Why getgrouplist and not the named groups' member lists: getgrouplist is
 * the same single "initgroups" request for the user that sshd and su make
 * at every login anyway (so sssd answers it from its cache), while a
 * group's gr_mem is incomplete under sssd's ignore_group_members and costly
 * for large groups. The named groups are then looked up by name, once each,
 * for their gid only. */
#include "identity/user.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "common/proto.h"
#include "fs/safefs.h"
#include "util/text.h"

#define MAX_GROUPS 65536
#define MAX_ANSWER (1 << 20)

/* ---- the child: look up, write "OK\0name\0home\0shell\0uid\0gid\0N\0gid...\0M\0group...\0"
 * or "ERR\0errno\0message\0" to fd ---------------------------------------- */

struct out {
  char *buf;
  size_t len, cap;
  bool oom;
};

static void put(struct out *o, const char *s)
{
  size_t n = strlen(s) + 1;
  if (o->oom)
    return;
  if (o->len + n > o->cap) {
    size_t cap = (o->cap ? o->cap * 2 : 4096) + n;
    char *b = realloc(o->buf, cap);
    if (!b) {
      o->oom = true;
      return;
    }
    o->buf = b;
    o->cap = cap;
  }
  memcpy(o->buf + o->len, s, n);
  o->len += n;
}

static void putu(struct out *o, unsigned long v)
{
  char num[32];
  snprintf(num, sizeof num, "%lu", v);
  put(o, num);
}

static void fail(struct out *o, int e, const char *msg)
{
  o->len = 0;
  o->oom = false;
  put(o, "ERR");
  putu(o, (unsigned long) e);
  put(o, msg);
}

static int lookup_passwd(const char *name, struct passwd *pw, char **buf, struct out *o)
{
  size_t len = 4096;
  struct passwd *res = NULL;
  int r;

  for (;;) {
    free(*buf);
    *buf = malloc(len);
    if (!*buf)
      return ENOMEM;
    r = getpwnam_r(name, pw, *buf, len, &res);
    if (r != ERANGE || len >= (1 << 20))
      break;
    len *= 2;
  }
  if (r != 0 || !res) {
    char msg[300];
    snprintf(msg, sizeof msg, "unknown user '%s'", name);
    fail(o, r ? r : ENOENT, msg);
    return -1;
  }
  return 0;
}

/* One getgrnam of a named group: its gid, or found=false. */
static int lookup_gid(const char *group, gid_t *gid, bool *found)
{
  size_t len = 4096;
  struct group gr, *res = NULL;
  int r;

  for (;;) {
    cleanup_free char *buf = malloc(len);
    if (!buf)
      return ENOMEM;
    r = getgrnam_r(group, &gr, buf, len, &res);
    if (r != ERANGE || len >= (1 << 24)) {
      if (r == 0 && res)
        *gid = res->gr_gid;
      break;
    }
    len *= 2; /* a group with many members is large even when unused */
  }
  *found = r == 0 && res;
  /* ENOENT and friends mean "no such group" for several NSS modules */
  return (r == 0 || r == ENOENT || r == ESRCH || r == EBADF || r == EPERM) ? 0 : r;
}

/* The group names the config mentions, from the parent ("a\0b\0...",
 * then EOF): it parses the config while we look the user up. */
static size_t read_named(int fd, char **text, const char ***named)
{
  size_t len = 0, cap = 0, n = 0;
  char *buf = NULL;

  *text = NULL;
  *named = NULL;
  for (;;) {
    if (len == cap) {
      char *b = cap >= MAX_ANSWER ? NULL : realloc(buf, cap = cap ? cap * 2 : 4096);
      if (!b)
        break;
      buf = b;
    }
    ssize_t r = read(fd, buf + len, cap - len);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      break;
    len += (size_t) r;
  }
  for (size_t i = 0; i < len; i++)
    n += buf[i] == '\0';
  const char **v = calloc(n + 1, sizeof *v);
  if (!v) {
    free(buf);
    return 0;
  }
  n = 0;
  for (size_t i = 0; i < len; i += strlen(buf + i) + 1)
    if (memchr(buf + i, '\0', len - i))
      v[n++] = buf + i;
  *text = buf;
  *named = v;
  return n;
}

/* The lookup itself, its answer's text in *o (parse_answer reads it). The
 * group names the config mentions come from get_named once the user's own
 * entries are known: the caller parses the config meanwhile. */
struct named_src {
  int fd;                        /* read them from here (read_named) ... */
  const char *const *given;      /* ... or these, when fd < 0 */
  size_t n_given;
};

/* The group list the PAM module sent on groups_fd (proto.h,
 * uj_groups_msg): its count, with the gids in *gids, or -1 when there is
 * none to use: not there yet, none sent, garbled, or made for another
 * passwd entry than the one we found (an entry changed in between, a
 * different name's entry): we then look it up ourselves, as without the
 * module's list.
 * Not there yet: the module sends it once its spawn of this helper has
 * returned, which on a machine with few CPUs can be after this helper has
 * run for a millisecond or two (the spawning process waits for a CPU
 * behind the helper it started). Waiting for it then would cost more than
 * the lookup it saves, so it is taken only when it has arrived. */
static int module_groups(int groups_fd, const struct passwd *pw, gid_t **gids)
{
  struct uj_groups_msg m;
  struct pollfd p = { .fd = groups_fd, .events = POLLIN };

  if (poll(&p, 1, 0) != 1 || !(p.revents & POLLIN) ||
      uj_read_exact(groups_fd, &m, sizeof m) < 0 || m.magic != UJ_GROUPS_MAGIC ||
      m.n_gids == UJ_GROUPS_NONE || m.n_gids == 0 || m.n_gids > UJ_GROUPS_MAX ||
      m.uid != (uint32_t) pw->pw_uid || m.gid != (uint32_t) pw->pw_gid)
    return -1;
  gid_t *g = calloc(m.n_gids, sizeof *g);
  if (!g)
    return -1;
  if (uj_read_exact(groups_fd, g, m.n_gids * sizeof *g) < 0) {
    free(g);
    return -1;
  }
  free(*gids);
  *gids = g;
  return (int) m.n_gids;
}

/* The user's groups from NSS (the "initgroups" request): their count,
 * with the gids in *gids, or -1 after fail(). */
static int nss_groups(const struct passwd *pw, gid_t **gids, struct out *o)
{
  int ng = 64;

  for (;;) {
    int want = ng;
    free(*gids);
    *gids = calloc((size_t) ng, sizeof **gids);
    if (!*gids) {
      fail(o, ENOMEM, "out of memory");
      return -1;
    }
    if (getgrouplist(pw->pw_name, pw->pw_gid, *gids, &ng) >= 0)
      return ng;
    if (ng <= want) /* no progress: the module failed */
      ng = want * 2;
    if (ng > MAX_GROUPS) {
      fail(o, E2BIG, "user is in too many groups");
      return -1;
    }
  }
}

static void lookup_into(const char *name, int groups_fd, struct named_src *src, struct out *o)
{
  struct passwd pw;
  cleanup_free char *pwbuf = NULL;
  cleanup_free gid_t *gids = NULL;
  int ng = -1;
  cleanup_free char *named_text = NULL;
  cleanup_free const char **named_read = NULL;
  const char *const *named;
  size_t n_named;

  if (lookup_passwd(name, &pw, &pwbuf, o) < 0)
    return;
  if (groups_fd >= 0)
    ng = module_groups(groups_fd, &pw, &gids);
  if (ng < 0 && (ng = nss_groups(&pw, &gids, o)) < 0)
    return;
  put(o, "OK");
  put(o, pw.pw_name);
  put(o, pw.pw_dir);
  put(o, pw.pw_shell);
  putu(o, pw.pw_uid);
  putu(o, pw.pw_gid);
  putu(o, (unsigned long) ng);
  for (int i = 0; i < ng; i++)
    putu(o, gids[i]);

  if (src->fd >= 0) {
    n_named = read_named(src->fd, &named_text, &named_read);
    named = named_read;
  } else {
    named = src->given;
    n_named = src->n_given;
  }
  /* root is never jailed: its groups do not matter */
  if (pw.pw_uid == 0)
    n_named = 0;
  size_t n_in = 0;
  cleanup_free const char **in = calloc(n_named + 1, sizeof *in);
  if (!in) {
    fail(o, ENOMEM, "out of memory");
    return;
  }
  for (size_t i = 0; i < n_named; i++) {
    gid_t g = 0;
    bool found = false;
    int r = lookup_gid(named[i], &g, &found);
    if (r) {
      char msg[300];
      snprintf(msg, sizeof msg, "group lookup for '%s' failed", named[i]);
      fail(o, r, msg);
      return;
    }
    for (int k = 0; found && k < ng; k++)
      if (gids[k] == g) {
        in[n_in++] = named[i];
        break;
      }
  }
  putu(o, n_in);
  for (size_t i = 0; i < n_in; i++)
    put(o, in[i]);
}

static int do_lookup(const char *name, int groups_fd, int names_fd, int fd)
{
  struct out o = { 0 };
  struct named_src src = { .fd = names_fd };

  lookup_into(name, groups_fd, &src, &o);
  if (o.oom)
    fail(&o, ENOMEM, "out of memory");
  int rc = 0;
  for (size_t off = 0; off < o.len;) {
    ssize_t w = write(fd, o.buf + off, o.len - off);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      rc = 1;
      break;
    }
    off += (size_t) w;
  }
  free(o.buf);
  return rc;
}

static void child_lookup(const char *name, int groups_fd, int names_fd, int fd)
  __attribute__((noreturn));
static void child_lookup(const char *name, int groups_fd, int names_fd, int fd)
{
  _exit(do_lookup(name, groups_fd, names_fd, fd));
}

/* The thread's side: the same lookup, then its ends closed (EOF for the
 * caller). Every signal is blocked in it: a write to a caller that gave up
 * is EPIPE, not SIGPIPE. */
struct lookup_thread {
  char name[257];
  int groups_fd, names_fd, fd;  /* all the thread's own, closed when it ends */
};

static void *lookup_thread_main(void *arg)
{
  struct lookup_thread *t = arg;
  do_lookup(t->name, t->groups_fd, t->names_fd, t->fd);
  if (t->groups_fd >= 0)
    close(t->groups_fd);
  close(t->names_fd);
  close(t->fd);
  free(t);
  return NULL;
}

static int start_thread(struct uj_lookup *lk, int groups_fd, int names_fd, int fd)
{
  struct lookup_thread *t = calloc(1, sizeof *t);
  sigset_t all, old;
  int r;

  if (!t)
    return ENOMEM;
  snprintf(t->name, sizeof t->name, "%s", lk->name);
  /* A copy: a thread past its deadline is left running (user.h) while
   * the caller answers on and closes the original, whose number could then
   * name another file. Without one it looks the groups up itself. */
  t->groups_fd = groups_fd >= 0 ? fcntl(groups_fd, F_DUPFD_CLOEXEC, 3) : -1;
  t->names_fd = names_fd;
  t->fd = fd;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  r = pthread_create(&lk->thread, NULL, lookup_thread_main, t);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
  if (r != 0) {
    if (t->groups_fd >= 0)
      close(t->groups_fd);
    free(t);
  }
  return r;
}

/* ---- the parent: wait (bounded), read, parse ------------------------------ */

static long long now_ms(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Read everything the child writes until EOF or the deadline. Returns the
 * length, -1 with errno (ETIMEDOUT when the deadline passed). */
static ssize_t read_answer(int fd, char *buf, size_t cap, long long deadline)
{
  size_t len = 0;
  for (;;) {
    long long left = deadline - now_ms();
    struct pollfd p = { .fd = fd, .events = POLLIN };
    ssize_t n;
    if (left <= 0) {
      errno = ETIMEDOUT;
      return -1;
    }
    n = poll(&p, 1, (int) left);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      continue;
    if (len >= cap) {
      errno = E2BIG;
      return -1;
    }
    n = read(fd, buf + len, cap - len);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0)
      return (ssize_t) len;
    len += (size_t) n;
  }
}

/* Next NUL-terminated field of the answer, or NULL at its end. */
static const char *next_field(const char *buf, size_t len, size_t *off)
{
  const char *s;
  if (*off >= len)
    return NULL;
  s = buf + *off;
  if (!memchr(s, '\0', len - *off))
    return NULL;
  *off += strlen(s) + 1;
  return s;
}

static bool next_ulong(const char *buf, size_t len, size_t *off, unsigned long *v)
{
  const char *s = next_field(buf, len, off);
  char *end;
  if (!s || !*s)
    return false;
  errno = 0;
  *v = strtoul(s, &end, 10);
  return !errno && !*end;
}

static int parse_answer(const char *buf, size_t len, const char *name, struct uj_userinfo *ui,
                        struct uj_err *err)
{
  size_t off = 0;
  const char *tag = next_field(buf, len, &off);
  unsigned long v, n;

  if (tag && strcmp(tag, "ERR") == 0) {
    const char *msg;
    if (!next_ulong(buf, len, &off, &v) || !(msg = next_field(buf, len, &off)))
      return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
    return uj_err_set(err, (int) v, "%s", msg);
  }
  if (!tag || strcmp(tag, "OK") != 0)
    return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
  const char *pname = next_field(buf, len, &off);
  const char *home = next_field(buf, len, &off);
  const char *shell = next_field(buf, len, &off);
  if (!pname || !home || !shell)
    return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
  ui->name = strdup(pname);
  ui->home = strdup(home);
  ui->shell = strdup(shell);
  if (!ui->name || !ui->home || !ui->shell)
    return uj_err_set(err, ENOMEM, "user '%s'", name);
  if (!next_ulong(buf, len, &off, &v))
    return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
  ui->u.uid = (uid_t) v;
  if (!next_ulong(buf, len, &off, &v) || !next_ulong(buf, len, &off, &n) || n > MAX_GROUPS)
    return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
  ui->u.gid = (gid_t) v;
  ui->gids = calloc(n + 1, sizeof *ui->gids);
  if (!ui->gids)
    return uj_err_set(err, ENOMEM, "user '%s'", name);
  for (size_t i = 0; i < n; i++) {
    if (!next_ulong(buf, len, &off, &v))
      return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
    ui->gids[ui->n_gids++] = (gid_t) v;
  }
  if (!next_ulong(buf, len, &off, &n) || n > MAX_GROUPS)
    return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
  ui->groups = calloc(n + 1, sizeof(char *));
  if (!ui->groups)
    return uj_err_set(err, ENOMEM, "user '%s'", name);
  for (size_t i = 0; i < n; i++) {
    const char *g = next_field(buf, len, &off);
    if (!g)
      return uj_err_set(err, EIO, "user lookup for %s: garbled answer", name);
    if (!(ui->groups[ui->n_groups] = strdup(g)))
      return uj_err_set(err, ENOMEM, "user '%s'", name);
    ui->n_groups++;
  }
  ui->u.name = ui->name;
  ui->u.home = ui->home;
  ui->u.shell = ui->shell;
  ui->u.groups = (const char *const *) ui->groups;
  ui->u.n_groups = ui->n_groups;
  return 0;
}

int uj_userinfo_start(const char *name, unsigned timeout_s, bool threaded, int groups_fd,
                      struct uj_lookup *lk, struct uj_err *err)
{
  int p[2], q[2];
  pid_t pid;
  int e;

  lk->pid = -1;
  lk->threaded = false;
  lk->answer_fd = lk->names_fd = -1;
  /* Any name the system's NSS knows (sssd's "user@domain" included) is
   * looked up; it never becomes a file name (state and cgroups use the
   * uid), and the hostname made from it is sanitized. Only refuse what
   * could not be a real name or would garble a log line: the same rule as
   * config patterns (uj_valid_username). */
  if (!uj_valid_username(name))
    return uj_err_set(err, EINVAL, "invalid user name");
  if (snprintf(lk->name, sizeof lk->name, "%s", name) >= (int) sizeof lk->name)
    return uj_err_set(err, EINVAL, "invalid user name");
  if (pipe2(p, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "user lookup for %s: pipe", name);
  /* A socket, not a pipe: a child that answered early (unknown user) and
   * exited must cost the writer an EPIPE, not a SIGPIPE. */
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, q) < 0) {
    e = errno;
    close(p[0]);
    close(p[1]);
    return uj_err_set(err, e, "user lookup for %s: pipe", name);
  }
  if (threaded) {
    e = start_thread(lk, groups_fd, q[0], p[1]); /* it owns q[0] and p[1] now */
    lk->threaded = e == 0;
  } else {
    pid = fork();
    e = pid < 0 ? errno : 0;
    if (pid == 0) {
      close(p[0]);
      close(q[1]);
      child_lookup(name, groups_fd, q[0], p[1]);
    }
    if (pid > 0) {
      close(p[1]);
      close(q[0]);
      lk->pid = pid;
    }
  }
  if (e != 0) {
    close(p[0]);
    close(p[1]);
    close(q[0]);
    close(q[1]);
    return uj_err_set(err, e, "user lookup for %s: %s", name, threaded ? "thread" : "fork");
  }
  lk->answer_fd = p[0];
  lk->names_fd = q[1];
  lk->deadline = now_ms() + (long long) timeout_s * 1000;
  lk->timeout_s = timeout_s;
  return 0;
}

/* Hand the child the group names, bounded by the deadline like the rest:
 * a child stuck in NSS does not read them. */
static int send_named(struct uj_lookup *lk, const char *const *named, size_t n_named)
{
  for (size_t i = 0; i < n_named; i++) {
    const char *s = named[i];
    size_t left = strlen(s) + 1;
    while (left) {
      ssize_t w = send(lk->names_fd, s, left, MSG_NOSIGNAL | MSG_DONTWAIT);
      if (w > 0) {
        s += w;
        left -= (size_t) w;
        continue;
      }
      if (w < 0 && errno == EINTR)
        continue;
      if (w < 0 && (errno == EPIPE || errno == ECONNRESET))
        return 0; /* it answered without them (an unknown user) */
      if (w < 0 && errno != EAGAIN)
        return -1;
      long long wait = lk->deadline - now_ms();
      struct pollfd p = { .fd = lk->names_fd, .events = POLLOUT };
      if (wait <= 0 || poll(&p, 1, (int) wait) == 0) {
        errno = ETIMEDOUT;
        return -1;
      }
    }
  }
  return 0;
}

int uj_userinfo_finish(struct uj_lookup *lk, const char *const *named, size_t n_named,
                       struct uj_userinfo *ui, struct uj_err *err)
{
  const char *name = lk->name;
  ssize_t len;
  int e, status = 0;
  cleanup_free char *buf = NULL;

  memset(ui, 0, sizeof *ui);
  if (lk->pid < 0 && !lk->threaded)
    return uj_err_set(err, EINVAL, "user lookup for %s: not started", name);
  /* A child that has died already (EPIPE) says why in its answer. */
  len = send_named(lk, named, n_named) < 0 && errno == ETIMEDOUT ? -1 : 0;
  e = ETIMEDOUT;
  close(lk->names_fd);
  lk->names_fd = -1;
  if (len == 0) {
    buf = malloc(MAX_ANSWER);
    if (!buf) {
      uj_userinfo_abort(lk);
      return uj_err_set(err, ENOMEM, "user '%s'", name);
    }
    len = read_answer(lk->answer_fd, buf, MAX_ANSWER, lk->deadline);
    e = errno;
  }
  close(lk->answer_fd);
  lk->answer_fd = -1;
  if (lk->threaded) {
    /* EOF: the thread is done. A thread stuck in NSS cannot be stopped:
     * it is left to end with the process (see user.h). */
    if (len >= 0)
      pthread_join(lk->thread, NULL);
    else
      pthread_detach(lk->thread);
    lk->threaded = false;
  } else {
    if (len < 0)
      kill(lk->pid, SIGKILL);
    while (waitpid(lk->pid, &status, 0) < 0 && errno == EINTR)
      ;
    lk->pid = -1;
  }
  if (len < 0 && e == ETIMEDOUT) {
    uj_err_set(err, 0, "user lookup for %s timed out after %u s (directory slow?)", name,
               lk->timeout_s);
    err->code = ETIMEDOUT;
    return -1;
  }
  if (len < 0)
    return uj_err_set(err, e, "user lookup for %s", name);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) /* 0 for a thread */
    return uj_err_set(err, EIO, "user lookup for %s failed (lookup process died)", name);
  if (parse_answer(buf, (size_t) len, name, ui, err) < 0) {
    uj_userinfo_free(ui);
    return -1;
  }
  return 0;
}

void uj_userinfo_abort(struct uj_lookup *lk)
{
  if (lk->names_fd >= 0)
    close(lk->names_fd);
  if (lk->answer_fd >= 0)
    close(lk->answer_fd);
  if (lk->pid > 0) {
    kill(lk->pid, SIGKILL);
    while (waitpid(lk->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  }
  /* A thread sees EOF on the names and EPIPE on its answer, and ends when
   * NSS returns; nobody waits for that (user.h). */
  if (lk->threaded)
    pthread_detach(lk->thread);
  lk->threaded = false;
  lk->pid = -1;
  lk->names_fd = lk->answer_fd = -1;
}

int uj_userinfo_get(const char *name, const char *const *named, size_t n_named,
                    unsigned timeout_s, struct uj_userinfo *ui, struct uj_err *err)
{
  struct uj_lookup lk;

  memset(ui, 0, sizeof *ui);
  if (uj_userinfo_start(name, timeout_s, false, -1, &lk, err) < 0)
    return -1;
  return uj_userinfo_finish(&lk, named, n_named, ui, err);
}

int uj_userinfo_inline(const char *name, const char *const *named, size_t n_named,
                       struct uj_userinfo *ui, struct uj_err *err)
{
  struct out o = { 0 };
  struct named_src src = { .fd = -1, .given = named, .n_given = n_named };
  int rc;

  memset(ui, 0, sizeof *ui);
  if (!uj_valid_username(name) || strlen(name) > 256)
    return uj_err_set(err, EINVAL, "invalid user name");
  lookup_into(name, -1, &src, &o);
  if (o.oom)
    fail(&o, ENOMEM, "out of memory");
  rc = parse_answer(o.buf, o.len, name, ui, err);
  free(o.buf);
  if (rc < 0)
    uj_userinfo_free(ui);
  return rc;
}

void uj_userinfo_free(struct uj_userinfo *ui)
{
  for (size_t i = 0; i < ui->n_groups; i++)
    free(ui->groups[i]);
  free(ui->groups);
  free(ui->gids);
  free(ui->name);
  free(ui->home);
  free(ui->shell);
  memset(ui, 0, sizeof *ui);
}
