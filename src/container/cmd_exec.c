/* `exec`: run another process inside a running container.  The runtime
 * enters the container's pid (and time) namespace itself, so that one
 * fork lands inside; the child joins the cgroup and the other namespaces,
 * then goes through the same process setup as the init. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container/cmd_common.h"
#include "container/jsonu.h"
#include "container/names.h"
#include "container/namespaces.h"
#include "container/procsetup.h"
#include "container/rootfs.h"
#include "container/sync.h"
#include "container/terminal.h"
#include "container/util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const char usage[] = "exec [command options] <container-id> <command> [command options]";

struct exec_opts {
    const char *console_socket, *cwd, *user, *process, *pid_file, *label, *apparmor, *cgroup;
    struct str_list env, gids, caps;
    bool tty, detach, no_new_privs, ignore_paused;
    long preserve_fds;
};

/* Replace same-named entries: the last value of a variable wins. */
static int env_set(char ***env, size_t *n, const char *kv)
{
    const char *eq = strchr(kv, '=');
    if (!eq || eq == kv)
        return -1;
    size_t klen = (size_t)(eq - kv) + 1;
    for (size_t i = 0; i < *n; i++)
        if (!strncmp((*env)[i], kv, klen)) {
            char *c = strdup(kv);
            if (!c)
                return -1;
            free((*env)[i]);
            (*env)[i] = c;
            return 0;
        }
    char **ne = realloc(*env, (*n + 2) * sizeof *ne);
    if (!ne)
        return -1;
    *env = ne;
    if (!(ne[*n] = strdup(kv)))
        return -1;
    ne[++*n] = NULL;
    return 0;
}

static int parse_user(const char *s, struct oci_process *p, struct ctr_err *err)
{
    char *end;
    unsigned long uid = strtoul(s, &end, 10);
    if (end == s || (*end && *end != ':') || uid > UINT32_MAX)
        return ctr_fail(err, "invalid --user \"%s\": use uid[:gid] (numeric)", s);
    p->uid = (uint32_t)uid;
    if (*end == ':') {
        const char *g = end + 1;
        unsigned long gid = strtoul(g, &end, 10);
        if (end == g || *end || gid > UINT32_MAX)
            return ctr_fail(err, "invalid --user \"%s\": use uid[:gid] (numeric)", s);
        p->gid = (uint32_t)gid;
    }
    return 0;
}

/* The process to run: --process JSON, or the container's process with the
 * command line's changes. */
