/* Thin wrappers over the fd-based mount API (fsopen/fsmount/open_tree/
 * move_mount/mount_setattr). A mount is built detached, given its flags,
 * then attached onto a target *fd*: no path string is ever resolved twice. */
#ifndef UJ_MOUNTFD_H
#define UJ_MOUNTFD_H

#include <stdbool.h>
#include <stdint.h>

#include "common/err.h"

/* MOUNT_ATTR_* values (linux/mount.h), repeated so this header does not
 * clash with <sys/mount.h>. */
#define UJ_ATTR_RDONLY 0x00000001
#define UJ_ATTR_NOSUID 0x00000002
#define UJ_ATTR_NODEV 0x00000004
#define UJ_ATTR_NOEXEC 0x00000008
#define UJ_ATTR_SAFE (UJ_ATTR_NOSUID | UJ_ATTR_NODEV)

/* New filesystem instance, detached. opts: NULL-terminated key,value pairs
 * (value NULL for a flag), e.g. {"size","64M","mode","1777",NULL}. */
int uj_fs_new(const char *fstype, const char *const *opts, unsigned attrs, struct uj_err *err);

/* The same in steps, for filesystems that take fds (overlayfs layers):
 * open a context, set options, then create the detached mount. Errors carry
 * the filesystem's own explanation from the context's log. A failed
 * uj_fs_set_fd leaves err->code at the errno, so callers can fall back. */
int uj_fs_context(const char *fstype, struct uj_err *err);
int uj_fs_set(int fc, const char *key, const char *value, struct uj_err *err);
int uj_fs_set_fd(int fc, const char *key, int fd, struct uj_err *err);
int uj_fs_create(int fc, unsigned attrs, struct uj_err *err);

/* Detached copy of the mount tree at src_fd (an O_PATH fd), recursive or not,
 * with attrs set on every mount of it and propagation private. */
int uj_bind_clone(int src_fd, bool recursive, unsigned attrs, struct uj_err *err);

/* The same with a chosen propagation (MS_PRIVATE or MS_SLAVE). A slave
 * copy of a shared or slave host mount receives the host's later mounts and
 * unmounts beneath it, and sends nothing back. */
int uj_bind_clone_prop(int src_fd, bool recursive, unsigned attrs, unsigned long propagation,
                       struct uj_err *err);

/* Attach detached mount mnt_fd onto target_fd (O_PATH fd of a dir or file). */
int uj_attach(int mnt_fd, int target_fd, struct uj_err *err);

/* Set attributes (recursively when asked) on the mount at target_fd. */
int uj_setattr(int target_fd, bool recursive, unsigned set, unsigned clr, struct uj_err *err);

#endif
