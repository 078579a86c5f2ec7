/* Unit tests for helper/config/lastgood.c: the last valid copy of a config
 * is kept when a load validates, used when the file turns invalid, and
 * absent copies keep the old fail-closed result. Runs as root (the copy
 * and the file must be root's); each test uses its own temp store. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

static char dir[64], store[96], conf[96];

static int setup(void **state)
{
  snprintf(dir, sizeof dir, "/tmp/uj-test-lastgood.XXXXXX");
  if (!mkdtemp(dir))
    return -1;
  snprintf(store, sizeof store, "%s/run", dir);
  snprintf(conf, sizeof conf, "%s/userjail.conf", dir);
  return 0;
}

static int teardown(void **state)
{
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
  return system(cmd) == 0 ? 0 : -1;
}

static void write_conf(const char *text)
{
  char tmp[128];
  snprintf(tmp, sizeof tmp, "%s.new", conf);
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  close(fd);
  assert_int_equal(rename(tmp, conf), 0);
}

static const char *GOOD = "rules = ( { match = [ \"@jailed\" ]; limits = { pids = 64; }; } );\n";
static const char *BROKEN = "rules = ( { match = [ \"@jailed\" ]; limits = { pids = 64 };\n";

static int load(bool login, struct uj_config **c, struct uj_diags *d, struct uj_config_source *src)
{
  struct uj_err e;
  return uj_config_load_or_last_good(conf, store, login, NULL, c, d, src, &e);
}

static void test_copy_path(void **state)
{
  char a[256], b[256];
  uj_config_last_good_path("/run/userjail", UJ_DEFAULT_CONFIG, a, sizeof a);
  assert_string_equal(a, "/run/userjail/last-good.conf");
  uj_config_last_good_path("/run/userjail", "/tmp/a.conf", a, sizeof a);
  uj_config_last_good_path("/run/userjail", "/tmp/b.conf", b, sizeof b);
  assert_true(strncmp(a, "/run/userjail/last-good-", 24) == 0);
  assert_string_not_equal(a, b); /* configs never share a copy */
}

