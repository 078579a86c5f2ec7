/* Unit tests for helper/fs/asuser.c: a path opened "as the user" is opened
 * with the user's permissions (root's DAC override is gone while it runs),
 * the user's supplementary groups count, symlinks are still refused, and
 * root's filesystem identity and groups are back afterwards. Needs root
 * (the tests skip otherwise). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/asuser.h"

#define UID 64123
#define GID 64123
#define GROUP 64200 /* a supplementary group of the "user" */

struct fx {
  char dir[64];
  int root;
};

static void mk(struct fx *f, const char *rel, mode_t mode, uid_t uid, gid_t gid)
{
  char p[128];
  snprintf(p, sizeof p, "%s/%s", f->dir, rel);
  assert_int_equal(mkdir(p, mode), 0);
  assert_int_equal(chown(p, uid, gid), 0);
  assert_int_equal(chmod(p, mode), 0);
}

/*   mine/        0700 UID      the user's home
 *   mine/deep/   0700 UID
 *   theirs/      0700 root     not the user's
 *   team/        0070 root:GROUP  reachable through a supplementary group
 *   mine/ln -> deep   a symlink the user planted */
static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof *f);
  char p[128];

  if (geteuid() != 0) {
    free(f);
    *state = NULL;
    return 0;
  }
  strcpy(f->dir, "/tmp/uj-test-asuser.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  assert_int_equal(chmod(f->dir, 0755), 0);
  mk(f, "mine", 0700, UID, GID);
  mk(f, "mine/deep", 0700, UID, GID);
  mk(f, "theirs", 0700, 0, 0);
  mk(f, "team", 0070, 0, GROUP);
  snprintf(p, sizeof p, "%s/mine/ln", f->dir);
  assert_int_equal(symlink("deep", p), 0);
  f->root = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true(f->root >= 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  char cmd[128];
  if (!f)
    return 0;
  close(f->root);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  if (system(cmd) != 0)
    return -1;
  free(f);
  return 0;
}

static const gid_t user_groups[] = { GID, GROUP };
static const struct uj_fsid user = { .uid = UID, .gid = GID, .groups = user_groups,
                                     .n_groups = 2 };

static void assert_root_again(void)
{
  assert_int_equal(setfsuid((uid_t) -1), 0);
  assert_int_equal(setfsgid((gid_t) -1), 0);
  /* root can open a directory nobody else may enter */
  assert_true(access("/root", X_OK) == 0 || errno == ENOENT);
}

static void test_opens_with_user_permissions(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  int fd, ngroups_before = getgroups(0, NULL);

  if (!f)
    skip();
  /* deep is beneath a 0700 dir of the user: the user walks through it */
  fd = uj_open_as(&user, f->root, "mine/deep", O_PATH | O_DIRECTORY, &err);
  assert_true(fd >= 0);
  close(fd);
  assert_root_again();
  /* theirs is root's 0700: root could walk in, the user cannot */
  fd = uj_open_as(&user, f->root, "theirs/.", O_RDONLY | O_DIRECTORY, &err);
  assert_int_equal(fd, -1);
  assert_int_equal(err.code, EACCES);
  assert_root_again();
  /* team is open to a supplementary group of the user only */
  fd = uj_open_as(&user, f->root, "team/.", O_RDONLY | O_DIRECTORY, &err);
  assert_true(fd >= 0);
  close(fd);
  assert_root_again();
  assert_int_equal(getgroups(0, NULL), ngroups_before);
}

static void test_without_the_group(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  const struct uj_fsid lone = { .uid = UID, .gid = GID, .groups = user_groups, .n_groups = 1 };
  int fd;

  if (!f)
    skip();
  fd = uj_open_as(&lone, f->root, "team/.", O_RDONLY | O_DIRECTORY, &err);
  assert_int_equal(fd, -1);
  assert_int_equal(err.code, EACCES);
  assert_root_again();
}

static void test_symlink_refused(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  int fd;

  if (!f)
    skip();
  fd = uj_open_as(&user, f->root, "mine/ln", O_PATH | O_DIRECTORY, &err);
  assert_int_equal(fd, -1);
  assert_int_equal(err.code, ELOOP);
  assert_root_again();
  fd = uj_open_as(&user, f->root, "mine/missing", O_PATH | O_DIRECTORY, &err);
  assert_int_equal(fd, -1);
  assert_int_equal(err.code, ENOENT);
  assert_root_again();
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_opens_with_user_permissions, setup, teardown),
    cmocka_unit_test_setup_teardown(test_without_the_group, setup, teardown),
    cmocka_unit_test_setup_teardown(test_symlink_refused, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
