/* Looking up a user (passwd + every group name) for the policy. */
#ifndef UJ_USER_H
#define UJ_USER_H

#include "common/err.h"
#include "config/config.h"

struct uj_userinfo {
  struct uj_user u;      /* points into the fields below */
  char *name, *home, *shell;
  char **groups;
  size_t n_groups;
};

int uj_userinfo_get(const char *name, struct uj_userinfo *ui, struct uj_err *err);
void uj_userinfo_free(struct uj_userinfo *ui);

#endif
