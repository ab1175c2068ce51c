//! Data-dependent cycle cost of one MAC-array instruction (docs/TIMING.md §4).
//!
//! The array has `rows × cols` PEs; output (m, n) runs on PE (m mod rows, n mod cols). A PE
//! has `lanes` bit-serial lanes split into `lanes / group` lane groups; the lanes of a group
//! advance in lock-step, so a *pass* of one group costs the **maximum** serial cost over its
//! lanes plus the fixed per-pass overhead. An output's reduction over K (per vector for
//! `vscale`) is cut into passes of `group` lanes:
//!
//! * **compacted** (Loom with the zero eliminator): the eliminator drops the zero elements of
//!   the sparser operand stream (activations of a column, or weights of a row), every `group`
//!   consecutive survivors form a pass, and a zero in the other operand gates its lane (it
//!   costs nothing but the pass is not shortened);
//! * **static** (baselines, or `zero_elim = false`): pass j holds k ∈ [j·g, (j+1)·g).
//!
//! With `sync = "lockstep"` (hardware) the array runs blocks of one output per PE in waves:
//! wave t gives every lane group of every PE one pass (passes t·S .. t·S + S − 1 of its
//! output, S lane groups per PE) and lasts as long as the slowest of them; the sweeps record
//! each pass's cost per output (`Lockstep`) and each block is closed into waves. With
//! `sync = "decoupled"` (an idealisation) a PE's cycles are the sum of its outputs' pass
//! costs divided by its lane groups and the instruction takes the slowest PE. Both add
//! `fixed_latency`; both are computed, and their difference is `lockstep_idle`.
//!
//! Lane costs are term counts: binary popcounts or Booth (NAF) digits ([`term_count`]).
//!
//! Because passes are formed along one operand, every pass is evaluated for a whole row of
//! outputs at once: the lane costs of the pass's elements are rows of a small u8 matrix, and
//! the pass maxima are element-wise maxima of those rows (vectorised), never a per-lane scan
//! per output. Effectual-pair counts come from popcounts of bitmasks.

use bitloom_isa::numfmt::{naf_weight, NumFmt};

use crate::hw::{MacConfig, MacModel, SyncMode, TermEncoding};
use crate::work::MacWork;

mod lockstep;
mod onepass;
mod shifter;
mod side;
mod small;
mod square;
mod zeros;

use lockstep::Lockstep;
use side::{Side, SideCache, SideKey};

/// What one MAC instruction cost and did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MacCost {
    /// MAC-unit busy cycles (including `fixed_latency`).
    pub cycles: u64,
    /// Products of the GEMM (M·N·K).
    pub macs: u64,
    /// Products actually computed (not skipped for a zero value).
    pub done: u64,
    /// Products skipped because an operand value is zero.
    pub skip_zero_value: u64,
    /// High-order slice products skipped because the slice is 0 (bit-slice mode, r = 0).
    pub skip_zero_slice: u64,
    /// High-order slice products skipped because the slice equals r ≠ 0 (compensated).
    pub skip_compressed_slice: u64,
    /// Lane bit-cycles saved by skipping zero bits or by cluster encoding (nominal − actual).
    pub skip_ineffectual_bits: u64,
    /// Effectual lane bit-cycles (Σ over occupied lanes of their serial cost).
    pub lane_bits: u64,
    /// Lane cycles allocated by passes (Σ passes × group × pass maximum, without overhead).
    pub lane_alloc: u64,
    /// Passes executed.
    pub passes: u64,
    /// Cycles lost to lock-step synchronisation: this instruction's cycles minus what the
    /// decoupled idealisation would take (0 with `sync = "decoupled"`).
    pub lockstep_idle: u64,
    /// Passes by their cost in cycles (the slowest lane of the group; the last bucket
    /// holds 31 and more), to show load imbalance. Filled only when the model was asked
    /// for it ([`crate::timing::Timing::set_mac_detail`]); all zero otherwise.
    pub pass_hist: [u64; PASS_HIST],
}

/// Buckets of [`MacCost::pass_hist`].
pub const PASS_HIST: usize = 32;

/// Effectual (non-zero) binary bits of a code in a format: int → popcount(|value|); uint →
/// popcount(code) (the zero-point is compensated separately); cluster → popcount of the
/// magnitude; log → 1 if the magnitude field is non-zero; lut → the code width (codes index a
/// table, their bits are not terms).
pub fn eff_bits(code: u8, fmt: NumFmt, prec: u32) -> u32 {
    let p = prec.clamp(1, 8);
    let c = code as u32 & ((1u32 << p) - 1);
    match fmt {
        NumFmt::Int => {
            let v = if (c >> (p - 1)) & 1 == 1 {
                c as i32 - (1i32 << p)
            } else {
                c as i32
            };
            v.unsigned_abs().count_ones()
        }
        NumFmt::Uint => c.count_ones(),
        NumFmt::Cluster => (c & ((1u32 << (p - 1)) - 1)).count_ones(),
        NumFmt::Log => u32::from(c & ((1u32 << (p - 1)) - 1) != 0),
        NumFmt::Lut => p,
    }
}

