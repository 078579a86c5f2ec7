/* `userjail run`: the command's stdio, never the admin's own descriptors.
 * A jailed command that held root's terminal could push input into the
 * admin's shell (TIOCSTI), or another process of the user could take the
 * fds (CVE-2016-2779 / CVE-2017-5226 class). So the command gets a new
 * session and either a new pty (stdin is a terminal) or three pipes, and
 * this root-side process relays between them and the admin's fds 0-2, as
 * `su --pty` and `machinectl shell` do. */
#ifndef UJ_RELAY_H
#define UJ_RELAY_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "common/err.h"

struct uj_relay {
  bool pty;             /* else pipes */
  int master;           /* pty master (pty mode) */
  int in_w, out_r, err_r;  /* our ends of the pipes (pipe mode) */
  int child[3];         /* what becomes the command's fds 0, 1, 2 */
  bool raw;             /* the admin's terminal is in raw mode (restore it) */
  struct termios saved;
  sigset_t oldmask;     /* the mask before uj_relay_prepare blocked signals */
  int sigfd;
};

/* Before fork: make the pty or the pipes (pty owned by uid/gid, like the one
 * sshd gives a login) and block the signals the relay takes by signalfd. */
int uj_relay_prepare(struct uj_relay *r, uid_t uid, gid_t gid, struct uj_err *err);

/* In the child, before dropping privileges: new session, the pty as
 * controlling terminal, fds 0-2 from the relay, signals as they were.
 * -1 with err set (the child then exits). */
int uj_relay_child(struct uj_relay *r, struct uj_err *err);

/* In the parent: relay until the child `pid` has exited and its output is
 * drained, forwarding SIGWINCH (pty size) and SIGINT/QUIT/TERM/HUP; the
 * admin's terminal is in raw mode meanwhile and restored before return.
 * Returns the child's wait status. */
int uj_relay_run(struct uj_relay *r, pid_t pid);

/* Close whatever prepare made (on a failed fork). */
void uj_relay_close(struct uj_relay *r);

#endif
