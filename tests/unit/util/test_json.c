/* Unit tests for util/json.c: whatever bytes a user name or path holds,
 * the literal is valid JSON and says the same text. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/json.h"

static void expect(const char *in, const char *want)
{
  char buf[256];
  size_t n = uj_json_escape(in, buf, sizeof buf);
  assert_string_equal(buf, want);
  assert_int_equal(n, strlen(want));
}

static void test_plain_and_specials(void **state)
{
  (void) state;
  expect("alice", "\"alice\"");
  expect("", "\"\"");
  expect(NULL, "\"\"");
  expect("a\"b\\c", "\"a\\\"b\\\\c\"");
  expect("CORP\\alice", "\"CORP\\\\alice\"");
  expect("l1\nl2\tx\r", "\"l1\\nl2\\tx\\r\"");
  expect("\x01\x1f\x7f", "\"\\u0001\\u001f\\u007f\"");
  expect("/srv/a b", "\"/srv/a b\"");
}

static void test_utf8(void **state)
{
  (void) state;
  /* valid UTF-8 passes unchanged: 2, 3 and 4 byte forms */
  expect("j\xc3\xbcrgen", "\"j\xc3\xbcrgen\"");
  expect("\xe2\x82\xac", "\"\xe2\x82\xac\"");
  expect("\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\"");
  /* invalid bytes: replaced, one each, the rest kept */
  expect("a\xffz", "\"a\\ufffdz\"");
  expect("\xc0\xaf", "\"\\ufffd\\ufffd\"");            /* overlong '/' */
  expect("\xed\xa0\x80", "\"\\ufffd\\ufffd\\ufffd\""); /* a surrogate */
  expect("\xf4\x90\x80\x80", "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
  expect("x\xc3", "\"x\\ufffd\"");                     /* cut at the end */
  expect("\xe2\x82", "\"\\ufffd\\ufffd\"");
}

static void test_truncation(void **state)
{
  char buf[6];
  (void) state;
  /* like snprintf: the full length back, the buffer cut and terminated */
  assert_int_equal(uj_json_escape("abcdefgh", buf, sizeof buf), 10);
  assert_string_equal(buf, "\"abcd");
  assert_int_equal(uj_json_escape("ab", buf, sizeof buf), 4);
  assert_string_equal(buf, "\"ab\"");
  assert_int_equal(uj_json_escape("a\"", buf, 0), 5);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_plain_and_specials),
    cmocka_unit_test(test_utf8),
    cmocka_unit_test(test_truncation),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
