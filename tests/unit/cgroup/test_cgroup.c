/* helper/cgroup.c on fake v1 / v2 / hybrid trees in a temp dir (plain files:
 * the assertions read back exactly what would reach the kernel), plus one
 * real run on this host's hierarchy when root and systemd is not PID 1. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cgroup/cgroup.h"

static char root[64];

static void pathf(char *out, const char *fmt, va_list ap)
{
  char rel[1024];
  vsnprintf(rel, sizeof rel, fmt, ap);
  snprintf(out, PATH_MAX, "%s/%s", root, rel);
}

static void put(const char *content, const char *fmt, ...)
{
  char p[PATH_MAX];
  va_list ap;
  va_start(ap, fmt);
  pathf(p, fmt, ap);
  va_end(ap);
  /* mkdir -p of the parent */
  for (char *s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
    *s = '\0';
    mkdir(p, 0755);
    *s = '/';
  }
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(content, f);
  fclose(f);
}

static void dir(const char *fmt, ...)
{
  char p[PATH_MAX];
  va_list ap;
  va_start(ap, fmt);
  pathf(p, fmt, ap);
  va_end(ap);
  assert_int_equal(mkdir(p, 0755), 0);
}

/* Contents of root/REL with trailing newlines dropped, or "<absent>". */
static const char *get(const char *fmt, ...)
{
  static char buf[4096];
  char p[PATH_MAX];
  va_list ap;
  va_start(ap, fmt);
  pathf(p, fmt, ap);
  va_end(ap);
  FILE *f = fopen(p, "r");
  if (!f)
    return "<absent>";
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  while (n && buf[n - 1] == '\n')
    buf[--n] = '\0';
  return buf;
}

static int exists(const char *fmt, ...)
{
  char p[PATH_MAX];
  struct stat st;
  va_list ap;
  va_start(ap, fmt);
  pathf(p, fmt, ap);
  va_end(ap);
  return lstat(p, &st) == 0;
}

static int rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
  (void) st, (void) flag, (void) ftw;
  return remove(p);
}

