/* Strict command-line parsing for the subcommands: every option is known,
 * every operand counted, and a mistake is named ("unknown option
 * '--bogus'", "unexpected argument 'b'") instead of being ignored or
 * misread. Pure (no syscalls): unit-tested in tests/unit/cli/. */
#ifndef UJ_CLI_ARGS_H
#define UJ_CLI_ARGS_H

#include <stdbool.h>
#include <stddef.h>

/* A handler returns this for a usage error; main.c prints the usage line
 * and exits 2 (a plain 2 could be a command's own exit status). */
#define UJ_EXIT_USAGE (-2)

struct uj_opt {
  const char *name;      /* "--grace" */
  bool takes_value;      /* "--grace 5" or "--grace=5" */
  const char **value;    /* where the value goes (takes_value) */
  bool *flag;            /* set to true when given (no value) */
};

struct uj_args {
  char *ops[8];          /* operands in order */
  size_t n_ops;
  char **rest;           /* after "--" (NULL when absent or not allowed) */
  size_t n_rest;
};

/* Parse argv[1..argc) (argv[0] is the subcommand). Operands must number
 * min_ops..max_ops (max_ops <= 8). When allow_rest, "--" ends parsing and
 * the remaining words go to a->rest; otherwise "--" only ends options.
 * Returns 0, or -1 with a one-line message in msg. */
int uj_args_parse(int argc, char **argv, const struct uj_opt *opts, size_t min_ops,
                  size_t max_ops, bool allow_rest, struct uj_args *a, char *msg, size_t msglen);

/* A whole number of seconds 0..86400 ("30"). 0 or -1. */
int uj_args_seconds(const char *s, unsigned *out);

#endif
