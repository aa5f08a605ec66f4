/* vessel: entry point.  Dispatches to a subcommand; when invoked as
 * `vessel-runc` it is the OCI runtime with runc's command line. */
#include <stdio.h>
#include <string.h>
#include <libgen.h>
#include "cli/cli.h"

static const char usage[] =
"Usage: vessel COMMAND [ARGS...]\n"
"\n"
"Commands:\n"
"  run        boot a RISC-V virtual machine (vessel run --help)\n"
"  img        create, inspect and convert disk images (vessel img --help)\n"
"  container  OCI container runtime, runc-compatible (vessel container --help)\n"
"\n"
"Invoked as vessel-runc, the program is the container runtime itself.\n";

int main(int argc, char **argv)
{
    char self[4096];
    snprintf(self, sizeof self, "%s", argv[0]);
    if (strcmp(basename(self), "vessel-runc") == 0)
        return cmd_container(argc, argv);

    if (argc < 2) {
        fputs(usage, stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        fputs(usage, stdout);
        return 0;
    }
    if (!strcmp(cmd, "run"))
        return cmd_run(argc - 1, argv + 1);
    if (!strcmp(cmd, "img"))
        return cmd_img(argc - 1, argv + 1);
    if (!strcmp(cmd, "container"))
        return cmd_container(argc - 1, argv + 1);
    fprintf(stderr, "vessel: unknown command '%s'\n\n%s", cmd, usage);
    return 2;
}
