//! The cost of a small tile whose every output runs as **one pass** on a PE of its own:
//! the reduction length K fits one lane group (K ≤ `group`) and one vector-scale segment,
//! at most [`NARROW`] outputs share an outer index, and the tile fits the PE array
//! (outputs per outer index ≤ PEs along that side, outer indices ≤ PEs along the other).
//! Tiled kernels (8×8×8, 16×16×16 on the default 16×16 array with 16-lane groups) are this
//! case.
//!
//! Then the pass structure of [`super::small::narrow`] collapses: an output's single pass
//! costs the maximum over its lanes, every PE holds at most one output, and the whole tile
//! is one lock-step block with one wave. The costs are computed as one byte matrix (outer
//! index × 16 outputs) and reduced once, instead of keeping per-outer pass, PE and wave
//! state. `emu/tests/baselines.rs` holds this path, like the others, to the formula.

use super::small::{cost_rows, Array, Codes, Operand, NARROW};
use super::{Geom, Totals, PASS_HIST};

/// The tile's shape and array, as [`super::small::narrow`] receives them.
#[derive(Clone, Copy)]
pub(super) struct Tile {
    /// Outputs per outer index.
    pub(super) v: usize,
    /// Outer indices.
    pub(super) outer: usize,
    /// Reduction length.
    pub(super) k: usize,
    /// The PE array seen from the outer index, lane groups, overhead and vector scale.
    pub(super) arr: Array,
}

impl Tile {
    /// Whether every output of this tile is one pass on a PE of its own (see the module
    /// comment).
    pub(super) fn fits(&self, geo: Geom) -> bool {
        self.k <= geo.g
            && self.k <= geo.seg
            && (1..=NARROW.min(self.arr.inner_pe)).contains(&self.v)
            && (1..=self.arr.outer_pe).contains(&self.outer)
    }
}

/// What the tile adds to the instruction's cost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Result {
    /// The busiest PE's milli-cycles (the decoupled time before dividing by lane groups).
    pub(super) max_pe: u64,
    /// The lock-step milli-cycles of the tile's one block.
    pub(super) lock_milli: u64,
}

/// Scratch for [`cost`]: the cost rows and their sums, the outer operand's lane factors
/// and their sums per reduction index.
#[derive(Debug, Default)]
pub(super) struct Scratch {
    pub(super) rows: Vec<[u8; NARROW]>,
    pub(super) rowsum: Vec<u32>,
    fac: Vec<u8>,
    colsum: Vec<u32>,
}

/// How a lane's cost is formed from its cost-row entry `r` and the outer operand's factor
/// `f` (chosen once per tile, so the inner loop has no branch).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Combine {
    /// Every factor is 0 or 1: `r` where f = 1.
    Mask,
    /// Every row entry is 0 or 1: `-r & f`.
    Gate,
    /// `r · f` (wrapping, as the sweeps).
    Mul,
}

impl Result {
    /// The result of a tile whose costliest pass costs `top` cycles (0: no pass).
    pub(super) fn from_top(tile: Tile, top: u8) -> Self {
        // An output's PE time is pass·1000 + overhead + vector scale, monotone in its
        // pass, so the busiest PE holds the costliest pass; the one wave lasts as long as
        // that pass.
        let top = u64::from(top);
        let busy = if top > 0 {
            top * 1000 + tile.arr.ovh
        } else {
            0
        };
        Result {
            max_pe: busy + tile.arr.vs,
            lock_milli: busy + tile.arr.vs / tile.arr.slots.max(1) as u64,
        }
    }
}

/// The two operands of a tile: the one whose lane factors form the cost rows (`gate`: its
/// zero codes gate their lanes) and the one walked per outer index (`compact`: the
/// eliminator drops its zero codes).
#[derive(Clone, Copy)]
pub(super) struct Operands<'a> {
    pub(super) rows: Operand<'a>,
    pub(super) gate: bool,
    pub(super) outer: Operand<'a>,
    pub(super) compact: bool,
}

/// The tile's passes (as [`super::small::narrow`] with `tile.fits(geo)`): adds passes,
/// allocated lane cycles, lane bits and the histogram to `t`. Tiles of at most 16 per
/// side take [`super::square`]; the others the general path below.
pub(super) fn cost(
    geo: Geom,
    tile: Tile,
    ops: Operands<'_>,
    s: &mut Scratch,
    t: &mut Totals,
) -> Result {
    super::square::cost(geo, tile, ops, t).unwrap_or_else(|| general(geo, tile, ops, s, t))
}

