//! Tile bookkeeping: `tdef`, `tzero`, `dchk` (docs/ISA.md §4).

use bitloom_isa::csr;
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::{DecodeError, Space};

use crate::machine::{Machine, Op, Storage, Tile};
use crate::reference::{self as refimpl};
use crate::trap::TrapKind;
use crate::work::{Commit, Work};

use super::*;
#[allow(unused_imports)]
use crate::commit::{LutWrite, MemSpace, MemWrite};
#[allow(unused_imports)]
use crate::machine::Lut;

impl Machine {
    #[inline(never)]
    pub(crate) fn op_tdef(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let f = op.f;
        let td = f[0] & 15;
        let space = Space::from_bits(f[1] as u32).ok_or_else(|| {
            TrapKind::IllegalInstruction(DecodeError::BadField {
                word: 0,
                mnemonic: "tdef",
                operand: "space",
                value: f[1] as u32,
            })
        })?;
        let (base, rows, cols) = (self.reg(f[2]), self.reg(f[3]), self.reg(f[4]));
        if !(1..=65535).contains(&rows) || !(1..=65535).contains(&cols) {
            return Err(TrapKind::TileShape {
                tile: td,
                rows,
                cols,
            });
        }
        let cs = &self.csrs;
        let fmt_of = |v: u32| NumFmt::from_code(v).unwrap_or(NumFmt::Int);
        let (prec, fmt, zp, lut) = match space {
            Space::Wsp => (
                cs[csr::WPREC as usize],
                fmt_of(cs[csr::WFMT as usize]),
                cs[csr::WZP as usize],
                cs[csr::WLUT as usize] as u8,
            ),
            Space::Asp => (
                cs[csr::APREC as usize],
                fmt_of(cs[csr::AFMT as usize]),
                cs[csr::AZP as usize],
                cs[csr::ALUT as usize] as u8,
            ),
            Space::Acc => (32, NumFmt::Int, 0, 0),
        };
        let t = Tile {
            space,
            base,
            rows,
            cols,
            prec,
            fmt,
            zp,
            lut,
            rlerun: cs[csr::RLERUN as usize],
            storage: Storage::Raw,
            nnz: None,
        };
        let size = self.spad(space).size();
        if !self.spad(space).in_range(base, t.bytes()) {
            return Err(TrapKind::ScratchpadOverflow {
                tile: td,
                space,
                base,
                bytes: t.bytes(),
                size,
            });
        }
        self.set_tile(td, t, c);
        self.account(pc, op, &Work::Tile { elements: 0 });
        Ok(())
    }

    #[inline(never)]
    pub(crate) fn op_tzero(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[0] & 15;
        let mut t = self.get_tile(i)?;
        if t.is_acc() {
            let (base, len) = (t.base, t.bytes());
            if c.recording {
                let old = self.acc.read_vec(base, len as usize);
                c.mem.push(MemWrite {
                    space: MemSpace::Acc,
                    addr: base,
                    new: vec![0; old.len()],
                    old,
                });
            }
            self.acc.fill(base, len, 0);
        } else {
            let zeros = vec![0u8; t.elements() as usize];
            self.store_codes(&t, &zeros, c);
        }
        t.nnz = Some(0);
        self.set_tile(i, t, c);
        self.account(
            pc,
            op,
            &Work::Tile {
                elements: t.elements(),
            },
        );
        Ok(())
    }

    /// Non-zero elements of a tile (codes, or values for accumulators), checked against the
    /// reference in checked mode.
    pub(super) fn count_nnz(&self, t: &Tile, op: &'static str) -> Result<u64, TrapKind> {
        let raw = self.tile_raw(t);
        self.count_nnz_raw(t, &raw, &mut Vec::new(), op)
    }

    /// [`Machine::count_nnz`] of a tile whose packed bytes are `raw` (exactly
    /// `t.bytes()` long); `scratch` is reused for unpacking.
    pub(super) fn count_nnz_raw(
        &self,
        t: &Tile,
        raw: &[u8],
        scratch: &mut Vec<u8>,
        op: &'static str,
    ) -> Result<u64, TrapKind> {
        let n = nnz_of(t, raw, scratch);
        if self.checked {
            let expected = if t.is_acc() {
                refimpl::acc_values(raw, t.elements() as usize)
                    .iter()
                    .filter(|&&v| v != 0)
                    .count() as u64
            } else {
                refimpl::count_nonzero_codes(&self.ref_tile(t, raw))
            };
            compare(op, 1, &[n as i64], &[expected as i64])?;
        }
        Ok(n)
    }

