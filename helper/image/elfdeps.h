/* What a program needs at run time, found without running it: ELF
 * PT_INTERP / DT_NEEDED / DT_RPATH / DT_RUNPATH, "#!" interpreters and
 * ld.so.conf. Pure functions over memory buffers (no syscalls), used by
 * `userjail mkrootfs` (mkrootfs.c) and unit-tested in
 * tests/unit/image/test_elfdeps.c. `ldd` is not an option: it may execute the
 * binary it inspects. */
#ifndef UJ_ELFDEPS_H
#define UJ_ELFDEPS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/err.h"

/* A growable list of owned strings. */
struct uj_strv {
  char **v;
  size_t n;
};
int uj_strv_push(struct uj_strv *l, const char *s);  /* copies s; -1 on ENOMEM */
bool uj_strv_has(const struct uj_strv *l, const char *s);
void uj_strv_free(struct uj_strv *l);

struct uj_elf_info {
  int elf_class;          /* ELFCLASS32 or ELFCLASS64 */
  unsigned machine;       /* e_machine (EM_X86_64 ...) */
  char *interp;           /* PT_INTERP, NULL for static binaries and libraries */
  struct uj_strv needed;  /* DT_NEEDED, in order */
  char *rpath;            /* DT_RPATH or NULL */
  char *runpath;          /* DT_RUNPATH or NULL */
};

/* Parse an ELF image of len bytes (a whole file). Every offset is bounds
 * checked: a truncated or hostile file gives an error, never a bad read.
 * Only the host's byte order is accepted. */
int uj_elf_parse(const unsigned char *buf, size_t len, struct uj_elf_info *out,
                 struct uj_err *err);
void uj_elf_info_free(struct uj_elf_info *info);

/* Does buf start with an ELF header of this class and machine? (The
 * dynamic loader skips libraries of another architecture the same way.) */
bool uj_elf_compatible(const unsigned char *buf, size_t len, int elf_class, unsigned machine);

/* Debian multiarch triplet for an ELF machine ("x86_64-linux-gnu"), or NULL. */
const char *uj_elf_multiarch(unsigned machine, int elf_class);

/* Split a DT_RPATH/DT_RUNPATH list on ':' and expand $ORIGIN / ${ORIGIN}
 * (origin_dir), $LIB / ${LIB} (lib) and $PLATFORM / ${PLATFORM} (platform).
 * Empty entries are dropped. Appends to out; -1 on ENOMEM. */
int uj_elf_expand_path(const char *list, const char *origin_dir, const char *lib,
                       const char *platform, struct uj_strv *out);

/* ld.so.conf text: directory lines go to dirs, "include PATTERN" to
 * includes (relative patterns are made relative to conf_dir), '#' starts a
 * comment, "hwcap" lines are ignored. */
int uj_ldconf_parse(const char *text, const char *conf_dir, struct uj_strv *dirs,
                    struct uj_strv *includes);

/* The interpreter of a "#!" script (first word after "#!"), malloc'd, or
 * NULL when buf is not a script. */
char *uj_shebang_interp(const unsigned char *buf, size_t len);

#endif
