/* config.json: top level (version, root, hostname, annotations) and the
 * entry points config_parse / config_load / config_free. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include "container/jsonu.h"
#include "container/oci_config.h"

int config_clean_path(char *path)
{
    return path_clean(path, false);
}

int path_clean(char *path, bool clamp)
{
    /* Components are copied down in place; `out` never passes `in`. */
    char *in = path, *out = path;
    if (*in != '/')
        return -1;
    while (*in) {
        while (*in == '/')
            in++;
        if (!*in)
            break;
        char *end = strchr(in, '/');
        size_t len = end ? (size_t)(end - in) : strlen(in);
        if (len == 1 && in[0] == '.') {
            /* skip */
        } else if (len == 2 && in[0] == '.' && in[1] == '.') {
            if (out == path) {
                if (!clamp)
                    return -1;          /* would climb above "/" */
            } else {
                while (out > path && *--out != '/')
                    ;
            }
        } else {
            *out++ = '/';
            memmove(out, in, len);
            out += len;
        }
        in += len;
    }
    if (out == path)
        *out++ = '/';
    *out = '\0';
    return 0;
}

/* "1.2.3" or "1.0.2-dev": major must be 1. */
static int check_version(const char *v, struct ctr_err *err)
{
    const char *p = v;
    int parts = 0;
    for (;;) {
        if (!isdigit((unsigned char)*p))
            break;
        while (isdigit((unsigned char)*p))
            p++;
        parts++;
        if (*p != '.' || parts == 3)
            break;
        p++;
    }
    if (parts != 3 || (*p && *p != '-' && *p != '+'))
        return ctr_fail(err, "ociVersion \"%s\" is not a semantic version", v);
    if (v[0] != '1' || v[1] != '.')
        return ctr_fail(err, "ociVersion \"%s\" is not supported (need 1.x, up to %s)",
                        v, VESSEL_OCI_VERSION);
    return 0;
}

static int parse_annotations(json_object *root, struct oci_config *cfg, struct ctr_err *err)
{
    json_object *obj;
    int r = ju_obj(root, "annotations", "", &obj, err);
    if (r <= 0)
        return r;
    size_t n = (size_t)json_object_object_length(obj);
    if (n > JSONU_MAX_ITEMS)
        return ctr_fail(err, "annotations: too many entries");
    cfg->annotations = calloc(n ? n : 1, sizeof *cfg->annotations);
    if (!cfg->annotations)
        return ctr_fail(err, "out of memory");
    json_object_object_foreach(obj, key, val) {
        char what[300];
        if (!*key)
            return ctr_fail(err, "annotations: keys must not be empty");
        snprintf(what, sizeof what, "annotations.%s", key);
        struct oci_kv *kv = &cfg->annotations[cfg->n_annotations];
        if (ju_as_str(val, what, &kv->value, err) < 0)
            return -1;
        kv->key = strdup(key);
        cfg->n_annotations++;
        if (!kv->key)
            return ctr_fail(err, "out of memory");
    }
    return 0;
}

