/* ujb-users: add and remove the benchmark's throwaway users in bulk.
 *
 * useradd/userdel rewrite /etc/passwd and /etc/shadow once per user: about
 * 15 ms each here, so 1,000 users cost ~35 s to add and remove, and newusers
 * hashes a password per user (~30 s). This tool edits both files once per
 * batch, under the same locks as shadow-utils (lckpwdf() and the
 * /etc/passwd.lock, /etc/shadow.lock files), writing a full copy and
 * renaming it over the original so that readers never see half a file.
 *
 *   ujb-users add < LINES     LINES: "name uid gid home shell" per user.
 *                             Refuses if any name or uid exists. Creates
 *                             each home (mode 0755, owned by the user).
 *   ujb-users del PREFIX UIDMIN UIDMAX
 *                             Removes every user whose name starts with
 *                             PREFIX and whose uid is in [UIDMIN, UIDMAX];
 *                             other lines are kept byte for byte.
 * Homes are not removed by del (the caller owns their parent directory).
 */
#include <errno.h>
#include <fcntl.h>
#include <shadow.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PASSWD_FILE "/etc/passwd"
#define SHADOW_FILE "/etc/shadow"
#define MAX_USERS 20000

struct user {
  char name[64];
  unsigned long uid, gid;
  char home[512], shell[256];
};

static char *slurp(const char *path, size_t *len)
{
  FILE *f = fopen(path, "r");
  char *buf = NULL;
  size_t cap = 0, n = 0, r;

  if (!f)
    return NULL;
  do {
    if (cap - n < 65536) {
      cap = cap ? cap * 2 : 1 << 20;
      buf = realloc(buf, cap + 1);
      if (!buf)
        exit(2);
    }
    r = fread(buf + n, 1, cap - n, f);
    n += r;
  } while (r > 0);
  fclose(f);
  buf[n] = '\0';
  *len = n;
  return buf;
}

/* Write `data` to path atomically, keeping the original's mode and owner. */
static int replace_file(const char *path, const char *data, size_t len)
{
  char tmp[256];
  struct stat st;
  int fd;

  if (stat(path, &st) < 0)
    return -1;
  snprintf(tmp, sizeof tmp, "%s.ujb-%d", path, (int) getpid());
  fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    return -1;
  if (fchown(fd, st.st_uid, st.st_gid) < 0 || fchmod(fd, st.st_mode & 07777) < 0 ||
      write(fd, data, len) != (ssize_t) len || fsync(fd) < 0) {
    close(fd);
    unlink(tmp);
    return -1;
  }
  close(fd);
  if (rename(tmp, path) < 0) {
    unlink(tmp);
    return -1;
  }
  return 0;
}

/* shadow-utils' per-file lock, taken with O_EXCL (same effect locally as
 * its link() dance). A lock left by a dead process is removed. */
static int file_lock(const char *file)
{
  char lock[256], buf[32];
  for (int tries = 0; tries < 100; tries++) {
    int fd;
    snprintf(lock, sizeof lock, "%s.lock", file);
    fd = open(lock, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
      int n = snprintf(buf, sizeof buf, "%d", (int) getpid());
      if (write(fd, buf, (size_t) n) != n) {
        close(fd);
        unlink(lock);
        return -1;
      }
      close(fd);
      return 0;
    }
    if (errno != EEXIST)
      return -1;
    fd = open(lock, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      ssize_t n = read(fd, buf, sizeof buf - 1);
      close(fd);
      if (n > 0) {
        buf[n] = '\0';
        int pid = atoi(buf);
        if (pid > 0 && kill(pid, 0) < 0 && errno == ESRCH)
          unlink(lock);
      }
    }
    usleep(100000);
  }
  errno = EBUSY;
  return -1;
}

static void file_unlock(const char *file)
{
  char lock[256];
  snprintf(lock, sizeof lock, "%s.lock", file);
  unlink(lock);
}

static int lock_all(void)
{
  if (lckpwdf() < 0) {
    perror("ujb-users: lckpwdf");
    return -1;
  }
  if (file_lock(PASSWD_FILE) < 0) {
    perror("ujb-users: lock " PASSWD_FILE);
    ulckpwdf();
    return -1;
  }
  if (file_lock(SHADOW_FILE) < 0) {
    perror("ujb-users: lock " SHADOW_FILE);
    file_unlock(PASSWD_FILE);
    ulckpwdf();
    return -1;
  }
  return 0;
}

static void unlock_all(void)
{
  file_unlock(SHADOW_FILE);
  file_unlock(PASSWD_FILE);
  ulckpwdf();
}

/* Does `text` (passwd format) have a line with this name, or this uid? */
static int taken(const char *text, const char *name, unsigned long uid)
{
  size_t nl = strlen(name);
  const char *l = text;
  while (*l) {
    const char *e = strchr(l, '\n');
    const char *c = strchr(l, ':');
    if (!strncmp(l, name, nl) && l[nl] == ':')
      return 1;
    if (c && (!e || c < e)) {
      c = strchr(c + 1, ':');
      if (c && (!e || c < e) && strtoul(c + 1, NULL, 10) == uid)
        return 1;
    }
    if (!e)
      break;
    l = e + 1;
  }
  return 0;
}

