/* Unit tests for helper/config/load.c: the file checks of
 * uj_config_load (owner, mode, symlinks, @include refused; run as root: the
 * tests chown and chmod their own temporary files) and the shipped
 * conf/userjail.conf. */
#include "tests/unit/config/config_test.h"

static char tmpdir[64]; /* short, so paths built from it always fit */

static void write_file(const char *path, const char *text, mode_t mode, uid_t uid)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  assert_int_equal(fchown(fd, uid, 0), 0);
  assert_int_equal(fchmod(fd, mode), 0);
  close(fd);
}

static int make_tmpdir(void **state)
{
  (void) state;
  snprintf(tmpdir, sizeof tmpdir, "/tmp/uj-test-config.XXXXXX");
  return mkdtemp(tmpdir) ? 0 : -1;
}

static int remove_tmpdir(void **state)
{
  char cmd[PATH_MAX + 16];
  (void) state;
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
  return system(cmd) == 0 ? 0 : -1;
}

static void test_include_refused(void **state)
{
  char inc[128], text[1024];
  (void) state;

  /* the included file is valid and would be read by libconfig if allowed */
  snprintf(inc, sizeof inc, "%s/inc.conf", tmpdir);
  write_file(inc, "hostname = \"included\";\n", 0644, 0);
  snprintf(text, sizeof text,
           "tmp_size = \"1M\";\n"
           "@include \"%s\"\n"
           "  \t@include \"%s\"\n"
           "/* in a comment, still refused (conservative) */\n"
           "/*\n"
           "@include \"%s\"\n"
           "*/\n",
           inc, inc, inc);
  struct uj_diags d = parse_bad(text);
  assert_int_equal(d.n, 3);
  assert_string_equal(d.items[0],
                      P ":2: @include is not allowed (included files would escape the ownership check)");
  assert_string_equal(d.items[1],
                      P ":3: @include is not allowed (included files would escape the ownership check)");
  assert_string_equal(d.items[2],
                      P ":6: @include is not allowed (included files would escape the ownership check)");
  uj_diags_free(&d);

  /* include plus other errors: all reported, later line numbers unchanged */
  snprintf(text, sizeof text, "@include \"%s\"\nnetwork = \"x\";\n", inc);
  d = parse_bad(text);
  assert_int_equal(d.n, 2);
  assert_string_equal(d.items[1], P ":2: bad value 'x' for network (allowed: host, none, private)");
  uj_diags_free(&d);

  /* "@include" inside a string value is just text */
  struct uj_config *c = parse_ok("rules = ( { match = [\n \"@include\" ]; } );\n");
  assert_string_equal(c->rules[0].match[0], "@include");
  uj_config_free(c);
}

/* ---- uj_config_load --------------------------------------------------------- */

static int load(const char *path, struct uj_diags *d, struct uj_err *e, struct uj_config **c)
{
  *c = NULL;
  memset(d, 0, sizeof *d);
  return uj_config_load(path, c, d, e);
}

