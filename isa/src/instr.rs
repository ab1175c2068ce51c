//! Decoded instructions and the table-driven encoder, decoder and printer.
//!
//! `decode(encode(i)) == i` and "parse(print(i)) == i" hold for every row of the table; both
//! directions read the same [`OperandSpec`]s, so they cannot drift apart.

use std::fmt::Write as _;

use crate::operand::{mask, sext, Operand, OperandKind, OperandSpec, Space};
use crate::table::{def, def_by_byte, InstrDef, Opcode};

/// Most operands any instruction has.
pub const MAX_OPERANDS: usize = 5;

/// A decoded instruction: opcode plus operand values in assembly order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Instr {
    /// The opcode.
    pub op: Opcode,
    ops: [Operand; MAX_OPERANDS],
    len: u8,
}

/// Why a word could not be decoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Opcode byte not in the table.
    #[error("illegal instruction 0x{word:08x}: opcode 0x{opcode:02x} is not defined")]
    UnknownOpcode {
        /// The whole word.
        word: u32,
        /// Its opcode byte.
        opcode: u8,
    },
    /// Bits outside every field are set.
    #[error(
        "illegal instruction 0x{word:08x}: reserved bits 0x{bits:08x} of `{mnemonic}` are not zero"
    )]
    ReservedBits {
        /// The whole word.
        word: u32,
        /// The offending bits.
        bits: u32,
        /// Mnemonic of the opcode.
        mnemonic: &'static str,
    },
    /// A field holds a value that names nothing (scratchpad 3, unknown CSR).
    #[error("illegal instruction 0x{word:08x}: operand `{operand}` of `{mnemonic}` has undefined value {value}")]
    BadField {
        /// The whole word.
        word: u32,
        /// Mnemonic.
        mnemonic: &'static str,
        /// Operand name.
        operand: &'static str,
        /// Field value.
        value: u32,
    },
}

/// Why operands could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// Wrong number of operands.
    #[error("`{mnemonic}` takes {expected} operand(s), found {found}")]
    Arity {
        /// Mnemonic.
        mnemonic: &'static str,
        /// Operands in the table.
        expected: usize,
        /// Operands given.
        found: usize,
    },
    /// Operand of the wrong kind.
    #[error("operand {index} of `{mnemonic}` must be {expected}")]
    Kind {
        /// Mnemonic.
        mnemonic: &'static str,
        /// 1-based operand position.
        index: usize,
        /// What was expected.
        expected: &'static str,
    },
    /// Value outside the field's range.
    #[error("{what} {value} out of range for `{mnemonic}` (must be {lo}..={hi}{align})")]
    Range {
        /// Mnemonic.
        mnemonic: &'static str,
        /// What the value is ("immediate", "branch offset").
        what: &'static str,
        /// The value.
        value: i64,
        /// Lowest legal value.
        lo: i64,
        /// Highest legal value.
        hi: i64,
        /// Extra requirement text (", a multiple of 4").
        align: &'static str,
    },
    /// CSR number that is not defined.
    #[error("undefined configuration register number {0}")]
    UnknownCsr(i64),
}

impl Instr {
    /// Build an instruction from operands; checks arity and kinds but not ranges (see [`Instr::encode`]).
    pub fn new(op: Opcode, operands: &[Operand]) -> Result<Instr, EncodeError> {
        let d = def(op);
        check_operands(d, operands)?;
        let mut ops = [Operand::Imm(0); MAX_OPERANDS];
        ops[..operands.len()].copy_from_slice(operands);
        Ok(Instr {
            op,
            ops,
            len: operands.len() as u8,
        })
    }

