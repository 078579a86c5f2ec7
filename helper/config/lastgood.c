/* The last valid copy of the configuration. A half-saved or mistyped
 * /etc/security/userjail.conf used to refuse every non-root user (exempt
 * admins included: the helper cannot tell who is exempt from a file it
 * cannot parse). Now every load that validates keeps the text under
 * /run/userjail, and a load of an invalid file falls back to that copy:
 * users keep logging in, jailed by the old rules, and syslog says at
 * LOG_CRIT what is wrong and where. With no copy (first boot, /run is a
 * tmpfs) the old fail-closed behaviour stays. The copy lives on tmpfs on
 * purpose: after a reboot only a file that validates is trusted again. */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/safefs.h"
#include "util/text.h"

void uj_config_last_good_path(const char *store, const char *config, char *buf, size_t len)
{
  if (strcmp(config, UJ_DEFAULT_CONFIG) == 0)
    snprintf(buf, len, "%s/last-good.conf", store);
  else
    snprintf(buf, len, "%s/last-good-%016llx.conf", store,
             (unsigned long long) uj_text_hash(config, strlen(config)));
}

/* `store` must be root's and private: the copy decides who is jailed. */
static int store_ensure(const char *store, struct uj_err *err)
{
  struct stat st;

  if (mkdir(store, 0700) < 0 && errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s", store);
  if (lstat(store, &st) < 0)
    return uj_err_set(err, errno, "%s", store);
  if (!S_ISDIR(st.st_mode) || st.st_uid != 0 || (st.st_mode & 077))
    return uj_err_set(err, EPERM, "%s must be a directory owned by root, mode 0700", store);
  return 0;
}

/* Is the copy at `copy` already exactly `text`? */
static bool copy_is(const char *copy, const char *text, size_t len)
{
  cleanup_close int fd = open(copy, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  cleanup_free char *buf = NULL;
  struct stat st;

  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (size_t) st.st_size != len)
    return false;
  if (!(buf = malloc(len + 1)))
    return false;
  return uj_read_exact(fd, buf, len) == 0 && memcmp(buf, text, len) == 0;
}

int uj_config_save_last_good(const char *store, const char *config, const char *text,
                             size_t len, struct uj_err *err)
{
  char copy[256];

  uj_config_last_good_path(store, config, copy, sizeof copy);
  if (copy_is(copy, text, len))
    return 0; /* the common case: every login reads an unchanged file */
  if (store_ensure(store, err) < 0)
    return -1;
  return uj_replace_file(store, copy, text, len, err);
}

bool uj_config_has_last_good(const char *store, const char *config)
{
  char copy[256];
  struct stat st;

  uj_config_last_good_path(store, config, copy, sizeof copy);
  return lstat(copy, &st) == 0 && S_ISREG(st.st_mode);
}

int uj_config_ahead_prepare(struct uj_config_ahead *a, const char *path)
{
  struct uj_diags d = { 0 };
  struct uj_err e;
  size_t len;

  memset(a, 0, sizeof *a);
  if (!(a->path = strdup(path)) || uj_config_read(path, &a->text, &len, &d, &e) < 0 ||
      uj_config_parse_string(a->text, path, &a->cfg, &d, &e) < 0) {
    uj_diags_free(&d);
    uj_config_ahead_free(a);
    return -1;
  }
  uj_diags_free(&d);
  return 0;
}

void uj_config_ahead_free(struct uj_config_ahead *a)
{
  uj_config_free(a->cfg);
  free(a->text);
  free(a->path);
  memset(a, 0, sizeof *a);
}

/* The text parsed, or taken from `ahead` when it is the same text. */
static int parse_or_take(const char *config, const char *text, struct uj_config_ahead *ahead,
                         struct uj_config **out, struct uj_diags *diags, struct uj_err *err)
{
  if (ahead && ahead->cfg && strcmp(ahead->path, config) == 0 &&
      strcmp(ahead->text, text) == 0) {
    *out = steal_pointer(&ahead->cfg);
    return 0;
  }
  return uj_config_parse_string(text, config, out, diags, err);
}

int uj_config_load_or_last_good(const char *config, const char *store, bool login,
                                struct uj_config_ahead *ahead, struct uj_config **out,
                                struct uj_diags *diags, struct uj_config_source *src,
                                struct uj_err *err)
{
  cleanup_free char *text = NULL;
  struct uj_diags copy_diags = { 0 };
  struct uj_err e2;
  struct stat st;
  size_t len;
  char when[32] = "?";

  *out = NULL;
  memset(src, 0, sizeof *src);
  if (uj_config_read(config, &text, &len, diags, err) == 0 &&
      parse_or_take(config, text, ahead, out, diags, err) == 0) {
    if (login && uj_config_save_last_good(store, config, text, len, &e2) < 0)
      syslog(LOG_WARNING, "cannot keep a copy of the valid configuration %s: %s", config,
             e2.msg);
    return 0;
  }
  uj_config_last_good_path(store, config, src->copy, sizeof src->copy);
  /* The copy passes the same checks as the file (root's, not writable by
   * others, valid): it is loaded, not trusted. */
  if (lstat(src->copy, &st) < 0 || !S_ISREG(st.st_mode) ||
      uj_config_load(src->copy, out, &copy_diags, &e2) < 0) {
    uj_diags_free(&copy_diags);
    src->copy[0] = '\0';
    return -1; /* no usable copy: fail closed, as before */
  }
  uj_diags_free(&copy_diags);
  src->fallback = true;
  src->saved = (long long) st.st_mtime;
  strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", localtime(&st.st_mtime));
  if (!login)
    return 0;
  /* err holds the file's first problem, already "FILE:LINE: message" */
  syslog(LOG_CRIT, "CONFIGURATION INVALID: %s (%zu problem%s); logins use the last valid copy "
         "%s (saved %s) until it is fixed; run: userjail check-config %s",
         err->msg, diags->n, diags->n == 1 ? "" : "s", src->copy, when, config);
  return 0;
}
