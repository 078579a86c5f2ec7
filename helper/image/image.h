/* Image roots: a jail root made of an image directory (config key
 * rootfs = "/dir") under an overlay with a per-user upper layer (overlay.c),
 * and `userjail mkrootfs`, which builds such an image (mkrootfs.c). "rootfs"
 * is the config key; the code says "image". */
#ifndef UJ_IMAGE_H
#define UJ_IMAGE_H

#include <stdint.h>
#include <sys/types.h>

#include "common/err.h"
#include "config/config.h"

/* Called in the jail init (new mount namespace, before pivot_root) when
 * s->rootfs is set: validate the image (owned by root, not writable by
 * group/others), prepare the upper (ephemeral tmpfs, or persistent under
 * /var/lib/userjail/UID, parents root-only 0700) and return a detached
 * overlay mount fd (nosuid,nodev; redirect_dir/metacopy off). */
int uj_image_overlay_mount(const struct uj_settings *s, uid_t uid, gid_t gid, struct uj_err *err);

/* imagecheck.c: refuse an image a host user could change (see there):
 * system trees root-owned and not group/other-writable, data trees (/var,
 * /srv, ...) not other-writable unless sticky. `image` is a directory fd
 * (O_PATH is fine); err names the offending path relative to the image. */
int uj_image_check_tree(int image, struct uj_err *err);

/* upperimg.c: for upper_size: mount (detached, nosuid,nodev) the ext4
 * image USERDIR/upper.img of `size` bytes on a loop device that detaches
 * itself when unmounted, making the file system at the first use. */
int uj_upper_image_mount(int userdir, const char *user_path, uint64_t size, struct uj_err *err);

/* `userjail mkrootfs DIR --bin PROG...`; returns the exit status. */
int uj_cmd_mkrootfs(int argc, char **argv);

#endif
