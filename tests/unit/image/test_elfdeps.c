/* Unit tests for helper/image/elfdeps.c: the ELF / ld.so.conf / "#!"
 * parsing behind `userjail mkrootfs` (never runs the binary it reads). */
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
  return cmocka_run_group_tests_name("image: ELF and ld.so.conf parsing", tests, NULL, NULL);
}
