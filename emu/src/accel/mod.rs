//! Accelerator semantics: tiles, DMA, LUTs, the MAC array and post-processing
//! (docs/ISA.md §4–§8), with the data-dependent work records for the timing model and the
//! checked-mode comparison against `reference`.
//!
//! Every instruction validates all operands and computes its result into local buffers
//! before writing anything, so traps are precise.
//!
//! MAC kernels work on whole words: codes are unpacked once per instruction and mapped to
//! `i16` values through 256-entry tables (`formats`), then an `m, k, n` loop broadcasts one
//! weight over a contiguous activation row into a contiguous accumulator row (`i32`,
//! wrapping). Log weights use shift-and-add kernels. Bit-slice mode (CSR `slice > 0`)
//! computes the sum through the Panacea decomposition of docs/ISA.md §6, visiting only HO
//! slices that differ from the frequent value `r` and adding the `r·Σw` compensation.
//!
//! Split by concern: `tile` (tdef, tzero, dchk), `dma` (raw/RLE loads and stores, LUT
//! programming), `mac` (the MAC array; kernels in `mac/gemm`), `post` (post-processing), `views` (read-only views
//! for tools). This file holds the shared helpers and the dispatch.

mod bufs;
mod dma;
mod mac;
mod post;
mod strided;
mod tile;
mod views;

use bitloom_isa::numfmt::{self};
use bitloom_isa::rle::RleError;
use bitloom_isa::Space;

use crate::commit::{CsrWrite, MemSpace, MemWrite, RegWrite, TileWrite};
use crate::machine::{Machine, Op, Storage, Tile};
use crate::mem::PagedMem;
use crate::reference::RefTile;
use crate::trap::TrapKind;
use crate::work::{Commit, Work};

pub(crate) use bufs::{AccelBufs, BufSlot};

fn mismatch(what: impl Into<String>) -> TrapKind {
    TrapKind::TileMismatch(what.into())
}

fn describe(i: u8, t: &Tile) -> String {
    format!("t{i} ({} {}x{})", t.space, t.rows, t.cols)
}

fn rle_offset(e: &RleError) -> usize {
    match e {
        RleError::Truncated { offset, .. }
        | RleError::Overrun { offset, .. }
        | RleError::Underrun { offset, .. } => *offset,
    }
}

/// First differing element of two equally long result vectors.
fn compare<T: Copy + Into<i64> + PartialEq>(
    op: &'static str,
    cols: u32,
    got: &[T],
    expected: &[T],
) -> Result<(), TrapKind> {
    let n = got.len().max(expected.len());
    for i in 0..n {
        let g = got.get(i).copied();
        let e = expected.get(i).copied();
        if g != e {
            let cols = cols.max(1) as u64;
            return Err(TrapKind::CheckMismatch {
                op,
                element: i as u64,
                row: (i as u64 / cols) as u32,
                col: (i as u64 % cols) as u32,
                got: g.map(Into::into).unwrap_or(i64::MIN),
                expected: e.map(Into::into).unwrap_or(i64::MIN),
            });
        }
    }
    Ok(())
}

impl Machine {
    pub(crate) fn spad(&self, s: Space) -> &PagedMem {
        match s {
            Space::Wsp => &self.wsp,
            Space::Asp => &self.asp,
            Space::Acc => &self.acc,
        }
    }

    #[inline]
    fn get_tile(&self, i: u8) -> Result<Tile, TrapKind> {
        match self.tiles.get(i as usize) {
            Some(Some(t)) => Ok(*t),
            _ => Err(TrapKind::UndefinedTile { tile: i }),
        }
    }

    fn reg(&self, r: u8) -> u32 {
        self.regs[(r & 31) as usize]
    }

    fn set_reg(&mut self, r: u8, v: u32, c: &mut Commit) {
        let r = (r & 31) as usize;
        if r != 0 {
            let old = self.regs[r];
            self.regs[r] = v;
            if c.recording {
                c.gpr = Some(RegWrite {
                    reg: r as u8,
                    old,
                    new: v,
                });
            }
        }
    }

    /// Set a CSR from the accelerator (no range check: the values are computed), recorded.
    fn set_csr(&mut self, num: u8, v: u32, c: &mut Commit) {
        let old = self.csrs[num as usize];
        self.csrs[num as usize] = v;
        if c.recording {
            c.csrs.push(CsrWrite {
                csr: num,
                old,
                new: v,
            });
        }
    }

    /// Write bytes into a memory, recording the old and new bytes when `c` records. DRAM
    /// writes keep the predecoded text coherent. The caller has checked the range.
    fn write_mem(&mut self, space: MemSpace, addr: u32, bytes: &[u8], c: &mut Commit) {
        if c.recording {
            let old = self.mem(space).read_vec(addr, bytes.len());
            c.mem.push(MemWrite {
                space,
                addr,
                old,
                new: bytes.to_vec(),
            });
        }
        self.mem_mut(space).write(addr, bytes);
        if space == MemSpace::Dram {
            self.dram_written(addr, bytes.len() as u64);
        }
    }

