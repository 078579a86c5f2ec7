/* `userjail mkrootfs DIR --bin PROG...`: a minimal image root for restricted
 * shells, holding the named programs, every shared library they need, the
 * dynamic loader, and the few directories and /etc files a jail expects.
 *
 * Dependencies are found by reading the ELF files (elfdeps.c), never by
 * running them: `ldd` executes the program it inspects. The work is done in
 * two passes: the plan (resolve every program, library and symlink on the
 * host, touching nothing) and then the copy, so that a missing program or
 * library is reported before DIR is created or changed.
 *
 * Layout: each file lands at its canonical host path (/usr/bin/bash ->
 * DIR/usr/bin/bash); symlinks met on the way (libtinfo.so.6 ->
 * libtinfo.so.6.4, the merged-/usr links bin -> usr/bin ...) are recreated
 * as the same symlinks. Copies are owned by root, mode 0755 or 0644: set-id
 * bits and group/other write never make it into the image. */
#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "image/elfdeps.h"
#include "image/image.h"
#include "fs/safefs.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
#define LDCONFIG "/sbin/ldconfig"

struct item {
  char *path;   /* canonical host path, absolute */
  char *link;   /* symlink target, or NULL for a regular file */
};

struct mk {
  const char *dir;           /* DIR as given, for messages */
  int root;                  /* O_PATH fd of DIR */
  bool force;
  bool as_root;
  struct uj_strv conf_dirs;  /* host's /etc/ld.so.conf directories */
  struct uj_strv lib_dirs;   /* directories libraries were found in (for ld.so.conf) */
  struct item *items;
  size_t n_items;
  struct uj_strv scanned;    /* objects whose dependencies were followed */
  unsigned n_files, n_links, n_dirs;
};

static void mk_free(struct mk *m)
{
  for (size_t i = 0; i < m->n_items; i++) {
    free(m->items[i].path);
    free(m->items[i].link);
  }
  free(m->items);
  uj_strv_free(&m->conf_dirs);
  uj_strv_free(&m->lib_dirs);
  uj_strv_free(&m->scanned);
  if (m->root >= 0)
    close(m->root);
}

static const struct item *find_item(const struct mk *m, const char *path)
{
  for (size_t i = 0; i < m->n_items; i++)
    if (strcmp(m->items[i].path, path) == 0)
      return &m->items[i];
  return NULL;
}

static int push_item(struct mk *m, const char *path, const char *link, struct uj_err *err)
{
  struct item *v = realloc(m->items, (m->n_items + 1) * sizeof *v);
  if (!v)
    return uj_err_set(err, ENOMEM, "plan");
  m->items = v;
  v[m->n_items].path = strdup(path);
  v[m->n_items].link = link ? strdup(link) : NULL;
  if (!v[m->n_items].path || (link && !v[m->n_items].link))
    return uj_err_set(err, ENOMEM, "plan");
  m->n_items++;
  return 0;
}

/* The directory part resolved by realpath (so /bin/bash on a merged-/usr
 * host becomes /usr/bin/bash), the last component kept as is: it may be a
 * symlink that the image must hold too. */
static char *canonical(const char *path, struct uj_err *err)
{
  cleanup_free char *copy = strdup(path);
  char real[PATH_MAX];
  char *slash, *out = NULL;
  const char *dir, *base;

  if (!copy) {
    uj_err_set(err, ENOMEM, "%s", path);
    return NULL;
  }
  slash = strrchr(copy, '/');
  if (!slash) {
    dir = ".", base = copy;
  } else {
    *slash = '\0';
    dir = slash == copy ? "/" : copy;
    base = slash + 1;
  }
  if (!*base || !strcmp(base, ".") || !strcmp(base, "..")) {
    uj_err_set(err, 0, "%s: not a file name", path);
    return NULL;
  }
  if (!realpath(dir, real)) {
    uj_err_set(err, errno, "%s", path);
    return NULL;
  }
  if (asprintf(&out, "%s/%s", strcmp(real, "/") ? real : "", base) < 0) {
    uj_err_set(err, ENOMEM, "%s", path);
    return NULL;
  }
  return out;
}

/* Plan `path` and, when it is a symlink, the chain it points along.
 * *final gets the canonical path of the regular file at the end. */