static void test_load_checks(void **state)
{
  char path[PATH_MAX], want[PATH_MAX + 128], link[PATH_MAX];
  struct uj_config *c;
  struct uj_diags d;
  struct uj_err e;
  (void) state;

  assert_int_equal(geteuid(), 0); /* the ownership checks need root */
  snprintf(path, sizeof path, "%s/userjail.conf", tmpdir);

  write_file(path, "hostname = \"ok\";\n", 0644, 0);
  assert_int_equal(load(path, &d, &e, &c), 0);
  assert_int_equal(d.n, 0);
  assert_string_equal(c->defaults.hostname, "ok");
  assert_string_equal(c->path, path);
  uj_config_free(c);
  uj_diags_free(&d);

  write_file(path, "hostname = \"ok\";\n", 0400, 0);
  assert_int_equal(load(path, &d, &e, &c), 0);
  uj_config_free(c);
  uj_diags_free(&d);

  /* a symlink is judged by the file it leads to */
  snprintf(link, sizeof link, "%s/link.conf", tmpdir);
  assert_int_equal(symlink(path, link), 0);
  assert_int_equal(load(link, &d, &e, &c), 0);
  uj_config_free(c);
  uj_diags_free(&d);

  write_file(path, "hostname = \"ok\";\n", 0664, 0);
  assert_int_equal(load(path, &d, &e, &c), -1);
  assert_null(c);
  snprintf(want, sizeof want, "%s: must not be writable by group or others", path);
  assert_string_equal(e.msg, want);
  assert_int_equal(d.n, 1);
  assert_string_equal(d.items[0], want);
  uj_diags_free(&d);

  write_file(path, "hostname = \"ok\";\n", 0646, 0);
  assert_int_equal(load(path, &d, &e, &c), -1);
  assert_string_equal(e.msg, want);
  uj_diags_free(&d);

  write_file(path, "hostname = \"ok\";\n", 0644, 1000);
  assert_int_equal(load(path, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s: must be owned by root", path);
  assert_string_equal(e.msg, want);
  uj_diags_free(&d);

  /* both problems at once: both reported, err has the first */
  write_file(path, "hostname = \"ok\";\n", 0666, 1000);
  assert_int_equal(load(path, &d, &e, &c), -1);
  assert_int_equal(d.n, 2);
  assert_string_equal(e.msg, want);
  snprintf(want, sizeof want, "%s: must not be writable by group or others", path);
  assert_string_equal(d.items[1], want);
  uj_diags_free(&d);

  /* a good file with bad content: the parser's messages, with this path */
  write_file(path, "\nnetwork = \"x\";\n", 0644, 0);
  assert_int_equal(load(path, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s:2: bad value 'x' for network (allowed: host, none, private)", path);
  assert_int_equal(d.n, 1);
  assert_string_equal(d.items[0], want);
  uj_diags_free(&d);

  /* NUL bytes would hide the rest of the file from libconfig */
  int fd = open(path, O_WRONLY | O_TRUNC);
  assert_int_equal(write(fd, "a = 1;\0b", 8), 8);
  close(fd);
  assert_int_equal(load(path, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s: contains a NUL byte (not a text file)", path);
  assert_string_equal(e.msg, want);
  uj_diags_free(&d);

  /* missing file */
  snprintf(path, sizeof path, "%s/missing.conf", tmpdir);
  assert_int_equal(load(path, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s: No such file or directory", path);
  assert_string_equal(e.msg, want);
  assert_int_equal(d.n, 1);
  assert_string_equal(d.items[0], want);
  uj_diags_free(&d);

  /* not a regular file: a directory, and a FIFO (must not block) */
  assert_int_equal(load(tmpdir, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s: not a regular file", tmpdir);
  assert_string_equal(e.msg, want);
  uj_diags_free(&d);
  snprintf(path, sizeof path, "%s/fifo", tmpdir);
  assert_int_equal(mkfifo(path, 0600), 0);
  assert_int_equal(load(path, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s: not a regular file", path);
  assert_string_equal(e.msg, want);
  uj_diags_free(&d);

  /* too large */
  snprintf(path, sizeof path, "%s/big.conf", tmpdir);
  fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_int_equal(ftruncate(fd, 2 * 1024 * 1024), 0);
  close(fd);
  assert_int_equal(load(path, &d, &e, &c), -1);
  snprintf(want, sizeof want, "%s: too large (over 1 MiB)", path);
  assert_string_equal(e.msg, want);
  uj_diags_free(&d);
}

/* ---- the shipped example ----------------------------------------------------- */

static char *read_shipped_conf(void)
{
  char exe[PATH_MAX], path[PATH_MAX + 32];
  const char *candidates[2] = { "conf/userjail.conf", NULL };
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);

  /* run from the repository root (make check-unit) or from anywhere via the
   * binary's location build/tests/test_config */
  if (n > 0) {
    exe[n] = '\0';
    snprintf(path, sizeof path, "%s/../../conf/userjail.conf", dirname(exe));
    candidates[1] = path;
  }
  for (size_t i = 0; i < 2; i++) {
    FILE *f = candidates[i] ? fopen(candidates[i], "re") : NULL;
    if (!f)
      continue;
    char *buf = calloc(1, 1 << 20);
    size_t len = fread(buf, 1, (1 << 20) - 1, f);
    fclose(f);
    buf[len] = '\0';
    return buf;
  }
  fail_msg("conf/userjail.conf not found");
  return NULL;
}

static void test_shipped_conf(void **state)
{
  (void) state;
  char *text = read_shipped_conf();
  struct uj_config *c = parse_ok(text);
  free(text);

  /* the built-in defaults, and exactly one rule: group jailed */
  const struct uj_settings *d = &c->defaults;
  assert_builtin_defaults(d);
  assert_int_equal(c->n_exempt, 0);
  assert_int_equal(c->n_rules, 1);

  const char *in[] = { "alice", "jailed" };
  const char *out[] = { "alice", "users", "sudo" };
  struct uj_user a = user("alice", 1000, in, 2);
  const struct uj_settings *s = uj_policy_for(c, &a);
  assert_non_null(s);
  assert_string_equal(s->hostname, "jail-%u");
  struct uj_user b = user("alice", 1000, out, 3);
  assert_null(uj_policy_for(c, &b));
  struct uj_user r = user("root", 0, in, 2);
  assert_null(uj_policy_for(c, &r));
  uj_config_free(c);
}


int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_include_refused),
    cmocka_unit_test(test_load_checks),
    cmocka_unit_test(test_shipped_conf),
  };
  return cmocka_run_group_tests(tests, make_tmpdir, remove_tmpdir);
}
