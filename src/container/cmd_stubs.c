#include "container/ctr_cli.h"
int ctr_cmd_exec(struct ctr_cli *cli, int argc, char **argv) { (void)argc; (void)argv; return cli_failf(cli, "todo"); }
int ctr_cmd_ps(struct ctr_cli *cli, int argc, char **argv) { (void)argc; (void)argv; return cli_failf(cli, "todo"); }
int ctr_cmd_spec(struct ctr_cli *cli, int argc, char **argv) { (void)argc; (void)argv; return cli_failf(cli, "todo"); }
int ctr_cmd_features(struct ctr_cli *cli, int argc, char **argv) { (void)argc; (void)argv; return cli_failf(cli, "todo"); }
int ctr_cmd_update(struct ctr_cli *cli, int argc, char **argv) { (void)argc; (void)argv; return cli_failf(cli, "todo"); }
int ctr_cmd_events(struct ctr_cli *cli, int argc, char **argv) { (void)argc; (void)argv; return cli_failf(cli, "todo"); }
