/* The compiled seccomp program, kept under /run/userjail between logins.
 *
 * Why: building it (dlopen of libseccomp, ~60 rules, export) took ~0.6 ms
 * of CPU at every helper login, on the path of a first login, for a result
 * that only changes when the rule's filter settings, this program's filter
 * list or libseccomp change. So the program is stored once per distinct
 * input and read back (one small file) by later logins.
 *
 * What makes a stored program valid, all checked at each load:
 * - its name and its header carry the key: a hash of the filter list and of
 *   the rule's seccomp settings (uj_seccomp_key, jail/seccomp.c);
 * - the libseccomp that built it is still the same file (path, device,
 *   inode, size, mtime) and so is /etc/ld.so.cache, which chose that file:
 *   a library upgrade replaces the file, and the next login builds afresh;
 * - a checksum over the whole file: a cut or garbled file is rebuilt;
 * - it is a regular file, root's, mode 0600, in root's private directory
 *   (the same as the last-good config copy): nobody else can plant one.
 * Anything else is a miss: the program is built as before and stored
 * again. A failure to store costs the next login a build, nothing more.
 * The directory is a tmpfs: a reboot starts empty. */
#include "jail/seccomp.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/cleanup.h"
#include "fs/safefs.h"
#include "util/text.h"

#define CACHE_MAGIC "UJBPF01"
#define LDCACHE "/etc/ld.so.cache"

struct file_id {
  uint64_t dev, ino, size, mtime_s, mtime_ns;
};

struct cache_head {
  char magic[8];
  uint64_t key;
  char lib[256];
  struct file_id lib_id, ldcache_id;
  uint32_t n, pad;
};

static bool file_id_of(const char *path, struct file_id *id)
{
  struct stat st;

  memset(id, 0, sizeof *id);
  if (stat(path, &st) < 0)
    return false;
  id->dev = st.st_dev;
  id->ino = st.st_ino;
  id->size = (uint64_t) st.st_size;
  id->mtime_s = (uint64_t) st.st_mtim.tv_sec;
  id->mtime_ns = (uint64_t) st.st_mtim.tv_nsec;
  return true;
}

static void cache_path(const char *dir, uint64_t key, char *buf, size_t len)
{
  snprintf(buf, len, "%s/seccomp-%016llx.bpf", dir, (unsigned long long) key);
}

/* The directory must be root's and private, like the last-good copy's. */
static bool dir_is_private(const char *dir)
{
  struct stat st;
  return lstat(dir, &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == 0 && !(st.st_mode & 077);
}

int uj_seccomp_cache_load(const char *dir, uint64_t key, struct sock_filter *out, uint32_t max,
                          uint32_t *n)
{
  char path[300];
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  struct cache_head h;
  struct file_id now;
  struct stat st;
  size_t len;
  uint64_t sum;

  if (!dir || !dir_is_private(dir))
    return -1;
  cache_path(dir, key, path, sizeof path);
  fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
  if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0 ||
      (st.st_mode & 077) || st.st_size < (off_t) (sizeof h + sizeof sum) ||
      (size_t) st.st_size > sizeof h + (size_t) max * sizeof *out + sizeof sum)
    return -1;
  len = (size_t) st.st_size;
  if (!(buf = malloc(len)) || uj_read_exact(fd, buf, len) < 0)
    return -1;
  memcpy(&sum, buf + len - sizeof sum, sizeof sum);
  if (sum != uj_text_hash(buf, len - sizeof sum))
    return -1;
  memcpy(&h, buf, sizeof h);
  if (memcmp(h.magic, CACHE_MAGIC, sizeof h.magic) != 0 || h.key != key || h.n > max ||
      len != sizeof h + (size_t) h.n * sizeof *out + sizeof sum ||
      h.lib[sizeof h.lib - 1] != '\0')
    return -1;
  /* The same libseccomp, chosen the same way, as when it was built. */
  if (!file_id_of(h.lib, &now) || memcmp(&now, &h.lib_id, sizeof now) != 0 ||
      !file_id_of(LDCACHE, &now) || memcmp(&now, &h.ldcache_id, sizeof now) != 0)
    return -1;
  memcpy(out, buf + sizeof h, (size_t) h.n * sizeof *out);
  *n = h.n;
  return 0;
}

void uj_seccomp_cache_store(const char *dir, uint64_t key, const char *lib,
                            const struct sock_filter *prog, uint32_t n)
{
  char path[300];
  cleanup_free char *buf = NULL;
  struct cache_head h;
  size_t len = sizeof h + (size_t) n * sizeof *prog;
  uint64_t sum;
  struct uj_err err;

  if (!dir || !lib || strlen(lib) >= sizeof h.lib || !dir_is_private(dir))
    return;
  memset(&h, 0, sizeof h);
  memcpy(h.magic, CACHE_MAGIC, sizeof h.magic);
  h.key = key;
  snprintf(h.lib, sizeof h.lib, "%s", lib);
  if (!file_id_of(lib, &h.lib_id) || !file_id_of(LDCACHE, &h.ldcache_id))
    return;
  h.n = n;
  if (!(buf = malloc(len + sizeof sum)))
    return;
  memcpy(buf, &h, sizeof h);
  memcpy(buf + sizeof h, prog, (size_t) n * sizeof *prog);
  sum = uj_text_hash(buf, len);
  memcpy(buf + len, &sum, sizeof sum);
  cache_path(dir, key, path, sizeof path);
  /* Best effort: without it the next login builds the program again. */
  uj_replace_file(dir, path, buf, len + sizeof sum, &err);
}
