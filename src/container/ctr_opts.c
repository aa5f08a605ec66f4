/* runc-style option parsing for the runtime's commands (see ctr_cli.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "container/ctr_cli.h"
#include "container/state.h"

static int set_value(const struct ctr_opt *o, const char *val, struct ctr_err *err)
{
    switch (o->kind) {
    case OPT_STR:
        *(const char **)o->dest = val;
        return 0;
    case OPT_INT: {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 0);
        if (errno || !*val || *end)
            return ctr_fail(err, "invalid value \"%s\" for flag --%s", val, o->name);
        *(long *)o->dest = v;
        return 0;
    }
    case OPT_LIST: {
        struct str_list *l = o->dest;
        char **nv = realloc(l->v, (size_t)(l->n + 2) * sizeof *nv);
        if (!nv)
            return ctr_fail(err, "out of memory");
        l->v = nv;
        l->v[l->n++] = (char *)val;
        l->v[l->n] = NULL;
        return 0;
    }
    case OPT_BOOL: {
        bool b;
        if (!strcmp(val, "true") || !strcmp(val, "1"))
            b = true;
        else if (!strcmp(val, "false") || !strcmp(val, "0"))
            b = false;
        else
            return ctr_fail(err, "invalid boolean value \"%s\" for flag --%s", val, o->name);
        *(bool *)o->dest = b;
        return 0;
    }
    }
    return 0;
}

void str_list_free(struct str_list *l)
{
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

int ctr_parse_opts(int argc, char **argv, int *idx, const struct ctr_opt *opts,
                   struct ctr_err *err)
{
    while (*idx < argc) {
        char *a = argv[*idx];
        if (a[0] != '-' || !a[1])
            return 0;
        if (!strcmp(a, "--")) {
            (*idx)++;
            return 0;
        }
        (*idx)++;
        const char *name = a + 1 + (a[1] == '-');
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const struct ctr_opt *o = NULL;
        for (const struct ctr_opt *p = opts; p && p->name; p++)
            if (strlen(p->name) == nlen && !strncmp(p->name, name, nlen))
                o = p;
        if (!o && a[1] != '-') {
            /* Short options, possibly bundled booleans: -dt, -e FOO=1, -eFOO=1 */
            for (const char *c = a + 1; *c; c++) {
                const struct ctr_opt *s = NULL;
                for (const struct ctr_opt *p = opts; p && p->name; p++)
                    if (p->short_name && p->short_name == *c)
                        s = p;
                if (!s)
                    return ctr_fail(err, "flag provided but not defined: -%s", a + 1);
                if (s->kind == OPT_BOOL) {
                    *(bool *)s->dest = true;
                    continue;
                }
                const char *val = c[1] ? c + 1 + (c[1] == '=') : NULL;
                if (!val) {
                    if (*idx >= argc)
                        return ctr_fail(err, "flag needs an argument: -%c", *c);
                    val = argv[(*idx)++];
                }
                if (set_value(s, val, err) < 0)
                    return -1;
                break;
            }
            continue;
        }
        if (!o)
            return ctr_fail(err, "flag provided but not defined: %s", a);
        if (o->kind == OPT_BOOL) {
            if (eq) {
                if (set_value(o, eq + 1, err) < 0)
                    return -1;
            } else {
                *(bool *)o->dest = true;
            }
            continue;
        }
        const char *val = eq ? eq + 1 : NULL;
        if (!val) {
            if (*idx >= argc)
                return ctr_fail(err, "flag needs an argument: %s", a);
            val = argv[(*idx)++];
        }
        if (set_value(o, val, err) < 0)
            return -1;
    }
    return 0;
}

int cli_fail(const struct ctr_cli *cli, const struct ctr_err *err)
{
    ctr_log_error(&cli->log, err->msg);
    return 1;
}

int cli_failf(const struct ctr_cli *cli, const char *fmt, ...)
{
    struct ctr_err err;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err.msg, sizeof err.msg, fmt, ap);
    va_end(ap);
    return cli_fail(cli, &err);
}

int cli_one_id(const struct ctr_cli *cli, int argc, char **argv, int idx, const char *usage,
               const char **id)
{
    if (idx >= argc)
        return cli_failf(cli, "%s: \"%s\" requires exactly 1 argument(s)", usage, argv[0]);
    if (argc - idx > 1)
        return cli_failf(cli, "%s: \"%s\" requires exactly 1 argument(s)", usage, argv[0]);
    if (!state_id_valid(argv[idx]))
        return cli_failf(cli, "invalid container id format: %s", argv[idx]);
    *id = argv[idx];
    return 0;
}
