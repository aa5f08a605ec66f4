/* `spec`: write a default config.json (like runc's), optionally rootless. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <json.h>
#include "container/ctr_cli.h"
#include "container/oci_config.h"
#include "container/state.h"
#include "container/util.h"

static json_object *strv(const char *const *v)
{
    json_object *a = json_object_new_array();
    for (; *v; v++)
        json_object_array_add(a, json_object_new_string(*v));
    return a;
}

static json_object *mount(const char *dest, const char *type, const char *src,
                          const char *const *opts)
{
    json_object *m = json_object_new_object();
    json_object_object_add(m, "destination", json_object_new_string(dest));
    json_object_object_add(m, "type", json_object_new_string(type));
    json_object_object_add(m, "source", json_object_new_string(src));
    if (opts)
        json_object_object_add(m, "options", strv(opts));
    return m;
}

static json_object *idmap(unsigned id)
{
    json_object *a = json_object_new_array(), *m = json_object_new_object();
    json_object_object_add(m, "containerID", json_object_new_int(0));
    json_object_object_add(m, "hostID", json_object_new_int64(id));
    json_object_object_add(m, "size", json_object_new_int(1));
    json_object_array_add(a, m);
    return a;
}

/* The default configuration; `rootless` adapts it for an unprivileged user. */
static json_object *default_spec(bool rootless)
{
    static const char *const caps[] = { "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE", NULL };
    static const char *const env[] = {
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm", NULL };
    static const char *const args[] = { "sh", NULL };
    static const char *const dev_opts[] = { "nosuid", "strictatime", "mode=755", "size=65536k", NULL };
    static const char *const pts_opts[] = { "nosuid", "noexec", "newinstance", "ptmxmode=0666",
                                            "mode=0620", "gid=5", NULL };
    static const char *const pts_opts_rootless[] = { "nosuid", "noexec", "newinstance",
                                                     "ptmxmode=0666", "mode=0620", NULL };
    static const char *const shm_opts[] = { "nosuid", "noexec", "nodev", "mode=1777", "size=65536k", NULL };
    static const char *const mq_opts[] = { "nosuid", "noexec", "nodev", NULL };
    static const char *const sys_opts[] = { "nosuid", "noexec", "nodev", "ro", NULL };
    static const char *const sys_bind_opts[] = { "rbind", "nosuid", "noexec", "nodev", "ro", NULL };
    static const char *const cg_opts[] = { "nosuid", "noexec", "nodev", "relatime", "ro", NULL };
    static const char *const masked[] = {
        "/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
        "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/sys/firmware",
        "/proc/scsi", "/sys/devices/virtual/powercap", NULL };
    static const char *const readonly[] = {
        "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger", NULL };

    json_object *s = json_object_new_object();
    json_object_object_add(s, "ociVersion", json_object_new_string(VESSEL_OCI_VERSION));

    json_object *p = json_object_new_object();
    json_object_object_add(p, "terminal", json_object_new_boolean(true));
    json_object *user = json_object_new_object();
    json_object_object_add(user, "uid", json_object_new_int(0));
    json_object_object_add(user, "gid", json_object_new_int(0));
    json_object_object_add(p, "user", user);
    json_object_object_add(p, "args", strv(args));
    json_object_object_add(p, "env", strv(env));
    json_object_object_add(p, "cwd", json_object_new_string("/"));
    json_object *c = json_object_new_object();
    json_object_object_add(c, "bounding", strv(caps));
    json_object_object_add(c, "effective", strv(caps));
    json_object_object_add(c, "permitted", strv(caps));
    json_object_object_add(p, "capabilities", c);
    json_object *rl = json_object_new_array(), *r = json_object_new_object();
    json_object_object_add(r, "type", json_object_new_string("RLIMIT_NOFILE"));
    json_object_object_add(r, "hard", json_object_new_int(1024));
    json_object_object_add(r, "soft", json_object_new_int(1024));
    json_object_array_add(rl, r);
    json_object_object_add(p, "rlimits", rl);
    json_object_object_add(p, "noNewPrivileges", json_object_new_boolean(true));
    json_object_object_add(s, "process", p);

    json_object *root = json_object_new_object();
    json_object_object_add(root, "path", json_object_new_string("rootfs"));
    json_object_object_add(root, "readonly", json_object_new_boolean(true));
    json_object_object_add(s, "root", root);
    json_object_object_add(s, "hostname", json_object_new_string("vessel"));

    json_object *m = json_object_new_array();
    json_object_array_add(m, mount("/proc", "proc", "proc", NULL));
    json_object_array_add(m, mount("/dev", "tmpfs", "tmpfs", dev_opts));
    json_object_array_add(m, mount("/dev/pts", "devpts", "devpts", rootless ? pts_opts_rootless : pts_opts));
    json_object_array_add(m, mount("/dev/shm", "tmpfs", "shm", shm_opts));
    json_object_array_add(m, mount("/dev/mqueue", "mqueue", "mqueue", mq_opts));
    if (rootless)
        json_object_array_add(m, mount("/sys", "none", "/sys", sys_bind_opts));
    else {
        json_object_array_add(m, mount("/sys", "sysfs", "sysfs", sys_opts));
        json_object_array_add(m, mount("/sys/fs/cgroup", "cgroup", "cgroup", cg_opts));
    }
    json_object_object_add(s, "mounts", m);

    json_object *lx = json_object_new_object();
    if (!rootless) {
        json_object *res = json_object_new_object(), *devs = json_object_new_array();
        json_object *deny = json_object_new_object();
        json_object_object_add(deny, "allow", json_object_new_boolean(false));
        json_object_object_add(deny, "access", json_object_new_string("rwm"));
        json_object_array_add(devs, deny);
        json_object_object_add(res, "devices", devs);
        json_object_object_add(lx, "resources", res);
    } else {
        json_object_object_add(lx, "uidMappings", idmap(geteuid()));
        json_object_object_add(lx, "gidMappings", idmap(getegid()));
    }
    static const char *const ns_root[] = { "pid", "network", "ipc", "uts", "mount", "cgroup", NULL };
    static const char *const ns_rootless[] = { "pid", "ipc", "uts", "mount", "cgroup", "user", NULL };
    json_object *ns = json_object_new_array();
    for (const char *const *n = rootless ? ns_rootless : ns_root; *n; n++) {
        json_object *e = json_object_new_object();
        json_object_object_add(e, "type", json_object_new_string(*n));
        json_object_array_add(ns, e);
    }
    json_object_object_add(lx, "namespaces", ns);
    json_object_object_add(lx, "maskedPaths", strv(masked));
    json_object_object_add(lx, "readonlyPaths", strv(readonly));
    json_object_object_add(s, "linux", lx);
    return s;
}

int ctr_cmd_spec(struct ctr_cli *cli, int argc, char **argv)
{
    const char *bundle = NULL;
    bool rootless = false;
    struct ctr_opt opts[] = {
        { "bundle", 'b', OPT_STR, &bundle },
        { "rootless", 0, OPT_BOOL, &rootless },
        { 0 },
    };
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, opts, &err) < 0)
        return cli_fail(cli, &err);
    if (idx < argc)
        return cli_failf(cli, "spec: \"spec\" requires exactly 0 argument(s)");
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s%sconfig.json", bundle && *bundle ? bundle : "",
             bundle && *bundle ? "/" : "");
    json_object *s = default_spec(rootless);
    const char *text = json_object_to_json_string_ext(
        s, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_PRETTY_TAB | JSON_C_TO_STRING_SPACED |
        JSON_C_TO_STRING_NOSLASHESCAPE);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    int ret = 0;
    if (fd < 0) {
        ret = errno == EEXIST ? cli_failf(cli, "File %s exists. Remove it first", path)
                              : cli_failf(cli, "create %s: %s", path, strerror(errno));
    } else {
        if (write_all_fd(fd, text, strlen(text)) < 0 || write_all_fd(fd, "\n", 1) < 0)
            ret = cli_failf(cli, "write %s: %s", path, strerror(errno));
        close(fd);
    }
    json_object_put(s);
    return ret;
}
