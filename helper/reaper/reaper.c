/* userjail-reaper: what the jail's PID 1 becomes once the root is built.
 *
 * Until then PID 1 is a fork of the helper (jail/init.c): it builds the
 * root, answers the monitor, drops every capability, blocks every signal,
 * and then executes this program, with the channel to the monitor (its
 * lifeline) as fd 3. From then on PID 1 only has two jobs: reap orphans
 * (every process of the namespace whose parent died is re-parented to it),
 * and end when the monitor hangs up (the kernel then kills the whole pid
 * namespace). An idle jail is this process and its monitor, so it is kept
 * tiny: no libc (its start-up alone dirties ~100 KiB), only the syscalls
 * below, no heap, no writable data. measured in `make bench` (memory).
 *
 * Built freestanding (-nostdlib -static, Makefile), x86_64 and aarch64.
 * Anything it cannot do (no signalfd) falls back to reaping once a second. */
#include <asm/unistd.h>
#include <linux/poll.h>
#include <linux/prctl.h>
#include <linux/signal.h>
#include <linux/signalfd.h>
#include <linux/time.h>
#include <linux/wait.h>

#define LIFELINE 3

#if defined(__x86_64__)
static long sys6(long n, long a, long b, long c, long d, long e)
{
  long r;
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  __asm__ volatile("syscall"
                   : "=a"(r)
                   : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8)
                   : "rcx", "r11", "memory");
  return r;
}
#elif defined(__aarch64__)
static long sys6(long n, long a, long b, long c, long d, long e)
{
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4) : "memory");
  return x0;
}
#else
#error "userjail-reaper: add this architecture's syscall instruction"
#endif

static void reap_all(void)
{
  /* wait4(-1, NULL, WNOHANG, NULL) until nothing is left to reap */
  while (sys6(__NR_wait4, -1, 0, WNOHANG, 0, 0) > 0)
    ;
}

__attribute__((noreturn, used)) void reaper_main(void)
{
  /* The name ps and /proc/1/comm show (an exec by fd would say "3"). */
  static const char name[] = "userjail-init";
  unsigned long chld = 1UL << (SIGCHLD - 1);
  char si[sizeof(struct signalfd_siginfo)];
  long sfd;

  sys6(__NR_prctl, PR_SET_NAME, (long) name, 0, 0, 0);
  /* Every signal stays blocked (inherited from the init); SIGCHLD is read
   * from a signalfd instead. */
  sfd = sys6(__NR_signalfd4, -1, (long) &chld, sizeof chld, SFD_CLOEXEC | SFD_NONBLOCK, 0);
  for (;;) {
    struct pollfd p[2] = { { .fd = LIFELINE, .events = POLLIN }, { .fd = (int) sfd, .events = POLLIN } };
    struct __kernel_timespec second = { .tv_sec = 1 };

    reap_all();
    long n = sys6(__NR_ppoll, (long) p, sfd >= 0 ? 2 : 1, sfd >= 0 ? 0 : (long) &second, 0, 0);
    if (n < 0)
      continue;
    /* The monitor never writes after "go": readable or hung up means gone
     * (and an invalid fd 3, POLLNVAL, means this was not started by one). */
    if (p[0].revents)
      sys6(__NR_exit_group, 0, 0, 0, 0, 0);
    while (sfd >= 0 && sys6(__NR_read, sfd, (long) si, sizeof si, 0, 0) == (long) sizeof si)
      ;
  }
}

/* The entry point: the kernel starts us with the stack 16-byte aligned and
 * no return address; reaper_main never returns. */
#if defined(__x86_64__)
__asm__(".globl _start\n_start:\n  xor %rbp, %rbp\n  and $-16, %rsp\n  call reaper_main\n  hlt\n");
#elif defined(__aarch64__)
__asm__(".globl _start\n_start:\n  mov x29, #0\n  mov x30, #0\n  bl reaper_main\n");
#endif
