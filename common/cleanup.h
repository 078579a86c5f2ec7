/* Scope-bound cleanup helpers (the bubblewrap/crun idiom): a variable declared
 * with one of these attributes is released on every return path, so error
 * handling cannot leak fds or memory. steal_pointer()/steal_fd() hand
 * ownership out of a scope. */
#ifndef UJ_CLEANUP_H
#define UJ_CLEANUP_H

#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void uj_freep(void *p) { free(*(void **) p); }
static inline void uj_closep(int *fd)
{
  if (*fd >= 0) {
    int saved = errno;
    close(*fd);
    errno = saved;
  }
}
static inline void uj_fclosep(FILE **f)
{
  if (*f)
    fclose(*f);
}

#define cleanup_free __attribute__((cleanup(uj_freep)))
#define cleanup_close __attribute__((cleanup(uj_closep)))
#define cleanup_fclose __attribute__((cleanup(uj_fclosep)))

static inline void *uj_steal_ptr(void *pp)
{
  void **p = pp;
  void *v = *p;
  *p = NULL;
  return v;
}
/* Typed: `char *s = steal_pointer(&buf);` keeps buf's type, so handing a
 * pointer out of its scope cannot silently change what it points to. */
#define steal_pointer(pp) ((__typeof__(*(pp))) uj_steal_ptr(pp))

static inline int steal_fd(int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

/* Close every fd of fds[0..n) that is open (>= 0) and mark it closed: the
 * one way to drop a set of received or half-set-up descriptors. */
static inline void close_many(int *fds, size_t n)
{
  for (size_t i = 0; i < n; i++) {
    if (fds[i] >= 0) {
      int saved = errno;
      close(fds[i]);
      errno = saved;
      fds[i] = -1;
    }
  }
}

#endif
