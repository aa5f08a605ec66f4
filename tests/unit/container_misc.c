/* Name tables, runc-style option parsing, the state file, mount options
 * and seccomp filter compilation. */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <unistd.h>
#include <linux/mount.h>
#include <seccomp.h>
#include "container/ctr_cli.h"
#include "container/mount_opts.h"
#include "container/names.h"
#include "container/seccomp.h"
#include "container/state.h"
#include "container_check.h"

static void test_names(void)
{
    CHECK(names_signal("KILL") == SIGKILL);
    CHECK(names_signal("SIGTERM") == SIGTERM);
    CHECK(names_signal("sighup") == SIGHUP);
    CHECK(names_signal("9") == 9);
    CHECK(names_signal("RTMIN+2") == SIGRTMIN + 2);
    CHECK(names_signal("0") == -1);
    CHECK(names_signal("FOO") == -1);
    CHECK(names_signal("99999") == -1);
    CHECK(names_cap("CAP_SYS_ADMIN") == 21);
    CHECK(names_cap("net_raw") == 13);
    CHECK(names_cap("CAP_CHECKPOINT_RESTORE") == 40);
    CHECK(names_cap("CAP_NOPE") == -1);
    CHECK_STR(names_cap_name(0), "CAP_CHOWN");
    CHECK(names_rlimit("RLIMIT_NPROC") == RLIMIT_NPROC);
    CHECK(names_rlimit("RLIMIT_nproc") == -1);
    CHECK(names_ns("network") == NS_NET);
    CHECK_STR(names_ns_proc(NS_MNT), "mnt");
    CHECK(state_id_valid("abc-DEF_1.2+x"));
    CHECK(!state_id_valid(""));
    CHECK(!state_id_valid(".."));
    CHECK(!state_id_valid("a/b"));
    CHECK(!state_id_valid("a b"));
    char longid[300];
    memset(longid, 'a', sizeof longid - 1);
    longid[sizeof longid - 1] = '\0';
    CHECK(!state_id_valid(longid));
    longid[255] = '\0';
    CHECK(state_id_valid(longid));
}

static void test_opts(void)
{
    const char *bundle = NULL, *pidf = NULL;
    bool detach = false, tty = false;
    long fds = 0;
    struct str_list env = { 0 };
    struct ctr_opt opts[] = {
        { "bundle", 'b', OPT_STR, &bundle }, { "detach", 'd', OPT_BOOL, &detach },
        { "tty", 't', OPT_BOOL, &tty }, { "preserve-fds", 0, OPT_INT, &fds },
        { "env", 'e', OPT_LIST, &env }, { "pid-file", 0, OPT_STR, &pidf }, { 0 },
    };
    char *argv[] = { "run", "-bundle", "/b", "--preserve-fds=2", "-dt", "-e", "A=1",
                     "--env", "B=2", "-eC=3", "--pid-file", "/p", "id", "--not-an-option", NULL };
    struct ctr_err err;
    int idx = 1;
    CHECK(ctr_parse_opts(13 + 1, argv, &idx, opts, &err) == 0);
    CHECK(idx == 12);
    CHECK_STR(bundle, "/b");
    CHECK(fds == 2 && detach && tty);
    CHECK(env.n == 3 && !strcmp(env.v[2], "C=3"));
    CHECK_STR(pidf, "/p");
    str_list_free(&env);
    char *bad[] = { "run", "--bogus", NULL };
    idx = 1;
    CHECK(ctr_parse_opts(2, bad, &idx, opts, &err) < 0);
    CHECK_CONTAINS(err.msg, "flag provided but not defined");
    char *missing[] = { "run", "--bundle", NULL };
    idx = 1;
    CHECK(ctr_parse_opts(2, missing, &idx, opts, &err) < 0);
    CHECK_CONTAINS(err.msg, "needs an argument");
    char *badint[] = { "run", "--preserve-fds", "x", NULL };
    idx = 1;
    CHECK(ctr_parse_opts(3, badint, &idx, opts, &err) < 0);
}

static void test_mount_opts(void)
{
    struct oci_mount m = { .destination = "/x" };
    char *o1[] = { "nosuid", "noexec", "ro", "rw", "noatime", "relatime", "rshared", "mode=755",
                   "size=1m", "rnodev", "rdev", "rnoatime", "tmpcopyup" };
    struct ctr_err err;
    CHECK(mount_opts_parse(o1, 13, &m, &err) == 0);
    CHECK(m.flags == (MS_NOSUID | MS_NOEXEC | MS_RELATIME));
    CHECK(m.propagation == (MS_SHARED | MS_REC));
    CHECK_STR(m.data, "mode=755,size=1m");
    CHECK(!(m.attr_set & MOUNT_ATTR_NODEV) && (m.attr_clr & MOUNT_ATTR_NODEV));
    CHECK((m.attr_set & MOUNT_ATTR__ATIME) == MOUNT_ATTR_NOATIME && (m.attr_clr & MOUNT_ATTR__ATIME));
    CHECK(m.tmpcopyup && !m.bind);
    free(m.data);
    struct oci_mount b = { .destination = "/y" };
    char *o2[] = { "rbind" };
    CHECK(mount_opts_parse(o2, 1, &b, &err) == 0 && b.bind && (b.flags & MS_REC));
    char *o3[] = { "ridmap" };
    CHECK(mount_opts_parse(o3, 1, &b, &err) == 0 && b.idmap && b.idmap_recursive);
    char *o4[] = { "" };
    CHECK(mount_opts_parse(o4, 1, &b, &err) < 0);
    struct oci_mount u = { .destination = "/z" };
    char *o5[] = { "noauto", "nofail", "_netdev", "x-systemd.automount", "comment=fstab", "size=2k" };
    CHECK(mount_opts_parse(o5, 6, &u, &err) == 0);
    CHECK_STR(u.data, "size=2k");       /* mount(8)'s own options never reach the kernel */
    free(u.data);
}

