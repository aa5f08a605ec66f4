/* config.json "linux.seccomp": actions, operators, architectures and flags
 * resolved to libseccomp values.  Syscall names are resolved later, when
 * the filter is built (unknown names are skipped, as other runtimes do). */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <seccomp.h>
#include <linux/seccomp.h>
#include "container/jsonu.h"
#include "container/oci_config.h"

#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif

static const struct { const char *name; uint32_t action; bool takes_errno; } actions[] = {
    { "SCMP_ACT_KILL", SCMP_ACT_KILL, false },
    { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, false },
    { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, false },
    { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, false },
    { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO(0), true },
    { "SCMP_ACT_TRACE", SCMP_ACT_TRACE(0), true },
    { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, false },
    { "SCMP_ACT_LOG", SCMP_ACT_LOG, false },
    { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, false },
};

static const struct { const char *name; int op; } operators[] = {
    { "SCMP_CMP_NE", SCMP_CMP_NE }, { "SCMP_CMP_LT", SCMP_CMP_LT },
    { "SCMP_CMP_LE", SCMP_CMP_LE }, { "SCMP_CMP_EQ", SCMP_CMP_EQ },
    { "SCMP_CMP_GE", SCMP_CMP_GE }, { "SCMP_CMP_GT", SCMP_CMP_GT },
    { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct { const char *name; unsigned value; } flags[] = {
    { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
    { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
    { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
    { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

static const char *const archs[] = {
    "SCMP_ARCH_X86", "SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS", "SCMP_ARCH_MIPS64", "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL", "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64", "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390", "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC", "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64", "SCMP_ARCH_LOONGARCH64",
    "SCMP_ARCH_M68K", "SCMP_ARCH_SH", "SCMP_ARCH_SHEB",
};

/* Tables exported for `features`. */
const char *config_seccomp_action_name(size_t i)
{
    return i < sizeof actions / sizeof actions[0] ? actions[i].name : NULL;
}
const char *config_seccomp_op_name(size_t i)
{
    return i < sizeof operators / sizeof operators[0] ? operators[i].name : NULL;
}
const char *config_seccomp_arch_name(size_t i)
{
    return i < sizeof archs / sizeof archs[0] ? archs[i] : NULL;
}
const char *config_seccomp_flag_name(size_t i)
{
    return i < sizeof flags / sizeof flags[0] ? flags[i].name : NULL;
}

/* Action name + optional errnoRet -> libseccomp action value. */
static int parse_action(json_object *obj, const char *akey, const char *ekey, const char *w,
                        uint32_t *out, bool *notify, struct ctr_err *err)
{
    char *name = NULL;
    if (ju_str(obj, akey, w, &name, err) < 0)
        return -1;
    if (!name)
        return ctr_fail(err, "%s.%s is required", w, akey);
    size_t i;
    for (i = 0; i < sizeof actions / sizeof actions[0]; i++)
        if (!strcmp(actions[i].name, name))
            break;
    if (i == sizeof actions / sizeof actions[0]) {
        ctr_fail(err, "%s.%s: unknown seccomp action \"%s\"", w, akey, name);
        free(name);
        return -1;
    }
    uint64_t eno = EPERM;
    int r = ju_u64(obj, ekey, w, 4095, &eno, err);
    if (r < 0) {
        free(name);
        return -1;
    }
    if (r > 0 && !actions[i].takes_errno) {
        ctr_fail(err, "%s.%s: action %s does not take an errno return code", w, ekey, name);
        free(name);
        return -1;
    }
    free(name);
    *out = actions[i].action;
    if (actions[i].takes_errno)
        *out |= (uint32_t)eno & 0xffff;
    if (actions[i].action == SCMP_ACT_NOTIFY)
        *notify = true;
    return 0;
}

static int parse_rule(json_object *e, const char *w, struct oci_seccomp_rule *rule,
                      bool *notify, struct ctr_err *err)
{
    if (json_object_get_type(e) != json_type_object)
        return ctr_fail(err, "%s: expected an object", w);
    if (ju_strv(e, "names", w, 4096, &rule->names, &rule->n_names, err) < 0)
        return -1;
    if (rule->n_names == 0)
        return ctr_fail(err, "%s.names must contain at least one entry", w);
    for (size_t i = 0; i < rule->n_names; i++)
        if (!*rule->names[i])
            return ctr_fail(err, "%s.names[%zu]: empty syscall name", w, i);
    if (parse_action(e, "action", "errnoRet", w, &rule->action, notify, err) < 0)
        return -1;
    json_object *arr;
    size_t n;
    int r = ju_arr(e, "args", w, 6, &arr, &n, err);
    if (r < 0)
        return -1;
    if (r == 0 || n == 0)
        return 0;
    rule->args = calloc(n, sizeof *rule->args);
    if (!rule->args)
        return ctr_fail(err, "out of memory");
    for (size_t i = 0; i < n; i++) {
        json_object *a = json_object_array_get_idx(arr, i);
        struct oci_seccomp_arg *arg = &rule->args[i];
        char ww[256];
        snprintf(ww, sizeof ww, "%s.args[%zu]", w, i);
        if (json_object_get_type(a) != json_type_object)
            return ctr_fail(err, "%s: expected an object", ww);
        uint64_t idx;
        int ri = ju_u64(a, "index", ww, 5, &idx, err);
        int rv = ri < 0 ? -1 : ju_u64(a, "value", ww, UINT64_MAX, &arg->value, err);
        if (ri < 0 || rv < 0 || ju_u64(a, "valueTwo", ww, UINT64_MAX, &arg->value_two, err) < 0)
            return -1;
        if (!ri || !rv)
            return ctr_fail(err, "%s: index and value are required", ww);
        arg->index = (unsigned)idx;
        char *op = NULL;
        if (ju_str(a, "op", ww, &op, err) < 0)
            return -1;
        if (!op)
            return ctr_fail(err, "%s.op is required", ww);
        size_t k;
        for (k = 0; k < sizeof operators / sizeof operators[0]; k++)
            if (!strcmp(operators[k].name, op))
                break;
        if (k == sizeof operators / sizeof operators[0]) {
            ctr_fail(err, "%s.op: unknown operator \"%s\"", ww, op);
            free(op);
            return -1;
        }
        free(op);
        arg->op = operators[k].op;
        rule->n_args = i + 1;
    }
    return 0;
}

static int parse_archs(json_object *obj, struct oci_seccomp *s, struct ctr_err *err)
{
    char **names = NULL;
    size_t n = 0;
    if (ju_strv(obj, "architectures", "linux.seccomp", 64, &names, &n, err) < 0)
        return -1;
    s->archs = calloc(n ? n : 1, sizeof *s->archs);
    if (!s->archs) {
        ju_strv_free(names);
        return ctr_fail(err, "out of memory");
    }
    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < sizeof archs / sizeof archs[0]; k++)
            if (!strcmp(archs[k], names[i]))
                break;
        if (k == sizeof archs / sizeof archs[0]) {
            ctr_fail(err, "linux.seccomp.architectures[%zu]: unknown architecture \"%s\"", i,
                     names[i]);
            ju_strv_free(names);
            return -1;
        }
        char lower[32];
        size_t j;
        for (j = 0; names[i][10 + j] && j + 1 < sizeof lower; j++)
            lower[j] = (char)tolower((unsigned char)names[i][10 + j]);
        lower[j] = '\0';
        uint32_t token = seccomp_arch_resolve_name(lower);
        if (token)          /* too new for this libseccomp: nothing to add */
            s->archs[s->n_archs++] = token;
    }
    ju_strv_free(names);
    return 0;
}

int config_parse_seccomp(json_object *obj, struct oci_seccomp **out, struct ctr_err *err)
{
    struct oci_seccomp *s = calloc(1, sizeof *s);
    if (!s)
        return ctr_fail(err, "out of memory");
    *out = s;
    const char *w = "linux.seccomp";
    bool notify = false;
    if (parse_action(obj, "defaultAction", "defaultErrnoRet", w, &s->default_action, &notify,
                     err) < 0)
        return -1;
    if (notify)
        return ctr_fail(err, "%s.defaultAction: SCMP_ACT_NOTIFY cannot be the default action", w);
    if (parse_archs(obj, s, err) < 0)
        return -1;
    char **fl = NULL;
    size_t n = 0;
    if (ju_strv(obj, "flags", w, 16, &fl, &n, err) < 0)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t k;
        for (k = 0; k < sizeof flags / sizeof flags[0]; k++)
            if (!strcmp(flags[k].name, fl[i]))
                break;
        if (k == sizeof flags / sizeof flags[0]) {
            ctr_fail(err, "%s.flags: unknown flag \"%s\"", w, fl[i]);
            ju_strv_free(fl);
            return -1;
        }
        s->flags |= flags[k].value;
    }
    ju_strv_free(fl);
    if (ju_str(obj, "listenerPath", w, &s->listener_path, err) < 0 ||
        ju_str(obj, "listenerMetadata", w, &s->listener_metadata, err) < 0)
        return -1;
    if (s->listener_metadata && !s->listener_path)
        return ctr_fail(err, "%s.listenerMetadata requires listenerPath", w);
    if (s->listener_path && s->listener_path[0] != '/')
        return ctr_fail(err, "%s.listenerPath \"%s\" is not an absolute path", w,
                        s->listener_path);
    json_object *arr;
    int r = ju_arr(obj, "syscalls", w, 4096, &arr, &n, err);
    if (r < 0)
        return -1;
    if (r > 0 && n > 0) {
        s->rules = calloc(n, sizeof *s->rules);
        if (!s->rules)
            return ctr_fail(err, "out of memory");
        for (size_t i = 0; i < n; i++) {
            char ww[64];
            snprintf(ww, sizeof ww, "%s.syscalls[%zu]", w, i);
            s->n_rules = i + 1;
            if (parse_rule(json_object_array_get_idx(arr, i), ww, &s->rules[i], &notify, err) < 0)
                return -1;
        }
    }
    s->uses_notify = notify;
    if (notify && !s->listener_path)
        return ctr_fail(err, "%s: SCMP_ACT_NOTIFY needs listenerPath", w);
    return 0;
}

void config_free_seccomp(struct oci_seccomp *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n_rules; i++) {
        ju_strv_free(s->rules[i].names);
        free(s->rules[i].args);
    }
    free(s->rules);
    free(s->archs);
    free(s->listener_path);
    free(s->listener_metadata);
    free(s);
}
