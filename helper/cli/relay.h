/* `userjail run` without a terminal on stdin: the command's stdio is three
 * pipes, never the caller's descriptors, and this root-side process relays
 * between them and its own fds 0-2. (With a terminal, run uses a pty of
 * its own, cli/pty.c, as `userjail enter` does.) A command holding a
 * descriptor of the admin's -- a terminal above all -- could push input
 * into the admin's shell (TIOCSTI) or hand the descriptor to another of the
 * user's processes (CVE-2016-2779 / CVE-2017-5226 class). */
#ifndef UJ_RELAY_H
#define UJ_RELAY_H

#include <signal.h>
#include <sys/types.h>

#include "common/err.h"

struct uj_pipes {
  int in_w, out_r, err_r;  /* our ends */
  int child[3];            /* what becomes the command's fds 0, 1, 2 */
  sigset_t oldmask;        /* the mask before uj_pipes_prepare blocked signals */
  int sigfd;
};

/* Before fork: the pipes, and the signals the relay takes by signalfd
 * (SIGCHLD, and SIGINT/QUIT/TERM/HUP to pass on) blocked. */
int uj_pipes_prepare(struct uj_pipes *p, struct uj_err *err);

/* In the child: a session of its own, fds 0-2 from the pipes, signals as
 * they were. -1 with err set (the child then exits). */
int uj_pipes_child(struct uj_pipes *p, struct uj_err *err);

/* In the parent: relay until the child `pid` has exited and its output is
 * drained, passing SIGINT/QUIT/TERM/HUP on to its process group. Returns
 * the child's wait status. */
int uj_pipes_run(struct uj_pipes *p, pid_t pid);

/* Close whatever prepare made (on a failed fork). */
void uj_pipes_close(struct uj_pipes *p);

#endif
