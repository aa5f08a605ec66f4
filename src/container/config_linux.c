/* config.json "linux": namespaces, id mappings, devices, sysctls, paths,
 * personality, time offsets and memory policy.  Resources and seccomp
 * have files of their own. */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <time.h>
#include "container/jsonu.h"
#include "container/mount_opts.h"
#include "container/names.h"
#include "container/oci_config.h"

static int parse_namespaces(json_object *obj, struct oci_linux *l, struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int r = ju_arr(obj, "namespaces", "linux", 64, &arr, &n, err);
    if (r <= 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        char w[128];
        snprintf(w, sizeof w, "linux.namespaces[%zu]", i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        char *type = NULL, *path = NULL;
        if (ju_str(e, "type", w, &type, err) < 0)
            return -1;
        if (!type)
            return ctr_fail(err, "%s.type is required", w);
        int kind = names_ns(type);
        if (kind < 0) {
            ctr_fail(err, "%s: unknown namespace type \"%s\"", w, type);
            free(type);
            return -1;
        }
        if (l->ns[kind].enabled) {
            ctr_fail(err, "%s: duplicate namespace type \"%s\"", w, type);
            free(type);
            return -1;
        }
        free(type);
        if (ju_str(e, "path", w, &path, err) < 0)
            return -1;
        if (path && !*path) {          /* "" means "create", as runc reads it */
            free(path);
            path = NULL;
        }
        if (path && path[0] != '/') {
            ctr_fail(err, "%s.path \"%s\" is not an absolute path", w, path);
            free(path);
            return -1;
        }
        l->ns[kind].enabled = true;
        l->ns[kind].path = path;
    }
    return 0;
}

int config_parse_idmaps(json_object *obj, const char *key, const char *where,
                        struct oci_idmap **out, size_t *count, struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int r = ju_arr(obj, key, where, 340, &arr, &n, err);   /* kernel limit */
    if (r <= 0 || n == 0)
        return r < 0 ? -1 : 0;
    struct oci_idmap *m = calloc(n, sizeof *m);
    if (!m)
        return ctr_fail(err, "out of memory");
    *out = m;
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        char w[128];
        snprintf(w, sizeof w, "%s.%s[%zu]", where, key, i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        uint64_t c, h, s;
        int rc = ju_u64(e, "containerID", w, UINT32_MAX, &c, err);
        int rh = rc < 0 ? -1 : ju_u64(e, "hostID", w, UINT32_MAX, &h, err);
        int rs = rh < 0 ? -1 : ju_u64(e, "size", w, UINT32_MAX, &s, err);
        if (rc < 0 || rh < 0 || rs < 0)
            return -1;
        if (!rc || !rh || !rs)
            return ctr_fail(err, "%s: containerID, hostID and size are required", w);
        if (s == 0)
            return ctr_fail(err, "%s: size must be greater than zero", w);
        if (c + s > (1ull << 32) || h + s > (1ull << 32))
            return ctr_fail(err, "%s: range overflows 32-bit ids", w);
        m[i] = (struct oci_idmap){ (uint32_t)c, (uint32_t)h, (uint32_t)s };
        *count = i + 1;
    }
    return 0;
}

static int parse_devices(json_object *obj, struct oci_linux *l, struct ctr_err *err)
{
    json_object *arr;
    size_t n;
    int r = ju_arr(obj, "devices", "linux", 4096, &arr, &n, err);
    if (r <= 0 || n == 0)
        return r < 0 ? -1 : 0;
    l->devices = calloc(n, sizeof *l->devices);
    if (!l->devices)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *e = json_object_array_get_idx(arr, i);
        struct oci_device *d = &l->devices[i];
        l->n_devices = i + 1;
        char w[128];
        snprintf(w, sizeof w, "linux.devices[%zu]", i);
        if (json_object_get_type(e) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        char *type = NULL, *path = NULL;
        if (ju_str(e, "type", w, &type, err) < 0)
            return -1;
        if (!type || strlen(type) != 1 || !strchr("cbup", type[0])) {
            ctr_fail(err, "%s.type must be one of c, b, u or p", w);
            free(type);
            return -1;
        }
        d->type = type[0];
        free(type);
        if (ju_str(e, "path", w, &path, err) < 0)
            return -1;
        if (!path)
            return ctr_fail(err, "%s.path is required", w);
        if (path[0] != '/' || config_clean_path(path) < 0 || !strcmp(path, "/")) {
            ctr_fail(err, "%s.path \"%s\" must be an absolute path inside the container", w, path);
            free(path);
            return -1;
        }
        d->path = path;
        int rm = ju_i64(e, "major", w, 0, 0xfff, &d->major, err);
        int rn = rm < 0 ? -1 : ju_i64(e, "minor", w, 0, 0xfffff, &d->minor, err);
        if (rm < 0 || rn < 0)
            return -1;
        if (d->type != 'p' && (!rm || !rn))
            return ctr_fail(err, "%s: major and minor are required", w);
        if ((r = ju_u64(e, "fileMode", w, 07777, &d->file_mode.v, err)) < 0)
            return -1;
        d->file_mode.set = r;
        if ((r = ju_u64(e, "uid", w, UINT32_MAX, &d->uid.v, err)) < 0)
            return -1;
        d->uid.set = r;
        if ((r = ju_u64(e, "gid", w, UINT32_MAX, &d->gid.v, err)) < 0)
            return -1;
        d->gid.set = r;
    }
    return 0;
}

static int parse_kv_map(json_object *obj, const char *key, struct oci_kv **out, size_t *count,
                        struct ctr_err *err)
{
    json_object *m;
    int r = ju_obj(obj, key, "linux", &m, err);
    if (r <= 0)
        return r;
    size_t n = (size_t)json_object_object_length(m);
    if (n > 4096)
        return ctr_fail(err, "linux.%s: too many entries", key);
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return ctr_fail(err, "out of memory");
    json_object_object_foreach(m, k, v) {
        char w[300];
        snprintf(w, sizeof w, "linux.%s.%s", key, k);
        struct oci_kv *kv = &(*out)[*count];
        if (ju_as_str(v, w, &kv->value, err) < 0)
            return -1;
        kv->key = strdup(k);
        (*count)++;
        if (!kv->key)
            return ctr_fail(err, "out of memory");
    }
    return 0;
}

static int parse_paths(json_object *obj, const char *key, char ***out, size_t *n,
                       struct ctr_err *err)
{
    if (ju_strv(obj, key, "linux", 4096, out, n, err) < 0)
        return -1;
    for (size_t i = 0; i < *n; i++) {
        char *p = (*out)[i];
        if (p[0] != '/')
            return ctr_fail(err, "linux.%s[%zu]: \"%s\" is not an absolute path", key, i, p);
        if (config_clean_path(p) < 0)
            return ctr_fail(err, "linux.%s[%zu]: path escapes the container root", key, i);
    }
    return 0;
}

static int parse_time_offsets(json_object *obj, struct oci_linux *l, struct ctr_err *err)
{
    json_object *m;
    int r = ju_obj(obj, "timeOffsets", "linux", &m, err);
    if (r <= 0)
        return r;
    size_t n = (size_t)json_object_object_length(m);
    if (n > 2)
        return ctr_fail(err, "linux.timeOffsets: only monotonic and boottime can be offset");
    l->time_offsets = calloc(n ? n : 1, sizeof *l->time_offsets);
    if (!l->time_offsets)
        return ctr_fail(err, "out of memory");
    json_object_object_foreach(m, k, v) {
        char w[300];
        snprintf(w, sizeof w, "linux.timeOffsets.%s", k);
        struct oci_time_offset *t = &l->time_offsets[l->n_time_offsets];
        if (!strcmp(k, "monotonic"))
            t->clock = CLOCK_MONOTONIC;
        else if (!strcmp(k, "boottime"))
            t->clock = CLOCK_BOOTTIME;
        else
            return ctr_fail(err, "%s: unknown clock (use monotonic or boottime)", w);
        if (json_object_get_type(v) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        uint64_t ns = 0;
        if (ju_i64(v, "secs", w, INT64_MIN / 2, INT64_MAX / 2, &t->secs, err) < 0 ||
            ju_u64(v, "nanosecs", w, 999999999, &ns, err) < 0)
            return -1;
        t->nanosecs = (uint32_t)ns;
        l->n_time_offsets++;
    }
    return 0;
}

static int parse_personality(json_object *obj, struct oci_linux *l, struct ctr_err *err)
{
    json_object *p;
    int r = ju_obj(obj, "personality", "linux", &p, err);
    if (r <= 0)
        return r;
    char *domain = NULL;
    if (ju_str(p, "domain", "linux.personality", &domain, err) < 0)
        return -1;
    if (!domain)
        return ctr_fail(err, "linux.personality.domain is required");
    if (!strcmp(domain, "LINUX"))
        l->personality = PER_LINUX;
    else if (!strcmp(domain, "LINUX32"))
        l->personality = PER_LINUX32;
    else {
        ctr_fail(err, "linux.personality.domain: unknown domain \"%s\"", domain);
        free(domain);
        return -1;
    }
    free(domain);
    char **flags = NULL;
    size_t n = 0;
    if (ju_strv(p, "flags", "linux.personality", 64, &flags, &n, err) < 0)
        return -1;
    ju_strv_free(flags);
    if (n)
        return ctr_fail(err, "linux.personality.flags: no flags are supported");
    l->has_personality = true;
    return 0;
}

static const struct { const char *name; int value; } mpol_modes[] = {
    { "MPOL_DEFAULT", 0 }, { "MPOL_PREFERRED", 1 }, { "MPOL_BIND", 2 },
    { "MPOL_INTERLEAVE", 3 }, { "MPOL_LOCAL", 4 }, { "MPOL_PREFERRED_MANY", 5 },
    { "MPOL_WEIGHTED_INTERLEAVE", 6 },
};
static const struct { const char *name; unsigned value; } mpol_flags[] = {
    { "MPOL_F_STATIC_NODES", 1u << 15 }, { "MPOL_F_RELATIVE_NODES", 1u << 14 },
    { "MPOL_F_NUMA_BALANCING", 1u << 13 },
};

static int parse_mempolicy(json_object *obj, struct oci_linux *l, struct ctr_err *err)
{
    json_object *p;
    int r = ju_obj(obj, "memoryPolicy", "linux", &p, err);
    if (r <= 0)
        return r;
    const char *w = "linux.memoryPolicy";
    char *mode = NULL;
    if (ju_str(p, "mode", w, &mode, err) < 0)
        return -1;
    if (!mode)
        return ctr_fail(err, "%s.mode is required", w);
    size_t i;
    for (i = 0; i < sizeof mpol_modes / sizeof mpol_modes[0]; i++)
        if (!strcmp(mpol_modes[i].name, mode))
            break;
    if (i == sizeof mpol_modes / sizeof mpol_modes[0]) {
        ctr_fail(err, "%s.mode: unknown mode \"%s\"", w, mode);
        free(mode);
        return -1;
    }
    free(mode);
    l->mempolicy_mode = mpol_modes[i].value;
    if (ju_str(p, "nodes", w, &l->mempolicy_nodes, err) < 0)
        return -1;
    char **flags = NULL;
    size_t n = 0;
    if (ju_strv(p, "flags", w, 8, &flags, &n, err) < 0)
        return -1;
    for (size_t f = 0; f < n; f++) {
        size_t k;
        for (k = 0; k < sizeof mpol_flags / sizeof mpol_flags[0]; k++)
            if (!strcmp(mpol_flags[k].name, flags[f]))
                break;
        if (k == sizeof mpol_flags / sizeof mpol_flags[0]) {
            ctr_fail(err, "%s.flags: unknown flag \"%s\"", w, flags[f]);
            ju_strv_free(flags);
            return -1;
        }
        l->mempolicy_flags |= mpol_flags[k].value;
    }
    ju_strv_free(flags);
    l->has_mempolicy = true;
    return 0;
}

static bool ifname_ok(const char *n)
{
    size_t len = strlen(n);
    return len > 0 && len < 16 && strcmp(n, ".") && strcmp(n, "..") && !strchr(n, '/') &&
           !strchr(n, ':') && !strpbrk(n, " \t\n");
}

static int parse_netdevs(json_object *o, struct oci_linux *l, struct ctr_err *err)
{
    size_t n = (size_t)json_object_object_length(o);
    if (n > 256)
        return ctr_fail(err, "linux.netDevices: too many entries");
    l->net_devices = calloc(n ? n : 1, sizeof *l->net_devices);
    if (!l->net_devices)
        return ctr_fail(err, "out of memory");
    json_object_object_foreach(o, key, val) {
        char w[300];
        snprintf(w, sizeof w, "linux.netDevices.%s", key);
        struct oci_netdev *d = &l->net_devices[l->n_net_devices];
        if (!ifname_ok(key))
            return ctr_fail(err, "%s: not a network interface name", w);
        if (json_object_get_type(val) != json_type_object)
            return ctr_fail(err, "%s: expected an object", w);
        d->host_name = strdup(key);
        l->n_net_devices++;
        if (!d->host_name || ju_str(val, "name", w, &d->name, err) < 0)
            return d->host_name ? -1 : ctr_fail(err, "out of memory");
        if (d->name && *d->name && !ifname_ok(d->name))
            return ctr_fail(err, "%s.name \"%s\" is not a network interface name", w, d->name);
        const char *target = d->name && *d->name ? d->name : d->host_name;
        if (!strcmp(target, "lo"))
            return ctr_fail(err, "%s: the container already has an interface named lo", w);
        for (size_t k = 0; k + 1 < l->n_net_devices; k++) {
            const struct oci_netdev *e = &l->net_devices[k];
            if (!strcmp(e->name && *e->name ? e->name : e->host_name, target))
                return ctr_fail(err, "%s: two devices would be named %s", w, target);
        }
    }
    return 0;
}

int config_parse_linux(json_object *obj, struct oci_config *cfg, struct ctr_err *err)
{
    struct oci_linux *l = &cfg->lx;
    if (parse_namespaces(obj, l, err) < 0 ||
        config_parse_idmaps(obj, "uidMappings", "linux", &l->uid_maps, &l->n_uid_maps, err) < 0 ||
        config_parse_idmaps(obj, "gidMappings", "linux", &l->gid_maps, &l->n_gid_maps, err) < 0 ||
        parse_time_offsets(obj, l, err) < 0 ||
        parse_devices(obj, l, err) < 0)
        return -1;
    if (ju_str(obj, "cgroupsPath", "linux", &l->cgroups_path, err) < 0)
        return -1;
    json_object *o;
    int r = ju_obj(obj, "resources", "linux", &o, err);
    if (r < 0)
        return -1;
    if (r > 0) {
        if (config_parse_resources(o, "linux.resources", &l->resources, err) < 0)
            return -1;
        l->has_resources = true;
    }
    if ((r = ju_obj(obj, "intelRdt", "linux", &o, err)) != 0)
        return r < 0 ? -1 : ctr_fail(err, "linux.intelRdt: Intel RDT is not supported");
    if ((r = ju_obj(obj, "netDevices", "linux", &o, err)) < 0)
        return -1;
    if (r > 0 && parse_netdevs(o, l, err) < 0)
        return -1;
    if (parse_kv_map(obj, "sysctl", &l->sysctl, &l->n_sysctl, err) < 0)
        return -1;
    if ((r = ju_obj(obj, "seccomp", "linux", &o, err)) < 0)
        return -1;
    if (r > 0 && config_parse_seccomp(o, &l->seccomp, err) < 0)
        return -1;
    char *prop = NULL;
    if (ju_str(obj, "rootfsPropagation", "linux", &prop, err) < 0)
        return -1;
    if (prop && *prop) {
        l->rootfs_propagation = mount_opts_propagation(prop);
        if (!l->rootfs_propagation) {
            ctr_fail(err, "linux.rootfsPropagation: unknown propagation \"%s\"", prop);
            free(prop);
            return -1;
        }
    }
    free(prop);
    if (parse_paths(obj, "maskedPaths", &l->masked_paths, &l->n_masked_paths, err) < 0 ||
        parse_paths(obj, "readonlyPaths", &l->readonly_paths, &l->n_readonly_paths, err) < 0)
        return -1;
    if (ju_str(obj, "mountLabel", "linux", &l->mount_label, err) < 0)
        return -1;
    if (parse_personality(obj, l, err) < 0 || parse_mempolicy(obj, l, err) < 0)
        return -1;
    return 0;
}
