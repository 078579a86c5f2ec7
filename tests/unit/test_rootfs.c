/* Unit tests for image roots: the ELF / ld.so.conf / "#!" parsing behind
 * `userjail mkrootfs` (helper/elfdeps.c), and, when run as root, the
 * overlay that uj_rootfs_image_mount() builds (helper/rootfs.c), attached
 * in a private mount namespace of a forked child. */
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

#include "elfdeps.h"
#include "mountfd.h"
#include "rootfs.h"

/* ---- a synthetic ELF64: one PT_LOAD over the whole file, PT_INTERP,
 * PT_DYNAMIC with NEEDED/RPATH/RUNPATH/STRTAB/STRSZ ---- */

#define BASE 0x400000
struct fake {
  unsigned char buf[1024];
  size_t len;
  size_t dyn_off, str_off;
};

static void fake_build(struct fake *f, bool with_interp, bool with_runpath)
{
  static const char strtab[] = "\0libfoo.so.1\0libbar.so.2\0$ORIGIN/../lib\0/opt/rp\0";
  static const char interp[] = "/lib64/ld-test.so.2";
  Elf64_Ehdr eh = { 0 };
  Elf64_Phdr ph[3] = { 0 };
  Elf64_Dyn dyn[8];
  size_t nd = 0, off;

  memset(f, 0, sizeof *f);
  memcpy(eh.e_ident, ELFMAG, SELFMAG);
  eh.e_ident[EI_CLASS] = ELFCLASS64;
  eh.e_ident[EI_DATA] = ELFDATA2LSB;
  eh.e_ident[EI_VERSION] = EV_CURRENT;
  eh.e_type = ET_DYN;
  eh.e_machine = EM_X86_64;
  eh.e_phoff = sizeof eh;
  eh.e_phentsize = sizeof(Elf64_Phdr);
  eh.e_phnum = 3;
  off = sizeof eh + sizeof ph;
  /* interp string */
  ph[1].p_type = with_interp ? PT_INTERP : PT_NOTE;
  ph[1].p_offset = off;
  ph[1].p_filesz = sizeof interp;
  memcpy(f->buf + off, interp, sizeof interp);
  off += sizeof interp;
  off = (off + 7) & ~(size_t) 7;
  /* strtab */
  f->str_off = off;
  memcpy(f->buf + off, strtab, sizeof strtab);
  off += sizeof strtab;
  off = (off + 7) & ~(size_t) 7;
  /* dynamic */
  dyn[nd++] = (Elf64_Dyn) { DT_NEEDED, { 1 } };
  dyn[nd++] = (Elf64_Dyn) { DT_NEEDED, { 13 } };
  dyn[nd++] = (Elf64_Dyn) { DT_RPATH, { 40 } };
  if (with_runpath)
    dyn[nd++] = (Elf64_Dyn) { DT_RUNPATH, { 25 } };
  dyn[nd++] = (Elf64_Dyn) { DT_STRTAB, { BASE + f->str_off } };
  dyn[nd++] = (Elf64_Dyn) { DT_STRSZ, { sizeof strtab } };
  dyn[nd++] = (Elf64_Dyn) { DT_NULL, { 0 } };
  f->dyn_off = off;
  memcpy(f->buf + off, dyn, nd * sizeof dyn[0]);
  ph[2].p_type = PT_DYNAMIC;
  ph[2].p_offset = off;
  ph[2].p_vaddr = BASE + off;
  ph[2].p_filesz = nd * sizeof dyn[0];
  off += nd * sizeof dyn[0];
  f->len = off;
  ph[0].p_type = PT_LOAD;
  ph[0].p_offset = 0;
  ph[0].p_vaddr = BASE;
  ph[0].p_filesz = off;
  memcpy(f->buf, &eh, sizeof eh);
  memcpy(f->buf + sizeof eh, ph, sizeof ph);
}

static void test_elf_synthetic(void **state)
{
  struct fake f;
  struct uj_elf_info in;
  struct uj_err err = { 0 };
  (void) state;

  fake_build(&f, true, true);
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), 0);
  assert_int_equal(in.elf_class, ELFCLASS64);
  assert_int_equal(in.machine, EM_X86_64);
  assert_string_equal(in.interp, "/lib64/ld-test.so.2");
  assert_int_equal(in.needed.n, 2);
  assert_string_equal(in.needed.v[0], "libfoo.so.1");
  assert_string_equal(in.needed.v[1], "libbar.so.2");
  assert_string_equal(in.rpath, "/opt/rp");
  assert_string_equal(in.runpath, "$ORIGIN/../lib");
  uj_elf_info_free(&in);

  fake_build(&f, false, false); /* a library: no interpreter, no runpath */
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), 0);
  assert_null(in.interp);
  assert_null(in.runpath);
  assert_int_equal(in.needed.n, 2);
  uj_elf_info_free(&in);
}

