/* Side-effect-free string and path checks (see util.h). Nothing here makes a
 * syscall or allocates, so the config parser and the jail builder can share
 * the same definitions of "valid" and tests can pin them down exactly. */
#include "util/text.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

/* Reads an unsigned decimal number made only of digits; no sign, no space,
 * no base prefix (strtoull would accept all three). */
static int parse_decimal(const char *s, size_t len, uint64_t *out)
{
  uint64_t v = 0;

  if (len == 0)
    return -1;
  for (size_t i = 0; i < len; i++) {
    if (s[i] < '0' || s[i] > '9')
      return -1;
    unsigned d = (unsigned) (s[i] - '0');
    if (v > (UINT64_MAX - d) / 10)
      return -1;
    v = v * 10 + d;
  }
  *out = v;
  return 0;
}

int uj_parse_size(const char *s, uint64_t *out)
{
  size_t ndig = 0, rest;
  uint64_t v, mult = 1;
  const char *suf;

  if (!s)
    return -1;
  while (s[ndig] >= '0' && s[ndig] <= '9')
    ndig++;
  if (parse_decimal(s, ndig, &v) < 0)
    return -1;

  suf = s + ndig;
  rest = strlen(suf);
  if (rest > 0) {
    int shift;
    switch (suf[0]) {
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    case 'b': case 'B': shift = 0; break;
    default: return -1;
    }
    if (shift == 0) {
      /* a bare "B" means bytes; "iB" only makes sense after a prefix */
      if (rest != 1)
        return -1;
    } else if (rest == 2) {
      if (suf[1] != 'b' && suf[1] != 'B')
        return -1;
    } else if (rest == 3) {
      if ((suf[1] != 'i' && suf[1] != 'I') || (suf[2] != 'b' && suf[2] != 'B'))
        return -1;
    } else if (rest != 1) {
      return -1;
    }
    mult = (uint64_t) 1 << shift;
  }

  if (v == 0 || v > UINT64_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

int uj_expand_pattern(const char *pat, const char *user, uid_t uid, char *out, size_t outlen)
{
  size_t o = 0;
  char num[16];

  if (!out || outlen == 0)
    return -1;
  out[0] = '\0';
  if (!pat || !user)
    return -1;

  for (const char *p = pat; *p; p++) {
    const char *piece;
    size_t len;

    if (*p != '%') {
      piece = p;
      len = 1;
    } else {
      switch (p[1]) {
      case 'u':
        piece = user;
        len = strlen(user);
        break;
      case 'U':
        snprintf(num, sizeof num, "%u", (unsigned) uid);
        piece = num;
        len = strlen(num);
        break;
      case '%':
        piece = "%";
        len = 1;
        break;
      default: /* unknown escape or a lone trailing '%' */
        out[0] = '\0';
        return -1;
      }
      p++;
    }
    if (len >= outlen - o) {
      out[0] = '\0';
      return -1;
    }
    memcpy(out + o, piece, len);
    o += len;
  }
  out[o] = '\0';
  return 0;
}

static bool is_alnum(char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool uj_valid_hostname(const char *h)
{
  size_t len, label = 0;

  if (!h)
    return false;
  len = strlen(h);
  /* 64 = HOST_NAME_MAX, what sethostname() accepts */
  if (len < 1 || len > 64)
    return false;
  for (size_t i = 0; i <= len; i++) {
    char c = h[i];
    if (c == '.' || c == '\0') {
      /* labels are 1..63 chars and neither start nor end with '-' */
      if (label == 0 || label > 63 || h[i - 1] == '-')
        return false;
      label = 0;
      continue;
    }
    if (c == '-') {
      if (label == 0)
        return false;
    } else if (!is_alnum(c)) {
      return false;
    }
    label++;
  }
  return true;
}

bool uj_path_is_clean(const char *p)
{
  size_t len;

  if (!p || p[0] != '/')
    return false;
  len = strlen(p);
  if (len >= PATH_MAX)
    return false;
  if (len == 1)
    return true;
  if (p[len - 1] == '/')
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) p[i];
    if (c < 0x20 || c == 0x7f)
      return false;
    if (c != '/')
      continue;
    /* p[i] starts a component: reject "", ".", ".." */
    const char *comp = p + i + 1;
    size_t clen = strcspn(comp, "/");
    if (clen == 0)
      return false;
    if ((clen == 1 && comp[0] == '.') || (clen == 2 && comp[0] == '.' && comp[1] == '.'))
      return false;
  }
  return true;
}

static bool path_is_or_under(const char *p, const char *dir)
{
  size_t n = strlen(dir);
  return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

bool uj_path_is_dangerous(const char *p)
{
  /* An unclean path cannot be judged by its spelling ("/x/../proc"), so it
   * counts as dangerous; callers report "not clean" first anyway. */
  if (!uj_path_is_clean(p))
    return true;
  return strcmp(p, "/") == 0 || path_is_or_under(p, "/proc") || path_is_or_under(p, "/sys") ||
         path_is_or_under(p, "/dev");
}

bool uj_valid_username(const char *n)
{
  size_t len;

  if (!n)
    return false;
  len = strlen(n);
  /* The same rule as the helper's lookup (identity/user.c): any name NSS
   * may hand out (sssd's "user@domain", "DOMAIN\\user") is a name; it never
   * becomes a file name (state and cgroups use the uid). Refused: what
   * cannot be a real name, or would garble a log line. */
  if (len < 1 || len > 256 || n[0] == '-')
    return false;
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char) n[i];
    if (c < 0x20 || c == 0x7f || c == '/')
      return false;
  }
  return true;
}

