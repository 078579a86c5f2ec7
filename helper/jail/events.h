/* Telling the user and the admin when a limit of the jail bites: OOM kills
 * and the process limit. The monitor polls these fds in its loop (a hook of
 * three calls), everything else is events.c. */
#ifndef UJ_EVENTS_H
#define UJ_EVENTS_H

#include <poll.h>
#include <stddef.h>

#include "common/err.h"
#include "common/proto.h"

struct uj_cgroup;
struct uj_events;

#define UJ_EVENTS_MAXFDS 2

/* Open the event sources of the user's cgroup: v2 memory.events and
 * pids.events (POLLPRI on change); v1 pids.events (POLLPRI) and an eventfd
 * registered for memory.oom_control through cgroup.event_control. A source
 * the host lacks is skipped. *out is NULL when nothing can be watched. */
int uj_events_open(const struct uj_cgroup *cg, const char *user,
                   const struct uj_limits_msg *limits, struct uj_events **out,
                   struct uj_err *err);

/* Fill up to UJ_EVENTS_MAXFDS pollfds; returns how many (0 for NULL). */
size_t uj_events_pollfds(struct uj_events *ev, struct pollfd *p);

/* Poll timeout: -1, or the ms until a held-back report is due. */
int uj_events_timeout_ms(struct uj_events *ev);

/* After poll: read what fired, log it and tell the user's terminals. */
void uj_events_handle(struct uj_events *ev, const struct pollfd *p, size_t n);

/* The state as one block of bytes and back, for the monitor's handoff to
 * userjail-monitor (monitor_handoff.c): the same build on both sides, so
 * the layout is shared; only pointers are re-made. *len gets the size. */
const void *uj_events_bytes(const struct uj_events *ev, size_t *len);
struct uj_events *uj_events_from_bytes(const void *buf, size_t len);

#endif
