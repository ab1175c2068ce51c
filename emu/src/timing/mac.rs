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

/// Serial cost of one operand per lane, and its nominal (no skipping) cost.
#[derive(Clone, Copy, Debug)]
struct Side {
    table: [u8; 256],
    nominal: u32,
}

impl Side {
    /// Loom: cluster → ck, log → 1 (a shift), lut → code bits, int/uint → effectual bits when
    /// zero-bit skipping is on, else the precision.
    fn loom(fmt: NumFmt, prec: u32, ck: u32, skip: bool, booth: bool) -> Side {
        let mut table = [0u8; 256];
        let nominal = match fmt {
            NumFmt::Log => 1,
            _ => prec,
        };
        for (c, t) in table.iter_mut().enumerate() {
            *t = match fmt {
                NumFmt::Cluster => ck.min(8),
                NumFmt::Log => 1,
                NumFmt::Lut => prec,
                NumFmt::Int | NumFmt::Uint => {
                    if skip {
                        term_count(c as u8, fmt, prec, booth)
                    } else {
                        prec
                    }
                }
            } as u8;
        }
        Side { table, nominal }
    }

    /// Zero-bit skipping baselines: terms of every code.
    fn effectual(fmt: NumFmt, prec: u32, booth: bool) -> Side {
        let mut table = [0u8; 256];
        for (c, t) in table.iter_mut().enumerate() {
            *t = term_count(c as u8, fmt, prec, booth) as u8;
        }
        Side {
            table,
            nominal: prec,
        }
    }

    /// The same cost for every code.
    fn uniform(cost: u32) -> Side {
        Side {
            table: [cost.min(255) as u8; 256],
            nominal: cost,
        }
    }

    /// A bit-slice of uint codes: `lo` slices (code & (2^s − 1)) or `hi` slices (code >> s).
    fn slice(s: u32, prec: u32, hi: bool, skip: bool, booth: bool) -> Side {
        let bits = if hi {
            prec.saturating_sub(s)
        } else {
            s.min(prec)
        };
        let mut table = [0u8; 256];
        for (c, t) in table.iter_mut().enumerate() {
            let v = if hi {
                (c as u32) >> s
            } else {
                c as u32 & ((1u32 << s) - 1)
            };
            *t = match (skip, booth) {
                (false, _) => bits,
                (true, false) => v.count_ones(),
                (true, true) => naf_weight(v),
            } as u8;
        }
        Side {
            table,
            nominal: bits,
        }
    }
}

/// Everything a 256-entry [`Side`] table depends on, so it is built once per distinct
/// operand configuration instead of once per instruction (the tables are pure functions
/// of these parameters: a cached table can never be stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SideKey {
    /// [`Side::loom`]: format, precision, ck, zero-bit skipping, Booth.
    Loom(NumFmt, u32, u32, bool, bool),
    /// [`Side::effectual`]: format, precision, Booth.
    Effectual(NumFmt, u32, bool),
    /// [`Side::slice`]: slice width, precision, high half, skipping, Booth.
    Slice(u32, u32, bool, bool, bool),
}

/// Memoised [`Side`] tables (a few recent keys).
#[derive(Debug, Default)]
struct SideCache {
    entries: Vec<(SideKey, Side)>,
    next: usize,
}

/// [`SideCache`] entries kept.
const SIDE_ENTRIES: usize = 8;

