/*
 * decode.c — RV64GC instruction decoder.  See decode.h.
 *
 * Field layouts follow the RISC-V unprivileged spec, chapters 2 (RV32I
 * base formats), 16 ("C" extension, tables 16.5-16.7) and 24 (opcode map).
 */
#include "cpu/decode.h"
#include <stdbool.h>

/* bits [hi:lo] of v */
static inline uint32_t bits(uint32_t v, unsigned hi, unsigned lo)
{
    return (v >> lo) & ((1u << (hi - lo + 1)) - 1);
}

/* sign-extend the low n bits of v */
static inline int32_t sext(uint32_t v, unsigned n)
{
    return (int32_t)(v << (32 - n)) >> (32 - n);
}

static const struct {
    const char *name;
    unsigned flags;
} op_info[RV_OP_COUNT] = {
#define RV_OP_INFO(n, f) [RV_OP_##n] = { #n, f },
    RV_OPS(RV_OP_INFO)
#undef RV_OP_INFO
};

const char *rv_op_name(unsigned op)
{
    return op < RV_OP_COUNT ? op_info[op].name : "?";
}

void rv_op_mnemonic(unsigned op, char *buf, size_t size)
{
    const char *n = rv_op_name(op);
    size_t i = 0;
    for (; size && n[i] && i < size - 1; i++)
        buf[i] = n[i] == '_' ? '.' : (char)(n[i] | 0x20);
    if (size)
        buf[i] = 0;
}

unsigned rv_op_flags(unsigned op)
{
    return op < RV_OP_COUNT ? op_info[op].flags : 0;
}

static void set(struct rv_insn *d, unsigned op, unsigned rd, unsigned rs1,
                unsigned rs2, int32_t imm)
{
    d->op = (uint8_t)op;
    d->rd = (uint8_t)rd;
    d->rs1 = (uint8_t)rs1;
    d->rs2 = (uint8_t)rs2;
    d->imm = imm;
}

/* ---- 32-bit encodings ---- */

static int32_t imm_i(uint32_t r) { return (int32_t)r >> 20; }
static int32_t imm_s(uint32_t r) { return sext(bits(r, 31, 25) << 5 | bits(r, 11, 7), 12); }
static int32_t imm_b(uint32_t r)
{
    return sext(bits(r, 31, 31) << 12 | bits(r, 7, 7) << 11 |
                bits(r, 30, 25) << 5 | bits(r, 11, 8) << 1, 13);
}
static int32_t imm_j(uint32_t r)
{
    return sext(bits(r, 31, 31) << 20 | bits(r, 19, 12) << 12 |
                bits(r, 20, 20) << 11 | bits(r, 30, 21) << 1, 21);
}

static unsigned decode_op(uint32_t r)           /* OP, 0x33 */
{
    unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
    static const unsigned base[8] = { RV_OP_ADD, RV_OP_SLL, RV_OP_SLT, RV_OP_SLTU,
                                      RV_OP_XOR, RV_OP_SRL, RV_OP_OR, RV_OP_AND };
    static const unsigned mul[8] = { RV_OP_MUL, RV_OP_MULH, RV_OP_MULHSU, RV_OP_MULHU,
                                     RV_OP_DIV, RV_OP_DIVU, RV_OP_REM, RV_OP_REMU };
    if (f7 == 0x00) return base[f3];
    if (f7 == 0x01) return mul[f3];
    if (f7 == 0x20 && f3 == 0) return RV_OP_SUB;
    if (f7 == 0x20 && f3 == 5) return RV_OP_SRA;
    return RV_OP_ILLEGAL;
}

static unsigned decode_op32(uint32_t r)         /* OP-32, 0x3b */
{
    unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
    if (f7 == 0x00) return f3 == 0 ? RV_OP_ADDW : f3 == 1 ? RV_OP_SLLW :
                           f3 == 5 ? RV_OP_SRLW : RV_OP_ILLEGAL;
    if (f7 == 0x20) return f3 == 0 ? RV_OP_SUBW : f3 == 5 ? RV_OP_SRAW : RV_OP_ILLEGAL;
    if (f7 == 0x01) {
        static const unsigned mw[8] = { RV_OP_MULW, 0, 0, 0,
                                        RV_OP_DIVW, RV_OP_DIVUW, RV_OP_REMW, RV_OP_REMUW };
        return mw[f3];      /* 0 = RV_OP_ILLEGAL */
    }
    return RV_OP_ILLEGAL;
}

