/* Configuration: the libconfig file (/etc/security/userjail.conf), its
 * validation, and the policy decision "is this user jailed, and how".
 * Parsing lives in load.c and tree.c, matching in policy.c; neither makes a syscall
 * beyond reading the file, so both are unit-tested directly. */
#ifndef UJ_CONFIG_H
#define UJ_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"

#define UJ_DEFAULT_CONFIG "/etc/security/userjail.conf"

enum uj_on_logout { UJ_LOGOUT_KILL = 0, UJ_LOGOUT_LINGER = 1 };
enum uj_on_error { UJ_ONERR_DENY = 0, UJ_ONERR_ALLOW = 1 };
enum uj_network { UJ_NET_HOST = 0, UJ_NET_NONE = 1, UJ_NET_PRIVATE = 2 };

#define UJ_DEFAULT_PASTA "/usr/bin/pasta"
#define UJ_MAX_HOST_PORTS 32
enum uj_upper { UJ_UPPER_EPHEMERAL = 0, UJ_UPPER_PERSISTENT = 1 };

struct uj_bind {
  char *source;       /* absolute host path */
  char *dest;         /* absolute path inside the jail */
  bool rw;            /* default read-only */
  bool optional;      /* a missing source is skipped instead of failing */
  int line;           /* config line, for messages */
};

/* Everything a jail is built from. `defaults` holds the top-level values;
 * every rule starts as a copy of them and overrides what it names. */
struct uj_settings {
  char *hostname;            /* pattern: %u user name, %U uid, %% percent */
  uint64_t tmp_size;         /* bytes, size of /tmp, /var/tmp, /dev/shm each */
  uint64_t pids_max;         /* 0 = unlimited */
  uint64_t memory_max;       /* bytes, 0 = unlimited */
  double cpu;                /* fraction of one CPU, 0 = unlimited */
  enum uj_on_logout on_logout;
  enum uj_on_error on_error;
  enum uj_network network;
  /* network = "private": host loopback TCP ports the jail may reach on its
   * own 127.0.0.1 (forwarded by pasta); nothing else of the host's loopback. */
  uint16_t host_ports[UJ_MAX_HOST_PORTS];
  size_t n_host_ports;
  char *pasta;               /* absolute path of pasta(1), network = "private" */
  char *rootfs;              /* NULL = "host"; else absolute image directory */
  enum uj_upper upper;       /* for rootfs images */
  uint64_t upper_size;       /* bytes; persistent upper in an ext4 image of this size, 0 = unbounded */
  struct uj_bind *binds;
  size_t n_binds;
  bool seccomp;              /* default filter on (default true) */
  uint32_t seccomp_allow;    /* bit i: uj_filter_entries[i] allowed back */
  bool userns;               /* new user namespaces allowed (default false) */
  bool notice;               /* tell the user the jail's limits at login */
  char *lxcfs;               /* LXCFS mount point whose /proc views the jail shows;
                              * NULL = "none" (the host's /proc values) */
};

/* Where Debian's lxcfs.service mounts LXCFS. */
#define UJ_DEFAULT_LXCFS "/var/lib/lxcfs"

struct uj_rule {
  char **match;              /* "name", "@group", "uid:LOW-HIGH" */
  size_t n_match;
  struct uj_settings s;
  int line;
};

struct uj_config {
  char *path;
  struct uj_settings defaults;
  char **exempt;             /* same pattern syntax as match */
  size_t n_exempt;
  int exempt_line;
  struct uj_rule *rules;
  size_t n_rules;
  uint64_t hash;             /* of the file's text (uj_text_hash): stamps jails */
  uint32_t quick_join_s;     /* top-level quick_join: see jail/quick.c */
};

/* A later login of a user whose jail is running comes in through the
 * jail's monitor, without the helper, for this long after the helper last
 * checked the policy for that user under the same config text. */
#define UJ_QUICK_JOIN_DEFAULT_S 300
#define UJ_QUICK_JOIN_MAX_S 86400

/* Collected problems, each already formatted as "FILE:LINE: message". */
struct uj_diags {
  char **items;
  size_t n;
};
void uj_diags_free(struct uj_diags *d);

/* The user as the policy sees it (filled from passwd/group by the caller). */
struct uj_user {
  const char *name;
  uid_t uid;
  gid_t gid;
  const char *home;
  const char *shell;
  /* names of the user's groups; the helper fills in only those the config
   * names (uj_config_group_names), which is all the policy looks at */
  const char *const *groups;
  size_t n_groups;
};

/* Parse and validate `text` as if read from `path` (path used in messages).
 * Every problem is appended to diags. Returns 0 and *out when the config is
 * usable (no diagnostics), -1 otherwise (err holds the first problem). */
int uj_config_parse_string(const char *text, const char *path, struct uj_config **out,
                           struct uj_diags *diags, struct uj_err *err);

/* Read `path`, refusing it unless it is a regular file owned by root and not
 * writable by group or others, then parse as above. */
int uj_config_load(const char *path, struct uj_config **out, struct uj_diags *diags,
                   struct uj_err *err);

