//! Exact change records: every architectural write one retired instruction made, with the
//! old and the new value.
//!
//! [`Machine::step`](crate::Machine::step) fills a recording [`Commit`]; the fast loop passes
//! a non-recording one, so nothing is copied there. The records cover general registers,
//! every CSR written (including the three `dchk` sets), DRAM and scratchpad byte ranges,
//! tile descriptors and LUTs — enough to drive watchpoints, `info registers` deltas, the
//! commit log and an undo of the instruction ([`Commit::undo`]). Counters (`pc`,
//! `instret`, cycles) are not writes and are not recorded here.

use bitloom_isa::Space;

use crate::machine::{Lut, Machine, Tile};
use crate::work::DmaWork;

/// A byte-addressed memory of the machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MemSpace {
    /// Off-chip DRAM.
    Dram,
    /// Weight scratchpad.
    Wsp,
    /// Activation scratchpad.
    Asp,
    /// Accumulator scratchpad.
    Acc,
}

impl MemSpace {
    /// Every memory, DRAM first.
    pub const ALL: [MemSpace; 4] = [MemSpace::Dram, MemSpace::Wsp, MemSpace::Asp, MemSpace::Acc];

    /// Lower-case name (`dram`, `wsp`, `asp`, `acc`).
    pub fn name(self) -> &'static str {
        match self {
            MemSpace::Dram => "dram",
            MemSpace::Wsp => "wsp",
            MemSpace::Asp => "asp",
            MemSpace::Acc => "acc",
        }
    }
}

impl From<Space> for MemSpace {
    fn from(s: Space) -> MemSpace {
        match s {
            Space::Wsp => MemSpace::Wsp,
            Space::Asp => MemSpace::Asp,
            Space::Acc => MemSpace::Acc,
        }
    }
}

/// A general-register write (never r0).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RegWrite {
    /// Register number 1..=31.
    pub reg: u8,
    /// Value before.
    pub old: u32,
    /// Value after.
    pub new: u32,
}

/// A CSR write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CsrWrite {
    /// CSR number.
    pub csr: u8,
    /// Value before.
    pub old: u32,
    /// Value after.
    pub new: u32,
}

/// A byte-range write to DRAM or a scratchpad.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemWrite {
    /// Which memory.
    pub space: MemSpace,
    /// First byte.
    pub addr: u32,
    /// Bytes before (same length as `new`).
    pub old: Vec<u8>,
    /// Bytes after.
    pub new: Vec<u8>,
}

impl MemWrite {
    /// Number of bytes written.
    pub fn len(&self) -> u32 {
        self.new.len() as u32
    }

    /// Whether the write is empty.
    pub fn is_empty(&self) -> bool {
        self.new.is_empty()
    }

    /// Whether the write touches any byte of `addr .. addr + len` in `space`.
    pub fn overlaps(&self, space: MemSpace, addr: u32, len: u32) -> bool {
        space == self.space
            && (addr as u64) < self.addr as u64 + self.new.len() as u64
            && (self.addr as u64) < addr as u64 + len as u64
    }
}

/// A tile-descriptor write (definition, storage, density bookkeeping).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TileWrite {
    /// Tile register 0..=15.
    pub tile: u8,
    /// Descriptor before.
    pub old: Option<Tile>,
    /// Descriptor after.
    pub new: Option<Tile>,
}

/// A LUT reprogramming.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LutWrite {
    /// LUT number 0..=3.
    pub lut: u8,
    /// Table before.
    pub old: Box<Lut>,
    /// Table after.
    pub new: Box<Lut>,
}

/// A DMA transfer of the instruction (`ld.raw`, `ld.rle`, `st.raw`, `st.rle`): the record
/// handed to the timing model plus where it went. Not a write (the bytes are in
/// [`Commit::mem`]); it says which DRAM range was read or written, for the commit log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaTransfer {
    /// Direction, scratchpad, byte counts, bursts — what timing sees.
    pub work: DmaWork,
    /// First DRAM byte (`rs1`).
    pub dram_addr: u32,
    /// First scratchpad byte (the tile's base).
    pub spad_addr: u32,
    /// `dstride` of a strided raw transfer (0: contiguous).
    pub stride: u32,
}

/// Architectural writes of one retired instruction.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Commit {
    /// Whether writes are being recorded (false in the fast loop: nothing is filled).
    pub recording: bool,
    /// General register written; writes to r0 are not reported.
    pub gpr: Option<RegWrite>,
    /// CSRs written, in order.
    pub csrs: Vec<CsrWrite>,
    /// DRAM and scratchpad writes, in order.
    pub mem: Vec<MemWrite>,
    /// Tile descriptors written, in order.
    pub tiles: Vec<TileWrite>,
    /// LUTs written.
    pub luts: Vec<LutWrite>,
    /// The DMA transfer, for DMA instructions (a description, not a write: `undo` and
    /// `is_empty` ignore it).
    pub dma: Option<DmaTransfer>,
}

impl Commit {
    /// An empty record that records.
    pub fn recording() -> Commit {
        Commit {
            recording: true,
            ..Commit::default()
        }
    }

    /// Whether nothing was written.
    pub fn is_empty(&self) -> bool {
        self.gpr.is_none()
            && self.csrs.is_empty()
            && self.mem.is_empty()
            && self.tiles.is_empty()
            && self.luts.is_empty()
    }

    /// DRAM writes only.
    pub fn dram_writes(&self) -> impl Iterator<Item = &MemWrite> {
        self.mem.iter().filter(|w| w.space == MemSpace::Dram)
    }

    /// Tile registers whose descriptor was written, each once, in first-write order.
    pub fn tiles_written(&self) -> Vec<u8> {
        let mut v: Vec<u8> = Vec::new();
        for t in &self.tiles {
            if !v.contains(&t.tile) {
                v.push(t.tile);
            }
        }
        v
    }

    /// Put back every old value this record holds, latest write first. Together with the
    /// counters (pc, instret, timing) this undoes the instruction's architectural effect.
    pub fn undo(&self, m: &mut Machine) {
        for l in self.luts.iter().rev() {
            if let Some(slot) = m.luts.get_mut(l.lut as usize) {
                *slot = *l.old;
            }
        }
        for t in self.tiles.iter().rev() {
            if let Some(slot) = m.tiles.get_mut(t.tile as usize) {
                *slot = t.old;
            }
        }
        for w in self.mem.iter().rev() {
            m.restore_bytes(w.space, w.addr, &w.old);
        }
        for c in self.csrs.iter().rev() {
            m.csrs[c.csr as usize] = c.old;
        }
        if let Some(g) = self.gpr {
            m.regs[(g.reg & 31) as usize] = g.old;
        }
    }
}
