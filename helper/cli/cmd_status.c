/* `userjail status [--json] USER|UID`: like `sshd -T -C user=`: which rule
 * applies and why, the effective settings, and the live jail with its
 * usage and whether it was built from the config in force now. --json: the
 * same facts as one JSON object (view_json.c). */
#include <errno.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli/cli.h"
#include "cli/view.h"
#include "config/config.h"
#include "identity/user.h"
#include "jail/rundir.h"

static void print_jail(uid_t uid, const char *config, uint64_t now_hash)
{
  struct uj_view_jail j;
  struct uj_err err;

  if (uj_view_jail_query(uid, &j, &err) < 0) {
    if (err.code == ENOENT || err.code == ECONNREFUSED)
      printf("jail        none running\n");
    else
      printf("jail        cannot ask its monitor: %s\n", err.msg);
    return;
  }
  printf("jail        running: init pid %d, %u session%s, up %lds%s\n", j.info.init_pid,
         j.info.sessions, j.info.sessions == 1 ? "" : "s", (long) (time(NULL) - j.info.started),
         j.info.linger ? ", lingers after logout" : "");
  if (j.have_usage) {
    printf("usage       pids %llu, memory %.1fM\n", (unsigned long long) j.pids,
           (double) j.mem / 1048576.0);
  }
  const char *state = uj_view_config_state(&j.info, now_hash);
  if (!strcmp(state, "stale"))
    printf("config      STALE: built from an older version of %s (hash %016llx); "
           "`userjail stop %s` applies the current one at the next login\n", config,
           (unsigned long long) j.info.config_hash, j.user);
  else if (!strcmp(state, "current"))
    printf("config      current (hash %016llx)\n", (unsigned long long) j.info.config_hash);
  else
    printf("config      unknown (%s)\n", j.info.version < 2
           ? "its monitor predates config stamps" : "no usable configuration now");
}

/* The config's state as the "config" member of --json. */
static void config_json(const char *config, int cfg_rc, const struct uj_config_source *src,
                        const struct uj_err *cfg_err)
{
  fputs("\"config\": {\"file\": ", stdout);
  uj_view_json_string(stdout, config);
  printf(", \"valid\": %s, \"uses_last_valid_copy\": %s, \"copy\": ",
         cfg_rc == 0 && !src->fallback ? "true" : "false", src->fallback ? "true" : "false");
  uj_view_json_string(stdout, src->fallback ? src->copy : NULL);
  fputs(", \"error\": ", stdout);
  uj_view_json_string(stdout, cfg_rc < 0 || src->fallback ? cfg_err->msg : NULL);
  fputs("}", stdout);
}

static int status_json(const char *config, int cfg_rc, const struct uj_config *cfg,
                       const struct uj_config_source *src, const struct uj_err *cfg_err,
                       const struct uj_userinfo *ui, uid_t uid)
{
  fputs("{\"user\": ", stdout);
  uj_view_json_string(stdout, ui ? ui->name : NULL);
  printf(", \"uid\": %u, \"known_user\": %s, ", (unsigned) uid, ui ? "true" : "false");
  config_json(config, cfg_rc, src, cfg_err);
  if (!ui)
    fputs(", \"decision\": null", stdout);
  else if (cfg_rc < 0 && uid != 0)
    fputs(", \"decision\": \"refused\", \"reason\": \"config_invalid\", \"exempt\": false, "
          "\"pattern\": null, \"rule\": null, \"line\": null, \"settings\": null",
          stdout);
  else if (cfg_rc < 0)
    fputs(", \"decision\": \"not_jailed\", \"reason\": \"root\", \"exempt\": false, "
          "\"pattern\": null, \"rule\": null, \"line\": null, \"settings\": null",
          stdout);
  else {
    fputs(", ", stdout);
    uj_view_explain_json(stdout, cfg, ui);
  }
  fputs(", \"jail\": ", stdout);
  uj_view_jail_json(stdout, uid, cfg ? cfg->hash : 0);
  fputs("}\n", stdout);
  return fflush(stdout) == 0 ? 0 : 1;
}

int uj_cmd_status(int argc, char **argv)
{
  const char *config = UJ_DEFAULT_CONFIG;
  bool json = false;
  const struct uj_opt opts[] = { { "--config", true, &config, NULL },
                                 { "--json", false, NULL, &json },
                                 { NULL } };
  struct uj_args a;
  int r = uj_cli_args(argc, argv, opts, 1, 1, false, &a);
  struct uj_config *cfg = NULL;
  struct uj_diags diags = { 0 };
  struct uj_config_source src;
  struct uj_userinfo ui;
  struct uj_err err, cfg_err;
  int cfg_rc;
  uid_t uid;

  if (r < 0)
    return r;
  /* the config first: the user's lookup resolves the groups it names */
  cfg_rc = uj_config_load_or_last_good(config, UJ_RUN_DIR, false, NULL, &cfg, &diags, &src, &cfg_err);
  if (uj_view_user(a.ops[0], cfg, &ui, &err) < 0) {
    /* a uid reaches the jail of a user deleted while it lingered */
    char *end;
    unsigned long v = strtoul(a.ops[0], &end, 10);
    if (!*a.ops[0] || *end || v > UINT32_MAX - 1) {
      if (err.code == ENOENT)
        uj_view_unknown_user("status", a.ops[0], cfg);
      else
        fprintf(stderr, "userjail status: %s\n", err.msg);
      uj_config_free(cfg);
      uj_diags_free(&diags);
      return 1;
    }
    if (json) {
      r = status_json(config, cfg_rc, cfg, &src, &cfg_err, NULL, (uid_t) v);
      uj_config_free(cfg);
      uj_diags_free(&diags);
      return r;
    }
    uj_config_free(cfg);
    uj_diags_free(&diags);
    printf("user        uid %lu (no such user now)\n", v);
    print_jail((uid_t) v, config, uj_view_current_hash(config));
    return 0;
  }
  uid = ui.u.uid;
  if (json) {
    r = status_json(config, cfg_rc, cfg, &src, &cfg_err, &ui, uid);
    uj_config_free(cfg);
    uj_diags_free(&diags);
    uj_userinfo_free(&ui);
    return r;
  }
  if (cfg_rc < 0) {
    printf("user        %s (uid %u)\n", ui.name, (unsigned) uid);
    printf("decision    REFUSED at login: %s is invalid and has no last valid copy "
           "(userjail check-config)\n", config);
  } else {
    if (src.fallback)
      printf("config      %s is INVALID (%s); logins use the last valid copy %s\n", config,
             cfg_err.msg, src.copy);
    uj_view_explain(stdout, cfg, &ui);
  }
  print_jail(uid, config, cfg ? cfg->hash : 0);
  uj_config_free(cfg);
  uj_diags_free(&diags);
  uj_userinfo_free(&ui);
  return 0;
}