impl SideCache {
    fn get(&mut self, key: SideKey) -> Side {
        if let Some((_, side)) = self.entries.iter().find(|(k, _)| *k == key) {
            return *side;
        }
        let side = match key {
            SideKey::Loom(fmt, prec, ck, skip, booth) => Side::loom(fmt, prec, ck, skip, booth),
            SideKey::Effectual(fmt, prec, booth) => Side::effectual(fmt, prec, booth),
            SideKey::Slice(sl, prec, hi, skip, booth) => Side::slice(sl, prec, hi, skip, booth),
        };
        if self.entries.len() < SIDE_ENTRIES {
            self.entries.push((key, side));
        } else {
            self.next = (self.next + 1) % SIDE_ENTRIES;
            self.entries[self.next] = (key, side);
        }
        side
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
    wnz: Vec<u64>,
    anz: Vec<u64>,
    ahi: Vec<u64>,
    at: Vec<u8>,
    rows: Vec<u8>,
    sf: Vec<u8>,
    idx: Vec<u32>,
    vmax: Vec<u8>,
    rowsum: Vec<u32>,
    milli: Vec<u64>,
    pe: Vec<u64>,
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
    ovh: u64,
    /// Fill [`MacCost::pass_hist`] (off by default: it keeps the pass loop from
    /// vectorising).
    hist: bool,
    /// Least cycles of a pass that exists (0: an all-zero pass is skipped; 1: Pragmatic).
    minp: u8,
}

/// Passes of one "outer" index (a column n, or a row m) for all `v` outputs along the other
/// dimension at once. `idx` lists the k that occupy lanes, in order; the lane cost of element
/// k for output j is `rows[k·v + j] · sf[k]` and `rowsum[k] = Σ_j rows[k·v + j]`. Adds each
/// output's pass cycles (milli-cycles) to `milli[j]`, and with `trace` (lock-step) appends
/// every pass's cost for the `v` outputs (pass-major) to it.
#[allow(clippy::too_many_arguments)]
fn sweep(
    geo: Geom,
    uniform: Option<u8>,
    rows: &[u8],
    rowsum: &[u32],
    v: usize,
    idx: &[u32],
    sf: &[u8],
    vmax: &mut [u8],
    milli: &mut [u64],
    t: &mut Totals,
    mut trace: Option<&mut Vec<u8>>,
) {
    let mut emit = |vmax: &mut [u8], t: &mut Totals, trace: &mut Option<&mut Vec<u8>>| {
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
        if let Some(tr) = trace.as_deref_mut() {
            tr.extend_from_slice(vmax);
        }
        let mut passes = 0u64;
        let mut alloc = 0u64;
        for (m, x) in milli.iter_mut().zip(vmax.iter_mut()) {
            let c = *x as u64;
            let on = (c > 0) as u64;
            *m += on * (c * 1000 + geo.ovh);
            passes += on;
            alloc += c;
            *x = 0;
        }
        t.passes += passes;
        t.alloc += alloc * geo.g as u64;
    };
    if let Some(c0) = uniform {
        // Every lane costs c0: only the number of passes matters.
        let mut chunks = 0u64;
        let mut in_chunk = 0usize;
        let mut cur_seg = usize::MAX;
        for &k in idx {
            let sg = k as usize / geo.seg;
            if in_chunk > 0 && (in_chunk == geo.g || sg != cur_seg) {
                chunks += 1;
                in_chunk = 0;
            }
            cur_seg = sg;
            in_chunk += 1;
        }
        chunks += (in_chunk > 0) as u64;
        let c = c0.max(geo.minp);
        if let Some(tr) = trace {
            tr.resize(tr.len() + chunks as usize * v, c);
        }
        if c > 0 {
            let c = c as u64;
            let add = chunks * (c * 1000 + geo.ovh);
            for m in milli.iter_mut() {
                *m += add;
            }
            let v = milli.len() as u64;
            t.passes += chunks * v;
            t.hist[(c as usize).min(PASS_HIST - 1)] += chunks * v;
            t.alloc += chunks * v * c * geo.g as u64;
            t.lane_bits += idx.len() as u64 * c0 as u64 * v;
        }
        return;
    }
    let mut in_chunk = 0usize;
    let mut cur_seg = usize::MAX;
    for &k in idx {
        let k = k as usize;
        let sg = k / geo.seg;
        if in_chunk > 0 && (in_chunk == geo.g || sg != cur_seg) {
            emit(vmax, t, &mut trace);
            in_chunk = 0;
        }
        cur_seg = sg;
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
        } else {
            for (mx, &c) in vmax.iter_mut().zip(row) {
                *mx = (*mx).max(c.wrapping_mul(f));
            }
        }
    }
    if in_chunk > 0 {
        emit(vmax, t, &mut trace);
    }
}

