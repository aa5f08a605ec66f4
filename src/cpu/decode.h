/*
 * decode.h — RISC-V instruction decoder (RV64IMAFDC + Zicsr + Zifencei +
 * the privileged instructions), kept apart from execution so that the
 * interpreter and a later binary translator share it.
 *
 * rv_decode() turns one 16- or 32-bit encoding into a struct rv_insn.
 * Compressed instructions expand into the same ops as their 32-bit forms
 * (c.addi -> ADDI, c.j -> JAL x0, ...), so consumers only know one
 * instruction set.  Reserved and unknown encodings decode to RV_OP_ILLEGAL;
 * HINT encodings decode to their (harmless) base instruction.
 *
 * The decoder is pure: no state, no allocation, no dependency on the rest
 * of Vessel.
 */
#ifndef VESSEL_CPU_DECODE_H
#define VESSEL_CPU_DECODE_H

#include <stddef.h>
#include <stdint.h>

/* Operand/behaviour flags of an op (rv_op_flags). */
enum {
    RV_F_RD_X   = 1 << 0,   /* writes integer register rd */
    RV_F_RD_F   = 1 << 1,   /* writes float register rd */
    RV_F_RS1_X  = 1 << 2,   /* reads integer rs1 */
    RV_F_RS1_F  = 1 << 3,
    RV_F_RS2_X  = 1 << 4,
    RV_F_RS2_F  = 1 << 5,
    RV_F_RS3_F  = 1 << 6,
    RV_F_LOAD   = 1 << 7,   /* reads memory */
    RV_F_STORE  = 1 << 8,   /* writes memory (AMOs are both) */
    RV_F_BRANCH = 1 << 9,   /* conditional branch: pc + imm if taken */
    RV_F_JUMP   = 1 << 10,  /* unconditional jump (jal, jalr) */
    RV_F_SYSTEM = 1 << 11,  /* may change privileged state: end a block */
    RV_F_FP     = 1 << 12,  /* needs mstatus.FS != Off */
    RV_F_RM     = 1 << 13,  /* has a rounding-mode field (rm) */
};

