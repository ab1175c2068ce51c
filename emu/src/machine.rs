//! The architectural machine (docs/ISA.md §2) and the scalar core: fetch, predecode,
//! dispatch, scalar semantics, CSRs, stepping and the fast run loop.
//!
//! Accelerator instructions (tiles, DMA, LUTs, MAC array, post-processing) are implemented in
//! `accel.rs` as further `impl Machine` blocks.
//!
//! **Predecode.** The text section holding the entry point is decoded once into a compact
//! `Op` array indexed by `(pc - text_base) / 4`. Every DRAM write that touches that range
//! (scalar stores, DMA stores, [`Machine::write_dram`]) re-decodes the affected words, so
//! self-modifying code behaves exactly as if decoded from DRAM. Instructions outside the
//! predecoded range are fetched and decoded from DRAM on each execution (slower, but
//! architecturally identical); fetching outside DRAM traps `OutOfRange`. The same words
//! are also kept in the fast loop's specialised form (`machine/blocks.rs`), updated by the
//! same re-decode.
//!
//! **Running.** `run_fast`/`run_until` (`machine/run.rs`) run scalar code and accelerator
//! instructions in the fast loop (`machine/fast.rs`, `machine/accel_step.rs`: the latter
//! through the same semantics functions as here) and hand every other instruction, and
//! every would-be scalar trap, to the general path here, one at a time. The general path runs everything
//! when a timeline is recorded on hardware where some scalar class takes zero cycles (the
//! fast loop's one event per scalar run would then start at the wrong address), or when
//! asked to ([`Machine::set_general_path_only`], for equivalence tests).
//!
//! **Determinism.** All state is in this struct; `Clone` gives an independent snapshot
//! (pages are shared copy-on-write), and re-executing from a snapshot reproduces every
//! result and cycle count.

use std::sync::Arc;

use bitloom_isa::csr::{self, Access};
use bitloom_isa::image::Image;
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::{Class, Instr, Opcode, Operand, Space};

use crate::commit::{Commit, CsrWrite, MemSpace, MemWrite, RegWrite};
use crate::hw::HwConfig;
use crate::loader::{load_into, LoadError};
use crate::mem::PagedMem;
use crate::timing::Timing;
use crate::trap::{Trap, TrapKind};
use crate::work::Work;

mod accel_step;
mod blocks;
mod breakmap;
mod fast;
mod lazy_nnz;
mod run;

pub use breakmap::BreakMap;

use blocks::{FastOp, FastText};

/// How a tile's data was last brought into its scratchpad.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Storage {
    /// Densely packed (`ld.raw`, `st.raw`, or never loaded).
    Raw,
    /// Run-length encoded (`ld.rle`).
    Rle,
}

/// A tile descriptor (docs/ISA.md §4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Tile {
    /// Scratchpad.
    pub space: Space,
    /// Byte offset of element 0.
    pub base: u32,
    /// Rows (1..=65535).
    pub rows: u32,
    /// Columns (1..=65535).
    pub cols: u32,
    /// Bits per element code: 1..8 (wsp/asp) or 32 (acc).
    pub prec: u32,
    /// Number format; accumulator tiles are `Int` (signed 32-bit).
    pub fmt: NumFmt,
    /// Zero-point (uint format).
    pub zp: u32,
    /// LUT number (lut format).
    pub lut: u8,
    /// RLE run-field width stamped by `tdef`.
    pub rlerun: u32,
    /// How the tile was last loaded.
    pub storage: Storage,
    /// Non-zero element count, when known.
    pub nnz: Option<u64>,
}

impl Tile {
    /// Number of elements.
    pub fn elements(&self) -> u64 {
        self.rows as u64 * self.cols as u64
    }

    /// Whether this is an accumulator tile (32-bit elements).
    pub fn is_acc(&self) -> bool {
        self.space == Space::Acc
    }

    /// Bytes the tile occupies in its scratchpad (`packed_bytes`, or 4 per acc element).
    pub fn bytes(&self) -> u64 {
        if self.is_acc() {
            4 * self.elements()
        } else {
            (self.elements() * self.prec as u64).div_ceil(8)
        }
    }
}

