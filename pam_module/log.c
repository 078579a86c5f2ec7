#include "pam_module/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <security/pam_ext.h>

int uj_modlog_open(void)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX, .sun_path = "/dev/log" };
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);

  if (fd < 0)
    return -1;
  if (connect(fd, (struct sockaddr *) &sa, sizeof sa) < 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void uj_modlog(pam_handle_t *pamh, int log_fd, int prio, const char *fmt, ...)
{
  char text[1024], line[1400], stamp[32];
  const void *service = NULL;
  va_list ap;
  time_t now = time(NULL);
  struct tm tm;
  int n;

  va_start(ap, fmt);
  if (log_fd < 0) {
    pam_vsyslog(pamh, prio, fmt, ap);
    va_end(ap);
    return;
  }
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  if (pam_get_item(pamh, PAM_SERVICE, &service) != PAM_SUCCESS || !service)
    service = "?";
  /* RFC 3164, as glibc's syslog() writes it: <PRI>Mmm dd hh:mm:ss TAG[PID]: */
  if (!localtime_r(&now, &tm) || !strftime(stamp, sizeof stamp, "%h %e %T", &tm))
    stamp[0] = '\0';
  n = snprintf(line, sizeof line, "<%d>%s %s[%d]: pam_userjail(%s:session): %s",
               LOG_AUTHPRIV | LOG_PRI(prio), stamp, program_invocation_short_name,
               (int) getpid(), (const char *) service, text);
  if (n < 0)
    return;
  if ((size_t) n >= sizeof line)
    n = (int) sizeof line - 1;
  /* A datagram socket never blocks the login for long; a full or gone
   * syslog daemon only loses the line, as syslog() would. */
  if (send(log_fd, line, (size_t) n, MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
    /* nothing better to do from inside the jail */
  }
}