static int plan_path(struct mk *m, const char *path, int depth, char **final, struct uj_err *err)
{
  cleanup_free char *canon = NULL;
  cleanup_free char *next = NULL;
  const struct item *it;
  char target[PATH_MAX];
  struct stat st;
  ssize_t n;

  if (depth > 40)
    return uj_err_set(err, ELOOP, "%s", path);
  canon = canonical(path, err);
  if (!canon)
    return -1;
  it = find_item(m, canon);
  if (it && !it->link) {
    *final = steal_pointer(&canon);
    return 0;
  }
  if (lstat(canon, &st) < 0)
    return uj_err_set(err, errno, "%s", canon);
  if (S_ISREG(st.st_mode)) {
    if (push_item(m, canon, NULL, err) < 0)
      return -1;
    *final = steal_pointer(&canon);
    return 0;
  }
  if (!S_ISLNK(st.st_mode))
    return uj_err_set(err, 0, "%s: not a regular file", canon);
  n = readlink(canon, target, sizeof target - 1);
  if (n < 0)
    return uj_err_set(err, errno, "readlink %s", canon);
  target[n] = '\0';
  if (!it && push_item(m, canon, target, err) < 0)
    return -1;
  if (target[0] == '/')
    next = strdup(target);
  else if (asprintf(&next, "%.*s/%s", (int) (strrchr(canon, '/') - canon), canon, target) < 0)
    next = NULL;
  if (!next)
    return uj_err_set(err, ENOMEM, "%s", canon);
  return plan_path(m, next, depth + 1, final, err);
}