int config_parse(const char *text, size_t len, struct oci_config *cfg,
                 const struct ctr_log *log, struct ctr_err *err)
{
    memset(cfg, 0, sizeof *cfg);
    json_object *root = ju_parse(text, len, "config.json", err);
    if (!root)
        return -1;
    int ret = -1;
    if (json_object_get_type(root) != json_type_object) {
        ctr_fail(err, "config.json: expected a JSON object");
        goto out;
    }
    if (ju_str(root, "ociVersion", "", &cfg->oci_version, err) < 0)
        goto out;
    if (!cfg->oci_version) {
        ctr_fail(err, "config.json: ociVersion is required");
        goto out;
    }
    if (check_version(cfg->oci_version, err) < 0)
        goto out;

    json_object *o;
    int r = ju_obj(root, "root", "", &o, err);
    if (r < 0)
        goto out;
    if (r == 0) {
        ctr_fail(err, "config.json: root is required");
        goto out;
    }
    if (ju_str(o, "path", "root", &cfg->root_path, err) < 0 ||
        ju_bool(o, "readonly", "root", &cfg->root_readonly, err) < 0)
        goto out;
    if (!cfg->root_path || !*cfg->root_path) {
        ctr_fail(err, "config.json: root.path is required");
        goto out;
    }

    r = ju_obj(root, "process", "", &o, err);
    if (r < 0)
        goto out;
    if (r > 0) {
        if (config_parse_process(o, "process", &cfg->process, log, err) < 0)
            goto out;
        cfg->has_process = true;
    }
    if (ju_str(root, "hostname", "", &cfg->hostname, err) < 0 ||
        ju_str(root, "domainname", "", &cfg->domainname, err) < 0)
        goto out;

    json_object *arr;
    size_t n;
    r = ju_arr(root, "mounts", "", 4096, &arr, &n, err);
    if (r < 0 || (r > 0 && config_parse_mounts(arr, n, cfg, err) < 0))
        goto out;
    r = ju_obj(root, "hooks", "", &o, err);
    if (r < 0 || (r > 0 && config_parse_hooks(o, cfg->hooks, err) < 0))
        goto out;
    if (parse_annotations(root, cfg, err) < 0)
        goto out;
    r = ju_obj(root, "linux", "", &o, err);
    if (r < 0 || (r > 0 && config_parse_linux(o, cfg, err) < 0))
        goto out;
    if (config_validate(cfg, err) < 0)
        goto out;
    ret = 0;
out:
    json_object_put(root);
    if (ret < 0)
        config_free(cfg);
    return ret;
}

int config_load(const char *path, struct oci_config *cfg, char **text_out,
                size_t *len_out, const struct ctr_log *log, struct ctr_err *err)
{
    size_t len;
    char *text = ju_read_file(path, CONFIG_MAX_SIZE, &len, err);
    if (!text)
        return -1;
    if (config_parse(text, len, cfg, log, err) < 0) {
        free(text);
        return -1;
    }
    if (text_out) {
        *text_out = text;
        *len_out = len;
    } else {
        free(text);
    }
    return 0;
}

static void free_kv(struct oci_kv *kv, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void config_free(struct oci_config *cfg)
{
    free(cfg->oci_version);
    free(cfg->root_path);
    config_free_process(&cfg->process);
    free(cfg->hostname);
    free(cfg->domainname);
    for (size_t i = 0; i < cfg->n_mounts; i++) {
        free(cfg->mounts[i].destination);
        free(cfg->mounts[i].type);
        free(cfg->mounts[i].source);
        free(cfg->mounts[i].data);
        free(cfg->mounts[i].uid_maps);
        free(cfg->mounts[i].gid_maps);
    }
    free(cfg->mounts);
    config_free_hooks(cfg->hooks);
    free_kv(cfg->annotations, cfg->n_annotations);

    struct oci_linux *l = &cfg->lx;
    for (int i = 0; i < NS_COUNT; i++)
        free(l->ns[i].path);
    free(l->uid_maps);
    free(l->gid_maps);
    for (size_t i = 0; i < l->n_devices; i++)
        free(l->devices[i].path);
    free(l->devices);
    free(l->cgroups_path);
    config_free_resources(&l->resources);
    free_kv(l->sysctl, l->n_sysctl);
    config_free_seccomp(l->seccomp);
    ju_strv_free(l->masked_paths);
    ju_strv_free(l->readonly_paths);
    free(l->mount_label);
    free(l->time_offsets);
    free(l->mempolicy_nodes);
    for (size_t i = 0; i < l->n_net_devices; i++) {
        free(l->net_devices[i].host_name);
        free(l->net_devices[i].name);
    }
    free(l->net_devices);
    memset(cfg, 0, sizeof *cfg);
}