int uj_parse_uid_range(const char *s, uid_t *lo, uid_t *hi)
{
  const char *dash;
  uint64_t a, b;

  if (!s)
    return -1;
  dash = strchr(s, '-');
  if (!dash)
    return -1;
  if (parse_decimal(s, (size_t) (dash - s), &a) < 0 ||
      parse_decimal(dash + 1, strlen(dash + 1), &b) < 0)
    return -1;
  /* (uid_t) -1 is "no uid" to the kernel, never a real user */
  if (a > b || b >= (uint64_t) (uid_t) -1)
    return -1;
  *lo = (uid_t) a;
  *hi = (uid_t) b;
  return 0;
}

/* Copy mountinfo's octal-escaped field (\040 for a space ...) up to the
 * next space into out; false when it does not fit. */
static bool mountinfo_field(const char *s, char *out, size_t outlen)
{
  size_t n = 0;
  while (*s && *s != ' ' && *s != '\n') {
    char c = *s++;
    if (c == '\\' && s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' &&
        s[2] <= '7') {
      c = (char) (((s[0] - '0') << 6) | ((s[1] - '0') << 3) | (s[2] - '0'));
      s += 3;
    }
    if (n + 1 >= outlen)
      return false;
    out[n++] = c;
  }
  out[n] = '\0';
  return true;
}

/* a is b, or an ancestor directory of b ("/" is everyone's). */
static bool path_at_or_above(const char *a, const char *b)
{
  size_t n = strlen(a);
  if (strcmp(a, "/") == 0)
    return true;
  return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == '/');
}

bool uj_mountinfo_autofs_near(const char *mountinfo, const char *path)
{
  const char *line = mountinfo;

  while (line && *line) {
    const char *end = strchr(line, '\n');
    const char *p = line, *sep;
    char mp[4096];
    int field = 0;

    /* "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ..." */
    while (field < 4 && p && (!end || p < end)) {
      p = strchr(p, ' ');
      if (p)
        p++;
      field++;
    }
    sep = p ? strstr(p, " - ") : NULL;
    if (p && sep && (!end || sep < end) && strncmp(sep + 3, "autofs ", 7) == 0 &&
        mountinfo_field(p, mp, sizeof mp) &&
        (path_at_or_above(mp, path) || path_at_or_above(path, mp)))
      return true;
    line = end ? end + 1 : NULL;
  }
  return false;
}

/* FNV-1a, 64 bits: a fingerprint to tell "same config text" apart from
 * "changed", not a defence against a forger (the config is root's). */
uint64_t uj_text_hash(const char *s, size_t len)
{
  uint64_t h = 0xcbf29ce484222325ull;

  for (size_t i = 0; i < len; i++) {
    h ^= (unsigned char) s[i];
    h *= 0x100000001b3ull;
  }
  return h;
}

