/* The pty of `userjail enter` (see pty.h). */
#include "cli/pty.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "common/cleanup.h"

int uj_pty_open(struct uj_pty *p, struct uj_err *err)
{
  cleanup_close int m = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  int unlock = 0;
  struct winsize ws;

  p->master = p->slave = -1;
  if (m < 0)
    return uj_err_set(err, errno, "open /dev/ptmx in the jail");
  if (ioctl(m, TIOCSPTLCK, &unlock) < 0)
    return uj_err_set(err, errno, "unlock pty");
  /* the peer is opened from the master: no path lookup in /dev/pts */
  p->slave = ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (p->slave < 0)
    return uj_err_set(err, errno, "open pty peer");
  if (isatty(STDIN_FILENO) && ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
    ioctl(m, TIOCSWINSZ, &ws);
  p->master = steal_fd(&m);
  return 0;
}

int uj_pty_child_setup(struct uj_pty *p, struct uj_err *err)
{
  if (setsid() < 0)
    return uj_err_set(err, errno, "setsid");
  if (ioctl(p->slave, TIOCSCTTY, 0) < 0)
    return uj_err_set(err, errno, "make the pty the controlling terminal");
  for (int fd = 0; fd <= 2; fd++)
    if (dup2(p->slave, fd) < 0)
      return uj_err_set(err, errno, "dup2 pty");
  syscall(SYS_close_range, 3, ~0U, 0);
  return 0;
}

static volatile sig_atomic_t winch;
static void on_winch(int sig)
{
  winch = 1;
}

static bool write_all(int fd, const char *b, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, b, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w < 0 && errno == EAGAIN) {
      struct pollfd p = { .fd = fd, .events = POLLOUT };
      poll(&p, 1, 1000);
      continue;
    }
    if (w <= 0)
      return false;
    b += w;
    n -= (size_t) w;
  }
  return true;
}

int uj_pty_relay(struct uj_pty *p, pid_t pid)
{
  struct termios saved, raw;
  bool tty = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
  bool in_open = true, child_done = false;
  struct sigaction sa = { .sa_handler = on_winch };
  int status = 0;
  char buf[8192];

  close(p->slave);
  p->slave = -1;
  sigaction(SIGWINCH, &sa, NULL);
  if (tty) {
    raw = saved;
    cfmakeraw(&raw);
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
  }
  for (;;) {
    struct pollfd f[2] = { { .fd = p->master, .events = POLLIN },
                           { .fd = in_open ? STDIN_FILENO : -1, .events = POLLIN } };
    if (winch) {
      struct winsize ws;
      winch = 0;
      if (ioctl(STDIN_FILENO, TIOCGWINSZ, &ws) == 0)
        ioctl(p->master, TIOCSWINSZ, &ws);
    }
    if (!child_done && waitpid(pid, &status, WNOHANG) == pid)
      child_done = true;
    /* once the command is gone, drain what it wrote, then stop */
    int k = poll(f, 2, child_done ? 0 : 200);
    if (k < 0 && errno == EINTR)
      continue;
    if (k == 0 && child_done)
      break;
    if (f[0].revents & POLLIN) {
      ssize_t r = read(p->master, buf, sizeof buf);
      if (r > 0 && !write_all(STDOUT_FILENO, buf, (size_t) r))
        break;
      if (r <= 0 && child_done)
        break;
    } else if (f[0].revents & (POLLHUP | POLLERR)) {
      if (child_done)
        break;
      /* every slave closed but the command still runs (it closed its
       * terminal): wait for it without spinning */
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
      child_done = true;
    }
    if (f[1].revents & (POLLIN | POLLHUP)) {
      ssize_t r = read(STDIN_FILENO, buf, sizeof buf);
      if (r > 0)
        write_all(p->master, buf, (size_t) r);
      else if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
        in_open = false;
      /* Our terminal went away (ssh disconnect): hang up the command's,
       * as a terminal emulator does, so the shell gets its SIGHUP. Plain
       * end of piped input only stops forwarding; the command goes on. */
      if (!in_open && tty) {
        close(p->master);
        p->master = -1;
        while (!child_done && waitpid(pid, &status, 0) < 0 && errno == EINTR)
          ;
        child_done = true;
        break;
      }
    }
  }
  if (!child_done)
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
      ;
  if (tty)
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
  if (p->master >= 0)
    close(p->master);
  p->master = -1;
  return status;
}
