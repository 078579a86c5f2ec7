/* Unit tests for helper/config/policy.c: which rule a user gets (first
 * match wins, exempt first), what each pattern matches, why (explain), and
 * which group names a login must look up. */
#include "tests/unit/config/config_test.h"

static const char *policy_config =
  "exempt = [ \"admin\", \"@wheel\", \"uid:5000-5009\" ];\n"
  "rules = (\n"
  "  { match = [ \"alice\" ]; hostname = \"first\"; },\n"
  "  { match = [ \"@jailed\", \"alice\" ]; hostname = \"second\"; },\n"
  "  { match = [ \"uid:2000-2999\" ]; hostname = \"range\"; },\n"
  "  { match = [ \"root\", \"uid:0-10\", \"admin\", \"uid:5000-5100\" ]; hostname = \"last\"; }\n"
  ");\n";

static const char *host_for(const struct uj_config *c, const char *name, uid_t uid,
                            const char *const *groups, size_t n)
{
  struct uj_user u = user(name, uid, groups, n);
  const struct uj_settings *s = uj_policy_for(c, &u);
  return s ? s->hostname : NULL;
}

static void test_policy(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok(policy_config);
  const char *none[] = { "users" };
  const char *jailed[] = { "bob", "users", "jailed" }; /* supplementary group last */
  const char *wheel[] = { "jailed", "wheel" };

  /* first match wins: alice is in rule 0 and rule 1 */
  assert_string_equal(host_for(c, "alice", 1000, jailed, 3), "first");
  /* @group through the supplementary group names */
  assert_string_equal(host_for(c, "bob", 1001, jailed, 3), "second");
  assert_null(host_for(c, "bob", 1001, none, 1));
  assert_null(host_for(c, "bob", 1001, NULL, 0));
  /* a group pattern does not match a user of that name, nor vice versa */
  const char *alice_grp[] = { "alice" };
  assert_null(host_for(c, "jailed", 1002, alice_grp, 1));
  /* uid ranges, both ends inclusive */
  assert_null(host_for(c, "u", 1999, none, 1));
  assert_string_equal(host_for(c, "u", 2000, none, 1), "range");
  assert_string_equal(host_for(c, "u", 2999, none, 1), "range");
  assert_null(host_for(c, "u", 3000, none, 1));
  /* exempt by name, by group, by uid range, even though a rule matches */
  assert_null(host_for(c, "admin", 1003, none, 1));
  assert_null(host_for(c, "carl", 1004, wheel, 2));
  assert_null(host_for(c, "u", 5000, none, 1));
  assert_null(host_for(c, "u", 5009, none, 1));
  assert_string_equal(host_for(c, "u", 5010, none, 1), "last");
  /* root is never jailed, even when named and in a matching range */
  assert_null(host_for(c, "root", 0, none, 1));
  assert_null(host_for(c, "toor", 0, jailed, 3));
  assert_string_equal(host_for(c, "u", 10, none, 1), "last");
  assert_string_equal(host_for(c, "root", 1, none, 1), "last"); /* a non-0 "root" */
  /* unmatched */
  assert_null(host_for(c, "zed", 1500, none, 1));
  uj_config_free(c);
}

static void test_pattern_matches(void **state)
{
  (void) state;
  const char *g[] = { "staff", "jailed" };
  struct uj_user u = user("alice", 1500, g, 2);
  assert_true(uj_pattern_matches("alice", &u));
  /* NSS names as sssd gives them are names like any other */
  struct uj_user d = u;
  d.name = "alice@corp.example";
  assert_true(uj_pattern_matches("alice@corp.example", &d));
  assert_false(uj_pattern_matches("alice", &d));
  struct uj_config *c = parse_ok("rules = ( { match = [ \"alice@corp.example\", \"@domain users@corp.example\" ]; } );\n");
  assert_int_equal(c->rules[0].n_match, 2);
  assert_non_null(uj_policy_for(c, &d));
  uj_config_free(c);
  assert_false(uj_pattern_matches("alic", &u));
  assert_false(uj_pattern_matches("Alice", &u));
  assert_true(uj_pattern_matches("@staff", &u));
  assert_true(uj_pattern_matches("@jailed", &u));
  assert_false(uj_pattern_matches("@jail", &u));
  assert_false(uj_pattern_matches("@alice", &u));
  assert_true(uj_pattern_matches("uid:1500-1500", &u));
  assert_true(uj_pattern_matches("uid:0-4294967294", &u));
  assert_false(uj_pattern_matches("uid:1501-2000", &u));
  /* malformed patterns never match */
  assert_false(uj_pattern_matches("", &u));
  assert_false(uj_pattern_matches("@", &u));
  assert_false(uj_pattern_matches("uid:x-y", &u));
  assert_false(uj_pattern_matches("uid:2000-1000", &u));
  assert_false(uj_pattern_matches("uid:1500", &u));
  assert_false(uj_pattern_matches(NULL, &u));
}