/// A look-up table: up to 256 signed 8-bit entries and the programmed length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Lut {
    /// Entries (those at or beyond `len` are 0).
    pub entries: [i8; 256],
    /// Programmed length (0 after reset).
    pub len: u32,
}

impl Default for Lut {
    fn default() -> Self {
        Lut {
            entries: [0; 256],
            len: 0,
        }
    }
}

/// What one [`Machine::step`] did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Step {
    /// Address of the executed instruction.
    pub pc: u32,
    /// Its word.
    pub word: u32,
    /// The decoded instruction.
    pub instr: Instr,
    /// Architectural writes.
    pub commit: Commit,
    /// Exit code when this step was `halt`.
    pub halted: Option<u32>,
}

/// A predecoded instruction: opcode, class index and operand fields in assembly order
/// (registers, tiles, CSR numbers, spaces, precisions and memory bases in `f`; the
/// immediate, PC-relative offset or displacement in `imm`).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Op {
    pub op: Opcode,
    pub class: u8,
    pub f: [u8; 5],
    pub imm: i32,
}

impl Op {
    pub(crate) fn from_instr(i: &Instr) -> Op {
        let mut f = [0u8; 5];
        let mut n = 0;
        let mut imm = 0;
        for o in i.operands() {
            let v = match *o {
                Operand::Gpr(r) | Operand::Tile(r) | Operand::Csr(r) | Operand::Prec(r) => r,
                Operand::Space(sp) => sp as u8,
                Operand::Imm(v) | Operand::PcRel(v) => {
                    imm = v;
                    continue;
                }
                Operand::Mem { disp, base } => {
                    imm = disp;
                    base
                }
            };
            if let Some(slot) = f.get_mut(n) {
                *slot = v;
            }
            n += 1;
        }
        Op {
            op: i.op,
            class: i.def().class as u8,
            f,
            imm,
        }
    }
}

/// Every class in `Class as usize` order (the index of [`Machine::class_counts`]).
pub const CLASSES: [Class; 12] = Class::ALL;

/// Why [`Machine::run_until`] returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FastStop {
    /// The instruction budget ran out.
    Budget,
    /// `halt` retired with this exit code.
    Halted(u32),
    /// About to execute a breakpoint address.
    Breakpoint(u32),
}

/// The semantics of one accelerator instruction (`accel/*`).
type AccelFn = fn(&mut Machine, u32, &Op, &mut Commit) -> Result<(), TrapKind>;

pub(crate) enum Next {
    Pc(u32),
    Halt(u32),
}

/// The whole architectural state of a Loom machine, plus counters and the optional timing
/// model.
#[derive(Clone, Debug)]
pub struct Machine {
    /// Program counter.
    pub pc: u32,
    /// General registers (`regs[0]` is always 0).
    pub regs: [u32; 32],
    /// CSR values indexed by CSR number (read-only counters are computed on read).
    pub csrs: [u32; 256],
    /// Tile registers t0..t15 (`None` until defined by `tdef`).
    pub tiles: [Option<Tile>; 16],
    /// LUTs 0..3.
    pub luts: [Lut; 4],
    /// DRAM.
    pub dram: PagedMem,
    /// Weight scratchpad.
    pub wsp: PagedMem,
    /// Activation scratchpad.
    pub asp: PagedMem,
    /// Accumulator scratchpad.
    pub acc: PagedMem,
    /// Retired instructions.
    pub instret: u64,
    /// Retired instructions per class, indexed by `Class as usize` (declaration order of
    /// [`Class`]: alu, muldiv, load, store, branch, jump, config, system, tile, dma, mac,
    /// post; see [`CLASSES`]).
    pub class_counts: [u64; 12],
    /// The timing model, when enabled: every retired instruction is accounted to it and the
    /// `cycle` CSR reads its clock.
    pub timing: Option<Timing>,
    /// Checked mode: every accelerator instruction is recomputed by `reference` and a
    /// difference traps `CheckMismatch`.
    pub checked: bool,
    /// Exit code once `halt` has retired.
    pub exit: Option<u32>,
    /// Run everything on the general path ([`Machine::set_general_path_only`]).
    general_only: bool,
    hw: Arc<HwConfig>,
    /// Memoised decode tables (host speed only; not architectural state).
    pub(crate) tables: crate::formats::TableCache,
    /// Reused host buffers of accelerator instructions (empty in a clone; not state).
    pub(crate) bufs: crate::accel::BufSlot,
    /// The fast loop's register array, kept between calls (empty in a clone; not state).
    scratch: accel_step::RegScratch,
    /// Tiles whose `nnz` is still to be counted (`lazy_nnz.rs`; never set outside a run).
    pub(crate) nnz_pending: lazy_nnz::Pending,
    image: Arc<Image>,
    text_base: u32,
    /// Predecoded text, shared between snapshots until a store into text re-decodes.
    ops: Arc<[Option<Op>]>,
    /// The fast loop's form of the same words, plus a bail sentinel (`blocks.rs`).
    fops: Arc<FastText>,
}

