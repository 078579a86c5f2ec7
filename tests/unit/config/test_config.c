/* Unit tests for the config parser (helper/config/tree.c, settings.c,
 * diag.c): valid configs and their settings, and the exact FILE:LINE text
 * of every diagnostic. Rules are test_policy.c, the file checks of
 * uj_config_load test_load.c, check-config warnings test_lint.c. */
#include "tests/unit/config/config_test.h"

/* ---- valid configs and resolution ------------------------------------------ */

static const char *full_config =
  "# the example from the design\n"                                              /* 1 */
  "hostname  = \"box-%u-%U\";\n"                                                 /* 2 */
  "tmp_size  = \"64M\";\n"                                                       /* 3 */
  "limits    = { pids = 100; memory = \"512M\"; cpu = 0.5; };\n"                 /* 4 */
  "on_logout = \"linger\";\n"                                                    /* 5 */
  "on_error  = \"allow\";\n"                                                     /* 6 */
  "network   = \"none\";\n"                                                      /* 7 */
  "rootfs    = \"/var/lib/images/bookworm\";\n"                                  /* 8 */
  "upper     = \"persistent\";\n"                                                /* 9 */
  "binds = ( { source = \"/srv/shared\"; destination = \"/shared\"; mode = \"rw\"; "
  "optional = true; },\n"                                                        /* 10 */
  "          { source = \"/opt/tools\"; } );\n"                                  /* 11 */
  "exempt = [ \"admin\", \"@wheel\" ];\n"                                        /* 12 */
  "rules = (\n"                                                                  /* 13 */
  "  { match = [ \"@jailed\" ]; },\n"                                            /* 14 */
  "  { match = [ \"alice\", \"uid:2000-2999\" ]; limits = { memory = \"2G\"; };\n" /* 15 */
  "    network = \"host\"; hostname = \"h-%U\"; },\n"                             /* 16 */
  "  { match = [ \"carol\" ]; binds = ( { source = \"/data\"; mode = \"ro\"; } ); "
  "limits = { pids = \"unlimited\"; cpu = \"unlimited\"; memory = \"unlimited\"; };\n" /* 17 */
  "    rootfs = \"host\"; upper = \"ephemeral\"; on_logout = \"kill\"; tmp_size = 1048576; },\n" /* 18 */
  "  { match = [ \"dave\" ]; binds = (); }\n"       /* 19 */
  ");\n";

