/* Unit tests for jail/stats.c: what one login adds to the latency
 * histogram (cumulative buckets, as the metrics print them). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "jail/stats.h"

static void test_bounds_ascending(void **state)
{
  (void) state;
  for (size_t i = 1; i < UJ_LATENCY_BUCKETS; i++)
    assert_true(uj_latency_bounds_us[i - 1] < uj_latency_bounds_us[i]);
  assert_true(UJ_LATENCY_VALUES <= UJ_COUNTER_MAX);
}

static void test_delta(void **state)
{
  uint64_t d[UJ_LATENCY_VALUES];
  (void) state;
  /* 30 ms: above 5, 10, 25 ms; in 50 ms and every bucket after */
  uj_latency_delta(30000, d);
  assert_int_equal(d[0], 1);
  assert_int_equal(d[1], 30000);
  for (size_t i = 0; i < UJ_LATENCY_BUCKETS; i++)
    assert_int_equal(d[2 + i], uj_latency_bounds_us[i] >= 30000 ? 1 : 0);
  assert_int_equal(d[2], 0);
  assert_int_equal(d[5], 1);
  /* on a bound: le means "less or equal" */
  uj_latency_delta(5000, d);
  assert_int_equal(d[2], 1);
  /* slower than every bound: only the count (+Inf) and sum */
  uj_latency_delta(60000000, d);
  for (size_t i = 0; i < UJ_LATENCY_BUCKETS; i++)
    assert_int_equal(d[2 + i], 0);
  assert_int_equal(d[0], 1);
  assert_int_equal(d[1], 60000000);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_bounds_ascending),
    cmocka_unit_test(test_delta),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
