//! DMA between DRAM and scratchpads (raw and RLE, docs/ISA.md §5) and LUT programming.

use bitloom_isa::rle::{self, RleError};

use crate::machine::{Machine, Op, Storage, Tile};
use crate::reference::{self as refimpl};
use crate::trap::TrapKind;
use crate::work::{Commit, DmaWork, Work};

use super::*;
#[allow(unused_imports)]
use crate::commit::{DmaTransfer, LutWrite, MemSpace, MemWrite};
#[allow(unused_imports)]
use crate::machine::Lut;

impl Machine {
    /// Hand a transfer to the timing model and, when recording, describe it in the change
    /// record (`(dram address, scratchpad address, dstride)`) for the commit log.
    fn dma(&mut self, pc: u32, op: &Op, c: &mut Commit, w: DmaWork, at: (u32, u32, u32)) {
        if c.recording {
            c.dma = Some(DmaTransfer {
                work: w,
                dram_addr: at.0,
                spad_addr: at.1,
                stride: at.2,
            });
        }
        self.account(pc, op, &Work::Dma(w));
    }

    #[inline(never)]
    pub(crate) fn op_ld_raw(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let t = self.get_tile(i)?;
        let addr = self.reg(op.f[1]);
        let len = t.bytes();
        let stride = self.csrs[bitloom_isa::csr::DSTRIDE as usize];
        // The deferred counts of the other tiles of this space: the load may overwrite
        // their bytes (`machine/lazy_nnz.rs`).
        let others = self.nnz_pending.in_space(t.space) & !(1u16 << i);
        if others != 0 {
            self.resolve_nnz(others);
        }
        // Without change records or checked mode, the count is deferred.
        let lazy = !c.recording && !self.checked;
        let (dram_bytes, bursts, burst_bytes, nnz) = if stride == 0 && lazy {
            if !self.dram.in_range(addr, len) {
                return Err(self.oob("DMA read", addr, len));
            }
            let nnz = match self.dram.slice(addr, len) {
                // Inside one written DRAM page: copied straight from it, counted later.
                Some(src) => {
                    let spad = match t.space {
                        Space::Wsp => &mut self.wsp,
                        Space::Asp => &mut self.asp,
                        Space::Acc => &mut self.acc,
                    };
                    spad.write(t.base, src);
                    None
                }
                // Through a buffer: counted now, while the bytes are at hand in one piece
                // (counting later would copy them out of the scratchpad again).
                None => Some(self.ld_raw_buffered(&t, addr)),
            };
            (len, 1, len, nnz)
        } else if stride == 0 {
            if !self.dram.in_range(addr, len) {
                return Err(self.oob("DMA read", addr, len));
            }
            // The bytes are the tile's whole contents: count them as they go by.
            let mut b = self.bufs.take();
            let nnz = match self.dram.slice(addr, len) {
                // Inside one written DRAM page: copied straight from it (the change
                // record, when kept, is built from the same bytes by `write_mem`).
                Some(src) if !c.recording => {
                    match t.space {
                        Space::Wsp => self.wsp.write(t.base, src),
                        Space::Asp => self.asp.write(t.base, src),
                        Space::Acc => self.acc.write(t.base, src),
                    }
                    self.count_nnz_raw(&t, src, &mut b.wcodes, "ld.raw")
                }
                _ => {
                    self.dram.read_to(addr, len as usize, &mut b.raw);
                    self.write_mem(t.space.into(), t.base, &b.raw, c);
                    self.count_nnz_raw(&t, &b.raw, &mut b.wcodes, "ld.raw")
                }
            };
            self.bufs.put(b);
            (len, 1, len, Some(nnz?))
        } else {
            let g = self.ld_strided(i, &t, addr, stride, c)?;
            let nnz = self.count_nnz(&t, "ld.raw")?;
            (g.bytes * t.rows as u64, t.rows as u64, g.bytes, Some(nnz))
        };
        self.set_tile_state(i, Storage::Raw, nnz, c);
        if nnz.is_none() {
            self.nnz_pending.mark(i, t.space);
        }
        self.dma(
            pc,
            op,
            c,
            DmaWork {
                load: true,
                space: t.space,
                dram_bytes,
                spad_bytes: len,
                elements: t.elements(),
                rle: false,
                bursts,
                burst_bytes,
            },
            (addr, t.base, stride),
        );
        Ok(())
    }

