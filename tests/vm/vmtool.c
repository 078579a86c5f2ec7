/* Small load generators and meters for the VM quota tests (tests/vm/),
 * linked statically so they run inside the jail and on the VM's host side
 * alike.
 *
 *   vmtool hog MB            allocate and touch MB MiB, 1 MiB at a time
 *   vmtool spin SECONDS      burn CPU for SECONDS of wall-clock time
 *   vmtool bomb SECONDS      fork bomb: every process forks until SECONDS
 *                            have passed, then all exit; prints how many
 *                            forks the top process saw fail with EAGAIN
 *   vmtool cpufrac DIR SECS  CPU used by cgroup DIR (cpu.stat usage_usec)
 *                            per second of wall clock over SECS seconds
 *   vmtool peak FILE SECS    highest number seen in FILE (e.g. pids.current)
 *                            while polling it every 10 ms for SECS seconds */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

static int hog(long mb)
{
  long got = 0;
  for (long i = 0; i < mb; i++) {
    char *p = malloc(1 << 20);
    if (!p)
      break;
    memset(p, 0x5a, 1 << 20);
    got++;
  }
  printf("hog: allocated %ld MiB\n", got);
  return got == mb ? 0 : 1;
}

static int spin(double secs)
{
  volatile uint64_t x = 0;
  double end = now() + secs;
  while (now() < end)
    for (int i = 0; i < 100000; i++)
      x++;
  return 0;
}

static int bomb(double secs)
{
  double end = now() + secs;
  long eagain = 0, forked = 0;
  pid_t top = getpid();
  while (now() < end) {
    pid_t p = fork();
    if (p == 0)
      continue; /* the child joins the bomb */
    if (p > 0)
      forked++;
    else if (errno == EAGAIN)
      eagain++;
    else
      usleep(1000);
  }
  if (getpid() == top) {
    while (wait(NULL) > 0 || errno == EINTR)
      ;
    printf("bomb: forked %ld, EAGAIN %ld\n", forked, eagain);
  }
  return 0;
}

static long long read_num(const char *path, const char *key)
{
  char line[256];
  long long v = -1;
  FILE *f = fopen(path, "r");
  if (!f)
    return -1;
  while (fgets(line, sizeof line, f)) {
    if (!key) {
      v = strtoll(line, NULL, 10);
      break;
    }
    size_t kl = strlen(key);
    if (strncmp(line, key, kl) == 0 && line[kl] == ' ') {
      v = strtoll(line + kl + 1, NULL, 10);
      break;
    }
  }
  fclose(f);
  return v;
}

static int cpufrac(const char *dir, double secs)
{
  char path[512];
  snprintf(path, sizeof path, "%s/cpu.stat", dir);
  long long u0 = read_num(path, "usage_usec");
  double t0 = now();
  usleep((useconds_t) (secs * 1e6));
  long long u1 = read_num(path, "usage_usec");
  double t1 = now();
  if (u0 < 0 || u1 < 0) {
    fprintf(stderr, "cpufrac: cannot read %s\n", path);
    return 1;
  }
  printf("%.3f usage_usec=%lld wall_usec=%.0f\n", (double) (u1 - u0) / ((t1 - t0) * 1e6),
         u1 - u0, (t1 - t0) * 1e6);
  return 0;
}

static int peak(const char *path, double secs)
{
  double end = now() + secs;
  long long max = -1;
  while (now() < end) {
    long long v = read_num(path, NULL);
    if (v > max)
      max = v;
    usleep(10000);
  }
  printf("%lld\n", max);
  return 0;
}

int main(int argc, char **argv)
{
  setvbuf(stdout, NULL, _IOLBF, 0);
  if (argc == 3 && !strcmp(argv[1], "hog"))
    return hog(atol(argv[2]));
  if (argc == 3 && !strcmp(argv[1], "spin"))
    return spin(atof(argv[2]));
  if (argc == 3 && !strcmp(argv[1], "bomb"))
    return bomb(atof(argv[2]));
  if (argc == 4 && !strcmp(argv[1], "cpufrac"))
    return cpufrac(argv[2], atof(argv[3]));
  if (argc == 4 && !strcmp(argv[1], "peak"))
    return peak(argv[2], atof(argv[3]));
  fprintf(stderr, "usage: vmtool hog MB | spin S | bomb S | cpufrac DIR S | peak FILE S\n");
  return 2;
}
