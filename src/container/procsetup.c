/* Process setup before execve (see procsetup.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/sched.h>
#include <json.h>
#include "container/caps.h"
#include "container/procsetup.h"
#include "container/seccomp.h"
#include "container/sync.h"
#include "container/util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

static const char default_path[] = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

static const char *env_get(char **env, const char *name)
{
    size_t n = strlen(name);
    for (char **e = env; e && *e; e++)
        if (!strncmp(*e, name, n) && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

static bool is_executable(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

int proc_find_executable(const struct oci_process *p, char *exe, size_t size, struct ctr_err *err)
{
    const char *name = p->args[0];
    if (!*name)
        return ctr_fail(err, "exec: empty executable name in process.args[0]");
    if (strchr(name, '/')) {
        if (name[0] == '/')
            snprintf(exe, size, "%s", name);
        else    /* relative to the working directory */
            snprintf(exe, size, "%s%s%s", p->cwd, p->cwd[strlen(p->cwd) - 1] == '/' ? "" : "/", name);
        struct stat st;
        if (stat(exe, &st) < 0)
            return ctr_fail_errno(err, "exec: \"%s\"", name);
        if (S_ISDIR(st.st_mode)) {
            errno = EISDIR;
            return ctr_fail_errno(err, "exec: \"%s\"", name);
        }
        return 0;
    }
    const char *path = env_get(p->env, "PATH");
    if (!path)
        path = default_path;
    const char *s = path;
    for (;;) {
        const char *colon = strchr(s, ':');
        size_t len = colon ? (size_t)(colon - s) : strlen(s);
        int w = len ? snprintf(exe, size, "%.*s/%s", (int)len, s, name)
                    : snprintf(exe, size, "./%s", name);
        if (w > 0 && (size_t)w < size && is_executable(exe))
            return 0;
        if (!colon)
            break;
        s = colon + 1;
    }
    return ctr_fail(err, "exec: \"%s\": executable file not found in $PATH", name);
}

int proc_set_oom_score(const struct oci_process *p, pid_t pid, struct ctr_err *err)
{
    if (!p->oom_score_adj.set)
        return 0;
    char path[64];
    if (pid)
        snprintf(path, sizeof path, "/proc/%d/oom_score_adj", (int)pid);
    else
        snprintf(path, sizeof path, "/proc/self/oom_score_adj");
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return ctr_fail_errno(err, "open %s", path);
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%lld", (long long)p->oom_score_adj.v);
    int r = write_all_fd(fd, buf, (size_t)n);
    close(fd);
    if (r < 0)
        return ctr_fail_errno(err, "set oom_score_adj to %s", buf);
    return 0;
}

/* HOME from the container's /etc/passwd when the process has none. */
static void home_for(uid_t uid, char *out, size_t size)
{
    snprintf(out, size, "/");
    FILE *f = fopen("/etc/passwd", "re");
    if (!f)
        return;
    char line[1024];
    while (fgets(line, sizeof line, f)) {
        char *fields[7], *save = NULL, *t = line;
        int n = 0;
        /* strsep keeps empty fields */
        while (n < 7 && (fields[n] = strsep(&t, ":")))
            n++;
        (void)save;
        if (n >= 6 && (uid_t)strtoul(fields[2], NULL, 10) == uid && *fields[5]) {
            snprintf(out, size, "%s", fields[5]);
            break;
        }
    }
    fclose(f);
}

static char **build_env(const struct oci_process *p, char **extra)
{
    size_t n = p->n_env, ne = 0;
    while (extra && extra[ne])
        ne++;
    char **env = calloc(n + ne + 2, sizeof *env);
    if (!env)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++)
        env[o++] = p->env[i];
    for (size_t i = 0; i < ne; i++)
        env[o++] = extra[i];
    if (!env_get(env, "HOME")) {
        char home[512];
        home_for(p->uid, home, sizeof home);
        char *h = malloc(strlen(home) + 6);
        if (h) {
            sprintf(h, "HOME=%s", home);
            env[o++] = h;
        }
    }
    return env;
}

static int set_user(const struct oci_process *p, struct ctr_err *err)
{
    if (setgroups(p->n_additional_gids, (const gid_t *)p->additional_gids) < 0) {
        /* Denied in user namespaces without setgroups; fine if none asked. */
        if (!(errno == EPERM && p->n_additional_gids == 0))
            return ctr_fail_errno(err, "setgroups");
    }
    if (setresgid(p->gid, p->gid, p->gid) < 0)
        return ctr_fail_errno(err, "setgid %u", p->gid);
    if (setresuid(p->uid, p->uid, p->uid) < 0)
        return ctr_fail_errno(err, "setuid %u", p->uid);
    return 0;
}