static int setup(void **state)
{
  (void) state;
  snprintf(root, sizeof root, "/tmp/uj-cgtest-XXXXXX");
  return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
  (void) state;
  return nftw(root, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static int swap_on(void)
{
  FILE *f = fopen("/proc/swaps", "r");
  char line[256];
  int n = 0;
  if (!f)
    return 0;
  while (fgets(line, sizeof line, f))
    n++;
  fclose(f);
  return n > 1;
}

static struct uj_settings limits(uint64_t pids, uint64_t mem, double cpu)
{
  struct uj_settings s;
  memset(&s, 0, sizeof s);
  s.pids_max = pids;
  s.memory_max = mem;
  s.cpu = cpu;
  return s;
}

static void fake_v2(const char *controllers)
{
  put(controllers, "cgroup.controllers");
  put("", "cgroup.subtree_control");
  put("", "cgroup.procs");
}

/* v1 hybrid like this host: per-controller dirs, cpu as a symlink to the
 * combined hierarchy, and a cgroup2 "unified" mount without controllers. */
static void fake_v1(int with_memory, int with_memsw)
{
  put("1\n", "pids/cgroup.procs");
  if (with_memory) {
    put("1\n", "memory/cgroup.procs");
    put("9223372036854771712\n", "memory/memory.limit_in_bytes");
    if (with_memsw)
      put("9223372036854771712\n", "memory/memory.memsw.limit_in_bytes");
  }
  put("-1\n", "cpu,cpuacct/cpu.cfs_quota_us");
  put("1\n", "cpu,cpuacct/cgroup.procs");
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/cpu", root);
  assert_int_equal(symlink("cpu,cpuacct", p), 0);
  put("", "unified/cgroup.controllers");
  put("", "systemd/cgroup.procs");
}

static void test_v2_limits(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(100, 64 << 20, 0.5);
  char want[PATH_MAX];

  fake_v2("cpuset cpu io memory hugetlb pids\n");
  put("max\n", "userjail/memory.swap.max"); /* the parent shows swap accounting */
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  assert_int_equal(cg.version, 2);
  assert_int_equal(cg.n, 1);
  snprintf(want, sizeof want, "%s/userjail/1000", root);
  assert_string_equal(cg.dirs[0], want);
  assert_true(cg.procs_fds[0] >= 0);
  assert_string_equal(get("cgroup.subtree_control"), "+pids\n+memory\n+cpu");
  assert_string_equal(get("userjail/cgroup.subtree_control"), "+pids\n+memory\n+cpu");
  assert_string_equal(get("userjail/1000/pids.max"), "100");
  assert_string_equal(get("userjail/1000/memory.max"), "67108864");
  assert_string_equal(get("userjail/1000/memory.swap.max"), "0");
  assert_string_equal(get("userjail/1000/cpu.max"), "50000 100000");
  assert_false(exists("userjail/1000/cgroup.kill"));

  /* attach writes the pid to cgroup.procs */
  assert_int_equal(uj_cgroup_attach(&cg, 4242, &err), 0);
  assert_string_equal(get("userjail/1000/cgroup.procs"), "4242");
  put("", "userjail/1000/cgroup.procs"); /* "the process left" */

  assert_int_equal(uj_cgroup_destroy(&cg, 200, &err), 0);
  assert_false(exists("userjail/1000"));
  assert_true(exists("userjail")); /* the shared parent stays */
  assert_int_equal(cg.n, 0);
  assert_int_equal(cg.procs_fds[0], -1);
}

static void test_v2_unlimited(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(0, 0, 0);

  fake_v2("cpu memory pids");
  put("max\n", "userjail/memory.swap.max");
  assert_int_equal(uj_cgroup_create(root, "alice", &s, &cg, &err), 0);
  assert_string_equal(get("userjail/alice/pids.max"), "max");
  assert_string_equal(get("userjail/alice/memory.max"), "max");
  assert_string_equal(get("userjail/alice/memory.swap.max"), "max");
  assert_string_equal(get("userjail/alice/cpu.max"), "max 100000");
  uj_cgroup_close(&cg);
}

static void test_v2_tiny_cpu_and_no_swap_accounting(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(0, 1 << 20, 0.001);

  fake_v2("cpu memory pids");
  int rc = uj_cgroup_create(root, "1001", &s, &cg, &err);
  if (swap_on()) { /* no memory.swap.max anywhere: refused when swap is on */
    assert_int_equal(rc, -1);
    assert_non_null(strstr(err.msg, "memory.swap.max"));
    assert_false(exists("userjail/1001"));
    return;
  }
  assert_int_equal(rc, 0);
  assert_string_equal(get("userjail/1001/cpu.max"), "1000 100000"); /* kernel minimum */
  assert_string_equal(get("userjail/1001/memory.max"), "1048576");
  assert_false(exists("userjail/1001/memory.swap.max"));
  uj_cgroup_close(&cg);
}

static void test_v2_missing_controller(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(10, 64 << 20, 0);
  char want[PATH_MAX + 128];

  fake_v2("cpu pids\n");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  snprintf(want, sizeof want,
           "memory controller not available on this host (cgroup v2: not in %s/cgroup.controllers)",
           root);
  assert_non_null(strstr(err.msg, want));
  assert_false(exists("userjail"));
  assert_string_equal(get("cgroup.subtree_control"), "");
  assert_int_equal(cg.n, 0);

  /* the same limit set to unlimited is fine without the controller */
  s.memory_max = 0;
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  assert_false(exists("userjail/1000/memory.max"));
  assert_string_equal(get("userjail/1000/pids.max"), "10");
  uj_cgroup_close(&cg);
}

static void test_v2_systemd_delegated(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(20, 0, 1.5);

  fake_v2("cpu memory pids io");
  dir("init.scope");
  put("cpu memory pids", "userjail.slice/userjail.service/cgroup.controllers");
  put("", "userjail.slice/userjail.service/cgroup.subtree_control");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  /* nothing outside the delegated subtree was written */
  assert_string_equal(get("cgroup.subtree_control"), "");
  assert_false(exists("userjail"));
  assert_string_equal(get("userjail.slice/userjail.service/cgroup.subtree_control"),
                      "+pids\n+memory\n+cpu");
  assert_string_equal(get("userjail.slice/userjail.service/1000/pids.max"), "20");
  assert_string_equal(get("userjail.slice/userjail.service/1000/cpu.max"), "150000 100000");
  assert_int_equal(uj_cgroup_destroy(&cg, 100, &err), 0);
  assert_false(exists("userjail.slice/userjail.service/1000"));

  /* a controller systemd did not delegate is an error naming that file */
  put("cpu pids", "userjail.slice/userjail.service/cgroup.controllers");
  s.memory_max = 1 << 30;
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  assert_non_null(strstr(err.msg, "memory controller not available on this host"));
  assert_non_null(strstr(err.msg, "userjail.slice/userjail.service/cgroup.controllers"));
  assert_false(exists("userjail.slice/userjail.service/1000"));
}

static void test_v1_limits(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(64, 256 << 20, 0.25);
  char want[PATH_MAX];

  fake_v1(1, 1);
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  assert_int_equal(cg.version, 1); /* hybrid: unified/ exists but root has no cgroup.controllers */
  assert_int_equal(cg.n, 3);
  snprintf(want, sizeof want, "%s/pids/userjail/1000", root);
  assert_string_equal(cg.dirs[0], want);
  snprintf(want, sizeof want, "%s/memory/userjail/1000", root);
  assert_string_equal(cg.dirs[1], want);
  snprintf(want, sizeof want, "%s/cpu,cpuacct/userjail/1000", root); /* not via the symlink */
  assert_string_equal(cg.dirs[2], want);
  assert_string_equal(get("pids/userjail/1000/pids.max"), "64");
  assert_string_equal(get("memory/userjail/1000/memory.limit_in_bytes"), "268435456");
  assert_string_equal(get("memory/userjail/1000/memory.memsw.limit_in_bytes"), "268435456");
  assert_string_equal(get("cpu,cpuacct/userjail/1000/cpu.cfs_period_us"), "100000");
  assert_string_equal(get("cpu,cpuacct/userjail/1000/cpu.cfs_quota_us"), "25000");
  assert_false(exists("unified/userjail"));

  assert_int_equal(uj_cgroup_attach(&cg, 77, &err), 0);
  assert_string_equal(get("pids/userjail/1000/cgroup.procs"), "77");
  assert_string_equal(get("memory/userjail/1000/cgroup.procs"), "77");
  assert_string_equal(get("cpu,cpuacct/userjail/1000/cgroup.procs"), "77");
  for (const char *h = "pids"; h; h = strcmp(h, "pids") == 0 ? "memory"
                                     : strcmp(h, "memory") == 0 ? "cpu,cpuacct" : NULL)
    put("", "%s/userjail/1000/cgroup.procs", h);
  assert_int_equal(uj_cgroup_destroy(&cg, 100, &err), 0);
  assert_false(exists("pids/userjail/1000"));
  assert_false(exists("memory/userjail/1000"));
  assert_false(exists("cpu,cpuacct/userjail/1000"));
}

static void test_v1_unlimited_and_no_memsw(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(0, 0, 0);

  fake_v1(1, 0);
  assert_int_equal(uj_cgroup_create(root, "bob", &s, &cg, &err), 0);
  assert_int_equal(cg.n, 3); /* created in every hierarchy so usage can be read */
  assert_string_equal(get("pids/userjail/bob/pids.max"), "max");
  assert_string_equal(get("memory/userjail/bob/memory.limit_in_bytes"), "-1");
  assert_false(exists("memory/userjail/bob/memory.memsw.limit_in_bytes"));
  assert_string_equal(get("cpu,cpuacct/userjail/bob/cpu.cfs_quota_us"), "-1");
  uj_cgroup_close(&cg);

  s.memory_max = 1 << 30;
  assert_int_equal(uj_cgroup_create(root, "carol", &s, &cg, &err), 0);
  assert_string_equal(get("memory/userjail/carol/memory.limit_in_bytes"), "1073741824");
  assert_false(exists("memory/userjail/carol/memory.memsw.limit_in_bytes"));
  /* without memsw, swap is kept away from the jail by swappiness 0 when on */
  assert_string_equal(get("memory/userjail/carol/memory.swappiness"), swap_on() ? "0" : "<absent>");
  uj_cgroup_close(&cg);
}

static void test_v1_missing_controller(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(10, 1 << 30, 0.5);
  char want[PATH_MAX + 128];

  fake_v1(0, 0);
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  snprintf(want, sizeof want,
           "memory controller not available on this host (cgroup v1: no memory hierarchy under %s)",
           root);
  assert_non_null(strstr(err.msg, want));
  assert_false(exists("pids/userjail"));
  assert_false(exists("cpu,cpuacct/userjail"));

  s.memory_max = 0;
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  assert_int_equal(cg.n, 2);
  uj_cgroup_close(&cg);
}

/* A failure after some directories were made removes exactly those. */
static void test_v1_failure_midway_leaves_nothing(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(10, 1 << 30, 0.5);

  fake_v1(1, 1);
  dir("pids/userjail");                 /* pre-existing shared parent: must stay */
  put("junk", "cpu,cpuacct/userjail");  /* a file where the cpu parent should be */
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  assert_non_null(strstr(err.msg, "cpu,cpuacct/userjail"));
  assert_false(exists("pids/userjail/1000"));
  assert_true(exists("pids/userjail"));
  assert_false(exists("memory/userjail/1000"));
  assert_false(exists("memory/userjail")); /* created by this call, removed again */
  assert_int_equal(cg.n, 0);
}

static void test_reuse_leftover(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(10, 0, 0);

  fake_v2("cpu memory pids");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  uj_cgroup_close(&cg); /* "the jail crashed": directory left behind */

  s.pids_max = 99;
  s.cpu = 2;
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  assert_string_equal(get("userjail/1000/pids.max"), "99");
  assert_string_equal(get("userjail/1000/cpu.max"), "200000 100000");
  uj_cgroup_close(&cg);

  /* with a process inside it is refused, and the directory is not ours to remove */
  put("4242\n", "userjail/1000/cgroup.procs");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  assert_non_null(strstr(err.msg, "already has processes"));
  assert_true(exists("userjail/1000"));
  assert_string_equal(get("userjail/1000/pids.max"), "99");

  /* populated through a child cgroup counts too */
  put("", "userjail/1000/cgroup.procs");
  put("populated 1\nfrozen 0\n", "userjail/1000/cgroup.events");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  assert_non_null(strstr(err.msg, "already has processes"));
}

static void test_open_existing(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(10, 1 << 20, 0);

  fake_v1(1, 1);
  assert_int_equal(uj_cgroup_open(root, "1000", &cg, &err), -1);
  assert_non_null(strstr(err.msg, "no cgroup 1000"));
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  uj_cgroup_close(&cg);
  assert_int_equal(uj_cgroup_open(root, "1000", &cg, &err), 0);
  assert_int_equal(cg.version, 1);
  assert_int_equal(cg.n, 3);
  for (size_t i = 0; i < cg.n; i++)
    assert_true(cg.procs_fds[i] >= 0);
  assert_int_equal(uj_cgroup_destroy(&cg, 100, &err), 0);
  assert_false(exists("memory/userjail/1000"));
}

static void test_usage(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(10, 1 << 20, 0);
  uint64_t pids = 1, mem = 1;

  fake_v2("cpu memory pids");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), 0);
  put("7\n", "userjail/1000/pids.current");
  put("123456\n", "userjail/1000/memory.current");
  assert_int_equal(uj_cgroup_usage(&cg, &pids, &mem, &err), 0);
  assert_int_equal(pids, 7);
  assert_int_equal(mem, 123456);
  put("lots\n", "userjail/1000/memory.current");
  assert_int_equal(uj_cgroup_usage(&cg, &pids, &mem, &err), -1);
  assert_non_null(strstr(err.msg, "memory.current: not a number"));
  uj_cgroup_close(&cg);

  /* v1: pids.current in pids/, memory.usage_in_bytes in memory/ */
  char p[PATH_MAX];
  snprintf(p, sizeof p, "%s/cgroup.controllers", root);
  assert_int_equal(unlink(p), 0);
  fake_v1(1, 1);
  assert_int_equal(uj_cgroup_create(root, "2000", &s, &cg, &err), 0);
  put("3\n", "pids/userjail/2000/pids.current");
  put("4096\n", "memory/userjail/2000/memory.usage_in_bytes");
  assert_int_equal(uj_cgroup_usage(&cg, &pids, &mem, &err), 0);
  assert_int_equal(pids, 3);
  assert_int_equal(mem, 4096);
  uj_cgroup_close(&cg);
}

