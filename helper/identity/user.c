#include "identity/user.h"

#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>


int uj_userinfo_get(const char *name, struct uj_userinfo *ui, struct uj_err *err)
{
  struct passwd *pw;
  gid_t gids[1024];
  int ng = 1024;

  memset(ui, 0, sizeof *ui);
  /* Any name the system's NSS knows (sssd's "user@domain" included) is
   * looked up; it never becomes a file name (state and cgroups use the
   * uid), and the hostname made from it is sanitized. Only refuse what
   * could not be a real name or would garble a log line. */
  if (!name[0] || strlen(name) > 256 || strpbrk(name, "/\n\r\t") || name[0] == '-')
    return uj_err_set(err, EINVAL, "invalid user name");
  errno = 0;
  pw = getpwnam(name);
  if (!pw)
    return uj_err_set(err, errno ? errno : ENOENT, "unknown user '%s'", name);
  ui->name = strdup(pw->pw_name);
  ui->home = strdup(pw->pw_dir);
  ui->shell = strdup(pw->pw_shell);
  ui->u.uid = pw->pw_uid;
  ui->u.gid = pw->pw_gid;
  if (getgrouplist(name, pw->pw_gid, gids, &ng) < 0)
    return uj_err_set(err, E2BIG, "user '%s' is in too many groups", name);
  ui->groups = calloc((size_t) ng, sizeof(char *));
  if (!ui->name || !ui->home || !ui->shell || !ui->groups) {
    uj_userinfo_free(ui);
    return uj_err_set(err, ENOMEM, "user '%s'", name);
  }
  for (int i = 0; i < ng; i++) {
    struct group *gr = getgrgid(gids[i]);
    if (gr && (ui->groups[ui->n_groups] = strdup(gr->gr_name)))
      ui->n_groups++;
  }
  ui->u.name = ui->name;
  ui->u.home = ui->home;
  ui->u.shell = ui->shell;
  ui->u.groups = (const char *const *) ui->groups;
  ui->u.n_groups = ui->n_groups;
  return 0;
}

void uj_userinfo_free(struct uj_userinfo *ui)
{
  for (size_t i = 0; i < ui->n_groups; i++)
    free(ui->groups[i]);
  free(ui->groups);
  free(ui->name);
  free(ui->home);
  free(ui->shell);
  memset(ui, 0, sizeof *ui);
}
