/* Unit tests for helper/jail/seccomp.c and util/filterlist.c: the filter
 * built from settings, installed (with uj_enter_filter, as a session does)
 * in a forked child, refuses exactly what it should: the filtered calls
 * answer EPERM (clone3 ENOSYS), everything else reaches the kernel, and the
 * per-rule switches let their entries through. Its answers to 32-bit
 * (int 0x80) calls are read from the program itself: a machine may have no
 * such entry to call (a PVM guest faults on int 0x80). */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/enter.h"
#include "jail/seccomp.h"
#include "util/filterlist.h"

/* What each probe returns: 0 = reached the kernel, else the filter's errno. */
enum probe { P_KEYCTL, P_ADD_KEY, P_TIOCSTI, P_TIOCSTI_HIGH, P_UNSHARE_USER, P_CLONE3, P_BPF,
             P_GETPID, P_UNSHARE_UTS, P_NNP, N_PROBES };

static int errno_of(long r)
{
  return r < 0 && (errno == EPERM || errno == ENOSYS) ? errno : 0;
}

static void run_probes(int *out)
{
  char c = 'x';
  out[P_KEYCTL] = errno_of(syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0));
  out[P_ADD_KEY] = errno_of(syscall(SYS_add_key, "user", "ujt", "v", 1, KEY_SPEC_PROCESS_KEYRING));
  /* fd -1: the kernel would say EBADF, so EPERM can only be the filter's */
  out[P_TIOCSTI] = errno_of(syscall(SYS_ioctl, -1, TIOCSTI, &c));
  out[P_TIOCSTI_HIGH] = errno_of(syscall(SYS_ioctl, -1, (unsigned long) TIOCSTI | (1UL << 32), &c));
  /* flags with an invalid bit beside NEWUSER: the kernel says EINVAL */
  out[P_UNSHARE_USER] = errno_of(syscall(SYS_unshare, CLONE_NEWUSER | 0x1UL));
  out[P_CLONE3] = errno_of(syscall(SYS_clone3, NULL, 0));
  out[P_BPF] = errno_of(syscall(SYS_bpf, -1, NULL, 0));
  out[P_GETPID] = errno_of(syscall(SYS_getpid));
  out[P_UNSHARE_UTS] = errno_of(syscall(SYS_unshare, CLONE_NEWUTS | 0x1UL));
  out[P_NNP] = prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

/* Build the filter for s, install it in a child, run the probes there. */
static void probe_in(const char *cache_dir, const struct uj_settings *s, int *out)
{
  struct uj_filter_msg *f = calloc(1, sizeof *f);
  struct uj_err err;
  int p[2];
  pid_t pid;

  assert_non_null(f);
  f->magic = UJ_FILTER_MAGIC;
  assert_int_equal(uj_seccomp_build(cache_dir, s, f->insns, UJ_MAX_FILTER, &f->n, &err), 0);
  assert_int_equal(pipe(p), 0);
  pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    int res[N_PROBES];
    if (uj_enter_filter(f, &err) < 0)
      _exit(1);
    run_probes(res);
    _exit(write(p[1], res, sizeof res) == (ssize_t) sizeof res ? 0 : 1);
  }
  close(p[1]);
  assert_int_equal(read(p[0], out, sizeof(int) * N_PROBES), (ssize_t) (sizeof(int) * N_PROBES));
  close(p[0]);
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  free(f);
}

static void probe_with(const struct uj_settings *s, int *out)
{
  probe_in(NULL, s, out);
}

static void test_default_filter(void **state)
{
  const struct uj_settings s = { .seccomp = true };
  int r[N_PROBES];
  (void) state;

  probe_with(&s, r);
  assert_int_equal(r[P_KEYCTL], EPERM);
  assert_int_equal(r[P_ADD_KEY], EPERM);
  assert_int_equal(r[P_TIOCSTI], EPERM);
  assert_int_equal(r[P_TIOCSTI_HIGH], EPERM);
  assert_int_equal(r[P_UNSHARE_USER], EPERM);
  assert_int_equal(r[P_CLONE3], ENOSYS);
  assert_int_equal(r[P_BPF], EPERM);
  assert_int_equal(r[P_GETPID], 0);
  assert_int_equal(r[P_UNSHARE_UTS], 0); /* EINVAL from the kernel, not the filter */
  assert_int_equal(r[P_NNP], 1);
}

