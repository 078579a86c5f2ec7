/* Builds the seccomp program every jailed session runs under. The list of
 * what it refuses is util/filterlist.c; this file turns it (minus the
 * rule's seccomp_allow) into libseccomp rules, adds the user-namespace
 * rules, and exports classic BPF for uj_enter() to install.
 *
 * Why build here and install there: the filter must be in place before
 * sshd forks the user's shell, i.e. in sshd's session process, which runs
 * our PAM module. Linking libseccomp into sshd's address space, or into the
 * helper that a jail's monitor and init are forked from (their memory is
 * benchmarked per idle jail), is avoided by building the program in this
 * short-lived helper with a dlopen()ed libseccomp and sending the bytes. */
#include "jail/seccomp.h"

#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <fcntl.h>
#include <sched.h>
#include <seccomp.h>
#include <string.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "util/filterlist.h"
#include "util/text.h"

struct lib {
  void *h;
  scmp_filter_ctx (*init)(uint32_t);
  void (*release)(scmp_filter_ctx);
  int (*arch_add)(scmp_filter_ctx, uint32_t);
  int (*resolve)(const char *);
  int (*rule_add_array)(scmp_filter_ctx, uint32_t, int, unsigned int,
                        const struct scmp_arg_cmp *);
  int (*export_bpf)(const scmp_filter_ctx, int);
};

static int lib_open(struct lib *l, struct uj_err *err)
{
  /* The soname: resolved through ld.so.cache, the helper's environment is
   * empty (no LD_LIBRARY_PATH). */
  l->h = dlopen("libseccomp.so.2", RTLD_NOW | RTLD_LOCAL);
  if (!l->h)
    return uj_err_set(err, ENOENT, "seccomp: cannot load libseccomp.so.2 (install libseccomp2, "
                      "or set seccomp = false): %s", dlerror());
#define SYM(f, name)                                                                  \
  if (!(*(void **) &l->f = dlsym(l->h, name))) {                                       \
    dlclose(l->h);                                                                     \
    return uj_err_set(err, ENOENT, "seccomp: libseccomp has no %s", name);             \
  }
  SYM(init, "seccomp_init");
  SYM(release, "seccomp_release");
  SYM(arch_add, "seccomp_arch_add");
  SYM(resolve, "seccomp_syscall_resolve_name");
  SYM(rule_add_array, "seccomp_rule_add_array");
  SYM(export_bpf, "seccomp_export_bpf");
#undef SYM
  return 0;
}

/* A syscall this libseccomp or architecture does not know cannot be called
 * either: nothing to refuse. */
static int refuse(struct lib *l, scmp_filter_ctx ctx, uint32_t action, const char *name,
                  unsigned n, const struct scmp_arg_cmp *cmp, struct uj_err *err)
{
  int nr = l->resolve(name);
  int r;

  if (nr == __NR_SCMP_ERROR)
    return 0;
  r = l->rule_add_array(ctx, action, nr, n, cmp);
  if (r < 0)
    return uj_err_set(err, -r, "seccomp: rule for %s", name);
  return 0;
}

static int add_rules(struct lib *l, scmp_filter_ctx ctx, const struct uj_settings *s,
                     struct uj_err *err)
{
  const uint32_t eperm = SCMP_ACT_ERRNO(EPERM);

#ifdef __x86_64__
  /* 32-bit (int 0x80) and x32 calls are filtered by their own numbers
   * instead of being killed as a foreign architecture. */
  int r = l->arch_add(ctx, SCMP_ARCH_X86);
  if (r < 0 && r != -EEXIST)
    return uj_err_set(err, -r, "seccomp: add architecture x86");
  r = l->arch_add(ctx, SCMP_ARCH_X32);
  if (r < 0 && r != -EEXIST)
    return uj_err_set(err, -r, "seccomp: add architecture x32");
#endif
  for (size_t i = 0; i < uj_filter_n_entries; i++) {
    const struct uj_filter_entry *e = &uj_filter_entries[i];
    if (s->seccomp_allow & (1u << i))
      continue;
    if (e->kind == UJ_FILTER_SYSCALL) {
      if (refuse(l, ctx, eperm, e->name, 0, NULL, err) < 0)
        return -1;
    } else {
      /* The kernel reads the request as a 32-bit int: compare only the low
       * 32 bits, or a caller setting high bits would slip past. */
      struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xffffffffu, e->value);
      if (refuse(l, ctx, eperm, "ioctl", 1, &c, err) < 0)
        return -1;
    }
  }
  if (!s->userns) {
    struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, CLONE_NEWUSER, CLONE_NEWUSER);
    if (refuse(l, ctx, eperm, "unshare", 1, &c, err) < 0 ||
        refuse(l, ctx, eperm, "clone", 1, &c, err) < 0)
      return -1;
    /* clone3 passes its flags in memory, which seccomp cannot read: report
     * it missing, and libc (glibc >= 2.34) falls back to clone, which is
     * filtered above. Container runtimes do the same. */
    if (refuse(l, ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL, err) < 0)
      return -1;
  }
  return 0;
}

