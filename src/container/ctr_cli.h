/* Shared context and helpers of the runtime's commands (cmd_*.c). */
#ifndef VESSEL_CTR_CLI_H
#define VESSEL_CTR_CLI_H

#include <stdbool.h>
#include <limits.h>
#include "container/ctr_err.h"
#include "container/ctr_log.h"

struct ctr_cli {
    char root[PATH_MAX];        /* --root */
    struct ctr_log log;
    bool systemd_cgroup;        /* --systemd-cgroup */
    bool rootless;              /* running without privileges */
};

/* Command-line options, runc style: --name value, --name=value, -name
 * value (Go's flag syntax), -n value, bundled short booleans (-dt). */
enum opt_kind { OPT_BOOL, OPT_STR, OPT_INT, OPT_LIST };

struct str_list { char **v; int n; };

struct ctr_opt {
    const char *name;           /* long name */
    char short_name;            /* 0 if none */
    enum opt_kind kind;
    void *dest;                 /* bool *, const char **, long *, struct str_list * */
};

/* Parse options from argv[*idx]; stops at the first operand or "--".
 * Returns -1 with err set on unknown options or missing values. */
int ctr_parse_opts(int argc, char **argv, int *idx, const struct ctr_opt *opts,
                   struct ctr_err *err);
void str_list_free(struct str_list *l);

/* Each command: argv[0] is the command name.  Returns the exit status. */
int ctr_cmd_create(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_start(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_run(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_state(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_kill(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_delete(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_list(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_exec(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_pause(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_resume(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_ps(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_spec(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_features(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_update(struct ctr_cli *cli, int argc, char **argv);
int ctr_cmd_events(struct ctr_cli *cli, int argc, char **argv);

/* Print err as a fatal error (log + stderr) and return 1. */
int cli_fail(const struct ctr_cli *cli, const struct ctr_err *err);
int cli_failf(const struct ctr_cli *cli, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The single container id operand of a command, validated. */
int cli_one_id(const struct ctr_cli *cli, int argc, char **argv, int idx, const char *usage,
               const char **id);

#endif