static void test_bad_names(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(0, 0, 0);
  const char *bad[] = {"", ".", "..", ".hidden", "a/b", "../etc", "-x", "a b", "x\n"};

  fake_v2("cpu memory pids");
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    assert_int_equal(uj_cgroup_create(root, bad[i], &s, &cg, &err), -1);
    assert_non_null(strstr(err.msg, "invalid cgroup name"));
    assert_int_equal(uj_cgroup_open(root, bad[i], &cg, &err), -1);
  }
  assert_false(exists("userjail"));
}

static void test_no_hierarchy(void **state)
{
  (void) state;
  struct uj_cgroup cg;
  struct uj_err err = {0};
  struct uj_settings s = limits(0, 0, 0);

  put("", "unified/cgroup.controllers");
  assert_int_equal(uj_cgroup_create(root, "1000", &s, &cg, &err), -1);
  assert_non_null(strstr(err.msg, "no cgroup hierarchy"));
}

/* ---- the real hierarchy of this host ------------------------------------ */

static int real_skip(void)
{
  return geteuid() != 0 || access("/run/systemd/system", F_OK) == 0 ||
         (access(UJ_CGROUP_ROOT "/cgroup.controllers", F_OK) != 0 &&
          access(UJ_CGROUP_ROOT "/pids/cgroup.procs", F_OK) != 0);
}