    /// `ld.raw` of tile `t` from `addr` (in range) through a buffer, without change records:
    /// returns the non-zero count.
    #[inline(never)]
    fn ld_raw_buffered(&mut self, t: &Tile, addr: u32) -> u64 {
        let mut b = self.bufs.take();
        self.dram.read_to(addr, t.bytes() as usize, &mut b.raw);
        self.mem_mut(t.space.into()).write(t.base, &b.raw);
        let n = self.nnz_plain(t, &b.raw);
        self.bufs.put(b);
        n
    }

    /// Decode the RLE stream at `addr` for tile `t`. The stream is conceptually all of DRAM
    /// from `addr` on; only the prefix that decides the outcome is read.
    fn rle_fetch_decode(&self, t: &Tile, addr: u32) -> Result<(Vec<u8>, usize), TrapKind> {
        if addr >= self.dram.size() {
            return Err(self.oob("DMA read", addr, 4));
        }
        let avail = (self.dram.size() - addr) as u64;
        let n = t.elements() as usize;
        let eb = (t.prec + t.rlerun) as u64;
        let hdr = self.dram.read_vec(addr, avail.min(4) as usize);
        let mut out = Vec::new();
        let err = |e: RleError| TrapKind::CorruptRle {
            offset: rle_offset(&e),
            source: e,
        };
        if hdr.len() < 4 {
            return Err(err(rle::decode_into(&hdr, t.prec, t.rlerun, n, &mut out)
                .err()
                .unwrap_or(RleError::Truncated {
                    offset: hdr.len(),
                    entries: 0,
                    entry_bits: eb as u32,
                    available: 0,
                })));
        }
        let entries = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as u64;
        let need = 4 + (entries * eb).div_ceil(8);
        if need > avail {
            return Err(err(RleError::Truncated {
                offset: avail as usize,
                entries,
                entry_bits: eb as u32,
                available: (avail - 4) as usize,
            }));
        }
        let mut stream;
        if entries > n as u64 {
            // Each entry yields at least one element, so the first n + 1 entries already
            // overrun; decoding them gives the same diagnosis as the whole stream.
            let len = 4 + ((n as u64 + 1) * eb).div_ceil(8);
            stream = self.dram.read_vec(addr, len as usize);
            stream[..4].copy_from_slice(&(n as u32 + 1).to_le_bytes());
        } else {
            stream = self.dram.read_vec(addr, need as usize);
        }
        let used = rle::decode_into(&stream, t.prec, t.rlerun, n, &mut out).map_err(err)?;
        if self.checked {
            let expected = refimpl::rle_decode(&stream, t.prec, t.rlerun, n);
            match expected {
                Ok(e) => {
                    let got: Vec<u32> = out.iter().map(|&c| c as u32).collect();
                    compare("ld.rle", t.cols, &got, &e)?;
                }
                Err(off) => {
                    return Err(TrapKind::CheckMismatch {
                        op: "ld.rle",
                        element: off as u64,
                        row: 0,
                        col: 0,
                        got: 0,
                        expected: off as i64,
                    })
                }
            }
        }
        Ok((out, used))
    }