/* Hostile input: every truncation and a set of corrupted fields give an
 * error (or a consistent result), never a read out of bounds. */
static void test_elf_hostile(void **state)
{
  struct fake f;
  struct uj_elf_info in;
  struct uj_err err = { 0 };
  (void) state;

  fake_build(&f, true, true);
  for (size_t len = 0; len < f.len; len++) {
    /* copy to an exactly sized heap buffer so an overread is a real one */
    unsigned char *b = malloc(len ? len : 1);
    memcpy(b, f.buf, len);
    if (uj_elf_parse(b, len, &in, &err) == 0) {
      assert_true(in.needed.n <= 2);
      uj_elf_info_free(&in);
    } else {
      assert_true(err.msg[0] != '\0');
    }
    free(b);
  }
  /* string offset of a NEEDED entry outside the table */
  fake_build(&f, true, true);
  ((Elf64_Dyn *) (f.buf + f.dyn_off))[0].d_un.d_val = 4000;
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), -1);
  assert_non_null(strstr(err.msg, "DT_NEEDED"));
  /* strtab address not inside any PT_LOAD */
  fake_build(&f, true, true);
  ((Elf64_Dyn *) (f.buf + f.dyn_off))[4].d_un.d_val = 0x10;
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), -1);
  /* strtab size running past the end of the file */
  fake_build(&f, true, true);
  ((Elf64_Dyn *) (f.buf + f.dyn_off))[5].d_un.d_val = 1u << 30;
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), -1);
  /* absurd program header count */
  fake_build(&f, true, true);
  ((Elf64_Ehdr *) f.buf)->e_phnum = 60000;
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), -1);
  /* PT_INTERP without a terminating NUL */
  fake_build(&f, true, true);
  ((Elf64_Phdr *) (f.buf + sizeof(Elf64_Ehdr)))[1].p_filesz = 5;
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), -1);
  assert_non_null(strstr(err.msg, "PT_INTERP"));
  /* not ELF at all */
  assert_int_equal(uj_elf_parse((const unsigned char *) "#!/bin/sh\n", 10, &in, &err), -1);
  assert_non_null(strstr(err.msg, "not an ELF"));
  /* foreign byte order */
  fake_build(&f, true, true);
  f.buf[EI_DATA] = ELFDATA2MSB;
  assert_int_equal(uj_elf_parse(f.buf, f.len, &in, &err), -1);
}

static void test_elf_compatible(void **state)
{
  struct fake f;
  (void) state;

  fake_build(&f, true, true);
  assert_true(uj_elf_compatible(f.buf, f.len, ELFCLASS64, EM_X86_64));
  assert_false(uj_elf_compatible(f.buf, f.len, ELFCLASS32, EM_X86_64));
  assert_false(uj_elf_compatible(f.buf, f.len, ELFCLASS64, EM_AARCH64));
  assert_false(uj_elf_compatible(f.buf, 10, ELFCLASS64, EM_X86_64));
  assert_string_equal(uj_elf_multiarch(EM_X86_64, ELFCLASS64), "x86_64-linux-gnu");
  assert_string_equal(uj_elf_multiarch(EM_386, ELFCLASS32), "i386-linux-gnu");
}

/* This very test binary: dynamically linked against libc and cmocka. */
static void test_elf_self(void **state)
{
  FILE *f = fopen("/proc/self/exe", "rb");
  static unsigned char buf[32 << 20];
  size_t len;
  struct uj_elf_info in;
  struct uj_err err = { 0 };
  (void) state;

  assert_non_null(f);
  len = fread(buf, 1, sizeof buf, f);
  fclose(f);
  assert_true(len > 0 && len < sizeof buf);
  assert_int_equal(uj_elf_parse(buf, len, &in, &err), 0);
  assert_non_null(in.interp);
  assert_true(uj_strv_has(&in.needed, "libc.so.6"));
  assert_true(uj_strv_has(&in.needed, "libcmocka.so.0"));
  uj_elf_info_free(&in);
}

