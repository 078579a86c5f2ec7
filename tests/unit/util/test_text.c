/* Unit tests for helper/util.c: the exact definitions of valid sizes,
 * patterns, hostnames, paths, user names and uid ranges. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "util/text.h"

static uint64_t size_ok(const char *s)
{
  uint64_t v = 12345;
  if (uj_parse_size(s, &v) != 0)
    fail_msg("uj_parse_size(\"%s\") failed", s);
  return v;
}

static void size_bad(const char *s)
{
  uint64_t v = 12345;
  if (uj_parse_size(s, &v) != -1)
    fail_msg("uj_parse_size(\"%s\") accepted it as %llu", s, (unsigned long long) v);
  assert_int_equal(v, 12345); /* untouched on failure */
}

static void test_size_suffixes(void **state)
{
  (void) state;
  assert_int_equal(size_ok("4096"), 4096);
  assert_int_equal(size_ok("1"), 1);
  assert_int_equal(size_ok("512k"), 512 * 1024);
  assert_int_equal(size_ok("512K"), 512 * 1024);
  assert_int_equal(size_ok("64M"), 64ull << 20);
  assert_int_equal(size_ok("64m"), 64ull << 20);
  assert_int_equal(size_ok("1G"), 1ull << 30);
  assert_int_equal(size_ok("2T"), 2ull << 40);
  assert_int_equal(size_ok("64MB"), 64ull << 20);
  assert_int_equal(size_ok("64MiB"), 64ull << 20);
  assert_int_equal(size_ok("64mib"), 64ull << 20);
  assert_int_equal(size_ok("1kb"), 1024);
  assert_int_equal(size_ok("100B"), 100);
  assert_int_equal(size_ok("007M"), 7ull << 20);
}

static void test_size_limits(void **state)
{
  (void) state;
  assert_int_equal(size_ok("18446744073709551615"), UINT64_MAX);
  size_bad("18446744073709551616");      /* one more than UINT64_MAX */
  size_bad("99999999999999999999999");
  assert_int_equal(size_ok("16777215T"), 16777215ull << 40);
  size_bad("16777216T");                 /* 2^64: overflows by the suffix */
  size_bad("17179869184G");
  size_bad("0");
  size_bad("0M");
  size_bad("000");
}

