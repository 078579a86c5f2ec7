/* Subcommands of the userjail binary. Each returns the process exit code. */
#ifndef UJ_ADMIN_H
#define UJ_ADMIN_H

int uj_cmd_session_open(int argc, char **argv); /* cmd_join.c */
int uj_cmd_run(int argc, char **argv);          /* cmd_join.c */
int uj_cmd_list(int argc, char **argv);         /* cmd_admin.c */
int uj_cmd_stop(int argc, char **argv);         /* cmd_admin.c */
int uj_cmd_check_config(int argc, char **argv); /* cmd_admin.c */

#endif
