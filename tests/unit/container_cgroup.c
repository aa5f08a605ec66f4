/* Cgroup layout discovery (pure v1, hybrid, pure v2), path planning for
 * linux.cgroupsPath (absolute, relative, systemd style) and the saved form. */
#include "container/cgroup.h"
#include "container_check.h"

static const char mi_hybrid[] =
"25 30 0:23 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
"33 25 0:28 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
"34 33 0:29 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - cgroup2 cgroup2 rw,nsdelegate\n"
"35 33 0:30 / /sys/fs/cgroup/systemd rw,nosuid - cgroup cgroup rw,xattr,name=systemd\n"
"38 33 0:33 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid - cgroup cgroup rw,cpu,cpuacct\n"
"39 33 0:34 / /sys/fs/cgroup/memory rw,nosuid - cgroup cgroup rw,memory\n"
"40 33 0:35 / /sys/fs/cgroup/pids rw,nosuid - cgroup cgroup rw,pids\n"
"41 33 0:36 / /sys/fs/cgroup/my\\040dir rw - cgroup cgroup rw,freezer\n";

static const char cg_hybrid[] =
"12:pids:/user.slice/user-1000.slice\n"
"4:memory:/user.slice\n"
"3:cpuacct,cpu:/user.slice\n"
"1:name=systemd:/user.slice/session-1.scope\n"
"0::/user.slice/session-1.scope\n";

static const char mi_v1[] =
"39 33 0:34 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
"40 33 0:35 / /sys/fs/cgroup/devices rw - cgroup cgroup rw,devices\n";

static const char mi_v2[] =
"30 25 0:27 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:4 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot\n";
static const char cg_v2[] = "0::/system.slice/containerd.service\n";

static const struct cg_dir *dir_for(const struct cg_set *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->dir[i].key, key))
            return &s->dir[i];
    return NULL;
}

static void test_hybrid(void)
{
    struct cg_layout *lay = calloc(1, sizeof *lay);
    struct cg_set *set = calloc(1, sizeof *set);
    struct ctr_err err;
    CHECK(cg_discover_text(lay, mi_hybrid, cg_hybrid, &err) == 0);
    CHECK(lay->mode == CG_HYBRID);
    CHECK(lay->n_hier == 6);

    /* Relative: below our own cgroup in each hierarchy. */
    CHECK(cg_plan(lay, "ctr1", "id", false, set, &err) == 0);
    CHECK(set->n == 6);
    const struct cg_dir *d = dir_for(set, "memory");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/memory/user.slice/ctr1"));
    d = dir_for(set, "cpu,cpuacct");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/cpu,cpuacct/user.slice/ctr1"));
    d = dir_for(set, "systemd");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/systemd/user.slice/session-1.scope/ctr1"));
    CHECK(d && !strcmp(d->options, "none,name=systemd"));
    d = dir_for(set, "unified");
    CHECK(d && d->v2 && !strcmp(d->path, "/sys/fs/cgroup/unified/user.slice/session-1.scope/ctr1"));
    d = dir_for(set, "freezer");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/my dir/ctr1"));
    CHECK(cg_find(set, "cpuacct") == dir_for(set, "cpu,cpuacct"));
    CHECK(cg_find(set, "hugetlb") == NULL);

    /* Absolute: from each hierarchy's root. */
    CHECK(cg_plan(lay, "/a/b", "id", false, set, &err) == 0);
    d = dir_for(set, "pids");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/pids/a/b"));
    /* Default: the id, relative. */
    CHECK(cg_plan(lay, NULL, "myid", false, set, &err) == 0);
    d = dir_for(set, "memory");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/memory/user.slice/myid"));
    /* systemd style */
    CHECK(cg_plan(lay, "machine-web.slice:vessel:abc", "id", true, set, &err) == 0);
    d = dir_for(set, "memory");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/memory/machine.slice/machine-web.slice/vessel-abc.scope"));
    CHECK(cg_plan(lay, ":p:n", "id", true, set, &err) == 0);
    d = dir_for(set, "pids");
    CHECK(d && !strcmp(d->path, "/sys/fs/cgroup/pids/system.slice/p-n.scope"));
    CHECK(cg_plan(lay, "/not/systemd", "id", true, set, &err) < 0);
    CHECK_CONTAINS(err.msg, "slice:prefix:name");
    CHECK(cg_plan(lay, "bad:p:n", "id", true, set, &err) < 0);
    /* escapes */
    CHECK(cg_plan(lay, "../../etc", "id", false, set, &err) < 0);
    CHECK_CONTAINS(err.msg, "escapes");
    CHECK(cg_plan(lay, "/", "id", false, set, &err) < 0);

    /* Saved form round trip. */
    CHECK(cg_plan(lay, "/x", "id", false, set, &err) == 0);
    set->dir[1].created = 2;
    json_object *j = cg_to_json(set);
    struct cg_set *back = calloc(1, sizeof *back);
    CHECK(cg_from_json(j, back, &err) == 0);
    CHECK(back->mode == CG_HYBRID && back->n == set->n);
    CHECK(back->dir[1].created == 2);
    CHECK(!strcmp(back->dir[3].path, set->dir[3].path));
    CHECK(!strcmp(back->dir[3].mount, set->dir[3].mount));
    json_object_put(j);
    free(back);
    free(set);
    free(lay);
}

static void test_v1_v2(void)
{
    struct cg_layout *lay = calloc(1, sizeof *lay);
    struct cg_set *set = calloc(1, sizeof *set);
    struct ctr_err err;
    CHECK(cg_discover_text(lay, mi_v1, "5:devices:/\n4:memory:/\n", &err) == 0);
    CHECK(lay->mode == CG_V1 && lay->n_hier == 2);
    CHECK(cg_discover_text(lay, mi_v2, cg_v2, &err) == 0);
    CHECK(lay->mode == CG_V2 && lay->n_hier == 1);
    CHECK(cg_plan(lay, "k8s/pod1", "id", false, set, &err) == 0);
    CHECK(set->n == 1 && set->dir[0].v2);
    CHECK_STR(set->dir[0].path, "/sys/fs/cgroup/system.slice/containerd.service/k8s/pod1");
    CHECK(cg_discover_text(lay, "", "", &err) == 0);
    CHECK(lay->mode == CG_NONE);
    CHECK(cg_plan(lay, "x", "id", false, set, &err) == 0 && set->n == 0);
    free(set);
    free(lay);
}

int main(void)
{
    test_hybrid();
    test_v1_v2();
    return check_done("container_cgroup");
}
