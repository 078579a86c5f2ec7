/* ELF dependency parsing over memory buffers (see elfdeps.h). The input is
 * an arbitrary file named on the command line, so every header field is
 * treated as untrusted: offsets and sizes are checked against the buffer
 * before any read. */
#include "image/elfdeps.h"

#include <elf.h>
#include <endian.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/cleanup.h"

int uj_strv_push(struct uj_strv *l, const char *s)
{
  char *copy = strdup(s);
  char **v;

  if (!copy)
    return -1;
  v = realloc(l->v, (l->n + 2) * sizeof *v);
  if (!v) {
    free(copy);
    return -1;
  }
  v[l->n++] = copy;
  v[l->n] = NULL;
  l->v = v;
  return 0;
}

bool uj_strv_has(const struct uj_strv *l, const char *s)
{
  for (size_t i = 0; i < l->n; i++)
    if (strcmp(l->v[i], s) == 0)
      return true;
  return false;
}

void uj_strv_free(struct uj_strv *l)
{
  for (size_t i = 0; i < l->n; i++)
    free(l->v[i]);
  free(l->v);
  l->v = NULL;
  l->n = 0;
}

void uj_elf_info_free(struct uj_elf_info *info)
{
  free(info->interp);
  free(info->rpath);
  free(info->runpath);
  uj_strv_free(&info->needed);
  memset(info, 0, sizeof *info);
}

/* Program headers and dynamic entries normalized over both ELF classes. */
struct phdr {
  uint32_t type;
  uint64_t offset, vaddr, filesz;
};

static bool in_bounds(size_t len, uint64_t off, uint64_t size)
{
  return off <= len && size <= len - off;
}

static bool host_order(unsigned char data)
{
#if __BYTE_ORDER == __LITTLE_ENDIAN
  return data == ELFDATA2LSB;
#else
  return data == ELFDATA2MSB;
#endif
}

bool uj_elf_compatible(const unsigned char *buf, size_t len, int elf_class, unsigned machine)
{
  uint16_t m;

  if (len < sizeof(Elf32_Ehdr) || memcmp(buf, ELFMAG, SELFMAG) != 0)
    return false;
  if (buf[EI_CLASS] != elf_class || !host_order(buf[EI_DATA]))
    return false;
  /* e_machine sits at the same offset in both classes. */
  memcpy(&m, buf + offsetof(Elf64_Ehdr, e_machine), sizeof m);
  return m == machine;
}

const char *uj_elf_multiarch(unsigned machine, int elf_class)
{
  switch (machine) {
  case EM_X86_64:
    return elf_class == ELFCLASS64 ? "x86_64-linux-gnu" : "x86_64-linux-gnux32";
  case EM_386:
    return "i386-linux-gnu";
  case EM_AARCH64:
    return "aarch64-linux-gnu";
  case EM_ARM:
    return "arm-linux-gnueabihf";
  case EM_RISCV:
    return elf_class == ELFCLASS64 ? "riscv64-linux-gnu" : NULL;
  case EM_PPC64:
    return "powerpc64le-linux-gnu";
  case EM_S390:
    return "s390x-linux-gnu";
  default:
    return NULL;
  }
}

