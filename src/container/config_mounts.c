/* config.json "mounts" and "hooks". */
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include "container/jsonu.h"
#include "container/mount_opts.h"
#include "container/oci_config.h"

/* Destination: absolute (a relative one is taken from "/"), cleaned, and
 * never climbing out of the container root with "..". */
static int clean_dest(const char *raw, const char *what, char **out, struct ctr_err *err)
{
    if (!*raw)
        return ctr_fail(err, "%s: empty path", what);
    size_t n = strlen(raw);
    char *p = malloc(n + 2);
    if (!p)
        return ctr_fail(err, "out of memory");
    if (raw[0] == '/')
        memcpy(p, raw, n + 1);
    else {
        p[0] = '/';
        memcpy(p + 1, raw, n + 1);
    }
    if (config_clean_path(p) < 0) {
        free(p);
        return ctr_fail(err, "%s: path \"%s\" escapes the container root", what, raw);
    }
    *out = p;
    return 0;
}

static int parse_mount(json_object *e, size_t i, struct oci_mount *m, struct ctr_err *err)
{
    char w[128];
    snprintf(w, sizeof w, "mounts[%zu]", i);
    if (json_object_get_type(e) != json_type_object)
        return ctr_fail(err, "%s: expected an object", w);
    char *dest = NULL;
    if (ju_str(e, "destination", w, &dest, err) < 0)
        return -1;
    if (!dest)
        return ctr_fail(err, "%s.destination is required", w);
    int r = clean_dest(dest, w, &m->destination, err);
    free(dest);
    if (r < 0)
        return -1;
    if (ju_str(e, "type", w, &m->type, err) < 0 || ju_str(e, "source", w, &m->source, err) < 0)
        return -1;
    size_t n;
    if (config_parse_idmaps(e, "uidMappings", w, &m->uid_maps, &m->n_uid_maps, err) < 0 ||
        config_parse_idmaps(e, "gidMappings", w, &m->gid_maps, &m->n_gid_maps, err) < 0)
        return -1;
    if (!m->n_uid_maps != !m->n_gid_maps)
        return ctr_fail(err, "%s (%s): uidMappings and gidMappings must be given together", w,
                        m->destination);
    char **opts = NULL;
    if (ju_strv(e, "options", w, 256, &opts, &n, err) < 0)
        return -1;
    r = mount_opts_parse(opts, n, m, err);
    ju_strv_free(opts);
    if (r < 0)
        return -1;
    if (m->type && !strcmp(m->type, "bind") && !m->bind) {
        m->flags |= MS_BIND;
        m->bind = true;
    }
    if (m->n_uid_maps)
        m->idmap = true;
    if (m->idmap && !m->bind)
        return ctr_fail(err, "%s (%s): idmapped mounts are supported for bind mounts only", w,
                        m->destination);
    if (m->bind && (!m->source || !*m->source))
        return ctr_fail(err, "%s (%s): bind mount needs a source", w, m->destination);
    if (!m->bind && !m->type && !(m->flags & MS_REMOUNT) && !m->propagation)
        return ctr_fail(err, "%s (%s): mount type is required for non-bind mounts", w,
                        m->destination);
    return 0;
}

int config_parse_mounts(json_object *arr, size_t n, struct oci_config *cfg, struct ctr_err *err)
{
    if (n == 0)
        return 0;
    cfg->mounts = calloc(n, sizeof *cfg->mounts);
    if (!cfg->mounts)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        cfg->n_mounts = i + 1;
        if (parse_mount(json_object_array_get_idx(arr, i), i, &cfg->mounts[i], err) < 0)
            return -1;
    }
    return 0;
}

static const char *const hook_names[HOOK_COUNT] = {
    [HOOK_PRESTART] = "prestart", [HOOK_CREATE_RUNTIME] = "createRuntime",
    [HOOK_CREATE_CONTAINER] = "createContainer", [HOOK_START_CONTAINER] = "startContainer",
    [HOOK_POSTSTART] = "poststart", [HOOK_POSTSTOP] = "poststop",
};

int config_parse_hooks(json_object *obj, struct oci_hooks hooks[HOOK_COUNT], struct ctr_err *err)
{
    for (int k = 0; k < HOOK_COUNT; k++) {
        json_object *arr;
        size_t n;
        char w[128];
        snprintf(w, sizeof w, "hooks");
        int r = ju_arr(obj, hook_names[k], w, 1024, &arr, &n, err);
        if (r < 0)
            return -1;
        if (r == 0 || n == 0)
            continue;
        hooks[k].v = calloc(n, sizeof *hooks[k].v);
        if (!hooks[k].v)
            return ctr_fail(err, "out of memory");
        for (size_t i = 0; i < n; i++) {
            struct oci_hook *h = &hooks[k].v[i];
            hooks[k].n = i + 1;
            json_object *e = json_object_array_get_idx(arr, i);
            snprintf(w, sizeof w, "hooks.%s[%zu]", hook_names[k], i);
            if (json_object_get_type(e) != json_type_object)
                return ctr_fail(err, "%s: expected an object", w);
            size_t cnt;
            if (ju_str(e, "path", w, &h->path, err) < 0 ||
                ju_strv(e, "args", w, JSONU_MAX_ITEMS, &h->args, &cnt, err) < 0 ||
                ju_strv(e, "env", w, JSONU_MAX_ITEMS, &h->env, &cnt, err) < 0)
                return -1;
            if (!h->path)
                return ctr_fail(err, "%s.path is required", w);
            if (h->path[0] != '/')
                return ctr_fail(err, "%s.path \"%s\" is not an absolute path", w, h->path);
            int64_t t = 0;
            r = ju_i64(e, "timeout", w, INT64_MIN, INT64_MAX, &t, err);
            if (r < 0)
                return -1;
            if (r > 0 && t <= 0)
                return ctr_fail(err, "%s.timeout must be greater than zero", w);
            h->timeout = t > 86400 * 365 ? 86400 * 365 : (int)t;
        }
    }
    return 0;
}

void config_free_hooks(struct oci_hooks hooks[HOOK_COUNT])
{
    for (int k = 0; k < HOOK_COUNT; k++) {
        for (size_t i = 0; i < hooks[k].n; i++) {
            free(hooks[k].v[i].path);
            ju_strv_free(hooks[k].v[i].args);
            ju_strv_free(hooks[k].v[i].env);
        }
        free(hooks[k].v);
        hooks[k].v = NULL;
        hooks[k].n = 0;
    }
}

const char *config_hook_name(int kind)
{
    return hook_names[kind];
}
