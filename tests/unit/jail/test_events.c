/* Unit tests for jail/events.c: a limit that bites reaches the user's
 * terminal. The "cgroup" is a directory with the files the monitor reads
 * (cgroup.procs listing this test process, memory.events, pids.events) and
 * the terminal a real pty whose slave this process holds, as a login shell
 * does; what the user would see is read from the master side. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cgroup/cgroup.h"
#include "jail/events.h"

struct fixture {
  char dir[64];
  int master, slave;
  struct uj_cgroup cg;
  struct uj_limits_msg limits;
};

static void put(const struct fixture *fx, const char *knob, const char *text)
{
  char path[128];
  FILE *f;

  snprintf(path, sizeof path, "%s/%s", fx->dir, knob);
  f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
  struct fixture *fx = calloc(1, sizeof *fx);
  char pid[32];

  assert_non_null(fx);
  snprintf(fx->dir, sizeof fx->dir, "/tmp/ujt-events-%d", (int) getpid());
  assert_int_equal(mkdir(fx->dir, 0700), 0);
  snprintf(pid, sizeof pid, "%d\n", (int) getpid());
  put(fx, "cgroup.procs", pid);
  put(fx, "memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill 0\n");
  put(fx, "pids.events", "max 0\n");
  fx->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK);
  assert_true(fx->master >= 0);
  assert_int_equal(grantpt(fx->master), 0);
  assert_int_equal(unlockpt(fx->master), 0);
  fx->slave = open(ptsname(fx->master), O_RDWR | O_NOCTTY);
  assert_true(fx->slave >= 0);
  fx->cg.version = 2;
  fx->cg.n = 1;
  fx->cg.dirs[0] = fx->dir;
  fx->limits.memory_max = 64 << 20;
  fx->limits.pids_max = 64;
  *state = fx;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *fx = *state;
  const char *knobs[] = { "cgroup.procs", "memory.events", "pids.events" };
  char path[128];

  for (size_t i = 0; i < sizeof knobs / sizeof knobs[0]; i++) {
    snprintf(path, sizeof path, "%s/%s", fx->dir, knobs[i]);
    unlink(path);
  }
  rmdir(fx->dir);
  close(fx->slave);
  close(fx->master);
  free(fx);
  return 0;
}

/* Everything the terminal shows within a short while ("" for nothing). */
static void screen(const struct fixture *fx, char *buf, size_t size)
{
  size_t n = 0;
  struct pollfd p = { .fd = fx->master, .events = POLLIN };

  while (n + 1 < size && poll(&p, 1, 200) == 1) {
    ssize_t r = read(fx->master, buf + n, size - 1 - n);
    if (r <= 0)
      break;
    n += (size_t) r;
  }
  buf[n] = '\0';
}

/* The monitor's loop: poll said the event files changed. */
static void fire(struct uj_events *ev)
{
  struct pollfd p[UJ_EVENTS_MAXFDS];
  size_t n = uj_events_pollfds(ev, p);

  for (size_t i = 0; i < n; i++)
    p[i].revents = POLLPRI;
  uj_events_handle(ev, p, n);
}

/* What earlier calls left on the stack: here, one digit all over it. */
__attribute__((noinline)) static void stack_leftovers(char c)
{
  volatile char junk[16384];
  for (size_t i = 0; i < sizeof junk; i++)
    junk[i] = c;
}

static struct uj_events *open_events(struct fixture *fx)
{
  struct uj_events *ev = NULL;
  struct uj_err err;

  assert_int_equal(uj_events_open(&fx->cg, "alice", &fx->limits, &ev, &err), 0);
  assert_non_null(ev);
  return ev;
}

static void test_oom_kill_reaches_the_terminal(void **state)
{
  struct fixture *fx = *state;
  struct uj_events *ev = open_events(fx);
  char out[2048];

  put(fx, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  fire(ev);
  screen(fx, out, sizeof out);
  assert_non_null(strstr(out, "userjail: a process in your jail was killed: out of memory "
                              "(limit 64M"));
  assert_null(strstr(out, "times)"));
}

/* The CI flake: the check that the descriptor's path is /dev/pts/N read
 * past what readlink() wrote, so a digit left on the stack after "/dev/pts/0"
 * made the user's terminal look like something else, and the report never
 * reached it. Whatever the stack holds, the terminal is told. */
static void test_report_whatever_the_stack_held(void **state)
{
  struct fixture *fx = *state;
  char out[2048], text[64];

  for (char c = '0'; c <= '9'; c++) {
    struct uj_events *ev;
    put(fx, "pids.events", "max 0\n");
    ev = open_events(fx);
    put(fx, "pids.events", "max 1\n");
    stack_leftovers(c);
    fire(ev);
    screen(fx, out, sizeof out);
    snprintf(text, sizeof text, "stack full of '%c'", c);
    if (!strstr(out, "userjail: your jail reached its process limit (64)"))
      fail_msg("%s: the terminal got \"%s\"", text, out);
  }
}

/* A counter that is not zero when the jail's monitor starts (v1, a reused
 * cgroup) is old news; changes from then on are counted into the report. */
static void test_only_changes_are_reported(void **state)
{
  struct fixture *fx = *state;
  struct uj_events *ev;
  char out[2048];

  put(fx, "pids.events", "max 7\n");
  ev = open_events(fx);
  fire(ev);
  screen(fx, out, sizeof out);
  assert_string_equal(out, "");
  put(fx, "pids.events", "max 10\n");
  fire(ev);
  screen(fx, out, sizeof out);
  assert_non_null(strstr(out, "reached its process limit (64): new processes could not start "
                              "(3 times)"));
}

/* A terminal that several processes (and descriptors) hold is told once. */
static void test_terminal_told_once(void **state)
{
  struct fixture *fx = *state;
  int again = open(ptsname(fx->master), O_WRONLY | O_NOCTTY);
  int dup1 = dup(fx->slave);
  struct uj_events *ev = open_events(fx);
  char out[2048];
  const char *first;

  assert_true(again >= 0 && dup1 >= 0);
  put(fx, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n");
  fire(ev);
  screen(fx, out, sizeof out);
  first = strstr(out, "out of memory");
  assert_non_null(first);
  assert_null(strstr(first + 1, "out of memory"));
  close(again);
  close(dup1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_oom_kill_reaches_the_terminal, setup, teardown),
    cmocka_unit_test_setup_teardown(test_report_whatever_the_stack_held, setup, teardown),
    cmocka_unit_test_setup_teardown(test_only_changes_are_reported, setup, teardown),
    cmocka_unit_test_setup_teardown(test_terminal_told_once, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