/* uj_policy_explain says why: root, the exempt pattern, the rule and its
 * pattern, or no rule. */
static void test_policy_explain(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok("exempt = [ \"admin\", \"@wheel\" ];\n"
                                 "rules = (\n"
                                 "  { match = [ \"bob\" ]; },\n"
                                 "  { match = [ \"uid:2000-2999\", \"@students\" ]; }\n"
                                 ");\n");
  const char *students[] = { "students" }, *wheel[] = { "students", "wheel" };
  struct uj_user root = user("root", 0, NULL, 0), admin = user("admin", 1000, NULL, 0),
                 w = user("carol", 1001, wheel, 2), s = user("dave", 1500, students, 1),
                 r = user("erin", 2500, NULL, 0), none = user("zed", 1600, NULL, 0);
  struct uj_policy_match m;

  assert_null(uj_policy_explain(c, &root, &m));
  assert_int_equal(m.reason, UJ_WHY_ROOT);
  assert_null(uj_policy_explain(c, &admin, &m));
  assert_int_equal(m.reason, UJ_WHY_EXEMPT);
  assert_string_equal(m.pattern, "admin");
  assert_null(uj_policy_explain(c, &w, &m)); /* exempt wins over a matching rule */
  assert_int_equal(m.reason, UJ_WHY_EXEMPT);
  assert_string_equal(m.pattern, "@wheel");
  assert_ptr_equal(uj_policy_explain(c, &s, &m), &c->rules[1].s);
  assert_int_equal(m.reason, UJ_WHY_RULE);
  assert_int_equal(m.rule, 1);
  assert_int_equal(m.line, 4);
  assert_string_equal(m.pattern, "@students");
  assert_ptr_equal(uj_policy_explain(c, &r, &m), &c->rules[1].s);
  assert_string_equal(m.pattern, "uid:2000-2999");
  assert_null(uj_policy_explain(c, &none, &m));
  assert_int_equal(m.reason, UJ_WHY_NO_RULE);
  assert_null(m.pattern);
  /* the same decision as uj_policy_for */
  assert_ptr_equal(uj_policy_for(c, &s), &c->rules[1].s);
  assert_ptr_equal(uj_policy_explain(c, &s, NULL), &c->rules[1].s);
  uj_config_free(c);
}

/* Only the groups the config names are looked up for a login, once each. */
static void test_group_names(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok("exempt = [ \"@admins\", \"bob\" ];\n"
                                 "rules = ( { match = [ \"@students\", \"uid:2000-2999\", \"@admins\" ]; },\n"
                                 "          { match = [ \"carol\", \"@staff\" ]; } );\n");
  size_t n = 99;
  const char **g = uj_config_group_names(c, &n);
  assert_non_null(g);
  assert_int_equal(n, 3);
  assert_string_equal(g[0], "admins");
  assert_string_equal(g[1], "students");
  assert_string_equal(g[2], "staff");
  assert_null(g[3]);
  free(g);
  uj_config_free(c);

  c = parse_ok("rules = ( { match = [ \"alice\" ]; } );\n");
  g = uj_config_group_names(c, &n);
  assert_non_null(g);
  assert_int_equal(n, 0);
  free(g);
  uj_config_free(c);
}


int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_policy),
    cmocka_unit_test(test_pattern_matches),
    cmocka_unit_test(test_policy_explain),
    cmocka_unit_test(test_group_names),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
