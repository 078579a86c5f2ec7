#include "common/child.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* 0, 1 and 2 on /dev/null; the fd opened for it is not kept above them. */
static int stdio_to_null(void)
{
  int nul = open("/dev/null", O_RDWR), rc = 0;
  if (nul < 0)
    return -1;
  for (int fd = 0; fd < 3 && rc == 0; fd++)
    if (nul != fd && dup2(nul, fd) < 0)
      rc = -1;
  if (nul > 2)
    close(nul);
  return rc;
}

static int close_between(unsigned first, unsigned last)
{
  if (first > last)
    return 0;
  if (syscall(SYS_close_range, first, last, 0) == 0)
    return 0;
  /* kernels before 5.9 */
  int max = getdtablesize();
  for (unsigned fd = first; fd <= last && fd < (unsigned) max; fd++)
    close((int) fd);
  return 0;
}

static int close_from(int first)
{
  return close_between((unsigned) first, ~0U);
}

int uj_child_fds(int keep, bool null_stdio)
{
  if (null_stdio && stdio_to_null() < 0)
    return -1;
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
  close_from(keep >= 0 ? 4 : 3);
  return keep >= 0 ? 3 : 0;
}

int uj_child_fds2(int keep, int keep2, bool null_stdio)
{
  /* Both copied above 4 first: either may sit on 3 or 4 now. */
  int a = fcntl(keep, F_DUPFD_CLOEXEC, 5);
  int b = fcntl(keep2, F_DUPFD_CLOEXEC, 5);

  if (a < 0 || b < 0)
    return -1;
  if (null_stdio && stdio_to_null() < 0)
    return -1;
  /* dup2 clears close-on-exec on 3 and 4 */
  if (dup2(a, 3) < 0 || dup2(b, 4) < 0)
    return -1;
  return close_from(5);
}

int uj_close_fds_except(const int *keep, size_t n, bool null_stdio)
{
  int k[64];
  unsigned next = 3;

  if (n > 64) {
    errno = E2BIG;
    return -1;
  }
  /* sorted, so the gaps between them close in a few calls */
  for (size_t i = 0; i < n; i++) {
    size_t j = i;
    for (; j > 0 && k[j - 1] > keep[i]; j--)
      k[j] = k[j - 1];
    k[j] = keep[i];
  }
  for (size_t i = 0; i < n; i++) {
    if (k[i] < 3 || (unsigned) k[i] < next)
      continue;
    close_between(next, (unsigned) k[i] - 1);
    next = (unsigned) k[i] + 1;
  }
  close_between(next, ~0U);
  if (null_stdio && stdio_to_null() < 0)
    return -1;
  return 0;
}
