/* `features`: what this runtime implements, as features.md describes. */
#include <stdio.h>
#include <json.h>
#include "container/ctr_cli.h"
#include "container/mount_opts.h"
#include "container/names.h"
#include "container/oci_config.h"
#include "container/state.h"

static json_object *strv(const char *(*get)(size_t))
{
    json_object *a = json_object_new_array();
    for (size_t i = 0; get(i); i++)
        json_object_array_add(a, json_object_new_string(get(i)));
    return a;
}

static json_object *yes(void)
{
    json_object *o = json_object_new_object();
    json_object_object_add(o, "enabled", json_object_new_boolean(true));
    return o;
}

int ctr_cmd_features(struct ctr_cli *cli, int argc, char **argv)
{
    struct ctr_err err;
    int idx = 1;
    if (ctr_parse_opts(argc, argv, &idx, NULL, &err) < 0)
        return cli_fail(cli, &err);
    if (idx < argc)
        return cli_failf(cli, "features: \"features\" requires exactly 0 argument(s)");
    json_object *f = json_object_new_object();
    json_object_object_add(f, "ociVersionMin", json_object_new_string(VESSEL_OCI_VERSION_MIN));
    json_object_object_add(f, "ociVersionMax", json_object_new_string(VESSEL_OCI_VERSION));
    json_object *hooks = json_object_new_array();
    for (int k = 0; k < HOOK_COUNT; k++)
        json_object_array_add(hooks, json_object_new_string(config_hook_name(k)));
    json_object_object_add(f, "hooks", hooks);
    json_object *mo = json_object_new_array();
    for (size_t i = 0; mount_opts_known[i]; i++)
        json_object_array_add(mo, json_object_new_string(mount_opts_known[i]));
    json_object_object_add(f, "mountOptions", mo);

    json_object *lx = json_object_new_object();
    json_object *ns = json_object_new_array();
    for (int k = 0; k < NS_COUNT; k++)
        json_object_array_add(ns, json_object_new_string(names_ns_spec(k)));
    json_object_object_add(lx, "namespaces", ns);
    json_object *caps = json_object_new_array();
    for (int c = 0; c < names_cap_count(); c++)
        json_object_array_add(caps, json_object_new_string(names_cap_name(c)));
    json_object_object_add(lx, "capabilities", caps);
    json_object *cg = json_object_new_object();
    json_object_object_add(cg, "v1", json_object_new_boolean(true));
    json_object_object_add(cg, "v2", json_object_new_boolean(true));
    json_object_object_add(cg, "systemd", json_object_new_boolean(false));
    json_object_object_add(cg, "systemdUser", json_object_new_boolean(false));
    json_object_object_add(cg, "rdma", json_object_new_boolean(false));
    json_object_object_add(lx, "cgroup", cg);
    json_object *sc = json_object_new_object();
    json_object_object_add(sc, "enabled", json_object_new_boolean(true));
    json_object_object_add(sc, "actions", strv(config_seccomp_action_name));
    json_object_object_add(sc, "operators", strv(config_seccomp_op_name));
    json_object_object_add(sc, "archs", strv(config_seccomp_arch_name));
    json_object_object_add(sc, "knownFlags", strv(config_seccomp_flag_name));
    json_object_object_add(sc, "supportedFlags", strv(config_seccomp_flag_name));
    json_object_object_add(lx, "seccomp", sc);
    json_object_object_add(lx, "apparmor", yes());
    json_object_object_add(lx, "selinux", yes());
    json_object *rdt = json_object_new_object();
    json_object_object_add(rdt, "enabled", json_object_new_boolean(false));
    json_object_object_add(lx, "intelRdt", rdt);
    json_object *me = json_object_new_object(), *idm = json_object_new_object();
    json_object_object_add(idm, "enabled", json_object_new_boolean(false));
    json_object_object_add(me, "idmap", idm);
    json_object_object_add(lx, "mountExtensions", me);
    json_object_object_add(f, "linux", lx);
    json_object *ann = json_object_new_object();
    json_object_object_add(ann, "io.github.vessel.runtime", json_object_new_string("vessel-runc"));
    json_object_object_add(ann, "io.github.vessel.version", json_object_new_string("0.1.0"));
    json_object_object_add(f, "annotations", ann);
    printf("%s\n", state_json_text(f, true));
    json_object_put(f);
    return 0;
}