int uj_size_suggest(const char *s, char *out, size_t len)
{
  static const char units[] = "BKMGT";
  uint64_t whole = 0, frac = 0, scale = 1, bytes;
  size_t i = 0, nd = 0;
  int shift;

  if (!s)
    return -1;
  for (; s[i] >= '0' && s[i] <= '9'; i++, nd++)
    if (parse_decimal(s, i + 1, &whole) < 0)
      return -1;
  if (nd == 0 || (s[i] != '.' && s[i] != ','))
    return -1;
  for (i++; s[i] >= '0' && s[i] <= '9'; i++) {
    if (scale >= 1000000)
      return -1;
    frac = frac * 10 + (uint64_t) (s[i] - '0');
    scale *= 10;
  }
  switch (s[i]) {
  case 'k': case 'K': shift = 10; break;
  case 'm': case 'M': shift = 20; break;
  case 'g': case 'G': shift = 30; break;
  case 't': case 'T': shift = 40; break;
  default: return -1;
  }
  i++;
  if ((s[i] == 'i' || s[i] == 'I') && (s[i + 1] == 'b' || s[i + 1] == 'B'))
    i += 2;
  else if (s[i] == 'b' || s[i] == 'B')
    i++;
  if (s[i] || whole > (UINT64_MAX >> shift) / 2)
    return -1;
  /* the fraction must come out as whole bytes */
  if (((frac << shift) % scale) != 0)
    return -1;
  bytes = (whole << shift) + (frac << shift) / scale;
  if (bytes == 0)
    return -1;
  int u = 0;
  while (u < 4 && bytes % 1024 == 0) {
    bytes /= 1024;
    u++;
  }
  if (u == 0)
    snprintf(out, len, "%llu", (unsigned long long) bytes);
  else
    snprintf(out, len, "%llu%c", (unsigned long long) bytes, units[u]);
  return 0;
}

/* Optimal string alignment distance (Levenshtein plus adjacent swaps),
 * case-insensitive, for words up to 63 characters. */
static size_t edit_distance(const char *a, const char *b)
{
  size_t la = strlen(a), lb = strlen(b);
  size_t d[64][64];

  if (la > 63 || lb > 63)
    return SIZE_MAX;
  for (size_t i = 0; i <= la; i++)
    d[i][0] = i;
  for (size_t j = 0; j <= lb; j++)
    d[0][j] = j;
  for (size_t i = 1; i <= la; i++) {
    for (size_t j = 1; j <= lb; j++) {
      char ca = (char) (a[i - 1] | 0x20), cb = (char) (b[j - 1] | 0x20);
      size_t cost = ca == cb ? 0 : 1, v = d[i - 1][j - 1] + cost;
      if (d[i - 1][j] + 1 < v)
        v = d[i - 1][j] + 1;
      if (d[i][j - 1] + 1 < v)
        v = d[i][j - 1] + 1;
      if (i > 1 && j > 1 && ca == (char) (b[j - 2] | 0x20) && (char) (a[i - 2] | 0x20) == cb &&
          d[i - 2][j - 2] + 1 < v)
        v = d[i - 2][j - 2] + 1;
      d[i][j] = v;
    }
  }
  return d[la][lb];
}

const char *uj_near_miss(const char *word, const char *const *candidates, size_t n)
{
  const char *best = NULL;
  size_t best_d = SIZE_MAX, len = word ? strlen(word) : 0;
  /* short words tolerate one typo, longer ones two */
  size_t max_d = len <= 4 ? 1 : 2;

  for (size_t i = 0; word && i < n; i++)
    if (strcmp(word, candidates[i]) == 0)
      return NULL; /* not a typo */
  for (size_t i = 0; word && i < n; i++) {
    size_t dist = edit_distance(word, candidates[i]);
    if (dist <= max_d && dist < best_d) {
      best = candidates[i];
      best_d = dist;
    }
  }
  return best;
}

int uj_parse_env_line(const char *line, char *key, size_t klen, char *val, size_t vlen)
{
  const char *p = line, *eq, *v;
  size_t n;

  while (*p == ' ' || *p == '\t')
    p++;
  if (*p == '#' || *p == '\0' || *p == '\n')
    return 0;
  if (strncmp(p, "export", 6) == 0 && (p[6] == ' ' || p[6] == '\t')) {
    p += 6;
    while (*p == ' ' || *p == '\t')
      p++;
  }
  eq = strchr(p, '=');
  if (!eq || eq == p || (size_t) (eq - p) >= klen)
    return 0;
  if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || *p == '_'))
    return 0;
  for (const char *q = p; q < eq; q++)
    if (!((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') || (*q >= '0' && *q <= '9') ||
          *q == '_'))
      return 0;
  v = eq + 1;
  n = strcspn(v, "\n");
  while (n > 0 && (v[n - 1] == ' ' || v[n - 1] == '\t' || v[n - 1] == '\r'))
    n--;
  if (n >= 2 && (v[0] == '"' || v[0] == '\'') && v[n - 1] == v[0]) {
    v++;
    n -= 2;
  }
  for (size_t i = 0; i < n; i++)
    if ((unsigned char) v[i] < 0x20 && v[i] != '\t')
      return 0;
  if (n >= vlen)
    return 0;
  memcpy(key, p, (size_t) (eq - p));
  key[eq - p] = '\0';
  memcpy(val, v, n);
  val[n] = '\0';
  return 1;
}
