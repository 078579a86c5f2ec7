#include "common/proto.h"
#include "common/cleanup.h"

#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int uj_send_fds(int sock, const void *buf, size_t len, const int *fds, size_t nfds,
                struct uj_err *err)
{
  union {
    char buf[CMSG_SPACE(sizeof(int) * UJ_MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  if (nfds > UJ_MAX_FDS)
    return uj_err_set(err, EINVAL, "too many descriptors to send (%zu)", nfds);
  if (nfds > 0) {
    struct cmsghdr *c;
    memset(&ctl, 0, sizeof ctl);
    mh.msg_control = ctl.buf;
    mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
    c = CMSG_FIRSTHDR(&mh);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
    memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
  }
  do
    n = sendmsg(sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return uj_err_set(err, errno, "sendmsg");
  if ((size_t) n != len)
    return uj_err_set(err, EIO, "short sendmsg");
  return 0;
}

int uj_recv_fds(int sock, void *buf, size_t len, int *fds, size_t maxfds, size_t *nfds,
                struct uj_err *err)
{
  union {
    char buf[CMSG_SPACE(sizeof(int) * UJ_MAX_FDS)];
    struct cmsghdr align;
  } ctl;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf };
  struct cmsghdr *c;
  ssize_t n;
  size_t got = 0;

  *nfds = 0;
  do
    n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC | MSG_WAITALL);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return uj_err_set(err, errno, "recvmsg");
  for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
      size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      int *in = (int *) CMSG_DATA(c);
      for (size_t i = 0; i < k; i++) {
        if (got < maxfds)
          fds[got++] = in[i];
        else
          close(in[i]); /* never keep a descriptor we did not ask for */
      }
    }
  }
  *nfds = got;
  if (mh.msg_flags & MSG_CTRUNC) {
    close_many(fds, got);
    *nfds = 0;
    return uj_err_set(err, EMSGSIZE, "descriptors truncated");
  }
  if (n == 0)
    return uj_err_set(err, ECONNRESET, "peer closed the connection");
  if ((size_t) n != len) {
    close_many(fds, got);
    *nfds = 0;
    return uj_err_set(err, EIO, "short message (%zd of %zu bytes)", n, len);
  }
  return 0;
}

int uj_send_join(int sock, struct uj_join_msg *msg, const struct uj_limits_msg *l,
                 const int *fds, size_t nfds, struct uj_err *err)
{
  char buf[sizeof *msg + sizeof *l];
  size_t len = sizeof *msg;

  msg->magic = l ? UJ_PROTO_MAGIC_LIMITS : UJ_PROTO_MAGIC;
  memcpy(buf, msg, sizeof *msg);
  if (l) {
    memcpy(buf + sizeof *msg, l, sizeof *l);
    len += sizeof *l;
  }
  /* One sendmsg: the reader takes it in two reads, the fds with the first. */
  return uj_send_fds(sock, buf, len, fds, nfds, err);
}

int uj_recv_join(int sock, struct uj_join_msg *msg, struct uj_limits_msg *l, int *have_limits,
                 int *fds, size_t maxfds, size_t *nfds, struct uj_err *err)
{
  size_t none;

  *have_limits = 0;
  memset(l, 0, sizeof *l);
  if (uj_recv_fds(sock, msg, sizeof *msg, fds, maxfds, nfds, err) < 0)
    return -1;
  if (msg->magic == UJ_PROTO_MAGIC_LIMITS) {
    if (uj_recv_fds(sock, l, sizeof *l, NULL, 0, &none, err) < 0)
      goto bad;
    l->hostname[sizeof l->hostname - 1] = '\0';
    if (l->ncpus > UJ_CPUMASK_WORDS * 64)
      l->ncpus = 0;
    *have_limits = 1;
  } else if (msg->magic != UJ_PROTO_MAGIC) {
    uj_err_set(err, EPROTO, "bad answer (magic %#x)", msg->magic);
    goto bad;
  }
  msg->msg[sizeof msg->msg - 1] = '\0';
  return 0;
bad:
  close_many(fds, *nfds);
  *nfds = 0;
  return -1;
}
