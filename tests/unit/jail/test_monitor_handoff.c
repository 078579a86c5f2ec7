/* Unit tests for jail/monitor_handoff.c: the state a monitor hands to
 * userjail-monitor comes back whole (sessions, leavers, cgroup, limits,
 * the quick-login grant and the limit events), and a state from another
 * build or cut short is refused, never half-read. The fds are plain numbers
 * here: across the exec they stay the same numbers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "jail/events.h"
#include "jail/monitor.h"

static char dir[64];

static void put_file(const char *name, const char *text)
{
  char path[128];
  snprintf(path, sizeof path, "%s/%s", dir, name);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static int setup(void **state)
{
  (void) state;
  snprintf(dir, sizeof dir, "/tmp/ujt-handoff-%d", (int) getpid());
  assert_int_equal(mkdir(dir, 0700), 0);
  put_file("pids.events", "max 3\n");
  put_file("memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 1\n");
  return 0;
}

static int teardown(void **state)
{
  char cmd[128];
  (void) state;
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  return system(cmd) == 0 ? 0 : -1;
}

struct fixture {
  struct uj_settings s;
  struct uj_jail_spec spec;
  struct monitor m;
};

static void make_monitor(struct fixture *f, bool with_extras)
{
  memset(f, 0, sizeof *f);
  f->s.on_logout = UJ_LOGOUT_LINGER;
  f->spec.s = &f->s;
  f->spec.user = "alice";
  f->spec.uid = 1234;
  f->spec.gid = 100;
  f->spec.ns_flags = 0x7e020000;
  f->spec.cgroup_root = "/sys/fs/cgroup";
  f->spec.config_hash = 0x1122334455667788ULL;
  struct monitor *m = &f->m;
  m->spec = &f->spec;
  uj_cgroup_init(&m->cg);
  m->cg.version = 2;
  m->cg.n = 1;
  m->cg.dirs[0] = strdup(dir);
  m->cg.procs_fds[0] = 40;
  m->cg.join_fds[0] = 41;
  m->init_pid = 4321;
  m->pidfd = 30;
  m->lifeline = 31;
  m->listen_fd = 32;
  m->spare_fd = 33;
  m->premoved_pidfd = -1;
  m->started = 1700000000;
  m->accept_paused_until = 77;
  m->view.limits.memory_max = 64ull << 20;
  m->view.limits.pids_max = 64;
  m->view.limits.cpu_milli = 500;
  snprintf(m->view.limits.hostname, sizeof m->view.limits.hostname, "jail-alice");
  m->view.cpuset_fd = -1;
  m->net.pasta_pidfd = 50;
  m->net.pasta_pid = 999;
  m->net.netns_fd = -1;
  for (int i = 0; i < 5; i++) {
    assert_true(uj_monitor_reserve(m));
    m->sess[m->n_sess].sock = 100 + i;
    m->sess[m->n_sess].pidfd = i == 2 ? -1 : 200 + i;
    m->n_sess++;
  }
  m->leavers[0] = 60;
  m->leavers[1] = 61;
  m->n_leave = 2;
  if (!with_extras)
    return;
  struct uj_err err;
  assert_int_equal(uj_events_open(&m->cg, "alice", &m->view.limits, &m->events, &err), 0);
  /* a grant, as the helper sends it */
  int sp[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sp), 0);
  struct uj_grant_msg *g = calloc(1, sizeof *g);
  assert_non_null(g);
  g->magic = UJ_QUICK_MAGIC;
  g->ttl_s = 300;
  g->config_hash = f->spec.config_hash;
  g->on_error_allow = 1;
  snprintf(g->config, sizeof g->config, "/etc/security/userjail.conf");
  g->filter.magic = UJ_FILTER_MAGIC;
  g->filter.n = 3;
  g->filter.insns[0].code = 0x20;
  g->filter.insns[1].code = 0x15;
  g->filter.insns[1].k = 42;
  g->filter.insns[2].code = 0x06;
  g->filter.insns[2].k = 0x7fff0000;
  assert_int_equal(send(sp[1], g, sizeof *g, 0), (ssize_t) sizeof *g);
  uj_quick_grant_take(m, sp[0]);
  assert_non_null(m->grant);
  close(sp[0]);
  close(sp[1]);
  free(g);
}