/* Only the reading half of uj_config_load: the checks on the file, then its
 * whole text (NUL-terminated, caller frees) in *text and its length. */
int uj_config_read(const char *path, char **text, size_t *len, struct uj_diags *diags,
                   struct uj_err *err);

void uj_config_free(struct uj_config *c);

/* ---- the last valid copy (lastgood.c) --------------------------------------
 * A config that turns invalid (a half-saved edit, a typo) must not lock out
 * every user: each load that validates keeps its text in `store`
 * (/run/userjail, root-only) and a later load of an invalid file falls back
 * to it, loudly. */

/* store/last-good.conf for the default config path, else
 * store/last-good-HASH.conf (HASH of the path), so test and alternative
 * configs never share a copy. */
void uj_config_last_good_path(const char *store, const char *config, char *buf, size_t len);

/* Keep `text` as the last valid copy of `config` (no-op when the copy is
 * already the same text): temp file + rename, root 0600. Creates `store`
 * (root, 0700) when missing; refuses one that is not root's and private. */
int uj_config_save_last_good(const char *store, const char *config, const char *text,
                             size_t len, struct uj_err *err);

/* Does a last valid copy of `config` exist? */
bool uj_config_has_last_good(const char *store, const char *config);

/* How a config was obtained by uj_config_load_or_last_good. */
struct uj_config_source {
  bool fallback;            /* the file was invalid: *out is the last valid copy */
  char copy[256];           /* path of that copy */
  long long saved;          /* its mtime (CLOCK_REALTIME seconds) */
};

/* A config parsed ahead of the login that needs it (by a standby's worker
 * while it waits, cli/cmd_standby.c). Parsing depends on nothing but the
 * text, so a load of the same path whose file still holds exactly this
 * text takes `cfg` instead of parsing again; any other text is parsed as
 * usual. The file's checks (owner, mode) are made at each load all the
 * same. */
struct uj_config_ahead {
  char *path;
  char *text;
  struct uj_config *cfg;   /* NULL once taken, or when the text was unusable */
};
/* Read and parse `path` now (quietly: its problems are the login's to
 * report). Returns 0, or -1 (nothing kept) when it cannot be used ahead. */
int uj_config_ahead_prepare(struct uj_config_ahead *a, const char *path);
void uj_config_ahead_free(struct uj_config_ahead *a);

/* Load `config`; when it validates, save it as the last valid copy (a failure
 * to save is logged, never fatal). When it does not, diags and err hold its
 * problems and, if a last valid copy exists, that copy is loaded instead
 * (src->fallback) and the problem is logged at LOG_CRIT naming FILE:LINE.
 * `login` false (list, status: "what would a login use?") neither saves nor
 * logs.
 * -1 only when neither the file nor a copy is usable. */
/* `ahead` (may be NULL): a config parsed ahead, taken when it matches. */
int uj_config_load_or_last_good(const char *config, const char *store, bool login,
                                struct uj_config_ahead *ahead, struct uj_config **out,
                                struct uj_diags *diags, struct uj_config_source *src,
                                struct uj_err *err);

/* Policy: the settings that apply to `u`, or NULL when the user is not
 * jailed (root, exempt, or no rule matches). First matching rule wins. */
const struct uj_settings *uj_policy_for(const struct uj_config *c, const struct uj_user *u);

/* The group names (without '@') that exempt and match patterns mention,
 * each once, in config order: the only groups looked up for a login.
 * Returns a NULL-terminated array of pointers into c (free() the array
 * only), or NULL when out of memory; *n gets the count. */
const char **uj_config_group_names(const struct uj_config *c, size_t *n);

/* Why uj_policy_for decided as it did (`userjail status`, check-config
 * --user): root, an exempt pattern, the first rule with a matching pattern,
 * or no rule at all. */
enum uj_policy_reason { UJ_WHY_NO_RULE = 0, UJ_WHY_ROOT, UJ_WHY_EXEMPT, UJ_WHY_RULE };
struct uj_policy_match {
  enum uj_policy_reason reason;
  const char *pattern;  /* the exempt or match pattern that matched (EXEMPT, RULE) */
  size_t rule;          /* index into c->rules (RULE) */
  int line;             /* the rule's line in the file (RULE) */
};
/* uj_policy_for, also filling m (may be NULL). */
const struct uj_settings *uj_policy_explain(const struct uj_config *c, const struct uj_user *u,
                                            struct uj_policy_match *m);

/* lint.c — warnings for check-config (valid, but likely not meant): patterns
 * an earlier rule or exempt always takes first, rules that never apply,
 * users and groups that do not exist, missing bind sources, destinations
 * under read-only host directories missing on the host. Looks at NSS and
 * the host's files as they are now; appended to w as
 * "FILE:LINE: warning: message". Never used at login. */
void uj_config_lint(const struct uj_config *c, struct uj_diags *w);

/* Does a single pattern ("alice", "@staff", "uid:1000-1999") match u? */
bool uj_pattern_matches(const char *pattern, const struct uj_user *u);

#endif
