/* Counters in /run/userjail/stats (see counter.h). */
#include "common/counter.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"

size_t uj_counter_parse(const char *text, uint64_t *v, size_t n)
{
  size_t i = 0;
  const char *p = text;

  memset(v, 0, n * sizeof *v);
  while (i < n) {
    uint64_t x = 0;
    const char *start;
    while (*p == ' ')
      p++;
    start = p;
    while (*p >= '0' && *p <= '9')
      x = x * 10 + (uint64_t) (*p++ - '0');
    if (p == start || (*p != ' ' && *p != '\n' && *p != '\0'))
      break;
    v[i++] = x;
  }
  return i;
}

int uj_counter_format(char *buf, size_t len, const uint64_t *v, size_t n)
{
  size_t off = 0;

  for (size_t i = 0; i < n; i++) {
    int k = snprintf(buf + off, len - off, "%s%llu", i ? " " : "", (unsigned long long) v[i]);
    if (k < 0 || (size_t) k >= len - off)
      return -1;
    off += (size_t) k;
  }
  if (off + 2 > len)
    return -1;
  buf[off++] = '\n';
  buf[off] = '\0';
  return (int) off;
}

/* A directory we may write counters into: root's, private, not a symlink
 * (opened with O_NOFOLLOW and checked on the fd we then use). */
static int open_dir(int at, const char *name, bool create)
{
  struct stat st;

  if (create && mkdirat(at, name, 0700) < 0 && errno != EEXIST)
    return -1;
  cleanup_close int fd = openat(at, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
      (st.st_mode & 077))
    return -1;
  return steal_fd(&fd);
}

static int open_counter(const char *name, int flags)
{
  struct stat st;
  bool create = flags & O_CREAT;

  if (!*name || strchr(name, '/') || name[0] == '.')
    return -1;
  cleanup_close int run = open_dir(AT_FDCWD, UJ_COUNTER_RUN_DIR, create);
  if (run < 0)
    return -1;
  cleanup_close int dir = open_dir(run, "stats", create);
  if (dir < 0)
    return -1;
  cleanup_close int fd = openat(dir, name, flags | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0)
    return -1;
  return steal_fd(&fd);
}

/* Holders keep the lock for one read and one write; a holder that stopped
 * (SIGSTOP, a debugger) must not hang every login behind it: give up after
 * ~200 ms and lose the count. */
static int lock_briefly(int fd, int how)
{
  const struct timespec ms = { 0, 1000000 };

  for (int i = 0; i < 200; i++) {
    if (flock(fd, how | LOCK_NB) == 0)
      return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
      return -1;
    nanosleep(&ms, NULL);
  }
  return -1;
}

void uj_counter_add(const char *name, const uint64_t *delta, size_t n)
{
  uint64_t v[UJ_COUNTER_MAX];
  char buf[UJ_COUNTER_MAX * 21 + 2];
  ssize_t got;
  int len;

  if (n == 0 || n > UJ_COUNTER_MAX)
    return;
  cleanup_close int fd = open_counter(name, O_RDWR | O_CREAT);
  if (fd < 0 || lock_briefly(fd, LOCK_EX) < 0)
    return;
  got = pread(fd, buf, sizeof buf - 1, 0);
  buf[got > 0 ? got : 0] = '\0';
  uj_counter_parse(buf, v, n);
  for (size_t i = 0; i < n; i++)
    v[i] += delta[i];
  len = uj_counter_format(buf, sizeof buf, v, n);
  /* The file only ever grows or keeps its length for a given n (numbers
   * only increase), so a torn write is not possible short of ENOSPC on a
   * tmpfs; the truncate is for a file that held more numbers before. */
  if (len > 0 && pwrite(fd, buf, (size_t) len, 0) == len && ftruncate(fd, len) == 0) {
    /* counted */
  }
}

void uj_counter_bump(const char *name)
{
  const uint64_t one = 1;
  uj_counter_add(name, &one, 1);
}

void uj_counter_read(const char *name, uint64_t *v, size_t n)
{
  char buf[UJ_COUNTER_MAX * 21 + 2];
  ssize_t got = -1;

  /* shared lock: never a half-written line (a counter that seemed to go
   * back would look like a reset to the scraper) */
  cleanup_close int fd = open_counter(name, O_RDONLY);
  if (fd >= 0 && lock_briefly(fd, LOCK_SH) == 0)
    got = pread(fd, buf, sizeof buf - 1, 0);
  buf[got > 0 ? got : 0] = '\0';
  uj_counter_parse(buf, v, n);
}
