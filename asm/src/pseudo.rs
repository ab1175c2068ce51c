//! Pseudo-instructions: their names, operand shapes and sizes. Expansion into real
//! instructions happens in the assembler's second pass.

/// A pseudo-instruction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Pseudo {
    /// `nop` = `addi r0, r0, 0`.
    Nop,
    /// `mv rd, rs` = `addi rd, rs, 0`.
    Mv,
    /// `li rd, imm`: `addi rd, r0, imm` or `lui` + `addi`.
    Li,
    /// `la rd, sym`: always `lui` + `addi`.
    La,
    /// `j target` = `jal r0, target`.
    J,
    /// `call target` = `jal ra, target`.
    Call,
    /// `ret` = `jalr r0, 0(ra)`.
    Ret,
    /// `beqz rs, t` = `beq rs, r0, t`.
    Beqz,
    /// `bnez rs, t` = `bne rs, r0, t`.
    Bnez,
    /// `bgt a, b, t` = `blt b, a, t`.
    Bgt,
    /// `ble a, b, t` = `bge b, a, t`.
    Ble,
    /// `bgtu a, b, t` = `bltu b, a, t`.
    Bgtu,
    /// `bleu a, b, t` = `bgeu b, a, t`.
    Bleu,
    /// `not rd, rs` = `xori rd, rs, -1`.
    Not,
    /// `neg rd, rs` = `sub rd, r0, rs`.
    Neg,
}

/// Every pseudo-instruction with its mnemonic, syntax and expansion (for docs and errors).
pub const PSEUDOS: &[(&str, Pseudo, &str, &str)] = &[
    ("nop", Pseudo::Nop, "nop", "addi r0, r0, 0"),
    ("mv", Pseudo::Mv, "mv rd, rs", "addi rd, rs, 0"),
    (
        "li",
        Pseudo::Li,
        "li rd, imm",
        "addi rd, r0, imm | lui rd, hi; addi rd, rd, lo",
    ),
    (
        "la",
        Pseudo::La,
        "la rd, sym",
        "lui rd, hi; addi rd, rd, lo",
    ),
    ("j", Pseudo::J, "j target", "jal r0, target"),
    ("call", Pseudo::Call, "call target", "jal ra, target"),
    ("ret", Pseudo::Ret, "ret", "jalr r0, 0(ra)"),
    (
        "beqz",
        Pseudo::Beqz,
        "beqz rs, target",
        "beq rs, r0, target",
    ),
    (
        "bnez",
        Pseudo::Bnez,
        "bnez rs, target",
        "bne rs, r0, target",
    ),
    (
        "bgt",
        Pseudo::Bgt,
        "bgt rs1, rs2, target",
        "blt rs2, rs1, target",
    ),
    (
        "ble",
        Pseudo::Ble,
        "ble rs1, rs2, target",
        "bge rs2, rs1, target",
    ),
    (
        "bgtu",
        Pseudo::Bgtu,
        "bgtu rs1, rs2, target",
        "bltu rs2, rs1, target",
    ),
    (
        "bleu",
        Pseudo::Bleu,
        "bleu rs1, rs2, target",
        "bgeu rs2, rs1, target",
    ),
    ("not", Pseudo::Not, "not rd, rs", "xori rd, rs, -1"),
    ("neg", Pseudo::Neg, "neg rd, rs", "sub rd, r0, rs"),
];

impl Pseudo {
    /// Table row of this pseudo-instruction.
    pub fn row(self) -> &'static (&'static str, Pseudo, &'static str, &'static str) {
        PSEUDOS.iter().find(|r| r.1 == self).unwrap_or(&PSEUDOS[0])
    }

    /// Number of assembly operands.
    pub fn arity(self) -> usize {
        match self {
            Pseudo::Nop | Pseudo::Ret => 0,
            Pseudo::J | Pseudo::Call => 1,
            Pseudo::Mv | Pseudo::Li | Pseudo::La | Pseudo::Beqz | Pseudo::Bnez => 2,
            Pseudo::Not | Pseudo::Neg => 2,
            Pseudo::Bgt | Pseudo::Ble | Pseudo::Bgtu | Pseudo::Bleu => 3,
        }
    }
}

/// Split a 32-bit value into `lui`/`addi` parts: `hi = (v + 0x1000) >> 13`,
/// `lo = v - (hi << 13)`, with `hi` reduced to the 19-bit `lui` field.
pub fn split_hi_lo(v: i64) -> (i32, i32) {
    bitloom_isa::instr::split_hi_lo(v as u32)
}