static int read_phdrs(const unsigned char *buf, size_t len, bool is64, struct phdr **out,
                      size_t *n, struct uj_err *err)
{
  uint64_t phoff;
  size_t entsize, num;
  struct phdr *ph;

  if (is64) {
    Elf64_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    phoff = eh.e_phoff, entsize = eh.e_phentsize, num = eh.e_phnum;
    if (num && entsize != sizeof(Elf64_Phdr))
      return uj_err_set(err, 0, "bad program header size %zu", entsize);
  } else {
    Elf32_Ehdr eh;
    memcpy(&eh, buf, sizeof eh);
    phoff = eh.e_phoff, entsize = eh.e_phentsize, num = eh.e_phnum;
    if (num && entsize != sizeof(Elf32_Phdr))
      return uj_err_set(err, 0, "bad program header size %zu", entsize);
  }
  if (!in_bounds(len, phoff, (uint64_t) entsize * num))
    return uj_err_set(err, 0, "program headers beyond end of file");
  ph = calloc(num ? num : 1, sizeof *ph);
  if (!ph)
    return uj_err_set(err, ENOMEM, "program headers");
  for (size_t i = 0; i < num; i++) {
    const unsigned char *p = buf + phoff + i * entsize;
    if (is64) {
      Elf64_Phdr h;
      memcpy(&h, p, sizeof h);
      ph[i] = (struct phdr) { h.p_type, h.p_offset, h.p_vaddr, h.p_filesz };
    } else {
      Elf32_Phdr h;
      memcpy(&h, p, sizeof h);
      ph[i] = (struct phdr) { h.p_type, h.p_offset, h.p_vaddr, h.p_filesz };
    }
  }
  *out = ph;
  *n = num;
  return 0;
}

/* File offset of a virtual address, through the PT_LOAD segments. */
static int vaddr_to_off(const struct phdr *ph, size_t n, uint64_t vaddr, uint64_t *off)
{
  for (size_t i = 0; i < n; i++)
    if (ph[i].type == PT_LOAD && vaddr >= ph[i].vaddr && vaddr - ph[i].vaddr < ph[i].filesz) {
      *off = ph[i].offset + (vaddr - ph[i].vaddr);
      return 0;
    }
  return -1;
}

/* A NUL-terminated string at strtab[idx], all of it inside the table. */
static const char *strtab_get(const unsigned char *buf, uint64_t tab_off, uint64_t tab_size,
                              uint64_t idx)
{
  const char *s = (const char *) buf + tab_off + idx;
  if (idx >= tab_size || !memchr(s, '\0', tab_size - idx))
    return NULL;
  return s;
}

static int parse_dynamic(const unsigned char *buf, size_t len, bool is64, const struct phdr *ph,
                         size_t nph, const struct phdr *dyn, struct uj_elf_info *out,
                         struct uj_err *err)
{
  size_t entsize = is64 ? sizeof(Elf64_Dyn) : sizeof(Elf32_Dyn);
  uint64_t strtab = 0, strsz = 0, tab_off;
  bool have_strtab = false;
  int64_t rpath = -1, runpath = -1;
  cleanup_free uint64_t *needed = NULL;
  size_t n_needed = 0;

  if (!in_bounds(len, dyn->offset, dyn->filesz))
    return uj_err_set(err, 0, "dynamic section beyond end of file");
  needed = calloc(dyn->filesz / entsize + 1, sizeof *needed);
  if (!needed)
    return uj_err_set(err, ENOMEM, "dynamic section");
  for (uint64_t o = 0; o + entsize <= dyn->filesz; o += entsize) {
    int64_t tag;
    uint64_t val;
    if (is64) {
      Elf64_Dyn d;
      memcpy(&d, buf + dyn->offset + o, sizeof d);
      tag = d.d_tag, val = d.d_un.d_val;
    } else {
      Elf32_Dyn d;
      memcpy(&d, buf + dyn->offset + o, sizeof d);
      tag = d.d_tag, val = d.d_un.d_val;
    }
    if (tag == DT_NULL)
      break;
    switch (tag) {
    case DT_STRTAB: strtab = val, have_strtab = true; break;
    case DT_STRSZ: strsz = val; break;
    case DT_NEEDED: needed[n_needed++] = val; break;
    case DT_RPATH: rpath = (int64_t) val; break;
    case DT_RUNPATH: runpath = (int64_t) val; break;
    default: break;
    }
  }
  if (!n_needed && rpath < 0 && runpath < 0)
    return 0;
  if (!have_strtab || vaddr_to_off(ph, nph, strtab, &tab_off) < 0 ||
      !in_bounds(len, tab_off, strsz))
    return uj_err_set(err, 0, "string table missing or beyond end of file");
  for (size_t i = 0; i < n_needed; i++) {
    const char *s = strtab_get(buf, tab_off, strsz, needed[i]);
    if (!s || !*s)
      return uj_err_set(err, 0, "bad DT_NEEDED entry");
    if (uj_strv_push(&out->needed, s) < 0)
      return uj_err_set(err, ENOMEM, "DT_NEEDED");
  }
  if (rpath >= 0) {
    const char *s = strtab_get(buf, tab_off, strsz, (uint64_t) rpath);
    if (!s || !(out->rpath = strdup(s)))
      return uj_err_set(err, s ? ENOMEM : 0, "bad DT_RPATH entry");
  }
  if (runpath >= 0) {
    const char *s = strtab_get(buf, tab_off, strsz, (uint64_t) runpath);
    if (!s || !(out->runpath = strdup(s)))
      return uj_err_set(err, s ? ENOMEM : 0, "bad DT_RUNPATH entry");
  }
  return 0;
}

