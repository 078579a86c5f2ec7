/* Unit tests for helper/safefs.c: resolution beneath a directory fd never
 * follows a symlink (last component or any parent), never escapes with
 * "..", and mount points are created without touching existing files. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fs/safefs.h"

struct fx {
  char dir[64];
  int root;
};

static void at(struct fx *f, char *buf, size_t len, const char *rel)
{
  snprintf(buf, len, "%s/%s", f->dir, rel);
}

/* The tree every test starts from:
 *   a/b/file            a regular file with "data"
 *   a/link    -> /etc   absolute symlink out of the tree
 *   a/uplink  -> ..     relative symlink
 *   a/lfile   -> b/file symlink to a file inside the tree
 *   dlink     -> a      symlinked parent directory */
static int setup(void **state)
{
  struct fx *f = calloc(1, sizeof *f);
  char p[128];
  int fd;

  strcpy(f->dir, "/tmp/uj-test-safefs.XXXXXX");
  assert_non_null(mkdtemp(f->dir));
  at(f, p, sizeof p, "a");
  assert_int_equal(mkdir(p, 0755), 0);
  at(f, p, sizeof p, "a/b");
  assert_int_equal(mkdir(p, 0755), 0);
  at(f, p, sizeof p, "a/b/file");
  fd = open(p, O_WRONLY | O_CREAT, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "data", 4), 4);
  close(fd);
  at(f, p, sizeof p, "a/link");
  assert_int_equal(symlink("/etc", p), 0);
  at(f, p, sizeof p, "a/uplink");
  assert_int_equal(symlink("..", p), 0);
  at(f, p, sizeof p, "a/lfile");
  assert_int_equal(symlink("b/file", p), 0);
  at(f, p, sizeof p, "dlink");
  assert_int_equal(symlink("a", p), 0);
  f->root = open(f->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true(f->root >= 0);
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fx *f = *state;
  char cmd[128];
  close(f->root);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal(system(cmd), 0);
  free(f);
  return 0;
}

static void test_open_plain(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  char buf[8] = "";
  int fd = uj_open_beneath(f->root, "/a/b/file", O_RDONLY, &err);

  assert_true(fd >= 0);
  assert_int_equal(read(fd, buf, 4), 4);
  assert_string_equal(buf, "data");
  close(fd);
  fd = uj_open_beneath(f->root, "/", O_PATH | O_DIRECTORY, &err);
  assert_true(fd >= 0); /* "/" is the directory itself */
  close(fd);
}

static void refuses(struct fx *f, const char *path, int flags, int code)
{
  struct uj_err err;
  int fd;

  uj_err_clear(&err);
  fd = uj_open_beneath(f->root, path, flags, &err);
  if (fd >= 0) {
    close(fd);
    fail_msg("%s was opened", path);
  }
  assert_int_equal(err.code, code);
  assert_non_null(strstr(err.msg, path)); /* the message names the path */
}

static void test_open_refuses_symlinks(void **state)
{
  struct fx *f = *state;

  refuses(f, "/a/link", O_PATH, ELOOP);           /* last component */
  refuses(f, "/a/link/passwd", O_RDONLY, ELOOP);  /* a parent */
  refuses(f, "/dlink/b/file", O_RDONLY, ELOOP);   /* first component */
  refuses(f, "/a/lfile", O_RDONLY, ELOOP);        /* even to a file inside */
  refuses(f, "/a/uplink/a", O_PATH, ELOOP);
  refuses(f, "/a/../../etc/passwd", O_RDONLY, EXDEV); /* ".." out of the root */
  refuses(f, "/a/missing", O_PATH, ENOENT);
}