impl Machine {
    /// Reset a machine for `hw` and load `image` into its DRAM (docs/ISA.md §2 "Reset").
    pub fn new(hw: &HwConfig, image: &Image) -> Result<Machine, LoadError> {
        let mut dram = PagedMem::new(hw.mem.dram_bytes);
        let (text_base, text_bytes) = load_into(image, &mut dram)?;
        let mut csrs = [0u32; 256];
        for c in csr::CSRS {
            csrs[c.num as usize] = c.reset;
        }
        let mut regs = [0u32; 32];
        regs[2] = hw.mem.dram_bytes;
        let mut m = Machine {
            pc: image.entry,
            regs,
            csrs,
            tiles: [None; 16],
            luts: [Lut::default(); 4],
            dram,
            wsp: PagedMem::new(hw.mem.wsp_bytes),
            asp: PagedMem::new(hw.mem.asp_bytes),
            acc: PagedMem::new(hw.mem.acc_bytes),
            instret: 0,
            class_counts: [0; 12],
            timing: None,
            checked: false,
            exit: None,
            general_only: false,
            hw: Arc::new(hw.clone()),
            tables: Default::default(),
            bufs: Default::default(),
            scratch: Default::default(),
            nnz_pending: Default::default(),
            image: Arc::new(image.clone()),
            text_base,
            ops: vec![None; (text_bytes / 4) as usize].into(),
            fops: Arc::new(FastText::new((text_bytes / 4) as usize)),
        };
        m.redecode(text_base, text_bytes as u64);
        Ok(m)
    }

    /// Run every instruction on the general path, one at a time, instead of the fast loop
    /// (off by default). Results, counters, cycles and timelines are the same either way;
    /// this is for tests that hold the two paths to each other, and for telling an
    /// emulator bug in the fast loop from one in the semantics.
    pub fn set_general_path_only(&mut self, on: bool) {
        self.general_only = on;
    }

    /// The hardware configuration the machine was built for.
    pub fn hw(&self) -> &HwConfig {
        &self.hw
    }

    /// Turn the timing model on (a fresh model at cycle 0 for this machine's hardware).
    pub fn enable_timing(&mut self) {
        self.timing = Some(Timing::shared(self.hw.clone()));
    }

    /// The loaded program image.
    pub fn image(&self) -> &Image {
        &self.image
    }

