/* Checks of a bundle against this host before anything is created: the
 * root directory, bind sources, rootless id maps, host namespaces. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "container/names.h"
#include "container/namespaces.h"
#include "container/spawn.h"

/* The bundle's root directory, absolute; a relative root.path must stay
 * inside the bundle, and the result must not be the host's "/". */
/* The bundle's root directory, absolute; a relative root.path may not
 * climb out of the bundle with "..", and no root may be the host's "/".
 * (A rootfs that is a symlink to a directory elsewhere is allowed: the
 * bundle's author chose it, as with an absolute root.path.) */
char *spawn_resolve_rootfs(const char *bundle, const char *root_path, struct ctr_err *err)
{
    char joined[PATH_MAX];
    if (root_path[0] == '/') {
        snprintf(joined, sizeof joined, "%s", root_path);
    } else {
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "/%s", root_path);
        if (config_clean_path(rel) < 0) {
            ctr_fail(err, "root.path \"%s\" escapes the bundle", root_path);
            return NULL;
        }
        snprintf(joined, sizeof joined, "%s%s", bundle, rel);
    }
    char *real = realpath(joined, NULL);
    if (!real) {
        ctr_fail_errno(err, "root.path %s", joined);
        return NULL;
    }
    struct stat st;
    if (stat(real, &st) < 0 || !S_ISDIR(st.st_mode)) {
        ctr_fail(err, "root.path %s is not a directory", joined);
        free(real);
        return NULL;
    }
    if (!strcmp(real, "/")) {
        ctr_fail(err, "root.path %s resolves to the host's root directory", joined);
        free(real);
        return NULL;
    }
    return real;
}

/* Relative bind sources are bundle paths: ".." may not leave the bundle. */
int spawn_check_bind_sources(const struct oci_config *cfg, struct ctr_err *err)
{
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        const struct oci_mount *m = &cfg->mounts[i];
        if (!m->bind || m->source[0] == '/')
            continue;
        char rel[PATH_MAX];
        snprintf(rel, sizeof rel, "/%s", m->source);
        if (config_clean_path(rel) < 0)
            return ctr_fail(err, "mounts[%zu] (%s): source \"%s\" escapes the bundle", i,
                            m->destination, m->source);
    }
    return 0;
}

int spawn_check_rootless_maps(const struct oci_linux *lx, struct ctr_err *err)
{
    uid_t uid = geteuid();
    gid_t gid = getegid();
    if (lx->n_uid_maps != 1 || lx->uid_maps[0].host_id != uid || lx->uid_maps[0].size != 1)
        return ctr_fail(err, "rootless containers can map only your own uid (%u) with a "
                        "single uidMappings entry of size 1", uid);
    if (lx->n_gid_maps != 1 || lx->gid_maps[0].host_id != gid || lx->gid_maps[0].size != 1)
        return ctr_fail(err, "rootless containers can map only your own gid (%u) with a "
                        "single gidMappings entry of size 1", gid);
    return 0;
}

/* Joining the host's own namespaces is allowed, except where the
 * container would then change the host: its mount namespace (the root
 * filesystem is set up and pivoted there) and namespaced sysctls. */
int spawn_check_host_namespaces(const struct oci_linux *lx, const int fds[NS_COUNT],
                                 struct ctr_err *err)
{
    if (fds[NS_MNT] >= 0 && ns_is_host(fds[NS_MNT], NS_MNT))
        return ctr_fail(err, "linux.namespaces: %s is the host's mount namespace; the container "
                        "would set up its root filesystem there", lx->ns[NS_MNT].path);
    for (size_t i = 0; i < lx->n_sysctl; i++) {
        const char *k = lx->sysctl[i].key;
        int kind = !strncmp(k, "net.", 4) ? NS_NET : !strncmp(k, "kernel.hostname", 15) ||
                   !strncmp(k, "kernel.domainname", 17) ? NS_UTS : NS_IPC;
        if (fds[kind] >= 0 && ns_is_host(fds[kind], kind))
            return ctr_fail(err, "linux.sysctl: %s is not allowed in the host's %s namespace", k,
                            names_ns_spec(kind));
    }
    return 0;
}

