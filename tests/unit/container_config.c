/* config.json parsing and validation: a good config is read field by
 * field; malformed and hostile ones are refused with a message naming the
 * problem. */
#include <fcntl.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <seccomp.h>
#include "container/oci_config.h"
#include "container_check.h"

/* A config in runc's default shape with a few extras. */
static const char good[] =
"{\"ociVersion\":\"1.0.2-dev\",\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
"\"hostname\":\"box\",\"process\":{\"terminal\":false,\"user\":{\"uid\":1000,\"gid\":100,"
"\"additionalGids\":[5,6],\"umask\":18},\"args\":[\"sh\",\"-c\",\"true\"],\"env\":[\"A=1\"],"
"\"cwd\":\"/home\",\"capabilities\":{\"bounding\":[\"CAP_KILL\",\"CAP_FOO\"],"
"\"effective\":[\"CAP_KILL\"]},\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,"
"\"soft\":512}],\"noNewPrivileges\":true,\"oomScoreAdj\":-500},"
"\"mounts\":[{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
"{\"destination\":\"data/./x/\",\"type\":\"bind\",\"source\":\"/tmp\","
"\"options\":[\"rbind\",\"ro\",\"rprivate\",\"nosuid\",\"size=1k\",\"rro\"]}],"
"\"annotations\":{\"k\":\"v\"},"
"\"linux\":{\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"mount\"},{\"type\":\"uts\"},"
"{\"type\":\"network\",\"path\":\"\"},{\"type\":\"user\"}],"
"\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
"\"gidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
"\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"},\"cgroupsPath\":\"/a/b\","
"\"resources\":{\"memory\":{\"limit\":1048576,\"swap\":-1},\"pids\":{\"limit\":0},"
"\"devices\":[{\"allow\":false,\"access\":\"rwm\"},{\"allow\":true,\"type\":\"c\","
"\"major\":1,\"minor\":3,\"access\":\"mr\"}],\"cpu\":{\"cpus\":\"0-1,3\"}},"
"\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],"
"\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1,\"args\":[{\"index\":1,\"value\":2,"
"\"op\":\"SCMP_CMP_EQ\"}]}]},\"maskedPaths\":[\"/proc/kcore\"],\"rootfsPropagation\":\"slave\"},"
"\"hooks\":{\"prestart\":[{\"path\":\"/bin/true\",\"args\":[\"true\"],\"timeout\":5}]}}";

static void test_good(void)
{
    struct oci_config c;
    struct ctr_err err;
    struct ctr_log log;
    ctr_log_init(&log);
    log.fd = open("/dev/null", O_WRONLY);       /* the CAP_FOO warning */
    int r = config_parse(good, sizeof good - 1, &c, &log, &err);
    close(log.fd);
    CHECK(r == 0);
    if (r) {
        fprintf(stderr, "unexpected error: %s\n", err.msg);
        return;
    }
    CHECK_STR(c.oci_version, "1.0.2-dev");
    CHECK_STR(c.root_path, "rootfs");
    CHECK(c.root_readonly);
    CHECK_STR(c.hostname, "box");
    CHECK(c.process.uid == 1000 && c.process.gid == 100);
    CHECK(c.process.n_additional_gids == 2 && c.process.additional_gids[1] == 6);
    CHECK(c.process.umask.set && c.process.umask.v == 18);
    CHECK(c.process.n_args == 3 && c.process.args[3] == NULL);
    CHECK_STR(c.process.args[2], "true");
    CHECK(c.process.caps[CAPSET_BOUNDING] == (1ull << 5));      /* CAP_FOO ignored */
    CHECK(c.process.n_rlimits == 1 && c.process.rlimits[0].resource == RLIMIT_NOFILE &&
          c.process.rlimits[0].soft == 512 && c.process.rlimits[0].hard == 1024);
    CHECK(c.process.no_new_privileges);
    CHECK(c.process.oom_score_adj.set && c.process.oom_score_adj.v == -500);
    CHECK(c.n_mounts == 2);
    CHECK_STR(c.mounts[1].destination, "/data/x");
    CHECK(c.mounts[1].bind);
    CHECK(c.mounts[1].flags == (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID));
    CHECK(c.mounts[1].propagation == (MS_PRIVATE | MS_REC));
    CHECK_STR(c.mounts[1].data, "size=1k");
    CHECK(c.mounts[1].attr_set != 0);
    CHECK(c.n_annotations == 1);
    CHECK(c.lx.ns[NS_PID].enabled && c.lx.ns[NS_NET].enabled && !c.lx.ns[NS_NET].path);
    CHECK(!c.lx.ns[NS_IPC].enabled);
    CHECK(c.lx.n_uid_maps == 1 && c.lx.uid_maps[0].host_id == 100000);
    CHECK(c.lx.has_resources && c.lx.resources.memory.limit.v == 1048576);
    CHECK(c.lx.resources.memory.swap.set && c.lx.resources.memory.swap.v == -1);
    CHECK(c.lx.resources.pids_limit.set && c.lx.resources.pids_limit.v == 0);
    CHECK(c.lx.resources.n_devices == 2 && c.lx.resources.devices[0].type == 'a' &&
          c.lx.resources.devices[0].major == -1);
    CHECK_STR(c.lx.resources.devices[1].access, "rm");
    CHECK(c.lx.seccomp && c.lx.seccomp->default_action == SCMP_ACT_ALLOW);
    CHECK(c.lx.seccomp->n_rules == 1 && c.lx.seccomp->rules[0].action == SCMP_ACT_ERRNO(1));
    CHECK(c.lx.seccomp->rules[0].n_args == 1 && c.lx.seccomp->rules[0].args[0].op == SCMP_CMP_EQ);
    CHECK(c.lx.rootfs_propagation == MS_SLAVE);
    CHECK(c.hooks[HOOK_PRESTART].n == 1 && c.hooks[HOOK_PRESTART].v[0].timeout == 5);
    config_free(&c);
}

