/* Subcommands of the `vessel` program; each lives in its own file here. */
#ifndef VESSEL_CLI_H
#define VESSEL_CLI_H

/* Each returns the process exit status.  argv[0] is the subcommand name. */
int cmd_run(int argc, char **argv);        /* src/cli/run.c: boot a VM */
int cmd_img(int argc, char **argv);        /* src/cli/img.c: disk images */
int cmd_container(int argc, char **argv);  /* src/cli/container.c: OCI runtime
                                              (argv as runc takes it) */

#endif
