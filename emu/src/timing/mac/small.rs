//! The pass sweep for narrow instructions (at most [`WIDE`] outputs along the vector
//! dimension, as in small tiles): the same arithmetic as [`super::sweep`], but the running
//! pass maxima and the per-output sums live in fixed-size arrays that the compiler keeps in
//! vector registers. A loop vectorised for wide rows runs a 16-output row in its scalar
//! remainder; these loops are whole vector operations at any host SIMD level.
//!
//! The cost rows of such an instruction are stored [`stride`] bytes apart, zero padded; a
//! padding entry never reaches the caller (only the first `v` sums are written back or
//! recorded for lock-step).

use super::{Geom, Lockstep, PassAcc, Totals, PASS_HIST};

/// The narrow widths with a fixed-size sweep.
const NARROW: usize = 16;
const WIDE: usize = 32;

/// Distance between consecutive cost rows of `v` outputs: a fixed width when one fits.
pub(super) fn stride(v: usize) -> usize {
    if v <= NARROW {
        NARROW
    } else if v <= WIDE {
        WIDE
    } else {
        v
    }
}

/// Whether rows of `stride` bytes take a fixed-size sweep ([`sweep`]).
pub(super) fn fixed(stride: usize) -> bool {
    stride == NARROW || stride == WIDE
}

/// [`super::sweep`] (non-uniform case) for `v ≤ stride` outputs whose cost rows are
/// `stride` ∈ {16, 32} bytes apart. Adds to `acc`'s first `v` entries.
#[allow(clippy::too_many_arguments)]
pub(super) fn sweep(
    stride: usize,
    geo: Geom,
    rows: &[u8],
    rowsum: &[u32],
    v: usize,
    idx: &[u32],
    sf: &[u8],
    acc: &mut PassAcc,
    t: &mut Totals,
    ls: Option<&mut Lockstep>,
) {
    if stride == NARROW {
        sweep_w::<NARROW>(geo, rows, rowsum, v, idx, sf, acc, t, ls)
    } else {
        sweep_w::<WIDE>(geo, rows, rowsum, v, idx, sf, acc, t, ls)
    }
}

#[allow(clippy::too_many_arguments)]
fn sweep_w<const W: usize>(
    geo: Geom,
    rows: &[u8],
    rowsum: &[u32],
    v: usize,
    idx: &[u32],
    sf: &[u8],
    acc: &mut PassAcc,
    t: &mut Totals,
    mut ls: Option<&mut Lockstep>,
) {
    let v = v.min(W);
    let mut p = Pass::<W> {
        vmax: [0; W],
        sum: [0; W],
        cnt: [0; W],
    };
    p.sum[..v].copy_from_slice(&acc.sum[..v]);
    p.cnt[..v].copy_from_slice(&acc.cnt[..v]);
    let mut in_chunk = 0usize;
    let mut lane_bits = 0u64;
    // End of the current vector-scale segment (idx is increasing).
    let mut seg_end = 0usize;
    for &k in idx {
        let k = k as usize;
        if k >= seg_end || in_chunk == geo.g {
            if in_chunk > 0 {
                p.emit(geo, v, t, &mut ls);
                in_chunk = 0;
            }
            if k >= seg_end {
                seg_end = (k / geo.seg + 1) * geo.seg;
            }
        }
        in_chunk += 1;
        let f = sf[k];
        if f == 0 {
            continue;
        }
        lane_bits += rowsum[k] as u64 * f as u64;
        let Some(row) = rows.get(k * W..(k + 1) * W) else {
            continue;
        };
        let row: &[u8; W] = row.try_into().unwrap_or(&[0; W]);
        p.vmax = if f == 1 {
            std::array::from_fn(|j| p.vmax[j].max(row[j]))
        } else if geo.gates {
            std::array::from_fn(|j| p.vmax[j].max(0u8.wrapping_sub(row[j]) & f))
        } else {
            std::array::from_fn(|j| p.vmax[j].max(row[j].wrapping_mul(f)))
        };
    }
    if in_chunk > 0 {
        p.emit(geo, v, t, &mut ls);
    }
    t.lane_bits += lane_bits;
    acc.sum[..v].copy_from_slice(&p.sum[..v]);
    acc.cnt[..v].copy_from_slice(&p.cnt[..v]);
}

/// The open pass and the per-output totals of a fixed-width sweep.
struct Pass<const W: usize> {
    vmax: [u8; W],
    sum: [u32; W],
    cnt: [u32; W],
}

impl<const W: usize> Pass<W> {
    /// Close the open pass (as [`super::emit`]; padding entries are added but never read).
    #[inline(always)]
    fn emit(&mut self, geo: Geom, v: usize, t: &mut Totals, ls: &mut Option<&mut Lockstep>) {
        if geo.minp > 0 {
            for x in self.vmax.iter_mut() {
                *x = (*x).max(geo.minp);
            }
        }
        if geo.hist {
            for &x in self.vmax[..v].iter().filter(|&&x| x > 0) {
                t.hist[(x as usize).min(PASS_HIST - 1)] += 1;
            }
        }
        if let Some(ls) = ls.as_deref_mut() {
            ls.record(&self.vmax[..v]);
        }
        for ((s, n), &x) in self.sum.iter_mut().zip(self.cnt.iter_mut()).zip(&self.vmax) {
            *s += x as u32;
            *n += (x > 0) as u32;
        }
        self.vmax = [0; W];
    }
}