/* Map a whole file read-only (NULL and *len 0 for an empty file). */
static int map_file(const char *path, unsigned char **buf, size_t *len, struct uj_err *err)
{
  cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  struct stat st;
  void *p;

  *buf = NULL, *len = 0;
  if (fd < 0 || fstat(fd, &st) < 0)
    return uj_err_set(err, errno, "%s", path);
  if (st.st_size == 0)
    return 0;
  p = mmap(NULL, (size_t) st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
  if (p == MAP_FAILED)
    return uj_err_set(err, errno, "read %s", path);
  *buf = p, *len = (size_t) st.st_size;
  return 0;
}

/* The first library called `name` in dirs that matches the requesting
 * object's class and machine, as the dynamic loader would pick it. */
static char *find_lib(const char *name, const struct uj_strv *dirs, const struct uj_elf_info *in)
{
  for (size_t i = 0; i < dirs->n; i++) {
    cleanup_free char *p = NULL;
    cleanup_close int fd = -1;
    unsigned char hdr[64];
    ssize_t n;

    if (asprintf(&p, "%s/%s", dirs->v[i], name) < 0)
      return NULL;
    fd = open(p, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      continue;
    n = read(fd, hdr, sizeof hdr);
    if (n > 0 && uj_elf_compatible(hdr, (size_t) n, in->elf_class, in->machine))
      return steal_pointer(&p);
  }
  return NULL;
}

/* The list joined with sep between items (and after the last when
 * `trailing`). */
static char *join_dirs(const struct uj_strv *dirs, const char *sep, bool trailing)
{
  size_t len = 1;
  char *s;

  for (size_t i = 0; i < dirs->n; i++)
    len += strlen(dirs->v[i]) + strlen(sep);
  s = calloc(1, len);
  for (size_t i = 0; s && i < dirs->n; i++) {
    strcat(s, dirs->v[i]);
    if (trailing || i + 1 < dirs->n)
      strcat(s, sep);
  }
  return s;
}

static int plan_object(struct mk *m, const char *path, const struct uj_strv *inherited,
                       int depth, struct uj_err *err);

/* Search order of the dynamic loader, without LD_LIBRARY_PATH (a login
 * does not set it): DT_RPATH (only when there is no DT_RUNPATH, also the
 * executable's for all its libraries), DT_RUNPATH, ld.so.conf (what
 * ld.so.cache holds), then the built-in directories. */
static int search_dirs(const struct mk *m, const struct uj_elf_info *in, const char *origin,
                       const struct uj_strv *inherited, struct uj_strv *out)
{
  const char *triplet = uj_elf_multiarch(in->machine, in->elf_class);
  const char *lib = in->elf_class == ELFCLASS64 ? "lib64" : "lib";
  char buf[PATH_MAX];
  static const char *const plain[] = { "/lib64", "/usr/lib64", "/lib", "/usr/lib", NULL };

  if (!in->runpath && in->rpath && uj_elf_expand_path(in->rpath, origin, lib, "x86_64", out) < 0)
    return -1;
  for (size_t i = 0; inherited && !in->runpath && i < inherited->n; i++)
    if (!uj_strv_has(out, inherited->v[i]) && uj_strv_push(out, inherited->v[i]) < 0)
      return -1;
  if (in->runpath && uj_elf_expand_path(in->runpath, origin, lib, "x86_64", out) < 0)
    return -1;
  for (size_t i = 0; i < m->conf_dirs.n; i++)
    if (!uj_strv_has(out, m->conf_dirs.v[i]) && uj_strv_push(out, m->conf_dirs.v[i]) < 0)
      return -1;
  for (int usr = 0; triplet && usr < 2; usr++) {
    snprintf(buf, sizeof buf, "%s/lib/%s", usr ? "/usr" : "", triplet);
    if (!uj_strv_has(out, buf) && uj_strv_push(out, buf) < 0)
      return -1;
  }
  for (size_t i = 0; plain[i]; i++)
    if (!uj_strv_has(out, plain[i]) && uj_strv_push(out, plain[i]) < 0)
      return -1;
  return 0;
}

static int plan_elf(struct mk *m, const char *final, const unsigned char *buf, size_t len,
                    const struct uj_strv *inherited, int depth, struct uj_err *err)
{
  struct uj_elf_info in;
  struct uj_strv dirs = { 0 }, own = { 0 };
  cleanup_free char *origin = strndup(final, (size_t) (strrchr(final, '/') - final));
  int r = -1;

  if (!origin)
    return uj_err_set(err, ENOMEM, "%s", final);
  if (uj_elf_parse(buf, len, &in, err) < 0)
    return uj_err_prefix(err, "%s", final);
  if (in.interp && plan_object(m, in.interp, NULL, depth + 1, err) < 0) {
    uj_err_prefix(err, "%s: its dynamic loader", final);
    goto out;
  }
  /* The executable's own RPATH applies to every library it pulls in. */
  if (!inherited && !in.runpath && in.rpath &&
      uj_elf_expand_path(in.rpath, origin, "lib64", "x86_64", &own) < 0)
    goto nomem;
  if (search_dirs(m, &in, origin, inherited, &dirs) < 0)
    goto nomem;
  for (size_t i = 0; i < in.needed.n; i++) {
    const char *name = in.needed.v[i];
    cleanup_free char *found = strchr(name, '/') ? strdup(name) : find_lib(name, &dirs, &in);
    if (!found) {
      cleanup_free char *where = join_dirs(&dirs, ":", false);
      uj_err_set(err, 0, "%s needs %s: not found in %s", final, name, where ? where : "?");
      goto out;
    }
    if (!strchr(name, '/')) {
      cleanup_free char *d = strndup(found, (size_t) (strrchr(found, '/') - found));
      if (!d || (!uj_strv_has(&m->lib_dirs, d) && uj_strv_push(&m->lib_dirs, d) < 0))
        goto nomem;
    }
    if (plan_object(m, found, inherited ? inherited : &own, depth + 1, err) < 0) {
      uj_err_prefix(err, "%s needs %s", final, name);
      goto out;
    }
  }
  r = 0;
  goto out;
nomem:
  uj_err_set(err, ENOMEM, "%s", final);
out:
  uj_strv_free(&dirs);
  uj_strv_free(&own);
  uj_elf_info_free(&in);
  return r;
}

/* Plan a program or library and, recursively, what it needs to run. */
static int plan_object(struct mk *m, const char *path, const struct uj_strv *inherited,
                       int depth, struct uj_err *err)
{
  cleanup_free char *final = NULL;
  cleanup_free char *interp = NULL;
  unsigned char *buf = NULL;
  size_t len = 0;
  int r = 0;

  if (depth > 64)
    return uj_err_set(err, ELOOP, "%s: dependencies nested too deep", path);
  if (plan_path(m, path, 0, &final, err) < 0)
    return -1;
  if (uj_strv_has(&m->scanned, final))
    return 0;
  if (uj_strv_push(&m->scanned, final) < 0)
    return uj_err_set(err, ENOMEM, "%s", final);
  if (map_file(final, &buf, &len, err) < 0)
    return -1;
  if ((interp = uj_shebang_interp(buf, len))) {
    if (interp[0] != '/')
      r = uj_err_set(err, 0, "%s: interpreter %s is not an absolute path", final, interp);
    else if ((r = plan_object(m, interp, NULL, depth + 1, err)) < 0)
      uj_err_prefix(err, "%s: its interpreter", final);
  } else if (len >= 4 && memcmp(buf, "\177ELF", 4) == 0) {
    r = plan_elf(m, final, buf, len, inherited, depth, err);
  }
  if (buf)
    munmap(buf, len);
  return r;
}

/* PROG as typed: a path, or a name looked up in $PATH like a shell does. */
static char *resolve_prog(const char *prog, struct uj_err *err)
{
  const char *path = getenv("PATH");
  cleanup_free char *copy = strdup(path && *path ? path : DEFAULT_PATH);
  char *save = NULL;

  if (strchr(prog, '/'))
    return strdup(prog);
  if (!copy)
    return NULL;
  for (char *d = strtok_r(copy, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
    char *p = NULL;
    struct stat st;
    if (asprintf(&p, "%s/%s", d, prog) < 0)
      return NULL;
    if (stat(p, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111))
      return p;
    free(p);
  }
  uj_err_set(err, 0, "%s: program not found in PATH (%s)", prog,
             path && *path ? path : DEFAULT_PATH);
  return NULL;
}

/* Directories of /etc/ld.so.conf and its includes, one level deep (the
 * includes on Debian hold directories only). */
static int load_ldconf(struct mk *m, struct uj_err *err)
{
  struct uj_strv includes = { 0 };
  static const char *const conf = "/etc/ld.so.conf";
  char text[16384];
  struct uj_err ignored;
  int r = 0;

  if (uj_read_small(conf, text, sizeof text, &ignored) < 0)
    return 0; /* no ld.so.conf: the built-in directories still apply */
  if (uj_ldconf_parse(text, "/etc", &m->conf_dirs, &includes) < 0)
    return uj_err_set(err, ENOMEM, "%s", conf);
  for (size_t i = 0; i < includes.n && r == 0; i++) {
    glob_t g;
    if (glob(includes.v[i], 0, NULL, &g) != 0)
      continue;
    for (size_t j = 0; j < g.gl_pathc; j++) {
      struct uj_strv nested = { 0 };
      if (uj_read_small(g.gl_pathv[j], text, sizeof text, &ignored) < 0)
        continue;
      if (uj_ldconf_parse(text, "/etc", &m->conf_dirs, &nested) < 0)
        r = uj_err_set(err, ENOMEM, "%s", g.gl_pathv[j]);
      uj_strv_free(&nested);
    }
    globfree(&g);
  }
  uj_strv_free(&includes);
  return r;
}

/* ---- second pass: write the image ---- */

/* mkdir -p of rel beneath DIR, never through a symlink, printing each
 * directory made. Returns an O_PATH fd of the last one. */
static int make_dirs(struct mk *m, const char *rel, mode_t mode, struct uj_err *err)
{
  cleanup_free char *copy = strdup(rel);
  cleanup_close int cur = dup(m->root);
  char *save = NULL;

  if (!copy || cur < 0)
    return uj_err_set(err, errno ? errno : ENOMEM, "%s/%s", m->dir, rel);
  for (char *c = strtok_r(copy, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
    int fd = uj_open_beneath(cur, c, O_PATH | O_DIRECTORY, err);
    if (fd < 0 && err->code == ENOENT) {
      if (mkdirat(cur, c, 0755) < 0)
        return uj_err_set(err, errno, "mkdir %s/%s", m->dir, rel);
      printf("mkdir %s/%.*s\n", m->dir, (int) (c - copy + strlen(c)), rel);
      m->n_dirs++;
      fd = uj_open_beneath(cur, c, O_PATH | O_DIRECTORY, err);
    }
    if (fd < 0)
      return uj_err_prefix(err, "%s/%s", m->dir, rel);
    close(cur);
    cur = fd;
  }
  if (mode != 0755) {
    /* fchmod needs a real fd; O_NOFOLLOW via open_beneath. */
    cleanup_close int rd = uj_open_beneath(cur, ".", O_RDONLY | O_DIRECTORY, err);
    if (rd < 0 || fchmod(rd, mode) < 0)
      return uj_err_set(err, errno, "chmod %s/%s", m->dir, rel);
  }
  return steal_fd(&cur);
}

/* Parent dir fd of a host-absolute path inside DIR, and its base name. */
static int parent_of(struct mk *m, const char *abs, const char **base, struct uj_err *err)
{
  const char *slash = strrchr(abs, '/');
  cleanup_free char *dir = strndup(abs + 1, (size_t) (slash - abs - (slash > abs ? 1 : 0)));

  *base = slash + 1;
  if (!dir)
    return uj_err_set(err, ENOMEM, "%s", abs);
  if (!*dir)
    return dup(m->root);
  return make_dirs(m, dir, 0755, err);
}

static int make_link(struct mk *m, const char *abs, const char *target, struct uj_err *err)
{
  const char *base;
  cleanup_close int pfd = parent_of(m, abs, &base, err);
  char cur[PATH_MAX];
  ssize_t n;

  if (pfd < 0)
    return -1;
  n = readlinkat(pfd, base, cur, sizeof cur - 1);
  if (n >= 0) {
    cur[n] = '\0';
    if (strcmp(cur, target) == 0)
      return 0;
  }
  if ((n >= 0 || errno != ENOENT) && unlinkat(pfd, base, 0) < 0)
    return uj_err_set(err, errno, "replace %s%s", m->dir, abs);
  if (symlinkat(target, pfd, base) < 0)
    return uj_err_set(err, errno, "symlink %s%s", m->dir, abs);
  printf("symlink %s%s -> %s\n", m->dir, abs, target);
  m->n_links++;
  return 0;
}

static int copy_data(int in, int out)
{
  for (;;) {
    ssize_t n = sendfile(out, in, NULL, 1 << 20);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      return n < 0 ? -1 : 0;
  }
}

/* Copy a host file to the same path in DIR: written under a temporary name
 * and renamed, so a rerun with --force never leaves a half-copied binary. */
static int copy_file(struct mk *m, const char *abs, struct uj_err *err)
{
  const char *base;
  cleanup_close int pfd = parent_of(m, abs, &base, err);
  cleanup_close int in = -1;
  cleanup_close int out = -1;
  char tmp[NAME_MAX + 16];
  struct stat st;
  mode_t mode;

  if (pfd < 0)
    return -1;
  in = open(abs, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (in < 0 || fstat(in, &st) < 0)
    return uj_err_set(err, errno, "%s", abs);
  /* Set-id bits and group/other write are dropped on purpose. */
  mode = (st.st_mode & 0111) ? 0755 : 0644;
  snprintf(tmp, sizeof tmp, ".%.*s.mkrootfs", NAME_MAX, base);
  unlinkat(pfd, tmp, 0);
  out = openat(pfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (out < 0)
    return uj_err_set(err, errno, "create %s%s", m->dir, abs);
  if (copy_data(in, out) < 0 || fchmod(out, mode) < 0 ||
      (m->as_root && fchown(out, 0, 0) < 0)) {
    int e = errno;
    unlinkat(pfd, tmp, 0);
    return uj_err_set(err, e, "copy %s", abs);
  }
  if (renameat(pfd, tmp, pfd, base) < 0) {
    int e = errno;
    unlinkat(pfd, tmp, 0);
    return uj_err_set(err, e, "rename into %s%s", m->dir, abs);
  }
  printf("copy %s -> %s%s\n", abs, m->dir, abs);
  m->n_files++;
  return 0;
}

/* The skeleton every jail expects. Top-level bin/sbin/lib/lib64 follow the
 * host: the same relative symlinks on a merged-/usr host, directories
 * otherwise. Mount points the jail builder uses are made here so that it
 * does not have to create them in the user's upper layer. */
static int base_layout(struct mk *m, struct uj_err *err)
{
  static const char *const top[] = { "bin", "sbin", "lib", "lib64", NULL };
  static const struct { const char *path; mode_t mode; } dirs[] = {
    { "usr/bin", 0755 }, { "usr/sbin", 0755 }, { "usr/lib", 0755 }, { "etc", 0755 },
    { "home", 0755 }, { "root", 0700 }, { "tmp", 01777 }, { "proc", 0755 }, { "dev", 0755 },
    { "run", 0755 }, { "var/tmp", 01777 }, { "var/log", 0755 },
  };
  static const char *const links[][2] = { { "/var/run", "/run" }, { "/var/lock", "/run/lock" } };

  for (size_t i = 0; top[i]; i++) {
    char hostp[64], target[PATH_MAX];
    ssize_t n;
    int fd;
    snprintf(hostp, sizeof hostp, "/%s", top[i]);
    n = readlink(hostp, target, sizeof target - 1);
    if (n > 0) {
      target[n] = '\0';
      /* Make the link's target too, unless it leaves the tree. */
      if (target[0] != '/' && !strstr(target, "..")) {
        fd = make_dirs(m, target, 0755, err);
        if (fd < 0)
          return -1;
        close(fd);
      }
      if (make_link(m, hostp, target, err) < 0)
        return -1;
      continue;
    }
    fd = make_dirs(m, top[i], 0755, err);
    if (fd < 0)
      return -1;
    close(fd);
  }
  for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
    int fd = make_dirs(m, dirs[i].path, dirs[i].mode, err);
    if (fd < 0)
      return -1;
    close(fd);
  }
  for (size_t i = 0; i < 2; i++)
    if (make_link(m, links[i][0], links[i][1], err) < 0)
      return -1;
  return 0;
}

/* Small /etc files, written only when missing so that a rerun with --force
 * keeps the admin's edits. passwd and group name root only: the jail
 * builder binds the host's /etc/passwd and /etc/group read-only over them,
 * so the users of the host resolve inside. Empty mount points for the
 * files the jail binds (login records, hostname, hosts) are made too. */
static int etc_files(struct mk *m, struct uj_err *err)
{
  cleanup_free char *ldconf = join_dirs(&m->lib_dirs, "\n", true);
  static const char *const mounts[] = { "etc/hostname", "etc/hosts", "var/log/wtmp",
                                        "var/log/btmp", "var/log/lastlog", NULL };
  const struct { const char *path, *text; } files[] = {
    { "etc/passwd", "root:x:0:0:root:/root:/bin/sh\n" },
    { "etc/group", "root:x:0:\n" },
    { "etc/nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\nhosts: files dns\n"
                           "networks: files\nservices: files\nprotocols: files\n" },
    { "etc/ld.so.conf", ldconf },
  };

  if (!ldconf)
    return uj_err_set(err, ENOMEM, "ld.so.conf");
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
    int fd = uj_open_beneath(m->root, files[i].path, O_PATH, err);
    if (fd >= 0) {
      close(fd);
      continue;
    }
    if (uj_write_file_beneath(m->root, files[i].path, files[i].text, 0644, err) < 0)
      return uj_err_prefix(err, "%s", m->dir);
    printf("write %s/%s\n", m->dir, files[i].path);
  }
  for (size_t i = 0; mounts[i]; i++) {
    int fd = uj_open_beneath(m->root, mounts[i], O_PATH, err);
    if (fd < 0)
      fd = uj_mkfile_beneath(m->root, mounts[i], 0644, err);
    if (fd < 0)
      return uj_err_prefix(err, "%s", m->dir);
    close(fd);
  }
  return 0;
}

/* ld.so.cache for the image, so libraries from ld.so.conf directories
 * outside the loader's built-in list are found inside. `ldconfig -r` reads
 * the image's own files only; it runs nothing from the image. Failure is
 * only a warning: the built-in directories work without a cache. */
static void run_ldconfig(struct mk *m)
{
  pid_t pid;
  int status;

  if (!m->as_root || access(LDCONFIG, X_OK) < 0)
    return;
  printf("run %s -X -r %s\n", LDCONFIG, m->dir);
  fflush(stdout);
  pid = fork();
  if (pid == 0) {
    execl(LDCONFIG, LDCONFIG, "-X", "-r", m->dir, (char *) NULL);
    _exit(127);
  }
  if (pid < 0 || waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status))
    fprintf(stderr, "mkrootfs: warning: %s -r %s failed; the image has no ld.so.cache\n",
            LDCONFIG, m->dir);
}

/* Open (creating if needed) DIR; refuse "/" and, without --force, a
 * directory that already has entries. */
static int open_target(struct mk *m, const char *dir, struct uj_err *err)
{
  cleanup_close int fd = -1;
  struct stat st, rootst;
  DIR *d;
  struct dirent *de;
  bool empty = true;

  if (mkdir(dir, 0755) == 0)
    printf("mkdir %s\n", dir);
  else if (errno != EEXIST)
    return uj_err_set(err, errno, "mkdir %s", dir);
  fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0 || fstat(fd, &st) < 0 || stat("/", &rootst) < 0)
    return uj_err_set(err, errno, "%s", dir);
  if (st.st_dev == rootst.st_dev && st.st_ino == rootst.st_ino)
    return uj_err_set(err, 0, "%s is the host's root directory", dir);
  d = fdopendir(dup(fd));
  if (!d)
    return uj_err_set(err, errno, "%s", dir);
  while ((de = readdir(d)))
    if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
      empty = false;
  closedir(d);
  if (!empty && !m->force)
    return uj_err_set(err, 0, "%s exists and is not empty (use --force to add to it)", dir);
  /* The jail refuses an image that is not root's or is writable by others. */
  if (m->as_root && (st.st_uid != 0 || st.st_gid != 0)) {
    if (fchown(fd, 0, 0) < 0)
      return uj_err_set(err, errno, "chown %s", dir);
    printf("chown root:root %s\n", dir);
  }
  if ((st.st_mode & 07777) != 0755) {
    if (fchmod(fd, 0755) < 0)
      return uj_err_set(err, errno, "chmod %s", dir);
    printf("chmod 0755 %s\n", dir);
  }
  m->root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (m->root < 0)
    return uj_err_set(err, errno, "%s", dir);
  return 0;
}

static void mk_usage(FILE *f)
{
  fputs("usage: userjail mkrootfs DIR [--force] --bin PROG [PROG...]\n"
        "  Build a minimal image root in DIR holding PROG (looked up in PATH unless it\n"
        "  contains '/') and every library it needs. DIR must be missing or empty\n"
        "  unless --force is given, which adds to it (replacing copied files).\n",
        f);
}

int uj_cmd_mkrootfs(int argc, char **argv)
{
  struct mk m = { .root = -1, .as_root = geteuid() == 0 };
  cleanup_free char *dir = NULL;
  struct uj_strv progs = { 0 };
  struct uj_err err = { 0 };
  bool in_bin = false;
  int rc = 1;

  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      mk_usage(stdout);
      return 0;
    } else if (!strcmp(a, "--force")) {
      m.force = true;
    } else if (!strcmp(a, "--bin")) {
      in_bin = true;
    } else if (a[0] == '-') {
      fprintf(stderr, "mkrootfs: unknown option %s\n", a);
      mk_usage(stderr);
      return 2;
    } else if (in_bin) {
      if (uj_strv_push(&progs, a) < 0)
        return 1;
    } else if (!dir) {
      dir = strdup(a);
      if (!dir)
        return 1;
    } else {
      fprintf(stderr, "mkrootfs: unexpected argument %s (programs follow --bin)\n", a);
      mk_usage(stderr);
      return 2;
    }
  }
  if (!dir || !progs.n) {
    mk_usage(stderr);
    uj_strv_free(&progs);
    return 2;
  }
  for (size_t n = strlen(dir); n > 1 && dir[n - 1] == '/'; n--)
    dir[n - 1] = '\0';
  m.dir = dir;
  umask(022);

  /* Pass 1: plan everything; nothing on disk changes if this fails. */
  if (load_ldconf(&m, &err) < 0)
    goto fail;
  for (size_t i = 0; i < progs.n; i++) {
    cleanup_free char *p = resolve_prog(progs.v[i], &err);
    if (!p)
      goto fail;
    if (plan_object(&m, p, NULL, 0, &err) < 0) {
      uj_err_prefix(&err, "%s", progs.v[i]);
      goto fail;
    }
  }
  /* Pass 2: write the image. */
  if (open_target(&m, dir, &err) < 0 || base_layout(&m, &err) < 0)
    goto fail;
  for (size_t i = 0; i < m.n_items; i++) {
    const struct item *it = &m.items[i];
    if ((it->link ? make_link(&m, it->path, it->link, &err) : copy_file(&m, it->path, &err)) < 0)
      goto fail;
  }
  if (etc_files(&m, &err) < 0)
    goto fail;
  fflush(stdout);
  run_ldconfig(&m);
  printf("mkrootfs: %s ready: %u files, %u symlinks, %u directories created\n", dir, m.n_files,
         m.n_links, m.n_dirs);
  if (!m.as_root)
    printf("mkrootfs: note: not run as root, so the files are not owned by root; "
           "userjail refuses such an image as a rootfs\n");
  rc = 0;
  goto out;
fail:
  fflush(stdout);
  fprintf(stderr, "mkrootfs: %s\n", err.msg);
out:
  uj_strv_free(&progs);
  mk_free(&m);
  return rc;
}
