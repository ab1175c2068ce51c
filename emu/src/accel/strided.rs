//! Strided (2-D) DMA for `ld.raw` and `st.raw` when CSR `dstride` is non-zero
//! (docs/ISA.md §5 "Strided DMA"): row `r` of a tile lives in DRAM at `rs1 + r·dstride`,
//! `cols·prec` bits packed LSB-first from bit 0 of that byte; in the scratchpad the tile
//! stays densely packed. A store leaves the bits of a row's last DRAM byte beyond the row
//! untouched. Everything is checked before anything is written, so traps are precise.

use bitloom_isa::numfmt;

use crate::commit::MemSpace;
use crate::machine::{Machine, Tile};
use crate::reference as refimpl;
use crate::trap::TrapKind;
use crate::work::Commit;

use super::compare;

/// Geometry of a strided transfer.
pub(crate) struct Rows {
    /// Bits of one row.
    pub bits: u64,
    /// Bytes one row occupies in DRAM.
    pub bytes: u64,
}

impl Machine {
    /// Check a strided transfer of tile `t` at `addr` with stride `stride`.
    fn strided_rows(
        &self,
        i: u8,
        t: &Tile,
        addr: u32,
        stride: u32,
        what: &'static str,
    ) -> Result<Rows, TrapKind> {
        let bits = t.cols as u64 * t.prec as u64;
        let bytes = bits.div_ceil(8);
        if (stride as u64) < bytes {
            return Err(TrapKind::FormatUnsupported(format!(
                "{what} of t{i} with dstride {stride}: a row of {} {}-bit elements takes {bytes} bytes, so rows would overlap",
                t.cols, t.prec
            )));
        }
        let span = (t.rows as u64 - 1) * stride as u64 + bytes;
        if !self.dram.in_range(addr, span) {
            let dir = if what == "st.raw" {
                "DMA write"
            } else {
                "DMA read"
            };
            return Err(self.oob(dir, addr, span));
        }
        Ok(Rows { bits, bytes })
    }

    /// `ld.raw` with a stride: gather the rows into the tile's scratchpad.
    pub(super) fn ld_strided(
        &mut self,
        i: u8,
        t: &Tile,
        addr: u32,
        stride: u32,
        c: &mut Commit,
    ) -> Result<Rows, TrapKind> {
        let g = self.strided_rows(i, t, addr, stride, "ld.raw")?;
        let rows = t.rows as u64;
        let row_addr = |r: u64| (addr as u64 + r * stride as u64) as u32;
        if t.is_acc() {
            let mut bytes = Vec::with_capacity((rows * g.bytes) as usize);
            for r in 0..rows {
                bytes.extend(self.dram.read_vec(row_addr(r), g.bytes as usize));
            }
            self.check_gather(t, addr, stride, &g, &bytes)?;
            self.write_mem(MemSpace::Acc, t.base, &bytes, c);
        } else {
            let mut codes = Vec::with_capacity(t.elements() as usize);
            let mut row = Vec::new();
            for r in 0..rows {
                let raw = self.dram.read_vec(row_addr(r), g.bytes as usize);
                row.clear();
                // The row bytes hold exactly cols codes, so unpacking cannot fail.
                numfmt::unpack_into(&raw, t.prec, t.cols as usize, &mut row);
                codes.extend_from_slice(&row);
            }
            if self.checked {
                self.check_gather(t, addr, stride, &g, &numfmt::pack(&codes, t.prec))?;
            }
            self.store_codes(t, &codes, c);
        }
        Ok(g)
    }

    /// Checked mode: the gathered, packed tile equals the reference's bit-by-bit gather.
    fn check_gather(
        &self,
        t: &Tile,
        addr: u32,
        stride: u32,
        g: &Rows,
        packed: &[u8],
    ) -> Result<(), TrapKind> {
        if !self.checked {
            return Ok(());
        }
        let expected =
            refimpl::gather_rows(&|a| self.dram.read_u8(a), addr, stride, t.rows, g.bits);
        let n = expected.len().min(packed.len());
        let got: Vec<u8> = packed[..n].to_vec();
        // Only the tile's own bits count in a partial last byte.
        let mut got = got;
        let tail = (t.rows as u64 * g.bits % 8) as u32;
        if tail != 0 {
            if let Some(b) = got.last_mut() {
                *b &= (1u8 << tail) - 1;
            }
        }
        compare("ld.raw", 1, &got, &expected)
    }

    /// `st.raw` with a stride: scatter the tile's rows to DRAM.
    pub(super) fn st_strided(
        &mut self,
        i: u8,
        t: &Tile,
        addr: u32,
        stride: u32,
        c: &mut Commit,
    ) -> Result<Rows, TrapKind> {
        let g = self.strided_rows(i, t, addr, stride, "st.raw")?;
        let rows = t.rows as usize;
        let row_addr = |r: usize| (addr as u64 + r as u64 * stride as u64) as u32;
        if t.is_acc() {
            let raw = self.tile_raw(t);
            for (r, chunk) in raw.chunks(g.bytes as usize).enumerate().take(rows) {
                self.write_mem(MemSpace::Dram, row_addr(r), chunk, c);
            }
        } else {
            let codes = self.codes_of(t);
            let used = (g.bits % 8) as u32;
            for (r, row) in codes.chunks(t.cols as usize).enumerate() {
                let mut bytes = numfmt::pack(row, t.prec);
                if used != 0 {
                    // Keep the DRAM bits past the row's end in its last byte.
                    let last_addr = row_addr(r) + bytes.len() as u32 - 1;
                    let old = self.dram.read_u8(last_addr);
                    if let Some(b) = bytes.last_mut() {
                        let mask = (1u8 << used) - 1;
                        *b = (*b & mask) | (old & !mask);
                    }
                }
                self.write_mem(MemSpace::Dram, row_addr(r), &bytes, c);
            }
        }
        Ok(g)
    }
}
