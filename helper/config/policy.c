/* The policy decision: is this user jailed, and with which settings.
 * Patterns were validated when the config was parsed; a malformed one that
 * reaches here anyway (a hand-built config) simply never matches. */
#include "config/config.h"

#include <stdlib.h>
#include <string.h>

#include "util/text.h"

bool uj_pattern_matches(const char *pattern, const struct uj_user *u)
{
  if (!pattern || !u || !pattern[0])
    return false;

  if (strncmp(pattern, "uid:", 4) == 0) {
    uid_t lo, hi;
    if (uj_parse_uid_range(pattern + 4, &lo, &hi) < 0)
      return false;
    return u->uid >= lo && u->uid <= hi;
  }

  if (pattern[0] == '@') {
    const char *g = pattern + 1;
    if (!g[0])
      return false;
    for (size_t i = 0; i < u->n_groups; i++)
      if (u->groups[i] && strcmp(u->groups[i], g) == 0)
        return true;
    return false;
  }

  return u->name && strcmp(u->name, pattern) == 0;
}

/* The first pattern of `patterns` that matches u, or NULL. */
static const char *first_match(char *const *patterns, size_t n, const struct uj_user *u)
{
  for (size_t i = 0; i < n; i++)
    if (uj_pattern_matches(patterns[i], u))
      return patterns[i];
  return NULL;
}

const struct uj_settings *uj_policy_explain(const struct uj_config *c, const struct uj_user *u,
                                            struct uj_policy_match *m)
{
  struct uj_policy_match ignored;

  if (!m)
    m = &ignored;
  *m = (struct uj_policy_match){ .reason = UJ_WHY_NO_RULE };
  if (!c || !u)
    return NULL;
  /* root is never jailed, whatever the config says: a broken rule must not
   * lock the administrator out of the machine */
  if (u->uid == 0) {
    m->reason = UJ_WHY_ROOT;
    return NULL;
  }
  if ((m->pattern = first_match(c->exempt, c->n_exempt, u))) {
    m->reason = UJ_WHY_EXEMPT;
    return NULL;
  }
  for (size_t i = 0; i < c->n_rules; i++) {
    if ((m->pattern = first_match(c->rules[i].match, c->rules[i].n_match, u))) {
      m->reason = UJ_WHY_RULE;
      m->rule = i;
      m->line = c->rules[i].line;
      return &c->rules[i].s;
    }
  }
  return NULL;
}

static bool add_group_name(const char **names, size_t *n, const char *pattern)
{
  if (!pattern || pattern[0] != '@' || !pattern[1])
    return false;
  for (size_t i = 0; i < *n; i++)
    if (strcmp(names[i], pattern + 1) == 0)
      return false;
  names[(*n)++] = pattern + 1;
  return true;
}

const char **uj_config_group_names(const struct uj_config *c, size_t *n)
{
  size_t max = c->n_exempt;
  const char **names;

  *n = 0;
  for (size_t i = 0; i < c->n_rules; i++)
    max += c->rules[i].n_match;
  names = calloc(max + 1, sizeof *names);
  if (!names)
    return NULL;
  for (size_t i = 0; i < c->n_exempt; i++)
    add_group_name(names, n, c->exempt[i]);
  for (size_t i = 0; i < c->n_rules; i++)
    for (size_t k = 0; k < c->rules[i].n_match; k++)
      add_group_name(names, n, c->rules[i].match[k]);
  return names;
}

const struct uj_settings *uj_policy_for(const struct uj_config *c, const struct uj_user *u)
{
  return uj_policy_explain(c, u, NULL);
}
