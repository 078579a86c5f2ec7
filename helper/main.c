/* userjail: the privileged helper (exec'd by pam_userjail.so per login) and
 * the admin CLI, one binary. This file only dispatches. */
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "cli/cli.h"
#include "image/image.h"

static void usage(FILE *f)
{
  fputs("usage:\n"
        "  userjail run [--config FILE] USER -- CMD [ARG...]\n"
        "  userjail list [--json]\n"
        "  userjail stop USER\n"
        "  userjail check-config [FILE]\n"
        "  userjail mkrootfs DIR --bin PROG [PROG...]\n"
        "(session-open is used by pam_userjail.so)\n",
        f);
}

int main(int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : NULL;


  openlog("userjail", LOG_PID, LOG_AUTHPRIV);
  if (!cmd) {
    usage(stderr);
    return 2;
  }
  if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
    usage(stdout);
    return 0;
  }
  if (!strcmp(cmd, "check-config"))
    return uj_cmd_check_config(argc - 1, argv + 1);
  if (!strcmp(cmd, "mkrootfs"))
    return uj_cmd_mkrootfs(argc - 1, argv + 1);
  if (geteuid() != 0) {
    fprintf(stderr, "userjail %s: must be run as root\n", cmd);
    return 1;
  }
  if (!strcmp(cmd, "session-open"))
    return uj_cmd_session_open(argc - 1, argv + 1);
  if (!strcmp(cmd, "run"))
    return uj_cmd_run(argc - 1, argv + 1);
  if (!strcmp(cmd, "list"))
    return uj_cmd_list(argc - 1, argv + 1);
  if (!strcmp(cmd, "stop"))
    return uj_cmd_stop(argc - 1, argv + 1);
  fprintf(stderr, "userjail: unknown command '%s'\n", cmd);
  usage(stderr);
  return 2;
}