    /// The table row of this instruction.
    pub fn def(&self) -> &'static InstrDef {
        def(self.op)
    }

    /// Operand values in assembly order.
    pub fn operands(&self) -> &[Operand] {
        &self.ops[..self.len as usize]
    }

    /// Encode to a 32-bit word, checking every field's range.
    ///
    /// Never panics: [`Instr::op`] is a public field, so an instruction built by
    /// [`Instr::new`] for one opcode can have its opcode replaced by one whose operand list
    /// differs; that is reported as [`EncodeError::Arity`] or [`EncodeError::Kind`], like the
    /// same mistake in [`Instr::new`].
    pub fn encode(&self) -> Result<u32, EncodeError> {
        let d = self.def();
        check_operands(d, self.operands())?;
        let mut w = self.op as u32;
        for (i, (spec, val)) in d.operands.iter().zip(self.operands()).enumerate() {
            w |= encode_field(d, i, spec, val)?;
        }
        Ok(w)
    }

    /// The tile registers this instruction reads and writes, as bit masks (bit `t` stands for
    /// `t{t}`), from the operands' [`Role`](crate::operand::Role)s. A tile that is read and
    /// written (`tacc` of `bsmac`) is in both.
    pub fn tile_reads_writes(&self) -> (u16, u16) {
        let (mut reads, mut writes) = (0u16, 0u16);
        for (spec, val) in self.def().operands.iter().zip(self.operands()) {
            if let Operand::Tile(t) = *val {
                let bit = 1u16 << (t & 15);
                if spec.role.reads() {
                    reads |= bit;
                }
                if spec.role.writes() {
                    writes |= bit;
                }
            }
        }
        (reads, writes)
    }

    /// The general registers this instruction reads and writes, as bit masks (bit `r` stands
    /// for `r{r}`; `r0` is included when named, although writes to it are discarded), from
    /// the operands' roles. The base register of a `disp(rs1)` operand is read.
    pub fn gpr_reads_writes(&self) -> (u32, u32) {
        let (mut reads, mut writes) = (0u32, 0u32);
        for (spec, val) in self.def().operands.iter().zip(self.operands()) {
            let r = match *val {
                Operand::Gpr(r) | Operand::Mem { base: r, .. } => r,
                _ => continue,
            };
            let bit = 1u32 << (r & 31);
            if spec.role.reads() {
                reads |= bit;
            }
            if spec.role.writes() {
                writes |= bit;
            }
        }
        (reads, writes)
    }

    /// Decode a 32-bit word.
    pub fn decode(word: u32) -> Result<Instr, DecodeError> {
        let opcode = (word & 0xff) as u8;
        let d = def_by_byte(opcode).ok_or(DecodeError::UnknownOpcode { word, opcode })?;
        let extra = word & !d.used_bits();
        if extra != 0 {
            return Err(DecodeError::ReservedBits {
                word,
                bits: extra,
                mnemonic: d.mnemonic,
            });
        }
        let mut ops = [Operand::Imm(0); MAX_OPERANDS];
        for (i, spec) in d.operands.iter().enumerate() {
            ops[i] = decode_field(word, d, spec)?;
        }
        Ok(Instr {
            op: d.opcode,
            ops,
            len: d.operands.len() as u8,
        })
    }

    /// Print in assembly syntax. `pc` is the instruction's address (to turn PC-relative
    /// offsets into targets); `symbol` may name a target address.
    pub fn format(&self, pc: u32, symbol: &dyn Fn(u32) -> Option<String>) -> String {
        let d = self.def();
        let mut s = String::with_capacity(32);
        s.push_str(d.mnemonic);
        for (i, val) in self.operands().iter().enumerate() {
            s.push_str(if i == 0 { " " } else { ", " });
            let _ = match *val {
                Operand::Gpr(r) => write!(s, "r{r}"),
                Operand::Tile(t) => write!(s, "t{t}"),
                Operand::Csr(c) => match crate::csr::by_num(c) {
                    Some(cd) => write!(s, "{}", cd.name),
                    None => write!(s, "{c}"),
                },
                Operand::Space(sp) => write!(s, "{sp}"),
                Operand::Prec(p) => write!(s, "{p}"),
                Operand::Imm(v) => write!(s, "{v}"),
                Operand::Mem { disp, base } => write!(s, "{disp}(r{base})"),
                Operand::PcRel(off) => {
                    let target = pc.wrapping_add(off as u32);
                    match symbol(target) {
                        Some(name) => write!(s, "{name}"),
                        None => write!(s, "0x{target:x}"),
                    }
                }
            };
        }
        s
    }
}

/// Split a 32-bit constant into the `lui`/`addi` pair that builds it (docs/ISA.md §3):
/// `hi = (v + 0x1000) >> 13`, `lo = v - (hi << 13)`, computed modulo 2^32.
///
/// `hi` is the 19-bit `lui` field (`0..=0x7ffff`) and `lo` the `addi` immediate
/// (`-4096..=4095`, inside its signed 14-bit field), and for every `v`
/// `((hi as u32) << 13).wrapping_add(lo as u32) == v`: `lui rd, hi` then `addi rd, rd, lo`
/// leaves `v` in `rd`. A negative constant is passed as `v as u32`. This is the one
/// definition behind the assembler's `li`/`la` and the test and benchmark program builders.
pub const fn split_hi_lo(v: u32) -> (i32, i32) {
    let hi = v.wrapping_add(0x1000) >> 13;
    let lo = v.wrapping_sub(hi << 13) as i32;
    (hi as i32, lo)
}

impl std::fmt::Display for Instr {
    /// Prints as if the instruction were at address 0, so a PC-relative operand shows its
    /// byte offset as an address (`0x8`; a negative offset wraps, `0xfffffff8`); use
    /// [`Instr::format`] with the real address for targets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let s = self.format(0, &|_| None);
        f.write_str(&s)
    }
}

/// The operand list has the table's arity and each operand the table's kind.
fn check_operands(d: &InstrDef, operands: &[Operand]) -> Result<(), EncodeError> {
    if operands.len() != d.operands.len() {
        return Err(EncodeError::Arity {
            mnemonic: d.mnemonic,
            expected: d.operands.len(),
            found: operands.len(),
        });
    }
    for (i, (spec, val)) in d.operands.iter().zip(operands).enumerate() {
        if !kind_matches(spec.kind, val) {
            return Err(kind_error(d, i, spec.kind.describe()));
        }
    }
    Ok(())
}

