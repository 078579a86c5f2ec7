/* Tries, from inside a jail, the kernel calls the default seccomp filter
 * refuses, and prints one line per attempt: "NAME=OK" when the call was let
 * through to the kernel (whatever the kernel then said, as long as it was
 * not the filter's answer), "NAME=EPERM" / "NAME=ENOSYS" otherwise.
 * Built by tests/integration/test_attacks.sh; not part of the product.
 *
 * The filter answers EPERM (ENOSYS for clone3). Each call is made with
 * arguments for which the kernel itself would answer something else
 * (EFAULT, EINVAL, EBADF, ENOTTY, a key id ...), so EPERM means "filtered". */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/keyctl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void show(const char *name, long r)
{
  if (r >= 0 || (errno != EPERM && errno != ENOSYS))
    printf("%s=OK\n", name);
  else
    printf("%s=%s\n", name, errno == EPERM ? "EPERM" : "ENOSYS");
}

static void *thread_fn(void *arg) { return arg; }

int main(void)
{
  char c = 'x';
  long r;

  errno = 0;
  r = syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0);
  show("keyctl", r);
  r = syscall(SYS_add_key, "user", "ujt", "v", 1, KEY_SPEC_PROCESS_KEYRING);
  show("add_key", r);
  r = syscall(SYS_request_key, "user", "ujt-none", NULL, 0);
  show("request_key", r);
  /* fd 0 may or may not be a tty: the kernel says ENOTTY or EIO/EPERM
   * (5.x without CAP_SYS_ADMIN on a foreign tty) -- so run it on a pty we
   * own: the filter's EPERM is the only EPERM possible there. */
  {
    int m = posix_openpt(O_RDWR | O_NOCTTY);
    if (m >= 0 && grantpt(m) == 0 && unlockpt(m) == 0) {
      int s = open(ptsname(m), O_RDWR | O_NOCTTY);
      /* TIOCSTI needs the tty to be our controlling tty or CAP_SYS_ADMIN:
       * make it ours in a new session. */
      fflush(stdout);
      pid_t p = fork();
      if (p == 0) {
        setsid();
        ioctl(s, TIOCSCTTY, 0);
        errno = 0;
        r = ioctl(s, TIOCSTI, &c);
        show("TIOCSTI", r);
        /* high bits set: the kernel ignores them, the filter must too */
        r = syscall(SYS_ioctl, s, (unsigned long) TIOCSTI | (1UL << 32), &c);
        show("TIOCSTI_HIGHBITS", r);
        r = ioctl(s, TIOCLINUX, &c);
        show("TIOCLINUX", r);
        fflush(stdout);
        _exit(0);
      }
      waitpid(p, NULL, 0);
    } else {
      printf("TIOCSTI=NOPTY\n");
    }
  }
  r = syscall(SYS_ioctl, 0, TIOCSTI, &c);
  show("TIOCSTI_FD0", r);
  /* in a child: a successful unshare would move this process */
  fflush(stdout);
  {
    pid_t p = fork();
    if (p == 0) {
      r = unshare(CLONE_NEWUSER);
      show("unshare_user", r);
      fflush(stdout);
      _exit(0);
    }
    waitpid(p, NULL, 0);
  }
  fflush(stdout);
  r = syscall(SYS_clone, (unsigned long) CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
  if (r == 0)
    _exit(0);
  if (r > 0)
    waitpid((pid_t) r, NULL, 0);
  show("clone_user", r);
  r = syscall(SYS_clone3, NULL, 0);
  show("clone3", r);
  r = syscall(SYS_bpf, 0, NULL, 0);
  show("bpf", r);
  r = syscall(SYS_perf_event_open, NULL, 0, -1, -1, 0);
  show("perf_event_open", r);
  /* UFFD_USER_MODE_ONLY (1): allowed unprivileged since 5.11 */
  r = syscall(SYS_userfaultfd, 1);
  show("userfaultfd", r);
  r = syscall(SYS_open_by_handle_at, -1, NULL, 0);
  show("open_by_handle_at", r);
  r = syscall(SYS_kexec_load, 0, 0, NULL, 0);
  show("kexec_load", r);
  r = syscall(SYS_init_module, NULL, 0, "");
  show("init_module", r);
  r = syscall(SYS_finit_module, -1, "", 0);
  show("finit_module", r);
  r = syscall(SYS_delete_module, "ujt_none", 0);
  show("delete_module", r);
#ifdef __x86_64__
  /* The same keyctl through the 32-bit entry (int 0x80, i386 number 288):
   * a filter for x86_64 numbers only would miss it. Tried in a child: some
   * machines have no such entry at all (a PVM guest answers int 0x80 with a
   * general protection fault, SIGSEGV), and the answers printed after this
   * one must survive that. */
  {
    fflush(stdout);
    pid_t p = fork();
    if (p == 0) {
      long ret;
      __asm__ volatile("int $0x80" : "=a"(ret) : "a"(288L), "b"(0L), "c"(-3L), "d"(0L) : "memory");
      errno = ret < 0 ? (int) -ret : 0;
      show("keyctl_i386", ret < 0 ? -1 : ret);
      fflush(stdout);
      _exit(0);
    }
    int st = 0;
    if (p > 0 && waitpid(p, &st, 0) == p && WIFSIGNALED(st))
      printf("keyctl_i386=NOENTRY %d\n", WTERMSIG(st)); /* the signal */
    else if (p < 0)
      printf("keyctl_i386=FORKFAIL\n");
  }
#endif
  /* Everyday things still work: fork, threads (glibc tries clone3 first,
   * falls back to clone on ENOSYS), a plain unshare that needs no userns. */
  {
    pthread_t t;
    fflush(stdout);
    int ok = pthread_create(&t, NULL, thread_fn, NULL) == 0 && pthread_join(t, NULL) == 0;
    printf("thread=%s\n", ok ? "OK" : "FAIL");
    pid_t p = fork();
    if (p == 0)
      _exit(3);
    int st = 0;
    waitpid(p, &st, 0);
    printf("fork=%s\n", WIFEXITED(st) && WEXITSTATUS(st) == 3 ? "OK" : "FAIL");
  }
  return 0;
}
