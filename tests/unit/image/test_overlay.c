/* Unit tests for helper/image/overlay.c, run as root: the overlay that
 * uj_image_overlay_mount() builds, attached in a private mount namespace of a
 * forked child, and the images and upper dirs it refuses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "image/elfdeps.h"
#include "fs/mountfd.h"
#include "image/image.h"

/* A uid no real account has, so /var/lib/userjail/UID is ours alone. */
static uid_t test_uid(void)
{
  return (uid_t) (3900000000u + (unsigned) getpid() % 100000u);
}

static int rm_cb(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
  (void) st, (void) type, (void) ftw;
  return remove(p);
}

static void rm_rf(const char *p)
{
  nftw(p, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
  assert_int_equal(fchmod(fd, mode), 0);
  close(fd);
}

static bool file_has(const char *path, const char *text)
{
  char buf[256] = "";
  int fd = open(path, O_RDONLY);
  ssize_t n;
  if (fd < 0)
    return false;
  n = read(fd, buf, sizeof buf - 1);
  close(fd);
  return n >= 0 && strncmp(buf, text, strlen(text)) == 0;
}

struct ovl_case {
  const char *image;
  enum uj_upper upper;
  uid_t uid;
  const char *expect_err;  /* substring of the error, or NULL for success */
  bool expect_kept;        /* "mine" from an earlier mount is visible */
};

#define CHECK(c)                                                                   \
  do {                                                                             \
    if (!(c)) {                                                                    \
      dprintf(out, "%s:%d: check failed: %s", __FILE__, __LINE__, #c);             \
      _exit(1);                                                                    \
    }                                                                              \
  } while (0)

/* In a forked child with its own (private) mount namespace: build the
 * overlay, attach it on a scratch dir, and check what a jailed user's
 * writes do. The child reports a failed check as text on `out`. */
static void ovl_child(const struct ovl_case *c, const char *target, int out)
{
  struct uj_settings s = { .rootfs = (char *) c->image, .upper = c->upper, .tmp_size = 1 << 20 };
  struct uj_err err = { 0 };
  char p[4096];
  struct statvfs sv;
  struct stat st;
  int m, tfd;

  CHECK(unshare(CLONE_NEWNS) == 0);
  CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
  m = uj_image_overlay_mount(&s, c->uid, 100, &err);
  if (c->expect_err) {
    if (m >= 0 || !strstr(err.msg, c->expect_err))
      dprintf(out, "expected error containing '%s', got %d '%s'", c->expect_err, m, err.msg);
    _exit(m < 0 && strstr(err.msg, c->expect_err) ? 0 : 1);
  }
  if (m < 0) {
    dprintf(out, "uj_image_overlay_mount: %s", err.msg);
    _exit(1);
  }
  tfd = open(target, O_PATH | O_DIRECTORY);
  CHECK(tfd >= 0);
  CHECK(uj_attach(m, tfd, &err) == 0);

  /* The image shows through (or the earlier change, when kept);
   * nosuid,nodev; the root is root's 0755. */
  snprintf(p, sizeof p, "%s/etc/motd", target);
  CHECK(file_has(p, c->expect_kept ? "changed in the jail" : "from the image"));
  CHECK(statvfs(target, &sv) == 0);
  CHECK((sv.f_flag & ST_NOSUID) && (sv.f_flag & ST_NODEV));
  CHECK(stat(target, &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) == 0755);
  snprintf(p, sizeof p, "%s/mine", target);
  CHECK(access(p, F_OK) == (c->expect_kept ? 0 : -1));

  /* Writes land in the upper layer, never in the image. */
  write_file(p, "written in the jail", 0644);
  snprintf(p, sizeof p, "%s/etc/motd", target);
  write_file(p, "changed in the jail", 0644);
  CHECK(file_has(p, "changed in the jail"));
  snprintf(p, sizeof p, "%s/mine", c->image);
  CHECK(access(p, F_OK) == -1);
  snprintf(p, sizeof p, "%s/etc/motd", c->image);
  CHECK(file_has(p, "from the image"));
  if (c->upper == UJ_UPPER_PERSISTENT) {
    snprintf(p, sizeof p, "/var/lib/userjail/%u/upper/mine", (unsigned) c->uid);
    CHECK(file_has(p, "written in the jail"));
    snprintf(p, sizeof p, "/var/lib/userjail/%u", (unsigned) c->uid);
    CHECK(stat(p, &st) == 0 && st.st_uid == 0 && (st.st_mode & 07777) == 0700);
    CHECK(stat("/var/lib/userjail", &st) == 0 && st.st_uid == 0 && !(st.st_mode & 022));
  } else {
    snprintf(p, sizeof p, "/var/lib/userjail/%u", (unsigned) c->uid);
    CHECK(access(p, F_OK) == -1);
  }
  _exit(0);
}

static void run_case(const struct ovl_case *c)
{
  int pfd[2];
  pid_t pid;
  int status;
  char msg[1200] = "";
  char target[] = "/tmp/uj-test-mnt.XXXXXX";
  ssize_t n;

  /* made here, so that it is removed here: in the child's namespace it
   * becomes a mount point, in ours it stays an empty directory */
  assert_non_null(mkdtemp(target));
  assert_int_equal(pipe(pfd), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(pfd[0]);
    ovl_child(c, target, pfd[1]);
    _exit(2);
  }
  close(pfd[1]);
  n = read(pfd[0], msg, sizeof msg - 1);
  msg[n > 0 ? n : 0] = '\0';
  close(pfd[0]);
  assert_int_equal(waitpid(pid, &status, 0), pid);
  rmdir(target);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    fail_msg("overlay case (image %s, %s): %s", c->image,
             c->upper == UJ_UPPER_PERSISTENT ? "persistent" : "ephemeral", msg);
}

struct ovl_fixture {
  char image[64];
  uid_t uid;
  bool made_state;  /* /var/lib/userjail did not exist before */
  char scratch[8][64];
};

static int ovl_setup(void **state)
{
  static struct ovl_fixture fx;
  char p[128];

  if (geteuid() != 0)
    return 0;
  memset(&fx, 0, sizeof fx);
  strcpy(fx.image, "/tmp/uj-test-img.XXXXXX");
  assert_non_null(mkdtemp(fx.image));
  assert_int_equal(chmod(fx.image, 0755), 0);
  snprintf(p, sizeof p, "%s/etc", fx.image);
  assert_int_equal(mkdir(p, 0755), 0);
  snprintf(p, sizeof p, "%s/etc/motd", fx.image);
  write_file(p, "from the image", 0644);
  fx.uid = test_uid();
  fx.made_state = access("/var/lib/userjail", F_OK) != 0;
  *state = &fx;
  return 0;
}

static int ovl_teardown(void **state)
{
  struct ovl_fixture *fx = *state;
  char p[128];

  if (!fx)
    return 0;
  rm_rf(fx->image);
  snprintf(p, sizeof p, "/var/lib/userjail/%u", (unsigned) fx->uid);
  rm_rf(p);
  if (fx->made_state)
    rmdir("/var/lib/userjail");
  return 0;
}

static void test_overlay_ephemeral(void **state)
{
  struct ovl_fixture *fx = *state;
  struct ovl_case c = { .upper = UJ_UPPER_EPHEMERAL };

  if (!fx)
    skip();
  c.image = fx->image;
  c.uid = fx->uid;
  run_case(&c);
  run_case(&c); /* a second jail starts clean: "mine" is gone */
}

static void test_overlay_persistent(void **state)
{
  struct ovl_fixture *fx = *state;
  struct ovl_case c = { .upper = UJ_UPPER_PERSISTENT };

  if (!fx)
    skip();
  c.image = fx->image;
  c.uid = fx->uid;
  run_case(&c);
  c.expect_kept = true; /* the next login sees the earlier write */
  run_case(&c);
  c.uid = fx->uid + 1; /* another user on the same image does not */
  c.expect_kept = false;
  run_case(&c);
  {
    char p[128];
    snprintf(p, sizeof p, "/var/lib/userjail/%u", (unsigned) c.uid);
    rm_rf(p);
  }
}

/* Images and state directories that must be refused. */
static void test_overlay_refusals(void **state)
{
  struct ovl_fixture *fx = *state;
  struct ovl_case c = { .upper = UJ_UPPER_EPHEMERAL };
  char bad[] = "/tmp/uj-test-bad.XXXXXX", p[128], link[160];

  if (!fx)
    skip();
  c.uid = fx->uid;
  assert_non_null(mkdtemp(bad));

  assert_int_equal(chmod(bad, 0775), 0);
  c.image = bad;
  c.expect_err = "writable by group or others";
  run_case(&c);

  assert_int_equal(chmod(bad, 0755), 0);
  assert_int_equal(chown(bad, 1, 1), 0);
  c.expect_err = "owned by uid 1, not root";
  run_case(&c);
  assert_int_equal(chown(bad, 0, 0), 0);

  /* a symlink to a good image is not followed */
  snprintf(link, sizeof link, "%s/link", bad);
  assert_int_equal(symlink(fx->image, link), 0);
  c.image = link;
  c.expect_err = "symlink";
  run_case(&c);

  c.image = "/nonexistent/image";
  c.expect_err = "rootfs image /nonexistent/image";
  run_case(&c);

  /* A planted symlink as the persistent upper is refused, and nothing is
   * created through it. */
  c.image = fx->image;
  c.upper = UJ_UPPER_PERSISTENT;
  c.uid = fx->uid + 2;
  snprintf(p, sizeof p, "/var/lib/userjail/%u", (unsigned) c.uid);
  mkdir("/var/lib/userjail", 0700);
  assert_int_equal(mkdir(p, 0700), 0);
  snprintf(link, sizeof link, "%s/upper", p);
  assert_int_equal(symlink(bad, link), 0);
  c.expect_err = "symlink";
  run_case(&c);
  assert_int_equal(unlink(link), 0);
  /* an upper owned by a user is refused */
  assert_int_equal(mkdir(link, 0755), 0);
  assert_int_equal(chown(link, 1, 1), 0);
  c.expect_err = "owned by uid 1";
  run_case(&c);
  rm_rf(p);
  rm_rf(bad);
}

int main(void)
{
  const struct CMUnitTest root_tests[] = {
    cmocka_unit_test(test_overlay_ephemeral),
    cmocka_unit_test(test_overlay_persistent),
    cmocka_unit_test(test_overlay_refusals),
  };
  return cmocka_run_group_tests_name("image: overlay (root only)", root_tests, ovl_setup,
                                     ovl_teardown);
}