/// Terms of a code under an encoding: [`eff_bits`] for `binary`; for `booth` the non-zero
/// digits of the non-adjacent form of the same magnitude (int: |value|, uint: the code,
/// cluster: the magnitude field); log and lut as [`eff_bits`].
pub fn term_count(code: u8, fmt: NumFmt, prec: u32, booth: bool) -> u32 {
    if !booth {
        return eff_bits(code, fmt, prec);
    }
    let p = prec.clamp(1, 8);
    let c = code as u32 & ((1u32 << p) - 1);
    match fmt {
        NumFmt::Int => {
            let v = if (c >> (p - 1)) & 1 == 1 {
                c as i32 - (1i32 << p)
            } else {
                c as i32
            };
            naf_weight(v.unsigned_abs())
        }
        NumFmt::Uint => naf_weight(c),
        NumFmt::Cluster => naf_weight(c & ((1u32 << (p - 1)) - 1)),
        NumFmt::Log | NumFmt::Lut => eff_bits(code, fmt, prec),
    }
}

/// Which operand(s) the per-lane cost depends on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    W,
    A,
    WA,
}

/// Reusable buffers (kept in the timing model so each instruction allocates little).
/// Scratch buffers reused across MAC instructions (host speed only, no state): a clone
/// starts empty, so machine snapshots do not copy them.
#[derive(Debug, Default)]
pub(crate) struct MacScratch {
    at: Vec<u8>,
    rows: Vec<u8>,
    sf: Vec<u8>,
    idx: Vec<u32>,
    vmax: Vec<u8>,
    rowsum: Vec<u32>,
    acc: PassAcc,
    pe: Vec<u64>,
    /// Per k: weights ≠ 0 in column k, activations ≠ 0 in row k (effectual pairs are
    /// Σ_k wcol·arow, not a popcount per output).
    wcol: Vec<u32>,
    arow: Vec<u32>,
    /// Which codes are zero, by operand (so the counts above can be byte compares).
    wzeros: zeros::Memo,
    azeros: zeros::Memo,
    lanes: Vec<shifter::Lane>,
    /// Cost rows of a narrow instruction ([`small::narrow`]).
    nrows: Vec<[u8; small::NARROW]>,
    /// Scratch of a tile costed in one pass per output ([`onepass`]).
    one: onepass::Scratch,
    /// The lock-step state of the instruction being costed (reset by each).
    ls: Lockstep,
    /// Lane-cost tables by operand configuration.
    sides: SideCache,
}

impl Clone for MacScratch {
    fn clone(&self) -> MacScratch {
        MacScratch::default()
    }
}

/// Totals of a sweep.
#[derive(Clone, Copy, Debug, Default)]
struct Totals {
    passes: u64,
    alloc: u64,
    lane_bits: u64,
    hist: [u64; PASS_HIST],
}

/// Pass geometry shared by every sweep of one instruction.
#[derive(Clone, Copy)]
struct Geom {
    g: usize,
    seg: usize,
    /// Fill [`MacCost::pass_hist`] (off by default: it keeps the pass loop from
    /// vectorising).
    hist: bool,
    /// Least cycles of a pass that exists (0: an all-zero pass is skipped; 1: Pragmatic).
    minp: u8,
    /// Every `rows` entry is 0 or 1 (a gate), so a lane's cost `row · sf` is a mask of `sf`
    /// (byte operations only; a byte multiply does not vectorise).
    gates: bool,
}