static unsigned decode_amo(uint32_t r)          /* AMO, 0x2f */
{
    unsigned f3 = bits(r, 14, 12), f5 = bits(r, 31, 27);
    int d;
    if (f3 == 2) d = 0; else if (f3 == 3) d = 1; else return RV_OP_ILLEGAL;
    switch (f5) {
    case 0x02: return bits(r, 24, 20) ? RV_OP_ILLEGAL : d ? RV_OP_LR_D : RV_OP_LR_W;
    case 0x03: return d ? RV_OP_SC_D : RV_OP_SC_W;
    case 0x01: return d ? RV_OP_AMOSWAP_D : RV_OP_AMOSWAP_W;
    case 0x00: return d ? RV_OP_AMOADD_D : RV_OP_AMOADD_W;
    case 0x04: return d ? RV_OP_AMOXOR_D : RV_OP_AMOXOR_W;
    case 0x0c: return d ? RV_OP_AMOAND_D : RV_OP_AMOAND_W;
    case 0x08: return d ? RV_OP_AMOOR_D : RV_OP_AMOOR_W;
    case 0x10: return d ? RV_OP_AMOMIN_D : RV_OP_AMOMIN_W;
    case 0x14: return d ? RV_OP_AMOMAX_D : RV_OP_AMOMAX_W;
    case 0x18: return d ? RV_OP_AMOMINU_D : RV_OP_AMOMINU_W;
    case 0x1c: return d ? RV_OP_AMOMAXU_D : RV_OP_AMOMAXU_W;
    }
    return RV_OP_ILLEGAL;
}

/* OP-FP, 0x53.  `dbl` selects the D form of each pair. */
static unsigned decode_opfp(uint32_t r)
{
    unsigned f7 = bits(r, 31, 25), f3 = bits(r, 14, 12), rs2 = bits(r, 24, 20);
    unsigned fmt = f7 & 3;
    if (fmt > 1) return RV_OP_ILLEGAL;          /* H and Q are not implemented */
    int D = fmt == 1;
#define SD(name) (D ? RV_OP_##name##_D : RV_OP_##name##_S)
    switch (f7 >> 2) {
    case 0x00: return SD(FADD);
    case 0x01: return SD(FSUB);
    case 0x02: return SD(FMUL);
    case 0x03: return SD(FDIV);
    case 0x0b: return rs2 == 0 ? SD(FSQRT) : RV_OP_ILLEGAL;
    case 0x04: return f3 == 0 ? SD(FSGNJ) : f3 == 1 ? SD(FSGNJN) :
                      f3 == 2 ? SD(FSGNJX) : RV_OP_ILLEGAL;
    case 0x05: return f3 == 0 ? SD(FMIN) : f3 == 1 ? SD(FMAX) : RV_OP_ILLEGAL;
    case 0x08:
        if (!D && rs2 == 1) return RV_OP_FCVT_S_D;
        if (D && rs2 == 0) return RV_OP_FCVT_D_S;
        return RV_OP_ILLEGAL;
    case 0x14: return f3 == 0 ? SD(FLE) : f3 == 1 ? SD(FLT) :
                      f3 == 2 ? SD(FEQ) : RV_OP_ILLEGAL;
    case 0x18:
        switch (rs2) {
        case 0: return SD(FCVT_W);
        case 1: return SD(FCVT_WU);
        case 2: return SD(FCVT_L);
        case 3: return SD(FCVT_LU);
        }
        return RV_OP_ILLEGAL;
    case 0x1a:
        switch (rs2) {
        case 0: return D ? RV_OP_FCVT_D_W : RV_OP_FCVT_S_W;
        case 1: return D ? RV_OP_FCVT_D_WU : RV_OP_FCVT_S_WU;
        case 2: return D ? RV_OP_FCVT_D_L : RV_OP_FCVT_S_L;
        case 3: return D ? RV_OP_FCVT_D_LU : RV_OP_FCVT_S_LU;
        }
        return RV_OP_ILLEGAL;
    case 0x1c:
        if (rs2 != 0) return RV_OP_ILLEGAL;
        if (f3 == 0) return D ? RV_OP_FMV_X_D : RV_OP_FMV_X_W;
        if (f3 == 1) return SD(FCLASS);
        return RV_OP_ILLEGAL;
    case 0x1e:
        if (rs2 != 0 || f3 != 0) return RV_OP_ILLEGAL;
        return D ? RV_OP_FMV_D_X : RV_OP_FMV_W_X;
    }
#undef SD
    return RV_OP_ILLEGAL;
}