static int export(struct lib *l, scmp_filter_ctx ctx, struct sock_filter *out, uint32_t max,
                  uint32_t *n, struct uj_err *err)
{
  cleanup_close int rd = -1, wr = -1;
  int p[2], r;
  size_t got = 0;

  if (pipe2(p, O_CLOEXEC) < 0)
    return uj_err_set(err, errno, "seccomp: pipe");
  rd = p[0];
  wr = p[1];
  /* A program of max instructions fits the pipe buffer (64 KiB). */
  r = l->export_bpf(ctx, wr);
  if (r < 0)
    return uj_err_set(err, -r, "seccomp: export the filter");
  close(wr);
  wr = -1;
  for (;;) {
    ssize_t k = read(rd, (char *) out + got, max * sizeof *out - got);
    if (k < 0 && errno == EINTR)
      continue;
    if (k < 0)
      return uj_err_set(err, errno, "seccomp: read the filter");
    if (k == 0)
      break;
    got += (size_t) k;
    if (got == max * sizeof *out) {
      char extra;
      if (read(rd, &extra, 1) > 0)
        return uj_err_set(err, E2BIG, "seccomp: filter longer than %u instructions", max);
      break;
    }
  }
  if (got == 0 || got % sizeof *out)
    return uj_err_set(err, EIO, "seccomp: exported filter has %zu bytes", got);
  *n = (uint32_t) (got / sizeof *out);
  return 0;
}

uint64_t uj_seccomp_key(const struct uj_settings *s)
{
  char buf[256];
  uint64_t h;
  int k = snprintf(buf, sizeof buf, "userjail-seccomp-1 allow=%x userns=%d", s->seccomp_allow,
                   s->userns ? 1 : 0);

  h = uj_text_hash(buf, (size_t) k);
  /* The filter list is data compiled in: a program built from another
   * list (another userjail release) has another key. */
  for (size_t i = 0; i < uj_filter_n_entries; i++) {
    const struct uj_filter_entry *e = &uj_filter_entries[i];
    k = snprintf(buf, sizeof buf, "%llx|%s|%d|%lx", (unsigned long long) h, e->name, (int) e->kind,
                 e->value);
    h = uj_text_hash(buf, (size_t) k);
  }
  return h;
}

int uj_seccomp_build(const char *cache_dir, const struct uj_settings *s, struct sock_filter *out,
                     uint32_t max, uint32_t *n, struct uj_err *err)
{
  struct lib l;
  struct link_map *lm = NULL;
  scmp_filter_ctx ctx;
  uint64_t key;
  int r = -1;

  *n = 0;
  if (!s->seccomp)
    return 0;
  key = uj_seccomp_key(s);
  if (uj_seccomp_cache_load(cache_dir, key, out, max, n) == 0)
    return 0;
  if (lib_open(&l, err) < 0)
    return -1;
  ctx = l.init(SCMP_ACT_ALLOW);
  if (!ctx) {
    uj_err_set(err, ENOMEM, "seccomp: init");
  } else {
    if (add_rules(&l, ctx, s, err) == 0 && export(&l, ctx, out, max, n, err) == 0)
      r = 0;
    l.release(ctx);
  }
  /* Stored with the identity of the library that built it. */
  if (r == 0 && dlinfo(l.h, RTLD_DI_LINKMAP, &lm) == 0 && lm && lm->l_name && lm->l_name[0] == '/')
    uj_seccomp_cache_store(cache_dir, key, lm->l_name, out, *n);
  dlclose(l.h);
  return r;
}