static void test_switches(void **state)
{
  struct uj_settings s = { .seccomp = true, .userns = true };
  int r[N_PROBES];
  (void) state;

  s.seccomp_allow = (1u << uj_filter_index("keyctl")) | (1u << uj_filter_index("TIOCSTI"));
  probe_with(&s, r);
  assert_int_equal(r[P_KEYCTL], 0);
  assert_int_equal(r[P_ADD_KEY], EPERM);
  assert_int_equal(r[P_TIOCSTI], 0);
  assert_int_equal(r[P_UNSHARE_USER], 0);
  assert_int_equal(r[P_CLONE3], 0);
  assert_int_equal(r[P_BPF], EPERM);

  /* seccomp = false: no program at all */
  struct uj_settings off = { .seccomp = false };
  struct sock_filter prog[UJ_MAX_FILTER];
  uint32_t n = 99;
  struct uj_err err;
  assert_int_equal(uj_seccomp_build(NULL, &off, prog, UJ_MAX_FILTER, &n, &err), 0);
  assert_int_equal(n, 0);
}

/* A session's filter read back from the cache (seccomp_cache.c) refuses
 * exactly what a freshly built one does, and the cache is keyed by the
 * settings: a rule that allows keyctl back does not get the default's. */
static void test_cached_filter(void **state)
{
  char dir[] = "/tmp/ujt-seccomp-XXXXXX";
  const struct uj_settings def = { .seccomp = true };
  struct uj_settings allow = { .seccomp = true };
  char path[300];
  int r[N_PROBES];
  (void) state;

  assert_non_null(mkdtemp(dir));
  assert_int_equal(chmod(dir, 0700), 0);
  allow.seccomp_allow = 1u << uj_filter_index("keyctl");
  for (int round = 0; round < 2; round++) { /* built and stored, then read */
    probe_in(dir, &def, r);
    assert_int_equal(r[P_KEYCTL], EPERM);
    assert_int_equal(r[P_TIOCSTI], EPERM);
    assert_int_equal(r[P_UNSHARE_USER], EPERM);
    assert_int_equal(r[P_CLONE3], ENOSYS);
    assert_int_equal(r[P_GETPID], 0);
    probe_in(dir, &allow, r);
    assert_int_equal(r[P_KEYCTL], 0);
    assert_int_equal(r[P_TIOCSTI], EPERM);
  }
  snprintf(path, sizeof path, "%s/seccomp-%016llx.bpf", dir,
           (unsigned long long) uj_seccomp_key(&def));
  assert_int_equal(access(path, R_OK), 0);
  assert_int_equal(unlink(path), 0);
  snprintf(path, sizeof path, "%s/seccomp-%016llx.bpf", dir,
           (unsigned long long) uj_seccomp_key(&allow));
  assert_int_equal(unlink(path), 0);
  assert_int_equal(rmdir(dir), 0);
}

/* The verdict of a classic-BPF seccomp program for one call, the way the
 * kernel runs it. Only what a seccomp program may use is known; anything
 * else fails the test rather than guess. */
static uint32_t verdict(const struct sock_filter *prog, uint32_t n, const struct seccomp_data *d)
{
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = { 0 };

  for (uint32_t pc = 0; pc < n; pc++) {
    const struct sock_filter *f = &prog[pc];
    uint32_t k = f->k;
    bool jump = false;
    switch (f->code) {
    case BPF_LD | BPF_W | BPF_ABS:
      assert_true(k % 4 == 0 && k + 4 <= sizeof *d);
      memcpy(&A, (const char *) d + k, 4);
      continue;
    case BPF_LD | BPF_IMM: A = k; continue;
    case BPF_LDX | BPF_IMM: X = k; continue;
    case BPF_LD | BPF_MEM: assert_true(k < BPF_MEMWORDS); A = M[k]; continue;
    case BPF_LDX | BPF_MEM: assert_true(k < BPF_MEMWORDS); X = M[k]; continue;
    case BPF_ST: assert_true(k < BPF_MEMWORDS); M[k] = A; continue;
    case BPF_STX: assert_true(k < BPF_MEMWORDS); M[k] = X; continue;
    case BPF_ALU | BPF_AND | BPF_K: A &= k; continue;
    case BPF_ALU | BPF_OR | BPF_K: A |= k; continue;
    case BPF_MISC | BPF_TAX: X = A; continue;
    case BPF_MISC | BPF_TXA: A = X; continue;
    case BPF_JMP | BPF_JA: pc += k; continue;
    case BPF_JMP | BPF_JEQ | BPF_K: jump = A == k; break;
    case BPF_JMP | BPF_JGT | BPF_K: jump = A > k; break;
    case BPF_JMP | BPF_JGE | BPF_K: jump = A >= k; break;
    case BPF_JMP | BPF_JSET | BPF_K: jump = (A & k) != 0; break;
    case BPF_JMP | BPF_JEQ | BPF_X: jump = A == X; break;
    case BPF_JMP | BPF_JGT | BPF_X: jump = A > X; break;
    case BPF_JMP | BPF_JGE | BPF_X: jump = A >= X; break;
    case BPF_RET | BPF_K: return k;
    case BPF_RET | BPF_A: return A;
    default:
      fail_msg("instruction %u: opcode 0x%x is not interpreted here", pc, f->code);
    }
    pc += jump ? f->jt : f->jf;
  }
  fail_msg("the program runs off its end");
  return 0;
}