    /// Re-decode predecoded words overlapping `addr .. addr + len`.
    pub(crate) fn redecode(&mut self, addr: u32, len: u64) {
        let tb = self.text_base as u64;
        let te = tb + 4 * self.ops.len() as u64;
        let lo = (addr as u64).max(tb);
        let hi = (addr as u64 + len).min(te);
        if lo >= hi {
            return;
        }
        let first = ((lo - tb) / 4) as usize;
        let last = ((hi - tb).div_ceil(4)) as usize;
        let ops = Arc::make_mut(&mut self.ops);
        let fops = Arc::make_mut(&mut self.fops);
        for i in first..last {
            let pc = self.text_base + 4 * i as u32;
            let word = self.dram.read_u32(pc);
            let op = Instr::decode(word).ok().map(|ins| Op::from_instr(&ins));
            fops.ops[i] = op.map_or(FastOp::BAIL, |op| {
                FastOp::from_op(&op, pc, self.text_base, ops.len())
            });
            ops[i] = op;
        }
        fops.finish(first, last);
    }

    /// Register a DRAM write for predecode coherence.
    #[inline]
    pub(crate) fn dram_written(&mut self, addr: u32, len: u64) {
        let off = addr.wrapping_sub(self.text_base) as u64;
        let tb = 4 * self.ops.len() as u64;
        // Overlap test that also catches writes starting below text_base.
        if off < tb || (addr < self.text_base && addr as u64 + len > self.text_base as u64) {
            self.redecode(addr, len);
        }
    }

    /// The current cycle: the timing model's clock, or `instret` without one.
    pub fn cycle(&self) -> u64 {
        match &self.timing {
            Some(t) => t.now(),
            None => self.instret,
        }
    }

    /// Read CSR `num` (None if no such CSR).
    pub fn csr(&self, num: u8) -> Option<u32> {
        csr::by_num(num)?;
        Some(self.read_csr(num))
    }

    #[inline]
    pub(crate) fn read_csr(&self, num: u8) -> u32 {
        match num {
            csr::CYCLE => self.cycle() as u32,
            csr::CYCLEH => (self.cycle() >> 32) as u32,
            csr::INSTRET => self.instret as u32,
            csr::INSTRETH => (self.instret >> 32) as u32,
            _ => self.csrs[num as usize],
        }
    }

    fn write_csr(&mut self, num: u8, v: u32) -> Result<(), TrapKind> {
        let Some(d) = csr::by_num(num) else {
            return Err(TrapKind::CsrWrite {
                csr: "?",
                value: v,
                reason: format!("CSR number {num} is undefined"),
            });
        };
        if d.access == Access::ReadOnly {
            return Err(TrapKind::CsrWrite {
                csr: d.name,
                value: v,
                reason: "the register is read-only".into(),
            });
        }
        if v < d.range.0 || v > d.range.1 {
            return Err(TrapKind::CsrWrite {
                csr: d.name,
                value: v,
                reason: format!("legal values are {}..={}", d.range.0, d.range.1),
            });
        }
        self.csrs[num as usize] = v;
        Ok(())
    }

    /// Tile register `i` (None if undefined or `i > 15`).
    pub fn tile(&self, i: u8) -> Option<&Tile> {
        self.tiles.get(i as usize).and_then(Option::as_ref)
    }

    /// LUT `i` (None if `i > 3`).
    pub fn lut(&self, i: u8) -> Option<&Lut> {
        self.luts.get(i as usize)
    }

    /// Source location of the instruction at `pc`: (file, line, column).
    pub fn source_of(&self, pc: u32) -> Option<(String, u32, u32)> {
        let lines = &self.image.lines;
        let row = lines.lookup(pc)?;
        Some((lines.file_name(row).to_string(), row.line, row.col))
    }

    /// A trap at `pc` (the word is read from DRAM when `pc` is inside it).
    pub(crate) fn trap_at(&self, pc: u32, kind: TrapKind) -> Trap {
        let word = if pc.is_multiple_of(4) && self.dram.in_range(pc, 4) {
            self.dram.read_u32(pc)
        } else {
            0
        };
        Trap { pc, word, kind }
    }

    /// One of the four memories.
    pub fn mem(&self, s: MemSpace) -> &PagedMem {
        match s {
            MemSpace::Dram => &self.dram,
            MemSpace::Wsp => &self.wsp,
            MemSpace::Asp => &self.asp,
            MemSpace::Acc => &self.acc,
        }
    }

