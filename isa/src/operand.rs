//! Operand kinds and their placement in a 32-bit instruction word.
//!
//! Every operand of every instruction is described by an [`OperandSpec`]: what kind of value it
//! is (which decides how it is parsed and printed) and where its bits live in the word (which
//! decides how it is encoded and decoded). Nothing else in the toolchain knows bit positions.

use std::fmt;

/// Which scratchpad a tile lives in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Space {
    /// Weight scratchpad.
    Wsp = 0,
    /// Activation scratchpad.
    Asp = 1,
    /// Accumulator scratchpad (32-bit elements).
    Acc = 2,
}

impl Space {
    /// All spaces, in encoding order.
    pub const ALL: [Space; 3] = [Space::Wsp, Space::Asp, Space::Acc];

    /// The assembly keyword for this space.
    pub fn name(self) -> &'static str {
        match self {
            Space::Wsp => "wsp",
            Space::Asp => "asp",
            Space::Acc => "acc",
        }
    }

    /// Parse an assembly keyword (case-insensitive).
    pub fn from_name(s: &str) -> Option<Space> {
        Space::ALL
            .into_iter()
            .find(|sp| sp.name().eq_ignore_ascii_case(s))
    }

    /// Decode the 2-bit encoding field.
    pub fn from_bits(v: u32) -> Option<Space> {
        Space::ALL.get(v as usize).copied()
    }
}

impl fmt::Display for Space {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What an operand is. The kind fixes the field width for registers; immediates carry theirs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OperandKind {
    /// General register `r0`..`r31` (aliases `zero`, `ra`, `sp`, `fp`), 5-bit field.
    Gpr,
    /// Tile register `t0`..`t15`, 4-bit field.
    Tile,
    /// Configuration/status register, by name or number, 8-bit field.
    Csr,
    /// Scratchpad keyword `wsp`/`asp`/`acc`, 2-bit field.
    Space,
    /// Element precision 1..8 bits, stored as `p - 1` in a 3-bit field.
    Prec,
    /// Immediate of `bits` bits, two's complement if `signed`.
    Imm { bits: u8, signed: bool },
    /// PC-relative target: a signed word offset of `bits` bits. In assembly it is written as an
    /// absolute address or label; the encoder stores `(target - pc) / 4`.
    PcRel { bits: u8 },
    /// Memory operand `disp(base)`: a signed `bits`-bit byte displacement at `lo` and a
    /// general register at `base_lo`.
    Mem { bits: u8, base_lo: u8 },
}

impl OperandKind {
    /// Width in bits of the main field.
    pub const fn width(self) -> u8 {
        match self {
            OperandKind::Gpr => 5,
            OperandKind::Tile => 4,
            OperandKind::Csr => 8,
            OperandKind::Space => 2,
            OperandKind::Prec => 3,
            OperandKind::Imm { bits, .. }
            | OperandKind::PcRel { bits }
            | OperandKind::Mem { bits, .. } => bits,
        }
    }

    /// Human description used in diagnostics ("expected a tile register").
    pub fn describe(self) -> &'static str {
        match self {
            OperandKind::Gpr => "a general register (r0..r31)",
            OperandKind::Tile => "a tile register (t0..t15)",
            OperandKind::Csr => "a configuration register name",
            OperandKind::Space => "a scratchpad (wsp, asp or acc)",
            OperandKind::Prec => "a precision in bits (1..8)",
            OperandKind::Imm { .. } => "an immediate",
            OperandKind::PcRel { .. } => "a branch target (label or address)",
            OperandKind::Mem { .. } => "a memory operand disp(reg)",
        }
    }

