#include "common/notice.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void uj_fmt_size(uint64_t m, char *buf, size_t len)
{
  if (m == 0)
    snprintf(buf, len, "unlimited");
  else if (m % (1ull << 30) == 0)
    snprintf(buf, len, "%lluG", (unsigned long long) (m >> 30));
  else if (m % (1ull << 20) == 0)
    snprintf(buf, len, "%lluM", (unsigned long long) (m >> 20));
  else if (m % (1ull << 10) == 0)
    snprintf(buf, len, "%lluK", (unsigned long long) (m >> 10));
  else
    snprintf(buf, len, "%llu bytes", (unsigned long long) m);
}

void uj_fmt_count(uint64_t n, char *buf, size_t len)
{
  if (n == 0)
    snprintf(buf, len, "unlimited");
  else
    snprintf(buf, len, "%llu", (unsigned long long) n);
}

void uj_fmt_cpu(uint32_t milli, char *buf, size_t len)
{
  if (milli == 0)
    snprintf(buf, len, "unlimited");
  else if (milli % 1000 == 0)
    snprintf(buf, len, "%u CPU%s", milli / 1000, milli == 1000 ? "" : "s");
  else if (milli % 100 == 0)
    snprintf(buf, len, "%u.%u CPU", milli / 1000, (milli % 1000) / 100);
  else
    snprintf(buf, len, "%u.%02u CPU", milli / 1000, (milli % 1000 + 5) / 10);
}

/* Append to buf, never past len (truncates silently: these are messages). */
static void add(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void add(char *buf, size_t len, const char *fmt, ...)
{
  size_t o = strnlen(buf, len);
  va_list ap;

  if (o + 1 >= len)
    return;
  va_start(ap, fmt);
  vsnprintf(buf + o, len - o, fmt, ap);
  va_end(ap);
}

/* The hostname comes from a config pattern and the user name: printable
 * ASCII only reaches a terminal. */
static const char *clean_host(const struct uj_limits_msg *l, char *out, size_t len)
{
  size_t i = 0;
  for (; i + 1 < len && i < sizeof l->hostname && l->hostname[i]; i++) {
    char c = l->hostname[i];
    out[i] = (c > 0x20 && c < 0x7f) ? c : '?';
  }
  out[i] = '\0';
  return out;
}

/* The four limits as users read them, formatted once for both texts. */
struct shown {
  char mem[32], pids[32], cpu[32], tmp[32];
};

static void show_limits(const struct uj_limits_msg *l, struct shown *v)
{
  uj_fmt_size(l->memory_max, v->mem, sizeof v->mem);
  uj_fmt_count(l->pids_max, v->pids, sizeof v->pids);
  uj_fmt_cpu(l->cpu_milli, v->cpu, sizeof v->cpu);
  uj_fmt_size(l->tmp_size, v->tmp, sizeof v->tmp);
}

void uj_notice_login(const struct uj_limits_msg *l, char *buf, size_t len)
{
  struct shown v;
  char host[80];

  show_limits(l, &v);
  buf[0] = '\0';
  add(buf, len, "userjail: this session runs in the jail %s: memory %s, processes %s, cpu %s.\n",
      clean_host(l, host, sizeof host), v.mem, v.pids, v.cpu);
  add(buf, len, "userjail: files in /tmp, /var/tmp and /dev/shm (%s each) count as memory. "
      "Usage: cat /run/userjail-info", v.tmp);
}

void uj_notice_info_file(const struct uj_limits_msg *l, const char *user,
                         const struct uj_usage_paths *u, char *buf, size_t len)
{
  struct shown v;
  char host[80];

  show_limits(l, &v);
  buf[0] = '\0';
  add(buf, len, "# userjail: the limits of this jail (written by the jail, read-only)\n");
  add(buf, len, "jail=%s\nuser=%s\n", clean_host(l, host, sizeof host), user);
  add(buf, len, "memory_limit=%s\nprocess_limit=%s\ncpu_limit=%s\n", v.mem, v.pids,
      v.cpu);
  if (l->ncpus)
    add(buf, len, "cpus_usable=%u\n", l->ncpus);
  add(buf, len, "tmp_size=%s   # each of /tmp, /var/tmp, /dev/shm; their files count as memory\n",
      v.tmp);
  add(buf, len, "proc_views=%s\n",
      l->lxcfs ? "lxcfs   # free, top, uptime, /proc/meminfo show this jail"
               : "host    # free and top show the whole machine, not this jail");
  if (u && u->dir) {
    add(buf, len, "# usage, live (all sessions of %s together):\n", user);
    add(buf, len, "usage_dir=%s\n", u->dir);
    if (u->memory)
      add(buf, len, "memory_used=%s   # bytes\n", u->memory);
    if (u->pids)
      add(buf, len, "processes_used=%s\n", u->pids);
    if (u->cpu)
      add(buf, len, "cpu_used=%s\n", u->cpu);
    add(buf, len, "# e.g.: cat %s\n", u->memory ? u->memory : u->pids ? u->pids : u->dir);
  }
}
