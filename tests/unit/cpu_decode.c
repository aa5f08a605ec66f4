/* The decoder: fields of 32-bit encodings, every compressed form against
 * its 32-bit expansion, reserved encodings, and golden fingerprints of the
 * decoding of all 2^16 compressed and 2^20 sampled 32-bit encodings (the
 * values were cross-checked against GNU objdump when they were recorded). */
#include <stdio.h>
#include <string.h>
#include "cpu/decode.h"
#include "unit/cpu_harness.h"

#define GOLD_ILLEGAL16 2409
#define GOLD_H16 0x04d45b1b6ffd6b76ULL
#define GOLD_H32 0x21277b9d9ea81e6dULL

static const struct { uint32_t c, w; } pairs[] = {
    { 0x0800, 0x01010413 },
    { 0x2588, 0x0085b507 },
    { 0x42d0, 0x0046a603 },
    { 0x7fb8, 0x0787b703 },
    { 0xbcec, 0x0eb4bc27 },
    { 0xdde8, 0x06a5ae23 },
    { 0xe290, 0x00c6b023 },
    { 0x1501, 0xfe050513 },
    { 0x25fd, 0x01f5859b },
    { 0x567d, 0xfff00613 },
    { 0x7101, 0xe0010113 },
    { 0x7685, 0xfffe16b7 },
    { 0x937d, 0x03f75713 },
    { 0x8785, 0x4017d793 },
    { 0x987d, 0xfff47413 },
    { 0x8c89, 0x40a484b3 },
    { 0x8db1, 0x00c5c5b3 },
    { 0x8ed9, 0x00e6e6b3 },
    { 0x8fe1, 0x0087f7b3 },
    { 0x9c89, 0x40a484bb },
    { 0x9db1, 0x00c585bb },
    { 0xb001, 0x801ff06f },
    { 0xcd7d, 0x0e050f63 },
    { 0xf181, 0xf00590e3 },
    { 0x02fe, 0x01f29293 },
    { 0x30fe, 0x1f813087 },
    { 0x53fe, 0x0fc12383 },
    { 0x6d82, 0x00013d83 },
    { 0x8e02, 0x000e0067 },
    { 0x8efa, 0x01e00eb3 },
    { 0x9002, 0x00100073 },
    { 0x9f82, 0x000f80e7 },
    { 0x994e, 0x01390933 },
    { 0xa422, 0x00813427 },
    { 0xc252, 0x01412223 },
    { 0xffd6, 0x1f513c23 }
};

static struct rv_insn dec(uint32_t raw)
{
    struct rv_insn d;
    rv_decode(raw, &d);
    return d;
}

static void check_fields(uint32_t raw, unsigned op, unsigned rd, unsigned rs1,
                         unsigned rs2, int32_t imm)
{
    struct rv_insn d = dec(raw);
    char name[32];
    rv_op_mnemonic(d.op, name, sizeof name);
    CHECK(d.op == op && d.rd == rd && d.rs1 == rs1 && d.rs2 == rs2 && d.imm == imm,
          "%08x: got %s rd=%u rs1=%u rs2=%u imm=%d", raw, name, d.rd, d.rs1, d.rs2, d.imm);
}

static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static uint64_t fingerprint(const struct rv_insn *d, uint64_t h)
{
    uint8_t f[10] = { d->op, d->rd, d->rs1, d->rs2, d->rs3, d->rm, d->len };
    h = fnv(h, f, sizeof f);
    return fnv(h, &d->imm, sizeof d->imm);
}

