/* Device access control on cgroup v2: an eBPF program of type
 * BPF_PROG_TYPE_CGROUP_DEVICE, assembled here by hand and attached with the
 * raw bpf(2) syscall (no libbpf needed).
 *
 * The program evaluates the OCI rules last-to-first and returns the verdict
 * of the first rule that matches, which is what applying them in order to a
 * v1 devices cgroup produces.  No match means allow (a fresh v1 cgroup). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include "container/cgroup.h"

const struct oci_devrule cg_default_devrules[] = {
    { true, 'c', -1, -1, "m" },  { true, 'b', -1, -1, "m" },     /* mknod anything */
    { true, 'c', 1, 3, "rwm" },  { true, 'c', 1, 5, "rwm" },     /* null, zero */
    { true, 'c', 1, 7, "rwm" },  { true, 'c', 1, 8, "rwm" },     /* full, random */
    { true, 'c', 1, 9, "rwm" },  { true, 'c', 5, 0, "rwm" },     /* urandom, tty */
    { true, 'c', 5, 1, "rwm" },  { true, 'c', 5, 2, "rwm" },     /* console, ptmx */
    { true, 'c', 136, -1, "rwm" },                                /* pts */
};
const size_t cg_n_default_devrules = sizeof cg_default_devrules / sizeof cg_default_devrules[0];

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

struct prog {
    struct bpf_insn *v;
    size_t n, cap;
};

static int emit(struct prog *p, struct bpf_insn in)
{
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct bpf_insn *nv = realloc(p->v, cap * sizeof *nv);
        if (!nv)
            return -1;
        p->v = nv;
        p->cap = cap;
    }
    p->v[p->n++] = in;
    return 0;
}

static unsigned access_bits(const char *a)
{
    unsigned bits = 0;
    for (; *a; a++)
        bits |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : BPF_DEVCG_ACC_MKNOD;
    return bits;
}

/* One rule: jumps to the end of its block when it does not apply. */
static int emit_rule(struct prog *p, const struct oci_devrule *r)
{
    size_t start = p->n;
    size_t jumps[4];
    int nj = 0;
    if (r->type != 'a') {
        jumps[nj++] = p->n;
        if (emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 3, 0, 0,
                         r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR)) < 0)
            return -1;
    }
    if (r->major >= 0) {
        jumps[nj++] = p->n;
        if (emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 5, 0, 0, (int32_t)r->major)) < 0)
            return -1;
    }
    if (r->minor >= 0) {
        jumps[nj++] = p->n;
        if (emit(p, INSN(BPF_JMP | BPF_JNE | BPF_K, 6, 0, 0, (int32_t)r->minor)) < 0)
            return -1;
    }
    unsigned acc = access_bits(r->access);
    /* allow: every requested bit is granted; deny: any requested bit is denied */
    if (emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 7, 4, 0, 0)) < 0 ||
        emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, 7, 0, 0, (int32_t)(r->allow ? ~acc & 7 : acc))) < 0)
        return -1;
    jumps[nj++] = p->n;
    if (emit(p, INSN(BPF_JMP | (r->allow ? BPF_JNE : BPF_JEQ) | BPF_K, 7, 0, 0, 0)) < 0 ||
        emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, r->allow ? 1 : 0)) < 0 ||
        emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)) < 0)
        return -1;
    for (int i = 0; i < nj; i++)
        p->v[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
    (void)start;
    return 0;
}

static int build(struct prog *p, const struct oci_devrule *rules, size_t n)
{
    /* r2 = access_type, r3 = type, r4 = access, r5 = major, r6 = minor */
    if (emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, 2, 1, 0, 0)) < 0 ||
        emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 3, 2, 0, 0)) < 0 ||
        emit(p, INSN(BPF_ALU64 | BPF_AND | BPF_K, 3, 0, 0, 0xffff)) < 0 ||
        emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_X, 4, 2, 0, 0)) < 0 ||
        emit(p, INSN(BPF_ALU64 | BPF_RSH | BPF_K, 4, 0, 0, 16)) < 0 ||
        emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, 5, 1, 4, 0)) < 0 ||
        emit(p, INSN(BPF_LDX | BPF_W | BPF_MEM, 6, 1, 8, 0)) < 0)
        return -1;
    /* Defaults were appended after the user's rules: check them first. */
    for (size_t i = cg_n_default_devrules; i-- > 0;)
        if (emit_rule(p, &cg_default_devrules[i]) < 0)
            return -1;
    for (size_t i = n; i-- > 0;)
        if (emit_rule(p, &rules[i]) < 0)
            return -1;
    if (emit(p, INSN(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, 1)) < 0 ||
        emit(p, INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)) < 0)
        return -1;
    return 0;
}