fn kind_error(d: &InstrDef, index: usize, expected: &'static str) -> EncodeError {
    EncodeError::Kind {
        mnemonic: d.mnemonic,
        index: index + 1,
        expected,
    }
}

fn kind_matches(kind: OperandKind, val: &Operand) -> bool {
    matches!(
        (kind, val),
        (OperandKind::Gpr, Operand::Gpr(_))
            | (OperandKind::Tile, Operand::Tile(_))
            | (OperandKind::Csr, Operand::Csr(_))
            | (OperandKind::Space, Operand::Space(_))
            | (OperandKind::Prec, Operand::Prec(_))
            | (OperandKind::Imm { .. }, Operand::Imm(_))
            | (OperandKind::PcRel { .. }, Operand::PcRel(_))
            | (OperandKind::Mem { .. }, Operand::Mem { .. })
    )
}

fn range_check(
    d: &InstrDef,
    kind: OperandKind,
    what: &'static str,
    v: i64,
) -> Result<(), EncodeError> {
    let (lo, hi) = kind.value_range();
    let misaligned = matches!(kind, OperandKind::PcRel { .. }) && v % 4 != 0;
    if v < lo || v > hi || misaligned {
        return Err(EncodeError::Range {
            mnemonic: d.mnemonic,
            what,
            value: v,
            lo,
            hi,
            align: if matches!(kind, OperandKind::PcRel { .. }) {
                ", a multiple of 4"
            } else {
                ""
            },
        });
    }
    Ok(())
}

/// Operand `index` (0-based) placed in its field. The kind was checked by `check_operands`;
/// a mismatch would still be an error here, never a panic.
fn encode_field(
    d: &InstrDef,
    index: usize,
    spec: &OperandSpec,
    val: &Operand,
) -> Result<u32, EncodeError> {
    let k = spec.kind;
    let place = |v: u32| (v & mask(k.width())) << spec.lo;
    Ok(match *val {
        Operand::Gpr(r) => {
            range_check(d, k, "register", r as i64)?;
            place(r as u32)
        }
        Operand::Tile(t) => {
            range_check(d, k, "tile register", t as i64)?;
            place(t as u32)
        }
        Operand::Csr(c) => {
            if crate::csr::by_num(c).is_none() {
                return Err(EncodeError::UnknownCsr(c as i64));
            }
            place(c as u32)
        }
        Operand::Space(sp) => place(sp as u32),
        Operand::Prec(p) => {
            range_check(d, k, "precision", p as i64)?;
            place(p as u32 - 1)
        }
        Operand::Imm(v) => {
            range_check(d, k, "immediate", v as i64)?;
            place(v as u32)
        }
        Operand::PcRel(off) => {
            range_check(d, k, "branch offset", off as i64)?;
            place((off >> 2) as u32)
        }
        Operand::Mem { disp, base } => {
            range_check(d, k, "displacement", disp as i64)?;
            if base > 31 {
                return Err(kind_error(d, index, "a base register r0..r31"));
            }
            let OperandKind::Mem { base_lo, .. } = k else {
                return Err(kind_error(d, index, k.describe()));
            };
            place(disp as u32) | ((base as u32) << base_lo)
        }
    })
}

fn decode_field(word: u32, d: &InstrDef, spec: &OperandSpec) -> Result<Operand, DecodeError> {
    let k = spec.kind;
    let raw = (word >> spec.lo) & mask(k.width());
    Ok(match k {
        OperandKind::Gpr => Operand::Gpr(raw as u8),
        OperandKind::Tile => Operand::Tile(raw as u8),
        OperandKind::Csr => {
            if crate::csr::by_num(raw as u8).is_none() {
                return Err(DecodeError::BadField {
                    word,
                    mnemonic: d.mnemonic,
                    operand: spec.name,
                    value: raw,
                });
            }
            Operand::Csr(raw as u8)
        }
        OperandKind::Space => match Space::from_bits(raw) {
            Some(sp) => Operand::Space(sp),
            None => {
                return Err(DecodeError::BadField {
                    word,
                    mnemonic: d.mnemonic,
                    operand: spec.name,
                    value: raw,
                })
            }
        },
        OperandKind::Prec => Operand::Prec(raw as u8 + 1),
        OperandKind::Imm { bits, signed } => {
            Operand::Imm(if signed { sext(raw, bits) } else { raw as i32 })
        }
        OperandKind::PcRel { bits } => Operand::PcRel(sext(raw, bits) * 4),
        OperandKind::Mem { bits, base_lo } => Operand::Mem {
            disp: sext(raw, bits),
            base: ((word >> base_lo) & 0x1f) as u8,
        },
    })
}