/// [`cost`] for any tile that fits (the reference for [`super::square`]).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub(super) fn general<'a>(
    geo: Geom,
    tile: Tile,
    ops: Operands<'a>,
    s: &mut Scratch,
    t: &mut Totals,
) -> Result {
    let Operands {
        rows: rows_op,
        gate,
        outer: outer_op,
        compact,
    } = ops;
    let (v, outer, k_) = (tile.v, tile.outer, tile.k);
    let gates = cost_rows(rows_op, gate, v, k_, &mut s.rows, &mut s.rowsum);
    // Least pass cost of the first v outputs (the padding stays 0).
    let mut minp = [0u8; NARROW];
    minp[..v].fill(geo.minp);
    let osk = outer_op.codes.sk;
    // Per output: passes, Σ pass costs and the costliest pass (vertical operations only;
    // summed across outputs once at the end).
    let mut cnt = [0u32; NARROW];
    let mut sum = [0u32; NARROW];
    let mut top = [0u8; NARROW];
    // The outer operand's lane factors (outer index × K), 0 where the eliminator drops
    // the code, read in memory order.
    let lut = outer_op.live_factors(compact);
    s.fac.clear();
    s.fac.resize(outer * k_, 0);
    let Codes { data, si, .. } = outer_op.codes;
    if si == 1 {
        // Outer indices adjacent (activation columns, orientation A).
        for k in 0..k_ {
            let src = data.get(k * osk..k * osk + outer).unwrap_or(&[]);
            for (f, &c) in s.fac[k..].iter_mut().step_by(k_).zip(src) {
                *f = lut[c as usize];
            }
        }
    } else {
        for (o, fr) in s.fac.chunks_exact_mut(k_).enumerate() {
            let codes = outer_op.codes.from(o);
            for (k, f) in fr.iter_mut().enumerate() {
                *f = lut[codes[k * osk] as usize];
            }
        }
    }
    // Lane bits: Σ_k rowsum[k] · Σ_o fac[o][k] (an outer index without a pass has only
    // zero factors). One combining rule for the whole tile (each is exact for factors 0
    // and 1).
    s.colsum.clear();
    s.colsum.resize(k_, 0);
    for fr in s.fac.chunks_exact(k_) {
        for (cs, &f) in s.colsum.iter_mut().zip(fr) {
            *cs += u32::from(f);
        }
    }
    t.lane_bits += s
        .colsum
        .iter()
        .zip(&s.rowsum)
        .map(|(&cs, &rs)| u64::from(cs) * u64::from(rs))
        .sum::<u64>();
    let how = if s.fac.iter().fold(0u8, |a, &f| a | f) <= 1 {
        Combine::Mask
    } else if gates {
        Combine::Gate
    } else {
        Combine::Mul
    };
    let need_any = compact && geo.minp > 0;
    for (o, fr) in s.fac.chunks_exact(k_).enumerate() {
        // A pass exists when some lane is occupied. Without a least pass cost an empty
        // pass adds nothing, and without the eliminator every lane is occupied.
        if need_any {
            let codes = outer_op.codes.from(o);
            if (0..k_).all(|k| outer_op.zero[codes[k * osk] as usize]) {
                continue;
            }
        }
        let mut vm = pass_max(&s.rows, fr, how);
        for (x, &p) in vm.iter_mut().zip(&minp) {
            *x = (*x).max(p);
        }
        for (((nc, ns), nt), &x) in cnt.iter_mut().zip(&mut sum).zip(&mut top).zip(&vm) {
            *nc += u32::from(x > 0);
            *ns += u32::from(x);
            *nt = (*nt).max(x);
        }
        if geo.hist {
            for &x in vm[..v].iter().filter(|&&x| x > 0) {
                t.hist[(x as usize).min(PASS_HIST - 1)] += 1;
            }
        }
    }
    t.passes += cnt.iter().map(|&x| u64::from(x)).sum::<u64>();
    t.alloc += sum.iter().map(|&x| u64::from(x)).sum::<u64>() * geo.g as u64;
    Result::from_top(tile, top.iter().copied().max().unwrap_or(0))
}

/// One outer index's pass: `max_k combine(rows[k], fr[k])` for all 16 outputs at once.
#[inline(always)]
fn pass_max(rows: &[[u8; NARROW]], fr: &[u8], how: Combine) -> [u8; NARROW] {
    let mut vm = [0u8; NARROW];
    // A lane of factor 0 adds nothing. Skipping it also keeps the compiler from turning
    // the 16 running maxima into reductions along k (a gather per lane); each step stays
    // one 16-byte operation.
    let lanes = rows.iter().zip(fr).filter(|(_, &f)| f != 0);
    match how {
        Combine::Mask => {
            for (r, _) in lanes {
                vm = std::array::from_fn(|j| vm[j].max(r[j]));
            }
        }
        Combine::Gate => {
            for (r, &f) in lanes {
                vm = std::array::from_fn(|j| vm[j].max(0u8.wrapping_sub(r[j]) & f));
            }
        }
        Combine::Mul => {
            for (r, &f) in lanes {
                vm = std::array::from_fn(|j| vm[j].max(r[j].wrapping_mul(f)));
            }
        }
    }
    vm
}
