/* A terminal of its own for a command run inside a jail (`userjail enter`):
 * a pty made from the jail's /dev/ptmx, the command on its slave as a new
 * session with it as controlling terminal, and this process relaying
 * between its own stdio and the master. The command never gets a
 * descriptor of the caller's terminal, so it cannot push input into it
 * (TIOCSTI) or keep it after the relay ends. */
#ifndef UJ_CLI_PTY_H
#define UJ_CLI_PTY_H

#include <sys/types.h>

#include "common/err.h"

struct uj_pty {
  int master;
  int slave;  /* opened with TIOCGPTPEER: never looked up by path */
};

/* Open a pty from /dev/ptmx (of the mount namespace we are in), sized
 * like our stdin's terminal when it is one. */
int uj_pty_open(struct uj_pty *p, struct uj_err *err);

/* In the child: new session, slave as controlling terminal and fds 0-2,
 * every other descriptor closed. -1 with err on failure. */
int uj_pty_child_setup(struct uj_pty *p, struct uj_err *err);

/* In the parent: close the slave, put our terminal (if stdin is one) in
 * raw mode, relay until the child `pid` has exited and the master is
 * drained, restore the terminal. Returns the child's wait status. */
int uj_pty_relay(struct uj_pty *p, pid_t pid);

#endif