static void decode32(uint32_t r, struct rv_insn *d)
{
    unsigned rd = bits(r, 11, 7), rs1 = bits(r, 19, 15), rs2 = bits(r, 24, 20);
    unsigned f3 = bits(r, 14, 12), f7 = bits(r, 31, 25);
    unsigned op = RV_OP_ILLEGAL;

    switch (r & 0x7f) {
    case 0x37: set(d, RV_OP_LUI, rd, 0, 0, (int32_t)(r & 0xfffff000u)); return;
    case 0x17: set(d, RV_OP_AUIPC, rd, 0, 0, (int32_t)(r & 0xfffff000u)); return;
    case 0x6f: set(d, RV_OP_JAL, rd, 0, 0, imm_j(r)); return;
    case 0x67:
        if (f3 == 0) set(d, RV_OP_JALR, rd, rs1, 0, imm_i(r));
        return;
    case 0x63: {
        static const unsigned br[8] = { RV_OP_BEQ, RV_OP_BNE, 0, 0,
                                        RV_OP_BLT, RV_OP_BGE, RV_OP_BLTU, RV_OP_BGEU };
        set(d, br[f3], 0, rs1, rs2, imm_b(r));
        return;
    }
    case 0x03: {
        static const unsigned ld[8] = { RV_OP_LB, RV_OP_LH, RV_OP_LW, RV_OP_LD,
                                        RV_OP_LBU, RV_OP_LHU, RV_OP_LWU, 0 };
        set(d, ld[f3], rd, rs1, 0, imm_i(r));
        return;
    }
    case 0x23: {
        static const unsigned st[8] = { RV_OP_SB, RV_OP_SH, RV_OP_SW, RV_OP_SD };
        set(d, st[f3], 0, rs1, rs2, imm_s(r));
        return;
    }
    case 0x13: {
        static const unsigned oi[8] = { RV_OP_ADDI, 0, RV_OP_SLTI, RV_OP_SLTIU,
                                        RV_OP_XORI, 0, RV_OP_ORI, RV_OP_ANDI };
        int32_t imm = imm_i(r);
        op = oi[f3];
        if (f3 == 1 || f3 == 5) {               /* shifts: 6-bit shamt */
            unsigned hi = bits(r, 31, 26);
            imm = (int32_t)bits(r, 25, 20);
            op = f3 == 1 ? (hi == 0 ? RV_OP_SLLI : 0)
                         : hi == 0 ? RV_OP_SRLI : hi == 0x10 ? RV_OP_SRAI : 0;
        }
        set(d, op, rd, rs1, 0, imm);
        return;
    }
    case 0x1b: {
        int32_t imm = imm_i(r);
        if (f3 == 0) op = RV_OP_ADDIW;
        else if (f3 == 1 && f7 == 0) op = RV_OP_SLLIW;
        else if (f3 == 5 && f7 == 0) op = RV_OP_SRLIW;
        else if (f3 == 5 && f7 == 0x20) op = RV_OP_SRAIW;
        if (f3 != 0) imm = (int32_t)rs2;         /* 5-bit shamt */
        set(d, op, rd, rs1, 0, imm);
        return;
    }
    case 0x33: set(d, decode_op(r), rd, rs1, rs2, 0); return;
    case 0x3b: set(d, decode_op32(r), rd, rs1, rs2, 0); return;
    case 0x0f:
        /* rd, rs1 (and fence.i's imm) are reserved: ignored as required */
        if (f3 == 0) set(d, RV_OP_FENCE, 0, 0, 0, (int32_t)bits(r, 31, 20));
        else if (f3 == 1) set(d, RV_OP_FENCE_I, 0, 0, 0, 0);
        return;
    case 0x73:
        if (f3 == 0) {
            if (r == 0x00000073) op = RV_OP_ECALL;
            else if (r == 0x00100073) op = RV_OP_EBREAK;
            else if (r == 0x30200073) op = RV_OP_MRET;
            else if (r == 0x10200073) op = RV_OP_SRET;
            else if (r == 0x10500073) op = RV_OP_WFI;
            else if (f7 == 0x09 && rd == 0) {
                set(d, RV_OP_SFENCE_VMA, 0, rs1, rs2, 0);
                return;
            }
            set(d, op, 0, 0, 0, 0);
            return;
        } else {
            static const unsigned csr[8] = { 0, RV_OP_CSRRW, RV_OP_CSRRS, RV_OP_CSRRC,
                                             0, RV_OP_CSRRWI, RV_OP_CSRRSI, RV_OP_CSRRCI };
            set(d, csr[f3], rd, rs1, 0, (int32_t)bits(r, 31, 20));
        }
        return;
    case 0x2f:
        set(d, decode_amo(r), rd, rs1, rs2, 0);
        d->rm = (uint8_t)bits(r, 26, 25);
        return;
    case 0x07:
        op = f3 == 2 ? RV_OP_FLW : f3 == 3 ? RV_OP_FLD : RV_OP_ILLEGAL;
        set(d, op, rd, rs1, 0, imm_i(r));
        return;
    case 0x27:
        op = f3 == 2 ? RV_OP_FSW : f3 == 3 ? RV_OP_FSD : RV_OP_ILLEGAL;
        set(d, op, 0, rs1, rs2, imm_s(r));
        return;
    case 0x43: case 0x47: case 0x4b: case 0x4f: {
        static const unsigned fs[4] = { RV_OP_FMADD_S, RV_OP_FMSUB_S,
                                        RV_OP_FNMSUB_S, RV_OP_FNMADD_S };
        static const unsigned fd[4] = { RV_OP_FMADD_D, RV_OP_FMSUB_D,
                                        RV_OP_FNMSUB_D, RV_OP_FNMADD_D };
        unsigned fmt = bits(r, 26, 25), k = bits(r, 3, 2);
        op = fmt == 0 ? fs[k] : fmt == 1 ? fd[k] : RV_OP_ILLEGAL;
        set(d, op, rd, rs1, rs2, 0);
        d->rs3 = (uint8_t)bits(r, 31, 27);
        d->rm = (uint8_t)f3;
        break;
    }
    case 0x53:
        set(d, decode_opfp(r), rd, rs1, rs2, 0);
        if (rv_op_flags(d->op) & RV_F_RM)        /* else f3 was a function code */
            d->rm = (uint8_t)f3;
        break;
    default:
        return;
    }
    /* reserved rounding modes 5 and 6 are illegal for ops that round */
    if ((rv_op_flags(d->op) & RV_F_RM) && (d->rm == 5 || d->rm == 6))
        d->op = RV_OP_ILLEGAL;
}

