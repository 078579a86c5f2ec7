/* Unit tests for helper/image/imagecheck.c (run as root: chown/chmod of its
 * own temp tree). A Debian-like image passes; each way a host user could
 * change what jails run from is refused, naming the path. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image/image.h"

static char img[64];

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st, (void) type, (void) ftw;
  return remove(p);
}

static void mk(const char *rel, mode_t mode, bool dir, uid_t uid, gid_t gid)
{
  char p[256];
  snprintf(p, sizeof p, "%s/%s", img, rel);
  if (dir)
    assert_int_equal(mkdir(p, mode), 0);
  else
    assert_true(close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, mode)) == 0);
  assert_int_equal(chown(p, uid, gid), 0);
  assert_int_equal(chmod(p, mode), 0);
}

/* A small image shaped like debootstrap's, all of which must pass. */
static int setup(void **state)
{
  (void) state;
  snprintf(img, sizeof img, "/tmp/ujt-imgcheck.XXXXXX");
  if (!mkdtemp(img))
    return -1;
  chmod(img, 0755);
  return 0;
}

static int teardown(void **state)
{
  (void) state;
  return nftw(img, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void base_image(void)
{
  mk("etc", 0755, true, 0, 0);
  mk("etc/passwd", 0644, false, 0, 0);
  mk("etc/shadow", 0640, false, 0, 42);
  mk("usr", 0755, true, 0, 0);
  mk("usr/bin", 0755, true, 0, 0);
  mk("usr/bin/sh", 0755, false, 0, 0);
  mk("var", 0755, true, 0, 0);
  mk("var/mail", 02775, true, 0, 8);         /* root:mail 2775 */
  mk("var/local", 02775, true, 0, 50);       /* root:staff 2775 */
  mk("var/log", 0755, true, 0, 0);
  mk("var/log/wtmp", 0664, false, 0, 43);    /* root:utmp 0664 */
  mk("var/cache", 0755, true, 0, 0);
  mk("var/cache/man", 0755, true, 6, 12);    /* man:man */
  mk("var/tmp", 01777, true, 0, 0);
  mk("tmp", 01777, true, 0, 0);
  mk("home", 0755, true, 0, 0);
  mk("home/alice", 0777, true, 1000, 1000);  /* not walked: homes are bound over */
  char p[256];
  snprintf(p, sizeof p, "%s/bin", img);
  assert_int_equal(symlink("usr/bin", p), 0);
}

static int check(void)
{
  struct uj_err e = { 0 };
  int fd = open(img, O_PATH | O_DIRECTORY | O_CLOEXEC);
  int r = uj_image_check_tree(fd, &e);
  close(fd);
  if (r < 0)
    print_message("  refused: %s\n", e.msg);
  return r;
}

static void expect_refused(const char *rel, mode_t mode, bool dir, uid_t uid, gid_t gid,
                           const char *msg)
{
  struct uj_err e = { 0 };
  char p[256];
  int fd;

  mk(rel, mode, dir, uid, gid);
  fd = open(img, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal(uj_image_check_tree(fd, &e), -1);
  close(fd);
  assert_string_equal(e.msg, msg);
  snprintf(p, sizeof p, "%s/%s", img, rel);
  assert_int_equal(dir ? rmdir(p) : unlink(p), 0);
  assert_int_equal(check(), 0); /* back to a good image */
}

static void test_image_tree(void **state)
{
  (void) state;
  base_image();
  assert_int_equal(check(), 0);
  expect_refused("etc/cron.d", 0777, true, 0, 0, "/etc/cron.d is writable by others (mode 0777)");
  expect_refused("etc/profile", 0664, false, 0, 100, "/etc/profile is writable by group 100 (mode 0664)");
  expect_refused("usr/bin/ls", 0755, false, 1000, 0, "/usr/bin/ls is owned by uid 1000, not root");
  expect_refused("usr/lib", 0775, true, 0, 50, "/usr/lib is writable by group 50 (mode 0775)");
  expect_refused("var/spool", 0777, true, 0, 0, "/var/spool is writable by others (mode 0777)");
  expect_refused("var/log/x", 0666, false, 0, 0, "/var/log/x is writable by others (mode 0666)");
  expect_refused("opt", 0777, true, 0, 0, "/opt is writable by others (mode 0777)");
  expect_refused("opt", 0775, true, 0, 0, "/opt is writable by group 0 (mode 0775)");
  /* a sticky scratch directory the admin made (like /tmp) is accepted,
   * but not an other-writable file in it */
  mk("data", 01777, true, 0, 0);
  assert_int_equal(check(), 0);
  expect_refused("data/f", 0666, false, 1000, 1000, "/data/f is writable by others (mode 0666)");
  /* a sticky other-writable directory in a data tree is /tmp-like: allowed */
  mk("var/spool", 01777, true, 0, 0);
  assert_int_equal(check(), 0);
  /* a symlink's own mode means nothing, and it is never followed */
  char p[256];
  snprintf(p, sizeof p, "%s/etc/evil", img);
  assert_int_equal(symlink("/tmp", p), 0);
  assert_int_equal(check(), 0);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_image_tree, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