    pub(crate) fn mem_mut(&mut self, s: MemSpace) -> &mut PagedMem {
        match s {
            MemSpace::Dram => &mut self.dram,
            MemSpace::Wsp => &mut self.wsp,
            MemSpace::Asp => &mut self.asp,
            MemSpace::Acc => &mut self.acc,
        }
    }

    /// Put bytes back into a memory (undo of a recorded write); out-of-range bytes are
    /// dropped, DRAM text stays coherent.
    pub(crate) fn restore_bytes(&mut self, s: MemSpace, addr: u32, bytes: &[u8]) {
        if !self.mem(s).in_range(addr, bytes.len() as u64) {
            return;
        }
        self.mem_mut(s).write(addr, bytes);
        if s == MemSpace::Dram {
            self.dram_written(addr, bytes.len() as u64);
        }
    }

    /// Read `len` DRAM bytes at `addr`.
    pub fn read_dram(&self, addr: u32, len: u32) -> Result<Vec<u8>, Trap> {
        if !self.dram.in_range(addr, len as u64) {
            return Err(self.trap_at(self.pc, self.oob("debugger read", addr, len as u64)));
        }
        Ok(self.dram.read_vec(addr, len as usize))
    }

    /// Write bytes into DRAM at `addr` (keeps predecoded text coherent).
    pub fn write_dram(&mut self, addr: u32, data: &[u8]) -> Result<(), Trap> {
        if !self.dram.in_range(addr, data.len() as u64) {
            return Err(self.trap_at(self.pc, self.oob("debugger write", addr, data.len() as u64)));
        }
        self.dram.write(addr, data);
        self.dram_written(addr, data.len() as u64);
        Ok(())
    }

    pub(crate) fn oob(&self, what: &'static str, addr: u32, len: u64) -> TrapKind {
        TrapKind::OutOfRange {
            what,
            addr,
            len,
            dram: self.dram.size(),
        }
    }

    /// Advance past an `ebreak` at `pc` (the debugger's "continue" after a breakpoint trap):
    /// retires it as a no-op. Returns false if the instruction at `pc` is not `ebreak`.
    pub fn skip_breakpoint(&mut self) -> bool {
        let pc = self.pc;
        match self.fetch(pc) {
            Ok(op) if op.op == Opcode::Ebreak => {
                if let Some(t) = self.timing.as_mut() {
                    t.account(
                        pc,
                        op.op,
                        &Work::Scalar {
                            class: Class::System,
                            taken: false,
                        },
                    );
                }
                self.pc = pc.wrapping_add(4);
                self.retire(op.class);
                true
            }
            _ => false,
        }
    }

    #[inline(always)]
    fn retire(&mut self, class: u8) {
        self.instret += 1;
        // `class` comes from the table (`Class as u8` < 12).
        if let Some(n) = self.class_counts.get_mut(class as usize) {
            *n += 1;
        }
    }

    #[inline(always)]
    pub(crate) fn fetch(&self, pc: u32) -> Result<Op, TrapKind> {
        // rotate_right moves misaligned low bits to the top, failing the bound check.
        let idx = pc.wrapping_sub(self.text_base).rotate_right(2) as usize;
        if let Some(Some(op)) = self.ops.get(idx) {
            return Ok(*op);
        }
        self.fetch_slow(pc)
    }

    #[cold]
    fn fetch_slow(&self, pc: u32) -> Result<Op, TrapKind> {
        if !pc.is_multiple_of(4) {
            return Err(TrapKind::MisalignedAccess {
                what: "instruction fetch",
                addr: pc,
                align: 4,
            });
        }
        if !self.dram.in_range(pc, 4) {
            return Err(self.oob("instruction fetch", pc, 4));
        }
        let word = self.dram.read_u32(pc);
        Instr::decode(word)
            .map(|i| Op::from_instr(&i))
            .map_err(TrapKind::IllegalInstruction)
    }

