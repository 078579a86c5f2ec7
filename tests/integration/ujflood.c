/* ujflood UID N HOLD_S: open N sessions on uid's jail monitor directly (as
 * the helper would, one process holding them all), print how many were
 * taken and refused and the first refusal's reason, hold them HOLD_S
 * seconds, exit (which ends them). Test tool for the session limit; speaks
 * the monitor protocol through common/proto.c. Run as root. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "common/proto.h"

int main(int argc, char **argv)
{
  if (argc != 4) {
    fprintf(stderr, "usage: ujflood UID N HOLD_S\n");
    return 2;
  }
  unsigned uid = (unsigned) atoi(argv[1]);
  int n = atoi(argv[2]), hold = atoi(argv[3]);
  struct rlimit rl = { .rlim_cur = (rlim_t) n + 64, .rlim_max = (rlim_t) n + 64 };
  if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
    perror("setrlimit");
  int self = (int) syscall(SYS_pidfd_open, getpid(), 0);
  int taken = 0, refused = 0, broken = 0;
  char first_reason[UJ_MSG_LEN] = "", first_error[UJ_ERR_MSG] = "";

  for (int i = 0; i < n; i++) {
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct uj_join_msg msg;
    struct uj_err err;
    int fds[UJ_MAX_FDS];
    size_t nfds = 0;
    char cmd = UJ_CMD_SESSION;
    int c = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct timeval tv = { .tv_sec = 10 };

    snprintf(sa.sun_path, sizeof sa.sun_path, "/run/userjail/%u.sock", uid);
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (c < 0 || connect(c, (struct sockaddr *) &sa, sizeof sa) < 0 ||
        uj_send_fds(c, &cmd, 1, &self, 1, &err) < 0 ||
        uj_recv_fds(c, &msg, sizeof msg, fds, UJ_MAX_FDS, &nfds, &err) < 0) {
      if (!first_error[0])
        snprintf(first_error, sizeof first_error, "%s", c < 0 || errno ? strerror(errno) : err.msg);
      broken++;
      if (c >= 0)
        close(c);
      continue;
    }
    for (size_t k = 0; k < nfds; k++)
      close(fds[k]);
    if (msg.status == UJ_STATUS_JAILED) {
      taken++; /* keep c open: it is the session */
    } else {
      if (!first_reason[0])
        snprintf(first_reason, sizeof first_reason, "%.*s", (int) sizeof msg.msg, msg.msg);
      refused++;
      close(c);
    }
  }
  printf("taken %d refused %d broken %d\nreason: %s\nerror: %s\ndone\n", taken, refused,
         broken, first_reason, first_error);
  fflush(stdout);
  sleep((unsigned) hold);
  return 0;
}
