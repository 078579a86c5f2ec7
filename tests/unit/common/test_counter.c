/* Unit tests for common/counter.c: the counter file's text (pure parse and
 * format), and, as root, that concurrent increments are never lost and a
 * planted symlink is never written through. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/counter.h"

static void test_parse(void **state)
{
  uint64_t v[4];
  (void) state;
  assert_int_equal(uj_counter_parse("3 18446744073709551615 0 7\n", v, 4), 4);
  assert_true(v[0] == 3 && v[1] == UINT64_MAX && v[2] == 0 && v[3] == 7);
  /* a single-number file of an older helper reads as that number, rest 0 */
  assert_int_equal(uj_counter_parse("42\n", v, 4), 1);
  assert_true(v[0] == 42 && v[1] == 0 && v[2] == 0 && v[3] == 0);
  assert_int_equal(uj_counter_parse("", v, 4), 0);
  assert_true(v[0] == 0);
  /* junk ends the parse; what came before stays */
  assert_int_equal(uj_counter_parse("5 x9 3", v, 4), 1);
  assert_true(v[0] == 5 && v[1] == 0 && v[2] == 0);
  assert_int_equal(uj_counter_parse("5 9z", v, 4), 1);
  assert_int_equal(uj_counter_parse("-1", v, 4), 0);
  /* more numbers than asked for: only n read */
  assert_int_equal(uj_counter_parse("1 2 3", v, 2), 2);
  assert_true(v[0] == 1 && v[1] == 2);
}

static void test_format(void **state)
{
  const uint64_t v[3] = { 1, 0, 123456789012345ULL };
  uint64_t back[3];
  char buf[64];
  (void) state;
  assert_int_equal(uj_counter_format(buf, sizeof buf, v, 3), 20);
  assert_string_equal(buf, "1 0 123456789012345\n");
  assert_int_equal(uj_counter_parse(buf, back, 3), 3);
  assert_memory_equal(v, back, sizeof v);
  assert_int_equal(uj_counter_format(buf, sizeof buf, v, 1), 2);
  assert_string_equal(buf, "1\n");
  /* never overflows: too small is -1 */
  assert_int_equal(uj_counter_format(buf, 20, v, 3), -1);
  assert_int_equal(uj_counter_format(buf, 2, v, 1), -1);
  assert_int_equal(uj_counter_format(buf, 3, v, 1), 2);
}

/* Needs root (the directory is root's, 0700); skipped otherwise. */
static void test_concurrent_adds(void **state)
{
  char name[64];
  uint64_t v[2];
  const int procs = 6, each = 150;
  (void) state;
  if (geteuid() != 0) {
    skip();
    return;
  }
  snprintf(name, sizeof name, "ujt_unit_counter_%d", (int) getpid());
  for (int p = 0; p < procs; p++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      const uint64_t d[2] = { 1, 10 };
      for (int i = 0; i < each; i++)
        uj_counter_add(name, d, 2);
      _exit(0);
    }
  }
  while (wait(NULL) > 0)
    ;
  uj_counter_read(name, v, 2);
  char path[128];
  snprintf(path, sizeof path, "%s/%s", UJ_COUNTER_DIR, name);
  unlink(path);
  assert_true(v[0] == (uint64_t) procs * each);
  assert_true(v[1] == (uint64_t) procs * each * 10);
}

static void test_no_symlink_no_path(void **state)
{
  char name[64], link[128], target[64];
  struct stat st;
  uint64_t v;
  (void) state;
  if (geteuid() != 0) {
    skip();
    return;
  }
  snprintf(target, sizeof target, "/tmp/ujt-unit-target-%d", (int) getpid());
  snprintf(name, sizeof name, "ujt_unit_link_%d", (int) getpid());
  snprintf(link, sizeof link, "%s/%s", UJ_COUNTER_DIR, name);
  uj_counter_bump("ujt_unit_probe"); /* makes the directory if missing */
  int fd = open(target, O_CREAT | O_WRONLY | O_TRUNC, 0600);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(symlink(target, link), 0);
  uj_counter_bump(name);
  assert_int_equal(stat(target, &st), 0);
  unlink(link);
  unlink(target);
  snprintf(link, sizeof link, "%s/ujt_unit_probe", UJ_COUNTER_DIR);
  unlink(link);
  assert_int_equal(st.st_size, 0); /* nothing written through the link */
  /* names are plain file names: nothing outside the directory */
  uj_counter_bump("../ujt_unit_escape");
  assert_int_equal(stat(UJ_COUNTER_RUN_DIR "/ujt_unit_escape", &st), -1);
  uj_counter_read("../stats/nothing", &v, 1);
  assert_true(v == 0);
}

/* The tests as root use the real directories (the code opens no other):
 * those the run made are removed again, so none is left on the machine. */
static bool had_run_dir, had_stats_dir;

static int remember_dirs(void **state)
{
  (void) state;
  had_run_dir = access(UJ_COUNTER_RUN_DIR, F_OK) == 0;
  had_stats_dir = access(UJ_COUNTER_DIR, F_OK) == 0;
  return 0;
}

static int remove_made_dirs(void **state)
{
  (void) state;
  if (!had_stats_dir)
    rmdir(UJ_COUNTER_DIR);
  if (!had_run_dir)
    rmdir(UJ_COUNTER_RUN_DIR);
  return 0;
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_parse),
    cmocka_unit_test(test_format),
    cmocka_unit_test(test_concurrent_adds),
    cmocka_unit_test(test_no_symlink_no_path),
  };
  return cmocka_run_group_tests(tests, remember_dirs, remove_made_dirs);
}
