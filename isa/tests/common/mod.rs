//! Builders shared by the isa integration tests (hand-built images).

#![allow(dead_code)]

use bitloom_isa::image::{Symbol, SymbolKind};
use bitloom_isa::{Instr, Opcode, Operand};

/// Little-endian bytes of one encoded instruction (operands known to be valid).
pub fn word(op: Opcode, ops: &[Operand]) -> [u8; 4] {
    Instr::new(op, ops).unwrap().encode().unwrap().to_le_bytes()
}

/// A symbol record.
pub fn sym(
    name: &str,
    value: u32,
    size: u32,
    kind: SymbolKind,
    global: bool,
    section: Option<usize>,
) -> Symbol {
    Symbol {
        name: name.into(),
        value,
        size,
        kind,
        global,
        section,
    }
}