static void test_full_config(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok(full_config);

  const struct uj_settings *d = &c->defaults;
  assert_string_equal(c->path, P);
  assert_string_equal(d->hostname, "box-%u-%U");
  assert_int_equal(d->tmp_size, 64ull << 20);
  assert_int_equal(d->pids_max, 100);
  assert_int_equal(d->memory_max, 512ull << 20);
  assert_true(d->cpu > 0.4999 && d->cpu < 0.5001);
  assert_int_equal(d->on_logout, UJ_LOGOUT_LINGER);
  assert_int_equal(d->on_error, UJ_ONERR_ALLOW);
  assert_int_equal(d->network, UJ_NET_NONE);
  assert_string_equal(d->rootfs, "/var/lib/images/bookworm");
  assert_int_equal(d->upper, UJ_UPPER_PERSISTENT);
  assert_int_equal(d->n_binds, 2);
  assert_string_equal(d->binds[0].source, "/srv/shared");
  assert_string_equal(d->binds[0].dest, "/shared");
  assert_true(d->binds[0].rw);
  assert_true(d->binds[0].optional);
  assert_int_equal(d->binds[0].line, 10);
  assert_string_equal(d->binds[1].source, "/opt/tools");
  assert_string_equal(d->binds[1].dest, "/opt/tools"); /* destination defaults to source */
  assert_false(d->binds[1].rw);                        /* mode defaults to ro */
  assert_false(d->binds[1].optional);
  assert_int_equal(d->binds[1].line, 11);
  assert_int_equal(c->n_exempt, 2);
  assert_string_equal(c->exempt[0], "admin");
  assert_string_equal(c->exempt[1], "@wheel");
  assert_int_equal(c->n_rules, 4);

  /* rule 0: a deep copy of the defaults */
  const struct uj_rule *r0 = &c->rules[0];
  assert_int_equal(r0->line, 14);
  assert_int_equal(r0->n_match, 1);
  assert_string_equal(r0->match[0], "@jailed");
  assert_string_equal(r0->s.hostname, d->hostname);
  assert_ptr_not_equal(r0->s.hostname, d->hostname);
  assert_string_equal(r0->s.rootfs, d->rootfs);
  assert_ptr_not_equal(r0->s.rootfs, d->rootfs);
  assert_int_equal(r0->s.n_binds, 2);
  assert_ptr_not_equal(r0->s.binds, d->binds);
  assert_ptr_not_equal(r0->s.binds[0].source, d->binds[0].source);
  assert_ptr_not_equal(r0->s.binds[0].dest, d->binds[0].dest);
  assert_string_equal(r0->s.binds[0].dest, "/shared");
  assert_int_equal(r0->s.tmp_size, d->tmp_size);
  assert_int_equal(r0->s.on_logout, UJ_LOGOUT_LINGER);
  assert_int_equal(r0->s.upper, UJ_UPPER_PERSISTENT);

  /* rule 1: partial limits override, other keys override, binds inherited */
  const struct uj_rule *r1 = &c->rules[1];
  assert_int_equal(r1->line, 15);
  assert_int_equal(r1->n_match, 2);
  assert_string_equal(r1->match[1], "uid:2000-2999");
  assert_int_equal(r1->s.memory_max, 2ull << 30);
  assert_int_equal(r1->s.pids_max, 100);             /* from the defaults */
  assert_true(r1->s.cpu > 0.4999 && r1->s.cpu < 0.5001);
  assert_int_equal(r1->s.network, UJ_NET_HOST);
  assert_string_equal(r1->s.hostname, "h-%U");
  assert_int_equal(r1->s.n_binds, 2);
  assert_string_equal(r1->s.binds[1].source, "/opt/tools");

  /* rule 2: binds replace the default list; "unlimited" is 0; rootfs host */
  const struct uj_rule *r2 = &c->rules[2];
  assert_int_equal(r2->s.n_binds, 1);
  assert_string_equal(r2->s.binds[0].source, "/data");
  assert_string_equal(r2->s.binds[0].dest, "/data");
  assert_false(r2->s.binds[0].rw);
  assert_int_equal(r2->s.binds[0].line, 17);
  assert_int_equal(r2->s.pids_max, 0);
  assert_int_equal(r2->s.memory_max, 0);
  assert_true(r2->s.cpu == 0);
  assert_null(r2->s.rootfs);
  assert_int_equal(r2->s.upper, UJ_UPPER_EPHEMERAL);
  assert_int_equal(r2->s.on_logout, UJ_LOGOUT_KILL);
  assert_int_equal(r2->s.tmp_size, 1048576);
  assert_int_equal(r2->s.on_error, UJ_ONERR_ALLOW);  /* untouched key stays */

  /* rule 3: binds = () removes them all */
  assert_int_equal(c->rules[3].s.n_binds, 0);
  assert_null(c->rules[3].s.binds);

  /* the defaults are unchanged by the rules */
  assert_int_equal(d->memory_max, 512ull << 20);
  assert_int_equal(d->n_binds, 2);
  uj_config_free(c);
}

/* notice and lxcfs: per rule, "none" turns LXCFS off, bad values named. */
static void test_view_keys(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok("notice = false; lxcfs = \"/srv/lxcfs\";\n"
                                 "rules = ( { match = [ \"a\" ]; },\n"
                                 "  { match = [ \"b\" ]; notice = true; lxcfs = \"none\"; } );\n");
  assert_false(c->defaults.notice);
  assert_string_equal(c->defaults.lxcfs, "/srv/lxcfs");
  assert_false(c->rules[0].s.notice);
  assert_string_equal(c->rules[0].s.lxcfs, "/srv/lxcfs");
  assert_true(c->rules[1].s.notice);
  assert_null(c->rules[1].s.lxcfs);
  uj_config_free(c);
  expect_one("notice = 1;\n", P ":1: notice must be true or false");
  expect_one("lxcfs = \"relative/x\";\n",
             P ":1: lxcfs 'relative/x' must be \"none\" or an absolute path without '.', '..', "
               "'//' or a trailing '/'");
}