static void test_roundtrip(void **state)
{
  (void) state;
  struct fixture a;
  static struct monitor b;
  static struct uj_jail_spec spec;
  static struct uj_settings s;
  struct uj_err err;

  make_monitor(&a, true);
  int fd = uj_monitor_state_save(&a.m, &err);
  assert_true(fd >= 0);
  /* sealed: nothing can change it between the two images */
  assert_true(write(fd, "x", 1) < 0);
  assert_int_equal(uj_monitor_resume(fd, &b, &spec, &s, &err), 0);
  close(fd);

  assert_string_equal(b.spec->user, "alice");
  assert_string_equal(b.spec->cgroup_root, "/sys/fs/cgroup");
  assert_int_equal(b.spec->uid, 1234);
  assert_int_equal(b.spec->gid, 100);
  assert_int_equal(b.spec->ns_flags, 0x7e020000);
  assert_true(b.spec->config_hash == 0x1122334455667788ULL);
  assert_int_equal(b.spec->s->on_logout, UJ_LOGOUT_LINGER);
  assert_int_equal(b.cg.version, 2);
  assert_int_equal(b.cg.n, 1);
  assert_string_equal(b.cg.dirs[0], dir);
  assert_int_equal(b.cg.procs_fds[0], 40);
  assert_int_equal(b.cg.join_fds[0], 41);
  assert_int_equal(b.cg.procs_fds[1], -1);
  assert_int_equal(b.init_pid, 4321);
  assert_int_equal(b.pidfd, 30);
  assert_int_equal(b.lifeline, 31);
  assert_int_equal(b.listen_fd, 32);
  assert_int_equal(b.spare_fd, 33);
  assert_int_equal(b.premoved_pidfd, -1);
  assert_int_equal(b.started, 1700000000);
  assert_int_equal(b.accept_paused_until, 77);
  assert_true(b.view.limits.memory_max == 64ull << 20);
  assert_string_equal(b.view.limits.hostname, "jail-alice");
  assert_ptr_equal(b.view.cg, &b.cg);
  assert_int_equal(b.view.cpuset_fd, -1);
  assert_int_equal(b.net.pasta_pidfd, 50);
  assert_int_equal(b.net.pasta_pid, 999);
  assert_int_equal(b.n_sess, 5);
  assert_true(b.cap_sess >= 5);
  for (int i = 0; i < 5; i++) {
    assert_int_equal(b.sess[i].sock, 100 + i);
    assert_int_equal(b.sess[i].pidfd, i == 2 ? -1 : 200 + i);
  }
  /* room for one more session without a new table */
  assert_true(uj_monitor_reserve(&b));
  assert_int_equal(b.n_leave, 2);
  assert_int_equal(b.leavers[1], 61);
  assert_true(b.handed_off);

  /* the grant: the same filter and on_error */
  assert_non_null(b.grant);
  struct uj_filter_msg *fa = calloc(1, sizeof *fa), *fb = calloc(1, sizeof *fb);
  assert_non_null(fa);
  assert_non_null(fb);
  uj_quick_filter(&a.m, fa);
  uj_quick_filter(&b, fb);
  assert_int_equal(fb->n, 3);
  assert_memory_equal(fa, fb, sizeof *fa);
  assert_int_equal(uj_quick_on_error_allow(&b), 1);
  free(fa);
  free(fb);

  /* the events: the same sources, polled the same way */
  struct pollfd pa[UJ_EVENTS_MAXFDS], pb[UJ_EVENTS_MAXFDS];
  size_t na = uj_events_pollfds(a.m.events, pa), nb = uj_events_pollfds(b.events, pb);
  assert_int_equal(na, 2);
  assert_int_equal(nb, na);
  assert_memory_equal(pa, pb, na * sizeof pa[0]);
}

static void test_without_extras(void **state)
{
  (void) state;
  struct fixture a;
  static struct monitor b;
  static struct uj_jail_spec spec;
  static struct uj_settings s;
  struct uj_err err;

  make_monitor(&a, false);
  int fd = uj_monitor_state_save(&a.m, &err);
  assert_true(fd >= 0);
  assert_int_equal(uj_monitor_resume(fd, &b, &spec, &s, &err), 0);
  close(fd);
  assert_null(b.events);
  assert_null(b.grant);
  assert_int_equal(b.n_sess, 5);
}

/* A copy of the state with one byte changed at `at`, or cut to `len`. */
static int altered(int fd, off_t at, size_t len)
{
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  char *buf = malloc((size_t) st.st_size);
  assert_non_null(buf);
  assert_int_equal(pread(fd, buf, (size_t) st.st_size, 0), st.st_size);
  if (at >= 0)
    buf[at] ^= 1;
  if (!len)
    len = (size_t) st.st_size;
  int out = memfd_create("altered", 0);
  assert_true(out >= 0);
  assert_int_equal(write(out, buf, len), (ssize_t) len);
  lseek(out, 0, SEEK_SET);
  free(buf);
  return out;
}

static void test_refused(void **state)
{
  (void) state;
  struct fixture a;
  static struct monitor b;
  static struct uj_jail_spec spec;
  static struct uj_settings s;
  struct uj_err err;

  make_monitor(&a, true);
  int fd = uj_monitor_state_save(&a.m, &err);
  assert_true(fd >= 0);
  /* another build: its mark differs */
  int bad = altered(fd, 30, 0);
  assert_int_equal(uj_monitor_resume(bad, &b, &spec, &s, &err), -1);
  assert_non_null(strstr(err.msg, "not from this build"));
  close(bad);
  /* cut anywhere after the fixed part: refused, not half-read */
  struct stat st;
  assert_int_equal(fstat(fd, &st), 0);
  for (size_t len = 400; len < (size_t) st.st_size; len += 997) {
    bad = altered(fd, -1, len);
    assert_int_equal(uj_monitor_resume(bad, &b, &spec, &s, &err), -1);
    close(bad);
  }
  /* an empty one */
  bad = memfd_create("empty", 0);
  assert_int_equal(uj_monitor_resume(bad, &b, &spec, &s, &err), -1);
  close(bad);
  close(fd);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_roundtrip),
    cmocka_unit_test(test_without_extras),
    cmocka_unit_test(test_refused),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
