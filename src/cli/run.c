/* Placeholder: replaced by the run subcommand's real implementation. */
#include <stdio.h>
#include "cli/cli.h"

int cmd_run(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vessel run: not implemented yet\n");
    return 1;
}
