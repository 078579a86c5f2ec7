/* Every bound on waiting, in one place: a login must never hang on a
 * helper, a monitor or a cgroup that stopped answering, and the bounds nest
 * (the module's wait covers the helper's, which covers a monitor's reply). */
#ifndef UJ_TIMEOUTS_H
#define UJ_TIMEOUTS_H

/* pam_userjail.so waits this long for the helper's answer, then denies. */
#define UJ_TIMEOUT_HELPER_S 30
/* The user and the groups the config names are looked up (NSS: sssd,
 * nslcd, LDAP) within this long, or the login is refused. Inside the
 * module's wait, with room for building the jail. */
#define UJ_TIMEOUT_LOOKUP_S 10
/* A client (login, list, stop) waits this long for a monitor's reply. */
#define UJ_TIMEOUT_CLIENT_S 10
/* A monitor waits this long for a connected client's request. */
#define UJ_TIMEOUT_REQUEST_S 2
/* A new jail's monitor waits this long for its creator's first session. */
#define UJ_TIMEOUT_FIRST_SESSION_MS 30000
/* Waiting for a killed cgroup to empty: at teardown, after a failed setup. */
#define UJ_TIMEOUT_CGROUP_EMPTY_MS 5000
#define UJ_TIMEOUT_CGROUP_UNDO_MS 2000
/* A teardown waits this long for session processes that logged out to
 * exit (their logout work: wtmp, other PAM modules) before moving any that
 * still run out of the user's cgroup and emptying it. */
#define UJ_TIMEOUT_LEAVE_MS 3000
/* systemd: waiting for the delegated cgroup to be populated (slow VMs). */
#define UJ_TIMEOUT_DELEGATION_MS 10000
/* network = "private": pasta must have set up the namespace by then. */
#define UJ_TIMEOUT_PASTA_MS 10000
/* `userjail stop` waits this long for the jail to end. */
#define UJ_TIMEOUT_STOP_MS 15000

#endif
