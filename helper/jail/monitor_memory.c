/* What an idle monitor gives back (monitor.c calls these a second after
 * its last activity): the helper's dirtied stack and heap, and the page
 * table entries of code the idle loop never runs again. */
#include <inttypes.h>
#include <malloc.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "jail/monitor.h"

/* Give back the pages that resolving the user dirtied (NSS and libconfig
 * go deep into the stack and the heap) before the init is cloned from us:
 * an idle jail is these two processes, and their memory is its cost. The
 * stack below our frame is dead by the ABI (beyond the 128-byte red zone). */
void uj_monitor_trim_memory(void)
{
  char line[256];
  FILE *f = fopen("/proc/self/maps", "re");
  uintptr_t lo, hi, sp = (uintptr_t) __builtin_frame_address(0);
  long page = sysconf(_SC_PAGESIZE);

  while (f && fgets(line, sizeof line, f)) {
    if (strstr(line, "[stack]") && sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &lo, &hi) == 2) {
      uintptr_t end = (sp - 2 * (uintptr_t) page) & ~((uintptr_t) page - 1);
      if (end > lo)
        madvise((void *) lo, end - lo, MADV_DONTNEED);
    }
  }
  if (f)
    fclose(f);
  malloc_trim(0);
}

/* Once the jail runs, the monitor idles in poll() and wakes for a login now
 * and then; the code it ran to get there (the helper's: config, cgroup
 * set-up, clone) stays mapped in its page tables, and an idle jail's PSS is
 * what the benchmark holds us to. Drop the PTEs of read-only file mappings
 * that hold no private page of ours: text and constants come back from the
 * page cache on their next use (a minor fault), and those the idle loop
 * never touches stop being counted against the jail. A mapping with private
 * pages (a relocated GOT made read-only by RELRO) is never touched: dropping
 * them would bring back the unrelocated file contents.
 *
 * `rescan`: find those mappings in /proc/self/smaps (after a login, when
 * the mappings may have changed); otherwise drop the ones found last time.
 * That is what a v1 jail's periodic check (events.c, every few seconds)
 * does: each wakeup faults libc's and our text back in 64 KiB windows
 * (the kernel's fault-around), and reading smaps each time would cost more
 * than it gives back. */
#define TRIM_RANGES 32
static struct { uintptr_t lo, hi; } trim_ranges[TRIM_RANGES];
static size_t n_trim_ranges;

void uj_monitor_trim_text(bool rescan)
{
  char line[512];
  FILE *f;
  uintptr_t lo = 0, hi = 0;
  unsigned long inode = 0;
  char perms[8] = "";

  if (rescan && (f = fopen("/proc/self/smaps", "re"))) {
    n_trim_ranges = 0;
    while (fgets(line, sizeof line, f)) {
      uintptr_t a, b;
      unsigned long kb, ino;
      char pm[8];
      /* a mapping's first line; the others start with a key ("Anonymous:",
       * whose "A" a partial match would take for an address) */
      if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %7s %*s %*s %lu", &a, &b, pm, &ino) == 4) {
        lo = a, hi = b, inode = ino;
        memcpy(perms, pm, sizeof perms);
        continue;
      }
      if (sscanf(line, "Anonymous: %lu kB", &kb) == 1 && kb == 0 && inode != 0 &&
          perms[0] == 'r' && perms[1] == '-' && perms[3] == 'p' && hi > lo &&
          n_trim_ranges < TRIM_RANGES) {
        trim_ranges[n_trim_ranges].lo = lo;
        trim_ranges[n_trim_ranges++].hi = hi;
      }
    }
    fclose(f);
  }
  for (size_t i = 0; i < n_trim_ranges; i++)
    madvise((void *) trim_ranges[i].lo, trim_ranges[i].hi - trim_ranges[i].lo, MADV_DONTNEED);
}
