//! [`super::onepass`] for tiles of at most 16 outputs per side and 16 reduction indices
//! (8×8×8 and 16×16×16 tiles on the default array), computed as a fixed 16×16 block.
//!
//! Both operands' lane factors are read once into 16×16 byte blocks laid out as their
//! codes are: X (m × K, the weights) with the reduction index adjacent, Y (K × n, the
//! activations) with the output index adjacent. The cost of output (m, n) is then
//! `max_k comb(X[m][k], Y[k][n])`: a max-times product evaluated row by row of X, 16
//! outputs per vector operation, with no transposed copy of either operand and no
//! data-dependent branch. Which operand is the "row" one and which the "outer" one only
//! decides the combining rule (which side gates) and which side the eliminator's empty
//! passes are found along; the totals are sums and maxima over all outputs, so they do not
//! depend on the order. [`super::onepass`]'s general path is the reference this one is
//! tested against (and `emu/tests/baselines.rs` holds both to the formula).

// Without x86-64 kernels the block path declines every tile, and its helpers stand idle.
#![cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]

#[cfg(target_arch = "x86_64")]
mod x86;

use super::onepass::{Operands, Result, Tile};
use super::small::Codes;
use super::{Geom, Totals, PASS_HIST};

/// The block side.
const SQ: usize = 16;
/// A 16×16 byte block.
type Sq = [[u8; SQ]; SQ];

/// How a lane's cost is formed from X's factor `x` and Y's factor `y` (each rule is
/// `x · y` under its precondition, chosen once so the inner loop has no branch).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Combine {
    /// Every X factor is 0 or 1: `y` where x = 1.
    XGates,
    /// Every Y factor is 0 or 1: `x` where y = 1.
    YGates,
    /// `x · y`, wrapping (as the sweeps).
    Mul,
}

/// One operand's codes as a block: code (i, k) for i < `n_i`, k < `k_`, stored at
/// `[i][k]` when `k_adjacent` (X) and at `[k][i]` otherwise (Y), so each stored row is a
/// run of adjacent codes; every other entry 0. Also returns the rows and row length used.
/// The caller checked that the wanted index is the adjacent one. `buf` holds the copy when
/// the codes cannot be read in place (so the block returned stays a few words: moving a
/// 16×16 copy around costs more than the lookups that read it).
#[inline(always)]
fn codes<'a>(
    op: Codes<'a>,
    n_i: usize,
    k_: usize,
    k_adjacent: bool,
    buf: &'a mut Sq,
) -> CodeBlock<'a> {
    let (rows, len, stride) = if k_adjacent {
        (n_i, k_, op.si)
    } else {
        (k_, n_i, op.sk)
    };
    let data = op.data;
    let src = if rows == SQ && len == SQ && stride == SQ && data.len() >= SQ * SQ {
        Src::Dense16(&data[..SQ * SQ])
    } else if rows == 8 && len == 8 && stride == 8 && data.len() >= 64 {
        Src::Dense8(&data[..64])
    } else {
        let b = buf;
        *b = [[0u8; SQ]; SQ];
        for (r, dst) in b.iter_mut().enumerate().take(rows) {
            let src = data.get(r * stride..).unwrap_or(&[]);
            let n = len.min(src.len());
            match n {
                8 => dst[..8].copy_from_slice(&src[..8]),
                SQ => dst.copy_from_slice(&src[..SQ]),
                _ => dst[..n].copy_from_slice(&src[..n]),
            }
        }
        Src::Block(b)
    };
    CodeBlock { src, rows, len }
}

/// An operand's codes ([`codes`]) and the rows and row length in use.
pub(super) struct CodeBlock<'a> {
    pub(super) src: Src<'a>,
    pub(super) rows: usize,
    pub(super) len: usize,
}