static void test_state(void)
{
    char dir[] = "/tmp/vessel-state-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    struct ctr_err err;
    int fd = state_dir_create(dir, "c1", &err);
    CHECK(fd >= 0);
    CHECK(state_dir_create(dir, "c1", &err) < 0);
    CHECK_CONTAINS(err.msg, "container with id exists: c1");
    struct ctr_state st = { 0 }, back;
    st.id = "c1";
    st.pid = getpid();
    CHECK(proc_start_time(st.pid, &st.pid_start, NULL) == 0);
    st.bundle = "/b\"q";
    st.rootfs = "/b/rootfs";
    st.has_poststop = true;
    state_now_rfc3339(st.created, sizeof st.created);
    struct oci_kv ann = { "k", "v" };
    st.annotations = &ann;
    st.n_annotations = 1;
    st.cgroup.mode = CG_V1;
    st.cgroup.n = 1;
    strcpy(st.cgroup.dir[0].path, "/sys/fs/cgroup/memory/c1");
    strcpy(st.cgroup.dir[0].key, "memory");
    CHECK(state_save(fd, &st, &err) == 0);
    CHECK(state_load(fd, &back, &err) == 0);
    CHECK_STR(back.id, "c1");
    CHECK_STR(back.bundle, "/b\"q");
    CHECK(back.pid == st.pid && back.pid_start == st.pid_start && back.has_poststop);
    CHECK(back.n_annotations == 1 && !strcmp(back.annotations[0].value, "v"));
    CHECK(back.cgroup.n == 1 && !strcmp(back.cgroup.dir[0].key, "memory"));
    CHECK(proc_alive(back.pid, back.pid_start));
    CHECK(!proc_alive(back.pid, back.pid_start + 1));       /* reused pid */
    CHECK(state_status(fd, &back) == ST_RUNNING || state_status(fd, &back) == ST_PAUSED);
    back.pid = 0;
    CHECK(state_status(fd, &back) == ST_STOPPED);
    json_object *o = state_oci_json(&back, ST_STOPPED, -1, false);
    CHECK_STR(state_json_text(o, false),
              "{\"ociVersion\":\"" VESSEL_OCI_VERSION "\",\"id\":\"c1\",\"pid\":0,\"status\":"
              "\"stopped\",\"bundle\":\"/b\\\"q\",\"annotations\":{\"k\":\"v\"}}");
    json_object_put(o);
    state_free(&back);
    /* A corrupt state file is an error, not a crash. */
    CHECK(state_write_file(fd, "state.json", "{\"pid\":\"x\"", 10, &err) == 0);
    CHECK(state_load(fd, &back, &err) < 0);
    close(fd);
    CHECK(state_dir_remove(dir, "c1", &err) == 0);
    CHECK(state_dir_open(dir, "c1", &err) < 0);
    CHECK_CONTAINS(err.msg, "container does not exist");
    rmdir(dir);
}

static void test_seccomp(void)
{
    static const char cfgtext[] =
        "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"seccomp\":{"
        "\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":38,"
        "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\",\"SCMP_ARCH_X32\"],"
        "\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],\"syscalls\":["
        "{\"names\":[\"read\",\"write\",\"exit_group\",\"no_such_syscall\"],\"action\":\"SCMP_ACT_ALLOW\"},"
        "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":["
        "{\"index\":0,\"value\":0,\"op\":\"SCMP_CMP_EQ\"},{\"index\":0,\"value\":8,\"op\":\"SCMP_CMP_EQ\"}]},"
        "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_TRACE\",\"args\":["
        "{\"index\":0,\"value\":2114060288,\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]},"
        "{\"names\":[\"kill\"],\"action\":\"SCMP_ACT_KILL_PROCESS\"},"
        "{\"names\":[\"getpid\"],\"action\":\"SCMP_ACT_LOG\"},"
        "{\"names\":[\"getppid\"],\"action\":\"SCMP_ACT_TRAP\"},"
        "{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":38}]}}}";
    struct oci_config c;
    struct ctr_err err;
    CHECK(config_parse(cfgtext, sizeof cfgtext - 1, &c, NULL, &err) == 0);
    if (!c.lx.seccomp) {
        fprintf(stderr, "%s\n", err.msg);
        check_failures++;
        return;
    }
    CHECK(c.lx.seccomp->default_action == SCMP_ACT_ERRNO(38));
    CHECK(c.lx.seccomp->n_archs == 3);
    struct seccomp_prog p;
    CHECK(seccomp_build(c.lx.seccomp, &p, &err) == 0);
    CHECK(p.fprog.len > 10 && p.fprog.filter != NULL);
    seccomp_prog_free(&p);
    config_free(&c);
}

int main(void)
{
    test_names();
    test_opts();
    test_mount_opts();
    test_state();
    test_seccomp();
    return check_done("container_misc");
}
