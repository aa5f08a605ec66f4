/* Cross-field rules of config.json, checked before anything is created. */
#include <stdlib.h>
#include <string.h>
#include "container/names.h"
#include "container/oci_config.h"

static bool id_mapped(const struct oci_idmap *m, size_t n, uint32_t id)
{
    for (size_t i = 0; i < n; i++)
        if (id >= m[i].container_id && id - m[i].container_id < m[i].size)
            return true;
    return false;
}

static bool ranges_overlap(const struct oci_idmap *m, size_t n)
{
    for (size_t i = 0; i < n; i++)
        for (size_t k = i + 1; k < n; k++) {
            uint64_t a0 = m[i].container_id, a1 = a0 + m[i].size;
            uint64_t b0 = m[k].container_id, b1 = b0 + m[k].size;
            uint64_t h0 = m[i].host_id, h1 = h0 + m[i].size;
            uint64_t g0 = m[k].host_id, g1 = g0 + m[k].size;
            if ((a0 < b1 && b0 < a1) || (h0 < g1 && g0 < h1))
                return true;
        }
    return false;
}

/* Which namespace a sysctl lives in, or -1 if it is not namespaced. */
static int sysctl_namespace(const char *key)
{
    static const char *const ipc_keys[] = {
        "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem", "kernel.shmall",
        "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
    };
    for (size_t i = 0; i < sizeof ipc_keys / sizeof ipc_keys[0]; i++)
        if (!strcmp(key, ipc_keys[i]))
            return NS_IPC;
    if (!strncmp(key, "fs.mqueue.", 10))
        return NS_IPC;
    if (!strncmp(key, "net.", 4))
        return NS_NET;
    if (!strcmp(key, "kernel.hostname") || !strcmp(key, "kernel.domainname"))
        return NS_UTS;
    return -1;
}

static int validate_sysctls(const struct oci_config *cfg, struct ctr_err *err)
{
    const struct oci_linux *l = &cfg->lx;
    for (size_t i = 0; i < l->n_sysctl; i++) {
        const char *k = l->sysctl[i].key;
        if (!*k || strstr(k, "..") || strchr(k, '/') || k[0] == '.' || k[strlen(k) - 1] == '.')
            return ctr_fail(err, "linux.sysctl: invalid key \"%s\"", k);
        if (strchr(l->sysctl[i].value, '\n') && l->sysctl[i].value[strlen(l->sysctl[i].value) - 1] != '\n')
            return ctr_fail(err, "linux.sysctl.%s: value must be a single line", k);
        int ns = sysctl_namespace(k);
        if (ns < 0)
            return ctr_fail(err, "linux.sysctl: %s is not in a separate kernel namespace", k);
        if (!l->ns[ns].enabled)
            return ctr_fail(err, "linux.sysctl: %s requires a %s namespace", k, names_ns_spec(ns));
    }
    return 0;
}

static int validate_userns(const struct oci_config *cfg, struct ctr_err *err)
{
    const struct oci_linux *l = &cfg->lx;
    bool has_maps = l->n_uid_maps || l->n_gid_maps;
    if (!l->ns[NS_USER].enabled) {
        if (has_maps)
            return ctr_fail(err, "linux.uidMappings/gidMappings need a user namespace");
        return 0;
    }
    if (l->ns[NS_USER].path)
        return 0;       /* the joined namespace has its maps; given ones are informative */
    if (!l->n_uid_maps || !l->n_gid_maps)
        return ctr_fail(err, "a new user namespace needs linux.uidMappings and "
                        "linux.gidMappings");
    if (ranges_overlap(l->uid_maps, l->n_uid_maps))
        return ctr_fail(err, "linux.uidMappings: ranges overlap");
    if (ranges_overlap(l->gid_maps, l->n_gid_maps))
        return ctr_fail(err, "linux.gidMappings: ranges overlap");
    if (cfg->has_process) {
        const struct oci_process *p = &cfg->process;
        if (!id_mapped(l->uid_maps, l->n_uid_maps, p->uid))
            return ctr_fail(err, "process.user.uid %u is not mapped in linux.uidMappings", p->uid);
        if (!id_mapped(l->gid_maps, l->n_gid_maps, p->gid))
            return ctr_fail(err, "process.user.gid %u is not mapped in linux.gidMappings", p->gid);
        for (size_t i = 0; i < p->n_additional_gids; i++)
            if (!id_mapped(l->gid_maps, l->n_gid_maps, p->additional_gids[i]))
                return ctr_fail(err, "process.user.additionalGids: gid %u is not mapped in "
                                "linux.gidMappings", p->additional_gids[i]);
    }
    return 0;
}