int uj_elf_parse(const unsigned char *buf, size_t len, struct uj_elf_info *out,
                 struct uj_err *err)
{
  cleanup_free struct phdr *ph = NULL;
  size_t nph = 0;
  bool is64;
  uint16_t machine;
  const struct phdr *dyn = NULL;

  memset(out, 0, sizeof *out);
  if (len < SELFMAG || memcmp(buf, ELFMAG, SELFMAG) != 0)
    return uj_err_set(err, 0, "not an ELF file");
  if (len < EI_NIDENT || (buf[EI_CLASS] != ELFCLASS32 && buf[EI_CLASS] != ELFCLASS64))
    return uj_err_set(err, 0, "unknown ELF class");
  is64 = buf[EI_CLASS] == ELFCLASS64;
  if (len < (is64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr)))
    return uj_err_set(err, 0, "truncated ELF header");
  if (!host_order(buf[EI_DATA]))
    return uj_err_set(err, 0, "ELF byte order differs from this machine's");
  memcpy(&machine, buf + offsetof(Elf64_Ehdr, e_machine), sizeof machine);
  out->elf_class = buf[EI_CLASS];
  out->machine = machine;
  if (read_phdrs(buf, len, is64, &ph, &nph, err) < 0)
    return -1;
  for (size_t i = 0; i < nph; i++) {
    if (ph[i].type == PT_INTERP && !out->interp) {
      const char *s = (const char *) buf + ph[i].offset;
      if (!in_bounds(len, ph[i].offset, ph[i].filesz) || ph[i].filesz < 2 ||
          !memchr(s, '\0', ph[i].filesz))
        goto bad_interp;
      out->interp = strdup(s);
      if (!out->interp) {
        uj_elf_info_free(out);
        return uj_err_set(err, ENOMEM, "PT_INTERP");
      }
    } else if (ph[i].type == PT_DYNAMIC && !dyn) {
      dyn = &ph[i];
    }
  }
  if (dyn && parse_dynamic(buf, len, is64, ph, nph, dyn, out, err) < 0) {
    uj_elf_info_free(out);
    return -1;
  }
  return 0;

bad_interp:
  uj_elf_info_free(out);
  return uj_err_set(err, 0, "bad PT_INTERP segment");
}

/* Append n bytes of s to the growing buffer b (length len, capacity cap). */
static int buf_add(char **b, size_t *len, size_t *cap, const char *s, size_t n)
{
  if (*len + n + 1 > *cap) {
    size_t nc = (*len + n + 1) * 2;
    char *nb = realloc(*b, nc);
    if (!nb)
      return -1;
    *b = nb;
    *cap = nc;
  }
  memcpy(*b + *len, s, n);
  *len += n;
  (*b)[*len] = '\0';
  return 0;
}

