//! The instruction table: the single definition of every Loom instruction.
//!
//! Each row gives the opcode byte, mnemonic, class, operands (kind, bit position and role:
//! `rd: GPR @ 8 => W` is a general register at bits 12..8 that the instruction writes), a
//! one-line doc and the normative semantics. The [`Opcode`] enum, [`INSTRUCTIONS`], the encoder,
//! decoder, printer, the assembler's operand checking, the emulator's dispatch and the
//! instruction list in docs/ISA.md are all derived from this one macro invocation.
//!
//! Word layout: bits 7..0 hold the opcode; operands occupy the fields named in each row.
//! Bits not covered by any operand must be zero (the decoder rejects words where they are not).

use crate::operand::{OperandKind, OperandSpec, Role};

/// Broad instruction class: groups the spec, the timing model's unit and the statistics.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum Class {
    /// Scalar integer ALU.
    Alu,
    /// Scalar multiply/divide.
    MulDiv,
    /// Scalar loads from DRAM.
    Load,
    /// Scalar stores to DRAM.
    Store,
    /// Conditional branches and counted loops.
    Branch,
    /// Jumps and calls.
    Jump,
    /// Configuration/status register access.
    Config,
    /// Halt, breakpoint, synchronisation.
    System,
    /// Tile definition and tile-level bookkeeping (define, zero, density check).
    Tile,
    /// DMA between DRAM and scratchpads, LUT programming.
    Dma,
    /// MAC array (bit-serial MAC, per-vector-scaled MAC).
    Mac,
    /// Post-processing unit (bias, bias correction, ReLU, requantisation).
    Post,
}

impl Class {
    /// Every class, in `Class as usize` order (index of per-class counters).
    pub const ALL: [Class; 12] = [
        Class::Alu,
        Class::MulDiv,
        Class::Load,
        Class::Store,
        Class::Branch,
        Class::Jump,
        Class::Config,
        Class::System,
        Class::Tile,
        Class::Dma,
        Class::Mac,
        Class::Post,
    ];

    /// Lower-case name used in docs and statistics.
    pub fn name(self) -> &'static str {
        match self {
            Class::Alu => "alu",
            Class::MulDiv => "muldiv",
            Class::Load => "load",
            Class::Store => "store",
            Class::Branch => "branch",
            Class::Jump => "jump",
            Class::Config => "config",
            Class::System => "system",
            Class::Tile => "tile",
            Class::Dma => "dma",
            Class::Mac => "mac",
            Class::Post => "post",
        }
    }
}

/// One row of the instruction table.
#[derive(Debug)]
pub struct InstrDef {
    /// The opcode (also the value of bits 7..0).
    pub opcode: Opcode,
    /// Assembly mnemonic (lower case).
    pub mnemonic: &'static str,
    /// Instruction class.
    pub class: Class,
    /// Operands in assembly order.
    pub operands: &'static [OperandSpec],
    /// One-line description.
    pub doc: &'static str,
    /// Normative semantics (pseudo-code, see docs/ISA.md "Notation").
    pub semantics: &'static str,
}

impl InstrDef {
    /// Mask of all bits this instruction defines (opcode plus operand fields).
    pub fn used_bits(&self) -> u32 {
        let mut m = 0xffu32;
        for o in self.operands {
            m |= crate::operand::mask(o.kind.width()) << o.lo;
            if let OperandKind::Mem { base_lo, .. } = o.kind {
                m |= 0x1f << base_lo;
            }
        }
        m
    }

    /// Syntax line, e.g. `lw rd, disp(rs1)`.
    pub fn syntax(&self) -> String {
        let mut s = self.mnemonic.to_string();
        for (i, o) in self.operands.iter().enumerate() {
            s.push_str(if i == 0 { " " } else { ", " });
            match o.kind {
                OperandKind::Mem { .. } => s.push_str("disp(rs1)"),
                _ => s.push_str(o.name),
            }
        }
        s
    }
}

