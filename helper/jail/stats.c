/* Counters in /run/userjail/stats (see stats.h). */
#include "jail/stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "jail/rundir.h"

void uj_stats_bump(const char *name)
{
  char path[128], buf[32];
  struct stat st;
  ssize_t n;

  if (mkdir(UJ_RUN_DIR, 0700) < 0 && errno != EEXIST)
    return;
  if (mkdir(UJ_STATS_DIR, 0700) < 0 && errno != EEXIST)
    return;
  /* only our own private directory: never write through a planted path */
  if (lstat(UJ_STATS_DIR, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != 0 ||
      (st.st_mode & 077))
    return;
  snprintf(path, sizeof path, "%s/%s", UJ_STATS_DIR, name);
  cleanup_close int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0 || flock(fd, LOCK_EX) < 0)
    return;
  n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  unsigned long long v = strtoull(buf, NULL, 10) + 1;
  n = snprintf(buf, sizeof buf, "%llu\n", v);
  if (pwrite(fd, buf, (size_t) n, 0) == n && ftruncate(fd, n) == 0) {
    /* counted */
  }
}

uint64_t uj_stats_read(const char *name)
{
  char path[128], buf[32];
  ssize_t n;

  snprintf(path, sizeof path, "%s/%s", UJ_STATS_DIR, name);
  cleanup_close int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return 0;
  n = pread(fd, buf, sizeof buf - 1, 0);
  buf[n > 0 ? n : 0] = '\0';
  return strtoull(buf, NULL, 10);
}
