/* userjail: the privileged helper (exec'd by pam_userjail.so per login) and
 * the admin CLI, one binary. This file is the table of subcommands and the
 * dispatch: `--help` and usage errors are answered here, uniformly, before
 * any handler runs (and before the root check, so anyone can read help). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/args.h"
#include "cli/cli.h"
#include "common/proto.h"
#include "image/image.h"

#ifndef UJ_VERSION
#define UJ_VERSION "unknown"
#endif

struct subcommand {
  const char *name;
  bool needs_root;
  int (*run)(int argc, char **argv);
  const char *usage;   /* after "userjail NAME " */
  const char *help;    /* one line */
  const char *options; /* option lines for --help, or NULL */
  bool hidden;         /* internal: not in the overview */
};

static const struct subcommand commands[] = {
  { "status", true, uj_cmd_status, "[--json] [--config FILE] USER|UID",
    "the rule that applies to USER and why, effective settings, live jail and usage",
    "  --json          the same as one JSON object on stdout\n"
    "  --config FILE   the configuration to explain (default " "/etc/security/userjail.conf)\n",
    false },
  { "list", true, uj_cmd_list, "[--json] [--config FILE]",
    "live jails: user, init pid, sessions, uptime, usage, config current or stale",
    "  --json          one JSON array\n"
    "  --config FILE   the configuration jails are compared with (stale or current)\n",
    false },
  { "stop", true, uj_cmd_stop, "[--grace SECONDS] [--message TEXT] USER|UID|--all",
    "end a jail: note to its terminals, SIGTERM, wait the grace time, then kill it all",
    "  --grace SECONDS  SIGTERM first, wait up to SECONDS (0-86400) for the jail to end\n"
    "  --message TEXT   write TEXT to the user's terminals in the jail first\n"
    "  --all            every live jail\n"
    "Exit status: 0 every jail ended; 1 a jail did not end, or there was none.\n",
    false },
  { "enter", true, uj_cmd_enter, "[--user] USER [-- CMD [ARG...]]",
    "a shell (or CMD) in USER's live jail on its own pty: root without capabilities, or --user",
    "  --user          as USER (default: root with no capability at all, CapBnd 0)\n"
    "The shell counts as a session of the jail while it runs.\n",
    false },
  { "check-config", false, uj_cmd_check_config, "[--user USER | --json] [FILE]",
    "validate the configuration (FILE:LINE: message per problem, then warnings)",
    "  --user USER     also show which rule applies to USER and the effective settings\n"
    "  --json          errors and warnings as one JSON object on stdout\n"
    "Exit status: 0 usable (warnings do not count), 1 problems, 2 usage.\n",
    false },
  { "metrics", true, uj_cmd_metrics, "[--output FILE] [--config FILE]",
    "OpenMetrics text: jails, sessions, usage and limits, refused logins, login latency",
    "  --output FILE   write FILE atomically (temp file + rename), e.g. for node_exporter's\n"
    "                  textfile collector: /var/lib/prometheus/node-exporter/userjail.prom\n"
    "  --config FILE   the configuration jails are compared with (stale or current)\n",
    false },
  { "run", true, uj_cmd_run, "[--config FILE] USER -- CMD [ARG...]",
    "run CMD as USER in USER's jail (creating it), the same path as a login",
    "  --config FILE   another configuration\n", false },
  { "mkrootfs", false, uj_cmd_mkrootfs, "DIR [--force] --bin PROG [PROG...]",
    "build a minimal image root holding PROG and the libraries it needs",
    "  --force         add to a non-empty DIR\n", false },
  { "standby", true, uj_cmd_standby, "[--socket PATH] [--config FILE]",
    "serve first logins from a helper started ahead of them (run as a service)",
    "  --socket PATH   listen on PATH (default " UJ_STANDBY_SOCK ";\n"
    "                  pam_userjail.so standby=PATH)\n"
    "  --config FILE   the configuration to read ahead of each login (default\n"
    "                  " "/etc/security/userjail.conf); read again when it changed\n"
    "Stays in the foreground; SIGTERM ends it. Logins fall back to spawning the\n"
    "helper whenever it does not answer.\n", false },
  { "session-open", true, uj_cmd_session_open,
    "[--detached] [--module-groups] [--config FILE] -- USER",
    "internal: for pam_userjail.so only (its socket on fd 3)", NULL, true },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static void overview(FILE *f)
{
  fprintf(f, "usage: userjail COMMAND [ARGS...]   (userjail COMMAND --help for details)\n"
             "       userjail --version\n\ncommands:\n");
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!commands[i].hidden)
      fprintf(f, "  %-13s %s\n", commands[i].name, commands[i].help);
}

static void usage_line(const struct subcommand *c, FILE *f)
{
  fprintf(f, "usage: userjail %s %s\n", c->name, c->usage);
}

static void command_help(const struct subcommand *c)
{
  usage_line(c, stdout);
  printf("  %s\n", c->help);
  if (c->needs_root)
    printf("  Must be run as root.\n");
  if (c->options)
    printf("\noptions:\n%s", c->options);
}

/* --help anywhere before "--" (after it, the words are a command's). */
static bool wants_help(int argc, char **argv)
{
  for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
      return true;
  return false;
}

int main(int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : NULL;
  const struct subcommand *c = NULL;
  int rc;

  openlog("userjail", LOG_PID, LOG_AUTHPRIV);
  if (!cmd) {
    overview(stderr);
    return 2;
  }
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    if (argc > 2) {
      fprintf(stderr, "userjail %s: unexpected argument '%s'\n", cmd, argv[2]);
      return 2;
    }
    overview(stdout);
    return 0;
  }
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
    if (argc > 2) {
      fprintf(stderr, "userjail %s: unexpected argument '%s'\n", cmd, argv[2]);
      return 2;
    }
    printf("userjail %s\n", UJ_VERSION);
    return 0;
  }
  for (size_t i = 0; i < N_COMMANDS; i++)
    if (!strcmp(cmd, commands[i].name))
      c = &commands[i];
  if (!c) {
    fprintf(stderr, "userjail: unknown command '%s'\n", cmd);
    overview(stderr);
    return 2;
  }
  if (wants_help(argc - 1, argv + 1)) {
    command_help(c);
    return 0;
  }
  if (c->needs_root && geteuid() != 0) {
    fprintf(stderr, "userjail %s: must be run as root\n", cmd);
    return 1;
  }
  rc = c->run(argc - 1, argv + 1);
  if (rc == UJ_EXIT_USAGE) {
    usage_line(c, stderr);
    fprintf(stderr, "(userjail %s --help for details)\n", c->name);
    return 2;
  }
  return rc;
}