static int build_process(const struct exec_opts *o, int argc, char **argv, int idx,
                         const struct oci_config *cfg, struct oci_process *p,
                         const struct ctr_log *log, struct ctr_err *err)
{
    memset(p, 0, sizeof *p);
    if (o->process) {
        json_object *j = ju_parse_file(o->process, CONFIG_MAX_SIZE, err);
        if (!j)
            return -1;
        int r = json_object_get_type(j) == json_type_object
                    ? config_parse_process(j, "process", p, log, err)
                    : ctr_fail(err, "%s: expected a JSON object", o->process);
        json_object_put(j);
        return r;
    }
    if (idx >= argc)
        return ctr_fail(err, "%s: exec needs a command to run", usage);
    const struct oci_process *b = &cfg->process;
    p->terminal = o->tty;
    p->uid = b->uid;
    p->gid = b->gid;
    p->umask = b->umask;
    p->has_caps = b->has_caps;
    memcpy(p->caps, b->caps, sizeof p->caps);
    p->no_new_privileges = b->no_new_privileges || o->no_new_privs;
    p->oom_score_adj = b->oom_score_adj;
    p->cwd = strdup(o->cwd && *o->cwd ? o->cwd : b->cwd);
    p->n_args = (size_t)(argc - idx);
    p->args = calloc(p->n_args + 1, sizeof *p->args);
    p->env = calloc(1, sizeof *p->env);
    if (!p->cwd || !p->args || !p->env)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < p->n_args; i++)
        if (!(p->args[i] = strdup(argv[idx + (int)i])))
            return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < b->n_env; i++)
        if (env_set(&p->env, &p->n_env, b->env[i]) < 0)
            return ctr_fail(err, "out of memory");
    for (int i = 0; i < o->env.n; i++)
        if (env_set(&p->env, &p->n_env, o->env.v[i]) < 0)
            return ctr_fail(err, "invalid --env \"%s\": use KEY=VALUE", o->env.v[i]);
    if (p->cwd[0] != '/')
        return ctr_fail(err, "--cwd \"%s\" is not an absolute path", p->cwd);
    if (o->user && parse_user(o->user, p, err) < 0)
        return -1;
    if (b->n_rlimits) {
        p->rlimits = malloc(b->n_rlimits * sizeof *p->rlimits);
        if (!p->rlimits)
            return ctr_fail(err, "out of memory");
        memcpy(p->rlimits, b->rlimits, b->n_rlimits * sizeof *p->rlimits);
        p->n_rlimits = b->n_rlimits;
    }
    size_t ngids = (size_t)o->gids.n;
    if (!ngids && b->n_additional_gids && !o->user) {
        p->additional_gids = malloc(b->n_additional_gids * sizeof *p->additional_gids);
        if (!p->additional_gids)
            return ctr_fail(err, "out of memory");
        memcpy(p->additional_gids, b->additional_gids, b->n_additional_gids * sizeof(uint32_t));
        p->n_additional_gids = b->n_additional_gids;
    } else if (ngids) {
        p->additional_gids = calloc(ngids, sizeof *p->additional_gids);
        if (!p->additional_gids)
            return ctr_fail(err, "out of memory");
        for (size_t i = 0; i < ngids; i++) {
            char *end;
            unsigned long g = strtoul(o->gids.v[i], &end, 10);
            if (!*o->gids.v[i] || *end || g > UINT32_MAX)
                return ctr_fail(err, "invalid --additional-gids \"%s\"", o->gids.v[i]);
            p->additional_gids[i] = (uint32_t)g;
        }
        p->n_additional_gids = ngids;
    }
    for (int i = 0; i < o->caps.n; i++) {
        int c = names_cap(o->caps.v[i]);
        if (c < 0)
            return ctr_fail(err, "unknown capability \"%s\"", o->caps.v[i]);
        p->has_caps = true;
        for (int s = 0; s < CAPSET_COUNT; s++)
            if (s != CAPSET_AMBIENT)
                p->caps[s] |= 1ull << c;
    }
    const char *aa = o->apparmor ? o->apparmor : b->apparmor_profile;
    const char *se = o->label ? o->label : b->selinux_label;
    if ((aa && !(p->apparmor_profile = strdup(aa))) || (se && !(p->selinux_label = strdup(se))))
        return ctr_fail(err, "out of memory");
    return 0;
}

/* In the forked child: join the cgroup and namespaces, set up, exec. */
_Noreturn static void exec_child(struct ctr_launch *l, const struct ctr_state *st,
                                 const char *subcgroup)
{
    struct ctr_err err;
    char exe[4096];
    for (int i = 0; i < st->cgroup.n; i++) {
        char dir[CG_PATH_MAX + 256];
        snprintf(dir, sizeof dir, "%s%s%s", st->cgroup.dir[i].path, subcgroup ? "/" : "",
                 subcgroup ? subcgroup : "");
        if (cg_write(dir, "cgroup.procs", "0", &err) < 0 && !l->rootless)
            goto fail;
    }
    char self[32];
    ssize_t n = readlink("/proc/self", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        l->host_pid = (pid_t)atoi(self);
    }
    if (proc_set_oom_score(l->proc, 0, &err) < 0)
        goto fail;
    if (ns_join(l->ns_fds, false, &err) < 0)
        goto fail;
    /* The init's root: the mount namespace's own root is not it with
     * --no-pivot (MS_MOVE + chroot), so chroot like the init did. */
    if (l->root_fd >= 0 && (fchdir(l->root_fd) < 0 || chroot(".") < 0 || chdir("/") < 0)) {
        ctr_fail_errno(&err, "enter the container's root");
        goto fail;
    }
    if (l->in_userns) {
        if (setresgid(0, 0, 0) < 0)
            setresgid(l->proc->gid, l->proc->gid, l->proc->gid);
        if (setresuid(0, 0, 0) < 0)
            setresuid(l->proc->uid, l->proc->uid, l->proc->uid);
    }
    if (l->proc->terminal) {
        int master, slave;
        char slave_path[64];
        if (term_open_pty(&master, &slave, slave_path, sizeof slave_path, l->proc->uid,
                          l->proc->gid, l->proc->console_height, l->proc->console_width, &err) < 0)
            goto fail;
        int r = l->console_fd >= 0 ? send_fd(l->console_fd, master, slave_path, strlen(slave_path))
                                   : sync_send_fd(l->sync_fd, SYNC_PTY, 0, master);
        close(master);
        if (r < 0) {
            ctr_fail_errno(&err, "send the pty master");
            goto fail;
        }
        if (l->console_fd >= 0)
            close(l->console_fd);
        if (term_become_controlling(slave, &err) < 0)
            goto fail;
    }
    if (proc_find_executable(l->proc, exe, sizeof exe, &err) < 0)
        goto fail;
    if (l->cfg->lx.seccomp) {
        if (seccomp_build(l->cfg->lx.seccomp, &l->seccomp, &err) < 0)
            goto fail;
        l->has_seccomp = true;
    }
    proc_apply_and_exec(l, exe, NULL, &err);
fail:
    sync_send(l->sync_fd, SYNC_ERROR, 0, err.msg);
    _exit(127);
}