    /// Inclusive range of the *value* this operand accepts (before scaling), for immediates
    /// and targets. For `PcRel` this is the byte-offset range.
    pub fn value_range(self) -> (i64, i64) {
        match self {
            OperandKind::Gpr => (0, 31),
            OperandKind::Tile => (0, 15),
            OperandKind::Csr => (0, 255),
            OperandKind::Space => (0, 2),
            OperandKind::Prec => (1, 8),
            OperandKind::Imm {
                bits,
                signed: false,
            } => (0, (1i64 << bits) - 1),
            OperandKind::Imm { bits, signed: true } | OperandKind::Mem { bits, .. } => {
                (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
            }
            OperandKind::PcRel { bits } => {
                (-(1i64 << (bits - 1)) * 4, ((1i64 << (bits - 1)) - 1) * 4)
            }
        }
    }
}

/// How an instruction uses one of its operands (like iced-x86's `OpAccess`): whether it reads
/// the value the operand names, writes it, or both. Set per operand in the instruction table
/// and checked against each row's semantics by `tests/roles.rs`.
///
/// - General registers: the register's value. A memory operand `disp(rs1)` is [`Role::Read`]:
///   its base register is read (the memory it addresses is not an operand).
/// - Tile registers: the tile's elements, or, for `tdef`, its definition. Reading a tile's
///   shape, precision, format or zero-point does not count (every tile operand does that),
///   and neither does updating its `nnz`/`storage` bookkeeping alone (`dchk` reads its tile).
/// - Configuration registers and the `lut` number of `set.lut`: the register or table the
///   field selects (`cfg`/`cfgi`/`set.lut` write it, `csrr` reads it).
/// - Every other immediate, scratchpad, precision and branch target: [`Role::Read`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub enum Role {
    /// Read, not written.
    Read,
    /// Written, not read.
    Write,
    /// Read, then written (an accumulator, a loop counter).
    ReadWrite,
}

impl Role {
    /// Whether the instruction reads the operand.
    pub const fn reads(self) -> bool {
        matches!(self, Role::Read | Role::ReadWrite)
    }

    /// Whether the instruction writes the operand.
    pub const fn writes(self) -> bool {
        matches!(self, Role::Write | Role::ReadWrite)
    }

    /// `read`, `write` or `read-write` (docs/ISA.md, `bitloom isa`).
    pub const fn name(self) -> &'static str {
        match self {
            Role::Read => "read",
            Role::Write => "write",
            Role::ReadWrite => "read-write",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One operand of an instruction: its kind, the lowest bit of its field, its name in the
/// spec (`rd`, `rs1`, `tw`, ...) and whether the instruction reads or writes it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OperandSpec {
    /// Name used in the syntax line and the semantics of docs/ISA.md.
    pub name: &'static str,
    /// What the operand is.
    pub kind: OperandKind,
    /// Lowest bit of the operand's field in the instruction word.
    pub lo: u8,
    /// Whether the instruction reads, writes, or reads and writes the operand.
    pub role: Role,
}

/// A decoded operand value. `PcRel` holds the *byte offset* from the instruction's own address.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Operand {
    /// General register number.
    Gpr(u8),
    /// Tile register number.
    Tile(u8),
    /// Config/status register number.
    Csr(u8),
    /// Scratchpad.
    Space(Space),
    /// Precision in bits, 1..8.
    Prec(u8),
    /// Immediate value (already sign-extended when the field is signed).
    Imm(i32),
    /// Byte offset relative to the instruction address.
    PcRel(i32),
    /// `disp(base)`.
    Mem { disp: i32, base: u8 },
}

/// Mask of `bits` low bits.
pub(crate) const fn mask(bits: u8) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// Sign-extend the low `bits` bits of `v`.
pub(crate) const fn sext(v: u32, bits: u8) -> i32 {
    let sh = 32 - bits as u32;
    ((v << sh) as i32) >> sh
}

/// Register names accepted by the assembler besides `rN`.
pub const GPR_ALIASES: [(&str, u8); 4] = [("zero", 0), ("ra", 1), ("sp", 2), ("fp", 8)];

/// Parse a general register name (`r7`, `zero`, `sp`, ...), case-insensitive.
pub fn parse_gpr(s: &str) -> Option<u8> {
    let l = s.to_ascii_lowercase();
    if let Some(&(_, n)) = GPR_ALIASES.iter().find(|(a, _)| *a == l) {
        return Some(n);
    }
    let n: u8 = l.strip_prefix('r')?.parse().ok()?;
    (n < 32 && !l[1..].starts_with('+')).then_some(n)
}

/// Parse a tile register name `t0`..`t15`, case-insensitive.
pub fn parse_tile(s: &str) -> Option<u8> {
    let l = s.to_ascii_lowercase();
    let d = l.strip_prefix('t')?;
    if d.is_empty() || !d.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u8 = d.parse().ok()?;
    (n < 16).then_some(n)
}