/* network = "private" with its keys, at the top and overridden in a rule
 * (which copies the defaults deeply: freeing both must not double-free). */
static void test_network_private(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok("network = \"private\";\n"
                                 "network_allow_host_ports = [ 5432, 6379 ];\n"
                                 "pasta = \"/opt/passt/bin/pasta\";\n"
                                 "rules = ( { match = [ \"a\" ]; },\n"
                                 "          { match = [ \"b\" ]; network_allow_host_ports = [];\n"
                                 "            pasta = \"/usr/local/bin/pasta\"; } );\n");
  const struct uj_settings *d = &c->defaults;

  assert_int_equal(d->network, UJ_NET_PRIVATE);
  assert_int_equal(d->n_host_ports, 2);
  assert_int_equal(d->host_ports[0], 5432);
  assert_int_equal(d->host_ports[1], 6379);
  assert_string_equal(d->pasta, "/opt/passt/bin/pasta");
  assert_int_equal(c->rules[0].s.network, UJ_NET_PRIVATE);
  assert_int_equal(c->rules[0].s.n_host_ports, 2);
  assert_string_equal(c->rules[0].s.pasta, "/opt/passt/bin/pasta");
  assert_int_equal(c->rules[1].s.n_host_ports, 0);
  assert_string_equal(c->rules[1].s.pasta, "/usr/local/bin/pasta");
  assert_string_equal(d->pasta, "/opt/passt/bin/pasta");
  uj_config_free(c);
}

static void test_builtin_defaults(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok("");
  const struct uj_settings *d = &c->defaults;
  assert_builtin_defaults(d);
  assert_int_equal(c->n_rules, 0);
  assert_int_equal(c->n_exempt, 0);
  const char *g[] = { "users" };
  struct uj_user u = user("alice", 1000, g, 1);
  assert_null(uj_policy_for(c, &u)); /* no rules: nobody jailed */
  uj_config_free(c);

  /* libconfig integer and 64-bit forms, cpu as an integer */
  c = parse_ok("tmp_size = 4096; limits = { memory = 5000000000L; cpu = 2; pids = 4194304; };\n"
               "binds = [];\n");
  assert_int_equal(c->defaults.tmp_size, 4096);
  assert_int_equal(c->defaults.memory_max, 5000000000ull);
  assert_true(c->defaults.cpu == 2.0);
  assert_int_equal(c->defaults.pids_max, 4194304);
  uj_config_free(c);

  /* big numbers in comments, strings and floats are not "too large" integers */
  c = parse_ok("limits = { cpu = 1e1; memory = 0x40000000; }; # 99999999999\n"
               "/* 99999999999 */ // 99999999999\n"
               "hostname = \"h-99999999999\"; tmp_size = 2147483647;\n");
  assert_true(c->defaults.cpu == 10.0);
  assert_int_equal(c->defaults.memory_max, 1ull << 30);
  assert_int_equal(c->defaults.tmp_size, 2147483647);
  uj_config_free(c);
  /* ...but these are, each once, with no second message about the value */
  struct uj_diags dg = parse_bad("tmp_size = 2147483648;\nlimits = { pids = 0x80000000;\n"
                                "cpu = 0; memory = -3000000000; }; on_error = 0;\n");
  if (dg.n != 5)
    dump(&dg);
  assert_int_equal(dg.n, 5);
  assert_string_equal(dg.items[1], P ":2: integer 0x80000000 is too large for a plain libconfig "
                      "integer (it would be silently truncated); write a size such as \"4G\" or "
                      "add an L suffix");
  assert_non_null(strstr(dg.items[2], ":3: integer -3000000000 is too large"));
  /* plain bad values on the same line as a reported literal are still reported */
  assert_string_equal(dg.items[3],
                      P ":3: bad value '0' for cpu (a number from 0.05 to 1024, or \"unlimited\")");
  assert_string_equal(dg.items[4], P ":3: on_error must be a string");
  uj_diags_free(&dg);
}

/* ---- diagnostics ----------------------------------------------------------- */

