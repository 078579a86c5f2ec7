/* Unit tests for helper/jail/seccomp_cache.c: a stored program is read back
 * only while everything it was built from is unchanged and the file is
 * whole and root's own; anything else is a miss (and the caller builds). */
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

#include "jail/seccomp.h"

struct fixture {
  char dir[64], lib[96], file[128];
  struct sock_filter prog[8];
};

static int setup(void **state)
{
  struct fixture *f = calloc(1, sizeof *f);
  if (!f)
    return -1;
  snprintf(f->dir, sizeof f->dir, "/tmp/ujt-cache-XXXXXX");
  if (!mkdtemp(f->dir) || chmod(f->dir, 0700) < 0)
    return -1;
  /* stands in for libseccomp.so.2: only its identity matters here */
  snprintf(f->lib, sizeof f->lib, "%s.lib", f->dir);
  int fd = open(f->lib, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || write(fd, "lib-v1", 6) != 6)
    return -1;
  close(fd);
  snprintf(f->file, sizeof f->file, "%s/seccomp-%016llx.bpf", f->dir, 0x1234ULL);
  for (int i = 0; i < 8; i++)
    f->prog[i] = (struct sock_filter) { .code = (uint16_t) (0x20 + i), .k = 1000u + (unsigned) i };
  *state = f;
  return 0;
}

static int teardown(void **state)
{
  struct fixture *f = *state;
  char cmd[200];
  snprintf(cmd, sizeof cmd, "rm -rf '%s' '%s'", f->dir, f->lib);
  if (system(cmd) != 0)
    return -1;
  free(f);
  return 0;
}

static int load(struct fixture *f, uint64_t key, struct sock_filter *out, uint32_t *n)
{
  memset(out, 0, 8 * sizeof *out);
  *n = 0;
  return uj_seccomp_cache_load(f->dir, key, out, 8, n);
}

static void test_roundtrip(void **state)
{
  struct fixture *f = *state;
  struct sock_filter out[8];
  struct stat st;
  uint32_t n;

  assert_int_equal(load(f, 0x1234, out, &n), -1); /* nothing stored yet */
  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(stat(f->file, &st), 0);
  assert_int_equal(st.st_mode & 07777, 0600);
  assert_int_equal(load(f, 0x1234, out, &n), 0);
  assert_int_equal(n, 8);
  assert_memory_equal(out, f->prog, sizeof f->prog);
  /* another key (other settings) does not get this program */
  assert_int_equal(load(f, 0x1235, out, &n), -1);
  /* a program longer than the caller's room is not read */
  assert_int_equal(uj_seccomp_cache_load(f->dir, 0x1234, out, 4, &n), -1);
}

static void test_library_changed(void **state)
{
  struct fixture *f = *state;
  struct sock_filter out[8];
  uint32_t n;

  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(load(f, 0x1234, out, &n), 0);
  /* an upgrade replaces the library file: another inode */
  char next[128];
  snprintf(next, sizeof next, "%s.new", f->lib);
  int fd = open(next, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "lib-v2", 6), 6);
  close(fd);
  assert_int_equal(rename(next, f->lib), 0);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
  /* gone altogether */
  unlink(f->lib);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
}

static void test_damaged_or_foreign(void **state)
{
  struct fixture *f = *state;
  struct sock_filter out[8];
  uint32_t n;
  struct stat st;

  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(stat(f->file, &st), 0);
  /* one byte changed in the program */
  int fd = open(f->file, O_RDWR);
  assert_true(fd >= 0);
  char c;
  off_t at = st.st_size - 8 - 3;
  assert_int_equal(pread(fd, &c, 1, at), 1);
  c ^= 0x40;
  assert_int_equal(pwrite(fd, &c, 1, at), 1);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
  /* cut short */
  c ^= 0x40;
  assert_int_equal(pwrite(fd, &c, 1, at), 1);
  assert_int_equal(load(f, 0x1234, out, &n), 0);
  assert_int_equal(ftruncate(fd, st.st_size - 1), 0);
  close(fd);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
  /* whole again, but readable by others: not trusted */
  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(chmod(f->file, 0644), 0);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
  /* whole again, but someone else's */
  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(load(f, 0x1234, out, &n), 0);
  assert_int_equal(chown(f->file, 65534, 65534), 0);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
  /* a symlink to a valid program is not followed */
  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  char moved[160];
  snprintf(moved, sizeof moved, "%s/elsewhere", f->dir);
  assert_int_equal(rename(f->file, moved), 0);
  assert_int_equal(symlink(moved, f->file), 0);
  assert_int_equal(load(f, 0x1234, out, &n), -1);
}

static void test_directory_not_private(void **state)
{
  struct fixture *f = *state;
  struct sock_filter out[8];
  uint32_t n;
  struct stat st;

  assert_int_equal(chmod(f->dir, 0755), 0);
  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(stat(f->file, &st), -1); /* nothing stored there */
  assert_int_equal(chmod(f->dir, 0700), 0);
  uj_seccomp_cache_store(f->dir, 0x1234, f->lib, f->prog, 8);
  assert_int_equal(chmod(f->dir, 0755), 0);
  assert_int_equal(load(f, 0x1234, out, &n), -1); /* nor read from there */
  assert_int_equal(uj_seccomp_cache_load(NULL, 0x1234, out, 8, &n), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_roundtrip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_library_changed, setup, teardown),
    cmocka_unit_test_setup_teardown(test_damaged_or_foreign, setup, teardown),
    cmocka_unit_test_setup_teardown(test_directory_not_private, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
