/* Container creation, runtime side (see spawn.h). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "container/hooks.h"
#include "container/init.h"
#include "container/jsonu.h"
#include "container/names.h"
#include "container/namespaces.h"
#include "container/netdev.h"
#include "container/procsetup.h"
#include "container/spawn.h"
#include "container/sync.h"
#include "container/util.h"

static int make_exec_socket(int dirfd, struct ctr_err *err)
{
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return ctr_fail_errno(err, "socket");
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    snprintf(a.sun_path, sizeof a.sun_path, "/proc/self/fd/%d/exec.sock", dirfd);
    if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 4) < 0) {
        ctr_fail_errno(err, "create the start socket");
        close(s);
        return -1;
    }
    return s;
}

/* User namespaces for idmapped mounts, made here in the runtime's own
 * namespaces (the init inherits the fds). */
static int make_idmap_fds(const struct oci_config *cfg, int **out, struct ctr_err *err)
{
    *out = NULL;
    bool any = false;
    for (size_t i = 0; i < cfg->n_mounts; i++)
        any |= cfg->mounts[i].idmap;
    if (!any)
        return 0;
    int *fds = malloc(cfg->n_mounts * sizeof *fds);
    if (!fds)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < cfg->n_mounts; i++)
        fds[i] = -1;
    *out = fds;
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        const struct oci_mount *m = &cfg->mounts[i];
        if (!m->idmap)
            continue;
        bool own = m->n_uid_maps > 0;
        fds[i] = ns_make_userns_fd(own ? m->uid_maps : cfg->lx.uid_maps,
                                   own ? m->n_uid_maps : cfg->lx.n_uid_maps,
                                   own ? m->gid_maps : cfg->lx.gid_maps,
                                   own ? m->n_gid_maps : cfg->lx.n_gid_maps, err);
        if (fds[i] < 0)
            return ctr_wrap(err, "idmapped mount %s", m->destination);
    }
    return 0;
}