static int cmd_add(void)
{
  static struct user us[MAX_USERS];
  size_t n = 0, plen, slen;
  char *pw, *sh, *np, *ns;
  size_t npl = 0, nsl = 0;
  long days = (long) (time(NULL) / 86400);
  char line[1024];
  int rc = 1;

  while (n < MAX_USERS && fgets(line, sizeof line, stdin)) {
    if (sscanf(line, "%63s %lu %lu %511s %255s", us[n].name, &us[n].uid, &us[n].gid, us[n].home,
               us[n].shell) == 5)
      n++;
  }
  if (lock_all() < 0)
    return 1;
  pw = slurp(PASSWD_FILE, &plen);
  sh = slurp(SHADOW_FILE, &slen);
  if (!pw || !sh) {
    perror("ujb-users: read");
    goto out;
  }
  np = malloc(plen + n * 1200 + 2);
  ns = malloc(slen + n * 200 + 2);
  memcpy(np, pw, plen);
  memcpy(ns, sh, slen);
  npl = plen;
  nsl = slen;
  if (npl && np[npl - 1] != '\n')
    np[npl++] = '\n';
  if (nsl && ns[nsl - 1] != '\n')
    ns[nsl++] = '\n';
  for (size_t i = 0; i < n; i++) {
    if (taken(pw, us[i].name, us[i].uid)) {
      fprintf(stderr, "ujb-users: user %s or uid %lu exists already\n", us[i].name, us[i].uid);
      goto out;
    }
    npl += (size_t) sprintf(np + npl, "%s:x:%lu:%lu:userjail bench:%s:%s\n", us[i].name, us[i].uid,
                            us[i].gid, us[i].home, us[i].shell);
    nsl += (size_t) sprintf(ns + nsl, "%s:*:%ld:0:99999:7:::\n", us[i].name, days);
  }
  /* shadow first: a passwd entry without its shadow line would be a user
   * that pam_unix refuses; the reverse is harmless. */
  if (replace_file(SHADOW_FILE, ns, nsl) < 0 || replace_file(PASSWD_FILE, np, npl) < 0) {
    perror("ujb-users: write");
    goto out;
  }
  rc = 0;
out:
  unlock_all();
  if (rc == 0) {
    for (size_t i = 0; i < n; i++) {
      if ((mkdir(us[i].home, 0755) < 0 && errno != EEXIST) ||
          chown(us[i].home, (uid_t) us[i].uid, (gid_t) us[i].gid) < 0) {
        fprintf(stderr, "ujb-users: home %s: %s\n", us[i].home, strerror(errno));
        rc = 1;
      }
    }
  }
  return rc;
}

/* Copy `text` without the lines `drop` says to drop. */
static size_t filter(const char *text, char *out, int (*drop)(const char *line, size_t len))
{
  size_t n = 0;
  const char *l = text;
  while (*l) {
    const char *e = strchr(l, '\n');
    size_t len = e ? (size_t) (e - l) + 1 : strlen(l);
    if (!drop(l, len)) {
      memcpy(out + n, l, len);
      n += len;
    }
    l += len;
  }
  return n;
}

static const char *g_prefix;
static unsigned long g_min, g_max;
static char (*g_dropped)[64];
static size_t g_ndropped;

static int drop_passwd(const char *l, size_t len)
{
  const char *c = memchr(l, ':', len);
  size_t pl = strlen(g_prefix);
  unsigned long uid;
  if (!c || (size_t) (c - l) >= 64 || strncmp(l, g_prefix, pl))
    return 0;
  c = memchr(c + 1, ':', len - (size_t) (c + 1 - l));
  if (!c)
    return 0;
  uid = strtoul(c + 1, NULL, 10);
  if (uid < g_min || uid > g_max)
    return 0;
  memcpy(g_dropped[g_ndropped], l, (size_t) (strchr(l, ':') - l));
  g_dropped[g_ndropped][strchr(l, ':') - l] = '\0';
  g_ndropped++;
  return 1;
}

static int drop_shadow(const char *l, size_t len)
{
  const char *c = memchr(l, ':', len);
  if (!c)
    return 0;
  for (size_t i = 0; i < g_ndropped; i++) {
    size_t nl = strlen(g_dropped[i]);
    if ((size_t) (c - l) == nl && !strncmp(l, g_dropped[i], nl))
      return 1;
  }
  return 0;
}

static int cmd_del(const char *prefix, unsigned long min, unsigned long max)
{
  size_t plen, slen, npl, nsl;
  char *pw, *sh, *np, *ns;
  int rc = 1;

  if (strlen(prefix) < 3) {
    fprintf(stderr, "ujb-users: prefix '%s' is too short to be safe\n", prefix);
    return 2;
  }
  if (lock_all() < 0)
    return 1;
  pw = slurp(PASSWD_FILE, &plen);
  sh = slurp(SHADOW_FILE, &slen);
  if (!pw || !sh)
    goto out;
  g_prefix = prefix;
  g_min = min;
  g_max = max;
  g_dropped = calloc(MAX_USERS, sizeof *g_dropped);
  np = malloc(plen + 1);
  ns = malloc(slen + 1);
  npl = filter(pw, np, drop_passwd);
  nsl = filter(sh, ns, drop_shadow);
  if (g_ndropped == 0) {
    rc = 0;
    goto out;
  }
  if (replace_file(PASSWD_FILE, np, npl) < 0 || replace_file(SHADOW_FILE, ns, nsl) < 0) {
    perror("ujb-users: write");
    goto out;
  }
  rc = 0;
out:
  unlock_all();
  if (rc == 0)
    printf("removed %zu users\n", g_ndropped);
  return rc;
}

int main(int argc, char **argv)
{
  if (argc == 2 && !strcmp(argv[1], "add"))
    return cmd_add();
  if (argc == 5 && !strcmp(argv[1], "del"))
    return cmd_del(argv[2], strtoul(argv[3], NULL, 10), strtoul(argv[4], NULL, 10));
  fprintf(stderr, "usage: ujb-users add < LINES | ujb-users del PREFIX UIDMIN UIDMAX\n");
  return 2;
}
