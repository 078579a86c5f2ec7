/* Unit tests for helper/cli/args.c: strict parsing names every mistake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "cli/args.h"

static const char *config, *grace;
static bool json;
static const struct uj_opt opts[] = { { "--config", true, &config, NULL },
                                      { "--grace", true, &grace, NULL },
                                      { "--json", false, NULL, &json },
                                      { NULL } };

static int parse(char **argv, size_t min, size_t max, bool rest, struct uj_args *a, char *msg)
{
  int argc = 0;
  config = grace = NULL;
  json = false;
  while (argv[argc])
    argc++;
  return uj_args_parse(argc, argv, opts, min, max, rest, a, msg, 160);
}

static void test_good(void **state)
{
  struct uj_args a;
  char msg[160];

  char *v1[] = { "list", "--json", "--config", "/x.conf", NULL };
  assert_int_equal(parse(v1, 0, 0, false, &a, msg), 0);
  assert_true(json);
  assert_string_equal(config, "/x.conf");
  assert_int_equal(a.n_ops, 0);

  char *v2[] = { "stop", "--grace=5", "alice", NULL };
  assert_int_equal(parse(v2, 1, 1, false, &a, msg), 0);
  assert_string_equal(grace, "5");
  assert_string_equal(a.ops[0], "alice");

  /* after "--" the words are a command's, --help and all */
  char *v3[] = { "run", "alice", "--", "sh", "--help", "--json", NULL };
  assert_int_equal(parse(v3, 1, 1, true, &a, msg), 0);
  assert_false(json);
  assert_int_equal(a.n_rest, 3);
  assert_string_equal(a.rest[1], "--help");

  /* "--" without rest only ends the options: "-x" is then an operand */
  char *v4[] = { "check-config", "--", "-odd.conf", NULL };
  assert_int_equal(parse(v4, 0, 1, false, &a, msg), 0);
  assert_string_equal(a.ops[0], "-odd.conf");
}

static void test_bad(void **state)
{
  struct uj_args a;
  char msg[160];
  static const struct {
    char *argv[6];
    size_t min, max;
    const char *want;
  } cases[] = {
    { { "list", "--bogus", NULL }, 0, 0, "unknown option '--bogus'" },
    { { "list", "-j", NULL }, 0, 0, "unknown option '-j'" },
    { { "list", "--bogus=1", NULL }, 0, 0, "unknown option '--bogus'" },
    { { "check-config", "a", "b", NULL }, 0, 1, "unexpected argument 'b'" },
    { { "list", "extra", NULL }, 0, 0, "unexpected argument 'extra'" },
    { { "stop", NULL }, 1, 1, "missing argument" },
    { { "stop", "--grace", NULL }, 1, 1, "option '--grace' needs a value" },
    { { "list", "--json=yes", NULL }, 0, 0, "option '--json' takes no value" },
    { { "list", "--jso", NULL }, 0, 0, "unknown option '--jso'" }, /* no prefix matching */
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    memset(msg, 0, sizeof msg);
    assert_int_equal(parse((char **) cases[i].argv, cases[i].min, cases[i].max, false, &a, msg), -1);
    assert_string_equal(msg, cases[i].want);
  }
}

static void test_seconds(void **state)
{
  unsigned v = 7;
  assert_int_equal(uj_args_seconds("0", &v), 0);
  assert_int_equal(v, 0);
  assert_int_equal(uj_args_seconds("86400", &v), 0);
  assert_int_equal(v, 86400);
  const char *bad[] = { "", "-1", "5s", "1.5", "86401", "99999999999", " 5", "0x10" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    assert_int_equal(uj_args_seconds(bad[i], &v), -1);
  assert_int_equal(uj_args_seconds(NULL, &v), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_good),
    cmocka_unit_test(test_bad),
    cmocka_unit_test(test_seconds),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