    /// Execute one instruction, reporting its architectural writes.
    pub fn step(&mut self) -> Result<Step, Trap> {
        if let Some(code) = self.exit {
            return Err(self.trap_at(self.pc, TrapKind::Halted { code }));
        }
        let pc = self.pc;
        let op = self.fetch(pc).map_err(|k| self.trap_at(pc, k))?;
        let word = self.dram.read_u32(pc);
        let instr =
            Instr::decode(word).map_err(|e| self.trap_at(pc, TrapKind::IllegalInstruction(e)))?;
        let mut commit = Commit::recording();
        match self.exec::<true>(pc, op, &mut commit) {
            Ok(Next::Pc(n)) => {
                self.pc = n;
                self.retire(op.class);
                Ok(Step {
                    pc,
                    word,
                    instr,
                    commit,
                    halted: None,
                })
            }
            Ok(Next::Halt(code)) => {
                self.exit = Some(code);
                self.retire(op.class);
                Ok(Step {
                    pc,
                    word,
                    instr,
                    commit,
                    halted: Some(code),
                })
            }
            Err(k) => Err(Trap { pc, word, kind: *k }),
        }
    }

    /// Run one accelerator instruction's semantics (kept out of line so the scalar fast
    /// loop stays small).
    #[inline(never)]
    fn exec_accel(
        &mut self,
        pc: u32,
        op: Op,
        c: &mut Commit,
        f: AccelFn,
    ) -> Result<(), Box<TrapKind>> {
        self.settle_nnz_before(op.op, &op.f);
        f(self, pc, &op, c).map_err(Box::new)
    }

    /// A scalar store of `size` bytes (`sb`/`sh`/`sw`).
    #[inline(always)]
    fn store<const T: bool>(&mut self, op: &Op, size: u32, c: &mut Commit) -> Result<(), TrapKind> {
        let a = self.load_addr(op, size, "store")?;
        let v = self.regs[(op.f[0] & 31) as usize];
        if T {
            c.mem.push(MemWrite {
                space: MemSpace::Dram,
                addr: a,
                old: self.dram.read_vec(a, size as usize),
                new: v.to_le_bytes()[..size as usize].to_vec(),
            });
        }
        match size {
            1 => self.dram.write_u8(a, v as u8),
            2 => self.dram.write_u16(a, v as u16),
            _ => self.dram.write_u32(a, v),
        }
        self.dram_written(a, size as u64);
        Ok(())
    }

    #[inline(always)]
    fn load_addr(&self, op: &Op, size: u32, what: &'static str) -> Result<u32, TrapKind> {
        let a = self.regs[(op.f[1] & 31) as usize].wrapping_add(op.imm as u32);
        if a & (size - 1) != 0 {
            return Err(TrapKind::MisalignedAccess {
                what,
                addr: a,
                align: size,
            });
        }
        if a as u64 + size as u64 > self.dram.size() as u64 {
            return Err(self.oob(what, a, size as u64));
        }
        Ok(a)
    }