static long sys_bpf(int cmd, union bpf_attr *attr)
{
    return syscall(SYS_bpf, cmd, attr, sizeof *attr);
}

int cg_bpf_devices(const char *dir, const struct oci_devrule *rules, size_t n,
                   struct ctr_err *err)
{
    struct prog p = { 0 };
    if (build(&p, rules, n) < 0) {
        free(p.v);
        return ctr_fail(err, "out of memory");
    }
    if (p.n > 4096) {
        free(p.v);
        return ctr_fail(err, "too many device rules for the eBPF device filter");
    }
    int cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cgfd < 0) {
        free(p.v);
        return ctr_fail_errno(err, "cgroup: open %s", dir);
    }
    /* Remember what is attached now, to detach it once ours is in place. */
    uint32_t old_ids[64];
    union bpf_attr q;
    memset(&q, 0, sizeof q);
    q.query.target_fd = (uint32_t)cgfd;
    q.query.attach_type = BPF_CGROUP_DEVICE;
    q.query.prog_ids = (uint64_t)(uintptr_t)old_ids;
    q.query.prog_cnt = 64;
    uint32_t n_old = sys_bpf(BPF_PROG_QUERY, &q) == 0 ? q.query.prog_cnt : 0;

    char license[] = "GPL";
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
    a.insns = (uint64_t)(uintptr_t)p.v;
    a.insn_cnt = (uint32_t)p.n;
    a.license = (uint64_t)(uintptr_t)license;
    int progfd = (int)sys_bpf(BPF_PROG_LOAD, &a);
    if (progfd < 0 && getenv("VESSEL_BPF_DEBUG")) {
        char *log = calloc(1, 65536);
        if (log) {
            a.log_buf = (uint64_t)(uintptr_t)log;
            a.log_size = 65536;
            a.log_level = 1;
            sys_bpf(BPF_PROG_LOAD, &a);
            fprintf(stderr, "%s\n", log);
            free(log);
        }
    }
    free(p.v);
    if (progfd < 0) {
        ctr_fail_errno(err, "cgroup v2: loading the eBPF device filter failed "
                       "(device rules cannot be enforced)");
        close(cgfd);
        return -1;
    }
    memset(&a, 0, sizeof a);
    a.target_fd = (uint32_t)cgfd;
    a.attach_bpf_fd = (uint32_t)progfd;
    a.attach_type = BPF_CGROUP_DEVICE;
    a.attach_flags = BPF_F_ALLOW_MULTI;
    if (sys_bpf(BPF_PROG_ATTACH, &a) < 0) {
        ctr_fail_errno(err, "cgroup v2: attaching the eBPF device filter to %s failed", dir);
        close(progfd);
        close(cgfd);
        return -1;
    }
    for (uint32_t i = 0; i < n_old && i < 64; i++) {
        union bpf_attr g;
        memset(&g, 0, sizeof g);
        g.prog_id = old_ids[i];
        int oldfd = (int)sys_bpf(BPF_PROG_GET_FD_BY_ID, &g);
        if (oldfd < 0)
            continue;
        memset(&a, 0, sizeof a);
        a.target_fd = (uint32_t)cgfd;
        a.attach_bpf_fd = (uint32_t)oldfd;
        a.attach_type = BPF_CGROUP_DEVICE;
        sys_bpf(BPF_PROG_DETACH, &a);
        close(oldfd);
    }
    close(progfd);
    close(cgfd);
    return 0;
}
