/* Seccomp (see seccomp.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <seccomp.h>
#include <linux/seccomp.h>
#include "container/seccomp.h"
#include "container/sync.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif

static int add_rule(scmp_filter_ctx ctx, uint32_t action, int nr, const struct scmp_arg_cmp *args,
                    unsigned n)
{
    int r = seccomp_rule_add_array(ctx, action, nr, n, args);
    /* A rule that cannot apply on one of the architectures is fine. */
    if (r == -EDOM || r == -EOPNOTSUPP)
        return 0;
    return r;
}

int seccomp_build(const struct oci_seccomp *s, struct seccomp_prog *out, struct ctr_err *err)
{
    memset(out, 0, sizeof *out);
    scmp_filter_ctx ctx = seccomp_init(s->default_action);
    if (!ctx)
        return ctr_fail(err, "seccomp: cannot initialise the filter");
    int r = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    for (size_t i = 0; r == 0 && i < s->n_archs; i++) {
        r = seccomp_arch_add(ctx, s->archs[i]);
        if (r == -EEXIST)
            r = 0;
    }
    if (r < 0) {
        seccomp_release(ctx);
        errno = -r;
        return ctr_fail_errno(err, "seccomp: architecture setup");
    }
    for (size_t i = 0; i < s->n_rules; i++) {
        const struct oci_seccomp_rule *rule = &s->rules[i];
        if (rule->action == s->default_action)
            continue;           /* libseccomp refuses rules that change nothing */
        struct scmp_arg_cmp args[6];
        bool dup = false;
        for (size_t a = 0; a < rule->n_args; a++) {
            args[a] = (struct scmp_arg_cmp){ .arg = rule->args[a].index,
                                             .op = (enum scmp_compare)rule->args[a].op,
                                             .datum_a = rule->args[a].value,
                                             .datum_b = rule->args[a].value_two };
            for (size_t b = 0; b < a; b++)
                if (rule->args[b].index == rule->args[a].index)
                    dup = true;
        }
        for (size_t k = 0; k < rule->n_names; k++) {
            int nr = seccomp_syscall_resolve_name(rule->names[k]);
            if (nr == __NR_SCMP_ERROR)
                continue;       /* unknown here (other arch or newer kernel) */
            if (dup) {
                /* Two conditions on one argument: each becomes its own rule (OR). */
                for (size_t a = 0; a < rule->n_args && r == 0; a++)
                    r = add_rule(ctx, rule->action, nr, &args[a], 1);
            } else {
                r = add_rule(ctx, rule->action, nr, args, (unsigned)rule->n_args);
            }
            if (r < 0) {
                seccomp_release(ctx);
                errno = -r;
                return ctr_fail_errno(err, "seccomp: add rule for %s", rule->names[k]);
            }
        }
    }
    int mfd = memfd_create("seccomp-bpf", MFD_CLOEXEC);
    if (mfd < 0) {
        seccomp_release(ctx);
        return ctr_fail_errno(err, "seccomp: memfd");
    }
    r = seccomp_export_bpf(ctx, mfd);
    seccomp_release(ctx);
    if (r < 0) {
        close(mfd);
        errno = -r;
        return ctr_fail_errno(err, "seccomp: export filter");
    }
    off_t size = lseek(mfd, 0, SEEK_END);
    if (size <= 0 || size % sizeof(struct sock_filter) || size > 65536 * (off_t)sizeof(struct sock_filter)) {
        close(mfd);
        return ctr_fail(err, "seccomp: bad filter size %lld", (long long)size);
    }
    void *buf = malloc((size_t)size);
    if (!buf || pread(mfd, buf, (size_t)size, 0) != size) {
        free(buf);
        close(mfd);
        return ctr_fail(err, "seccomp: read back filter");
    }
    close(mfd);
    out->fprog.len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
    out->fprog.filter = buf;
    if (size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
        seccomp_prog_free(out);
        return ctr_fail(err, "seccomp: filter too large (%lld instructions)",
                        (long long)(size / (off_t)sizeof(struct sock_filter)));
    }
    return 0;
}

void seccomp_prog_free(struct seccomp_prog *p)
{
    free(p->fprog.filter);
    p->fprog.filter = NULL;
    p->fprog.len = 0;
}

int seccomp_install(const struct oci_seccomp *s, const struct seccomp_prog *p,
                    struct ctr_err *err)
{
    unsigned long flags = s->flags;
    if (s->uses_notify) {
        flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
        if (flags & SECCOMP_FILTER_FLAG_TSYNC)
            flags |= SECCOMP_FILTER_FLAG_TSYNC_ESRCH;
    }
    long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &p->fprog);
    if (r < 0)
        return ctr_fail_errno(err, "seccomp: load filter");
    return s->uses_notify ? (int)r : 0;
}

int seccomp_send_listener(int sock, int notify_fd, const char *json, struct ctr_err *err)
{
    if (send_fd(sock, notify_fd, json, strlen(json)) < 0)
        return ctr_fail_errno(err, "seccomp: send notify fd to the listener");
    return 0;
}