static void test_fallback(void **state)
{
  struct uj_config *c = NULL;
  struct uj_diags d = { 0 };
  struct uj_config_source src;
  char copy[256];
  struct stat st;
  uint64_t good_hash;

  uj_config_last_good_path(store, conf, copy, sizeof copy);

  /* no copy yet and a broken file: fail closed */
  write_conf(BROKEN);
  assert_int_equal(load(true, &c, &d, &src), -1);
  assert_null(c);
  assert_false(src.fallback);
  assert_true(d.n > 0);
  assert_int_equal(lstat(copy, &st), -1); /* an invalid file is never kept */
  uj_diags_free(&d);

  /* a valid load keeps a copy: root's, 0600, in a 0700 store */
  write_conf(GOOD);
  assert_int_equal(load(true, &c, &d, &src), 0);
  assert_false(src.fallback);
  good_hash = c->hash;
  uj_config_free(c);
  assert_int_equal(lstat(copy, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  assert_int_equal(st.st_uid, 0);
  assert_int_equal(st.st_size, (off_t) strlen(GOOD));
  assert_int_equal(lstat(store, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0700);

  /* the file breaks: the copy is used, the file's problems are reported */
  write_conf(BROKEN);
  assert_int_equal(load(true, &c, &d, &src), 0);
  assert_true(src.fallback);
  assert_string_equal(src.copy, copy);
  assert_true(d.n > 0);
  assert_true(strncmp(d.items[0], conf, strlen(conf)) == 0); /* FILE:LINE of the file */
  assert_int_equal(c->hash, good_hash);
  assert_int_equal(c->n_rules, 1);
  assert_int_equal(c->rules[0].s.pids_max, 64); /* the old rules apply */
  uj_config_free(c);
  uj_diags_free(&d);
  assert_int_equal(lstat(copy, &st), 0);
  assert_int_equal(st.st_size, (off_t) strlen(GOOD)); /* not overwritten */

  /* a missing file falls back too */
  assert_int_equal(unlink(conf), 0);
  assert_int_equal(load(true, &c, &d, &src), 0);
  assert_true(src.fallback);
  uj_config_free(c);
  uj_diags_free(&d);

  /* a copy that others could have written is not used */
  assert_int_equal(chmod(copy, 0622), 0);
  assert_int_equal(load(true, &c, &d, &src), -1);
  assert_null(c);
  uj_diags_free(&d);
  assert_int_equal(chmod(copy, 0600), 0);
}

static void test_no_save_outside_logins(void **state)
{
  struct uj_config *c = NULL;
  struct uj_diags d = { 0 };
  struct uj_config_source src;
  char copy[256];
  struct stat st;

  uj_config_last_good_path(store, conf, copy, sizeof copy);
  unlink(copy);
  write_conf(GOOD);
  assert_false(uj_config_has_last_good(store, conf));
  assert_int_equal(load(false, &c, &d, &src), 0); /* list/status: look only */
  uj_config_free(c);
  assert_int_equal(lstat(copy, &st), -1);
  assert_int_equal(uj_config_save_last_good(store, conf, GOOD, strlen(GOOD), &(struct uj_err){ 0 }),
                   0);
  assert_true(uj_config_has_last_good(store, conf));
}

/* A config parsed ahead (a standby's worker) stands in for the parse only
 * while the file holds the very text it was parsed from. */
static void test_ahead(void **state)
{
  static const char *OTHER =
      "rules = ( { match = [ \"@jailed\" ]; limits = { pids = 99; }; } );\n";
  struct uj_config_ahead a;
  struct uj_config *c = NULL;
  struct uj_diags d = { 0 };
  struct uj_config_source src;
  struct uj_err e;
  struct uj_config *parsed;

  write_conf(GOOD);
  assert_int_equal(uj_config_ahead_prepare(&a, conf), 0);
  parsed = a.cfg;
  assert_non_null(parsed);
  /* the same text: the parsed config is taken, and only once */
  assert_int_equal(uj_config_load_or_last_good(conf, store, true, &a, &c, &d, &src, &e), 0);
  assert_ptr_equal(c, parsed);
  assert_null(a.cfg);
  assert_int_equal(c->rules[0].s.pids_max, 64);
  uj_config_free(c);
  uj_config_ahead_free(&a);

  /* changed after the parse: the file's text counts */
  assert_int_equal(uj_config_ahead_prepare(&a, conf), 0);
  write_conf(OTHER);
  assert_int_equal(uj_config_load_or_last_good(conf, store, true, &a, &c, &d, &src, &e), 0);
  assert_int_equal(c->rules[0].s.pids_max, 99);
  assert_non_null(a.cfg); /* not taken */
  uj_config_free(c);

  /* another path with the same text is parsed on its own */
  char other[128];
  snprintf(other, sizeof other, "%s/other.conf", dir);
  uj_config_ahead_free(&a);
  write_conf(GOOD);
  assert_int_equal(uj_config_ahead_prepare(&a, conf), 0);
  assert_int_equal(rename(conf, other), 0);
  assert_int_equal(uj_config_load_or_last_good(other, store, false, &a, &c, &d, &src, &e), 0);
  assert_true(c != a.cfg);
  assert_non_null(a.cfg);
  assert_int_equal(c->rules[0].s.pids_max, 64);
  uj_config_free(c);
  uj_config_ahead_free(&a);
  write_conf(GOOD);

  /* the file's checks still apply: writable by others is refused even
   * though its text was parsed ahead while it was not */
  assert_int_equal(uj_config_ahead_prepare(&a, conf), 0);
  assert_int_equal(chmod(conf, 0666), 0);
  assert_int_equal(uj_config_load_or_last_good(conf, store, false, &a, &c, &d, &src, &e), 0);
  assert_true(src.fallback); /* the last valid copy, not the ahead parse */
  uj_config_free(c);
  uj_diags_free(&d);
  uj_config_ahead_free(&a);

  /* an unusable file is not kept ahead */
  write_conf(BROKEN);
  assert_int_equal(uj_config_ahead_prepare(&a, conf), -1);
  assert_null(a.cfg);
  assert_null(a.text);
}

static void test_store_must_be_private(void **state)
{
  struct uj_err e;
  char other[128];

  snprintf(other, sizeof other, "%s/open", dir);
  assert_int_equal(mkdir(other, 0755), 0);
  assert_int_equal(uj_config_save_last_good(other, conf, GOOD, strlen(GOOD), &e), -1);
  assert_non_null(strstr(e.msg, "mode 0700"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_copy_path),
    cmocka_unit_test_setup_teardown(test_fallback, setup, teardown),
    cmocka_unit_test_setup_teardown(test_no_save_outside_logins, setup, teardown),
    cmocka_unit_test_setup_teardown(test_store_must_be_private, setup, teardown),
    cmocka_unit_test_setup_teardown(test_ahead, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