/// Where a [`CodeBlock`]'s codes are. A dense 16×16 or 8×8 tile is read straight from
/// the operand (the vector code loads it whole; a copy made of smaller stores and read back
/// in 64-byte vectors would wait for every store to retire).
pub(super) enum Src<'a> {
    /// 256 codes, row r at 16r.
    Dense16(&'a [u8]),
    /// 64 codes, row r at 8r.
    Dense8(&'a [u8]),
    /// Copied into place (into the caller's buffer).
    Block(&'a Sq),
}

impl CodeBlock<'_> {
    /// The codes in place in a 16×16 block.
    pub(super) fn block(&self) -> Sq {
        match &self.src {
            Src::Dense16(d) => std::array::from_fn(|r| std::array::from_fn(|j| d[SQ * r + j])),
            Src::Dense8(d) => std::array::from_fn(|r| {
                std::array::from_fn(|j| if r < 8 && j < 8 { d[8 * r + j] } else { 0 })
            }),
            Src::Block(b) => **b,
        }
    }
}

/// The non-zero counts of a small instruction's operands (weights M×K per column k,
/// activations K×N per row k; at most 16 each way), from the same block lookups, or `None`
/// (too large, too small, or the CPU has no 64-byte table lookups: the byte compares of
/// [`super::zeros`] are then faster; measured, the crossover is near 256 codes, between
/// 8×8×8 and 16×16×16).
pub(super) fn nonzero_counts(
    w: &[u8],
    a: &[u8],
    (m, k, n): (usize, usize, usize),
    (wzero, azero): (&[bool; 256], &[bool; 256]),
) -> Option<([u16; SQ], [u16; SQ])> {
    if m > SQ || k > SQ || n > SQ || m * k + k * n < SQ * SQ {
        return None;
    }
    let wc = Codes {
        data: w,
        si: k,
        sk: 1,
    };
    let ac = Codes {
        data: a,
        si: 1,
        sk: n,
    };
    #[cfg(target_arch = "x86_64")]
    {
        let (mut wb, mut ab) = ([[0u8; SQ]; SQ], [[0u8; SQ]; SQ]);
        let (w, a) = (
            codes(wc, m, k, true, &mut wb),
            codes(ac, n, k, false, &mut ab),
        );
        x86::nonzero_counts(w, a, wzero, azero)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (wc, ac, wzero, azero);
        None
    }
}

/// Which outputs exist and take a pass: (i, j) with `rows[i]` and `cols[j]` both 0xff
/// (else 0), for i < xn, j < yn, and, given `outer_nz` (the eliminator with a least pass
/// cost), an outer index with a non-zero code. `outer_nz` is the outer operand's block of
/// non-zero flags (0 outside the operand) and whether that operand is X (outer index i)
/// or Y (index j).
pub(super) fn live_outputs(xn: usize, yn: usize, outer_nz: Option<(&Sq, bool)>) -> Live {
    let mut rows_live = [0u8; SQ];
    rows_live[..xn].fill(0xff);
    let mut cols_live = [0u8; SQ];
    cols_live[..yn].fill(0xff);
    match outer_nz {
        Some((nz, true)) => {
            rows_live = nz.map(|r| 0u8.wrapping_sub(u8::from(u128::from_le_bytes(r) != 0)));
        }
        Some((nz, false)) => {
            let any = nz.iter().fold(0u128, |a, r| a | u128::from_le_bytes(*r));
            cols_live = any
                .to_le_bytes()
                .map(|b| 0u8.wrapping_sub(u8::from(b != 0)));
        }
        None => {}
    }
    Live {
        rows: rows_live,
        cols: cols_live,
    }
}

/// The outputs that exist and take a pass (see [`live_outputs`]).
pub(super) struct Live {
    pub(super) rows: [u8; SQ],
    pub(super) cols: [u8; SQ],
}

/// Adds the passes of the `live` outputs (each raised to at least `minp`) to the histogram.
pub(super) fn hist(out: &Sq, live: &Live, minp: u8, t: &mut Totals) {
    for (r, &rl) in out.iter().zip(&live.rows) {
        for (&x, &l) in r.iter().zip(&live.cols) {
            let x = x.max(minp) & l & rl;
            if x > 0 {
                t.hist[(x as usize).min(PASS_HIST - 1)] += 1;
            }
        }
    }
}

/// The tile's passes as [`super::onepass::cost`], or `None` when the tile is larger than
/// the block, its operands are not laid out as X and Y (see the module comment), or the
/// CPU lacks AVX2 (the general path is then the faster one).
pub(super) fn cost(geo: Geom, tile: Tile, ops: Operands<'_>, t: &mut Totals) -> Option<Result> {
    let (v, outer, k_) = (tile.v, tile.outer, tile.k);
    let (rows_op, outer_op) = (ops.rows, ops.outer);
    if v > SQ || outer > SQ || k_ > SQ {
        return None;
    }
    // X is the operand whose reduction index is adjacent, Y the one whose output index is.
    let rows_is_x = rows_op.codes.sk == 1 && outer_op.codes.si == 1;
    let outer_is_x = outer_op.codes.sk == 1 && rows_op.codes.si == 1;
    if !(rows_is_x || outer_is_x) {
        return None;
    }
    #[cfg(target_arch = "x86_64")]
    {
        x86::cost(geo, tile, ops, rows_is_x, t)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (geo, t);
        None
    }
}

#[cfg(test)]
mod tests {
    //! The block path against [`super::super::onepass::general`] (the general one-pass
    //! path, itself held to the formula by `emu/tests/baselines.rs`) on random tiles in both
    //! orientations, every combining rule, with and without the eliminator, a least pass
    //! cost and the histogram.

    use proptest::prelude::*;

    use super::super::onepass::{general, Operands, Scratch, Tile};
    use super::super::small::{Array, Codes, Operand};
    use super::super::{Geom, Totals};

    /// A lane-factor table: small costs, or only 0 and 1 (gates / masks).
    fn table(ones: bool) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(if ones { 0u8..=1 } else { 0u8..=9 }, 256)
    }

    /// A code: mostly small (so the zero codes below are hit), sometimes any byte.
    fn code() -> impl Strategy<Value = u8> {
        prop_oneof![3 => 0u8..16, 1 => any::<u8>()]
    }

    /// A zero-code table with a few zero codes.
    fn zeros() -> impl Strategy<Value = Vec<bool>> {
        proptest::collection::vec(prop::bool::weighted(0.3), 256)
    }

    #[derive(Debug, Clone)]
    struct Case {
        m: usize,
        k: usize,
        n: usize,
        w: Vec<u8>,
        a: Vec<u8>,
        wf: Vec<u8>,
        af: Vec<u8>,
        wz: Vec<bool>,
        az: Vec<bool>,
        orient_a: bool,
        gate: bool,
        compact: bool,
        minp: u8,
        hist: bool,
    }

    /// Tile shapes: any up to 16 each way, and often the dense 8×8×8 and 16×16×16 tiles
    /// (whose codes are read in place) or sides of exactly 8 and 16.
    fn dims() -> impl Strategy<Value = (usize, usize, usize)> {
        let side = || prop_oneof![1usize..=16, Just(8), Just(16)];
        prop_oneof![
            2 => (1usize..=16, 1usize..=16, 1usize..=16),
            1 => Just((16, 16, 16)),
            1 => Just((8, 8, 8)),
            1 => (side(), side(), side()),
        ]
    }

    fn case() -> impl Strategy<Value = Case> {
        (dims(), 0u8..3, 0u8..3)
            .prop_map(|((m, k, n), wo, ao)| (m, k, n, wo, ao))
            .prop_flat_map(|(m, k, n, wo, ao)| {
                (
                    proptest::collection::vec(code(), m * k),
                    proptest::collection::vec(code(), k * n),
                    table(wo == 0),
                    table(ao == 0),
                    zeros(),
                    zeros(),
                    any::<[bool; 3]>(),
                    0u8..3,
                    any::<bool>(),
                )
                    .prop_map(
                        move |(w, a, wf, af, wz, az, [orient_a, gate, compact], minp, hist)| Case {
                            m,
                            k,
                            n,
                            w,
                            a,
                            wf,
                            af,
                            wz,
                            az,
                            orient_a,
                            gate,
                            compact,
                            minp,
                            hist,
                        },
                    )
            })
    }

    fn arr<T: Copy + Default, const N: usize>(v: &[T]) -> [T; N] {
        std::array::from_fn(|i| v[i])
    }

    #[cfg(target_arch = "x86_64")]
    /// A 16×16 block whose entries outside `rows × cols` are 0 (as `gather` leaves them).
    fn block(rows: usize, cols: usize, max: u8) -> impl Strategy<Value = super::Sq> {
        proptest::collection::vec(0..=max, 256).prop_map(move |v| {
            std::array::from_fn(|i| {
                std::array::from_fn(|j| {
                    if i < rows && j < cols {
                        v[16 * i + j]
                    } else {
                        0
                    }
                })
            })
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// The block non-zero counts against a count by table lookups.
        #[test]
        fn nonzero_counts_match_lookups(
            (m, k, n) in dims(),
            w in proptest::collection::vec(code(), 256),
            a in proptest::collection::vec(code(), 256),
            wz in zeros(),
            az in zeros(),
        ) {
            let (wz, az): ([bool; 256], [bool; 256]) = (arr(&wz), arr(&az));
            let Some((wc, ar)) =
                super::nonzero_counts(&w[..m * k], &a[..k * n], (m, k, n), (&wz, &az))
            else {
                // No 64-byte lookups: the byte-compare counts run instead.
                return Ok(());
            };
            for kk in 0..16 {
                let wcol = (0..m).filter(|&i| kk < k && !wz[w[i * k + kk] as usize]).count();
                let arow = (0..n).filter(|&j| kk < k && !az[a[kk * n + j] as usize]).count();
                prop_assert_eq!(wc[kk] as usize, wcol, "column {}", kk);
                prop_assert_eq!(ar[kk] as usize, arow, "row {}", kk);
            }
        }

        /// The 64-byte table lookups (where the CPU has them) against the table, on every
        /// code.
        #[cfg(target_arch = "x86_64")]
        #[test]
        fn lookup_matches_the_table(
            codes in proptest::collection::vec(any::<u8>(), 256),
            lut in proptest::collection::vec(any::<u8>(), 256),
        ) {
            let c: super::Sq = std::array::from_fn(|i| std::array::from_fn(|j| codes[16 * i + j]));
            let lut: [u8; 256] = arr(&lut);
            let Some(got) = super::x86::lookup(&c, &lut) else {
                // No VBMI: the lookup is the plain table read.
                return Ok(());
            };
            for i in 0..16 {
                for j in 0..16 {
                    prop_assert_eq!(got[i][j], lut[c[i][j] as usize]);
                }
            }
        }

        /// Both vector widths against a plain triple loop, every rule, with extreme bytes.
        #[cfg(target_arch = "x86_64")]
        #[test]
        fn kernels_match_a_triple_loop(
            (xn, k, yn, how, x, y) in (1usize..=16, 1usize..=16, 1usize..=16, 0usize..3)
                .prop_flat_map(|(xn, k, yn, rule)| {
                    use super::Combine;
                    let how = [Combine::XGates, Combine::YGates, Combine::Mul][rule];
                    let (xmax, ymax) = match how {
                        Combine::XGates => (1, 255),
                        Combine::YGates => (255, 1),
                        Combine::Mul => (255, 255),
                    };
                    (Just(xn), Just(k), Just(yn), Just(how), block(xn, k, xmax), block(k, yn, ymax))
                }),
        ) {
            let mut want = [[0u8; 16]; 16];
            let _ = (k, yn);
            for i in 0..xn {
                for j in 0..16 {
                    want[i][j] = (0..16)
                        .map(|kk| (x[i][kk] as u32 * y[kk][j] as u32) as u8)
                        .max()
                        .unwrap_or(0);
                }
            }
            for wide in [false, true] {
                if let Some(got) = super::x86::maxima_checked(&x, &y, xn, how, wide) {
                    prop_assert_eq!(got, want, "wide {}", wide);
                }
            }
        }

        #[test]
        fn block_path_matches_the_general_path(c in case()) {
            let (wf, af): ([u8; 256], [u8; 256]) = (arr(&c.wf), arr(&c.af));
            let (wz, az): ([bool; 256], [bool; 256]) = (arr(&c.wz), arr(&c.az));
            let wop = Operand {
                codes: Codes { data: &c.w, si: c.k, sk: 1 },
                factor: &wf,
                zero: &wz,
            };
            let aop = Operand {
                codes: Codes { data: &c.a, si: 1, sk: c.n },
                factor: &af,
                zero: &az,
            };
            let (rop, oop, v, outer) = if c.orient_a {
                (wop, aop, c.m, c.n)
            } else {
                (aop, wop, c.n, c.m)
            };
            let geo = Geom { g: 16, seg: 16, hist: c.hist, minp: c.minp, gates: false };
            let tile = Tile {
                v,
                outer,
                k: c.k,
                arr: Array { outer_pe: 16, inner_pe: 16, slots: 2, ovh: 1500, vs: 3000 },
            };
            prop_assume!(tile.fits(geo));
            let mut t1 = Totals::default();
            let ops = Operands { rows: rop, gate: c.gate, outer: oop, compact: c.compact };
            let Some(r1) = super::cost(geo, tile, ops, &mut t1) else {
                // No AVX2: the block path declines and the general path runs.
                return Ok(());
            };
            let mut t2 = Totals::default();
            let mut s = Scratch::default();
            let r2 = general(geo, tile, ops, &mut s, &mut t2);
            prop_assert_eq!(r1, r2);
            prop_assert_eq!(t1.passes, t2.passes);
            prop_assert_eq!(t1.alloc, t2.alloc);
            prop_assert_eq!(t1.lane_bits, t2.lane_bits);
            prop_assert_eq!(t1.hist, t2.hist);
        }
    }
}
