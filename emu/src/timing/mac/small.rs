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
pub(super) const NARROW: usize = 16;
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
    let mut p = Pass::<W>::new();
    p.sum[..v].copy_from_slice(&acc.sum[..v]);
    p.cnt[..v].copy_from_slice(&acc.cnt[..v]);
    let mut lane_bits = 0u64;
    let mut ch = Chunk::default();
    for &k in idx {
        let k = k as usize;
        if ch.lane(geo, k) {
            p.emit(geo, v, t, &mut ls);
        }
        let f = sf[k];
        if f == 0 {
            continue;
        }
        lane_bits += rowsum[k] as u64 * f as u64;
        let Some(row) = rows.get(k * W..(k + 1) * W) else {
            continue;
        };
        p.take(geo, row.try_into().unwrap_or(&[0; W]), f);
    }
    if ch.in_chunk > 0 {
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

/// Where the next lane goes (kept in locals by the loops, so in registers): lanes in the
/// open pass, and the end of the current vector-scale segment (lanes come in increasing k).
#[derive(Default)]
pub(super) struct Chunk {
    pub(super) in_chunk: usize,
    seg_end: usize,
}

impl Chunk {
    /// Element k takes the next lane. Returns whether the open pass must be closed first
    /// (it is full, or k starts a new vector-scale segment).
    #[inline(always)]
    pub(super) fn lane(&mut self, geo: Geom, k: usize) -> bool {
        let mut close = false;
        if k >= self.seg_end || self.in_chunk == geo.g {
            close = self.in_chunk > 0;
            self.in_chunk = 0;
            if k >= self.seg_end {
                self.seg_end = (k / geo.seg + 1) * geo.seg;
            }
        }
        self.in_chunk += 1;
        close
    }
}

impl<const W: usize> Pass<W> {
    /// No pass open, totals at 0.
    fn new() -> Self {
        Pass {
            vmax: [0; W],
            sum: [0; W],
            cnt: [0; W],
        }
    }

    /// The lane's costs for the outputs: `row` times the factor `f` ≠ 0 (a mask of `f`
    /// when the row holds gates).
    #[inline(always)]
    fn take(&mut self, geo: Geom, row: &[u8; W], f: u8) {
        self.vmax = if f == 1 {
            std::array::from_fn(|j| self.vmax[j].max(row[j]))
        } else if geo.gates {
            std::array::from_fn(|j| self.vmax[j].max(0u8.wrapping_sub(row[j]) & f))
        } else {
            std::array::from_fn(|j| self.vmax[j].max(row[j].wrapping_mul(f)))
        };
    }

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
        self.sum = std::array::from_fn(|j| self.sum[j] + self.vmax[j] as u32);
        self.cnt = std::array::from_fn(|j| self.cnt[j] + (self.vmax[j] > 0) as u32);
        self.vmax = [0; W];
    }
}

/// Where the codes of one operand are: code (i, k) = `data[i·si + k·sk]`.
#[derive(Clone, Copy)]
pub(super) struct Codes<'a> {
    pub(super) data: &'a [u8],
    pub(super) si: usize,
    pub(super) sk: usize,
}

impl<'a> Codes<'a> {
    /// The codes from (i, 0) on: code (i, k) is at `k · sk`.
    #[inline(always)]
    pub(super) fn from(&self, i: usize) -> &'a [u8] {
        self.data.get(i * self.si..).unwrap_or(&[])
    }
}

/// One operand's role in [`narrow`]: its codes, lane factor per code, and zero codes.
#[derive(Clone, Copy)]
pub(super) struct Operand<'a> {
    pub(super) codes: Codes<'a>,
    pub(super) factor: &'a [u8; 256],
    pub(super) zero: &'a [bool; 256],
}

impl Operand<'_> {
    /// The lane factor per code, 0 for the zero codes when `drop_zero` (one table lookup
    /// per element instead of two).
    #[inline(always)]
    pub(super) fn live_factors(&self, drop_zero: bool) -> [u8; 256] {
        let keep = 0u8.wrapping_sub(!drop_zero as u8);
        let mut lut = [0u8; 256];
        for ((l, &f), &z) in lut.iter_mut().zip(self.factor).zip(self.zero) {
            *l = f & (keep | 0u8.wrapping_sub(u8::from(!z)));
        }
        lut
    }
}

/// The PE array as the outer index sees it: outer index o adds to PE slots
/// `(o mod outer_pe) · inner_pe + (j mod inner_pe)`, and a lock-step block closes every
/// `outer_pe` outer indices.
#[derive(Clone, Copy)]
pub(super) struct Array {
    pub(super) outer_pe: usize,
    pub(super) inner_pe: usize,
    pub(super) slots: usize,
    pub(super) ovh: u64,
    pub(super) vs: u64,
}