/// Lock-step state of one instruction (docs/TIMING.md §4 "Lock-step"): the pass traces of
/// the outer indices of the current PE block, and the total so far.
#[derive(Debug, Default)]
struct Lockstep {
    /// Pass costs of the block's outer indices, concatenated (pass-major, `v` per pass).
    trace: Vec<u8>,
    /// Start of each outer index's trace in `trace`.
    starts: Vec<usize>,
    /// Wave maxima per (inner PE block, step).
    wave: Vec<u8>,
    /// Σ over waves of (max + overhead), and vector-scale cycles, in milli-cycles.
    milli: u64,
}

impl Lockstep {
    /// Start a new instruction (keeps the buffers' capacity).
    fn reset(&mut self) {
        self.trace.clear();
        self.starts.clear();
        self.wave.clear();
        self.milli = 0;
    }

    /// Begin the next outer index of the block.
    fn open(&mut self) {
        self.starts.push(self.trace.len());
    }

    /// Close the block: its outputs run as waves, one per PE (`inner_pe` consecutive inner
    /// outputs, one outer index each). A wave is `slots` consecutive passes of each PE's
    /// output, one per lane group; it lasts as long as its slowest lane, plus the pass
    /// overhead, and is skipped when every lane costs 0. `copies`: identical blocks it
    /// stands for. `vs`: vector-scale milli-cycles per output.
    #[allow(clippy::too_many_arguments)]
    fn close(&mut self, v: usize, inner_pe: usize, slots: usize, ovh: u64, vs: u64, copies: u64) {
        self.starts.push(self.trace.len());
        let steps = |o: usize| (self.starts[o + 1] - self.starts[o]) / v.max(1);
        let outer = self.starts.len() - 1;
        let tmax = (0..outer)
            .map(|o| steps(o).div_ceil(slots))
            .max()
            .unwrap_or(0);
        let nb = v.div_ceil(inner_pe);
        self.wave.clear();
        self.wave.resize(nb * tmax, 0);
        for o in 0..outer {
            let tr = &self.trace[self.starts[o]..self.starts[o + 1]];
            for (p, row) in tr.chunks_exact(v).enumerate() {
                let t = p / slots;
                for (b, blk) in row.chunks(inner_pe).enumerate() {
                    let mx = blk.iter().copied().max().unwrap_or(0);
                    let w = &mut self.wave[b * tmax + t];
                    *w = (*w).max(mx);
                }
            }
        }
        let waves: u64 = self
            .wave
            .iter()
            .filter(|&&w| w > 0)
            .map(|&w| w as u64 * 1000 + ovh)
            .sum();
        self.milli += copies * (waves + nb as u64 * vs / slots as u64);
        self.trace.clear();
        self.starts.clear();
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

/// Popcount of the AND of two equal-length masks.
#[inline]
fn and_count(a: &[u64], b: &[u64]) -> u64 {
    a.iter()
        .zip(b)
        .map(|(x, y)| (x & y).count_ones() as u64)
        .sum()
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
    let kw = k_.div_ceil(64);
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
    // Model → (cost shape, weight side, activation side, zero eliminator?, group, overhead).
    let (shape, wside, aside, ze, group, ovh) = match cfg.model {
        MacModel::Loom => (
            shape_of(w.serial),
            s.sides.get(SideKey::Loom(
                w.wfmt,
                w.wprec,
                w.ck,
                cfg.zero_bit_skip,
                booth,
            )),
            s.sides.get(SideKey::Loom(
                w.afmt,
                w.aprec,
                w.ck,
                cfg.zero_bit_skip,
                booth,
            )),
            cfg.zero_elim,
            g,
            serial_ovh,
        ),
        MacModel::BitParallel => (Shape::W, Side::uniform(1), Side::uniform(1), false, g, 0),
        MacModel::BitFusion => {
            let sp = 8 / w.aprec.max(2) * (8 / w.wprec.max(2));
            let (u, gf) = (Side::uniform(1), g * sp.max(1));
            (Shape::W, u, u, false, gf, 0)
        }
        MacModel::Stripes => (
            Shape::A,
            Side::uniform(1),
            Side::uniform(w.aprec),
            false,
            g,
            serial_ovh,
        ),
        MacModel::Pragmatic => (
            shape_of(w.serial),
            s.sides.get(SideKey::Effectual(w.wfmt, w.wprec, booth)),
            s.sides.get(SideKey::Effectual(w.afmt, w.aprec, booth)),
            false,
            g,
            serial_ovh,
        ),
        MacModel::Laconic => (
            Shape::WA,
            s.sides.get(SideKey::Effectual(w.wfmt, w.wprec, booth)),
            s.sides.get(SideKey::Effectual(w.afmt, w.aprec, booth)),
            false,
            g,
            serial_ovh,
        ),
    };
    let geo = Geom {
        g: group as usize,
        seg,
        ovh,
        hist,
        minp: cfg.effective_empty_pass(),
    };
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
        wnz,
        anz,
        ahi,
        at,
        rows,
        sf,
        idx,
        vmax,
        rowsum,
        milli,
        pe,
        ls,
        sides,
    } = s;
    ls.reset();

    // Non-zero masks: weights per row, activations per column; codes of A transposed.
    wnz.clear();
    wnz.resize(m_ * kw, 0);
    for m in 0..m_ {
        for (k, &c) in w.w[m * k_..(m + 1) * k_].iter().enumerate() {
            if !w.wzero[c as usize] {
                wnz[m * kw + k / 64] |= 1u64 << (k % 64);
            }
        }
    }
    at.clear();
    at.resize(n_ * k_, 0);
    anz.clear();
    anz.resize(n_ * kw, 0);
    for k in 0..k_ {
        for (n, &c) in w.a[k * n_..(k + 1) * n_].iter().enumerate() {
            at[n * k_ + k] = c;
            if !w.azero[c as usize] {
                anz[n * kw + k / 64] |= 1u64 << (k % 64);
            }
        }
    }
    let w_nnz: u64 = wnz.iter().map(|x| x.count_ones() as u64).sum();
    let a_nnz: u64 = anz.iter().map(|x| x.count_ones() as u64).sum();
    // Codes present in each operand, as 256-bit sets.
    let present_of = |codes: &[u8]| {
        let mut p = [0u64; 4];
        for &c in codes {
            p[c as usize / 64] |= 1u64 << (c % 64);
        }
        p
    };
    let present_w = present_of(&w.w[..m_ * k_]);
    let present_a = present_of(&w.a[..k_ * n_]);
    // The common factor of every present code that can occupy a lane, if there is one
    // (present codes visited in increasing order).
    let common = |present: &[u64; 4], skip: &[bool; 256], f: &dyn Fn(u8) -> u8| {
        let mut v: Option<u8> = None;
        for (word, &bits) in present.iter().enumerate() {
            let mut bits = bits;
            while bits != 0 {
                let c = (word * 64 + bits.trailing_zeros() as usize) as u8;
                bits &= bits - 1;
                if skip[c as usize] {
                    continue;
                }
                let x = f(c);
                match v {
                    None => v = Some(x),
                    Some(y) if y != x => return None,
                    _ => {}
                }
            }
        }
        Some(v.unwrap_or(0))
    };
    let no_skip = [false; 256];

    let rows_pe = cfg.rows.max(1) as usize;
    let cols_pe = cfg.cols.max(1) as usize;
    pe.clear();
    pe.resize(rows_pe * cols_pe, 0);
    let vs_milli = if w.vector_scaled {
        cfg.vector_scale_cycles as u64 * k_.div_ceil(seg) as u64 * 1000
    } else {
        0
    };

    // Orientation A: outer loop over columns n, vector over rows m. rows[k·M + m] holds the
    // weight factor (gated to 0 for zero weights when `gate`), sf[k] the activation factor.
    let fill_w_rows = |rows: &mut Vec<u8>, gate: bool| {
        rows.clear();
        rows.resize(k_ * m_, 0);
        for m in 0..m_ {
            for (k, &c) in w.w[m * k_..(m + 1) * k_].iter().enumerate() {
                let live = !gate || !w.wzero[c as usize];
                rows[k * m_ + m] = if live { wfac(c) } else { 0 };
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
    let mut total = Totals::default();
    let mut scale = 1u64; // sweeps standing for several identical ones
    let nominal_bits;

    if slice_mode {
        // LO slices: dense (every k), zero weights gate their lanes.
        // HO slices: the eliminator drops those equal to r; zero weights gate.
        let sl = w.slice.min(8);
        let lo_side = sides.get(SideKey::Slice(sl, w.aprec, false, cfg.zero_bit_skip, booth));
        let hi_side = sides.get(SideKey::Slice(sl, w.aprec, true, cfg.zero_bit_skip, booth));
        fill_w_rows(rows, true);
        row_sums(rows, m_, k_, rowsum);
        ahi.clear();
        ahi.resize(n_ * kw, 0);
        for n in 0..n_ {
            for k in 0..k_ {
                if (at[n * k_ + k] as u32) >> sl != w.sfreq {
                    ahi[n * kw + k / 64] |= 1u64 << (k % 64);
                }
            }
        }
        vmax.clear();
        vmax.resize(m_, 0);
        milli.clear();
        milli.resize(m_, 0);
        let mut done_hi = 0u64;
        for n in 0..n_ {
            milli.fill(0);
            ls.open();
            let col = &at[n * k_..(n + 1) * k_];
            // LO
            sf.clear();
            sf.extend(col.iter().map(|&c| afac(&lo_side, c)));
            idx.clear();
            idx.extend(0..k_ as u32);
            let tr = lock.then_some(&mut ls.trace);
            sweep(
                geo, None, rows, rowsum, m_, idx, sf, vmax, milli, &mut total, tr,
            );
            // HO
            sf.clear();
            sf.extend(col.iter().map(|&c| afac(&hi_side, c)));
            idx.clear();
            let hn = &ahi[n * kw..(n + 1) * kw];
            idx.extend((0..k_ as u32).filter(|&k| hn[k as usize / 64] >> (k % 64) & 1 == 1));
            let tr = lock.then_some(&mut ls.trace);
            sweep(
                geo, None, rows, rowsum, m_, idx, sf, vmax, milli, &mut total, tr,
            );
            for (m, ml) in milli.iter().enumerate() {
                pe[(m % rows_pe) * cols_pe + n % cols_pe] += ml + vs_milli;
                done_hi += and_count(&wnz[m * kw..(m + 1) * kw], hn);
            }
            if lock && ((n + 1) % cols_pe == 0 || n + 1 == n_) {
                ls.close(m_, rows_pe, slots as usize, ovh, vs_milli, 1);
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
    } else if !ze || a_nnz * (m_ as u64) <= w_nnz * (n_ as u64) {
        // Orientation A: static passes over all k, or activations are the sparser operand
        // (the eliminator compacts each column's non-zero activations; zero weights gate).
        let full_w = w_nnz == (m_ * k_) as u64;
        let uw = if ze && !full_w {
            None
        } else {
            common(&present_w, &no_skip, &wfac)
        };
        let ua = common(&present_a, if ze { w.azero } else { &no_skip }, &|c| {
            afac(&aside, c)
        });
        let uniform = uw.zip(ua).map(|(x, y)| x.wrapping_mul(y));
        if uniform.is_none() {
            fill_w_rows(rows, ze);
            row_sums(rows, m_, k_, rowsum);
        }
        vmax.clear();
        vmax.resize(m_, 0);
        milli.clear();
        milli.resize(m_, 0);
        // Static weight-only costs do not depend on n: sweep once and replicate.
        let same_for_all_n = !ze && shape == Shape::W;
        for n in 0..n_ {
            if n == 0 || !same_for_all_n {
                milli.fill(0);
                ls.open();
                let col = &at[n * k_..(n + 1) * k_];
                sf.clear();
                sf.extend(col.iter().map(|&c| afac(&aside, c)));
                idx.clear();
                if ze {
                    let an = &anz[n * kw..(n + 1) * kw];
                    idx.extend(
                        (0..k_ as u32).filter(|&k| an[k as usize / 64] >> (k % 64) & 1 == 1),
                    );
                } else {
                    idx.extend(0..k_ as u32);
                }
                let tr = lock.then_some(&mut ls.trace);
                sweep(
                    geo, uniform, rows, rowsum, m_, idx, sf, vmax, milli, &mut total, tr,
                );
            }
            for (m, ml) in milli.iter().enumerate() {
                pe[(m % rows_pe) * cols_pe + n % cols_pe] += ml + vs_milli;
            }
            if lock && same_for_all_n && n == 0 {
                // Every column block is the same: one column stands for all of them.
                let copies = n_.div_ceil(cols_pe) as u64;
                ls.close(m_, rows_pe, slots as usize, ovh, vs_milli, copies);
            } else if lock && !same_for_all_n && ((n + 1) % cols_pe == 0 || n + 1 == n_) {
                ls.close(m_, rows_pe, slots as usize, ovh, vs_milli, 1);
            }
        }
        if same_for_all_n {
            scale = n_ as u64;
        }
        if ze {
            let mut d = 0u64;
            for m in 0..m_ {
                let wr = &wnz[m * kw..(m + 1) * kw];
                for n in 0..n_ {
                    d += and_count(wr, &anz[n * kw..(n + 1) * kw]);
                }
            }
            cost.done = d;
            cost.skip_zero_value = macs - d;
        } else {
            cost.done = macs;
        }
        nominal_bits = cost.done * nominal(&aside);
    } else {
        // Orientation B: weights are the sparser operand: the eliminator compacts each row's
        // non-zero weights; zero activations gate their lanes. rows[k·N + n] = activation
        // factor, sf[k] = weight factor of row m.
        let full_a = a_nnz == (k_ * n_) as u64;
        let ua = if full_a {
            common(&present_a, &no_skip, &|c| afac(&aside, c))
        } else {
            None
        };
        let uw = common(&present_w, w.wzero, &wfac);
        let uniform = uw.zip(ua).map(|(x, y)| x.wrapping_mul(y));
        rows.clear();
        rows.resize(if uniform.is_some() { 0 } else { k_ * n_ }, 0);
        for k in 0..if uniform.is_some() { 0 } else { k_ } {
            for (n, &c) in w.a[k * n_..(k + 1) * n_].iter().enumerate() {
                rows[k * n_ + n] = if w.azero[c as usize] {
                    0
                } else {
                    afac(&aside, c)
                };
            }
        }
        if uniform.is_none() {
            row_sums(rows, n_, k_, rowsum);
        }
        vmax.clear();
        vmax.resize(n_, 0);
        milli.clear();
        milli.resize(n_, 0);
        let mut d = 0u64;
        for m in 0..m_ {
            milli.fill(0);
            ls.open();
            let wrow = &w.w[m * k_..(m + 1) * k_];
            sf.clear();
            sf.extend(wrow.iter().map(|&c| wfac(c)));
            idx.clear();
            let wr = &wnz[m * kw..(m + 1) * kw];
            idx.extend((0..k_ as u32).filter(|&k| wr[k as usize / 64] >> (k % 64) & 1 == 1));
            let tr = lock.then_some(&mut ls.trace);
            sweep(
                geo, uniform, rows, rowsum, n_, idx, sf, vmax, milli, &mut total, tr,
            );
            for (n, ml) in milli.iter().enumerate() {
                pe[(m % rows_pe) * cols_pe + n % cols_pe] += ml + vs_milli;
                d += and_count(wr, &anz[n * kw..(n + 1) * kw]);
            }
            if lock && ((m + 1) % rows_pe == 0 || m + 1 == m_) {
                ls.close(n_, cols_pe, slots as usize, ovh, vs_milli, 1);
            }
        }
        cost.done = d;
        cost.skip_zero_value = macs - d;
        nominal_bits = d * nominal(&aside);
    }
    total.passes *= scale;
    total.alloc *= scale;
    total.lane_bits *= scale;
    for h in total.hist.iter_mut() {
        *h *= scale;
    }

    // Only PEs (m mod rows, n mod cols) with m < M, n < N received work; the others are
    // still 0, so the slowest PE is among the used block (a small tile does not scan the
    // whole array).
    let max_pe = pe
        .chunks(cols_pe)
        .take(m_.min(rows_pe))
        .flat_map(|row| &row[..n_.min(cols_pe)])
        .copied()
        .max()
        .unwrap_or(0);
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
