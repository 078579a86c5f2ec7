/* What the admin commands show (list, status, check-config --user): a live
 * jail as its monitor and cgroup report it, the policy decision for a user
 * and the settings it yields. Printing only; no command logic. */
#ifndef UJ_CLI_VIEW_H
#define UJ_CLI_VIEW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "common/err.h"
#include "common/proto.h"
#include "config/config.h"
#include "identity/user.h"

struct uj_view_jail {
  uid_t uid;
  char user[64];            /* "?" for a deleted user */
  struct uj_info_msg info;
  uint64_t pids, mem;
  bool have_usage;
};

/* Ask uid's monitor and read its cgroup. -1 (err set, may be NULL) when
 * there is no live jail. */
int uj_view_jail_query(uid_t uid, struct uj_view_jail *j, struct uj_err *err);

/* The hash of the config a login would use now (the file, or its last
 * valid copy when it is broken); 0 when neither is usable. */
uint64_t uj_view_current_hash(const char *config);

/* "current", "stale" (built from another config text) or "unknown" (a
 * monitor older than config stamps, or no usable config now). */
const char *uj_view_config_state(const struct uj_info_msg *info, uint64_t current);

/* The decision for ui under c and why, then the effective settings. */
void uj_view_explain(FILE *f, const struct uj_config *c, const struct uj_userinfo *ui);

/* uj_userinfo_get with the groups c names (c may be NULL), bounded in time
 * as at login. */
int uj_view_user(const char *name, const struct uj_config *c, struct uj_userinfo *ui,
                 struct uj_err *err);

/* suggest.c — "userjail CMD: unknown user 'NAME'" on stderr, with "(did you
 * mean 'X'?)" when X, a user with a live jail or named in c's rules or
 * exempt (c NULL: the default config), is one typo away. */
void uj_view_unknown_user(const char *cmd, const char *name, const struct uj_config *c);

/* "1G", "512M", "123456" (bytes); "unlimited" for 0 when unlimited_zero. */
void uj_view_size(char *buf, size_t len, uint64_t v, bool unlimited_zero);

/* "host", "none", "private". */
const char *uj_view_network(const struct uj_settings *s);

/* ---- JSON (view_json.c) ---------------------------------------------------- */

/* s as a JSON string literal (util/json.h) on f; null for NULL. */
void uj_view_json_string(FILE *f, const char *s);

/* The members "decision", "reason", "pattern", "rule", "line" and
 * "settings" of `status --json` for ui under c (no braces: the caller's
 * object holds them). Limits that are unlimited are null. */
void uj_view_explain_json(FILE *f, const struct uj_config *c, const struct uj_userinfo *ui);

/* The live jail of uid as a JSON object ("config": current/stale/unknown
 * against now_hash), or null when none runs; a monitor that cannot be
 * asked gives {"error": "..."}. */
void uj_view_jail_json(FILE *f, uid_t uid, uint64_t now_hash);

#endif