/* Apply `edit` (a JSON fragment replacing `from` in the good config) and
 * expect an error containing `msg`. */
static void expect_error(const char *from, const char *to, const char *msg)
{
    const char *at = strstr(good, from);
    if (!at) {
        fprintf(stderr, "test bug: \"%s\" not in config\n", from);
        check_failures++;
        return;
    }
    size_t n = strlen(good) - strlen(from) + strlen(to);
    char *text = malloc(n + 1);
    size_t pre = (size_t)(at - good);
    memcpy(text, good, pre);
    strcpy(text + pre, to);
    strcat(text, at + strlen(from));
    struct oci_config c;
    struct ctr_err err;
    int r = config_parse(text, strlen(text), &c, NULL, &err);
    if (r == 0) {
        fprintf(stderr, "accepted bad config (%s -> %s)\n", from, to);
        check_failures++;
        config_free(&c);
    } else {
        CHECK_CONTAINS(err.msg, msg);
    }
    free(text);
}

static void expect_text_error(const char *text, const char *msg)
{
    struct oci_config c;
    struct ctr_err err;
    if (config_parse(text, strlen(text), &c, NULL, &err) == 0) {
        fprintf(stderr, "accepted: %.60s\n", text);
        check_failures++;
        config_free(&c);
        return;
    }
    CHECK_CONTAINS(err.msg, msg);
}

