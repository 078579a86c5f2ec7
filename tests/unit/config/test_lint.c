/* Unit tests for helper/config/lint.c: check-config warnings about valid
 * configs that cannot do what they say. */
#include "tests/unit/config/config_test.h"

/* check-config warnings: valid configs that cannot do what they say. */
static void test_lint(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok(
      "exempt = [ \"root\", \"nosuchuser-ujt\", \"@nosuchgroup-ujt\" ];\n" /* 1 */
      "binds = ( { source = \"/nonexistent-ujt\"; },\n"                     /* 2 */
      "  { source = \"/nonexistent2-ujt\"; optional = true; },\n"           /* 3 */
      "  { source = \"/tmp\"; destination = \"/opt/nonexistent-ujt\"; } );\n" /* 4 */
      "rules = (\n"
      "  { match = [ \"uid:1000-1999\" ]; },\n"                              /* 6 */
      "  { match = [ \"uid:1200-1300\", \"@root\" ]; },\n"                   /* 7 */
      "  { match = [ \"root\", \"uid:1000-1999\" ]; binds = (); }\n"         /* 8 */
      ");\n");
  struct uj_diags w = { 0 };
  const char *want[] = {
    P ":1: warning: user 'nosuchuser-ujt' in exempt does not exist",
    P ":1: warning: group 'nosuchgroup-ujt' in exempt does not exist",
    P ":7: warning: pattern 'uid:1200-1300' of rule 2 never matches: rule 1 (line 6) takes it "
      "first with 'uid:1000-1999'",
    P ":8: warning: pattern 'root' of rule 3 never matches: exempt pattern 'root' takes it first",
    P ":8: warning: pattern 'uid:1000-1999' of rule 3 never matches: rule 1 (line 6) takes it "
      "first with 'uid:1000-1999'",
    P ":8: warning: rule 3 never applies: every pattern of it is taken by an earlier rule or "
      "exempt",
    P ":2: warning: bind source '/nonexistent-ujt' does not exist: jails with this bind will "
      "fail to start (create it, or set optional = true)",
    P ":4: warning: bind destination '/opt/nonexistent-ujt' is under the read-only host "
      "directory /opt and does not exist on the host: create it there first",
  };
  uj_config_lint(c, &w);
  if (w.n != sizeof want / sizeof want[0])
    dump(&w);
  assert_int_equal(w.n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < w.n; i++)
    assert_string_equal(w.items[i], want[i]);
  uj_diags_free(&w);
  uj_config_free(c);

  /* a clean config has no warnings */
  c = parse_ok("exempt = [ \"root\" ];\nrules = ( { match = [ \"uid:5000-5999\" ]; } );\n");
  uj_config_lint(c, &w);
  assert_int_equal(w.n, 0);
  uj_config_free(c);

  /* network = "private" and a pasta that cannot run: once, not per rule */
  c = parse_ok("network = \"private\";\npasta = \"/nonexistent-ujt/pasta\";\n"
               "rules = ( { match = [ \"uid:5000-5999\" ]; } );\n");
  uj_config_lint(c, &w);
  if (w.n != 1)
    dump(&w);
  assert_int_equal(w.n, 1);
  assert_string_equal(w.items[0], P ": warning: pasta '/nonexistent-ujt/pasta' cannot be executed "
                                    "(No such file or directory): logins with network = \"private\" "
                                    "will fail (install passt)");
  uj_diags_free(&w);
  uj_config_free(c);
}


int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_lint),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