/* ---- 16-bit (RVC) encodings: expand into the 32-bit ops ---- */

static void decode16(uint32_t r, struct rv_insn *d)
{
    unsigned f3 = bits(r, 15, 13);
    unsigned rd = bits(r, 11, 7), rs2 = bits(r, 6, 2);
    unsigned rdp = bits(r, 4, 2) + 8, rs1p = bits(r, 9, 7) + 8;   /* rd', rs1' */
    int32_t imm6 = sext(bits(r, 12, 12) << 5 | bits(r, 6, 2), 6);
    uint32_t uimm;

    switch ((r & 3) << 3 | f3) {
    /* quadrant 0 */
    case 000:           /* c.addi4spn */
        uimm = bits(r, 12, 11) << 4 | bits(r, 10, 7) << 6 | bits(r, 6, 6) << 2 | bits(r, 5, 5) << 3;
        if (uimm) set(d, RV_OP_ADDI, rdp, 2, 0, (int32_t)uimm);
        return;
    case 001: case 003: case 005: case 007:    /* c.fld c.ld c.fsd c.sd */
        uimm = bits(r, 12, 10) << 3 | bits(r, 6, 5) << 6;
        if (f3 == 1) set(d, RV_OP_FLD, rdp, rs1p, 0, (int32_t)uimm);
        else if (f3 == 3) set(d, RV_OP_LD, rdp, rs1p, 0, (int32_t)uimm);
        else if (f3 == 5) set(d, RV_OP_FSD, 0, rs1p, rdp, (int32_t)uimm);
        else set(d, RV_OP_SD, 0, rs1p, rdp, (int32_t)uimm);
        return;
    case 002: case 006:                         /* c.lw c.sw */
        uimm = bits(r, 12, 10) << 3 | bits(r, 6, 6) << 2 | bits(r, 5, 5) << 6;
        if (f3 == 2) set(d, RV_OP_LW, rdp, rs1p, 0, (int32_t)uimm);
        else set(d, RV_OP_SW, 0, rs1p, rdp, (int32_t)uimm);
        return;
    case 004:           /* reserved */
        return;

    /* quadrant 1 */
    case 010:           /* c.addi (rd=0: c.nop / hints) */
        set(d, RV_OP_ADDI, rd, rd, 0, imm6);
        return;
    case 011:           /* c.addiw; rd=0 reserved */
        if (rd) set(d, RV_OP_ADDIW, rd, rd, 0, imm6);
        return;
    case 012:           /* c.li */
        set(d, RV_OP_ADDI, rd, 0, 0, imm6);
        return;
    case 013:
        if (rd == 2) {  /* c.addi16sp */
            int32_t nz = sext(bits(r, 12, 12) << 9 | bits(r, 6, 6) << 4 | bits(r, 5, 5) << 6 |
                              bits(r, 4, 3) << 7 | bits(r, 2, 2) << 5, 10);
            if (nz) set(d, RV_OP_ADDI, 2, 2, 0, nz);
        } else if (imm6) {  /* c.lui; rd=0 is a hint */
            set(d, RV_OP_LUI, rd, 0, 0, (int32_t)((uint32_t)imm6 << 12));
        }
        return;
    case 014:
        switch (bits(r, 11, 10)) {
        case 0:         /* c.srli (shamt 0: hint) */
            set(d, RV_OP_SRLI, rs1p, rs1p, 0, (int32_t)(bits(r, 12, 12) << 5 | bits(r, 6, 2)));
            return;
        case 1:         /* c.srai */
            set(d, RV_OP_SRAI, rs1p, rs1p, 0, (int32_t)(bits(r, 12, 12) << 5 | bits(r, 6, 2)));
            return;
        case 2:         /* c.andi */
            set(d, RV_OP_ANDI, rs1p, rs1p, 0, imm6);
            return;
        default: {
            static const unsigned ca[8] = { RV_OP_SUB, RV_OP_XOR, RV_OP_OR, RV_OP_AND,
                                            RV_OP_SUBW, RV_OP_ADDW, 0, 0 };
            set(d, ca[bits(r, 12, 12) << 2 | bits(r, 6, 5)], rs1p, rs1p, rdp, 0);
            return;
        }
        }
    case 015:           /* c.j */
        set(d, RV_OP_JAL, 0, 0, 0,
            sext(bits(r, 12, 12) << 11 | bits(r, 11, 11) << 4 | bits(r, 10, 9) << 8 |
                 bits(r, 8, 8) << 10 | bits(r, 7, 7) << 6 | bits(r, 6, 6) << 7 |
                 bits(r, 5, 3) << 1 | bits(r, 2, 2) << 5, 12));
        return;
    case 016: case 017: /* c.beqz c.bnez */
        set(d, f3 == 6 ? RV_OP_BEQ : RV_OP_BNE, 0, rs1p, 0,
            sext(bits(r, 12, 12) << 8 | bits(r, 11, 10) << 3 | bits(r, 6, 5) << 6 |
                 bits(r, 4, 3) << 1 | bits(r, 2, 2) << 5, 9));
        return;

    /* quadrant 2 */
    case 020:           /* c.slli (rd=0 or shamt=0: hint) */
        set(d, RV_OP_SLLI, rd, rd, 0, (int32_t)(bits(r, 12, 12) << 5 | bits(r, 6, 2)));
        return;
    case 021: case 023: /* c.fldsp c.ldsp */
        uimm = bits(r, 12, 12) << 5 | bits(r, 6, 5) << 3 | bits(r, 4, 2) << 6;
        if (f3 == 1) set(d, RV_OP_FLD, rd, 2, 0, (int32_t)uimm);
        else if (rd) set(d, RV_OP_LD, rd, 2, 0, (int32_t)uimm);
        return;
    case 022:           /* c.lwsp; rd=0 reserved */
        uimm = bits(r, 12, 12) << 5 | bits(r, 6, 4) << 2 | bits(r, 3, 2) << 6;
        if (rd) set(d, RV_OP_LW, rd, 2, 0, (int32_t)uimm);
        return;
    case 024:
        if (!bits(r, 12, 12)) {
            if (rs2 == 0) {             /* c.jr; rs1=0 reserved */
                if (rd) set(d, RV_OP_JALR, 0, rd, 0, 0);
            } else {                    /* c.mv (rd=0: hint) */
                set(d, RV_OP_ADD, rd, 0, rs2, 0);
            }
        } else {
            if (rs2 == 0 && rd == 0) set(d, RV_OP_EBREAK, 0, 0, 0, 0);
            else if (rs2 == 0) set(d, RV_OP_JALR, 1, rd, 0, 0);     /* c.jalr */
            else set(d, RV_OP_ADD, rd, rd, rs2, 0);                  /* c.add */
        }
        return;
    case 025: case 027: /* c.fsdsp c.sdsp */
        uimm = bits(r, 12, 10) << 3 | bits(r, 9, 7) << 6;
        set(d, f3 == 5 ? RV_OP_FSD : RV_OP_SD, 0, 2, rs2, (int32_t)uimm);
        return;
    case 026:           /* c.swsp */
        uimm = bits(r, 12, 9) << 2 | bits(r, 8, 7) << 6;
        set(d, RV_OP_SW, 0, 2, rs2, (int32_t)uimm);
        return;
    }
}

