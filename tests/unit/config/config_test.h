/* What the config unit tests share (test_config.c, test_policy.c,
 * test_load.c, test_lint.c): parsing a config text that must pass or fail,
 * and a user to match rules against. */
#ifndef UJ_TEST_CONFIG_H
#define UJ_TEST_CONFIG_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "util/filterlist.h"

#define P "/etc/security/userjail.conf"

/* ---- helpers --------------------------------------------------------------- */

static inline struct uj_config *parse_ok(const char *text)
{
  struct uj_config *c = NULL;
  struct uj_diags d = { 0 };
  struct uj_err e = { 0 };
  int r = uj_config_parse_string(text, P, &c, &d, &e);
  for (size_t i = 0; i < d.n; i++)
    print_error("unexpected diagnostic: %s\n", d.items[i]);
  assert_int_equal(d.n, 0);
  assert_int_equal(r, 0);
  assert_non_null(c);
  uj_diags_free(&d);
  return c;
}

/* Parses text that must fail; returns the diagnostics (caller frees). */
static inline struct uj_diags parse_bad(const char *text)
{
  struct uj_config *c = (struct uj_config *) 0x1;
  struct uj_diags d = { 0 };
  struct uj_err e = { 0 };
  int r = uj_config_parse_string(text, P, &c, &d, &e);
  assert_int_equal(r, -1);
  assert_null(c);
  assert_true(d.n > 0);
  /* err holds the first message */
  assert_string_equal(e.msg, d.items[0]);
  return d;
}

static inline void dump(const struct uj_diags *d)
{
  for (size_t i = 0; i < d->n; i++)
    print_error("  diag[%zu]: %s\n", i, d->items[i]);
}

/* The only diagnostic for `text` is exactly `want`. */
static inline void expect_one(const char *text, const char *want)
{
  struct uj_diags d = parse_bad(text);
  if (d.n != 1 || strcmp(d.items[0], want) != 0) {
    print_error("config:\n%s\nwanted exactly: %s\ngot:\n", text, want);
    dump(&d);
    fail();
  }
  uj_diags_free(&d);
}

static inline struct uj_user user(const char *name, uid_t uid, const char *const *groups, size_t n)
{
  return (struct uj_user){ .name = name, .uid = uid, .gid = uid, .home = "/home/x",
                           .shell = "/bin/sh", .groups = groups, .n_groups = n };
}

/* The documented defaults of every setting (userjail.conf(5)). */
static inline void assert_builtin_defaults(const struct uj_settings *d)
{
  assert_string_equal(d->hostname, "jail-%u");
  assert_int_equal(d->tmp_size, 256ull << 20);
  assert_int_equal(d->pids_max, 512);
  assert_int_equal(d->memory_max, 1ull << 30);
  assert_true(d->cpu == 1.0);
  assert_int_equal(d->on_logout, UJ_LOGOUT_KILL);
  assert_int_equal(d->on_error, UJ_ONERR_DENY);
  assert_int_equal(d->network, UJ_NET_HOST);
  assert_int_equal(d->n_host_ports, 0);
  assert_string_equal(d->pasta, "/usr/bin/pasta");
  assert_null(d->rootfs);
  assert_int_equal(d->upper, UJ_UPPER_EPHEMERAL);
  assert_int_equal(d->n_binds, 0);
  assert_true(d->notice);
  assert_string_equal(d->lxcfs, UJ_DEFAULT_LXCFS);
}

#endif