/* uj_cgroup_move_to writes the pid into cgroup.procs under each dir, in
 * order; a dir without one (a scope systemd removed) does not fail the rest. */
static void test_move_to(void **state)
{
  (void) state;
  struct uj_err err;
  char p[PATH_MAX];
  int dirs[3];

  put("", "a/cgroup.procs");
  dir("gone");
  put("", "b/cgroup.procs");
  snprintf(p, sizeof p, "%s/a", root);
  dirs[0] = open(p, O_PATH | O_DIRECTORY);
  snprintf(p, sizeof p, "%s/gone", root);
  dirs[1] = open(p, O_PATH | O_DIRECTORY);
  snprintf(p, sizeof p, "%s/b", root);
  dirs[2] = open(p, O_PATH | O_DIRECTORY);
  assert_int_equal(uj_cgroup_move_to(dirs, 3, 4242, &err), 0);
  assert_string_equal(get("a/cgroup.procs"), "4242");
  assert_string_equal(get("b/cgroup.procs"), "4242");
  assert_int_equal(uj_cgroup_move_to(dirs + 1, 1, 4242, &err), -1);
  assert_int_equal(err.code, ENOENT);
  for (int i = 0; i < 3; i++)
    close(dirs[i]);
}

/* uj_pidfd_pid names the pinned process while it exists, -1 once reaped. */
static void test_pidfd_pid(void **state)
{
  (void) state;
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    pause();
    _exit(0);
  }
  int pidfd = (int) syscall(SYS_pidfd_open, child, 0);
  assert_true(pidfd >= 0);
  assert_int_equal(uj_pidfd_pid(pidfd), child);
  kill(child, SIGKILL);
  waitpid(child, NULL, 0);
  assert_int_equal(uj_pidfd_pid(pidfd), -1);
  close(pidfd);
}