static int open_container_ns(const struct oci_config *cfg, pid_t pid, int fds[NS_COUNT],
                             struct ctr_err *err)
{
    for (int i = 0; i < NS_COUNT; i++)
        fds[i] = -1;
    for (int i = 0; i < NS_COUNT; i++) {
        if (!cfg->lx.ns[i].enabled)
            continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/%s", (int)pid, names_ns_proc(i));
        fds[i] = open(path, O_RDONLY | O_CLOEXEC);
        if (fds[i] < 0) {
            ctr_fail_errno(err, "open %s", path);
            ns_close_all(fds);
            return -1;
        }
    }
    return 0;
}

int ctr_cmd_exec(struct ctr_cli *cli, int argc, char **argv)
{
    struct exec_opts o = { 0 };
    struct ctr_opt opts[] = {
        { "console-socket", 0, OPT_STR, &o.console_socket },
        { "cwd", 0, OPT_STR, &o.cwd },
        { "env", 'e', OPT_LIST, &o.env },
        { "tty", 't', OPT_BOOL, &o.tty },
        { "user", 'u', OPT_STR, &o.user },
        { "additional-gids", 'g', OPT_LIST, &o.gids },
        { "process", 'p', OPT_STR, &o.process },
        { "detach", 'd', OPT_BOOL, &o.detach },
        { "pid-file", 0, OPT_STR, &o.pid_file },
        { "process-label", 0, OPT_STR, &o.label },
        { "apparmor", 0, OPT_STR, &o.apparmor },
        { "no-new-privs", 0, OPT_BOOL, &o.no_new_privs },
        { "cap", 'c', OPT_LIST, &o.caps },
        { "preserve-fds", 0, OPT_INT, &o.preserve_fds },
        { "cgroup", 0, OPT_STR, &o.cgroup },
        { "ignore-paused", 0, OPT_BOOL, &o.ignore_paused },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1, ret = 1, dirfd = -1, sp[2] = { -1, -1 }, console_fd = -1, listener_fd = -1;
    int ns_fds[NS_COUNT], sigfd = -1;
    for (int i = 0; i < NS_COUNT; i++)
        ns_fds[i] = -1;
    struct oci_config cfg;
    struct oci_process proc;
    struct ctr_state st;
    memset(&cfg, 0, sizeof cfg);
    memset(&proc, 0, sizeof proc);
    memset(&st, 0, sizeof st);
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    if (idx >= argc) {
        cli_failf(cli, "%s: \"exec\" requires a minimum of 1 argument(s)", usage);
        goto out;
    }
    const char *id = argv[idx++];
    if (!state_id_valid(id)) {
        cli_failf(cli, "invalid container id format: %s", id);
        goto out;
    }
    if (o.preserve_fds < 0 || o.preserve_fds > 65536) {
        cli_failf(cli, "invalid --preserve-fds value %ld", o.preserve_fds);
        goto out;
    }
    if (o.cgroup && (strstr(o.cgroup, "..") || o.cgroup[0] == '/' || strchr(o.cgroup, ':'))) {
        cli_failf(cli, "invalid --cgroup \"%s\": give a sub-cgroup path of the container", o.cgroup);
        goto out;
    }
    if (ctr_open(cli, id, &dirfd, &st, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    enum ctr_status s = state_status(dirfd, &st);
    if (s == ST_STOPPED) {
        cli_failf(cli, "cannot exec in a stopped container");
        goto out;
    }
    if (s == ST_PAUSED && !o.ignore_paused) {
        cli_failf(cli, "cannot exec in a paused container (use --ignore-paused to override)");
        goto out;
    }
    char cfgpath[64];
    snprintf(cfgpath, sizeof cfgpath, "/proc/self/fd/%d/config.json", dirfd);
    if (config_load(cfgpath, &cfg, NULL, NULL, NULL, &err) < 0 ||
        build_process(&o, argc, argv, idx, &cfg, &proc, &cli->log, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    proc_drop_unsupported_labels(&proc, &cli->log);
    if (proc.terminal && !o.console_socket && o.detach) {
        cli_failf(cli, "cannot allocate tty if runc will detach without setting console socket");
        goto out;
    }
    if (o.console_socket && (console_fd = unix_connect(o.console_socket, &err)) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    if (cfg.lx.seccomp && cfg.lx.seccomp->uses_notify &&
        (listener_fd = unix_connect(cfg.lx.seccomp->listener_path, &err)) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    if (open_container_ns(&cfg, st.pid, ns_fds, &err) < 0) {
        cli_fail(cli, &err);
        goto out;
    }
    if (!proc_alive(st.pid, st.pid_start)) {
        cli_failf(cli, "cannot exec in a stopped container");
        goto out;
    }
    /* pid and time namespaces apply to our children: enter them here. */
    static const int late[] = { NS_PID, NS_TIME };
    for (size_t i = 0; i < 2; i++) {
        int k = late[i];
        if (ns_fds[k] < 0)
            continue;
        if (setns(ns_fds[k], names_ns_clone_flag(k)) < 0) {
            cli_failf(cli, "join %s namespace: %s", names_ns_spec(k), strerror(errno));
            goto out;
        }
        close(ns_fds[k]);
        ns_fds[k] = -1;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) {
        cli_failf(cli, "socketpair: %s", strerror(errno));
        goto out;
    }
    sigset_t oldmask;
    if (!o.detach && (sigfd = forward_signals_begin(&oldmask)) < 0) {
        cli_failf(cli, "signalfd: %s", strerror(errno));
        goto out;
    }
    struct ctr_launch l = {
        .cfg = &cfg, .proc = &proc, .id = id, .bundle = st.bundle, .rootfs = st.rootfs,
        .cgroup = &st.cgroup, .log = &cli->log, .in_userns = cfg.lx.ns[NS_USER].enabled,
        .rootless = cli->rootless, .sync_fd = sp[1], .exec_listen_fd = -1, .state_dirfd = -1,
        .console_fd = console_fd, .seccomp_listener_fd = listener_fd,
        .preserve_fds = (int)o.preserve_fds,
    };
    memcpy(l.ns_fds, ns_fds, sizeof ns_fds);
    char rootpath[64];
    snprintf(rootpath, sizeof rootpath, "/proc/%d/root", (int)st.pid);
    l.root_fd = open(rootpath, O_PATH | O_DIRECTORY | O_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        cli_failf(cli, "fork: %s", strerror(errno));
        goto out;
    }
    if (pid == 0) {
        close(sp[0]);
        exec_child(&l, &st, o.cgroup);
    }
    close(sp[1]);
    sp[1] = -1;
    if (l.root_fd >= 0)
        close(l.root_fd);
    /* EOF: exec'd.  A message: a pty master first, maybe; or an error. */
    int pty = -1;
    for (;;) {
        struct sync_msg m;
        int passed;
        int r = sync_recv_fd(sp[0], &m, &passed);
        if (r > 0 && m.type == SYNC_PTY) {
            pty = passed;
            continue;
        }
        if (passed >= 0)
            close(passed);
        if (r > 0 && m.type == SYNC_ERROR) {
            waitpid(pid, NULL, 0);
            cli_failf(cli, "%s", m.text);
            goto out;
        }
        break;
    }
    if (o.pid_file && write_pid_file(o.pid_file, pid) < 0) {
        cli_failf(cli, "write pid file %s: %s", o.pid_file, strerror(errno));
        kill(pid, SIGKILL);
        goto out;
    }
    if (o.detach) {
        ret = 0;
        goto out;
    }
    int status;
    if (pty >= 0) {
        term_proxy_wait(pty, sigfd, pid, &status);
        close(pty);
    } else {
        status = forward_signals_wait(sigfd, pid);
    }
    ret = exit_code(status);
out:
    ns_close_all(ns_fds);
    for (int i = 0; i < 2; i++)
        if (sp[i] >= 0)
            close(sp[i]);
    if (console_fd >= 0)
        close(console_fd);
    if (listener_fd >= 0)
        close(listener_fd);
    if (sigfd >= 0)
        close(sigfd);
    if (dirfd >= 0)
        close(dirfd);
    config_free_process(&proc);
    config_free(&cfg);
    state_free(&st);
    str_list_free(&o.env);
    str_list_free(&o.gids);
    str_list_free(&o.caps);
    return ret;
}