    /// The non-zero count of a tile whose packed bytes are `raw` (no checked-mode
    /// comparison: for counts deferred from an `ld.raw` run without checked mode).
    pub(crate) fn nnz_plain(&self, t: &Tile, raw: &[u8]) -> u64 {
        nnz_of(t, raw, &mut Vec::new())
    }

    #[inline(never)]
    pub(crate) fn op_dchk(&mut self, pc: u32, op: &Op, c: &mut Commit) -> Result<(), TrapKind> {
        let i = op.f[1] & 15;
        let mut t = self.get_tile(i)?;
        let n = self.count_nnz(&t, "dchk")?;
        let density = (1000 * n / t.elements()) as u32;
        let dense = (density >= self.csrs[csr::DTHRESH as usize]) as u32;
        t.nnz = Some(n);
        self.set_tile(i, t, c);
        self.set_csr(csr::NNZ, n as u32, c);
        self.set_csr(csr::DENSITY, density, c);
        self.set_csr(csr::DENSE, dense, c);
        self.set_reg(op.f[0], n as u32, c);
        self.account(
            pc,
            op,
            &Work::Tile {
                elements: t.elements(),
            },
        );
        Ok(())
    }
}

/// Non-zero elements (codes, or values for accumulators) of a tile whose packed bytes are
/// `raw`; `scratch` is reused for unpacking.
fn nnz_of(t: &Tile, raw: &[u8], scratch: &mut Vec<u8>) -> u64 {
    let nonzero = count_nonzero_bytes;
    if t.is_acc() {
        // A 32-bit value is non-zero when one of its bytes is.
        raw.chunks_exact(4)
            .map(|b| (u32::from_le_bytes([b[0], b[1], b[2], b[3]]) != 0) as u64)
            .sum::<u64>()
    } else if t.prec == 8 {
        nonzero(raw) // codes are the bytes
    } else {
        numfmt::unpack_into(raw, t.prec, t.elements() as usize, scratch);
        nonzero(scratch)
    }
}

/// Non-zero bytes of `bytes`: 32 byte-wide lane counters over blocks of at most 255 rows
/// of 32 bytes (so no lane overflows), which vectorise even for the baseline x86-64 target
/// (a filtered count does not), then the remainder one by one.
fn count_nonzero_bytes(bytes: &[u8]) -> u64 {
    const LANES: usize = 32;
    let mut total = 0u64;
    let mut rows = bytes.chunks_exact(LANES);
    loop {
        let mut lanes = [0u8; LANES];
        let mut taken = 0;
        for row in rows.by_ref().take(255) {
            for (l, &b) in lanes.iter_mut().zip(row) {
                *l += (b != 0) as u8;
            }
            taken += 1;
        }
        total += lanes.iter().map(|&l| l as u64).sum::<u64>();
        if taken < 255 {
            break;
        }
    }
    total + rows.remainder().iter().filter(|&&b| b != 0).count() as u64
}

#[cfg(test)]
mod tests {
    use super::count_nonzero_bytes;

    /// The lane-counter count equals a plain filtered count for lengths around the lane
    /// width and the 255-row block (where a lane counter would overflow a byte), with every
    /// byte non-zero (the worst case for the counters) and with a mix.
    #[test]
    fn nonzero_byte_count_matches_a_plain_count() {
        for len in [
            0,
            1,
            31,
            32,
            33,
            255 * 32 - 1,
            255 * 32,
            255 * 32 + 1,
            3 * 255 * 32 + 17,
        ] {
            let all: Vec<u8> = vec![0xff; len];
            assert_eq!(
                count_nonzero_bytes(&all),
                len as u64,
                "all non-zero, len {len}"
            );
            let mixed: Vec<u8> = (0..len).map(|i| (i * 7 % 5) as u8).collect();
            let want = mixed.iter().filter(|&&b| b != 0).count() as u64;
            assert_eq!(count_nonzero_bytes(&mixed), want, "mixed, len {len}");
        }
    }
}
