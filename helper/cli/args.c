/* Strict argument parsing (see args.h). */
#include "cli/args.h"

#include <stdio.h>
#include <string.h>

static const struct uj_opt *find_opt(const struct uj_opt *opts, const char *arg, size_t len)
{
  for (const struct uj_opt *o = opts; o && o->name; o++)
    if (strlen(o->name) == len && strncmp(o->name, arg, len) == 0)
      return o;
  return NULL;
}

int uj_args_parse(int argc, char **argv, const struct uj_opt *opts, size_t min_ops,
                  size_t max_ops, bool allow_rest, struct uj_args *a, char *msg, size_t msglen)
{
  bool options_done = false;

  memset(a, 0, sizeof *a);
  if (max_ops > sizeof a->ops / sizeof a->ops[0])
    max_ops = sizeof a->ops / sizeof a->ops[0];
  for (int i = 1; i < argc; i++) {
    char *arg = argv[i];
    if (!options_done && strcmp(arg, "--") == 0) {
      if (allow_rest) {
        a->rest = argv + i + 1;
        a->n_rest = (size_t) (argc - i - 1);
        break;
      }
      options_done = true;
      continue;
    }
    if (!options_done && arg[0] == '-' && arg[1] != '\0') {
      const char *eq = strchr(arg, '=');
      size_t len = eq ? (size_t) (eq - arg) : strlen(arg);
      const struct uj_opt *o = arg[1] == '-' ? find_opt(opts, arg, len) : NULL;
      if (!o) {
        snprintf(msg, msglen, "unknown option '%.*s'", (int) (len > 64 ? 64 : len), arg);
        return -1;
      }
      if (!o->takes_value) {
        if (eq) {
          snprintf(msg, msglen, "option '%s' takes no value", o->name);
          return -1;
        }
        *o->flag = true;
      } else if (eq) {
        *o->value = eq + 1;
      } else if (i + 1 < argc) {
        *o->value = argv[++i];
      } else {
        snprintf(msg, msglen, "option '%s' needs a value", o->name);
        return -1;
      }
      continue;
    }
    if (a->n_ops >= max_ops) {
      snprintf(msg, msglen, "unexpected argument '%.64s'", arg);
      return -1;
    }
    a->ops[a->n_ops++] = arg;
  }
  if (a->n_ops < min_ops) {
    snprintf(msg, msglen, "missing argument");
    return -1;
  }
  return 0;
}

int uj_args_seconds(const char *s, unsigned *out)
{
  unsigned v = 0;

  if (!s || !*s)
    return -1;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9')
      return -1;
    v = v * 10 + (unsigned) (*p - '0');
    if (v > 86400)
      return -1;
  }
  *out = v;
  return 0;
}
