/* A jail's description, resolved before any namespace exists so that the
 * jail's init never consults passwd or the config. Pure: no syscalls. */
#include <errno.h>
#include <sched.h>
#include <string.h>

#include "cgroup/cgroup.h"
#include "jail/jail.h"
#include "util/text.h"

int uj_jail_spec_init(struct uj_jail_spec *spec, const struct uj_settings *s, const char *user,
                      uid_t uid, gid_t gid, const char *home, struct uj_err *err)
{
  memset(spec, 0, sizeof *spec);
  spec->s = s;
  spec->user = user;
  spec->uid = uid;
  spec->gid = gid;
  spec->home = home;
  spec->cgroup_root = UJ_CGROUP_ROOT;
  spec->ns_flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC;
  if (s->network == UJ_NET_NONE || s->network == UJ_NET_PRIVATE)
    spec->ns_flags |= CLONE_NEWNET;
  if (uj_expand_pattern(s->hostname, user, uid, spec->hostname, sizeof spec->hostname) < 0)
    return uj_err_set(err, EINVAL, "hostname pattern '%s' is too long for %s", s->hostname, user);
  /* User names may hold characters a hostname may not ("a_b"): map them
   * to '-' rather than refuse the login. */
  for (char *p = spec->hostname; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
          *p == '-' || *p == '.'))
      *p = '-';
  if (!uj_valid_hostname(spec->hostname))
    return uj_err_set(err, EINVAL, "hostname pattern '%s' gives no valid hostname for %s",
                      s->hostname, user);
  if (!home || home[0] != '/' || !uj_path_is_clean(home))
    return uj_err_set(err, EINVAL, "home directory '%s' of %s is not a clean absolute path",
                      home ? home : "", user);
  return 0;
}

