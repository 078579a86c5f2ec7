/* Path resolution that never follows a symlink a user could have planted.
 * Everything resolves relative to a directory fd with openat2(RESOLVE_BENEATH
 * | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS); on kernels without openat2
 * the fallback walks component by component with O_NOFOLLOW. */
#ifndef UJ_SAFEFS_H
#define UJ_SAFEFS_H

#include <stdbool.h>
#include <sys/types.h>

#include "common/err.h"

/* Open `path` (relative or absolute; a leading '/' means dirfd itself)
 * beneath dirfd. flags as for openat (O_PATH, O_DIRECTORY ...); O_CLOEXEC
 * and O_NOFOLLOW are always added. Returns an fd or -1 with err set. */
int uj_open_beneath(int dirfd, const char *path, int flags, struct uj_err *err);

/* Open an absolute path of root's own trees (/sys/fs/cgroup, /proc, /run)
 * without following any symlink on the way, creating it with `mode` when
 * O_CREAT is given. -1 with errno set, like open(2): for callers that test
 * existence as well as for those that report. */
int uj_open_nofollow(const char *path, int flags, mode_t mode);

/* mkdir -p of `path` beneath dirfd (no symlink followed), mode for new
 * directories; returns an O_PATH|O_DIRECTORY fd of the last component. */
int uj_mkdir_beneath(int dirfd, const char *path, mode_t mode, struct uj_err *err);

/* Create (if missing) an empty regular file at `path` beneath dirfd, parents
 * created as with uj_mkdir_beneath; returns an O_PATH fd of it. Used as a
 * mount point for file binds. */
int uj_mkfile_beneath(int dirfd, const char *path, mode_t mode, struct uj_err *err);

/* Write a whole small file beneath dirfd (created 0644 root, O_EXCL off,
 * truncated). */
int uj_write_file_beneath(int dirfd, const char *path, const char *content, mode_t mode,
                          struct uj_err *err);

/* Read up to len-1 bytes of an absolute path into buf (NUL-terminated).
 * For /proc and /sys files. */
int uj_read_small(const char *path, char *buf, size_t len, struct uj_err *err);

/* Replace `path` (a file in directory `dir`) with buf[0..len), mode 0600:
 * written to a unique temporary name in `dir` and renamed over `path`, so
 * concurrent writers each leave a whole file and a reader never sees half
 * of one. The temporary file is removed on failure. */
int uj_replace_file(const char *dir, const char *path, const void *buf, size_t len,
                    struct uj_err *err);

/* Read exactly len bytes from fd: 0, or -1 (error, or the file ended). */
int uj_read_exact(int fd, void *buf, size_t len);

/* Write a string to an existing file (for /proc and cgroup knobs). */
int uj_write_str(const char *path, const char *s, struct uj_err *err);

/* One of our own programs (userjail-reaper, userjail-monitor): `name` next
 * to the running executable (a build tree), else `installed` (where `make
 * install` puts it). It must be a root-owned regular file, executable, that
 * only root can change: root executes it. `flags`: O_PATH or O_RDONLY
 * (O_CLOEXEC and O_NOFOLLOW are added). Returns an fd, or -1: none. */
int uj_open_own_program(const char *name, const char *installed, int flags);

#endif
