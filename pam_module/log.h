/* The module's syslog after it entered the jail. The jail has no /dev/log,
 * and sshd opens and closes its syslog connection around each of its own
 * messages, so pam_syslog() after setns() fails (ENOENT) and the line is
 * lost: the debug line of open_session, everything of close_session. The
 * module therefore connects a datagram socket to the host's /dev/log while
 * it is still on the host, and sends its own lines through it. */
#ifndef UJ_PAM_LOG_H
#define UJ_PAM_LOG_H

#include <security/pam_modules.h>

/* A close-on-exec AF_UNIX datagram socket connected to /dev/log, or -1
 * (nothing listens: then uj_modlog falls back to pam_syslog). */
int uj_modlog_open(void);

/* Like pam_syslog(pamh, prio, ...) (facility authpriv, "pam_userjail(
 * SERVICE:session): " prefix), sent on log_fd when it is >= 0. */
void uj_modlog(pam_handle_t *pamh, int log_fd, int prio, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
