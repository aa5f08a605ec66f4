/* Placeholder: replaced by the img subcommand's real implementation. */
#include <stdio.h>
#include "cli/cli.h"

int cmd_img(int argc, char **argv)
{
    (void)argc; (void)argv;
    fprintf(stderr, "vessel img: not implemented yet\n");
    return 1;
}