    /// Hand one accelerator instruction's work to the timing model, with its operand fields
    /// so tile dependencies are tracked per tile register.
    fn account(&mut self, pc: u32, op: &Op, w: &Work<'_>) {
        if let Some(t) = self.timing.as_mut() {
            t.account_ops(pc, op.op, &op.f, w);
        }
    }

    /// Raw scratchpad bytes of a tile.
    pub(crate) fn tile_raw(&self, t: &Tile) -> Vec<u8> {
        self.spad(t.space).read_vec(t.base, t.bytes() as usize)
    }

    /// Unpacked codes of a code tile.
    fn codes_of(&self, t: &Tile) -> Vec<u8> {
        let raw = self.tile_raw(t);
        if t.prec == 8 {
            return raw; // one code per byte
        }
        let mut out = Vec::new();
        // The raw bytes are exactly packed_len long, so unpacking cannot fail.
        numfmt::unpack_into(&raw, t.prec, t.elements() as usize, &mut out);
        out
    }

    /// Raw scratchpad bytes of a tile, into a reused buffer.
    fn tile_raw_into(&self, t: &Tile, out: &mut Vec<u8>) {
        self.spad(t.space).read_to(t.base, t.bytes() as usize, out);
    }

    /// Values of an accumulator tile, into a reused buffer (`raw` is scratch).
    fn acc_into(&self, t: &Tile, raw: &mut Vec<u8>, out: &mut Vec<i32>) {
        self.tile_raw_into(t, raw);
        out.clear();
        out.extend(
            raw.chunks_exact(4)
                .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])),
        );
    }

    /// Store accumulator values through a reused byte buffer.
    fn store_acc_with(&mut self, t: &Tile, vals: &[i32], raw: &mut Vec<u8>, c: &mut Commit) {
        raw.clear();
        raw.resize(vals.len() * 4, 0);
        for (d, v) in raw.chunks_exact_mut(4).zip(vals) {
            d.copy_from_slice(&v.to_le_bytes());
        }
        self.write_mem(MemSpace::Acc, t.base, raw, c);
    }

    /// Values of an accumulator tile.
    fn acc_of(&self, t: &Tile) -> Vec<i32> {
        let raw = self.tile_raw(t);
        raw.chunks_exact(4)
            .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    }

    /// Store codes into a code tile, keeping the bits past its end in a shared last byte.
    fn store_codes(&mut self, t: &Tile, codes: &[u8], c: &mut Commit) {
        let mut bytes = numfmt::pack(codes, t.prec);
        let used = (codes.len() * t.prec as usize) % 8;
        if used != 0 {
            let addr = t.base + (bytes.len() as u32 - 1);
            if let Some(last) = bytes.last_mut() {
                let old = self.spad(t.space).read_u8(addr);
                *last |= old & !((1u8 << used) - 1);
            }
        }
        self.write_mem(t.space.into(), t.base, &bytes, c);
    }

    fn store_acc(&mut self, t: &Tile, vals: &[i32], c: &mut Commit) {
        let mut bytes = Vec::with_capacity(vals.len() * 4);
        for v in vals {
            bytes.extend_from_slice(&v.to_le_bytes());
        }
        self.write_mem(MemSpace::Acc, t.base, &bytes, c);
    }

    /// Set how tile `i` was last loaded and its non-zero count, in place (the rest of the
    /// descriptor is unchanged), recorded like [`Machine::set_tile`]. No-op for an
    /// undefined tile (callers have read it with `get_tile`).
    fn set_tile_state(&mut self, i: u8, storage: Storage, nnz: Option<u64>, c: &mut Commit) {
        if let Some(Some(slot)) = self.tiles.get_mut(i as usize) {
            // Its count is the one given here now (`machine/lazy_nnz.rs`).
            self.nnz_pending.clear(i);
            let old = *slot;
            slot.storage = storage;
            slot.nnz = nnz;
            if c.recording {
                c.tiles.push(TileWrite {
                    tile: i,
                    old: Some(old),
                    new: Some(*slot),
                });
            }
        }
    }

    /// Write tile descriptor `i`, recorded.
    fn set_tile(&mut self, i: u8, t: Tile, c: &mut Commit) {
        if let Some(slot) = self.tiles.get_mut(i as usize) {
            // Its count is the one given here now (`machine/lazy_nnz.rs`).
            self.nnz_pending.clear(i);
            let old = *slot;
            *slot = Some(t);
            if c.recording {
                c.tiles.push(TileWrite {
                    tile: i,
                    old,
                    new: Some(t),
                });
            }
        }
    }

    fn ref_tile<'a>(&'a self, t: &Tile, bytes: &'a [u8]) -> RefTile<'a> {
        let lut = &self.luts[(t.lut & 3) as usize];
        RefTile {
            rows: t.rows as usize,
            cols: t.cols as usize,
            prec: t.prec,
            fmt: t.fmt as u32,
            zp: t.zp as i64,
            lut: &lut.entries[..(lut.len as usize).min(256)],
            bytes,
        }
    }
}