static void test_expand_path(void **state)
{
  struct uj_strv v = { 0 };
  (void) state;

  assert_int_equal(uj_elf_expand_path("$ORIGIN/../lib:${ORIGIN}/x::/abs:$LIB/p:$PLATFORM:"
                                      "$ORIGINAL/y:/abs",
                                      "/opt/app/bin", "lib64", "x86_64", &v),
                   0);
  assert_int_equal(v.n, 6); /* empty entry dropped, duplicate /abs once */
  assert_string_equal(v.v[0], "/opt/app/bin/../lib");
  assert_string_equal(v.v[1], "/opt/app/bin/x");
  assert_string_equal(v.v[2], "/abs");
  assert_string_equal(v.v[3], "lib64/p");
  assert_string_equal(v.v[4], "x86_64");
  assert_string_equal(v.v[5], "$ORIGINAL/y"); /* not $ORIGIN: left alone */
  uj_strv_free(&v);
}

static void test_ldconf(void **state)
{
  struct uj_strv dirs = { 0 }, inc = { 0 };
  (void) state;

  assert_int_equal(uj_ldconf_parse("# comment\n"
                                   "include /etc/ld.so.conf.d/*.conf\n"
                                   "  /usr/local/lib   # trailing comment\n"
                                   "\n"
                                   "include more/*.conf\n"
                                   "hwcap 1 nosegneg\n"
                                   "/opt/a:/opt/b,/opt/c\n"
                                   "/usr/local/lib\n"
                                   "/opt/old=libc5\n"
                                   "relative/dir\n",
                                   "/etc", &dirs, &inc),
                   0);
  assert_int_equal(inc.n, 2);
  assert_string_equal(inc.v[0], "/etc/ld.so.conf.d/*.conf");
  assert_string_equal(inc.v[1], "/etc/more/*.conf");
  assert_int_equal(dirs.n, 5);
  assert_string_equal(dirs.v[0], "/usr/local/lib");
  assert_string_equal(dirs.v[1], "/opt/a");
  assert_string_equal(dirs.v[2], "/opt/b");
  assert_string_equal(dirs.v[3], "/opt/c");
  assert_string_equal(dirs.v[4], "/opt/old");
  uj_strv_free(&dirs);
  uj_strv_free(&inc);
}

static void test_shebang(void **state)
{
  char *s;
  (void) state;

  s = uj_shebang_interp((const unsigned char *) "#!/bin/sh -e\necho", 17);
  assert_string_equal(s, "/bin/sh");
  free(s);
  s = uj_shebang_interp((const unsigned char *) "#! /usr/bin/env python3\n", 24);
  assert_string_equal(s, "/usr/bin/env");
  free(s);
  assert_null(uj_shebang_interp((const unsigned char *) "#!\n", 3));
  assert_null(uj_shebang_interp((const unsigned char *) "\177ELF", 4));
  assert_null(uj_shebang_interp((const unsigned char *) "#", 1));
}

/* ---- the overlay itself (root only) ---- */

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
  m = uj_rootfs_image_mount(&s, c->uid, 100, &err);
  if (c->expect_err) {
    if (m >= 0 || !strstr(err.msg, c->expect_err))
      dprintf(out, "expected error containing '%s', got %d '%s'", c->expect_err, m, err.msg);
    _exit(m < 0 && strstr(err.msg, c->expect_err) ? 0 : 1);
  }
  if (m < 0) {
    dprintf(out, "uj_rootfs_image_mount: %s", err.msg);
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
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_elf_synthetic),
    cmocka_unit_test(test_elf_hostile),
    cmocka_unit_test(test_elf_compatible),
    cmocka_unit_test(test_elf_self),
    cmocka_unit_test(test_expand_path),
    cmocka_unit_test(test_ldconf),
    cmocka_unit_test(test_shebang),
  };
  const struct CMUnitTest root_tests[] = {
    cmocka_unit_test(test_overlay_ephemeral),
    cmocka_unit_test(test_overlay_persistent),
    cmocka_unit_test(test_overlay_refusals),
  };
  int failed = cmocka_run_group_tests_name("rootfs parsing", tests, NULL, NULL);
  failed += cmocka_run_group_tests_name("rootfs overlay (root only)", root_tests, ovl_setup,
                                        ovl_teardown);
  return failed;
}
