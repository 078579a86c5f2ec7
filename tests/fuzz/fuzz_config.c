/* libFuzzer target for the configuration loader: the text pre-scan
 * (include and big-integer scanners in config/load.c), libconfig, the tree
 * walk and validation (config/tree.c), diagnostics, and a policy lookup on
 * whatever config came out. Built with clang -fsanitize=fuzzer,address,
 * undefined by `make check-fuzz` (bounded, part of `make check`) and
 * `make fuzz` (long run). Seeds: tests/fuzz/corpus. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  static const char *const groups[] = { "alice", "jailed", "staff" };
  const struct uj_user u = { .name = "alice", .uid = 2000, .gid = 2000, .home = "/home/alice",
                             .shell = "/bin/sh", .groups = groups, .n_groups = 3 };
  struct uj_config *c = NULL;
  struct uj_diags d = { 0 };
  struct uj_err e;
  char *text;

  /* uj_config_load refuses a file with a NUL byte before parsing; the text
   * is handed over exactly as long as the input, so ASan sees any read
   * past its terminator. */
  if (size > (1 << 20) || memchr(data, '\0', size))
    return 0;
  text = malloc(size + 1);
  if (!text)
    return 0;
  memcpy(text, data, size);
  text[size] = '\0';
  if (uj_config_parse_string(text, "/fuzz.conf", &c, &d, &e) == 0) {
    (void) uj_policy_for(c, &u);
    uj_config_free(c);
  }
  uj_diags_free(&d);
  free(text);
  return 0;
}