static int set_sched(const struct oci_process *p, struct ctr_err *err)
{
    if (p->has_sched) {
        struct {
            uint32_t size, policy;
            uint64_t flags;
            int32_t nice;
            uint32_t priority;
            uint64_t runtime, deadline, period;
        } attr = { 48, (uint32_t)p->sched.policy, p->sched.flags, p->sched.nice,
                   (uint32_t)p->sched.priority, p->sched.runtime, p->sched.deadline,
                   p->sched.period };
        if (syscall(SYS_sched_setattr, 0, &attr, 0) < 0)
            return ctr_fail_errno(err, "sched_setattr");
    }
    if (p->has_ioprio &&
        syscall(SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0,
                (p->ioprio_class << 13) | p->ioprio_level) < 0)
        return ctr_fail_errno(err, "ioprio_set");
    return 0;
}

static int set_lsm_labels(const struct oci_process *p, struct ctr_err *err)
{
    if (p->apparmor_profile && *p->apparmor_profile) {
        int fd = open("/proc/self/attr/apparmor/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0)
            return ctr_fail_errno(err, "apparmor: set profile %s", p->apparmor_profile);
        char buf[1100];
        int n = snprintf(buf, sizeof buf, "exec %s", p->apparmor_profile);
        int r = write_all_fd(fd, buf, (size_t)n);
        close(fd);
        if (r < 0)
            return ctr_fail_errno(err, "apparmor: set profile %s", p->apparmor_profile);
    }
    if (p->selinux_label && *p->selinux_label) {
        int fd = open("/proc/self/attr/exec", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write_all_fd(fd, p->selinux_label, strlen(p->selinux_label)) < 0) {
            if (fd >= 0)
                close(fd);
            return ctr_fail_errno(err, "selinux: set label %s", p->selinux_label);
        }
        close(fd);
    }
    return 0;
}

/* linux.memoryPolicy through set_mempolicy(2); nodes "0-3,7". */
static int set_mempolicy_from(const struct oci_linux *lx, struct ctr_err *err)
{
    if (!lx->has_mempolicy)
        return 0;
    unsigned long mask[16] = { 0 };     /* 1024 nodes */
    unsigned long maxbit = 0;
    const char *s = lx->mempolicy_nodes ? lx->mempolicy_nodes : "";
    while (*s) {
        char *end;
        unsigned long a = strtoul(s, &end, 10), b = a;
        if (end == s)
            return ctr_fail(err, "linux.memoryPolicy.nodes: invalid list \"%s\"", lx->mempolicy_nodes);
        if (*end == '-')
            b = strtoul(end + 1, &end, 10);
        if (b < a || b >= 1024)
            return ctr_fail(err, "linux.memoryPolicy.nodes: invalid range in \"%s\"",
                            lx->mempolicy_nodes);
        for (unsigned long n = a; n <= b; n++)
            mask[n / 64] |= 1ul << (n % 64);
        if (b + 1 > maxbit)
            maxbit = b + 1;
        s = *end == ',' ? end + 1 : end;
        if (*end && *end != ',')
            return ctr_fail(err, "linux.memoryPolicy.nodes: invalid list \"%s\"", lx->mempolicy_nodes);
    }
    long r = syscall(SYS_set_mempolicy, lx->mempolicy_mode | (int)lx->mempolicy_flags,
                     maxbit ? mask : NULL, maxbit ? maxbit + 1 : 0);
    if (r < 0)
        return ctr_fail_errno(err, "set_mempolicy");
    return 0;
}

static int install_seccomp(const struct ctr_launch *l, struct ctr_err *err)
{
    int nfd = seccomp_install(l->cfg->lx.seccomp, &l->seccomp, err);
    if (nfd < 0)
        return -1;
    if (nfd > 0) {
        /* Hand the notify fd to the agent along with the process state. */
        const struct oci_seccomp *sc = l->cfg->lx.seccomp;
        json_object *st = json_object_new_object();
        json_object_object_add(st, "ociVersion", json_object_new_string(VESSEL_OCI_VERSION));
        json_object_object_add(st, "id", json_object_new_string(l->id));
        json_object_object_add(st, "status", json_object_new_string("creating"));
        json_object_object_add(st, "pid", json_object_new_int(l->host_pid));
        json_object_object_add(st, "bundle", json_object_new_string(l->bundle));
        json_object *o = json_object_new_object();
        json_object_object_add(o, "ociVersion", json_object_new_string(VESSEL_OCI_VERSION));
        json_object *fds = json_object_new_array();
        json_object_array_add(fds, json_object_new_string("seccompFd"));
        json_object_object_add(o, "fds", fds);
        json_object_object_add(o, "pid", json_object_new_int(l->host_pid));
        if (sc->listener_metadata)
            json_object_object_add(o, "metadata", json_object_new_string(sc->listener_metadata));
        json_object_object_add(o, "state", st);
        const char *json = json_object_to_json_string_ext(o, JSON_C_TO_STRING_NOSLASHESCAPE);
        int r = seccomp_send_listener(l->seccomp_listener_fd, nfd, json, err);
        json_object_put(o);
        close(nfd);
        close(l->seccomp_listener_fd);
        if (r < 0)
            return -1;
    }
    return 0;
}

int proc_apply_and_exec(const struct ctr_launch *l, const char *exe, char **extra_env,
                        struct ctr_err *err)
{
    const struct oci_process *p = l->proc;
    char **env = build_env(p, extra_env);
    if (!env)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < p->n_rlimits; i++) {
        struct rlimit rl = { p->rlimits[i].soft, p->rlimits[i].hard };
        if (setrlimit(p->rlimits[i].resource, &rl) < 0)
            return ctr_fail_errno(err, "setrlimit %d (soft %llu, hard %llu)", p->rlimits[i].resource,
                                  (unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
    }
    if (l->cfg->lx.has_personality && personality(l->cfg->lx.personality) < 0)
        return ctr_fail_errno(err, "personality");
    if (set_mempolicy_from(&l->cfg->lx, err) < 0)
        return -1;
    if (set_sched(p, err) < 0 || set_lsm_labels(p, err) < 0)
        return -1;
    /* Without no_new_privs, loading seccomp needs CAP_SYS_ADMIN: do it
     * while we still have it. */
    if (l->has_seccomp && !p->no_new_privileges && install_seccomp(l, err) < 0)
        return -1;
    uint64_t sets[CAPSET_COUNT] = { 0 };
    if (p->has_caps)
        memcpy(sets, p->caps, sizeof sets);
    /* What our own bounding set lacks cannot be granted: warn, go on. */
    uint64_t avail = caps_bounding_now(), missing = 0;
    for (int s = 0; s < CAPSET_COUNT; s++) {
        missing |= sets[s] & ~avail;
        sets[s] &= avail;
    }
    if (missing && l->log)
        ctr_warn(l->log, "capabilities that cannot be granted here are left out (mask %#llx)",
                 (unsigned long long)missing);
    if (caps_apply_bounding(sets[CAPSET_BOUNDING], avail, err) < 0)
        return -1;
    bool cwd_done = chdir(p->cwd) == 0;
    if (!cwd_done && errno != EACCES && errno != EPERM)
        return ctr_fail_errno(err, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
    if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return ctr_fail_errno(err, "prctl(PR_SET_KEEPCAPS)");
    if (set_user(p, err) < 0)
        return -1;
    prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
    if (!cwd_done && chdir(p->cwd) < 0)
        return ctr_fail_errno(err, "chdir to cwd (\"%s\") set in config.json failed", p->cwd);
    if (caps_apply(sets, err) < 0)
        return -1;
    if (p->umask.set)
        umask((mode_t)p->umask.v);
    if (p->no_new_privileges && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        return ctr_fail_errno(err, "prctl(PR_SET_NO_NEW_PRIVS)");
    /* Everything above fd 2 (plus the preserved ones) goes away at exec. */
    unsigned first = 3u + (unsigned)l->preserve_fds;
    if (syscall(SYS_close_range, first, ~0u, CLOSE_RANGE_CLOEXEC) < 0) {
        for (int fd = (int)first; fd < 65536; fd++)
            fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    for (int fd = 3; fd < (int)first; fd++)
        fcntl(fd, F_SETFD, 0);
    ctr_reset_signals();
    if (l->has_seccomp && p->no_new_privileges && install_seccomp(l, err) < 0)
        return -1;
    execve(exe, p->args, env);
    return ctr_fail_errno(err, "exec %s", exe);
}

static bool apparmor_enabled(void)
{
    char c = 0;
    int fd = open("/sys/module/apparmor/parameters/enabled", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    if (read(fd, &c, 1) != 1)
        c = 0;
    close(fd);
    return c == 'Y';
}

void proc_drop_unsupported_labels(struct oci_process *p, const struct ctr_log *log)
{
    if (p->apparmor_profile && *p->apparmor_profile && !apparmor_enabled()) {
        ctr_warn(log, "AppArmor is not enabled on this host: ignoring apparmorProfile %s",
                 p->apparmor_profile);
        free(p->apparmor_profile);
        p->apparmor_profile = NULL;
    }
    if (p->selinux_label && *p->selinux_label && access("/sys/fs/selinux/enforce", F_OK) < 0) {
        ctr_warn(log, "SELinux is not enabled on this host: ignoring selinuxLabel %s",
                 p->selinux_label);
        free(p->selinux_label);
        p->selinux_label = NULL;
    }
}