static void test_mkdir_beneath(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  struct stat st;
  char p[128];
  int fd = uj_mkdir_beneath(f->root, "/x/y/z", 0750, &err);

  assert_true(fd >= 0);
  close(fd);
  at(f, p, sizeof p, "x/y/z");
  assert_int_equal(stat(p, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  /* existing directories are fine */
  fd = uj_mkdir_beneath(f->root, "/a/b", 0755, &err);
  assert_true(fd >= 0);
  close(fd);
  /* through a symlink: refused, and nothing created at the target */
  assert_int_equal(uj_mkdir_beneath(f->root, "/a/link/ujtest", 0755, &err), -1);
  assert_int_equal(err.code, ELOOP);
  assert_int_equal(access("/etc/ujtest", F_OK), -1);
  assert_int_equal(uj_mkdir_beneath(f->root, "/dlink/new", 0755, &err), -1);
  at(f, p, sizeof p, "a/new");
  assert_int_equal(access(p, F_OK), -1);
  assert_int_equal(uj_mkdir_beneath(f->root, "/a/../x", 0755, &err), -1);
  assert_int_equal(err.code, EINVAL);
  /* "." too, though it resolves to an existing directory */
  assert_int_equal(uj_mkdir_beneath(f->root, "/a/./b", 0755, &err), -1);
  assert_int_equal(err.code, EINVAL);
  /* only the last component missing (the short way): made, with its mode */
  fd = uj_mkdir_beneath(f->root, "/a/b/last", 0750, &err);
  assert_true(fd >= 0);
  close(fd);
  at(f, p, sizeof p, "a/b/last");
  assert_int_equal(stat(p, &st), 0);
  assert_true(S_ISDIR(st.st_mode));
  assert_int_equal(st.st_mode & 0777, 0750);
  /* a single component, at the top */
  fd = uj_mkdir_beneath(f->root, "/top", 0755, &err);
  assert_true(fd >= 0);
  close(fd);
  /* the last component missing under a symlinked parent: refused */
  assert_int_equal(uj_mkdir_beneath(f->root, "/a/link/ujtest2", 0755, &err), -1);
  assert_int_equal(err.code, ELOOP);
  assert_int_equal(access("/etc/ujtest2", F_OK), -1);
  /* a file where a directory is wanted */
  assert_int_equal(uj_mkdir_beneath(f->root, "/a/b/file", 0755, &err), -1);
  assert_int_equal(err.code, ENOTDIR);
}

static void test_mkfile_beneath(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  struct stat before, after;
  char p[128];
  int fd;

  /* a new file is created empty */
  fd = uj_mkfile_beneath(f->root, "/m/point", 0644, &err);
  assert_true(fd >= 0);
  close(fd);
  at(f, p, sizeof p, "m/point");
  assert_int_equal(stat(p, &after), 0);
  assert_true(S_ISREG(after.st_mode));
  assert_int_equal(after.st_size, 0);
  /* an existing file is used as it is: not opened for writing (which on an
   * overlay would copy it up), not truncated */
  at(f, p, sizeof p, "a/b/file");
  assert_int_equal(stat(p, &before), 0);
  sleep(1);
  fd = uj_mkfile_beneath(f->root, "/a/b/file", 0644, &err);
  assert_true(fd >= 0);
  close(fd);
  assert_int_equal(stat(p, &after), 0);
  assert_int_equal(after.st_size, 4);
  assert_int_equal(after.st_mtime, before.st_mtime);
  assert_int_equal(after.st_ctime, before.st_ctime);
  /* a symlink as the mount point is refused, the target untouched */
  assert_int_equal(uj_mkfile_beneath(f->root, "/a/lfile", 0644, &err), -1);
  assert_int_equal(err.code, ELOOP);
  /* a new file beside an existing one (the short way) */
  fd = uj_mkfile_beneath(f->root, "/a/b/second", 0600, &err);
  assert_true(fd >= 0);
  close(fd);
  at(f, p, sizeof p, "a/b/second");
  assert_int_equal(stat(p, &after), 0);
  assert_true(S_ISREG(after.st_mode));
  assert_int_equal(after.st_mode & 0777, 0600);
  /* under a symlinked parent: refused, nothing made at its target */
  assert_int_equal(uj_mkfile_beneath(f->root, "/a/link/ujtest3", 0644, &err), -1);
  assert_int_equal(err.code, ELOOP);
  assert_int_equal(access("/etc/ujtest3", F_OK), -1);
}

static void test_write_file_beneath(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  char p[128], buf[32] = "";
  int fd;

  assert_int_equal(uj_write_file_beneath(f->root, "/w/hostname", "jail-x\n", 0644, &err), 0);
  at(f, p, sizeof p, "w/hostname");
  fd = open(p, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(read(fd, buf, sizeof buf - 1), 7);
  close(fd);
  assert_string_equal(buf, "jail-x\n");
  /* never through a symlink */
  assert_int_equal(uj_write_file_beneath(f->root, "/a/lfile", "x", 0644, &err), -1);
  at(f, p, sizeof p, "a/b/file");
  fd = open(p, O_RDONLY);
  memset(buf, 0, sizeof buf);
  assert_int_equal(read(fd, buf, sizeof buf - 1), 4);
  close(fd);
  assert_string_equal(buf, "data");
}

/* A whole file replaced in one rename, private, no temporary left; read
 * back exactly, and a file shorter than asked is an error. */
static void test_replace_file(void **state)
{
  struct fx *f = *state;
  struct uj_err err;
  struct stat st;
  char p[128], buf[16];
  int fd;

  at(f, p, sizeof p, "replaced");
  assert_int_equal(uj_replace_file(f->dir, p, "first version", 13, &err), 0);
  assert_int_equal(uj_replace_file(f->dir, p, "second", 6, &err), 0);
  assert_int_equal(stat(p, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  assert_int_equal(st.st_size, 6);
  fd = open(p, O_RDONLY);
  assert_true(fd >= 0);
  assert_int_equal(uj_read_exact(fd, buf, 6), 0);
  assert_memory_equal(buf, "second", 6);
  assert_int_equal(uj_read_exact(fd, buf, 1), -1); /* at its end */
  close(fd);
  DIR *d = opendir(f->dir);
  struct dirent *e;
  assert_non_null(d);
  while ((e = readdir(d)))
    assert_null(strstr(e->d_name, ".tmp."));
  closedir(d);
  /* a directory that cannot take it: the error names the file */
  assert_int_equal(uj_replace_file("/nonexistent-uj", "/nonexistent-uj/x", "x", 1, &err), -1);
  assert_non_null(strstr(err.msg, "/nonexistent-uj"));
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_open_plain, setup, teardown),
    cmocka_unit_test_setup_teardown(test_open_refuses_symlinks, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mkdir_beneath, setup, teardown),
    cmocka_unit_test_setup_teardown(test_mkfile_beneath, setup, teardown),
    cmocka_unit_test_setup_teardown(test_write_file_beneath, setup, teardown),
    cmocka_unit_test_setup_teardown(test_replace_file, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