int main(void)
{
    /* 32-bit forms */
    check_fields(0xfff58513, RV_OP_ADDI, 10, 11, 0, -1);         /* addi a0,a1,-1 */
    check_fields(0x80000537, RV_OP_LUI, 10, 0, 0, INT32_MIN);    /* lui a0,0x80000 */
    check_fields(0x00001517, RV_OP_AUIPC, 10, 0, 0, 0x1000);
    check_fields(0x800000ef, RV_OP_JAL, 1, 0, 0, -0x100000);     /* jal ra,-1 MiB */
    check_fields(0x7ffff06f, RV_OP_JAL, 0, 0, 0, 0xffffe);       /* jal x0,+1 MiB-2 */
    check_fields(0x80000063, RV_OP_BEQ, 0, 0, 0, -4096);
    check_fields(0x7e000fe3, RV_OP_BEQ, 0, 0, 0, 4094);
    check_fields(0xfe05cee3, RV_OP_BLT, 0, 11, 0, -4);           /* bltz a1,-4 */
    check_fields(0x03f51513, RV_OP_SLLI, 10, 10, 0, 63);
    check_fields(0x43f55513, RV_OP_SRAI, 10, 10, 0, 63);
    check_fields(0x01f5151b, RV_OP_SLLIW, 10, 10, 0, 31);
    check_fields(0x4015551b, RV_OP_SRAIW, 10, 10, 0, 1);
    check_fields(0xfea5bc23, RV_OP_SD, 0, 11, 10, -8);           /* sd a0,-8(a1) */
    check_fields(0x02b54533, RV_OP_DIV, 10, 10, 11, 0);
    check_fields(0x02b5553b, RV_OP_DIVUW, 10, 10, 11, 0);
    check_fields(0x30002573, RV_OP_CSRRS, 10, 0, 0, 0x300);      /* csrr a0,mstatus */
    check_fields(0x3002d073, RV_OP_CSRRWI, 0, 5, 0, 0x300);      /* csrwi mstatus,5 */
    check_fields(0x12b50073, RV_OP_SFENCE_VMA, 0, 10, 11, 0);
    check_fields(0x0ff0000f, RV_OP_FENCE, 0, 0, 0, 0xff);        /* fence iorw,iorw */
    check_fields(0x8330000f, RV_OP_FENCE, 0, 0, 0, 0x833);       /* fence.tso */
    check_fields(0x0000100f, RV_OP_FENCE_I, 0, 0, 0, 0);
    check_fields(0x00b5352f, RV_OP_AMOADD_D, 10, 10, 11, 0);
    check_fields(0x1005352f, RV_OP_LR_D, 10, 10, 0, 0);
    {
        struct rv_insn d = dec(0x06b5252f);                      /* amoadd.w.aqrl a0,a1,(a0) */
        CHECK(d.op == RV_OP_AMOADD_W && d.rm == 3, "aq/rl bits: rm=%u", d.rm);
        d = dec(0x62b57543);                                     /* fmadd.d fa0,fa0,fa1,fa2 */
        CHECK(d.op == RV_OP_FMADD_D && d.rs3 == 12 && d.rm == 7 && d.rs2 == 11,
              "fmadd.d: op %u rs3 %u rm %u", d.op, d.rs3, d.rm);
        d = dec(0xc0051553);                                     /* fcvt.w.s a0,fa0,rtz */
        CHECK(d.op == RV_OP_FCVT_W_S && d.rm == 1 && d.rs2 == 0, "fcvt.w.s rm %u", d.rm);
        d = dec(0xe2050553);                                     /* fmv.x.d a0,fa0 */
        CHECK(d.op == RV_OP_FMV_X_D && d.rd == 10 && d.rs1 == 10, "fmv.x.d");
    }
    /* illegal 32-bit encodings */
    static const uint32_t bad32[] = {
        0xffffffff, 0x0000000b, 0x00005053, 0x00006053,  /* rm 5, 6 */
        0x7b200073, 0x00200073, 0x0000401b, 0x02b57033 + 0x40000000,
        0x10b5352f /* lr with rs2 != 0 */, 0x0000402f, 0x06000053 /* fadd.q */,
        0x0000007f /* 64-bit encoding */, 0x00004023 /* sq */, 0x00007003,
        0x00004073 /* hypervisor loads */, 0x30300073,
    };
    for (unsigned i = 0; i < sizeof bad32 / sizeof bad32[0]; i++) {
        struct rv_insn d = dec(bad32[i]);
        CHECK(d.op == RV_OP_ILLEGAL && d.raw == bad32[i] && d.len == 4,
              "%08x should be illegal (got %s)", bad32[i], rv_op_name(d.op));
    }

    /* every compressed form equals its expansion */
    for (unsigned i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
        struct rv_insn c = dec(pairs[i].c), w = dec(pairs[i].w);
        CHECK(c.len == 2 && w.len == 4 && c.op != RV_OP_ILLEGAL && c.op == w.op &&
              c.rd == w.rd && c.rs1 == w.rs1 && c.rs2 == w.rs2 && c.imm == w.imm &&
              c.raw == pairs[i].c,
              "%04x vs %08x: %s/%s rd %u/%u rs1 %u/%u rs2 %u/%u imm %d/%d", pairs[i].c,
              pairs[i].w, rv_op_name(c.op), rv_op_name(w.op), c.rd, w.rd, c.rs1, w.rs1,
              c.rs2, w.rs2, c.imm, w.imm);
    }
    /* reserved compressed encodings */
    static const uint16_t bad16[] = {
        0x0000, 0x0004 /* addi4spn 0 */, 0x4002 /* lwsp x0 */, 0x6002 /* ldsp x0 */,
        0x8002 /* jr x0 */, 0x6101 /* addi16sp 0 */, 0x6501 /* lui 0 */,
        0x2001 /* addiw x0 */, 0x9d41, 0x9d61 /* CA reserved */, 0x8000, 0x8001 + 0x1000 - 1,
    };
    for (unsigned i = 0; i < sizeof bad16 / sizeof bad16[0]; i++) {
        struct rv_insn d = dec(bad16[i]);
        CHECK(d.op == RV_OP_ILLEGAL && d.raw == bad16[i] && d.len == 2,
              "%04x should be illegal (got %s)", bad16[i], rv_op_name(d.op));
    }
    /* names */
    char name[32];
    rv_op_mnemonic(RV_OP_FCVT_WU_D, name, sizeof name);
    CHECK(!strcmp(name, "fcvt.wu.d"), "mnemonic %s", name);
    rv_op_mnemonic(RV_OP_SFENCE_VMA, name, sizeof name);
    CHECK(!strcmp(name, "sfence.vma"), "mnemonic %s", name);

    /* golden fingerprints */
    uint64_t h16 = 0xcbf29ce484222325ULL, h32 = h16;
    unsigned illegal16 = 0;
    for (uint32_t r = 0; r < 0x10000; r++) {
        if ((r & 3) == 3)
            continue;
        struct rv_insn d = dec(r);
        illegal16 += d.op == RV_OP_ILLEGAL;
        CHECK(d.len == 2 && d.rd < 32 && d.rs1 < 32 && d.rs2 < 32, "%04x fields", r);
        h16 = fingerprint(&d, h16);
    }
    uint32_t x = 12345;
    for (unsigned i = 0; i < (1u << 20); i++) {
        x = x * 1103515245u + 12345u;
        uint32_t r = (x & ~0x7fu) | ((x >> 7) & 0x7c) | 3;  /* any 32-bit opcode */
        struct rv_insn d = dec(r);
        h32 = fingerprint(&d, h32);
    }
    printf("compressed: %u illegal, fingerprint %016llx; 32-bit fingerprint %016llx\n",
           illegal16, (unsigned long long)h16, (unsigned long long)h32);
    CHECK_EQ(illegal16, GOLD_ILLEGAL16);
    CHECK_EQ(h16, GOLD_H16);
    CHECK_EQ(h32, GOLD_H32);
    return th_failures ? 1 : 0;
}