/* X(name, flags) for every op. */
#define RV_OPS(X) \
    X(ILLEGAL,  RV_F_SYSTEM) \
    /* RV64I */ \
    X(LUI,   RV_F_RD_X) \
    X(AUIPC, RV_F_RD_X) \
    X(JAL,   RV_F_RD_X | RV_F_JUMP) \
    X(JALR,  RV_F_RD_X | RV_F_RS1_X | RV_F_JUMP) \
    X(BEQ,   RV_F_RS1_X | RV_F_RS2_X | RV_F_BRANCH) \
    X(BNE,   RV_F_RS1_X | RV_F_RS2_X | RV_F_BRANCH) \
    X(BLT,   RV_F_RS1_X | RV_F_RS2_X | RV_F_BRANCH) \
    X(BGE,   RV_F_RS1_X | RV_F_RS2_X | RV_F_BRANCH) \
    X(BLTU,  RV_F_RS1_X | RV_F_RS2_X | RV_F_BRANCH) \
    X(BGEU,  RV_F_RS1_X | RV_F_RS2_X | RV_F_BRANCH) \
    X(LB,    RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(LH,    RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(LW,    RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(LD,    RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(LBU,   RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(LHU,   RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(LWU,   RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(SB,    RV_F_RS1_X | RV_F_RS2_X | RV_F_STORE) \
    X(SH,    RV_F_RS1_X | RV_F_RS2_X | RV_F_STORE) \
    X(SW,    RV_F_RS1_X | RV_F_RS2_X | RV_F_STORE) \
    X(SD,    RV_F_RS1_X | RV_F_RS2_X | RV_F_STORE) \
    X(ADDI,  RV_F_RD_X | RV_F_RS1_X) \
    X(SLTI,  RV_F_RD_X | RV_F_RS1_X) \
    X(SLTIU, RV_F_RD_X | RV_F_RS1_X) \
    X(XORI,  RV_F_RD_X | RV_F_RS1_X) \
    X(ORI,   RV_F_RD_X | RV_F_RS1_X) \
    X(ANDI,  RV_F_RD_X | RV_F_RS1_X) \
    X(SLLI,  RV_F_RD_X | RV_F_RS1_X) \
    X(SRLI,  RV_F_RD_X | RV_F_RS1_X) \
    X(SRAI,  RV_F_RD_X | RV_F_RS1_X) \
    X(ADD,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SUB,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SLL,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SLT,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SLTU,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(XOR,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SRL,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SRA,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(OR,    RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(AND,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(ADDIW, RV_F_RD_X | RV_F_RS1_X) \
    X(SLLIW, RV_F_RD_X | RV_F_RS1_X) \
    X(SRLIW, RV_F_RD_X | RV_F_RS1_X) \
    X(SRAIW, RV_F_RD_X | RV_F_RS1_X) \
    X(ADDW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SUBW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SLLW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SRLW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(SRAW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(FENCE, 0)                       /* imm = fm<<8 | pred<<4 | succ */ \
    X(FENCE_I, RV_F_SYSTEM) \
    X(ECALL,  RV_F_SYSTEM) \
    X(EBREAK, RV_F_SYSTEM) \
    /* Zicsr: imm = CSR number; the *I forms carry the 5-bit uimm in rs1 */ \
    X(CSRRW,  RV_F_RD_X | RV_F_RS1_X | RV_F_SYSTEM) \
    X(CSRRS,  RV_F_RD_X | RV_F_RS1_X | RV_F_SYSTEM) \
    X(CSRRC,  RV_F_RD_X | RV_F_RS1_X | RV_F_SYSTEM) \
    X(CSRRWI, RV_F_RD_X | RV_F_SYSTEM) \
    X(CSRRSI, RV_F_RD_X | RV_F_SYSTEM) \
    X(CSRRCI, RV_F_RD_X | RV_F_SYSTEM) \
    /* privileged */ \
    X(MRET,   RV_F_SYSTEM) \
    X(SRET,   RV_F_SYSTEM) \
    X(WFI,    RV_F_SYSTEM) \
    X(SFENCE_VMA, RV_F_RS1_X | RV_F_RS2_X | RV_F_SYSTEM) \
    /* M */ \
    X(MUL,    RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(MULH,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(MULHSU, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(MULHU,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(DIV,    RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(DIVU,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(REM,    RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(REMU,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(MULW,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(DIVW,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(DIVUW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(REMW,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    X(REMUW,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X) \
    /* A: rm = aq<<1 | rl */ \
    X(LR_W,      RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(SC_W,      RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_STORE) \
    X(AMOSWAP_W, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOADD_W,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOXOR_W,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOAND_W,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOOR_W,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMIN_W,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMAX_W,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMINU_W, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMAXU_W, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(LR_D,      RV_F_RD_X | RV_F_RS1_X | RV_F_LOAD) \
    X(SC_D,      RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_STORE) \
    X(AMOSWAP_D, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOADD_D,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOXOR_D,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOAND_D,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOOR_D,   RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMIN_D,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMAX_D,  RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMINU_D, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    X(AMOMAXU_D, RV_F_RD_X | RV_F_RS1_X | RV_F_RS2_X | RV_F_LOAD | RV_F_STORE) \
    /* F and D */ \
    X(FLW, RV_F_RD_F | RV_F_RS1_X | RV_F_LOAD | RV_F_FP) \
    X(FLD, RV_F_RD_F | RV_F_RS1_X | RV_F_LOAD | RV_F_FP) \
    X(FSW, RV_F_RS1_X | RV_F_RS2_F | RV_F_STORE | RV_F_FP) \
    X(FSD, RV_F_RS1_X | RV_F_RS2_F | RV_F_STORE | RV_F_FP) \
    RV_FP_OPS(X, S) \
    RV_FP_OPS(X, D) \
    X(FCVT_S_D, RV_F_RD_F | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FCVT_D_S, RV_F_RD_F | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FMV_X_W,  RV_F_RD_X | RV_F_RS1_F | RV_F_FP) \
    X(FMV_W_X,  RV_F_RD_F | RV_F_RS1_X | RV_F_FP) \
    X(FMV_X_D,  RV_F_RD_X | RV_F_RS1_F | RV_F_FP) \
    X(FMV_D_X,  RV_F_RD_F | RV_F_RS1_X | RV_F_FP)

/* The arithmetic ops that exist for both S and D. */
#define RV_FFF  (RV_F_RD_F | RV_F_RS1_F | RV_F_RS2_F | RV_F_FP)
#define RV_FP_OPS(X, T) \
    X(FMADD_##T,  RV_FFF | RV_F_RS3_F | RV_F_RM) \
    X(FMSUB_##T,  RV_FFF | RV_F_RS3_F | RV_F_RM) \
    X(FNMSUB_##T, RV_FFF | RV_F_RS3_F | RV_F_RM) \
    X(FNMADD_##T, RV_FFF | RV_F_RS3_F | RV_F_RM) \
    X(FADD_##T,   RV_FFF | RV_F_RM) \
    X(FSUB_##T,   RV_FFF | RV_F_RM) \
    X(FMUL_##T,   RV_FFF | RV_F_RM) \
    X(FDIV_##T,   RV_FFF | RV_F_RM) \
    X(FSQRT_##T,  RV_F_RD_F | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FSGNJ_##T,  RV_FFF) \
    X(FSGNJN_##T, RV_FFF) \
    X(FSGNJX_##T, RV_FFF) \
    X(FMIN_##T,   RV_FFF) \
    X(FMAX_##T,   RV_FFF) \
    X(FEQ_##T,    RV_F_RD_X | RV_F_RS1_F | RV_F_RS2_F | RV_F_FP) \
    X(FLT_##T,    RV_F_RD_X | RV_F_RS1_F | RV_F_RS2_F | RV_F_FP) \
    X(FLE_##T,    RV_F_RD_X | RV_F_RS1_F | RV_F_RS2_F | RV_F_FP) \
    X(FCLASS_##T, RV_F_RD_X | RV_F_RS1_F | RV_F_FP) \
    X(FCVT_W_##T,  RV_F_RD_X | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FCVT_WU_##T, RV_F_RD_X | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FCVT_L_##T,  RV_F_RD_X | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FCVT_LU_##T, RV_F_RD_X | RV_F_RS1_F | RV_F_FP | RV_F_RM) \
    X(FCVT_##T##_W,  RV_F_RD_F | RV_F_RS1_X | RV_F_FP | RV_F_RM) \
    X(FCVT_##T##_WU, RV_F_RD_F | RV_F_RS1_X | RV_F_FP | RV_F_RM) \
    X(FCVT_##T##_L,  RV_F_RD_F | RV_F_RS1_X | RV_F_FP | RV_F_RM) \
    X(FCVT_##T##_LU, RV_F_RD_F | RV_F_RS1_X | RV_F_FP | RV_F_RM)

enum rv_op {
#define RV_OP_ENUM(name, flags) RV_OP_##name,
    RV_OPS(RV_OP_ENUM)
#undef RV_OP_ENUM
    RV_OP_COUNT
};

/* rm value meaning "use frm" */
#define RV_RM_DYN 7

/* One decoded instruction.  Register fields not used by the op are 0. */
struct rv_insn {
    uint8_t  op;        /* enum rv_op */
    uint8_t  rd, rs1, rs2, rs3;
    uint8_t  rm;        /* FP rounding mode (0..4, RV_RM_DYN); AMO aq<<1|rl */
    uint8_t  len;       /* 2 or 4 bytes */
    uint8_t  pad;
    int32_t  imm;       /* sign-extended immediate / CSR number / shamt */
    uint32_t raw;       /* the encoding (16 bits for compressed ones) */
};

/* Length in bytes of the instruction whose low 16 bits are given. */
static inline unsigned rv_insn_length(uint32_t low16)
{
    return (low16 & 3) == 3 ? 4 : 2;
}

/* Decode the instruction in the low 16 or 32 bits of `bits` (a compressed
 * one ignores the upper half).  Returns its length. */
unsigned rv_decode(uint32_t bits, struct rv_insn *d);

const char *rv_op_name(unsigned op);        /* "ADDI", "FCVT_W_S", ... */
/* The assembler mnemonic ("addi", "fcvt.w.s") into buf. */
void        rv_op_mnemonic(unsigned op, char *buf, size_t size);
unsigned    rv_op_flags(unsigned op);       /* RV_F_* */

#endif
