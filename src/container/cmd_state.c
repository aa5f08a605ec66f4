/* `state` and `list`. */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container/cmd_common.h"

int ctr_cmd_state(struct ctr_cli *cli, int argc, char **argv)
{
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, NULL, &err) < 0)
        return cli_fail(cli, &err);
    const char *id;
    if (cli_one_id(cli, argc, argv, idx, "state <container-id>", &id))
        return 1;
    int dirfd;
    struct ctr_state st;
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0)
        return cli_fail(cli, &err);
    json_object *o = state_oci_json(&st, state_status(dirfd, &st), -1, true);
    printf("%s\n", state_json_text(o, true));
    json_object_put(o);
    state_free(&st);
    close(dirfd);
    return 0;
}

/* User name of uid from /etc/passwd (no NSS: the runtime may be static). */
static void user_name(uid_t uid, char *out, size_t size)
{
    snprintf(out, size, "#%u", (unsigned)uid);
    FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *c1 = strchr(line, ':'), *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (c2 && (uid_t)strtoul(c2 + 1, NULL, 10) == uid) {
            size_t n = (size_t)(c1 - line);
            if (n >= size)
                n = size - 1;
            memcpy(out, line, n);
            out[n] = '\0';
            break;
        }
    }
    fclose(f);
}

struct row { char *id, *status, *bundle, *created, *owner; int pid; };

static int cmp_rows(const void *a, const void *b)
{
    return strcmp(((const struct row *)a)->id, ((const struct row *)b)->id);
}

int ctr_cmd_list(struct ctr_cli *cli, int argc, char **argv)
{
    const char *format = "table";
    bool quiet = false;
    struct ctr_opt opts[] = {
        { "format", 'f', OPT_STR, &format },
        { "quiet", 'q', OPT_BOOL, &quiet },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    if (idx < argc)
        return cli_failf(cli, "list: \"list\" requires exactly 0 argument(s)");
    bool json = !strcmp(format, "json");
    if (!json && strcmp(format, "table"))
        return cli_failf(cli, "invalid format option");
    json_object *arr = json_object_new_array();
    struct row *rows = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(cli->root);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.' || !state_id_valid(e->d_name))
            continue;
        int dirfd;
        struct ctr_state st;
        if (ctr_open(cli, e->d_name, &dirfd, &st, &err) < 0)
            continue;
        enum ctr_status s = state_status(dirfd, &st);
        if (json) {
            json_object_array_add(arr, state_oci_json(&st, s, -1, true));
        } else {
            if (n == cap) {
                cap = cap ? cap * 2 : 16;
                struct row *nr = realloc(rows, cap * sizeof *nr);
                if (!nr)
                    break;
                rows = nr;
            }
            struct stat sb;
            char owner[256] = "";
            if (fstat(dirfd, &sb) == 0)
                user_name(sb.st_uid, owner, sizeof owner);
            rows[n++] = (struct row){ strdup(st.id), strdup(state_status_name(s)),
                                      strdup(st.bundle ? st.bundle : ""), strdup(st.created),
                                      strdup(owner),
                                      s == ST_STOPPED ? 0 : st.pid };
        }
        state_free(&st);
        close(dirfd);
    }
    if (d)
        closedir(d);
    if (json) {
        printf("%s\n", state_json_text(arr, false));
        json_object_put(arr);
        return 0;
    }
    json_object_put(arr);
    if (n)
        qsort(rows, n, sizeof *rows, cmp_rows);
    if (quiet) {
        for (size_t i = 0; i < n; i++)
            printf("%s\n", rows[i].id);
    } else {
        /* Columns as text/tabwriter lays them out for runc: min width 12, pad 3. */
        size_t w[5] = { 2, 3, 6, 6, 7 };
        for (size_t i = 0; i < n; i++) {
            char pid[16];
            size_t l[5] = { strlen(rows[i].id), (size_t)snprintf(pid, sizeof pid, "%d", rows[i].pid),
                            strlen(rows[i].status), strlen(rows[i].bundle), strlen(rows[i].created) };
            for (int k = 0; k < 5; k++)
                if (l[k] > w[k])
                    w[k] = l[k];
        }
        for (int k = 0; k < 5; k++)
            w[k] = w[k] + 3 < 12 ? 12 : w[k] + 3;
        printf("%-*s%-*s%-*s%-*s%-*s%s\n", (int)w[0], "ID", (int)w[1], "PID", (int)w[2], "STATUS",
               (int)w[3], "BUNDLE", (int)w[4], "CREATED", "OWNER");
        for (size_t i = 0; i < n; i++)
            printf("%-*s%-*d%-*s%-*s%-*s%s\n", (int)w[0], rows[i].id, (int)w[1], rows[i].pid,
                   (int)w[2], rows[i].status, (int)w[3], rows[i].bundle, (int)w[4],
                   rows[i].created, rows[i].owner);
    }
    for (size_t i = 0; i < n; i++) {
        free(rows[i].id);
        free(rows[i].status);
        free(rows[i].bundle);
        free(rows[i].created);
        free(rows[i].owner);
    }
    free(rows);
    return 0;
}
