/* Unit tests for common/: the error type (err.c), the wire protocol's
 * descriptor passing (proto.c) and the cleanup helpers (cleanup.h), as the
 * module and the helper use them. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/child.h"
#include "common/cleanup.h"
#include "common/err.h"
#include "common/proto.h"

static bool fd_is_open(int fd)
{
  return fcntl(fd, F_GETFD) >= 0;
}

/* An error gains context as it travels up, and keeps its errno. */
static void test_err_context(void **state)
{
  struct uj_err e;
  (void) state;
  uj_err_clear(&e);
  assert_int_equal(uj_err_set(&e, ENOENT, "open %s", "/home/alice"), -1);
  assert_int_equal(uj_err_prefix(&e, "bind home"), -1);
  assert_int_equal(uj_err_prefix(&e, "create jail for %s", "alice"), -1);
  assert_string_equal(e.msg, "create jail for alice: bind home: open /home/alice: "
                             "No such file or directory");
  assert_int_equal(e.code, ENOENT);
}

/* A message longer than the buffer is cut, never overflows, stays a string. */
static void test_err_truncates(void **state)
{
  struct uj_err e;
  char longpath[3000];
  (void) state;
  memset(longpath, 'x', sizeof longpath - 1);
  longpath[sizeof longpath - 1] = '\0';
  uj_err_set(&e, EACCES, "%s", longpath);
  assert_int_equal(strlen(e.msg), UJ_ERR_MSG - 1);
  for (int i = 0; i < 5; i++)
    uj_err_prefix(&e, "%s", longpath);
  assert_true(strlen(e.msg) < UJ_ERR_MSG);
  assert_int_equal(e.code, EACCES);
}

/* Descriptors arrive close-on-exec and refer to the same file. */
static void test_proto_passes_fds(void **state)
{
  int sv[2], fds[UJ_MAX_FDS], got[UJ_MAX_FDS];
  struct uj_join_msg out = { .magic = UJ_PROTO_MAGIC, .status = UJ_STATUS_JAILED }, in;
  struct uj_err e;
  struct stat a, b;
  size_t n = 0;
  (void) state;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  fds[0] = open("/dev/null", O_RDONLY);
  fds[1] = open("/", O_PATH);
  assert_int_equal(uj_send_fds(sv[0], &out, sizeof out, fds, 2, &e), 0);
  assert_int_equal(uj_recv_fds(sv[1], &in, sizeof in, got, UJ_MAX_FDS, &n, &e), 0);
  assert_int_equal(n, 2);
  assert_int_equal(in.status, UJ_STATUS_JAILED);
  assert_int_equal(fstat(fds[1], &a), 0);
  assert_int_equal(fstat(got[1], &b), 0);
  assert_true(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
  assert_true(fcntl(got[0], F_GETFD) & FD_CLOEXEC);
  close_many(fds, 2);
  close_many(got, n);
  close(sv[0]);
  close(sv[1]);
}

/* A peer sending more descriptors than asked for: the extra ones are closed
 * by the receiver, not left open in it (a module would leak them into sshd). */
static void test_proto_drops_extra_fds(void **state)
{
  int sv[2], fds[4], got[1] = { -1 };
  bool open_before[256];
  char b = 'x', r;
  struct uj_err e;
  size_t n = 0;
  int new_open = 0;
  (void) state;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  for (int i = 0; i < 4; i++)
    fds[i] = open("/dev/null", O_RDONLY);
  assert_int_equal(uj_send_fds(sv[0], &b, 1, fds, 4, &e), 0);
  close_many(fds, 4);
  for (int fd = 0; fd < 256; fd++)
    open_before[fd] = fd_is_open(fd);
  assert_int_equal(uj_recv_fds(sv[1], &r, 1, got, 1, &n, &e), 0);
  assert_int_equal(n, 1);
  for (int fd = 0; fd < 256; fd++)
    if (!open_before[fd] && fd_is_open(fd)) {
      assert_int_equal(fd, got[0]);
      new_open++;
    }
  assert_int_equal(new_open, 1);
  close(got[0]);
  close(sv[0]);
  close(sv[1]);
}

/* A closed peer is an error with a reason, not a zero-filled message. */
static void test_proto_closed_peer(void **state)
{
  int sv[2];
  struct uj_info_msg in;
  struct uj_err e;
  size_t n;
  (void) state;
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  close(sv[0]);
  assert_int_equal(uj_recv_fds(sv[1], &in, sizeof in, NULL, 0, &n, &e), -1);
  assert_int_equal(e.code, ECONNRESET);
  close(sv[1]);
}

static void test_cleanup_helpers(void **state)
{
  int fds[3] = { open("/dev/null", O_RDONLY), -1, open("/dev/null", O_RDONLY) };
  int keep = fds[0];
  (void) state;
  close_many(fds, 3);
  assert_int_equal(fds[0], -1);
  assert_int_equal(fds[2], -1);
  assert_false(fd_is_open(keep));
  {
    cleanup_free char *s = strdup("x");
    char *taken = steal_pointer(&s);
    assert_null(s);
    free(taken);
  }
  {
    cleanup_close int fd = open("/dev/null", O_RDONLY);
    int out = steal_fd(&fd);
    assert_int_equal(fd, -1);
    assert_true(fd_is_open(out));
    close(out);
  }
}

/* A forked child keeps exactly stdio on /dev/null and the one fd it was
 * given, at 3, without close-on-exec; nothing else of the parent's. */
static void test_child_fds(void **state)
{
  int keep, status;
  struct stat ks;
  pid_t pid;
  (void) state;
  for (int i = 0; i < 5; i++)
    assert_true(open("/dev/null", O_RDONLY) >= 0); /* parent's fds a child must lose */
  keep = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true(keep >= 0);
  assert_int_equal(fstat(keep, &ks), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    struct stat st, nul;
    if (uj_child_fds(keep, true) != 3)
      _exit(10);
    if (fstat(3, &st) < 0 || st.st_ino != ks.st_ino || (fcntl(3, F_GETFD) & FD_CLOEXEC))
      _exit(11);
    if (stat("/dev/null", &nul) < 0)
      _exit(12);
    for (int fd = 0; fd < 3; fd++)
      if (fstat(fd, &st) < 0 || st.st_rdev != nul.st_rdev)
        _exit(13);
    for (int fd = 4; fd < 256; fd++)
      if (fcntl(fd, F_GETFD) >= 0)
        _exit(14);
    _exit(0);
  }
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  close(keep);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_err_context),
    cmocka_unit_test(test_err_truncates),
    cmocka_unit_test(test_proto_passes_fds),
    cmocka_unit_test(test_proto_drops_extra_fds),
    cmocka_unit_test(test_proto_closed_peer),
    cmocka_unit_test(test_cleanup_helpers),
    cmocka_unit_test(test_child_fds),
  };
  return cmocka_run_group_tests_name("common: errors, descriptor passing, cleanup", tests, NULL,
                                     NULL);
}