static void test_error_messages(void **state)
{
  (void) state;
  static const struct {
    const char *text, *want;
  } cases[] = {
    { "hostname = \"a\";\ntmp_sise = \"1M\";\n", P ":2: unknown key 'tmp_sise' (did you mean 'tmp_size'?)" },
    { "limits = {\n memroy = \"1G\"; };\n", P ":2: unknown key 'memroy' in limits (did you mean 'memory'?)" },
    { "binds = ( { source = \"/srv\";\n dest = \"/x\"; } );\n", P ":2: unknown key 'dest' in bind" },
    { "rules = ( { match = [\"a\"];\n netwrok = \"none\"; } );\n",
      P ":2: unknown key 'netwrok' in rule (did you mean 'network'?)" },
    { "\n\ntmp_size = \"lots\";\n", P ":3: bad size 'lots' for tmp_size (a whole number with an optional K, M, G or T suffix, e.g. \"512M\")" },
    { "tmp_size = \"1.5G\";\n", P ":1: bad size '1.5G' for tmp_size: sizes are whole numbers, write \"1536M\"" },
    { "tmp_size = 0;\n", P ":1: bad size '0' for tmp_size (a whole number with an optional K, M, G or T suffix, e.g. \"512M\")" },
    { "tmp_size = \"unlimited\";\n", P ":1: bad size 'unlimited' for tmp_size (a whole number with an optional K, M, G or T suffix, e.g. \"512M\")" },
    { "tmp_size = true;\n", P ":1: tmp_size must be a size such as \"256M\"" },
    { "limits = { memory = -5; };\n", P ":1: bad size '-5' for memory (a whole number with an optional K, M, G or T suffix, e.g. \"512M\")" },
    { "limits = { memory = 1.5; };\n",
      P ":1: memory must be a size such as \"256M\" or \"unlimited\"" },
    { "limits = { memory = 5000000000; };\n",
      P ":1: integer 5000000000 is too large for a plain libconfig integer (it would be silently "
        "truncated); write a size such as \"4G\" or add an L suffix" },
    { "limits = { pids = 0; };\n", P ":1: bad value '0' for pids (an integer from 1 to 4194304, or \"unlimited\")" },
    { "limits = { pids = 4194305; };\n",
      P ":1: bad value '4194305' for pids (an integer from 1 to 4194304, or \"unlimited\")" },
    { "limits = { pids = \"many\"; };\n",
      P ":1: bad value 'many' for pids (an integer from 1 to 4194304, or \"unlimited\")" },
    { "limits = { cpu = 0.01; };\n",
      P ":1: bad value '0.01' for cpu (a number from 0.05 to 1024, or \"unlimited\")" },
    { "limits = { cpu = 2000; };\n",
      P ":1: bad value '2000' for cpu (a number from 0.05 to 1024, or \"unlimited\")" },
    { "limits = { pids = 1.5; };\n",
      P ":1: pids must be an integer from 1 to 4194304, or \"unlimited\"" },
    { "limits = { cpu = [ 1 ]; };\n",
      P ":1: cpu must be a number from 0.05 to 1024, or \"unlimited\"" },
    { "limits = { cpu = \"half\"; };\n",
      P ":1: bad value 'half' for cpu (a number from 0.05 to 1024, or \"unlimited\")" },
    { "limits = \"1G\";\n",
      P ":1: limits must be a group, e.g. { pids = 512; memory = \"1G\"; cpu = 1.0; }" },
    { "on_logout = \"stay\";\n", P ":1: bad value 'stay' for on_logout (allowed: kill, linger)" },
    { "on_error = \"ignore\";\n", P ":1: bad value 'ignore' for on_error (allowed: deny, allow)" },
    { "network = \"bridge\";\n", P ":1: bad value 'bridge' for network (allowed: host, none, private)" },
    { "upper = \"disk\";\n", P ":1: bad value 'disk' for upper (allowed: ephemeral, persistent)" },
    { "network = 1;\n", P ":1: network must be a string" },
    { "network_allow_host_ports = [ 0 ];\n",
      P ":1: bad port '0' in network_allow_host_ports (1-65535)" },
    { "network_allow_host_ports = [ 80, 65536 ];\n",
      P ":1: bad port '65536' in network_allow_host_ports (1-65535)" },
    { "network_allow_host_ports = [ \"5432\" ];\n",
      P ":1: network_allow_host_ports entries must be port numbers (1-65535)" },
    { "network_allow_host_ports = 5432;\n",
      P ":1: network_allow_host_ports must be a list of TCP ports, e.g. [ 5432 ]" },
    { "network_allow_host_ports = [ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, "
      "18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33 ];\n",
      P ":1: network_allow_host_ports has 33 ports (at most 32)" },
    { "pasta = \"pasta\";\n",
      P ":1: pasta 'pasta' must be an absolute path without '.', '..', '//' or a trailing '/'" },
    { "pasta = \"/usr/bin/../bin/pasta\";\n",
      P ":1: pasta '/usr/bin/../bin/pasta' must be an absolute path without '.', '..', '//' or a "
        "trailing '/'" },
    { "pasta = 1;\n", P ":1: pasta must be a string" },
    { "hostname = \"jail-%x\";\n",
      P ":1: hostname pattern 'jail-%x' has unknown escape '%x' (allowed: %u, %U, %%)" },
    { "hostname = \"jail-%\";\n",
      P ":1: hostname pattern 'jail-%' ends in a lone '%' (write %% for a percent)" },
    { "hostname = \"jail_%u\";\n",
      P ":1: hostname pattern 'jail_%u' cannot yield a valid hostname (letters, digits, '-' and "
        "'.', at most 64 characters)" },
    { "hostname = \"\";\n",
      P ":1: hostname pattern '' cannot yield a valid hostname (letters, digits, '-' and '.', at "
        "most 64 characters)" },
    { "hostname = \"jail-%%\";\n",
      P ":1: hostname pattern 'jail-%%' cannot yield a valid hostname (letters, digits, '-' and "
        "'.', at most 64 characters)" },
    { "binds = (\n\n\n\n\n\n { source = \"/proc\"; } );\n",
      P ":7: bind source '/proc' is not allowed (/, /proc, /sys, /dev)" },
    { "binds = ( { source = \"/\"; } );\n",
      P ":1: bind source '/' is not allowed (/, /proc, /sys, /dev)" },
    { "binds = ( { source = \"/sys/fs/cgroup\"; } );\n",
      P ":1: bind source '/sys/fs/cgroup' is not allowed (/, /proc, /sys, /dev)" },
    { "binds = ( { source = \"/srv\"; destination = \"/dev/x\"; } );\n",
      P ":1: bind destination '/dev/x' is not allowed (/, /proc, /sys, /dev)" },
    { "binds = ( { source = \"srv\"; } );\n",
      P ":1: bind source 'srv' must be an absolute path without '.', '..', '//' or a trailing '/'" },
    { "binds = ( { source = \"/srv/../proc\"; } );\n",
      P ":1: bind source '/srv/../proc' must be an absolute path without '.', '..', '//' or a "
        "trailing '/'" },
    { "binds = ( { source = \"/srv\"; destination = \"/x/\"; } );\n",
      P ":1: bind destination '/x/' must be an absolute path without '.', '..', '//' or a "
        "trailing '/'" },
    { "binds = ( { destination = \"/x\"; } );\n", P ":1: bind has no source" },
    { "binds = ( { source = \"/srv\"; mode = \"wr\"; } );\n",
      P ":1: bad value 'wr' for mode (allowed: ro, rw; did you mean 'rw'?)" },
    { "binds = ( { source = \"/srv\"; optional = \"yes\"; } );\n",
      P ":1: optional must be true or false" },
    { "binds = ( { source = \"/a\"; destination = \"/x\"; },\n { source = \"/b\"; destination = "
      "\"/x\"; } );\n",
      P ":2: bind destination '/x' is already used by the bind on line 1" },
    { "binds = [ \"/srv\" ];\n",
      P ":1: binds must be a list of groups, e.g. ( { source = \"/srv/shared\"; } )" },
    { "binds = ( \"/srv\" );\n",
      P ":1: each bind must be a group, e.g. { source = \"/srv/shared\"; mode = \"rw\"; }" },
    { "rootfs = \"images/x\";\n",
      P ":1: rootfs 'images/x' must be \"host\" or an absolute path without '.', '..', '//' or a "
        "trailing '/'" },
    { "rootfs = \"/\";\n", P ":1: rootfs '/' is not allowed (/, /proc, /sys, /dev)" },
    { "rootfs = \"/proc/1/root\";\n",
      P ":1: rootfs '/proc/1/root' is not allowed (/, /proc, /sys, /dev)" },
    { "exempt = [ \"\" ];\n", P ":1: bad exempt pattern '' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "exempt = \"admin\";\n",
      P ":1: exempt must be a list of patterns, e.g. [ \"alice\", \"@jailed\", \"uid:2000-2999\" ]" },
    { "rules = ( { match = [ \"@\" ]; } );\n",
      P ":1: bad match pattern '@' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = ( { match = [ \"uid:x-y\" ]; } );\n",
      P ":1: bad match pattern 'uid:x-y' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = ( { match = [ \"uid:2000-1000\" ]; } );\n",
      P ":1: bad match pattern 'uid:2000-1000' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = ( { match = [ \"al/ice\" ]; } );\n",
      P ":1: bad match pattern 'al/ice' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = ( { match = [ \"-alice\" ]; } );\n",
      P ":1: bad match pattern '-alice' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = ( { match = [ \"al\\tice\" ]; } );\n",
      P ":1: bad match pattern 'al\\x09ice' (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = ( { match = [ 5 ]; } );\n",
      P ":1: match patterns must be strings (use NAME, @GROUP or uid:LOW-HIGH)" },
    { "rules = (\n { match = [ ]; } );\n", P ":2: rule has an empty match list" },
    { "rules = (\n { network = \"none\"; } );\n", P ":2: rule has no match list" },
    { "rules = ( { match = [\"a\"]; exempt = [\"b\"]; } );\n",
      P ":1: exempt is only allowed at the top level, not in a rule" },
    { "match = [ \"a\" ];\n", P ":1: match is only allowed inside a rule" },
    { "rules = { match = [\"a\"]; };\n",
      P ":1: rules must be a list of groups, e.g. ( { match = [ \"@jailed\" ]; } )" },
    { "rules = ( [ \"a\" ] );\n",
      P ":1: each rule must be a group, e.g. { match = [ \"@jailed\" ]; }" },
    { "hostname = \"a\";\ntmp_size = ;\n", P ":2: syntax error" },
    { "a = 1;\n\n\nhostname = \"a\";\nhostname = \"b\";\n",
      P ":5: syntax error: duplicate setting name" },
    { "\n@include \"/etc/passwd\"\n",
      P ":2: @include is not allowed (included files would escape the ownership check)" },
    /* control characters in values are shown escaped */
    { "on_logout = \"a\\nb\";\n", P ":1: bad value 'a\\x0ab' for on_logout (allowed: kill, linger)" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_one(cases[i].text, cases[i].want);
}

static void test_multiple_errors(void **state)
{
  (void) state;
  const char *text =
    "tmp_sise = \"1M\";\n"                                             /* 1 */
    "tmp_size = \"lots\";\n"                                           /* 2 */
    "limits = { pids = 0; memory = \"1X\"; };\n"                       /* 3: two errors */
    "network = \"bridge\";\n"                                          /* 4 */
    "rules = (\n"                                                      /* 5 */
    "  { match = [ \"uid:9-1\", \"ok\" ]; on_error = \"maybe\"; },\n"  /* 6: two */
    "  { match = []; }\n"                                              /* 7 */
    ");\n"
    "binds = ( { source = \"/dev\"; } );\n";                           /* 9: after rules */
  struct uj_diags d = parse_bad(text);
  const char *want[] = {
    P ":1: unknown key 'tmp_sise' (did you mean 'tmp_size'?)",
    P ":2: bad size 'lots' for tmp_size (a whole number with an optional K, M, G or T suffix, e.g. \"512M\")",
    P ":3: bad value '0' for pids (an integer from 1 to 4194304, or \"unlimited\")",
    P ":3: bad size '1X' for memory (a whole number with an optional K, M, G or T suffix, e.g. \"512M\")",
    P ":4: bad value 'bridge' for network (allowed: host, none, private)",
    P ":6: bad match pattern 'uid:9-1' (use NAME, @GROUP or uid:LOW-HIGH)",
    P ":6: bad value 'maybe' for on_error (allowed: deny, allow)",
    P ":7: rule has an empty match list",
    P ":9: bind source '/dev' is not allowed (/, /proc, /sys, /dev)",
  };
  if (d.n != sizeof want / sizeof want[0])
    dump(&d);
  assert_int_equal(d.n, sizeof want / sizeof want[0]);
  for (size_t i = 0; i < d.n; i++)
    assert_string_equal(d.items[i], want[i]); /* all of them, in line order */
  uj_diags_free(&d);
  assert_null(d.items);
  assert_int_equal(d.n, 0);

  /* diagnostics append to what the caller already holds */
  struct uj_diags acc = { 0 };
  struct uj_config *c = NULL;
  struct uj_err e;
  assert_int_equal(uj_config_parse_string("a = 1;\n", "/x.conf", &c, &acc, &e), -1);
  assert_int_equal(uj_config_parse_string("\nb = 1;\n", "/y.conf", &c, &acc, &e), -1);
  assert_int_equal(acc.n, 2);
  assert_string_equal(acc.items[0], "/x.conf:1: unknown key 'a'");
  assert_string_equal(acc.items[1], "/y.conf:2: unknown key 'b'");
  assert_string_equal(e.msg, "/y.conf:2: unknown key 'b'");
  uj_diags_free(&acc);

  /* a NULL diags is allowed: err still says what is wrong */
  assert_int_equal(uj_config_parse_string("tmp_size = \"x\";\n", "/z.conf", &c, NULL, &e), -1);
  assert_string_equal(e.msg, "/z.conf:1: bad size 'x' for tmp_size (a whole number with an "
                             "optional K, M, G or T suffix, e.g. \"512M\")");
}

/* Messages that say the fix for the mistakes admins make most. */
static void test_fix_messages(void **state)
{
  (void) state;
  static const struct {
    const char *text, *want;
  } cases[] = {
    { "limits = { memory = \"1.5G\"; };\n",
      P ":1: bad size '1.5G' for memory: sizes are whole numbers, write \"1536M\"" },
    { "limits = { memory = \"0,5G\"; };\n",
      P ":1: bad size '0,5G' for memory: sizes are whole numbers, write \"512M\"" },
    { "limits = { memory = 1G; };\n", P ":1: value 1G must be quoted: write \"1G\"" },
    { "\ntmp_size = 512M;\n", P ":2: value 512M must be quoted: write \"512M\"" },
    { "limits = { cpu = \"1.5\"; };\n",
      P ":1: cpu must be a number, not a string: write cpu = 1.5; (without quotes)" },
    { "limits = { pids = \"100\"; };\n",
      P ":1: pids must be a number, not a string: write pids = 100; (without quotes)" },
    { "limits = { cpu = \"50%\"; };\n",
      P ":1: bad value '50%' for cpu: cpu is a fraction of one CPU, write cpu = 0.5;" },
    { "on_logout = linger;\n", P ":1: value linger must be quoted: write \"linger\"" },
    { "exempt = [ \"root\", admin ];\n", P ":1: value admin must be quoted: write \"admin\"" },
    { "on_logout = \"lingr\";\n",
      P ":1: bad value 'lingr' for on_logout (allowed: kill, linger; did you mean 'linger'?)" },
    { "network = \"nnoe\";\n",
      P ":1: bad value 'nnoe' for network (allowed: host, none, private; did you mean 'none'?)" },
    { "exmept = [];\n", P ":1: unknown key 'exmept' (did you mean 'exempt'?)" },
    { "binds = ( { source = \"/srv\"; destinaton = \"/x\"; } );\n",
      P ":1: unknown key 'destinaton' in bind (did you mean 'destination'?)" },
    { "frobnicate = 1;\n", P ":1: unknown key 'frobnicate'" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    expect_one(cases[i].text, cases[i].want);
  /* true/false stay legal bare words */
  uj_config_free(parse_ok("binds = ( { source = \"/srv\"; optional = true; } );\n"));
}

/* The config hash stamps jails: same text, same hash; any change, another. */
static void test_config_hash(void **state)
{
  (void) state;
  struct uj_config *a = parse_ok("tmp_size = \"64M\";\n"), *b = parse_ok("tmp_size = \"64M\";\n"),
                   *c = parse_ok("tmp_size = \"64M\"; \n");
  assert_true(a->hash != 0);
  assert_true(a->hash == b->hash);
  assert_true(a->hash != c->hash);
  uj_config_free(a);
  uj_config_free(b);
  uj_config_free(c);
}

/* A float literal that ends the file: the big-integer scanner once walked
 * past the terminating NUL (strchr(".eE+-", 0) matches). Under ASan this
 * input is tests/fuzz/corpus/regress-float-at-eof.conf, run by check-fuzz;
 * here the results must be the plain ones. */
static void test_number_at_end_of_text(void **state)
{
  static const char *const texts[] = { "limits = { cpu = 0.5", "limits = { cpu = 1e",
                                       "limits = { cpu = 2." };
  for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++) {
    struct uj_diags d = parse_bad(texts[i]);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.items[0], P ":1: syntax error"));
    uj_diags_free(&d);
  }
  expect_one("tmp_size = 0x", P ":1: value 0x must be quoted: write \"0x\"");
  struct uj_config *c = parse_ok("limits = { cpu = 0.5; };");
  assert_true(c->defaults.cpu == 0.5);
  uj_config_free(c);
}

/* seccomp, seccomp_allow and userns: defaults, per-rule overrides, and an
 * allow-back name the filter does not refuse is an error (a typo must not
 * look like a working exception). */
static void test_seccomp_settings(void **state)
{
  struct uj_config *c = parse_ok("rules = ( { match = [ \"a\" ]; },\n"
                                 "  { match = [ \"b\" ]; seccomp = false; },\n"
                                 "  { match = [ \"c\" ]; seccomp_allow = [ \"keyctl\", \"TIOCSTI\" ]; userns = true; } );\n");
  assert_true(c->defaults.seccomp);
  assert_false(c->defaults.userns);
  assert_int_equal(c->defaults.seccomp_allow, 0);
  assert_true(c->rules[0].s.seccomp);
  assert_false(c->rules[1].s.seccomp);
  assert_true(c->rules[2].s.userns);
  assert_int_equal(c->rules[2].s.seccomp_allow, (1u << uj_filter_index("keyctl")) | (1u << uj_filter_index("TIOCSTI")));
  uj_config_free(c);

  struct uj_diags d = parse_bad("seccomp = 1;\nuserns = \"no\";\nseccomp_allow = ( \"mount\", 3 );\n");
  assert_int_equal(d.n, 4);
  assert_string_equal(d.items[0], P ":1: seccomp must be true or false");
  assert_string_equal(d.items[1], P ":2: userns must be true or false");
  assert_non_null(strstr(d.items[2], P ":3: seccomp_allow: 'mount' is not refused by the filter"));
  assert_non_null(strstr(d.items[3], P ":3: seccomp_allow: '(not a string)'"));
  uj_diags_free(&d);
  expect_one("secomp = false;\n", P ":1: unknown key 'secomp' (did you mean 'seccomp'?)");
}

/* upper_size: unbounded by default, a size of at least 16M, per rule. */
static void test_upper_size(void **state)
{
  (void) state;
  struct uj_config *c = parse_ok("upper = \"persistent\";\n"
                                 "rules = ( { match = [ \"a\" ]; upper_size = \"2G\"; },\n"
                                 "          { match = [ \"b\" ]; } );\n");
  assert_int_equal(c->defaults.upper_size, 0);
  assert_int_equal(c->rules[0].s.upper_size, 2ull << 30);
  assert_int_equal(c->rules[1].s.upper_size, 0);
  uj_config_free(c);
  c = parse_ok("upper_size = \"unlimited\";\n");
  assert_int_equal(c->defaults.upper_size, 0);
  uj_config_free(c);
  expect_one("upper_size = \"8M\";\n", P ":1: upper_size must be at least 16M (or \"unlimited\")");
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_full_config),
    cmocka_unit_test(test_builtin_defaults),
    cmocka_unit_test(test_view_keys),
    cmocka_unit_test(test_network_private),
    cmocka_unit_test(test_error_messages),
    cmocka_unit_test(test_multiple_errors),
    cmocka_unit_test(test_fix_messages),
    cmocka_unit_test(test_config_hash),
    cmocka_unit_test(test_number_at_end_of_text),
    cmocka_unit_test(test_seccomp_settings),
    cmocka_unit_test(test_upper_size),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
