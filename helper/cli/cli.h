/* Subcommands of the userjail binary (the table is in main.c). Each returns
 * the process exit code, or UJ_EXIT_USAGE (cli/args.h) after naming a
 * usage mistake, and main.c then prints the usage line and exits 2. */
#ifndef UJ_ADMIN_H
#define UJ_ADMIN_H

#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#include "cli/args.h"

int uj_cmd_session_open(int argc, char **argv); /* cmd_join.c */
int uj_cmd_run(int argc, char **argv);          /* cmd_join.c */
int uj_cmd_list(int argc, char **argv);         /* cmd_admin.c */
int uj_cmd_check_config(int argc, char **argv); /* cmd_admin.c */
int uj_cmd_status(int argc, char **argv);       /* cmd_status.c */
int uj_cmd_stop(int argc, char **argv);         /* cmd_stop.c */
int uj_cmd_enter(int argc, char **argv);        /* cmd_enter.c */
int uj_cmd_metrics(int argc, char **argv);      /* cmd_metrics.c */
int uj_cmd_standby(int argc, char **argv);      /* cmd_standby.c */

/* The socket to the PAM module, in session-open and in a standby's worker
 * (see pam_module/client.c). */
#define UJ_MODULE_FD 3
/* Answer one login request on UJ_MODULE_FD, then _exit (cmd_join.c). */
struct uj_request_how;
/* `how`: a standby's worker's way of asking (jail/request.h), or NULL. */
void uj_session_serve(const char *config, const struct uj_request_how *how, const char *user,
                      pid_t session_pid, uint64_t t0) __attribute__((noreturn));

static inline uint64_t uj_now_us(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t) ts.tv_sec * 1000000u + (uint64_t) ts.tv_nsec / 1000u;
}

/* uj_args_parse for subcommand argv[0]; a mistake is printed as
 * "userjail CMD: message" and UJ_EXIT_USAGE returned (else 0). */
static inline int uj_cli_args(int argc, char **argv, const struct uj_opt *opts, size_t min_ops,
                              size_t max_ops, bool allow_rest, struct uj_args *a)
{
  char msg[160];

  if (uj_args_parse(argc, argv, opts, min_ops, max_ops, allow_rest, a, msg, sizeof msg) == 0)
    return 0;
  fprintf(stderr, "userjail %s: %s\n", argv[0], msg);
  return UJ_EXIT_USAGE;
}

#endif
