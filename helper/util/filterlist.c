/* The default seccomp filter's deny list (see util/filterlist.h). Every
 * entry is kernel attack surface a login user does not need and no other
 * sandbox leaves open by default (Docker, systemd's SystemCallFilter=@system-
 * service, bubblewrap/flatpak refuse the same). Keep README.md's "seccomp"
 * section and userjail.conf(5) in step with this list. */
#include "util/filterlist.h"

#include <string.h>
#include <sys/ioctl.h>

const struct uj_filter_entry uj_filter_entries[] = {
  /* The kernel keyring is per uid, not per namespace: a jailed process
   * would share (and could read or poison) the keys of the same uid's
   * sessions outside the jail. */
  { "keyctl", UJ_FILTER_SYSCALL, 0, "kernel keyring (shared with the uid outside the jail)" },
  { "add_key", UJ_FILTER_SYSCALL, 0, "kernel keyring" },
  { "request_key", UJ_FILTER_SYSCALL, 0, "kernel keyring" },
  /* Pushing input into a terminal: a jailed process holding any tty fd
   * could type commands into whoever reads that terminal. */
  { "TIOCSTI", UJ_FILTER_IOCTL, TIOCSTI, "fake terminal input (CVE-2016-2779 class)" },
  { "TIOCLINUX", UJ_FILTER_IOCTL, TIOCLINUX, "virtual console selection paste" },
  /* Privileged anyway (no capability survives into the jail); refused
   * so a kernel bug in the permission check is not reachable. */
  { "kexec_load", UJ_FILTER_SYSCALL, 0, "load a new kernel" },
  { "kexec_file_load", UJ_FILTER_SYSCALL, 0, "load a new kernel" },
  { "init_module", UJ_FILTER_SYSCALL, 0, "load a kernel module" },
  { "finit_module", UJ_FILTER_SYSCALL, 0, "load a kernel module" },
  { "delete_module", UJ_FILTER_SYSCALL, 0, "unload a kernel module" },
  { "open_by_handle_at", UJ_FILTER_SYSCALL, 0, "open files by handle, bypassing the jail's root (Shocker)" },
  /* Large kernel surfaces reachable unprivileged on some settings. */
  { "bpf", UJ_FILTER_SYSCALL, 0, "eBPF programs and maps" },
  { "perf_event_open", UJ_FILTER_SYSCALL, 0, "performance counters (side channels, kernel bugs)" },
  { "userfaultfd", UJ_FILTER_SYSCALL, 0, "stalls kernel copies (a common exploit primitive)" },
};
const size_t uj_filter_n_entries = sizeof uj_filter_entries / sizeof uj_filter_entries[0];

_Static_assert(sizeof uj_filter_entries / sizeof uj_filter_entries[0] <= 32,
               "allow-back lists are 32-bit masks");

int uj_filter_index(const char *name)
{
  for (size_t i = 0; i < uj_filter_n_entries; i++)
    if (strcmp(uj_filter_entries[i].name, name) == 0)
      return (int) i;
  return -1;
}
