/* JSON string escaping (see json.h). */
#include "util/json.h"

#include <stdio.h>

/* Length of the valid UTF-8 sequence at p (1..4), 0 when it is not one
 * (overlong forms, surrogates and code points past U+10FFFF included). */
static size_t utf8_len(const unsigned char *p)
{
  unsigned char c = p[0];

  if (c < 0x80)
    return 1;
  if (c >= 0xc2 && c <= 0xdf)
    return (p[1] & 0xc0) == 0x80 ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;
    return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;
    return p[1] >= lo && p[1] <= hi && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4
                                                                                       : 0;
  }
  return 0;
}

/* Append piece (n bytes) at *at if it fits; count it either way. */
static void put(char *out, size_t len, size_t *at, const char *piece, size_t n)
{
  for (size_t i = 0; i < n; i++, (*at)++)
    if (*at + 1 < len)
      out[*at] = piece[i];
}

size_t uj_json_escape(const char *s, char *out, size_t len)
{
  const unsigned char *p = (const unsigned char *) (s ? s : "");
  size_t at = 0;

  put(out, len, &at, "\"", 1);
  while (*p) {
    char esc[8];
    size_t n;
    switch (*p) {
    case '"': put(out, len, &at, "\\\"", 2); p++; continue;
    case '\\': put(out, len, &at, "\\\\", 2); p++; continue;
    case '\n': put(out, len, &at, "\\n", 2); p++; continue;
    case '\t': put(out, len, &at, "\\t", 2); p++; continue;
    case '\r': put(out, len, &at, "\\r", 2); p++; continue;
    default: break;
    }
    if (*p < 0x20 || *p == 0x7f) {
      snprintf(esc, sizeof esc, "\\u%04x", *p);
      put(out, len, &at, esc, 6);
      p++;
      continue;
    }
    n = utf8_len(p);
    if (n == 0) {
      put(out, len, &at, "\\ufffd", 6);
      p++;
      continue;
    }
    put(out, len, &at, (const char *) p, n);
    p += n;
  }
  put(out, len, &at, "\"", 1);
  if (len > 0)
    out[at < len ? at : len - 1] = '\0';
  return at;
}