unsigned rv_decode(uint32_t bits32, struct rv_insn *d)
{
    *d = (struct rv_insn){ .op = RV_OP_ILLEGAL };
    if ((bits32 & 3) != 3) {
        d->len = 2;
        d->raw = bits32 & 0xffff;
        decode16(d->raw, d);
    } else {
        d->len = 4;
        d->raw = bits32;
        /* 48-bit and longer encodings (low bits 11111) are not supported */
        if ((bits32 & 0x1f) != 0x1f)
            decode32(bits32, d);
    }
    if (d->op == RV_OP_ILLEGAL) {
        uint32_t raw = d->raw;
        uint8_t len = d->len;
        *d = (struct rv_insn){ .op = RV_OP_ILLEGAL, .len = len, .raw = raw };
        return len;
    }
    /* fields the op does not use (function codes in rs2 etc.) read as 0 */
    unsigned f = rv_op_flags(d->op);
    if (!(f & (RV_F_RD_X | RV_F_RD_F)))
        d->rd = 0;
    if (!(f & (RV_F_RS1_X | RV_F_RS1_F)) && d->op != RV_OP_CSRRWI &&
        d->op != RV_OP_CSRRSI && d->op != RV_OP_CSRRCI)
        d->rs1 = 0;
    if (!(f & (RV_F_RS2_X | RV_F_RS2_F)))
        d->rs2 = 0;
    return d->len;
}