const GPR: OperandKind = OperandKind::Gpr;
const TILE: OperandKind = OperandKind::Tile;
const CSR: OperandKind = OperandKind::Csr;
const SPACE: OperandKind = OperandKind::Space;
const PREC: OperandKind = OperandKind::Prec;
const I14: OperandKind = OperandKind::Imm {
    bits: 14,
    signed: true,
};
const U5: OperandKind = OperandKind::Imm {
    bits: 5,
    signed: false,
};
const U2: OperandKind = OperandKind::Imm {
    bits: 2,
    signed: false,
};
const U16: OperandKind = OperandKind::Imm {
    bits: 16,
    signed: false,
};
const U19: OperandKind = OperandKind::Imm {
    bits: 19,
    signed: false,
};
const MEM14: OperandKind = OperandKind::Mem {
    bits: 14,
    base_lo: 13,
};
const REL14: OperandKind = OperandKind::PcRel { bits: 14 };
const REL19: OperandKind = OperandKind::PcRel { bits: 19 };

// Operand roles, written after `=>` in the rows (see [`Role`] for what each means per kind).
const R: Role = Role::Read;
const W: Role = Role::Write;
const RW: Role = Role::ReadWrite;

macro_rules! isa_table {
    ($( $variant:ident = $opc:literal, $mn:literal, $class:ident,
        [$($oname:ident : $okind:ident @ $olo:literal => $orole:ident),*], $doc:literal, $sem:literal; )*) => {
        /// Every Loom opcode. The discriminant is the opcode byte (bits 7..0 of the word).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[repr(u8)]
        pub enum Opcode { $( #[doc = $doc] $variant = $opc, )* }

        const TABLE: &[InstrDef] = &[ $(
            InstrDef {
                opcode: Opcode::$variant,
                mnemonic: $mn,
                class: Class::$class,
                operands: &[ $( OperandSpec {
                    name: stringify!($oname), kind: $okind, lo: $olo, role: $orole,
                } ),* ],
                doc: $doc,
                semantics: $sem,
            },
        )* ];

        /// The instruction table, in opcode order.
        pub static INSTRUCTIONS: &[InstrDef] = TABLE;
    };
}

isa_table! {
    // ---- scalar ALU, register-register -------------------------------------------------
    Add = 0x01, "add", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Add.", "rd = rs1 + rs2 (wrapping)";
    Sub = 0x02, "sub", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Subtract.", "rd = rs1 - rs2 (wrapping)";
    And = 0x03, "and", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Bitwise and.", "rd = rs1 & rs2";
    Or = 0x04, "or", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Bitwise or.", "rd = rs1 | rs2";
    Xor = 0x05, "xor", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Bitwise exclusive or.", "rd = rs1 ^ rs2";
    Sll = 0x06, "sll", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Shift left logical by register.", "rd = rs1 << (rs2 & 31)";
    Srl = 0x07, "srl", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Shift right logical by register.", "rd = u32(rs1) >> (rs2 & 31)";
    Sra = 0x08, "sra", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Shift right arithmetic by register.", "rd = s32(rs1) >> (rs2 & 31)";
    Slt = 0x09, "slt", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Set if less than (signed).", "rd = s32(rs1) < s32(rs2) ? 1 : 0";
    Sltu = 0x0a, "sltu", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Set if less than (unsigned).", "rd = u32(rs1) < u32(rs2) ? 1 : 0";
    // ---- scalar multiply/divide ---------------------------------------------------------
    Mul = 0x10, "mul", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Multiply, low 32 bits.", "rd = low32(rs1 * rs2)";
    Mulh = 0x11, "mulh", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Multiply signed, high 32 bits.", "rd = high32(s64(rs1) * s64(rs2))";
    Mulhu = 0x12, "mulhu", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Multiply unsigned, high 32 bits.", "rd = high32(u64(rs1) * u64(rs2))";
    Div = 0x13, "div", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Divide signed, rounding toward zero.",
        "rd = rs2 == 0 ? -1 : (rs1 == INT_MIN && rs2 == -1 ? INT_MIN : trunc(s32(rs1) / s32(rs2)))";
    Divu = 0x14, "divu", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Divide unsigned.", "rd = rs2 == 0 ? 0xffffffff : u32(rs1) / u32(rs2)";
    Rem = 0x15, "rem", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Remainder signed (sign of the dividend).",
        "rd = rs2 == 0 ? rs1 : (rs1 == INT_MIN && rs2 == -1 ? 0 : s32(rs1) - trunc(s32(rs1) / s32(rs2)) * s32(rs2))";
    Remu = 0x16, "remu", MulDiv, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, rs2: GPR @ 18 => R],
        "Remainder unsigned.", "rd = rs2 == 0 ? rs1 : u32(rs1) % u32(rs2)";
    // ---- scalar ALU, immediate ----------------------------------------------------------
    Addi = 0x20, "addi", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, imm: I14 @ 18 => R],
        "Add immediate.", "rd = rs1 + sext(imm) (wrapping)";
    Andi = 0x21, "andi", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, imm: I14 @ 18 => R],
        "And immediate.", "rd = rs1 & sext(imm)";
    Ori = 0x22, "ori", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, imm: I14 @ 18 => R],
        "Or immediate.", "rd = rs1 | sext(imm)";
    Xori = 0x23, "xori", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, imm: I14 @ 18 => R],
        "Exclusive-or immediate.", "rd = rs1 ^ sext(imm)";
    Slti = 0x24, "slti", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, imm: I14 @ 18 => R],
        "Set if less than immediate (signed).", "rd = s32(rs1) < sext(imm) ? 1 : 0";
    Sltiu = 0x25, "sltiu", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, imm: I14 @ 18 => R],
        "Set if less than immediate (unsigned compare).", "rd = u32(rs1) < u32(sext(imm)) ? 1 : 0";
    Slli = 0x26, "slli", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, shamt: U5 @ 18 => R],
        "Shift left logical by immediate.", "rd = rs1 << shamt";
    Srli = 0x27, "srli", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, shamt: U5 @ 18 => R],
        "Shift right logical by immediate.", "rd = u32(rs1) >> shamt";
    Srai = 0x28, "srai", Alu, [rd: GPR @ 8 => W, rs1: GPR @ 13 => R, shamt: U5 @ 18 => R],
        "Shift right arithmetic by immediate.", "rd = s32(rs1) >> shamt";
    Lui = 0x29, "lui", Alu, [rd: GPR @ 8 => W, imm: U19 @ 13 => R],
        "Load upper immediate (bits 31..13).", "rd = imm << 13";
    Auipc = 0x2a, "auipc", Alu, [rd: GPR @ 8 => W, imm: U19 @ 13 => R],
        "Add upper immediate to pc.", "rd = pc + (imm << 13) (wrapping)";
    // ---- loads and stores (DRAM, little-endian, natural alignment required) --------------
    Lb = 0x30, "lb", Load, [rd: GPR @ 8 => W, addr: MEM14 @ 18 => R],
        "Load byte, sign-extended.", "rd = sext(mem8[rs1 + sext(disp)])";
    Lbu = 0x31, "lbu", Load, [rd: GPR @ 8 => W, addr: MEM14 @ 18 => R],
        "Load byte, zero-extended.", "rd = zext(mem8[rs1 + sext(disp)])";
    Lh = 0x32, "lh", Load, [rd: GPR @ 8 => W, addr: MEM14 @ 18 => R],
        "Load half-word, sign-extended.", "rd = sext(mem16[rs1 + sext(disp)]); trap if address is odd";
    Lhu = 0x33, "lhu", Load, [rd: GPR @ 8 => W, addr: MEM14 @ 18 => R],
        "Load half-word, zero-extended.", "rd = zext(mem16[rs1 + sext(disp)]); trap if address is odd";
    Lw = 0x34, "lw", Load, [rd: GPR @ 8 => W, addr: MEM14 @ 18 => R],
        "Load word.", "rd = mem32[rs1 + sext(disp)]; trap if address % 4 != 0";
    Sb = 0x38, "sb", Store, [rs2: GPR @ 8 => R, addr: MEM14 @ 18 => R],
        "Store byte.", "mem8[rs1 + sext(disp)] = rs2[7:0]";
    Sh = 0x39, "sh", Store, [rs2: GPR @ 8 => R, addr: MEM14 @ 18 => R],
        "Store half-word.", "mem16[rs1 + sext(disp)] = rs2[15:0]; trap if address is odd";
    Sw = 0x3a, "sw", Store, [rs2: GPR @ 8 => R, addr: MEM14 @ 18 => R],
        "Store word.", "mem32[rs1 + sext(disp)] = rs2; trap if address % 4 != 0";
    // ---- control flow -------------------------------------------------------------------
    Beq = 0x40, "beq", Branch, [rs1: GPR @ 8 => R, rs2: GPR @ 13 => R, target: REL14 @ 18 => R],
        "Branch if equal.", "if rs1 == rs2: pc = target";
    Bne = 0x41, "bne", Branch, [rs1: GPR @ 8 => R, rs2: GPR @ 13 => R, target: REL14 @ 18 => R],
        "Branch if not equal.", "if rs1 != rs2: pc = target";
    Blt = 0x42, "blt", Branch, [rs1: GPR @ 8 => R, rs2: GPR @ 13 => R, target: REL14 @ 18 => R],
        "Branch if less than (signed).", "if s32(rs1) < s32(rs2): pc = target";
    Bge = 0x43, "bge", Branch, [rs1: GPR @ 8 => R, rs2: GPR @ 13 => R, target: REL14 @ 18 => R],
        "Branch if greater or equal (signed).", "if s32(rs1) >= s32(rs2): pc = target";
    Bltu = 0x44, "bltu", Branch, [rs1: GPR @ 8 => R, rs2: GPR @ 13 => R, target: REL14 @ 18 => R],
        "Branch if less than (unsigned).", "if u32(rs1) < u32(rs2): pc = target";
    Bgeu = 0x45, "bgeu", Branch, [rs1: GPR @ 8 => R, rs2: GPR @ 13 => R, target: REL14 @ 18 => R],
        "Branch if greater or equal (unsigned).", "if u32(rs1) >= u32(rs2): pc = target";
    Dbnz = 0x46, "dbnz", Branch, [rs: GPR @ 8 => RW, target: REL19 @ 13 => R],
        "Counted loop: decrement and branch if not zero.", "rs = rs - 1; if rs != 0: pc = target";
    Jal = 0x48, "jal", Jump, [rd: GPR @ 8 => W, target: REL19 @ 13 => R],
        "Jump and link.", "rd = pc + 4; pc = target";
    Jalr = 0x49, "jalr", Jump, [rd: GPR @ 8 => W, addr: MEM14 @ 18 => R],
        "Jump and link to register plus displacement.",
        "t = (rs1 + sext(disp)); rd = pc + 4; pc = t; trap if t % 4 != 0";
    // ---- configuration and system --------------------------------------------------------
    Csrr = 0x50, "csrr", Config, [rd: GPR @ 8 => W, csr: CSR @ 13 => R],
        "Read a configuration or status register.", "rd = csr[csr]";
    Cfg = 0x51, "cfg", Config, [csr: CSR @ 8 => W, rs1: GPR @ 16 => R],
        "Write a configuration register from a register.",
        "check_range(csr, rs1); csr[csr] = rs1; trap if csr is read-only or rs1 is out of its range";
    Cfgi = 0x52, "cfgi", Config, [csr: CSR @ 8 => W, imm: U16 @ 16 => R],
        "Write a configuration register from an immediate.",
        "check_range(csr, imm); csr[csr] = imm; trap if csr is read-only or imm is out of its range";
    Halt = 0x58, "halt", System, [rs1: GPR @ 8 => R],
        "Stop the machine with exit code rs1.", "exit_code = rs1; stop after all units drain";
    Ebreak = 0x59, "ebreak", System, [],
        "Breakpoint: stop in the debugger; a trap in a plain run.", "raise Breakpoint(pc)";
    Sync = 0x5a, "sync", System, [],
        "Wait until every unit (DMA, MAC, post) is idle.", "no architectural effect; timing: stall until all units drain";
    // ---- tiles ----------------------------------------------------------------------------
    Tdef = 0x60, "tdef", Tile, [td: TILE @ 8 => W, space: SPACE @ 12 => R, rbase: GPR @ 14 => R, rrows: GPR @ 19 => R, rcols: GPR @ 24 => R],
        "Define tile register td: scratchpad, base byte offset, rows, columns; precision, format and zero-point come from the configuration.",
        "td = Tile{space, base: rbase, rows: rrows, cols: rcols, prec, fmt, zp, lut, storage: raw, nnz: unknown} where (prec, fmt, zp, lut) = (wprec, wfmt, wzp, wlut) for wsp, (aprec, afmt, azp, alut) for asp, (32, acc, 0, -) for acc; trap if rows or cols is 0 or the tile exceeds the scratchpad";
    Tzero = 0x61, "tzero", Tile, [td: TILE @ 8 => W],
        "Zero every element of a tile.", "for each element e of td: td[e] = 0; td.nnz = 0";
    Dchk = 0x62, "dchk", Tile, [rd: GPR @ 8 => W, ts: TILE @ 13 => R],
        "density-check: count the non-zero elements of a tile, publish its density.",
        "n = count(ts[e] != 0); ts.nnz = n; rd = n; density = floor(1000 * n / (ts.rows * ts.cols)); dense = density >= dthresh ? 1 : 0";
    // ---- DMA and LUT ---------------------------------------------------------------------
    LdRaw = 0x68, "ld.raw", Dma, [td: TILE @ 8 => W, rs1: GPR @ 12 => R],
        "Load a raw (densely packed) tile from DRAM into the scratchpad.",
        "td.data = unpack(mem[rs1 .. rs1 + packed_bytes(td)], td.prec); td.storage = raw";
    LdRle = 0x69, "ld.rle", Dma, [td: TILE @ 8 => W, rs1: GPR @ 12 => R],
        "load-RLE: load a run-length-compressed tile from DRAM, expanding it through the zero eliminator.",
        "td.data = rle_decode(mem[rs1 ..], td.prec, rlerun, td.rows * td.cols); td.storage = rle; td.nnz = count(td[e] != 0); trap CorruptRle(offset) on a malformed stream";
    StRaw = 0x6a, "st.raw", Dma, [ts: TILE @ 8 => R, rs1: GPR @ 12 => R],
        "Store a tile to DRAM, densely packed (accumulator tiles as 32-bit words).",
        "mem[rs1 .. rs1 + packed_bytes(ts)] = pack(ts.data, ts.prec)";
    StRle = 0x6b, "st.rle", Dma, [rd: GPR @ 8 => W, ts: TILE @ 13 => R, rs1: GPR @ 17 => R],
        "Store a tile to DRAM run-length encoded; rd receives the number of bytes written.",
        "bytes = rle_encode(ts.data, ts.prec, rlerun); mem[rs1 ..] = bytes; rd = len(bytes); trap if ts is an accumulator tile";
    SetLut = 0x6c, "set.lut", Dma, [lut: U2 @ 8 => W, rs1: GPR @ 10 => R, bits: PREC @ 15 => R],
        "set-LUT: program look-up table `lut` with 2^bits signed 8-bit entries read from DRAM.",
        "lut_table[lut] = [s8(mem8[rs1 + i]) for i in 0 .. 2^bits]";
    // ---- MAC array -------------------------------------------------------------------------
    Bsmac = 0x70, "bsmac", Mac, [tacc: TILE @ 8 => RW, tw: TILE @ 12 => R, ta: TILE @ 16 => R],
        "bit-serial-MAC: tile GEMM acc[M x N] += W[M x K] * A[K x N] on the configured formats and precisions.",
        "for m, n: tacc[m][n] = wrap32(tacc[m][n] + sum_k prod(tw[m][k], ta[k][n])); prod per docs/ISA.md \"Products\"; bit-slice and cluster modes change timing only";
    Vscale = 0x71, "vscale", Mac, [tacc: TILE @ 8 => RW, tw: TILE @ 12 => R, ta: TILE @ 16 => R, tsw: TILE @ 20 => R, tsa: TILE @ 24 => R],
        "per-vector-scale: GEMM where each vlen-element vector dot product is multiplied by the weight and activation vector scales.",
        "for m, n: tacc[m][n] = wrap32(tacc[m][n] + sum_v tsw[m][v] * tsa[v][n] * sum_{k in vector v} prod(tw[m][k], ta[k][n]))";
    // ---- post-processing ---------------------------------------------------------------------
    Bias = 0x78, "bias", Post, [tacc: TILE @ 8 => RW, tb: TILE @ 12 => R],
        "Add a per-output-channel bias (accumulator tile M x 1).",
        "for m, n: tacc[m][n] = wrap32(tacc[m][n] + tb[m][0])";
    Bcorr = 0x79, "bcorr", Post, [tacc: TILE @ 8 => RW, tb: TILE @ 12 => R],
        "Bias correction: subtract the per-channel expected quantisation error (W_q - W) * E(x).",
        "for m, n: tacc[m][n] = wrap32(tacc[m][n] - tb[m][0])";
    Relu = 0x7a, "relu", Post, [tacc: TILE @ 8 => RW],
        "ReLU on an accumulator tile.", "for e: tacc[e] = max(tacc[e], 0)";
    Rqnt = 0x7b, "rqnt", Post, [tout: TILE @ 8 => W, tacc: TILE @ 12 => R, tm: TILE @ 16 => R],
        "Requantise accumulators to the output tile's format: per-channel multiplier, rounding shift, zero-point, optional ReLU, saturation.",
        "zp = (tout.fmt == uint ? tout.zp : 0); for m, n: v = round_shift(s64(tacc[m][n]) * tm[m][0], rshift, rmode) + zp; if relu: v = max(v, zp); tout[m][n] = clamp(v, range(tout))";
}

/// The instruction definition for an opcode.
pub fn def(op: Opcode) -> &'static InstrDef {
    // The table is sorted by opcode; OPCODE_INDEX maps opcode byte -> row.
    &INSTRUCTIONS[OPCODE_INDEX[op as usize] as usize]
}

/// The definition for an opcode byte, if one exists.
pub fn def_by_byte(b: u8) -> Option<&'static InstrDef> {
    let i = OPCODE_INDEX[b as usize];
    (i != NONE).then(|| &INSTRUCTIONS[i as usize])
}

/// Find an instruction by mnemonic (case-insensitive).
pub fn by_mnemonic(m: &str) -> Option<&'static InstrDef> {
    INSTRUCTIONS
        .iter()
        .find(|d| d.mnemonic.eq_ignore_ascii_case(m))
}

const NONE: u8 = u8::MAX;

static OPCODE_INDEX: [u8; 256] = {
    let mut t = [NONE; 256];
    let mut i = 0;
    while i < TABLE.len() {
        t[TABLE[i].opcode as usize] = i as u8;
        i += 1;
    }
    t
};
