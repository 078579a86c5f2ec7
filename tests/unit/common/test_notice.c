/* The texts users see about their jail (common/notice.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "common/notice.h"

static void test_formats(void **state)
{
  char b[64];
  (void) state;
  uj_fmt_size(256ull << 20, b, sizeof b);
  assert_string_equal(b, "256M");
  uj_fmt_size(2ull << 30, b, sizeof b);
  assert_string_equal(b, "2G");
  uj_fmt_size(1536ull << 20, b, sizeof b);
  assert_string_equal(b, "1536M");
  uj_fmt_size(0, b, sizeof b);
  assert_string_equal(b, "unlimited");
  uj_fmt_count(64, b, sizeof b);
  assert_string_equal(b, "64");
  uj_fmt_cpu(500, b, sizeof b);
  assert_string_equal(b, "0.5 CPU");
  uj_fmt_cpu(1000, b, sizeof b);
  assert_string_equal(b, "1 CPU");
  uj_fmt_cpu(2000, b, sizeof b);
  assert_string_equal(b, "2 CPUs");
  uj_fmt_cpu(250, b, sizeof b);
  assert_string_equal(b, "0.25 CPU");
  uj_fmt_cpu(0, b, sizeof b);
  assert_string_equal(b, "unlimited");
}

static void test_login_notice(void **state)
{
  struct uj_limits_msg l;
  char text[600];
  (void) state;
  memset(&l, 0, sizeof l);
  l.memory_max = 256ull << 20;
  l.pids_max = 64;
  l.cpu_milli = 500;
  l.tmp_size = 64ull << 20;
  strcpy(l.hostname, "jail-alice");
  uj_notice_login(&l, text, sizeof text);
  assert_non_null(strstr(text, "jail jail-alice: memory 256M, processes 64, cpu 0.5 CPU."));
  assert_non_null(strstr(text, "/run/userjail-info"));
  /* a control character from a hostname pattern never reaches a terminal */
  strcpy(l.hostname, "bad\033[2Jname");
  uj_notice_login(&l, text, sizeof text);
  assert_null(strchr(text, '\033'));
  /* a short buffer truncates, never overflows */
  uj_notice_login(&l, text, 20);
  assert_int_equal(strlen(text), 19);
}

static void test_info_file(void **state)
{
  struct uj_limits_msg l;
  struct uj_usage_paths u = { .memory = "/run/userjail/cgroup/memory.current",
                              .pids = "/run/userjail/cgroup/pids.current",
                              .dir = "/run/userjail/cgroup" };
  char text[2048];
  (void) state;
  memset(&l, 0, sizeof l);
  l.memory_max = 1ull << 30;
  l.ncpus = 1;
  l.lxcfs = 1;
  strcpy(l.hostname, "jail-bob");
  uj_notice_info_file(&l, "bob", &u, text, sizeof text);
  assert_non_null(strstr(text, "\nmemory_limit=1G\n"));
  assert_non_null(strstr(text, "\nprocess_limit=unlimited\n"));
  assert_non_null(strstr(text, "\ncpus_usable=1\n"));
  assert_non_null(strstr(text, "\nproc_views=lxcfs"));
  assert_non_null(strstr(text, "\nmemory_used=/run/userjail/cgroup/memory.current"));
  uj_notice_info_file(&l, "bob", NULL, text, sizeof text);
  assert_null(strstr(text, "usage_dir"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_formats),
    cmocka_unit_test(test_login_notice),
    cmocka_unit_test(test_info_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