/// The cost rows of a narrow instruction: `rows[k][j]` = the lane factor of the row
/// operand's code (j, k), 0 for its zero codes when `gate` (padding entries j ≥ `v` are 0),
/// and `rowsum[k]` = Σ_j `rows[k][j]`. Returns whether every entry is 0 or 1
/// ([`Geom::gates`]).
pub(super) fn cost_rows(
    rows_op: Operand<'_>,
    gate: bool,
    v: usize,
    k_: usize,
    rows: &mut Vec<[u8; NARROW]>,
    rowsum: &mut Vec<u32>,
) -> bool {
    let v = v.min(NARROW);
    rows.clear();
    rows.resize(k_, [0; NARROW]);
    let rsk = rows_op.codes.sk;
    let lut = rows_op.live_factors(gate);
    let Codes { data, si, sk } = rows_op.codes;
    if si == 1 {
        // Outputs adjacent in memory (activations, orientation B): row by row.
        for (k, row) in rows.iter_mut().enumerate() {
            let src = data.get(k * sk..k * sk + v).unwrap_or(&[]);
            for (x, &c) in row.iter_mut().zip(src) {
                *x = lut[c as usize];
            }
        }
    } else if sk == 1 {
        // Reduction adjacent (weights, orientation A): output by output.
        for j in 0..v {
            let src = data.get(j * si..j * si + k_).unwrap_or(&[]);
            for (row, &c) in rows.iter_mut().zip(src) {
                row[j] = lut[c as usize];
            }
        }
    } else {
        for j in 0..v {
            let codes = rows_op.codes.from(j);
            for (k, row) in rows.iter_mut().enumerate() {
                row[j] = lut[codes[k * rsk] as usize];
            }
        }
    }
    rowsum.clear();
    rowsum.extend(
        rows.iter()
            .map(|r| r.iter().map(|&x| x as u32).sum::<u32>()),
    );
    rows.iter().flatten().fold(0u8, |a, &x| a | x) <= 1
}

/// A whole instruction in either orientation when at most [`NARROW`] outputs share an
/// outer index, with every structure fused into two loops: the cost rows are built
/// straight from the row operand's codes (`rows`: v outputs × K, gated to 0 by its zero
/// codes when `gate`), and each outer index walks the other operand's codes along K
/// (dropping its zero codes when `compact`, as the eliminator does) instead of building
/// index and factor lists. The same passes, sums, lock-step waves and PE totals as the
/// general path (`emu/tests/baselines.rs` holds both to the formula).
#[allow(clippy::too_many_arguments)]
pub(super) fn narrow(
    geo: Geom,
    v: usize,
    outer: usize,
    k_: usize,
    ops: super::onepass::Operands<'_>,
    arr: Array,
    rows: &mut Vec<[u8; NARROW]>,
    rowsum: &mut Vec<u32>,
    pe: &mut [u64],
    t: &mut Totals,
    mut ls: Option<&mut Lockstep>,
) {
    let super::onepass::Operands {
        rows: rows_op,
        gate,
        outer: outer_op,
        compact,
    } = ops;
    let v = v.min(NARROW);
    let mut geo = geo;
    geo.gates = cost_rows(rows_op, gate, v, k_, rows, rowsum);
    let inner_pe = arr.inner_pe.max(1);
    let outer_pe = arr.outer_pe.max(1);
    let mut lane_bits = 0u64;
    // Outer index o's PE row (o mod outer_pe), kept as a counter.
    let mut pe_row = 0usize;
    for o in 0..outer {
        let mut p = Pass::<NARROW>::new();
        if let Some(ls) = ls.as_deref_mut() {
            ls.open(v, arr.slots);
        }
        let codes = outer_op.codes.from(o);
        let osk = outer_op.codes.sk;
        let mut ch = Chunk::default();
        for (k, row) in rows.iter().enumerate() {
            let c = codes[k * osk] as usize;
            if compact && outer_op.zero[c] {
                continue;
            }
            if ch.lane(geo, k) {
                p.emit(geo, v, t, &mut ls);
            }
            let f = outer_op.factor[c];
            if f == 0 {
                continue;
            }
            lane_bits += rowsum[k] as u64 * f as u64;
            p.take(geo, row, f);
        }
        if ch.in_chunk > 0 {
            p.emit(geo, v, t, &mut ls);
        }
        t.passes += p.cnt[..v].iter().map(|&x| x as u64).sum::<u64>();
        t.alloc += p.sum[..v].iter().map(|&x| x as u64).sum::<u64>() * geo.g as u64;
        let base = pe_row * inner_pe;
        if v <= inner_pe {
            let pes = &mut pe[base..base + v];
            for ((x, &s), &c) in pes.iter_mut().zip(&p.sum).zip(&p.cnt) {
                *x += u64::from(s) * 1000 + u64::from(c) * arr.ovh + arr.vs;
            }
        } else {
            for j in 0..v {
                let time = u64::from(p.sum[j]) * 1000 + u64::from(p.cnt[j]) * arr.ovh + arr.vs;
                pe[base + j % inner_pe] += time;
            }
        }
        pe_row += 1;
        let block_end = pe_row == outer_pe || o + 1 == outer;
        if pe_row == outer_pe {
            pe_row = 0;
        }
        if let Some(ls) = ls.as_deref_mut() {
            if block_end {
                ls.close(inner_pe, arr.ovh, arr.vs, 1);
            }
        }
    }
    t.lane_bits += lane_bits;
}
