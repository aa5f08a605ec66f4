/* Placeholder: replaced by the container subcommand's real implementation. */
#include <stdio.h>
#include "cli/cli.h"

int cmd_container(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vessel container: not implemented yet\n");
    return 1;
}
