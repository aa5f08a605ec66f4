/* cgroup v2 paths that a hybrid host can still exercise on its unified
 * hierarchy: the eBPF device filter, the freezer, pids and kill.  Needs
 * root and a cgroup2 mount; skipped (passing) otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "container/cgroup.h"
#include "container_check.h"

/* Child: join the cgroup, report whether opening each device works. */
static int probe(const char *dir, const char *dev)
{
    pid_t pid = fork();
    if (pid == 0) {
        struct ctr_err err;
        if (cg_write(dir, "cgroup.procs", "0", &err) < 0)
            _exit(3);
        int fd = open(dev, O_RDONLY);
        _exit(fd >= 0 ? 0 : errno == EPERM ? 1 : 2);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 4;
}

int main(void)
{
    if (geteuid() != 0) {
        printf("container_v2: skipped (needs root)\n");
        return 0;
    }
    struct cg_layout *lay = calloc(1, sizeof *lay);
    struct ctr_err err;
    if (cg_discover(lay, &err) < 0)
        return 1;
    const struct cg_hier *h = NULL;
    for (int i = 0; i < lay->n_hier; i++)
        if (lay->hier[i].v2)
            h = &lay->hier[i];
    if (!h || access("/dev/kmsg", F_OK) < 0) {
        printf("container_v2: skipped (no cgroup2 mount or /dev/kmsg)\n");
        return 0;
    }
    static struct cg_set set = { .mode = CG_V2, .n = 1 };
    char path[CG_PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/vessel-unit-%d", h->mount, (int)getpid());
    if (strlen(path) >= sizeof set.dir[0].path)
        return 2;
    memcpy(set.dir[0].path, path, strlen(path) + 1);
    snprintf(set.dir[0].key, sizeof set.dir[0].key, "unified");
    set.dir[0].v2 = true;
    CHECK(cg_create(&set, NULL, NULL, &err) == 0);
    CHECK(set.dir[0].created == 1);

    /* Deny everything but /dev/null (the runtime's defaults allow the
     * standard devices, so deny /dev/zero explicitly after them is not
     * possible: test with a device outside the defaults). */
    struct oci_devrule rules[] = {
        { false, 'a', -1, -1, "rwm" },
        { true, 'c', 1, 3, "r" },
    };
    int r = cg_bpf_devices(set.dir[0].path, rules, 2, &err);
    if (r < 0 && (err.errnum == EPERM || err.errnum == EINVAL || err.errnum == ENOSYS)) {
        printf("container_v2: eBPF device filter unavailable here (%s)\n", err.msg);
    } else {
        CHECK(r == 0);
        CHECK(probe(set.dir[0].path, "/dev/null") == 0);
        CHECK(probe(set.dir[0].path, "/dev/mem") == 1 || access("/dev/mem", F_OK) < 0);
        CHECK(probe(set.dir[0].path, "/dev/kmsg") == 1);     /* exists, but denied */
        /* Replacing the filter: now /dev/kmsg is allowed too. */
        struct oci_devrule more[] = { { false, 'a', -1, -1, "rwm" }, { true, 'c', 1, 11, "r" } };
        CHECK(cg_bpf_devices(set.dir[0].path, more, 2, &err) == 0);
        CHECK(probe(set.dir[0].path, "/dev/kmsg") == 0);
    }

    /* Freezer and pids on a v2 directory. */
    pid_t child = fork();
    if (child == 0) {
        struct ctr_err e;
        cg_write(set.dir[0].path, "cgroup.procs", "0", &e);
        pause();
        _exit(0);
    }
    usleep(50000);
    pid_t *pids;
    size_t n;
    CHECK(cg_pids(&set, &pids, &n, &err) == 0);
    CHECK(n == 1 && pids[0] == child);
    free(pids);
    CHECK(cg_frozen(&set) == 0);
    CHECK(cg_freeze(&set, true, &err) == 0);
    CHECK(cg_frozen(&set) == 1);
    CHECK(cg_freeze(&set, false, &err) == 0);
    CHECK(cg_frozen(&set) == 0);
    CHECK(cg_signal_all(&set, SIGKILL, &err) == 0);
    int st;
    waitpid(child, &st, 0);
    CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    CHECK(cg_destroy(&set, &err) == 0);
    CHECK(cg_gone(&set));
    free(lay);
    return check_done("container_v2");
}