/* Match "$NAME" or "${NAME}" at p; returns its length or 0. */
static size_t match_var(const char *p, const char *name)
{
  size_t n = strlen(name);
  if (p[0] != '$')
    return 0;
  if (p[1] == '{' && strncmp(p + 2, name, n) == 0 && p[2 + n] == '}')
    return n + 3;
  if (strncmp(p + 1, name, n) == 0) {
    char c = p[1 + n];
    if (!(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')))
      return n + 1;
  }
  return 0;
}

int uj_elf_expand_path(const char *list, const char *origin_dir, const char *lib,
                       const char *platform, struct uj_strv *out)
{
  const char *p = list;

  while (*p) {
    const char *end = strchr(p, ':');
    size_t seglen = end ? (size_t) (end - p) : strlen(p);
    cleanup_free char *b = NULL;
    size_t blen = 0, cap = 0;

    if (buf_add(&b, &blen, &cap, "", 0) < 0)
      return -1;
    for (size_t i = 0; i < seglen;) {
      const char *vars[3][2] = { { "ORIGIN", origin_dir }, { "LIB", lib },
                                 { "PLATFORM", platform } };
      size_t m = 0;
      for (size_t v = 0; v < 3 && !m; v++) {
        m = match_var(p + i, vars[v][0]);
        if (m && i + m <= seglen) {
          if (buf_add(&b, &blen, &cap, vars[v][1], strlen(vars[v][1])) < 0)
            return -1;
        } else {
          m = 0;
        }
      }
      if (!m) {
        if (buf_add(&b, &blen, &cap, p + i, 1) < 0)
          return -1;
        m = 1;
      }
      i += m;
    }
    if (blen && !uj_strv_has(out, b) && uj_strv_push(out, b) < 0)
      return -1;
    p += seglen;
    if (*p == ':')
      p++;
  }
  return 0;
}

int uj_ldconf_parse(const char *text, const char *conf_dir, struct uj_strv *dirs,
                    struct uj_strv *includes)
{
  cleanup_free char *copy = strdup(text);
  char *save = NULL;

  if (!copy)
    return -1;
  for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
    char *hash = strchr(line, '#');
    char *end;
    if (hash)
      *hash = '\0';
    while (*line == ' ' || *line == '\t')
      line++;
    end = line + strlen(line);
    while (end > line && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
      *--end = '\0';
    if (!*line)
      continue;
    if (strncmp(line, "include", 7) == 0 && (line[7] == ' ' || line[7] == '\t')) {
      char *pat = line + 8;
      while (*pat == ' ' || *pat == '\t')
        pat++;
      if (*pat == '/') {
        if (uj_strv_push(includes, pat) < 0)
          return -1;
      } else if (*pat) {
        cleanup_free char *full = NULL;
        if (asprintf(&full, "%s/%s", conf_dir, pat) < 0 || uj_strv_push(includes, full) < 0)
          return -1;
      }
      continue;
    }
    if (strncmp(line, "hwcap", 5) == 0 && (line[5] == ' ' || line[5] == '\t'))
      continue;
    /* Old syntax allowed "dir=TYPE" and several dirs separated by blanks,
     * commas or colons; keep only absolute paths. */
    for (char *s2 = NULL, *d = strtok_r(line, " \t,:", &s2); d; d = strtok_r(NULL, " \t,:", &s2)) {
      char *eq = strchr(d, '=');
      if (eq)
        *eq = '\0';
      if (*d == '/' && !uj_strv_has(dirs, d) && uj_strv_push(dirs, d) < 0)
        return -1;
    }
  }
  return 0;
}

char *uj_shebang_interp(const unsigned char *buf, size_t len)
{
  size_t i = 2, start;

  if (len < 3 || buf[0] != '#' || buf[1] != '!')
    return NULL;
  while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
    i++;
  start = i;
  while (i < len && buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r' &&
         buf[i] != '\0')
    i++;
  if (i == start)
    return NULL;
  return strndup((const char *) buf + start, i - start);
}
