/* "unknown user" for the admin commands, with a "did you mean" when the
 * name is one typo from a user that has a live jail or is named in the
 * configuration. Only those: NSS (LDAP, sssd) is never enumerated, which
 * could take minutes and list a whole university. */
#include "cli/view.h"

#include <dirent.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "jail/rundir.h"
#include "util/text.h"

#define MAX_CANDIDATES 4096

/* plain user names of a pattern list ("@group" and "uid:" ranges are not
 * names) */
static void add_names(char **pats, size_t n, const char **cand, size_t *nc)
{
  for (size_t i = 0; i < n && *nc < MAX_CANDIDATES; i++)
    if (pats[i][0] != '@' && strncmp(pats[i], "uid:", 4) != 0)
      cand[(*nc)++] = pats[i];
}

void uj_view_unknown_user(const char *cmd, const char *name, const struct uj_config *c)
{
  struct uj_config *own = NULL;
  struct uj_diags d = { 0 };
  struct uj_config_source src;
  struct uj_err err;
  const char **cand = calloc(MAX_CANDIDATES, sizeof *cand);
  char **jailed = calloc(MAX_CANDIDATES, sizeof *jailed);
  size_t nc = 0, nj = 0;
  const char *near = NULL;
  DIR *dir;
  struct dirent *e;

  if (!cand || !jailed)
    goto out;
  if (!c && uj_config_load_or_last_good(UJ_DEFAULT_CONFIG, UJ_RUN_DIR, false, NULL, &own, &d, &src,
                                        &err) == 0)
    c = own;
  if (c) {
    add_names(c->exempt, c->n_exempt, cand, &nc);
    for (size_t r = 0; r < c->n_rules; r++)
      add_names(c->rules[r].match, c->rules[r].n_match, cand, &nc);
  }
  /* the users with a live jail: one getpwuid each, as `list` does */
  dir = opendir(UJ_RUN_DIR);
  while (dir && nc < MAX_CANDIDATES && (e = readdir(dir))) {
    char *end;
    unsigned long uid = strtoul(e->d_name, &end, 10);
    struct passwd *pw;
    if (end == e->d_name || strcmp(end, ".sock") != 0)
      continue;
    pw = getpwuid((uid_t) uid);
    if (pw && (jailed[nj] = strdup(pw->pw_name)))
      cand[nc++] = jailed[nj++];
  }
  if (dir)
    closedir(dir);
  near = uj_near_miss(name, cand, nc);
out:
  if (near)
    fprintf(stderr, "userjail %s: unknown user '%s' (did you mean '%s'?)\n", cmd, name, near);
  else
    fprintf(stderr, "userjail %s: unknown user '%s'\n", cmd, name);
  for (size_t i = 0; i < nj; i++)
    free(jailed[i]);
  free(jailed);
  free(cand);
  uj_config_free(own);
  uj_diags_free(&d);
}