static void test_size_junk(void **state)
{
  (void) state;
  const char *bad[] = { "", "M", "lots", "1.5G", "-1", "+1", " 1", "1 ", "1M ", "1 M", "0x10",
                        "1e3", "1MM", "1MBB", "1iB", "1Bi", "1KiBB", "1P", "1Mi", "1MiX", "12abc",
                        "unlimited" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    size_bad(bad[i]);
  uint64_t v;
  assert_int_equal(uj_parse_size(NULL, &v), -1);
}

static void test_expand(void **state)
{
  char out[64];
  (void) state;

  assert_int_equal(uj_expand_pattern("jail-%u", "alice", 1000, out, sizeof out), 0);
  assert_string_equal(out, "jail-alice");
  assert_int_equal(uj_expand_pattern("u%U", "alice", 4294967294u, out, sizeof out), 0);
  assert_string_equal(out, "u4294967294");
  assert_int_equal(uj_expand_pattern("%u-%U-%%-%u", "bob", 0, out, sizeof out), 0);
  assert_string_equal(out, "bob-0-%-bob");
  assert_int_equal(uj_expand_pattern("plain", "bob", 1, out, sizeof out), 0);
  assert_string_equal(out, "plain");
  assert_int_equal(uj_expand_pattern("", "bob", 1, out, sizeof out), 0);
  assert_string_equal(out, "");
  assert_int_equal(uj_expand_pattern("%%u", "bob", 1, out, sizeof out), 0);
  assert_string_equal(out, "%u"); /* %% is consumed first: no double expansion */
  /* user names are inserted verbatim, never re-expanded */
  assert_int_equal(uj_expand_pattern("%u", "%U", 7, out, sizeof out), 0);
  assert_string_equal(out, "%U");
}

static void test_expand_errors(void **state)
{
  char out[8];
  (void) state;

  memcpy(out, "garbage", 8);
  assert_int_equal(uj_expand_pattern("jail-%x", "a", 1, out, sizeof out), -1);
  assert_string_equal(out, "");
  assert_int_equal(uj_expand_pattern("jail-%", "a", 1, out, sizeof out), -1);
  assert_int_equal(uj_expand_pattern("%g", "a", 1, out, sizeof out), -1);
  /* truncation: the result plus NUL must fit, else -1 and an empty string */
  assert_int_equal(uj_expand_pattern("1234567", "a", 1, out, sizeof out), 0);
  assert_string_equal(out, "1234567");
  assert_int_equal(uj_expand_pattern("12345678", "a", 1, out, sizeof out), -1);
  assert_string_equal(out, "");
  assert_int_equal(uj_expand_pattern("j-%u", "abcd", 1, out, sizeof out), 0);
  assert_string_equal(out, "j-abcd");
  assert_int_equal(uj_expand_pattern("j-%u", "abcdef", 1, out, sizeof out), -1);
  assert_int_equal(uj_expand_pattern("%U", "a", 123456789, out, sizeof out), -1);
  assert_int_equal(uj_expand_pattern("x", "a", 1, out, 1), -1);
  assert_int_equal(uj_expand_pattern("x", "a", 1, out, 0), -1);
  assert_int_equal(uj_expand_pattern("", "a", 1, out, 1), 0);
}

static void test_hostname(void **state)
{
  (void) state;
  const char *good[] = { "a", "jail-alice", "host.example.com", "1", "a-b-c", "A9", "x.y" };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!uj_valid_hostname(good[i]))
      fail_msg("'%s' should be a valid hostname", good[i]);
  /* 64 chars overall is the maximum, 63 per label */
  char lbl63[64], long65[66], lbl64[65], dotted64[65];
  memset(lbl63, 'a', 63);
  lbl63[63] = '\0';
  assert_true(uj_valid_hostname(lbl63));
  memset(lbl64, 'a', 64);
  lbl64[64] = '\0';
  assert_false(uj_valid_hostname(lbl64)); /* 64 chars but one 64-char label */
  memset(dotted64, 'a', 64);
  dotted64[30] = '.';
  dotted64[64] = '\0';
  assert_true(uj_valid_hostname(dotted64));
  memset(long65, 'a', 65);
  long65[30] = '.';
  long65[65] = '\0';
  assert_false(uj_valid_hostname(long65));

  const char *bad[] = { "", "-a", "a-", "a_b", "a b", ".a", "a.", "a..b", "a/b", "jail-%u",
                        "ä", "a.-b", "a-.b", "a\n" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (uj_valid_hostname(bad[i]))
      fail_msg("'%s' should not be a valid hostname", bad[i]);
  assert_false(uj_valid_hostname(NULL));
}

static void test_path_clean(void **state)
{
  (void) state;
  const char *good[] = { "/", "/srv", "/srv/shared", "/a/b/c", "/.hidden", "/a/..b", "/a/b.",
                         "/a...", "/with space" };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!uj_path_is_clean(good[i]))
      fail_msg("'%s' should be clean", good[i]);
  const char *bad[] = { "", "srv", "./srv", "//", "//srv", "/srv/", "/srv//x", "/.", "/..",
                        "/srv/.", "/srv/..", "/srv/./x", "/srv/../etc", "/a\nb", "/a\tb",
                        "/a\x7f", "~/x" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (uj_path_is_clean(bad[i]))
      fail_msg("'%s' should not be clean", bad[i]);
  assert_false(uj_path_is_clean(NULL));
  char huge[5000];
  huge[0] = '/';
  memset(huge + 1, 'a', sizeof huge - 2);
  huge[sizeof huge - 1] = '\0';
  assert_false(uj_path_is_clean(huge)); /* longer than PATH_MAX */
}

static void test_path_dangerous(void **state)
{
  (void) state;
  const char *bad[] = { "/", "/proc", "/proc/1", "/proc/self/root", "/sys", "/sys/fs/cgroup",
                        "/dev", "/dev/shm", "/dev/sda",
                        /* not clean: cannot be judged by spelling, so refused */
                        "/srv/../proc", "//proc", "proc", "" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (!uj_path_is_dangerous(bad[i]))
      fail_msg("'%s' should be dangerous", bad[i]);
  const char *ok[] = { "/srv", "/srv/proc", "/procfs", "/system", "/devel", "/home/dev",
                       "/opt/sys" };
  for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
    if (uj_path_is_dangerous(ok[i]))
      fail_msg("'%s' should not be dangerous", ok[i]);
}

static void test_username(void **state)
{
  (void) state;
  const char *good[] = { "alice", "a", "Bob", "user_1", "a.b", "a-b", "_svc", "0day",
                         "abcdefghijklmnopqrstuvwxyz012345" /* 32 */,
                         "abcdefghijklmnopqrstuvwxyz0123456" /* 33: NSS allows long names */,
                         "alice@corp.example", "CORP\\alice", "a b", "\xc3\xa9", ".a", "a$" };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!uj_valid_username(good[i]))
      fail_msg("'%s' should be a valid user name", good[i]);
  char long_name[258];
  memset(long_name, 'a', 257);
  long_name[257] = '\0';
  const char *bad[] = { "", "-a", "a/b", "ali\nce", "a\tb", "a\x1b[31m", "a\x7f", long_name };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (uj_valid_username(bad[i]))
      fail_msg("'%s' should not be a valid user name", bad[i]);
  long_name[256] = '\0';
  assert_true(uj_valid_username(long_name)); /* 256 */
  assert_false(uj_valid_username(NULL));
}

static void test_env_line(void **state)
{
  char k[64], v[128];
  (void) state;
  assert_int_equal(uj_parse_env_line("LANG=en_US.UTF-8\n", k, sizeof k, v, sizeof v), 1);
  assert_string_equal(k, "LANG");
  assert_string_equal(v, "en_US.UTF-8");
  assert_int_equal(uj_parse_env_line("export LC_ALL=\"C.UTF-8\"", k, sizeof k, v, sizeof v), 1);
  assert_string_equal(k, "LC_ALL");
  assert_string_equal(v, "C.UTF-8");
  assert_int_equal(uj_parse_env_line("  EDITOR='vim -u NONE'  ", k, sizeof k, v, sizeof v), 1);
  assert_string_equal(k, "EDITOR");
  assert_string_equal(v, "vim -u NONE");
  assert_int_equal(uj_parse_env_line("EMPTY=", k, sizeof k, v, sizeof v), 1);
  assert_string_equal(v, "");
  assert_int_equal(uj_parse_env_line("# LANG=C", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("no equals sign", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("1BAD=x", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("BAD-KEY=x", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("=x", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("CTL=a\x01b", k, sizeof k, v, sizeof v), 0);
  assert_int_equal(uj_parse_env_line("LONG=0123456789", k, sizeof k, v, 8), 0);
}

static void test_uid_range(void **state)
{
  uid_t lo = 1, hi = 1;
  (void) state;

  assert_int_equal(uj_parse_uid_range("1000-1999", &lo, &hi), 0);
  assert_int_equal(lo, 1000);
  assert_int_equal(hi, 1999);
  assert_int_equal(uj_parse_uid_range("0-0", &lo, &hi), 0);
  assert_int_equal(lo, 0);
  assert_int_equal(hi, 0);
  assert_int_equal(uj_parse_uid_range("5-5", &lo, &hi), 0);
  assert_int_equal(uj_parse_uid_range("0-4294967294", &lo, &hi), 0);
  assert_int_equal(hi, 4294967294u);

  const char *bad[] = { "", "-", "1000", "1000-", "-1999", "x-y", "1-y", "2000-1000", "1--2",
                        "1-2-3", " 1-2", "1-2 ", "+1-2", "0x10-0x20", "1.0-2",
                        "0-4294967295" /* (uid_t)-1 */, "0-4294967296", "0-99999999999999999999" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    lo = hi = 77;
    if (uj_parse_uid_range(bad[i], &lo, &hi) != -1)
      fail_msg("uid range '%s' should be rejected", bad[i]);
    assert_int_equal(lo, 77);
    assert_int_equal(hi, 77);
  }
  assert_int_equal(uj_parse_uid_range(NULL, &lo, &hi), -1);
}

static void test_mountinfo_autofs(void **state)
{
  (void) state;
  /* shapes from a systemd host with autofs indirect (/home), direct
   * (/srv/proj) and nested (/data/u/x) maps */
  const char *mi =
      "22 1 254:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n"
      "40 22 0:37 / /home rw,relatime shared:20 - autofs /etc/auto.home rw,fd=7\n"
      "41 40 0:38 / /home/alice rw,relatime shared:21 - nfs4 srv:/home/alice rw\n"
      "50 22 0:39 / /srv/proj rw shared:30 - autofs /etc/auto.direct rw\n"
      "60 22 0:40 / /data rw shared:31 - nfs4 srv:/data rw\n"
      "61 60 0:41 / /data/u/x rw shared:32 - autofs /etc/auto.x rw\n"
      "70 22 0:42 / /with\\040space rw - autofs map rw\n"
      "80 22 0:43 / /notautofs rw - tmpfs autofs rw";
  assert_true(uj_mountinfo_autofs_near(mi, "/home/alice"));     /* parent is autofs */
  assert_true(uj_mountinfo_autofs_near(mi, "/home"));
  assert_true(uj_mountinfo_autofs_near(mi, "/srv/proj"));       /* the home itself */
  assert_true(uj_mountinfo_autofs_near(mi, "/data/u"));         /* autofs beneath it */
  assert_true(uj_mountinfo_autofs_near(mi, "/with space/bob"));
  assert_false(uj_mountinfo_autofs_near(mi, "/srv/project"));   /* a prefix, not a parent */
  assert_false(uj_mountinfo_autofs_near(mi, "/data/v"));
  assert_false(uj_mountinfo_autofs_near(mi, "/homes/alice"));
  assert_false(uj_mountinfo_autofs_near(mi, "/notautofs/x"));   /* fstype, not source */
  assert_false(uj_mountinfo_autofs_near("", "/home/alice"));
  assert_false(uj_mountinfo_autofs_near("22 1 254:1 / / rw - ext4 /dev/vda rw\n", "/home/a"));
  /* a truncated last line is not an autofs mount */
  assert_false(uj_mountinfo_autofs_near("40 22 0:37 / /home rw,relatime", "/home/a"));
}

static void test_size_suggest(void **state)
{
  char out[32];
  static const struct {
    const char *in, *want;
  } good[] = {
    { "1.5G", "1536M" }, { "1,5G", "1536M" }, { "0.5M", "512K" }, { "2.25G", "2304M" },
    { "1.0G", "1G" },    { "0.5k", "512" },   { "1.5GiB", "1536M" }, { "1.5TB", "1536G" },
  };
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
    memset(out, 0, sizeof out);
    assert_int_equal(uj_size_suggest(good[i].in, out, sizeof out), 0);
    assert_string_equal(out, good[i].want);
  }
  /* not a fractional size, or not whole bytes */
  const char *bad[] = { "1G", "lots", "1.5", ".5G", "1.5X", "0.0G", "0.3K", "1.5G ", "", "1.1234567G" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    if (uj_size_suggest(bad[i], out, sizeof out) != -1)
      fail_msg("'%s' should give no suggestion, gave %s", bad[i], out);
  assert_int_equal(uj_size_suggest(NULL, out, sizeof out), -1);
}

static void test_near_miss(void **state)
{
  const char *keys[] = { "hostname", "tmp_size", "limits", "network", "exempt", "rules" };
  const char *vals[] = { "kill", "linger" };
  assert_string_equal(uj_near_miss("netwrok", keys, 6), "network");  /* swap */
  assert_string_equal(uj_near_miss("tmp_sise", keys, 6), "tmp_size"); /* one change */
  assert_string_equal(uj_near_miss("exmpt", keys, 6), "exempt");      /* one missing */
  assert_string_equal(uj_near_miss("Limits", keys, 6), "limits");     /* case */
  assert_string_equal(uj_near_miss("lingr", vals, 2), "linger");
  assert_null(uj_near_miss("network", keys, 6)); /* exact: nothing to suggest */
  assert_null(uj_near_miss("frobnicate", keys, 6));
  assert_null(uj_near_miss("kl", vals, 2));      /* short words: one edit at most */
  assert_null(uj_near_miss(NULL, keys, 6));
}

static void test_text_hash(void **state)
{
  /* FNV-1a 64 reference values */
  assert_true(uj_text_hash("", 0) == 0xcbf29ce484222325ull);
  assert_true(uj_text_hash("a", 1) == 0xaf63dc4c8601ec8cull);
  assert_true(uj_text_hash("foobar", 6) == 0x85944171f73967e8ull);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_size_suffixes), cmocka_unit_test(test_size_limits),
    cmocka_unit_test(test_size_junk),     cmocka_unit_test(test_expand),
    cmocka_unit_test(test_expand_errors), cmocka_unit_test(test_hostname),
    cmocka_unit_test(test_path_clean),    cmocka_unit_test(test_path_dangerous),
    cmocka_unit_test(test_username),      cmocka_unit_test(test_uid_range),
    cmocka_unit_test(test_mountinfo_autofs),
    cmocka_unit_test(test_size_suggest),  cmocka_unit_test(test_near_miss),
    cmocka_unit_test(test_text_hash),
    cmocka_unit_test(test_env_line),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