static int validate_cgroups_path(char *path, struct ctr_err *err)
{
    if (!path || !*path)
        return 0;
    if (strchr(path, ':'))          /* systemd "slice:prefix:name", checked with the flag */
        return 0;
    size_t n = strlen(path);
    char *tmp = malloc(n + 2);
    if (!tmp)
        return ctr_fail(err, "out of memory");
    tmp[0] = '/';
    memcpy(tmp + 1, path, n + 1);
    int r = config_clean_path(tmp);
    free(tmp);
    if (r < 0)
        return ctr_fail(err, "linux.cgroupsPath \"%s\" escapes the cgroup hierarchy", path);
    return 0;
}

int config_validate(struct oci_config *cfg, struct ctr_err *err)
{
    struct oci_linux *l = &cfg->lx;
    if (cfg->hostname && *cfg->hostname) {
        if (!l->ns[NS_UTS].enabled)
            return ctr_fail(err, "unable to set hostname without a private UTS namespace");
        if (strlen(cfg->hostname) > 64)
            return ctr_fail(err, "hostname is longer than 64 characters");
    }
    if (cfg->domainname && *cfg->domainname) {
        if (!l->ns[NS_UTS].enabled)
            return ctr_fail(err, "unable to set domainname without a private UTS namespace");
        if (strlen(cfg->domainname) > 64)
            return ctr_fail(err, "domainname is longer than 64 characters");
    }
    if (validate_userns(cfg, err) < 0 || validate_sysctls(cfg, err) < 0)
        return -1;
    if (l->n_net_devices && (!l->ns[NS_NET].enabled || l->ns[NS_NET].path))
        return ctr_fail(err, "linux.netDevices need a new network namespace");
    if (l->n_time_offsets && (!l->ns[NS_TIME].enabled || l->ns[NS_TIME].path))
        return ctr_fail(err, "linux.timeOffsets need a new time namespace");
    if (!l->ns[NS_MNT].enabled &&
        (cfg->n_mounts || l->n_masked_paths || l->n_readonly_paths || l->n_devices ||
         cfg->root_readonly))
        return ctr_fail(err, "mounts, devices, maskedPaths, readonlyPaths and a read-only root "
                        "need a mount namespace");
    if (validate_cgroups_path(l->cgroups_path, err) < 0)
        return -1;
    for (size_t i = 0; i < cfg->n_mounts; i++)
        if (cfg->mounts[i].idmap && !cfg->mounts[i].n_uid_maps &&
            !(l->ns[NS_USER].enabled && !l->ns[NS_USER].path))
            return ctr_fail(err, "mounts[%zu] (%s): idmap needs uidMappings and gidMappings, or a "
                            "new user namespace whose mappings to use", i, cfg->mounts[i].destination);
    if (cfg->has_process) {
        if (cfg->process.n_args == 0)
            return ctr_fail(err, "process.args must contain at least one entry");
        for (size_t i = 0; i < cfg->process.n_env; i++)
            if (!strchr(cfg->process.env[i], '=') || cfg->process.env[i][0] == '=')
                return ctr_fail(err, "process.env[%zu] \"%s\" is not KEY=VALUE", i,
                                cfg->process.env[i]);
    }
    return 0;
}