/* 32-bit calls on x86_64 go through int 0x80 with i386 numbers; the filter
 * must refuse the same calls there (helper/jail/seccomp.c adds the x86 architecture),
 * not let them through nor kill the caller as a foreign architecture. */
static void test_i386_calls(void **state)
{
  (void) state;
#ifdef __x86_64__
  const struct uj_settings s = { .seccomp = true };
  struct sock_filter prog[UJ_MAX_FILTER];
  uint32_t n = 0;
  struct uj_err err;
  const uint32_t eperm = SECCOMP_RET_ERRNO | EPERM;
  /* i386 numbers (arch/x86/entry/syscalls/syscall_32.tbl) */
  const struct { int nr; uint32_t want; } i386[] = {
    { 288, eperm },              /* keyctl */
    { 286, eperm },              /* add_key */
    { 287, eperm },              /* request_key */
    { 357, eperm },              /* bpf */
    { 20, SECCOMP_RET_ALLOW },   /* getpid */
    { 3, SECCOMP_RET_ALLOW },    /* read */
  };

  assert_int_equal(uj_seccomp_build(NULL, &s, prog, UJ_MAX_FILTER, &n, &err), 0);
  assert_true(n > 0);
  for (size_t i = 0; i < sizeof i386 / sizeof i386[0]; i++) {
    struct seccomp_data d = { .nr = i386[i].nr, .arch = AUDIT_ARCH_I386 };
    uint32_t v = verdict(prog, n, &d);
    if (v != i386[i].want)
      fail_msg("i386 call %d: verdict 0x%x, want 0x%x", i386[i].nr, v, i386[i].want);
  }
  /* The interpreter agrees with the kernel on the native calls that
   * test_default_filter makes for real. */
  struct seccomp_data d = { .nr = SYS_keyctl, .arch = AUDIT_ARCH_X86_64 };
  assert_int_equal(verdict(prog, n, &d), eperm);
  d.nr = SYS_getpid;
  assert_int_equal(verdict(prog, n, &d), SECCOMP_RET_ALLOW);
#else
  skip();
#endif
}

static void test_filterlist(void **state)
{
  (void) state;
  assert_true(uj_filter_n_entries <= 32);
  assert_int_equal(uj_filter_index("keyctl"), 0);
  assert_true(uj_filter_index("TIOCSTI") > 0);
  assert_int_equal(uj_filter_index("mount"), -1);
  assert_int_equal(uj_filter_index("KEYCTL"), -1);
  for (size_t i = 0; i < uj_filter_n_entries; i++)
    assert_int_equal(uj_filter_index(uj_filter_entries[i].name), (int) i);
  /* a malformed message is refused before anything is installed */
  struct uj_filter_msg bad = { .magic = 0, .n = 1 };
  struct uj_err err;
  assert_int_equal(uj_enter_filter(&bad, &err), -1);
  assert_int_equal(uj_enter_filter(NULL, &err), -1);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_default_filter),
    cmocka_unit_test(test_switches),
    cmocka_unit_test(test_cached_filter),
    cmocka_unit_test(test_i386_calls),
    cmocka_unit_test(test_filterlist),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