    #[inline(never)]
    pub(crate) fn op_ld_rle(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let mut t = self.get_tile(i)?;
        if t.is_acc() {
            return Err(TrapKind::FormatUnsupported(format!(
                "ld.rle into accumulator tile t{i} (RLE streams hold 1..8-bit codes)"
            )));
        }
        let addr = self.reg(op.f[1]);
        let (codes, used) = self.rle_fetch_decode(&t, addr)?;
        self.store_codes(&t, &codes, c);
        let nnz = codes.iter().filter(|&&x| x != 0).count() as u64;
        t.storage = Storage::Rle;
        t.nnz = Some(nnz);
        self.set_tile(i, t, c);
        self.dma(
            pc,
            op,
            c,
            DmaWork {
                load: true,
                space: t.space,
                dram_bytes: used as u64,
                spad_bytes: t.bytes(),
                elements: t.elements(),
                rle: true,
                bursts: 1,
                burst_bytes: 0,
            },
            (addr, t.base, 0),
        );
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn op_st_raw(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let t = self.get_tile(i)?;
        let addr = self.reg(op.f[1]);
        let len = t.bytes();
        let stride = self.csrs[bitloom_isa::csr::DSTRIDE as usize];
        let (dram_bytes, bursts, burst_bytes) = if stride == 0 {
            if !self.dram.in_range(addr, len) {
                return Err(self.oob("DMA write", addr, len));
            }
            let bytes = self.tile_raw(&t);
            self.write_mem(MemSpace::Dram, addr, &bytes, c);
            (len, 1, len)
        } else {
            let g = self.st_strided(i, &t, addr, stride, c)?;
            (g.bytes * t.rows as u64, t.rows as u64, g.bytes)
        };
        self.dma(
            pc,
            op,
            c,
            DmaWork {
                load: false,
                space: t.space,
                dram_bytes,
                spad_bytes: len,
                elements: t.elements(),
                rle: false,
                bursts,
                burst_bytes,
            },
            (addr, t.base, stride),
        );
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn op_st_rle(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[1] & 15;
        let t = self.get_tile(i)?;
        if t.is_acc() {
            return Err(TrapKind::FormatUnsupported(format!(
                "st.rle of accumulator tile t{i}"
            )));
        }
        let addr = self.reg(op.f[2]);
        let codes = self.codes_of(&t);
        let stream = rle::encode(&codes, t.prec, t.rlerun);
        if self.checked {
            let raw = self.tile_raw(&t);
            let rt = self.ref_tile(&t, &raw);
            let rc: Vec<u32> = (0..t.elements() as usize)
                .map(|e| refimpl::code(&rt, e))
                .collect();
            let expected = refimpl::rle_encode(&rc, t.prec, t.rlerun);
            compare("st.rle", 1, &stream, &expected)?;
        }
        let len = stream.len() as u64;
        if !self.dram.in_range(addr, len) {
            return Err(self.oob("DMA write", addr, len));
        }
        self.write_mem(MemSpace::Dram, addr, &stream, c);
        self.set_reg(op.f[0], len as u32, c);
        self.dma(
            pc,
            op,
            c,
            DmaWork {
                load: false,
                space: t.space,
                dram_bytes: len,
                spad_bytes: t.bytes(),
                elements: t.elements(),
                rle: true,
                bursts: 1,
                burst_bytes: 0,
            },
            (addr, t.base, 0),
        );
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn op_set_lut(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let l = (op.imm & 3) as u8;
        let addr = self.reg(op.f[0]);
        let bits = (op.f[1] as u32).clamp(1, 8);
        let n = 1u64 << bits;
        if !self.dram.in_range(addr, n) {
            return Err(self.oob("LUT read", addr, n));
        }
        let bytes = self.dram.read_vec(addr, n as usize);
        let mut new = Lut::default();
        for (e, b) in new.entries.iter_mut().zip(&bytes) {
            *e = *b as i8;
        }
        new.len = n as u32;
        let old = std::mem::replace(&mut self.luts[l as usize], new);
        if c.recording {
            c.luts.push(LutWrite {
                lut: l,
                old: Box::new(old),
                new: Box::new(new),
            });
        }
        self.account(pc, op, &Work::Lut { bytes: n });
        Ok(())
    }
}
