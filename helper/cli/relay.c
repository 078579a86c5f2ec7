/* The pipe relay of `userjail run` (see relay.h for why). */
#include "cli/relay.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

static const int relayed_signals[] = { SIGCHLD, SIGINT, SIGQUIT, SIGTERM, SIGHUP };

static void close_fd(int *fd)
{
  if (*fd >= 0) {
    close(*fd);
    *fd = -1;
  }
}

static void set_nonblock(int fd)
{
  int fl = fcntl(fd, F_GETFL);
  if (fl >= 0)
    fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

void uj_pipes_close(struct uj_pipes *r)
{
  close_fd(&r->in_w);
  close_fd(&r->out_r);
  close_fd(&r->err_r);
  for (int i = 0; i < 3; i++)
    close_fd(&r->child[i]);
  close_fd(&r->sigfd);
  sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
}

static int prepare_pipes(struct uj_pipes *r, struct uj_err *err)
{
  int in[2], out[2], er[2];

  if (pipe2(in, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "pipe");
  r->child[0] = in[0];
  r->in_w = in[1];
  if (pipe2(out, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "pipe");
  r->out_r = out[0];
  r->child[1] = out[1];
  if (pipe2(er, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "pipe");
  r->err_r = er[0];
  r->child[2] = er[1];
  set_nonblock(r->in_w);
  set_nonblock(r->out_r);
  set_nonblock(r->err_r);
  return 0;
}

int uj_pipes_prepare(struct uj_pipes *r, struct uj_err *err)
{
  sigset_t set;
  int ret;

  memset(r, 0, sizeof *r);
  r->in_w = r->out_r = r->err_r = r->sigfd = -1;
  r->child[0] = r->child[1] = r->child[2] = -1;
  sigemptyset(&set);
  for (size_t i = 0; i < sizeof relayed_signals / sizeof relayed_signals[0]; i++)
    sigaddset(&set, relayed_signals[i]);
  /* Blocked before the fork: a child that exits at once still shows up. */
  sigprocmask(SIG_BLOCK, &set, &r->oldmask);
  r->sigfd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (r->sigfd < 0) {
    ret = uj_err_set(err, errno, "signalfd");
  } else {
    ret = prepare_pipes(r, err);
  }
  if (ret < 0)
    uj_pipes_close(r);
  return ret;
}

int uj_pipes_child(struct uj_pipes *r, struct uj_err *err)
{
  for (size_t i = 0; i < sizeof relayed_signals / sizeof relayed_signals[0]; i++)
    signal(relayed_signals[i], SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  sigprocmask(SIG_SETMASK, &r->oldmask, NULL);
  /* A session of its own: no controlling terminal of the admin's, and no
   * signal sent to the admin's process group reaches it by accident. */
  if (setsid() < 0)
    return uj_err_set(err, errno, "setsid");
  for (int i = 0; i < 3; i++)
    if (dup2(r->child[i], i) < 0)
      return uj_err_set(err, errno, "dup2");
  return 0;
}

/* One direction of the relay: read src into buf, write buf to dst. */
struct chan {
  int src, dst;
  bool input;         /* the admin's stdin: stop taking it once the child is gone */
  bool done;
  size_t len, off;
  char buf[8192];
};

static void chan_end(struct chan *c, struct uj_pipes *r)
{
  c->done = true;
  c->len = c->off = 0;
  /* the command's stdin pipe: EOF for the command */
  if (c->dst == r->in_w)
    close_fd(&r->in_w);
}

static void chan_read(struct chan *c, struct uj_pipes *r)
{
  ssize_t n = read(c->src, c->buf, sizeof c->buf);

  if (n > 0) {
    c->len = (size_t) n;
    c->off = 0;
  } else if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
    chan_end(c, r); /* EOF */
  }
}

static void chan_write(struct chan *c, struct uj_pipes *r)
{
  ssize_t n = write(c->dst, c->buf + c->off, c->len - c->off);

  if (n > 0) {
    c->off += (size_t) n;
    if (c->off == c->len)
      c->len = c->off = 0;
  } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
    if (c->input)
      chan_end(c, r);
    else
      c->len = c->off = 0; /* the admin's output is gone: drop, keep draining */
  }
}

/* A signal for us: the child's exit, or one to pass on. */
static void on_signal(struct uj_pipes *r, pid_t pid, bool *exited, int *status)
{
  struct signalfd_siginfo si;

  while (read(r->sigfd, &si, sizeof si) == (ssize_t) sizeof si) {
    if (si.ssi_signo == SIGCHLD) {
      if (!*exited && waitpid(pid, status, WNOHANG) == pid)
        *exited = true;
    } else if (!*exited) {
      /* the command leads its own process group (setsid) */
      if (kill(-pid, (int) si.ssi_signo) < 0)
        kill(pid, (int) si.ssi_signo);
    }
  }
}

int uj_pipes_run(struct uj_pipes *r, pid_t pid)
{
  struct chan ch[3];
  size_t nch = 0;
  bool exited = false;
  int status = 0;

  for (int i = 0; i < 3; i++)
    close_fd(&r->child[i]);
  signal(SIGPIPE, SIG_IGN);
  memset(ch, 0, sizeof ch);
  ch[nch++] = (struct chan){ .src = STDIN_FILENO, .dst = r->in_w, .input = true };
  ch[nch++] = (struct chan){ .src = r->out_r, .dst = STDOUT_FILENO };
  ch[nch++] = (struct chan){ .src = r->err_r, .dst = STDERR_FILENO };

  for (;;) {
    struct pollfd pfd[4];
    struct chan *who[4];
    size_t np = 0;
    bool outputs_done = true;
    int n;

    pfd[np] = (struct pollfd){ .fd = r->sigfd, .events = POLLIN };
    who[np++] = NULL;
    for (size_t i = 0; i < nch; i++) {
      struct chan *c = &ch[i];
      if (c->input && exited && !c->done)
        chan_end(c, r);
      if (c->done)
        continue;
      if (!c->input)
        outputs_done = false;
      pfd[np] = c->len ? (struct pollfd){ .fd = c->dst, .events = POLLOUT }
                       : (struct pollfd){ .fd = c->src, .events = POLLIN };
      who[np++] = c;
    }
    if (exited && outputs_done)
      break;
    /* Once the command has exited, take what its output holds now and
     * stop: a background process keeping a pipe open must not keep the
     * admin waiting. */
    n = poll(pfd, np, exited ? 0 : -1);
    if (n < 0 && errno != EINTR)
      break;
    if (n == 0 && exited)
      break;
    for (size_t i = 0; i < np && n > 0; i++) {
      if (!pfd[i].revents)
        continue;
      if (!who[i])
        on_signal(r, pid, &exited, &status);
      else if (who[i]->len)
        chan_write(who[i], r);
      else
        chan_read(who[i], r);
    }
  }
  if (!exited)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  uj_pipes_close(r);
  return status;
}