    /// Execute `op` at `pc`. `T` selects whether `c` is filled.
    #[inline(always)]
    fn exec<const T: bool>(
        &mut self,
        pc: u32,
        op: Op,
        c: &mut Commit,
    ) -> Result<Next, Box<TrapKind>> {
        // The error is boxed so the Ok path returns in registers (TrapKind is large).
        let f = op.f;
        macro_rules! r {
            ($i:expr) => {
                self.regs[($i & 31) as usize]
            };
        }
        macro_rules! w {
            ($i:expr, $v:expr) => {{
                let v: u32 = $v;
                let i = ($i & 31) as usize;
                let old = if T { self.regs[i] } else { 0 };
                self.regs[i] = v;
                self.regs[0] = 0;
                if T && i != 0 {
                    c.gpr = Some(RegWrite {
                        reg: i as u8,
                        old,
                        new: v,
                    });
                }
            }};
        }
        let imm = op.imm as u32;
        let mut next = pc.wrapping_add(4);
        let mut taken = false;
        macro_rules! br {
            ($cond:expr) => {{
                if $cond {
                    next = pc.wrapping_add(imm);
                    taken = true;
                }
            }};
        }
        // Accelerator instructions (accel/*) hand their own work to the timing model.
        macro_rules! accel {
            ($f:expr) => {{
                self.exec_accel(pc, op, c, $f)?;
                return Ok(Next::Pc(next));
            }};
        }
        match op.op {
            Opcode::Add => w!(f[0], r!(f[1]).wrapping_add(r!(f[2]))),
            Opcode::Sub => w!(f[0], r!(f[1]).wrapping_sub(r!(f[2]))),
            Opcode::And => w!(f[0], r!(f[1]) & r!(f[2])),
            Opcode::Or => w!(f[0], r!(f[1]) | r!(f[2])),
            Opcode::Xor => w!(f[0], r!(f[1]) ^ r!(f[2])),
            Opcode::Sll => w!(f[0], r!(f[1]) << (r!(f[2]) & 31)),
            Opcode::Srl => w!(f[0], r!(f[1]) >> (r!(f[2]) & 31)),
            Opcode::Sra => w!(f[0], ((r!(f[1]) as i32) >> (r!(f[2]) & 31)) as u32),
            Opcode::Slt => w!(f[0], ((r!(f[1]) as i32) < (r!(f[2]) as i32)) as u32),
            Opcode::Sltu => w!(f[0], (r!(f[1]) < r!(f[2])) as u32),
            Opcode::Mul => w!(f[0], r!(f[1]).wrapping_mul(r!(f[2]))),
            Opcode::Mulh => w!(
                f[0],
                ((r!(f[1]) as i32 as i64 * r!(f[2]) as i32 as i64) >> 32) as u32
            ),
            Opcode::Mulhu => w!(f[0], ((r!(f[1]) as u64 * r!(f[2]) as u64) >> 32) as u32),
            Opcode::Div => {
                let (a, b) = (r!(f[1]) as i32, r!(f[2]) as i32);
                w!(
                    f[0],
                    if b == 0 {
                        u32::MAX
                    } else {
                        a.wrapping_div(b) as u32
                    }
                )
            }
            Opcode::Divu => {
                let (a, b) = (r!(f[1]), r!(f[2]));
                w!(f[0], a.checked_div(b).unwrap_or(u32::MAX))
            }
            Opcode::Rem => {
                let (a, b) = (r!(f[1]) as i32, r!(f[2]) as i32);
                w!(
                    f[0],
                    if b == 0 {
                        a as u32
                    } else {
                        a.wrapping_rem(b) as u32
                    }
                )
            }
            Opcode::Remu => {
                let (a, b) = (r!(f[1]), r!(f[2]));
                w!(f[0], a.checked_rem(b).unwrap_or(a))
            }
            Opcode::Addi => w!(f[0], r!(f[1]).wrapping_add(imm)),
            Opcode::Andi => w!(f[0], r!(f[1]) & imm),
            Opcode::Ori => w!(f[0], r!(f[1]) | imm),
            Opcode::Xori => w!(f[0], r!(f[1]) ^ imm),
            Opcode::Slti => w!(f[0], ((r!(f[1]) as i32) < op.imm) as u32),
            Opcode::Sltiu => w!(f[0], (r!(f[1]) < imm) as u32),
            Opcode::Slli => w!(f[0], r!(f[1]) << (imm & 31)),
            Opcode::Srli => w!(f[0], r!(f[1]) >> (imm & 31)),
            Opcode::Srai => w!(f[0], ((r!(f[1]) as i32) >> (imm & 31)) as u32),
            Opcode::Lui => w!(f[0], imm << 13),
            Opcode::Auipc => w!(f[0], pc.wrapping_add(imm << 13)),
            Opcode::Lb => {
                let a = self.load_addr(&op, 1, "load")?;
                w!(f[0], self.dram.read_u8(a) as i8 as i32 as u32)
            }
            Opcode::Lbu => {
                let a = self.load_addr(&op, 1, "load")?;
                w!(f[0], self.dram.read_u8(a) as u32)
            }
            Opcode::Lh => {
                let a = self.load_addr(&op, 2, "load")?;
                w!(f[0], self.dram.read_u16(a) as i16 as i32 as u32)
            }
            Opcode::Lhu => {
                let a = self.load_addr(&op, 2, "load")?;
                w!(f[0], self.dram.read_u16(a) as u32)
            }
            Opcode::Lw => {
                let a = self.load_addr(&op, 4, "load")?;
                w!(f[0], self.dram.read_u32(a))
            }
            Opcode::Sb => self.store::<T>(&op, 1, c)?,
            Opcode::Sh => self.store::<T>(&op, 2, c)?,
            Opcode::Sw => self.store::<T>(&op, 4, c)?,
            Opcode::Beq => br!(r!(f[0]) == r!(f[1])),
            Opcode::Bne => br!(r!(f[0]) != r!(f[1])),
            Opcode::Blt => br!((r!(f[0]) as i32) < (r!(f[1]) as i32)),
            Opcode::Bge => br!((r!(f[0]) as i32) >= (r!(f[1]) as i32)),
            Opcode::Bltu => br!(r!(f[0]) < r!(f[1])),
            Opcode::Bgeu => br!(r!(f[0]) >= r!(f[1])),
            Opcode::Dbnz => {
                w!(f[0], r!(f[0]).wrapping_sub(1));
                br!(r!(f[0]) != 0)
            }
            Opcode::Jal => {
                w!(f[0], pc.wrapping_add(4));
                next = pc.wrapping_add(imm);
                taken = true;
            }
            Opcode::Jalr => {
                let t = r!(f[1]).wrapping_add(imm);
                if !t.is_multiple_of(4) {
                    return Err(Box::new(TrapKind::MisalignedAccess {
                        what: "jump target",
                        addr: t,
                        align: 4,
                    }));
                }
                w!(f[0], pc.wrapping_add(4));
                next = t;
                taken = true;
            }
            Opcode::Csrr => w!(f[0], self.read_csr(f[1])),
            Opcode::Cfg | Opcode::Cfgi => {
                let v = if op.op == Opcode::Cfg { r!(f[1]) } else { imm };
                let old = if T { self.csrs[f[0] as usize] } else { 0 };
                self.write_csr(f[0], v)?;
                if T {
                    c.csrs.push(CsrWrite {
                        csr: f[0],
                        old,
                        new: v,
                    });
                }
            }
            Opcode::Halt => {
                let code = r!(f[0]);
                if let Some(t) = self.timing.as_mut() {
                    t.account(
                        pc,
                        op.op,
                        &Work::Scalar {
                            class: Class::System,
                            taken: false,
                        },
                    );
                }
                return Ok(Next::Halt(code));
            }
            Opcode::Ebreak => return Err(Box::new(TrapKind::Breakpoint)),
            Opcode::Sync => {
                if let Some(t) = self.timing.as_mut() {
                    t.account(pc, op.op, &Work::Sync);
                }
                return Ok(Next::Pc(next));
            }
            // Accelerator instructions: the semantics function comes from the one table
            // of them (`accel_step::accel_spec`, which the fast loop uses too).
            Opcode::Tdef
            | Opcode::Tzero
            | Opcode::Dchk
            | Opcode::LdRaw
            | Opcode::LdRle
            | Opcode::StRaw
            | Opcode::StRle
            | Opcode::SetLut
            | Opcode::Bsmac
            | Opcode::Vscale
            | Opcode::Bias
            | Opcode::Bcorr
            | Opcode::Relu
            | Opcode::Rqnt => {
                let spec = accel_step::accel_spec(op.op);
                debug_assert!(spec.is_some(), "{:?} has no accel_spec entry", op.op);
                if let Some((f, _)) = spec {
                    accel!(f)
                }
            }
        }
        if let Some(t) = self.timing.as_mut() {
            t.account(
                pc,
                op.op,
                &Work::Scalar {
                    class: CLASSES[op.class as usize % 12],
                    taken,
                },
            );
        }
        Ok(Next::Pc(next))
    }
}
