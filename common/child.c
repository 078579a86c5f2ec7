#include "common/child.h"

#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

int uj_child_fds(int keep, bool null_stdio)
{
  if (null_stdio) {
    int nul = open("/dev/null", O_RDWR);
    if (nul < 0)
      return -1;
    for (int fd = 0; fd < 3; fd++)
      if (nul != fd && dup2(nul, fd) < 0)
        return -1;
    if (nul > 2 && nul != keep)
      close(nul);
  }
  if (keep >= 0) {
    /* dup2 onto itself would keep O_CLOEXEC: a kept fd must survive exec. */
    if (keep == 3) {
      int fl = fcntl(3, F_GETFD);
      if (fl < 0 || fcntl(3, F_SETFD, fl & ~FD_CLOEXEC) < 0)
        return -1;
    } else if (dup2(keep, 3) < 0) {
      return -1;
    }
  }
  if (syscall(SYS_close_range, keep >= 0 ? 4U : 3U, ~0U, 0) < 0) {
    /* kernels before 5.9: close what getdtablesize says may be open */
    for (int fd = keep >= 0 ? 4 : 3, max = getdtablesize(); fd < max; fd++)
      close(fd);
  }
  return keep >= 0 ? 3 : 0;
}