/// Passes of one "outer" index (a column n, or a row m) for all `v` outputs along the other
/// dimension at once. `idx` lists the k that occupy lanes, in order; the lane cost of element
/// k for output j is `rows[k·v + j] · sf[k]` and `rowsum[k] = Σ_j rows[k·v + j]`. Adds each
/// output's pass cycles to `acc`, and with `ls` (lock-step) records every pass's cost for
/// the `v` outputs.
/// Compiled for the host's SIMD level at run time (like the MAC kernels): the pass maxima
/// are byte-wise maxima of whole rows.
#[allow(clippy::too_many_arguments)]
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
fn sweep(
    geo: Geom,
    uniform: Option<u8>,
    rows: &[u8],
    rowsum: &[u32],
    v: usize,
    idx: &[u32],
    sf: &[u8],
    vmax: &mut [u8],
    acc: &mut PassAcc,
    t: &mut Totals,
    mut ls: Option<&mut Lockstep>,
) {
    if let Some(c0) = uniform {
        // Every lane costs c0: only the number of passes matters.
        let mut chunks = 0u64;
        let mut ch = small::Chunk::default();
        for &k in idx {
            chunks += ch.lane(geo, k as usize) as u64;
        }
        chunks += (ch.in_chunk > 0) as u64;
        let c = c0.max(geo.minp);
        if let Some(ls) = ls {
            vmax.fill(c);
            for _ in 0..chunks {
                ls.record(vmax);
            }
            vmax.fill(0);
        }
        if c > 0 {
            let c = c as u64;
            for (s, n) in acc.sum.iter_mut().zip(acc.cnt.iter_mut()) {
                *s += (chunks * c) as u32;
                *n += chunks as u32;
            }
            let v = v as u64;
            t.hist[(c as usize).min(PASS_HIST - 1)] += chunks * v;
            t.lane_bits += idx.len() as u64 * c0 as u64 * v;
        }
        return;
    }
    // As `small::Chunk`, with the state in plain locals (measurably faster in this loop).
    let mut in_chunk = 0usize;
    // End of the current vector-scale segment (idx is increasing).
    let mut seg_end = 0usize;
    for &k in idx {
        let k = k as usize;
        if k >= seg_end || in_chunk == geo.g {
            if in_chunk > 0 {
                emit(geo, vmax, acc, t, &mut ls);
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
        t.lane_bits += rowsum[k] as u64 * f as u64;
        let row = &rows[k * v..(k + 1) * v];
        if f == 1 {
            for (mx, &c) in vmax.iter_mut().zip(row) {
                *mx = (*mx).max(c);
            }
        } else if geo.gates {
            for (mx, &c) in vmax.iter_mut().zip(row) {
                *mx = (*mx).max(0u8.wrapping_sub(c) & f);
            }
        } else {
            for (mx, &c) in vmax.iter_mut().zip(row) {
                *mx = (*mx).max(c.wrapping_mul(f));
            }
        }
    }
    if in_chunk > 0 {
        emit(geo, vmax, acc, t, &mut ls);
    }
}

/// Close one pass of the `v` outputs whose costs are in `vmax`: apply the empty-pass
/// minimum, add each output's pass cost to `acc`, record it for lock-step (`ls`), and clear
/// `vmax` for the next pass. Vertical (per-output) operations only, so they vectorise.
#[inline(always)]
fn emit(
    geo: Geom,
    vmax: &mut [u8],
    acc: &mut PassAcc,
    t: &mut Totals,
    ls: &mut Option<&mut Lockstep>,
) {
    if geo.minp > 0 {
        for x in vmax.iter_mut() {
            *x = (*x).max(geo.minp);
        }
    }
    if geo.hist {
        for &x in vmax.iter().filter(|&&x| x > 0) {
            t.hist[(x as usize).min(PASS_HIST - 1)] += 1;
        }
    }
    if let Some(ls) = ls.as_deref_mut() {
        ls.record(vmax);
    }
    for (s, &x) in acc.sum.iter_mut().zip(vmax.iter()) {
        *s += x as u32;
    }
    for (n, &x) in acc.cnt.iter_mut().zip(vmax.iter()) {
        *n += (x > 0) as u32;
    }
    vmax.fill(0);
}

/// Per-output pass totals of the current outer index: Σ pass cycles and passes executed
/// (time in milli-cycles = 1000 · sum + overhead · count).
#[derive(Debug, Default)]
struct PassAcc {
    sum: Vec<u32>,
    cnt: Vec<u32>,
}

impl PassAcc {
    /// Start over with `v` outputs at 0.
    fn reset(&mut self, v: usize) {
        if self.sum.len() == v {
            self.sum.fill(0);
            self.cnt.fill(0);
        } else {
            self.sum.clear();
            self.sum.resize(v, 0);
            self.cnt.clear();
            self.cnt.resize(v, 0);
        }
    }

    /// Add the passes and allocated lane cycles to the totals (once per sweep result).
    fn fold(&self, t: &mut Totals, g: usize) {
        t.passes += self.cnt.iter().map(|&x| x as u64).sum::<u64>();
        t.alloc += self.sum.iter().map(|&x| x as u64).sum::<u64>() * g as u64;
    }
}

/// One outer index's passes: the fixed-width sweep ([`small`]) when the cost rows are a
/// narrow `stride` apart and costs vary, else [`sweep`] (rows `v` apart, or unused when
/// `uniform`).
#[allow(clippy::too_many_arguments)]
fn run_sweep(
    geo: Geom,
    uniform: Option<u8>,
    rows: &[u8],
    rowsum: &[u32],
    v: usize,
    stride: usize,
    idx: &[u32],
    sf: &[u8],
    vmax: &mut [u8],
    acc: &mut PassAcc,
    t: &mut Totals,
    ls: Option<&mut Lockstep>,
) {
    if uniform.is_none() && small::fixed(stride) {
        small::sweep(stride, geo, rows, rowsum, v, idx, sf, acc, t, ls);
    } else {
        sweep(geo, uniform, rows, rowsum, v, idx, sf, vmax, acc, t, ls);
    }
}

/// The lane factor `f(c)` shared by every code of `codes` not in `skip`, if they all share
/// one (0 when every code is skipped); stops at the first disagreement.
fn uniform_factor(codes: &[u8], skip: Option<&[bool; 256]>, f: impl Fn(u8) -> u8) -> Option<u8> {
    let mut v: Option<u8> = None;
    for &c in codes {
        if skip.is_some_and(|s| s[c as usize]) {
            continue;
        }
        let x = f(c);
        match v {
            None => v = Some(x),
            Some(y) if y != x => return None,
            _ => {}
        }
    }
    Some(v.unwrap_or(0))
}

/// `sf[k]` = the lane factor of `codes[k]`: its entry in `table`, or 1 when the operand does
/// not set the lane cost (`None`). Replaces `sf`'s contents.
fn factors(sf: &mut Vec<u8>, codes: &[u8], table: Option<&[u8; 256]>) {
    sf.clear();
    match table {
        Some(t) => sf.extend(codes.iter().map(|&c| t[c as usize])),
        None => sf.resize(codes.len(), 1),
    }
}

/// Whether every entry of `rows` is 0 or 1 ([`Geom::gates`]).
fn all_gates(rows: &[u8]) -> bool {
    rows.iter().fold(0u8, |a, &x| a | x) <= 1
}

/// Add each output's time (`acc`, plus `vs` milli-cycles) to its PE's total: output j runs
/// on PE slot `base + (j mod period)` (the PE totals are laid out so that the outputs of
/// one outer index are consecutive: column-major for orientation A, row-major for B).
fn add_to_pes(pe: &mut [u64], acc: &PassAcc, ovh: u64, vs: u64, base: usize, period: usize) {
    let period = period.max(1);
    let pes = &mut pe[base..base + period];
    for (sum, cnt) in acc.sum.chunks(period).zip(acc.cnt.chunks(period)) {
        for ((p, &s), &c) in pes.iter_mut().zip(sum).zip(cnt) {
            *p += s as u64 * 1000 + c as u64 * ovh + vs;
        }
    }
}

/// `out[k] = Σ_j rows[k·v + j]` for k in 0..kn.
fn row_sums(rows: &[u8], v: usize, kn: usize, out: &mut Vec<u32>) {
    out.clear();
    out.extend((0..kn).map(|k| {
        rows[k * v..(k + 1) * v]
            .iter()
            .map(|&x| x as u32)
            .sum::<u32>()
    }));
}

/// The cost of one MAC instruction under the configured model.
pub(crate) fn mac_cost(
    cfg: &MacConfig,
    w: &MacWork<'_>,
    s: &mut MacScratch,
    hist: bool,
) -> MacCost {
    let (m_, k_, n_) = (w.m, w.k, w.n);
    let macs = (m_ as u64) * (k_ as u64) * (n_ as u64);
    let mut cost = MacCost {
        cycles: cfg.fixed_latency as u64,
        macs,
        ..MacCost::default()
    };
    if macs == 0 || w.w.len() < m_ * k_ || w.a.len() < k_ * n_ {
        return cost;
    }
    let g = cfg.group.max(1);
    let slots = (cfg.lanes / g).max(1) as u64;
    let seg = if w.vector_scaled { w.vlen.max(1) } else { k_ };
    let serial_ovh = (cfg.pass_overhead * 1000.0).round() as u64;
    let slice_mode = cfg.model == MacModel::Loom && w.slice > 0 && w.afmt == NumFmt::Uint;
    let booth = cfg.effective_terms() == TermEncoding::Booth;
    let lock = cfg.sync == SyncMode::Lockstep;
    let shape_of = |serial: u32| match serial {
        0 => Shape::W,
        1 => Shape::A,
        _ => Shape::WA,
    };
    // Model → (cost shape, weight side, activation side, zero eliminator?, group, overhead),
    // the sides as keys of the lane-cost table cache.
    let (shape, wkey, akey, ze, group, ovh) = match cfg.model {
        MacModel::Loom => (
            shape_of(w.serial),
            SideKey::Loom(w.wfmt, w.wprec, w.ck, cfg.zero_bit_skip, booth),
            SideKey::Loom(w.afmt, w.aprec, w.ck, cfg.zero_bit_skip, booth),
            cfg.zero_elim,
            g,
            serial_ovh,
        ),
        MacModel::BitParallel => {
            let u = SideKey::Uniform(1);
            (Shape::W, u, u, false, g, 0)
        }
        MacModel::BitFusion => {
            let sp = 8 / w.aprec.max(2) * (8 / w.wprec.max(2));
            let (u, gf) = (SideKey::Uniform(1), g * sp.max(1));
            (Shape::W, u, u, false, gf, 0)
        }
        MacModel::Stripes => (
            Shape::A,
            SideKey::Uniform(1),
            SideKey::Uniform(w.aprec),
            false,
            g,
            serial_ovh,
        ),
        MacModel::Pragmatic => (
            shape_of(w.serial),
            SideKey::Effectual(w.wfmt, w.wprec, booth),
            SideKey::Effectual(w.afmt, w.aprec, booth),
            false,
            g,
            serial_ovh,
        ),
        MacModel::Laconic => (
            Shape::WA,
            SideKey::Effectual(w.wfmt, w.wprec, booth),
            SideKey::Effectual(w.afmt, w.aprec, booth),
            false,
            g,
            serial_ovh,
        ),
    };
    // Bit-slice mode's low and high slice sides.
    let sl = w.slice.min(8);
    let lo_key = SideKey::Slice(sl, w.aprec, false, cfg.zero_bit_skip, booth);
    let hi_key = SideKey::Slice(sl, w.aprec, true, cfg.zero_bit_skip, booth);
    if slice_mode {
        s.sides.prepare(&[wkey, akey, lo_key, hi_key]);
    } else {
        s.sides.prepare(&[wkey, akey]);
    }
    let sides = &s.sides;
    let (wside, aside) = (sides.find(wkey), sides.find(akey));
    let mut geo = Geom {
        g: group as usize,
        seg,
        hist,
        minp: cfg.effective_empty_pass(),
        gates: false,
    };
    // Pragmatic with a narrow first-stage shifter: pass costs from term positions.
    let two = (cfg.model == MacModel::Pragmatic && cfg.first_stage_bits < 5).then(|| {
        shifter::TwoStage::new(
            cfg.first_stage_bits,
            shape,
            w.wfmt,
            w.wprec,
            w.afmt,
            w.aprec,
            booth,
        )
    });
    let nominal = |a: &Side| -> u64 {
        match shape {
            Shape::W => wside.nominal as u64,
            Shape::A => a.nominal as u64,
            Shape::WA => wside.nominal as u64 * a.nominal as u64,
        }
    };
    let wfac = |c: u8| {
        if shape == Shape::A {
            1
        } else {
            wside.table[c as usize]
        }
    };

    let MacScratch {
        at,
        rows,
        sf,
        idx,
        vmax,
        rowsum,
        acc,
        pe,
        lanes,
        wcol,
        arow,
        wzeros,
        azeros,
        ls,
        sides: _,
        nrows,
        one,
    } = s;
    ls.reset();

    // Non-zero counts: weights per column k, activations per row k.
    if let Some((wc, ar)) = square::nonzero_counts(w.w, w.a, (m_, k_, n_), (w.wzero, w.azero)) {
        wcol.clear();
        wcol.extend(wc[..k_].iter().map(|&x| u32::from(x)));
        arow.clear();
        arow.extend(ar[..k_].iter().map(|&x| u32::from(x)));
    } else {
        zeros::per_column(w.w, (m_, k_), w.wzero, wzeros, wcol);
        zeros::per_row(w.a, (k_, n_), w.azero, azeros, arow);
    }
    let w_nnz: u64 = wcol.iter().map(|&x| x as u64).sum();
    let a_nnz: u64 = arow.iter().map(|&x| x as u64).sum();
    // Which operand the passes run along (below), and what that needs: the codes of A
    // transposed and the activation masks per column (orientation A, slice mode), or the
    // weight masks per row (orientation B). Only what is used is built.
    let orient_a = slice_mode || !ze || a_nnz * (m_ as u64) <= w_nnz * (n_ as u64);
    // At most 16 outputs per outer index: the fused path (`small::narrow`), which reads
    // the codes in place.
    let narrow = !slice_mode
        && two.is_none()
        && if orient_a {
            m_ <= small::NARROW
        } else {
            n_ <= small::NARROW
        };
    if orient_a && !narrow {
        at.clear();
        at.resize(n_ * k_, 0);
        for k in 0..k_ {
            for (n, &c) in w.a[k * n_..(k + 1) * n_].iter().enumerate() {
                at[n * k_ + k] = c;
            }
        }
    }
    // Products with both operands non-zero: Σ_k (weights ≠ 0 at k) · (activations ≠ 0 at k).
    let effectual: u64 = wcol
        .iter()
        .zip(arow.iter())
        .map(|(&x, &y)| x as u64 * y as u64)
        .sum();
    let (wcodes, acodes) = (&w.w[..m_ * k_], &w.a[..k_ * n_]);
    let rows_pe = cfg.rows.max(1) as usize;
    let cols_pe = cfg.cols.max(1) as usize;
    let vs_milli = if w.vector_scaled {
        cfg.vector_scale_cycles as u64 * k_.div_ceil(seg) as u64 * 1000
    } else {
        0
    };
    // A narrow instruction as (outputs per outer index, outer indices) on the array seen
    // from the outer index; costed by `onepass` when each output is one pass on its own PE.
    let tile = {
        let (v, outer, outer_pe, inner_pe) = if orient_a {
            (m_, n_, cols_pe, rows_pe)
        } else {
            (n_, m_, rows_pe, cols_pe)
        };
        onepass::Tile {
            v,
            outer,
            k: k_,
            arr: small::Array {
                outer_pe,
                inner_pe,
                slots: slots as usize,
                ovh,
                vs: vs_milli,
            },
        }
    };
    let one_pass = narrow && tile.fits(geo);
    // Per-PE milli-cycles of the PEs that get work: column-major (`n mod cols` blocks of
    // `rows`) in orientation A, row-major in B, so one outer index adds to consecutive PEs.
    // A one-pass tile only reports its busiest PE.
    pe.clear();
    pe.resize(
        if one_pass {
            1
        } else if orient_a {
            n_.min(cols_pe) * rows_pe
        } else {
            m_.min(rows_pe) * cols_pe
        },
        0,
    );

    // Orientation A: outer loop over columns n, vector over rows m. rows[k·st + m] holds the
    // weight factor (gated to 0 for zero weights when `gate`), sf[k] the activation factor;
    // rows are `st` apart (zero padded for a narrow tile, see `small`).
    let st_a = small::stride(m_);
    let fill_w_rows = |rows: &mut Vec<u8>, gate: bool| {
        let mut table = [0u8; 256];
        for (c, t) in table.iter_mut().enumerate() {
            if !gate || !w.wzero[c] {
                *t = wfac(c as u8);
            }
        }
        rows.clear();
        rows.resize(k_ * st_a, 0);
        for m in 0..m_ {
            for (k, &c) in w.w[m * k_..(m + 1) * k_].iter().enumerate() {
                rows[k * st_a + m] = table[c as usize];
            }
        }
    };
    let afac = |side: &Side, c: u8| {
        if shape == Shape::W {
            1
        } else {
            side.table[c as usize]
        }
    };
    // The common lane factor of the (not skipped) weights or activations, if any (a factor
    // the shape makes constant needs no scan; when every code is skipped no lane is
    // occupied, so the factor is never used).
    let uni_w = |skip: Option<&[bool; 256]>| match shape {
        Shape::A => Some(1),
        _ => uniform_factor(wcodes, skip, wfac),
    };
    let uni_a = |skip: Option<&[bool; 256]>| match shape {
        Shape::W => Some(1),
        _ => uniform_factor(acodes, skip, |c| afac(&aside, c)),
    };
    let mut total = Totals::default();
    let mut scale = 1u64; // sweeps standing for several identical ones
    let nominal_bits;

    if slice_mode {
        // LO slices: dense (every k), zero weights gate their lanes.
        // HO slices: the eliminator drops those equal to r; zero weights gate.
        let (lo_side, hi_side) = (sides.find(lo_key), sides.find(hi_key));
        fill_w_rows(rows, true);
        row_sums(rows, st_a, k_, rowsum);
        geo.gates = all_gates(rows);
        vmax.clear();
        vmax.resize(m_, 0);
        acc.reset(m_);
        let mut done_hi = 0u64;
        for n in 0..n_ {
            acc.reset(m_);
            ls.open(m_, slots as usize);
            let col = &at[n * k_..(n + 1) * k_];
            // LO
            sf.clear();
            factors(sf, col, (shape != Shape::W).then_some(&lo_side.table));
            idx.clear();
            idx.extend(0..k_ as u32);
            let tr = lock.then_some(&mut *ls);
            run_sweep(
                geo, None, rows, rowsum, m_, st_a, idx, sf, vmax, acc, &mut total, tr,
            );
            // HO
            sf.clear();
            factors(sf, col, (shape != Shape::W).then_some(&hi_side.table));
            idx.clear();
            idx.extend((0..k_ as u32).filter(|&k| (col[k as usize] as u32) >> sl != w.sfreq));
            let tr = lock.then_some(&mut *ls);
            run_sweep(
                geo, None, rows, rowsum, m_, st_a, idx, sf, vmax, acc, &mut total, tr,
            );
            acc.fold(&mut total, geo.g);
            add_to_pes(pe, acc, ovh, vs_milli, (n % cols_pe) * rows_pe, rows_pe);
            // Weights ≠ 0 meeting this column's high slices: Σ over its HO lanes of wcol.
            done_hi += idx.iter().map(|&k| wcol[k as usize] as u64).sum::<u64>();
            if lock && ((n + 1) % cols_pe == 0 || n + 1 == n_) {
                ls.close(rows_pe, ovh, vs_milli, 1);
            }
        }
        let done_lo = w_nnz * n_ as u64;
        cost.done = done_lo;
        cost.skip_zero_value = macs - done_lo;
        let skipped = done_lo - done_hi;
        if w.sfreq == 0 {
            cost.skip_zero_slice = skipped;
        } else {
            cost.skip_compressed_slice = skipped;
        }
        nominal_bits = done_lo * nominal(&lo_side) + done_hi * nominal(&hi_side);
    } else if narrow {
        let ones = [1u8; 256];
        let wop = small::Operand {
            codes: small::Codes {
                data: w.w,
                si: k_,
                sk: 1,
            },
            factor: if shape == Shape::A {
                &ones
            } else {
                &wside.table
            },
            zero: w.wzero,
        };
        let aop = small::Operand {
            codes: small::Codes {
                data: w.a,
                si: 1,
                sk: n_,
            },
            factor: if shape == Shape::W {
                &ones
            } else {
                &aside.table
            },
            zero: w.azero,
        };
        // Orientation A: rows of weight factors (gated when compacting), columns walked.
        // B: rows of activation factors (zero activations gate), weight rows walked.
        // (Built whole in each arm: assembled from a tuple, its 16-byte fields were read
        // back before the 8-byte stores that wrote them had retired.)
        let ops = if orient_a {
            onepass::Operands {
                rows: wop,
                gate: ze,
                outer: aop,
                compact: ze,
            }
        } else {
            onepass::Operands {
                rows: aop,
                gate: true,
                outer: wop,
                compact: true,
            }
        };
        if one_pass {
            let r = onepass::cost(geo, tile, ops, one, &mut total);
            pe[0] = r.max_pe;
            if lock {
                ls.milli += r.lock_milli;
            }
        } else {
            let tr = lock.then_some(&mut *ls);
            let (nr, rs, t) = (nrows, rowsum, &mut total);
            let (v, outer, arr) = (tile.v, tile.outer, tile.arr);
            small::narrow(geo, v, outer, k_, ops, arr, nr, rs, pe, t, tr);
        }
        cost.done = if ze || !orient_a { effectual } else { macs };
        cost.skip_zero_value = macs - cost.done;
        nominal_bits = cost.done * nominal(&aside);
    } else if orient_a {
        // Orientation A: static passes over all k, or activations are the sparser operand
        // (the eliminator compacts each column's non-zero activations; zero weights gate).
        let full_w = w_nnz == (m_ * k_) as u64;
        let uw = if ze && !full_w { None } else { uni_w(None) };
        let ua = uni_a(ze.then_some(w.azero));
        let uniform = uw
            .zip(ua)
            .map(|(x, y)| x.wrapping_mul(y))
            .filter(|_| two.is_none());
        if uniform.is_none() && two.is_none() {
            fill_w_rows(rows, ze);
            row_sums(rows, st_a, k_, rowsum);
            geo.gates = all_gates(rows);
        }
        vmax.clear();
        vmax.resize(m_, 0);
        acc.reset(m_);
        // Static weight-only costs do not depend on n: sweep once and replicate.
        let same_for_all_n = !ze && shape == Shape::W;
        for n in 0..n_ {
            if n == 0 || !same_for_all_n {
                acc.reset(m_);
                ls.open(m_, slots as usize);
                let col = &at[n * k_..(n + 1) * k_];
                sf.clear();
                factors(sf, col, (shape != Shape::W).then_some(&aside.table));
                idx.clear();
                if ze {
                    idx.extend((0..k_ as u32).filter(|&k| !w.azero[col[k as usize] as usize]));
                } else {
                    idx.extend(0..k_ as u32);
                }
                let tr = lock.then_some(&mut *ls);
                if let Some(ts) = &two {
                    ts.sweep(geo, w.w, k_, col, idx, lanes, vmax, acc, &mut total, tr);
                } else {
                    run_sweep(
                        geo, uniform, rows, rowsum, m_, st_a, idx, sf, vmax, acc, &mut total, tr,
                    );
                }
                acc.fold(&mut total, geo.g);
            }
            add_to_pes(pe, acc, ovh, vs_milli, (n % cols_pe) * rows_pe, rows_pe);
            if lock && same_for_all_n && n == 0 {
                // Every column block is the same: one column stands for all of them.
                let copies = n_.div_ceil(cols_pe) as u64;
                ls.close(rows_pe, ovh, vs_milli, copies);
            } else if lock && !same_for_all_n && ((n + 1) % cols_pe == 0 || n + 1 == n_) {
                ls.close(rows_pe, ovh, vs_milli, 1);
            }
        }
        if same_for_all_n {
            scale = n_ as u64;
        }
        if ze {
            cost.done = effectual;
            cost.skip_zero_value = macs - effectual;
        } else {
            cost.done = macs;
        }
        nominal_bits = cost.done * nominal(&aside);
    } else {
        // Orientation B: weights are the sparser operand: the eliminator compacts each row's
        // non-zero weights; zero activations gate their lanes. rows[k·N + n] = activation
        // factor, sf[k] = weight factor of row m.
        let full_a = a_nnz == (k_ * n_) as u64;
        let ua = if full_a { uni_a(None) } else { None };
        let uw = uni_w(Some(w.wzero));
        let uniform = uw.zip(ua).map(|(x, y)| x.wrapping_mul(y));
        let st_b = small::stride(n_);
        rows.clear();
        rows.resize(if uniform.is_some() { 0 } else { k_ * st_b }, 0);
        for k in 0..if uniform.is_some() { 0 } else { k_ } {
            for (n, &c) in w.a[k * n_..(k + 1) * n_].iter().enumerate() {
                rows[k * st_b + n] = if w.azero[c as usize] {
                    0
                } else {
                    afac(&aside, c)
                };
            }
        }
        if uniform.is_none() {
            row_sums(rows, st_b, k_, rowsum);
            geo.gates = all_gates(rows);
        }
        vmax.clear();
        vmax.resize(n_, 0);
        acc.reset(n_);
        for m in 0..m_ {
            acc.reset(n_);
            ls.open(n_, slots as usize);
            let wrow = &w.w[m * k_..(m + 1) * k_];
            sf.clear();
            factors(sf, wrow, (shape != Shape::A).then_some(&wside.table));
            idx.clear();
            idx.extend((0..k_ as u32).filter(|&k| !w.wzero[wrow[k as usize] as usize]));
            let tr = lock.then_some(&mut *ls);
            run_sweep(
                geo, uniform, rows, rowsum, n_, st_b, idx, sf, vmax, acc, &mut total, tr,
            );
            acc.fold(&mut total, geo.g);
            add_to_pes(pe, acc, ovh, vs_milli, (m % rows_pe) * cols_pe, cols_pe);
            if lock && ((m + 1) % rows_pe == 0 || m + 1 == m_) {
                ls.close(cols_pe, ovh, vs_milli, 1);
            }
        }
        cost.done = effectual;
        cost.skip_zero_value = macs - effectual;
        nominal_bits = effectual * nominal(&aside);
    }
    if scale > 1 {
        total.passes *= scale;
        total.alloc *= scale;
        total.lane_bits *= scale;
        for h in total.hist.iter_mut() {
            *h *= scale;
        }
    }

    // Only the PEs that received work were cleared (a small tile does not touch the whole
    // array); the others would be 0.
    let max_pe = pe.iter().copied().max().unwrap_or(0);
    let decoupled = max_pe.div_ceil(slots * 1000);
    if lock {
        let locked = ls.milli.div_ceil(1000);
        cost.cycles += locked;
        cost.lockstep_idle = locked.saturating_sub(decoupled);
    } else {
        cost.cycles += decoupled;
    }
    cost.passes = total.passes;
    cost.pass_hist = total.hist;
    cost.lane_bits = total.lane_bits;
    cost.lane_alloc = total.alloc;
    cost.skip_ineffectual_bits = nominal_bits.saturating_sub(total.lane_bits);
    cost
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eff() {
        assert_eq!(eff_bits(0xff, NumFmt::Int, 8), 1); // -1
        assert_eq!(eff_bits(0x80, NumFmt::Int, 8), 1); // -128
        assert_eq!(eff_bits(0x07, NumFmt::Int, 8), 3);
        assert_eq!(eff_bits(0b101, NumFmt::Uint, 3), 2);
        assert_eq!(eff_bits(0b1011, NumFmt::Cluster, 4), 2);
        assert_eq!(eff_bits(0b1000, NumFmt::Log, 4), 0);
        assert_eq!(eff_bits(3, NumFmt::Lut, 4), 4);
    }
}
