/* Unit tests for helper/identity/user.c against the machine's real NSS
 * (files): the user's groups are those getgrouplist gives, only the named
 * groups the user is in are reported, an unknown user is refused, and a
 * lookup that does not answer in time is refused with the timeout message
 * (timeout 0: the lookup process is killed before it can answer). And the
 * group list the PAM module sends (session-open --module-groups) is the
 * one used when it was made for the entry found, and only then. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <pwd.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/proto.h"
#include "identity/user.h"

static void test_daemon_named_groups(void **state)
{
  (void) state;
  /* Debian's "daemon" user (uid 1) has primary group "daemon" (gid 1) */
  const char *named[] = { "root", "daemon", "uj-no-such-group-xyz" };
  struct passwd *pw = getpwnam("daemon");
  struct uj_userinfo ui;
  struct uj_err err;

  if (!pw)
    skip();
  assert_int_equal(uj_userinfo_get("daemon", named, 3, 10, &ui, &err), 0);
  assert_string_equal(ui.u.name, "daemon");
  assert_int_equal(ui.u.uid, pw->pw_uid);
  assert_int_equal(ui.u.gid, pw->pw_gid);
  assert_string_equal(ui.u.home, pw->pw_dir);
  assert_true(ui.n_gids >= 1);
  assert_int_equal(ui.gids[0], pw->pw_gid);
  assert_int_equal(ui.u.n_groups, 1);
  assert_string_equal(ui.u.groups[0], "daemon");
  uj_userinfo_free(&ui);
}

/* The inline lookup (a standby's worker) answers exactly as the bounded
 * one: same fields, same named groups, same refusals. */
static void test_inline_same_answer(void **state)
{
  (void) state;
  const char *named[] = { "root", "daemon", "uj-no-such-group-xyz" };
  struct uj_userinfo a, b;
  struct uj_err err;

  if (!getpwnam("daemon"))
    skip();
  assert_int_equal(uj_userinfo_get("daemon", named, 3, 10, &a, &err), 0);
  assert_int_equal(uj_userinfo_inline("daemon", named, 3, &b, &err), 0);
  assert_string_equal(a.u.name, b.u.name);
  assert_int_equal(a.u.uid, b.u.uid);
  assert_int_equal(a.u.gid, b.u.gid);
  assert_string_equal(a.u.home, b.u.home);
  assert_string_equal(a.u.shell, b.u.shell);
  assert_int_equal(a.n_gids, b.n_gids);
  assert_memory_equal(a.gids, b.gids, a.n_gids * sizeof *a.gids);
  assert_int_equal(b.u.n_groups, 1);
  assert_string_equal(b.u.groups[0], "daemon");
  uj_userinfo_free(&a);
  uj_userinfo_free(&b);

  assert_int_equal(uj_userinfo_inline("uj-no-such-user-xyz", NULL, 0, &b, &err), -1);
  assert_non_null(strstr(err.msg, "unknown user 'uj-no-such-user-xyz'"));
  assert_int_equal(uj_userinfo_inline("a/b", NULL, 0, &b, &err), -1);
  assert_int_equal(err.code, EINVAL);
  assert_null(b.name);
}

static void test_unknown_and_invalid(void **state)
{
  (void) state;
  struct uj_userinfo ui;
  struct uj_err err;

  assert_int_equal(uj_userinfo_get("uj-no-such-user-xyz", NULL, 0, 10, &ui, &err), -1);
  assert_non_null(strstr(err.msg, "unknown user 'uj-no-such-user-xyz'"));
  assert_int_equal(uj_userinfo_get("a/b", NULL, 0, 10, &ui, &err), -1);
  assert_int_equal(err.code, EINVAL);
}

static void test_timeout(void **state)
{
  (void) state;
  struct uj_userinfo ui;
  struct uj_err err;

  assert_int_equal(uj_userinfo_get("root", NULL, 0, 0, &ui, &err), -1);
  assert_int_equal(err.code, ETIMEDOUT);
  assert_string_equal(err.msg, "user lookup for root timed out after 0 s (directory slow?)");
  /* the lookup process was reaped: no child left */
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
}

/* In two steps: the lookup runs while the caller works (here: sleeps),
 * then gets the group names. */
/* Threads of this process (1: the lookup thread is gone). */
static int n_threads(void)
{
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  struct dirent *e;
  while (d && (e = readdir(d)))
    n += e->d_name[0] != '.';
  if (d)
    closedir(d);
  return n;
}

/* state: NULL for the child process, non-NULL for the thread (session-open) */
static void test_start_then_names(void **state)
{
  bool threaded = *state != NULL;
  const char *named[] = { "daemon", "root" };
  struct passwd *pw = getpwnam("daemon");
  struct uj_lookup lk;
  struct uj_userinfo ui;
  struct uj_err err;

  if (!pw)
    skip();
  assert_int_equal(uj_userinfo_start("daemon", 10, threaded, -1, &lk, &err), 0);
  usleep(100 * 1000);
  assert_int_equal(uj_userinfo_finish(&lk, named, 2, &ui, &err), 0);
  assert_int_equal(ui.u.uid, pw->pw_uid);
  assert_int_equal(ui.u.n_groups, 1);
  assert_string_equal(ui.u.groups[0], "daemon");
  uj_userinfo_free(&ui);
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  /* a finished lookup leaves one thread: a monitor can be forked */
  assert_int_equal(n_threads(), 1);
}

/* An unknown user: the child answers and exits without reading the names.
 * Many names (more than a socket buffer holds) must cost the caller an
 * error it handles, not a SIGPIPE that kills it. */
