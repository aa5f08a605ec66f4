/* Deleting a container: kill what is left, remove its cgroups and state,
 * run its poststop hooks.  Used by `delete`, `run` and failed starts. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "container/destroy.h"
#include "container/hooks.h"
#include "container/jsonu.h"

int ctr_load_hooks(int dirfd, struct oci_hooks hooks[HOOK_COUNT], struct ctr_err *err)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/self/fd/%d/config.json", dirfd);
    json_object *o = ju_parse_file(path, CONFIG_MAX_SIZE, err);
    if (!o)
        return -1;
    json_object *h;
    int r = ju_obj(o, "hooks", "", &h, err);
    if (r > 0)
        r = config_parse_hooks(h, hooks, err);
    json_object_put(o);
    return r < 0 ? -1 : 0;
}

/* Wait (briefly) for a process that is not our child to disappear. */
static void wait_gone(pid_t pid, unsigned long long start)
{
    struct timespec ts = { 0, 1000000 };
    for (int i = 0; i < 2000 && proc_alive(pid, start); i++) {
        waitpid(pid, NULL, WNOHANG);
        nanosleep(&ts, NULL);
    }
}

int ctr_destroy(struct ctr_cli *cli, int dirfd, struct ctr_state *st, struct ctr_err *err)
{
    /* Usually everything is gone already (init exited, its pid namespace
     * with it): then there is nothing to freeze or kill. */
    pid_t *pids = NULL;
    size_t n = 0;
    bool alive = proc_alive(st->pid, st->pid_start);
    if (st->cgroup.n && cg_pids(&st->cgroup, &pids, &n, err) < 0)
        n = 1;                  /* cannot tell: do the full kill */
    free(pids);
    if (alive || n) {
        /* Freeze so nothing forks while we kill; then kill everything. */
        bool frozen = st->cgroup.n && cg_freeze(&st->cgroup, true, err) == 0;
        if (alive)
            kill(st->pid, SIGKILL);
        if (st->cgroup.n)
            cg_signal_all(&st->cgroup, SIGKILL, err);
        if (frozen)
            cg_freeze(&st->cgroup, false, err);
        wait_gone(st->pid, st->pid_start);
        /* Without a pid namespace, stragglers can outlive init. */
        for (int i = 0; i < 100 && st->cgroup.n; i++) {
            if (cg_pids(&st->cgroup, &pids, &n, err) < 0 || n == 0) {
                free(pids);
                break;
            }
            for (size_t k = 0; k < n; k++)
                kill(pids[k], SIGKILL);
            free(pids);
            usleep(2000);
        }
    }
    int ret = 0;
    /* Keep the state while a cgroup is left: `delete --force` can retry. */
    if (st->cgroup.n && cg_destroy(&st->cgroup, err) < 0)
        return ctr_wrap(err, "container %s kept for another delete", st->id);
    struct oci_hooks hooks[HOOK_COUNT];
    memset(hooks, 0, sizeof hooks);
    if (st->has_poststop && ctr_load_hooks(dirfd, hooks, err) < 0)
        ctr_warn(&cli->log, "poststop hooks not run: %s", err->msg);
    struct ctr_err e2;
    if (state_dir_remove(cli->root, st->id, &e2) < 0 && ret == 0) {
        *err = e2;
        ret = -1;
    }
    if (hooks[HOOK_POSTSTOP].n) {
        char *json = hooks_state_json(st->id, "stopped", 0, st->bundle ? st->bundle : "",
                                      st->annotations, st->n_annotations);
        if (json)
            hooks_run_all_warn(&hooks[HOOK_POSTSTOP], "poststop", json, &cli->log);
        free(json);
    }
    config_free_hooks(hooks);
    return ret;
}
