/* The settings value of the configuration: built-in defaults, the deep
 * copy every rule starts from, and freeing. Split from tree.c, which walks
 * the libconfig tree and fills these. */
#include <stdlib.h>
#include <string.h>

#include "config/parse.h"

void cfg_binds_free(struct uj_bind *b, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    free(b[i].source);
    free(b[i].dest);
  }
  free(b);
}

void cfg_settings_free(struct uj_settings *s)
{
  free(s->hostname);
  free(s->rootfs);
  free(s->pasta);
  free(s->lxcfs);
  cfg_binds_free(s->binds, s->n_binds);
  memset(s, 0, sizeof *s);
}

int cfg_settings_init(struct uj_settings *s)
{
  memset(s, 0, sizeof *s);
  s->tmp_size = 256ull << 20;
  s->pids_max = 512;
  s->memory_max = 1ull << 30;
  s->cpu = 1.0;
  s->on_logout = UJ_LOGOUT_KILL;
  s->on_error = UJ_ONERR_DENY;
  s->network = UJ_NET_HOST;
  s->rootfs = NULL;
  s->upper = UJ_UPPER_EPHEMERAL;
  s->seccomp = true;
  s->seccomp_allow = 0;
  s->userns = false;
  s->notice = true;
  s->hostname = strdup("jail-%u");
  s->pasta = strdup(UJ_DEFAULT_PASTA);
  s->lxcfs = strdup(UJ_DEFAULT_LXCFS);
  return s->hostname && s->pasta && s->lxcfs ? 0 : -1;
}

/* Rules own deep copies, so freeing never has to know who shares what. */
int cfg_settings_copy(struct uj_settings *d, const struct uj_settings *s)
{
  *d = *s;
  d->hostname = d->rootfs = d->pasta = d->lxcfs = NULL;
  d->binds = NULL;
  d->n_binds = 0;
  if (s->hostname && !(d->hostname = strdup(s->hostname)))
    goto oom;
  if (s->rootfs && !(d->rootfs = strdup(s->rootfs)))
    goto oom;
  if (s->pasta && !(d->pasta = strdup(s->pasta)))
    goto oom;
  if (s->lxcfs && !(d->lxcfs = strdup(s->lxcfs)))
    goto oom;
  if (s->n_binds) {
    d->binds = calloc(s->n_binds, sizeof *d->binds);
    if (!d->binds)
      goto oom;
    for (size_t i = 0; i < s->n_binds; i++) {
      d->binds[i] = s->binds[i];
      d->binds[i].source = strdup(s->binds[i].source);
      d->binds[i].dest = strdup(s->binds[i].dest);
      d->n_binds = i + 1;
      if (!d->binds[i].source || !d->binds[i].dest)
        goto oom;
    }
  }
  return 0;
oom:
  cfg_settings_free(d);
  return -1;
}
