/* Unit tests for jail/quick.c: when a jail's monitor lets a later login in
 * without the helper. A grant and a request travel over a socketpair, as
 * they do on the monitor's socket; the config file is a real file. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jail/monitor.h"
#include "util/text.h"

static char conf[64];
static const char text[] = "rules = ( { match = [ \"alice\" ]; } );\n";

static void write_conf(const char *t, mode_t mode)
{
  FILE *f = fopen(conf, "w");
  assert_non_null(f);
  fputs(t, f);
  fclose(f);
  assert_int_equal(chmod(conf, mode), 0);
}

static int setup(void **state)
{
  (void) state;
  snprintf(conf, sizeof conf, "/tmp/ujt-quick-%d.conf", (int) getpid());
  write_conf(text, 0644);
  return 0;
}

static int teardown(void **state)
{
  (void) state;
  unlink(conf);
  return 0;
}

static void fill_grant(struct uj_grant_msg *g, uint32_t ttl)
{
  memset(g, 0, sizeof *g);
  g->magic = UJ_QUICK_MAGIC;
  g->ttl_s = ttl;
  g->config_hash = uj_text_hash(text, strlen(text));
  g->on_error_allow = 1;
  snprintf(g->config, sizeof g->config, "%s", conf);
  g->filter.magic = UJ_FILTER_MAGIC;
  g->filter.n = 2;
  g->filter.insns[0].code = 0x20;
  g->filter.insns[1].code = 0x06;
  g->filter.insns[1].k = 0x7fff0000;
}

/* Hand a grant to the monitor as the helper does (over a connection). */
static void give(struct monitor *m, const struct uj_grant_msg *g)
{
  int sv[2];
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(write(sv[0], g, sizeof *g), (ssize_t) sizeof *g);
  close(sv[0]);
  uj_quick_grant_take(m, sv[1]);
  close(sv[1]);
}

/* A login's request for `path`; true when the monitor lets it in. */
static bool ask(struct monitor *m, const char *path, char *why, size_t len)
{
  struct uj_quick_req req;
  int sv[2];
  bool ok;

  memset(&req, 0, sizeof req);
  req.magic = UJ_QUICK_MAGIC;
  snprintf(req.config, sizeof req.config, "%s", path);
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(write(sv[0], &req, sizeof req), (ssize_t) sizeof req);
  ok = uj_quick_allowed(m, sv[1], why, len);
  close(sv[0]);
  close(sv[1]);
  return ok;
}

static void test_grant_lets_in_and_fills(void **state)
{
  struct monitor m = { .grant = NULL };
  struct uj_grant_msg g;
  struct uj_filter_msg f;
  uint32_t allow = 0;
  char why[128];
  (void) state;

  assert_false(ask(&m, conf, why, sizeof why));
  assert_string_equal(why, "no grant");
  fill_grant(&g, 300);
  give(&m, &g);
  assert_non_null(m.grant);
  assert_true(ask(&m, conf, why, sizeof why));
  uj_quick_filter(&m, &f);
  allow = uj_quick_on_error_allow(&m);
  assert_int_equal(f.magic, UJ_FILTER_MAGIC);
  assert_int_equal(f.n, 2);
  assert_int_equal(f.insns[1].k, 0x7fff0000);
  assert_int_equal(allow, 1);
  uj_quick_grant_free(&m);
  assert_null(m.grant);
}

static void test_any_change_sends_to_the_helper(void **state)
{
  struct monitor m = { .grant = NULL };
  struct uj_grant_msg g;
  char why[128];
  (void) state;

  fill_grant(&g, 300);
  give(&m, &g);
  /* another config file named by the PAM line */
  assert_false(ask(&m, "/etc/security/other.conf", why, sizeof why));
  assert_string_equal(why, "another config file");
  /* the text changed (one byte) */
  write_conf("rules = ( { match = [ \"alicE\" ]; } );\n", 0644);
  assert_false(ask(&m, conf, why, sizeof why));
  assert_non_null(strstr(why, "changed"));
  /* back to the checked text: in again */
  write_conf(text, 0644);
  assert_true(ask(&m, conf, why, sizeof why));
  /* same text, but group-writable: the helper would refuse the file */
  write_conf(text, 0664);
  assert_false(ask(&m, conf, why, sizeof why));
  write_conf(text, 0644);
  /* the file gone */
  unlink(conf);
  assert_false(ask(&m, conf, why, sizeof why));
  write_conf(text, 0644);
  uj_quick_grant_free(&m);
  /* expired: a grant of 1 s, asked 1.1 s later */
  fill_grant(&g, 1);
  give(&m, &g);
  assert_true(ask(&m, conf, why, sizeof why));
  usleep(1100 * 1000);
  assert_false(ask(&m, conf, why, sizeof why));
  assert_string_equal(why, "grant expired");
  uj_quick_grant_free(&m);
}

static void test_malformed_grants_are_dropped(void **state)
{
  struct monitor m = { .grant = NULL };
  struct uj_grant_msg g;
  char why[128];
  (void) state;

  fill_grant(&g, 300);
  g.magic = 0x12345678;
  give(&m, &g);
  assert_null(m.grant);
  fill_grant(&g, 300);
  g.filter.n = UJ_MAX_FILTER + 1;
  give(&m, &g);
  assert_null(m.grant);
  fill_grant(&g, 0); /* quick_join = 0 is "off", never a grant */
  give(&m, &g);
  assert_null(m.grant);
  fill_grant(&g, 300);
  memset(g.config, 'x', sizeof g.config); /* not terminated */
  give(&m, &g);
  assert_null(m.grant);
  /* a good grant replaces nothing bad, and a later bad one keeps it */
  fill_grant(&g, 300);
  give(&m, &g);
  assert_non_null(m.grant);
  g.magic = 0;
  give(&m, &g);
  assert_non_null(m.grant);
  assert_true(ask(&m, conf, why, sizeof why));
  uj_quick_grant_free(&m);
}

static void test_malformed_request(void **state)
{
  struct monitor m = { .grant = NULL };
  struct uj_grant_msg g;
  char why[128];
  int sv[2];
  (void) state;

  fill_grant(&g, 300);
  give(&m, &g);
  /* a short request (the peer hung up half-way) */
  assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
  assert_int_equal(write(sv[0], "ujq1", 4), 4);
  close(sv[0]);
  assert_false(uj_quick_allowed(&m, sv[1], why, sizeof why));
  assert_string_equal(why, "malformed request");
  close(sv[1]);
  uj_quick_grant_free(&m);
}

int main(void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_grant_lets_in_and_fills, setup, teardown),
    cmocka_unit_test_setup_teardown(test_any_change_sends_to_the_helper, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_grants_are_dropped, setup, teardown),
    cmocka_unit_test_setup_teardown(test_malformed_request, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