static void close_idmap_fds(const struct oci_config *cfg, int *fds)
{
    for (size_t i = 0; fds && i < cfg->n_mounts; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    free(fds);
}

static int run_runtime_hooks(const struct oci_config *cfg, const struct ctr_state *st,
                             struct ctr_err *err)
{
    char *json = hooks_state_json(st->id, "creating", st->pid, st->bundle, cfg->annotations,
                                  cfg->n_annotations);
    if (!json)
        return ctr_fail(err, "out of memory");
    int r = hooks_run(&cfg->hooks[HOOK_PRESTART], "prestart", json, err);
    if (r == 0)
        r = hooks_run(&cfg->hooks[HOOK_CREATE_RUNTIME], "createRuntime", json, err);
    free(json);
    return r;
}

/* A send to the init failed: it has probably died with an error message
 * waiting in the socket.  Prefer that message to "Broken pipe". */
static int init_gone(int fd, const char *what, struct ctr_err *err)
{
    struct sync_msg m;
    int saved = errno;
    if (sync_recv(fd, &m) > 0 && m.type == SYNC_ERROR)
        return ctr_fail(err, "%s", m.text);
    errno = saved;
    return ctr_fail_errno(err, "%s", what);
}

/* Plan the cgroups and record them before making them: a runtime killed
 * halfway leaves a state from which `delete --force` removes them. */
static int setup_cgroups(struct ctr_cli *cli, const struct oci_config *cfg, const char *id,
                         int dirfd, struct ctr_state *st, struct ctr_err *err)
{
    struct cg_set *set = &st->cgroup;
    struct cg_layout *lay = calloc(1, sizeof *lay);
    if (!lay)
        return ctr_fail(err, "out of memory");
    int r = cg_discover(lay, err);
    if (r == 0)
        r = cg_plan(lay, cfg->lx.cgroups_path, id, cli->systemd_cgroup, set, err);
    free(lay);
    if (r < 0)
        return -1;
    const struct oci_resources *res = cfg->lx.has_resources ? &cfg->lx.resources : NULL;
    if (set->mode == CG_NONE) {
        if (res && (res->memory.limit.set || res->pids_limit.set || res->cpu.shares.set))
            return ctr_fail(err, "no cgroup filesystem is mounted: cannot apply resources");
        return 0;
    }
    for (int i = 0; i < set->n; i++) {
        set->dir[i].created = CG_CREATED_UNKNOWN;
        ctr_debug(&cli->log, "cgroup (%s, %s): %s", cg_mode_name(set->mode), set->dir[i].key,
                  set->dir[i].path);
    }
    if (state_save(dirfd, st, err) < 0)
        return -1;
    if (cg_create(set, res, &cli->log, err) == 0)
        return state_save(dirfd, st, err);
    if (cli->rootless && (err->errnum == EACCES || err->errnum == EPERM || err->errnum == EROFS) &&
        !res) {
        ctr_debug(&cli->log, "rootless: running without cgroups (%s)", err->msg);
        set->n = 0;
        return state_save(dirfd, st, err);
    }
    return -1;
}

int spawn_container(struct ctr_cli *cli, const struct spawn_opts *o, struct spawned *out,
                    struct ctr_err *err)
{
    memset(out, 0, sizeof *out);
    out->state_dirfd = out->sync_fd = out->pty_master = -1;
    struct oci_config *cfg = &out->cfg;
    struct ctr_state *st = &out->st;
    char *text = NULL, *rootfs = NULL;
    size_t text_len = 0;
    int ns_fds[NS_COUNT];
    for (int i = 0; i < NS_COUNT; i++)
        ns_fds[i] = -1;
    int console_fd = -1, listener_fd = -1, exec_fd = -1, sp[2] = { -1, -1 };
    int *idmap_fds = NULL, pidfd_conn = -1;
    pid_t pid = 0;
    bool dir_made = false, hooks_phase = false;

    char *bundle = abs_path(o->bundle && *o->bundle ? o->bundle : ".");
    if (!bundle)
        return ctr_fail_errno(err, "bundle path");
    char cfgpath[PATH_MAX];
    snprintf(cfgpath, sizeof cfgpath, "%s/config.json", bundle);
    if (config_load(cfgpath, cfg, &text, &text_len, &cli->log, err) < 0) {
        free(bundle);
        return -1;
    }
    const struct oci_linux *lx = &cfg->lx;
    if (!cfg->has_process) {
        ctr_fail(err, "config.json: process is required to create a container");
        goto fail;
    }
    proc_drop_unsupported_labels(&cfg->process, &cli->log);
    if (cfg->process.terminal && !o->console_socket && o->detach) {
        ctr_fail(err, "cannot allocate tty if runc will detach without setting console socket");
        goto fail;
    }
    if (!cfg->process.terminal && o->console_socket) {
        ctr_fail(err, "cannot use console socket if runc will not detach or allocate tty");
        goto fail;
    }
    bool userns_new = lx->ns[NS_USER].enabled && !lx->ns[NS_USER].path;
    if (cli->rootless) {
        if (!lx->ns[NS_USER].enabled) {
            ctr_fail(err, "rootless containers need a user namespace (see `spec --rootless`)");
            goto fail;
        }
        if (userns_new && spawn_check_rootless_maps(lx, err) < 0)
            goto fail;
    }
    if (!(rootfs = spawn_resolve_rootfs(bundle, cfg->root_path, err)) ||
        spawn_check_bind_sources(cfg, err) < 0)
        goto fail;
    if (ns_open_paths(lx, ns_fds, err) < 0 || netdev_check(lx, err) < 0 ||
        spawn_check_host_namespaces(lx, ns_fds, err) < 0)
        goto fail;
    if (o->console_socket && (console_fd = unix_connect(o->console_socket, err)) < 0)
        goto fail;
    if (o->pidfd_socket && (pidfd_conn = unix_connect(o->pidfd_socket, err)) < 0)
        goto fail;
    if (lx->seccomp && lx->seccomp->uses_notify &&
        (listener_fd = unix_connect(lx->seccomp->listener_path, err)) < 0)
        goto fail;

    /* From here on the host changes: undo everything on failure. */
    if ((out->state_dirfd = state_dir_create(cli->root, o->id, err)) < 0)
        goto fail;
    dir_made = true;
    st->id = strdup(o->id);
    st->bundle = bundle;
    bundle = NULL;
    st->rootfs = strdup(rootfs);
    st->creating = true;
    st->rootless = cli->rootless;
    st->systemd = cli->systemd_cgroup;
    st->has_poststart = cfg->hooks[HOOK_POSTSTART].n > 0;
    st->has_poststop = cfg->hooks[HOOK_POSTSTOP].n > 0;
    st->own_pidns = lx->ns[NS_PID].enabled && !lx->ns[NS_PID].path;
    state_now_rfc3339(st->created, sizeof st->created);
    if (cfg->n_annotations) {
        st->annotations = calloc(cfg->n_annotations, sizeof *st->annotations);
        for (size_t i = 0; st->annotations && i < cfg->n_annotations; i++) {
            st->annotations[i].key = strdup(cfg->annotations[i].key);
            st->annotations[i].value = strdup(cfg->annotations[i].value);
            st->n_annotations++;
        }
    }
    if (!st->id || !st->rootfs) {
        ctr_fail(err, "out of memory");
        goto fail;
    }
    if (state_write_file(out->state_dirfd, "config.json", text, text_len, err) < 0 ||
        state_save(out->state_dirfd, st, err) < 0)
        goto fail;
    if (setup_cgroups(cli, cfg, o->id, out->state_dirfd, st, err) < 0)
        goto fail;
    if (o->for_create && (exec_fd = make_exec_socket(out->state_dirfd, err)) < 0)
        goto fail;
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        ctr_fail_errno(err, "socketpair");
        goto fail;
    }

    /* LISTEN_FDS (socket activation) pass through like --preserve-fds. */
    long listen_fds = 0;
    const char *lf = getenv("LISTEN_FDS");
    char env_fds[32], env_pid[] = "LISTEN_PID=1";
    char *extra_env[3] = { NULL, NULL, NULL };
    if (lf && (listen_fds = strtol(lf, NULL, 10)) > 0 && listen_fds < 4096) {
        snprintf(env_fds, sizeof env_fds, "LISTEN_FDS=%ld", listen_fds);
        extra_env[0] = env_fds;
        extra_env[1] = env_pid;
    } else {
        listen_fds = 0;
    }
    struct ctr_launch l = {
        .cfg = cfg, .proc = &cfg->process, .id = o->id, .bundle = st->bundle,
        .rootfs = rootfs, .cgroup = &st->cgroup, .log = &cli->log,
        .userns_new = userns_new, .in_userns = lx->ns[NS_USER].enabled, .rootless = cli->rootless,
        .no_pivot = o->no_pivot, .no_new_keyring = o->no_new_keyring,
        .sync_fd = sp[1], .exec_listen_fd = exec_fd, .state_dirfd = out->state_dirfd, .root_fd = -1,
        .console_fd = console_fd, .pty_to_sync = cfg->process.terminal && console_fd < 0,
        .seccomp_listener_fd = listener_fd, .preserve_fds = (int)(o->preserve_fds + listen_fds),
        .extra_env = extra_env[0] ? extra_env : NULL,
    };
    memcpy(l.ns_fds, ns_fds, sizeof ns_fds);
    if (make_idmap_fds(cfg, &idmap_fds, err) < 0)
        goto fail;
    l.idmap_fds = idmap_fds;
    pid_t started = spawn_start_init(&l, sp[0], cfg, err);
    if (started < 0) {
        pid = started < -1 ? -started - 1 : 0;      /* kill it if it exists */
        goto fail;
    }
    pid = started;
    ctr_debug(&cli->log, "container %s: init pid %d, root %s, bundle %s", o->id, (int)pid, rootfs,
              st->bundle);
    st->pid = pid;
    if (proc_set_oom_score(&cfg->process, pid, err) < 0)
        goto fail;
    if (proc_start_time(pid, &st->pid_start, NULL) < 0) {
        ctr_fail(err, "container process exited during setup");
        goto fail;
    }
    close(sp[1]);
    sp[1] = -1;
    if (state_save(out->state_dirfd, st, err) < 0)
        goto fail;
    /* The init sets up its mounts while we move it into its cgroups (a
     * cgroup v1 migration waits for an RCU grace period: milliseconds). */
    if (sync_send(sp[0], SYNC_GO, 0, NULL) < 0) {
        init_gone(sp[0], "sync with container process", err);
        goto fail;
    }
    if (st->cgroup.n && cg_attach(&st->cgroup, pid, err) < 0)
        goto fail;
    if (netdev_move_all(lx, pid, err) < 0)
        goto fail;
    if (sync_send(sp[0], SYNC_CGROUP, 0, NULL) < 0) {
        init_gone(sp[0], "sync with container process", err);
        goto fail;
    }
    for (;;) {
        struct sync_msg m;
        int passed = -1;
        int r = sync_recv_fd(sp[0], &m, &passed);
        if (r <= 0) {
            ctr_fail(err, "container process exited during setup");
            goto fail;
        }
        if (m.type == SYNC_ERROR) {
            ctr_fail(err, "%s", m.text);
            hooks_phase |= m.value == 1;
            goto fail;
        }
        if (m.type == SYNC_PTY) {
            out->pty_master = passed;
            continue;
        }
        if (passed >= 0)
            close(passed);
        if (m.type == SYNC_HOOKS) {
            hooks_phase = true;
            if (run_runtime_hooks(cfg, st, err) < 0)
                goto fail;
            sync_send(sp[0], SYNC_HOOKS_DONE, 0, NULL);
            continue;
        }
        if (m.type == SYNC_READY)
            break;
    }
    if (o->pid_file && write_pid_file(o->pid_file, pid) < 0) {
        ctr_fail_errno(err, "write pid file %s", o->pid_file);
        goto fail;
    }
    if (pidfd_conn >= 0) {
        int pfd = (int)syscall(SYS_pidfd_open, pid, 0);
        if (pfd < 0 || send_fd(pidfd_conn, pfd, "pidfd", 5) < 0) {
            ctr_fail_errno(err, "send a pidfd to %s", o->pidfd_socket);
            if (pfd >= 0)
                close(pfd);
            goto fail;
        }
        close(pfd);
        close(pidfd_conn);
        pidfd_conn = -1;
    }
    st->creating = false;
    if (state_save(out->state_dirfd, st, err) < 0)
        goto fail;
    if (o->for_create) {
        close(sp[0]);
        sp[0] = -1;
    }
    out->sync_fd = sp[0];
    close_idmap_fds(cfg, idmap_fds);
    ns_close_all(ns_fds);
    if (console_fd >= 0)
        close(console_fd);
    if (listener_fd >= 0)
        close(listener_fd);
    if (exec_fd >= 0)
        close(exec_fd);
    free(text);
    free(rootfs);
    return 0;

fail:
    if (pid > 0) {
        kill(pid, SIGKILL);
        while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
            ;
    }
    struct ctr_err ignored;
    if (dir_made) {
        cg_destroy(&st->cgroup, &ignored);
        state_dir_remove(cli->root, o->id, &ignored);
    }
    if (hooks_phase && cfg->hooks[HOOK_POSTSTOP].n) {
        char *json = hooks_state_json(o->id, "stopped", 0, st->bundle ? st->bundle : "",
                                      cfg->annotations, cfg->n_annotations);
        if (json)
            hooks_run_all_warn(&cfg->hooks[HOOK_POSTSTOP], "poststop", json, &cli->log);
        free(json);
    }
    close_idmap_fds(cfg, idmap_fds);
    if (pidfd_conn >= 0)
        close(pidfd_conn);
    ns_close_all(ns_fds);
    for (int i = 0; i < 2; i++)
        if (sp[i] >= 0)
            close(sp[i]);
    if (console_fd >= 0)
        close(console_fd);
    if (listener_fd >= 0)
        close(listener_fd);
    if (exec_fd >= 0)
        close(exec_fd);
    if (out->pty_master >= 0)
        close(out->pty_master);
    out->pty_master = -1;
    free(text);
    free(rootfs);
    free(bundle);
    spawned_free(out);
    return -1;
}

void spawned_free(struct spawned *s)
{
    config_free(&s->cfg);
    state_free(&s->st);
    if (s->state_dirfd >= 0)
        close(s->state_dirfd);
    if (s->sync_fd >= 0)
        close(s->sync_fd);
    if (s->pty_master >= 0)
        close(s->pty_master);
    s->state_dirfd = s->sync_fd = s->pty_master = -1;
}