static void test_real_host(void **state)
{
  (void) state;
  struct uj_cgroup cg, cg2;
  struct uj_err err = {0};
  struct uj_settings s = limits(8, 64 << 20, 0.5);
  char name[32], line[512], want[64];
  int pipefd[2];

  if (real_skip())
    skip();
  snprintf(name, sizeof name, "ujtest-%d", (int) getpid());
  assert_int_equal(uj_cgroup_create(UJ_CGROUP_ROOT, name, &s, &cg, &err), 0);
  char *dirs[UJ_CGROUP_MAXDIRS];
  size_t n = cg.n;
  for (size_t i = 0; i < n; i++)
    dirs[i] = strdup(cg.dirs[i]);

  /* the kernel took the limits */
  for (size_t i = 0; i < n; i++) {
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/pids.max", dirs[i]);
    FILE *f = fopen(p, "r");
    if (f) {
      assert_non_null(fgets(line, sizeof line, f));
      assert_string_equal(line, "8\n");
      fclose(f);
    }
  }

  int result[2];
  assert_int_equal(pipe(pipefd), 0);
  assert_int_equal(pipe(result), 0);
  pid_t child = fork();
  assert_true(child >= 0);
  if (child == 0) {
    char c;
    close(pipefd[1]);
    close(result[0]);
    /* wait for the go, then try to exceed pids.max (8), report, stay */
    if (read(pipefd[0], &c, 1) != 1)
      _exit(2);
    unsigned char forked = 0;
    for (int i = 0; i < 20; i++) {
      pid_t p = fork();
      if (p == 0) {
        pause();
        _exit(0);
      }
      if (p > 0)
        forked++;
    }
    if (write(result[1], &forked, 1) != 1)
      _exit(3);
    pause();
    _exit(0);
  }
  close(pipefd[0]);
  close(result[1]);
  assert_int_equal(uj_cgroup_attach(&cg, child, &err), 0);

  /* /proc/CHILD/cgroup names our cgroup in every hierarchy we use */
  snprintf(line, sizeof line, "/proc/%d/cgroup", (int) child);
  FILE *f = fopen(line, "r");
  assert_non_null(f);
  char all[4096] = "";
  size_t got = fread(all, 1, sizeof all - 1, f);
  all[got] = '\0';
  fclose(f);
  snprintf(want, sizeof want, "/userjail/%s\n", name);
  int hits = 0;
  for (char *p = all; (p = strstr(p, want)); p++)
    hits++;
  assert_true(hits >= (cg.version == 2 ? 1 : 3));

  /* open_current of the child gives fds for the same cgroups */
  int fds[UJ_CGROUP_MAXDIRS];
  size_t nfds = 0;
  assert_int_equal(uj_cgroup_open_current(UJ_CGROUP_ROOT, child, fds, UJ_CGROUP_MAXDIRS, &nfds, &err), 0);
  assert_int_equal(nfds, n);
  for (size_t i = 0; i < nfds; i++) {
    char fdp[64], target[PATH_MAX];
    snprintf(fdp, sizeof fdp, "/proc/self/fd/%d", fds[i]);
    ssize_t l = readlink(fdp, target, sizeof target - 1);
    assert_true(l > 0);
    target[l] = '\0';
    assert_non_null(strstr(target, name));
    /* a directory opened O_PATH, never a writable cgroup.procs: the fds
     * end up in a process of the user (sshd's unprivileged child) */
    assert_null(strstr(target, "cgroup.procs"));
    assert_true(fcntl(fds[i], F_GETFL) & O_PATH);
    close(fds[i]);
  }

  /* a second create while the child lives there is refused */
  assert_int_equal(uj_cgroup_create(UJ_CGROUP_ROOT, name, &s, &cg2, &err), -1);
  assert_non_null(strstr(err.msg, "already has processes"));

  /* the fork loop hits pids.max: 7 children besides the child itself */
  assert_int_equal(write(pipefd[1], "x", 1), 1);
  unsigned char forked = 0;
  assert_int_equal(read(result[0], &forked, 1), 1);
  assert_int_equal(forked, 7);
  uint64_t pids = 0, mem = 0;
  assert_int_equal(uj_cgroup_usage(&cg, &pids, &mem, &err), 0);
  assert_int_equal(pids, 8);
  assert_true(mem > 0);

  /* destroy kills the child and its children and removes the directories */
  assert_int_equal(uj_cgroup_destroy(&cg, 2000, &err), 0);
  int st;
  assert_int_equal(waitpid(child, &st, 0), child);
  assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
  for (size_t i = 0; i < n; i++) {
    assert_int_not_equal(access(dirs[i], F_OK), 0);
    /* drop the shared parent if we were its only user */
    char *slash = strrchr(dirs[i], '/');
    *slash = '\0';
    rmdir(dirs[i]);
    free(dirs[i]);
  }
  close(pipefd[1]);
  close(result[0]);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_v2_limits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v2_unlimited, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v2_tiny_cpu_and_no_swap_accounting, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v2_missing_controller, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v2_systemd_delegated, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v1_limits, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v1_unlimited_and_no_memsw, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v1_missing_controller, setup, teardown),
    cmocka_unit_test_setup_teardown(test_v1_failure_midway_leaves_nothing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_reuse_leftover, setup, teardown),
    cmocka_unit_test_setup_teardown(test_open_existing, setup, teardown),
    cmocka_unit_test_setup_teardown(test_usage, setup, teardown),
    cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_hierarchy, setup, teardown),
    cmocka_unit_test_setup_teardown(test_move_to, setup, teardown),
    cmocka_unit_test(test_pidfd_pid),
    cmocka_unit_test(test_real_host),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
