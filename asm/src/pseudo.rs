//! Pseudo-instructions: their names, operand shapes, sizes and expansions. Every field width
//! they depend on (branch and jump reach, the one-instruction `li` range) is read from the
//! instruction table of `bitloom-isa`, through the instructions they expand to. Expansion into
//! real instructions happens in the assembler's second pass.

use bitloom_isa::table::def;
use bitloom_isa::{Opcode, Operand, OperandKind};

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

    /// The one instruction this pseudo-instruction stands for, with where each of its
    /// operands comes from (in the instruction's operand order). `None` for `li` and `la`,
    /// which are `addi` or `lui` + `addi` depending on the value (see [`li_short_range`] and
    /// [`split_hi_lo`]).
    pub fn expansion(self) -> Option<(Opcode, &'static [Part])> {
        use Part::{Arg, Fixed};
        const R0: Part = Fixed(Operand::Gpr(0));
        const RA: Part = Fixed(Operand::Gpr(1));
        Some(match self {
            Pseudo::Nop => (Opcode::Addi, &[R0, R0, Fixed(Operand::Imm(0))]),
            Pseudo::Mv => (Opcode::Addi, &[Arg(0), Arg(1), Fixed(Operand::Imm(0))]),
            Pseudo::Not => (Opcode::Xori, &[Arg(0), Arg(1), Fixed(Operand::Imm(-1))]),
            Pseudo::Neg => (Opcode::Sub, &[Arg(0), R0, Arg(1)]),
            Pseudo::J => (Opcode::Jal, &[R0, Arg(0)]),
            Pseudo::Call => (Opcode::Jal, &[RA, Arg(0)]),
            Pseudo::Ret => (
                Opcode::Jalr,
                &[R0, Fixed(Operand::Mem { disp: 0, base: 1 })],
            ),
            Pseudo::Beqz => (Opcode::Beq, &[Arg(0), R0, Arg(1)]),
            Pseudo::Bnez => (Opcode::Bne, &[Arg(0), R0, Arg(1)]),
            Pseudo::Bgt => (Opcode::Blt, &[Arg(1), Arg(0), Arg(2)]),
            Pseudo::Ble => (Opcode::Bge, &[Arg(1), Arg(0), Arg(2)]),
            Pseudo::Bgtu => (Opcode::Bltu, &[Arg(1), Arg(0), Arg(2)]),
            Pseudo::Bleu => (Opcode::Bgeu, &[Arg(1), Arg(0), Arg(2)]),
            Pseudo::Li | Pseudo::La => return None,
        })
    }

    /// Number of assembly operands.
    pub fn arity(self) -> usize {
        match self.expansion() {
            Some((_, parts)) => parts.iter().filter(|p| matches!(p, Part::Arg(_))).count(),
            // `li rd, imm`, `la rd, sym`.
            None => 2,
        }
    }
}

/// Where one operand of a pseudo-instruction's expansion comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The pseudo-instruction's operand of this index (0-based), read as the expansion's
    /// operand kind in the instruction table says (so a branch target has the branch's reach).
    Arg(usize),
    /// A fixed operand.
    Fixed(Operand),
}

/// Values `li rd, imm` loads with the single instruction `addi rd, r0, imm`: the range of
/// `addi`'s immediate. Other values take `lui` + `addi`.
pub fn li_short_range() -> (i64, i64) {
    def(Opcode::Addi)
        .operands
        .iter()
        .find(|o| matches!(o.kind, OperandKind::Imm { .. }))
        .map_or((0, -1), |o| o.kind.value_range())
}

/// The kind of `j`'s target: the pc-relative operand of the instruction `j` expands to.
pub fn jump_target_kind() -> OperandKind {
    Pseudo::J
        .expansion()
        .and_then(|(op, _)| {
            def(op)
                .operands
                .iter()
                .map(|o| o.kind)
                .find(|k| matches!(k, OperandKind::PcRel { .. }))
        })
        .unwrap_or(OperandKind::PcRel { bits: 0 })
}

/// Split a 32-bit value into `lui`/`addi` parts: `hi = (v + 0x1000) >> 13`,
/// `lo = v - (hi << 13)`, with `hi` reduced to the 19-bit `lui` field.
pub fn split_hi_lo(v: i64) -> (i32, i32) {
    bitloom_isa::instr::split_hi_lo(v as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each expansion has the operand count of its instruction, uses the pseudo-instruction's
    /// operands exactly once each, and is what the `PSEUDOS` table shows.
    #[test]
    fn expansions_match_the_table() {
        for &(mn, p, syntax, shown) in PSEUDOS {
            let Some((op, parts)) = p.expansion() else {
                assert!(matches!(p, Pseudo::Li | Pseudo::La));
                continue;
            };
            let d = def(op);
            assert_eq!(parts.len(), d.operands.len(), "{mn}");
            let mut args: Vec<usize> = parts
                .iter()
                .filter_map(|p| match p {
                    Part::Arg(i) => Some(*i),
                    Part::Fixed(_) => None,
                })
                .collect();
            args.sort();
            assert_eq!(args, (0..p.arity()).collect::<Vec<_>>(), "{mn}");
            let names: Vec<&str> = syntax
                .split_once(' ')
                .map_or(vec![], |(_, ops)| ops.split(", ").collect());
            assert_eq!(names.len(), p.arity(), "{mn}");
            let ops: Vec<String> = parts
                .iter()
                .map(|part| match part {
                    Part::Arg(i) => names[*i].to_string(),
                    Part::Fixed(Operand::Gpr(1)) => "ra".into(),
                    Part::Fixed(Operand::Gpr(n)) => format!("r{n}"),
                    Part::Fixed(Operand::Imm(v)) => v.to_string(),
                    Part::Fixed(Operand::Mem { disp, base: 1 }) => format!("{disp}(ra)"),
                    Part::Fixed(o) => panic!("{mn}: {o:?}"),
                })
                .collect();
            assert_eq!(format!("{} {}", d.mnemonic, ops.join(", ")), shown, "{mn}");
        }
    }

    #[test]
    fn widths_come_from_the_instruction_table() {
        assert_eq!(li_short_range(), (-8192, 8191));
        assert_eq!(jump_target_kind(), OperandKind::PcRel { bits: 19 });
    }
}
