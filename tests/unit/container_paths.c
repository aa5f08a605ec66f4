/* In-root path resolution: symlinks and ".." in a hostile rootfs never
 * lead outside it, and creating mount points stays inside. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container/safe_path.h"
#include "container_check.h"

static char root[] = "/tmp/vessel-paths-XXXXXX";
static char outside[] = "/tmp/vessel-outside-XXXXXX";

static void sh(const char *fmt, const char *a)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, fmt, a, a, a);
    if (system(cmd) != 0) {
        fprintf(stderr, "setup failed: %s\n", cmd);
        exit(2);
    }
}

static void resolve_is(int rootfd, const char *path, const char *want)
{
    struct ctr_err err;
    char *r = safe_resolve(rootfd, path, &err);
    if (!r) {
        fprintf(stderr, "resolve %s: %s\n", path, err.msg);
        check_failures++;
        return;
    }
    if (strcmp(r, want)) {
        fprintf(stderr, "resolve %s: got \"%s\", want \"%s\"\n", path, r, want);
        check_failures++;
    }
    free(r);
}

int main(void)
{
    if (!mkdtemp(root) || !mkdtemp(outside))
        return 2;
    sh("mkdir -p %s/etc %s/usr/lib %s/var", root);
    char buf[512];
    snprintf(buf, sizeof buf, "%s", root);
    /* Hostile links: absolute ones to the host, relative ones climbing out. */
    sh("ln -s / %s/hostroot; ln -s ../../../../../../tmp %s/up; ln -s /usr/lib %s/lib", root);
    sh("ln -s loop2 %s/loop1; ln -s loop1 %s/loop2; ln -s /nonexistent/dir %s/dangling", root);
    sh("ln -s ../etc %s/var/etc; touch %s/etc/file", root);
    char link[1024];
    snprintf(link, sizeof link, "ln -s %s %s/escape", outside, root);
    if (system(link) != 0)
        return 2;
    int rootfd = open(root, O_PATH | O_DIRECTORY);
    CHECK(rootfd >= 0);

    resolve_is(rootfd, "/etc/file", "etc/file");
    resolve_is(rootfd, "/../../etc", "etc");
    resolve_is(rootfd, "/hostroot/etc", "etc");
    resolve_is(rootfd, "/up/x", "tmp/x");
    resolve_is(rootfd, "/lib/x", "usr/lib/x");
    resolve_is(rootfd, "/var/etc/file", "etc/file");
    resolve_is(rootfd, "/dangling/y", "nonexistent/dir/y");
    char want[128];
    snprintf(want, sizeof want, "%s/z", &outside[1]);
    resolve_is(rootfd, "/escape/z", want);          /* absolute: taken inside the root */
    resolve_is(rootfd, "/", "");

    struct ctr_err err;
    CHECK(safe_resolve(rootfd, "/loop1/x", &err) == NULL);
    CHECK_CONTAINS(err.msg, "Too many levels of symbolic links");

    /* Creating through hostile links lands inside the root. */
    int fd = safe_mkpath(rootfd, "/up/newdir", true, 0755, &err);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    snprintf(buf, sizeof buf, "%s/tmp/newdir", root);
    struct stat st;
    CHECK(stat(buf, &st) == 0 && S_ISDIR(st.st_mode));
    fd = safe_mkpath(rootfd, "/escape/planted", false, 0644, &err);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    snprintf(buf, sizeof buf, "%s/planted", outside);
    CHECK(access(buf, F_OK) < 0 && errno == ENOENT);      /* nothing outside */
    snprintf(buf, sizeof buf, "%s%s/planted", root, outside);
    CHECK(access(buf, F_OK) == 0);
    fd = safe_mkpath(rootfd, "/dangling/dev/null", false, 0644, &err);
    CHECK(fd >= 0);
    if (fd >= 0)
        close(fd);
    CHECK(access("/nonexistent/dir/dev/null", F_OK) < 0);
    snprintf(buf, sizeof buf, "%s/nonexistent/dir/dev/null", root);
    CHECK(access(buf, F_OK) == 0);

    /* safe_open refuses to follow a symlink planted at the last step. */
    fd = safe_open(rootfd, "/hostroot", O_PATH | O_DIRECTORY, &err);
    CHECK(fd >= 0);             /* resolves to the root itself */
    if (fd >= 0)
        close(fd);
    char *name = NULL;
    int dfd = safe_open_parent(rootfd, "/var/etc/file", &name, &err);
    CHECK(dfd >= 0);
    CHECK_STR(name, "file");
    free(name);
    if (dfd >= 0)
        close(dfd);
    CHECK(safe_open_parent(rootfd, "/", &name, &err) < 0);

    close(rootfd);
    snprintf(link, sizeof link, "rm -rf %s %s", root, outside);
    if (system(link) != 0)
        return 2;
    return check_done("container_paths");
}