static void test_unknown_with_many_names(void **state)
{
  bool threaded = *state != NULL;
  static char names[4000][64];
  static const char *named[4000];
  struct uj_lookup lk;
  struct uj_userinfo ui;
  struct uj_err err;

  for (int i = 0; i < 4000; i++) {
    snprintf(names[i], sizeof names[i], "uj-group-%04d-with-a-long-name-to-fill-buffers", i);
    named[i] = names[i];
  }
  assert_int_equal(uj_userinfo_start("uj-no-such-user-xyz", 10, threaded, -1, &lk, &err), 0);
  usleep(100 * 1000); /* it has answered and exited by now */
  assert_int_equal(uj_userinfo_finish(&lk, named, 4000, &ui, &err), -1);
  assert_non_null(strstr(err.msg, "unknown user 'uj-no-such-user-xyz'"));
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(n_threads(), 1);
}

/* A thread past the deadline: the same refusal as the child's, and the
 * caller goes on (session-open then answers and exits). */
static void test_thread_timeout(void **state)
{
  (void) state;
  struct uj_lookup lk;
  struct uj_userinfo ui;
  struct uj_err err;

  assert_int_equal(uj_userinfo_start("root", 0, true, -1, &lk, &err), 0);
  assert_int_equal(uj_userinfo_finish(&lk, NULL, 0, &ui, &err), -1);
  assert_int_equal(err.code, ETIMEDOUT);
  assert_string_equal(err.msg, "user lookup for root timed out after 0 s (directory slow?)");
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  /* the next lookup is not disturbed by the one left behind */
  assert_int_equal(uj_userinfo_start("root", 10, true, -1, &lk, &err), 0);
  assert_int_equal(uj_userinfo_finish(&lk, NULL, 0, &ui, &err), 0);
  assert_int_equal(ui.u.uid, 0);
  uj_userinfo_free(&ui);
}

/* A lookup given up on (the config could not be read) leaves no child. */
static void test_abort(void **state)
{
  bool threaded = *state != NULL;
  struct uj_lookup lk;
  struct uj_err err;

  assert_int_equal(uj_userinfo_start("root", 10, threaded, -1, &lk, &err), 0);
  uj_userinfo_abort(&lk);
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
  assert_int_equal(errno, ECHILD);
}

/* The module's list (proto.h, uj_groups_msg) says "daemon" is in group
 * root (gid 0), which the files do not: the answer follows the list when
 * it matches daemon's entry (uid 1, gid 1), and NSS otherwise. `how`:
 * 0 a matching list, 1 another uid's, 2 UJ_GROUPS_NONE, 3 the module
 * closed without a list, 4 a list cut short, 5 no list yet (the module
 * still busy: not waited for). */
static void module_groups_case(bool threaded, int how, bool want_root)
{
  const char *named[] = { "daemon", "root" };
  struct passwd *pw = getpwnam("daemon");
  struct {
    struct uj_groups_msg m;
    gid_t g[2];
  } rec;
  struct uj_lookup lk;
  struct uj_userinfo ui;
  struct uj_err err;
  int sv[2];

  if (!pw)
    skip();
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
  rec.m.magic = UJ_GROUPS_MAGIC;
  rec.m.uid = how == 1 ? pw->pw_uid + 1 : pw->pw_uid;
  rec.m.gid = pw->pw_gid;
  rec.m.n_gids = how == 2 ? UJ_GROUPS_NONE : 2;
  rec.g[0] = pw->pw_gid;
  rec.g[1] = 0;
  if (how == 4)
    assert_int_equal(write(sv[0], &rec, sizeof rec - sizeof(gid_t)), sizeof rec - sizeof(gid_t));
  else if (how != 3 && how != 5)
    assert_int_equal(write(sv[0], &rec, sizeof rec), sizeof rec);
  if (how == 3 || how == 4)
    shutdown(sv[0], SHUT_WR);
  assert_int_equal(uj_userinfo_start("daemon", 10, threaded, sv[1], &lk, &err), 0);
  assert_int_equal(uj_userinfo_finish(&lk, named, 2, &ui, &err), 0);
  assert_int_equal(ui.u.uid, pw->pw_uid);
  assert_int_equal(ui.u.n_groups, want_root ? 2 : 1);
  assert_string_equal(ui.u.groups[0], "daemon");
  if (want_root)
    assert_string_equal(ui.u.groups[1], "root");
  assert_int_equal(ui.n_gids, want_root ? 2 : 1);
  uj_userinfo_free(&ui);
  close(sv[0]);
  close(sv[1]);
  assert_int_equal(waitpid(-1, NULL, WNOHANG), -1);
}

static void test_module_groups(void **state)
{
  bool threaded = *state != NULL;
  module_groups_case(threaded, 0, true);
  module_groups_case(threaded, 1, false);
  module_groups_case(threaded, 2, false);
  module_groups_case(threaded, 3, false);
  module_groups_case(threaded, 4, false);
  module_groups_case(threaded, 5, false);
}

int main(void)
{
  static int threaded = 1;
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_daemon_named_groups),
    cmocka_unit_test(test_unknown_and_invalid),
    cmocka_unit_test(test_inline_same_answer),
    cmocka_unit_test(test_timeout),
    cmocka_unit_test_prestate(test_start_then_names, NULL),
    cmocka_unit_test_prestate(test_start_then_names, &threaded),
    cmocka_unit_test_prestate(test_unknown_with_many_names, NULL),
    cmocka_unit_test_prestate(test_unknown_with_many_names, &threaded),
    cmocka_unit_test(test_thread_timeout),
    cmocka_unit_test_prestate(test_abort, NULL),
    cmocka_unit_test_prestate(test_abort, &threaded),
    cmocka_unit_test_prestate(test_module_groups, NULL),
    cmocka_unit_test_prestate(test_module_groups, &threaded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