static void test_malformed(void)
{
    expect_text_error("", "unexpected end");
    expect_text_error("{", "unexpected end");
    expect_text_error("[]", "expected a JSON object");
    expect_text_error("{\"ociVersion\":\"1.0.0\"} x", "trailing data");
    expect_text_error("{\"root\":{\"path\":\"r\"}}", "ociVersion is required");
    expect_text_error("{\"ociVersion\":\"1.0.0\"}", "root is required");
    expect_text_error("{\"ociVersion\":\"1.0.0\",\"root\":{}}", "root.path is required");
    expect_text_error("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", "not supported");
    expect_text_error("{\"ociVersion\":\"one\",\"root\":{\"path\":\"r\"}}", "semantic version");
    /* nesting deeper than the parser allows */
    char deep[400];
    memset(deep, '[', sizeof deep - 1);
    deep[sizeof deep - 1] = '\0';
    expect_text_error(deep, "invalid JSON");
    /* wrong types */
    expect_error("\"readonly\":true", "\"readonly\":\"yes\"", "root.readonly: expected a boolean");
    expect_error("\"uid\":1000", "\"uid\":\"1000\"", "process.user.uid: expected an integer");
    expect_error("\"uid\":1000", "\"uid\":-1", "negative value");
    expect_error("\"uid\":1000", "\"uid\":4294967296", "out of range");
    expect_error("\"uid\":1000,", "", "process.user.uid is required");
    expect_error("\"uid\":1000", "\"uid\":1.5", "expected an integer");
    expect_error("\"args\":[\"sh\",\"-c\",\"true\"]", "\"args\":[]", "at least one entry");
    expect_error("\"args\":[\"sh\",\"-c\",\"true\"]", "\"args\":[\"sh\",3]", "process.args[1]");
    expect_error("\"args\":[\"sh\",\"-c\",\"true\"]", "\"args\":[\"a\\u0000b\"]", "NUL byte");
    expect_error("\"cwd\":\"/home\"", "\"cwd\":\"home\"", "not an absolute path");
    expect_error("\"cwd\":\"/home\",", "", "process.cwd is required");
    expect_error("\"env\":[\"A=1\"]", "\"env\":[\"NOEQUALS\"]", "not KEY=VALUE");
    expect_error("\"soft\":512", "\"soft\":2048", "exceeds hard limit");
    expect_error("\"RLIMIT_NOFILE\"", "\"RLIMIT_BOGUS\"", "unknown rlimit");
    expect_error("\"hard\":1024,\"soft\":512}]",
                 "\"hard\":1024,\"soft\":512},{\"type\":\"RLIMIT_NOFILE\",\"hard\":1,\"soft\":1}]",
                 "duplicate rlimit");
    expect_error("\"oomScoreAdj\":-500", "\"oomScoreAdj\":-5000", "out of range");
    /* paths escaping */
    expect_error("\"destination\":\"data/./x/\"", "\"destination\":\"/../../etc\"",
                 "escapes the container root");
    expect_error("\"destination\":\"data/./x/\"", "\"destination\":\"a/../../b\"",
                 "escapes the container root");
    expect_error("\"maskedPaths\":[\"/proc/kcore\"]", "\"maskedPaths\":[\"/../proc\"]",
                 "escapes the container root");
    expect_error("\"maskedPaths\":[\"/proc/kcore\"]", "\"maskedPaths\":[\"proc\"]",
                 "not an absolute path");
    expect_error("\"cgroupsPath\":\"/a/b\"", "\"cgroupsPath\":\"../../../sys\"",
                 "escapes the cgroup hierarchy");
    expect_error("\"cpu\":{\"cpus\":\"0-1,3\"}", "\"unified\":{\"../../x\":\"1\"}",
                 "not a cgroup interface file");
    expect_error("\"path\":\"/bin/true\"", "\"path\":\"bin/true\"", "not an absolute path");
    expect_error("\"timeout\":5", "\"timeout\":0", "greater than zero");
    expect_error("\"type\":\"bind\",\"source\":\"/tmp\",", "\"type\":\"bind\",", "needs a source");
    expect_error("{\"destination\":\"/proc\",", "{", "destination is required");
    expect_text_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"mounts\":[{"
                      "\"destination\":\"/x\",\"type\":\"bind\",\"source\":\"/tmp\",\"options\":"
                      "[\"rbind\",\"idmap\"]}],\"linux\":{\"namespaces\":[{\"type\":\"mount\"}]}}",
                      "idmap needs uidMappings");
    expect_error("\"type\":\"bind\",\"source\":\"/tmp\",",
                 "\"type\":\"bind\",\"source\":\"/tmp\",\"uidMappings\":[{\"containerID\":0,"
                 "\"hostID\":1,\"size\":1}],", "must be given together");
    expect_error("{\"destination\":\"/proc\",\"type\":\"proc\",",
                 "{\"destination\":\"/proc\",\"type\":\"proc\",\"options\":[\"idmap\"],",
                 "bind mounts only");
    expect_error("\"rootfsPropagation\":\"slave\"", "\"netDevices\":{\"eth0\":{\"name\":\"lo\"}}",
                 "already has an interface named lo");
    expect_error("\"rootfsPropagation\":\"slave\"", "\"netDevices\":{\"a/b\":{}}",
                 "not a network interface name");
    expect_error("\"annotations\":{\"k\":\"v\"}", "\"annotations\":{\"\":\"v\"}", "must not be empty");
    /* namespaces and cross-field rules */
    expect_error("{\"type\":\"pid\"}", "{\"type\":\"pid\"},{\"type\":\"pid\"}", "duplicate namespace");
    expect_error("{\"type\":\"pid\"}", "{\"type\":\"bogus\"}", "unknown namespace type");
    expect_error("{\"type\":\"uts\"},", "", "hostname without a private UTS");
    expect_error("{\"type\":\"user\"}", "{\"type\":\"ipc\"}", "need a user namespace");
    expect_error("\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],", "",
                 "needs linux.uidMappings");
    expect_error("\"size\":65536}],\"gidMappings\"", "\"size\":0}],\"gidMappings\"",
                 "size must be greater than zero");
    expect_error("\"hostID\":100000,\"size\":65536}],\"gidMappings\"",
                 "\"hostID\":4294967295,\"size\":65536}],\"gidMappings\"", "overflows");
    expect_error("\"uid\":1000", "\"uid\":70000", "not mapped");
    expect_error("\"net.ipv4.ip_forward\"", "\"kernel.panic\"", "not in a separate kernel namespace");
    expect_error("\"net.ipv4.ip_forward\"", "\"kernel.shmmax\"", "requires a ipc namespace");
    expect_error("\"net.ipv4.ip_forward\"", "\"net/../../x\"", "invalid key");
    expect_error("\"rootfsPropagation\":\"slave\"", "\"rootfsPropagation\":\"sideways\"",
                 "unknown propagation");
    expect_error("\"rootfsPropagation\":\"slave\"", "\"timeOffsets\":{\"monotonic\":{\"secs\":1}}",
                 "need a new time namespace");
    expect_error("\"rootfsPropagation\":\"slave\"", "\"intelRdt\":{\"closID\":\"x\"}", "Intel RDT");
    /* resources */
    expect_error("\"limit\":1048576,\"swap\":-1", "\"limit\":1048576,\"swap\":1000",
                 "must not be smaller");
    expect_error("\"limit\":1048576", "\"limit\":-2", "out of range");
    expect_error("\"pids\":{\"limit\":0}", "\"pids\":{\"limit\":-7}", "out of range");
    expect_error("\"cpus\":\"0-1,3\"", "\"cpus\":\"3-1\"", "invalid range");
    expect_error("\"cpus\":\"0-1,3\"", "\"cpus\":\"a\"", "invalid list");
    expect_error("\"cpus\":\"0-1,3\"", "\"period\":5", "out of range");
    expect_error("\"access\":\"mr\"", "\"access\":\"rx\"", "combination of r, w and m");
    expect_error("\"type\":\"c\",\"major\":1", "\"type\":\"z\",\"major\":1", "must be a, c or b");
    expect_error("{\"allow\":false,\"access\":\"rwm\"}", "{\"access\":\"rwm\"}", "allow is required");
    /* seccomp */
    expect_error("\"SCMP_ACT_ALLOW\"", "\"SCMP_ACT_MAYBE\"", "unknown seccomp action");
    expect_error("\"SCMP_CMP_EQ\"", "\"SCMP_CMP_ALMOST\"", "unknown operator");
    expect_error("\"index\":1", "\"index\":6", "out of range");
    expect_error("\"names\":[\"mkdir\"]", "\"names\":[]", "at least one entry");
    expect_error("\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1",
                 "\"action\":\"SCMP_ACT_ALLOW\",\"errnoRet\":1", "does not take an errno");
    expect_error("\"action\":\"SCMP_ACT_ERRNO\",\"errnoRet\":1", "\"action\":\"SCMP_ACT_NOTIFY\"",
                 "needs listenerPath");
    expect_error("\"defaultAction\":\"SCMP_ACT_ALLOW\"",
                 "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_PDP11\"]",
                 "unknown architecture");
    expect_error("\"defaultAction\":\"SCMP_ACT_ALLOW\"",
                 "\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_NOPE\"]",
                 "unknown flag");
}

static void test_huge_array(void)
{
    /* 70000 env entries: over the per-array limit. */
    size_t n = 70000, cap = n * 6 + 300;
    char *t = malloc(cap);
    char *p = t + sprintf(t, "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":"
                             "{\"cwd\":\"/\",\"args\":[\"x\"],\"env\":[");
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\"A=1\"", i ? "," : "");
    strcpy(p, "]}}");
    expect_text_error(t, "too many entries");
    free(t);
}

static void test_clean_path(void)
{
    char a[] = "/a/./b//c/", b[] = "/a/../..", c[] = "/", d[] = "/x/../y", e[] = "/../a";
    CHECK(config_clean_path(a) == 0);
    CHECK_STR(a, "/a/b/c");
    CHECK(config_clean_path(b) < 0);
    CHECK(config_clean_path(c) == 0);
    CHECK_STR(c, "/");
    CHECK(config_clean_path(d) == 0);
    CHECK_STR(d, "/y");
    CHECK(path_clean(e, true) == 0);
    CHECK_STR(e, "/a");
}

int main(void)
{
    test_good();
    test_malformed();
    test_huge_array();
    test_clean_path();
    return check_done("container_config");
}
