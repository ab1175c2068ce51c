//! The Loom instruction set: one table of instructions and one of configuration registers,
//! from which encoding, decoding, printing and the spec are derived; plus the ISA-level data
//! formats (packed codes, RLE streams) and the program image with its ELF form.
//!
//! See docs/ISA.md for the normative specification.

pub mod csr;
pub mod disasm;
pub mod docgen;
pub mod elf;
pub mod image;
pub mod instr;
pub mod numfmt;
pub mod operand;
pub mod rle;
pub mod srcfile;
pub mod table;

pub use instr::{DecodeError, EncodeError, Instr};
pub use operand::{Operand, OperandKind, OperandSpec, Role, Space};
pub use table::{Class, InstrDef, Opcode, INSTRUCTIONS};

/// ELF `e_machine` value of Loom objects (ASCII "LM", outside the registered range).
pub const EM_LOOM: u16 = 0x4C4D;

/// Default load address of `.text`.
pub const TEXT_BASE: u32 = 0x0000_1000;

/// Instruction width in bytes.
pub const INSTR_BYTES: u32 = 4;
