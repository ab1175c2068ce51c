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

use super::onepass::{Result, Tile};
use super::small::Operand;
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

/// One operand's lane factors as a block: `ops.codes` code (i, k) for i < `n_i`, k < `k_`
/// through `lut`, stored at `[i][k]` when `k_adjacent` (X) and at `[k][i]` otherwise (Y);
/// every other entry 0. The caller checked that the wanted index is the adjacent one.
#[inline(always)]
fn gather(op: Operand<'_>, lut: &[u8; 256], n_i: usize, k_: usize, k_adjacent: bool) -> Sq {
    let mut b = [[0u8; SQ]; SQ];
    let (rows, len, stride) = if k_adjacent {
        (n_i, k_, op.codes.si)
    } else {
        (k_, n_i, op.codes.sk)
    };
    for (r, dst) in b.iter_mut().enumerate().take(rows) {
        let src = op.codes.data.get(r * stride..).unwrap_or(&[]);
        for (d, &c) in dst.iter_mut().zip(src.iter().take(len)) {
            *d = lut[c as usize];
        }
    }
    b
}

/// Whether outer index i has a non-zero code (the eliminator leaves a lane, so a pass
/// exists), for i < `n_i`, as 0xff / 0 per position.
fn live(op: Operand<'_>, n_i: usize, k_: usize) -> [u8; SQ] {
    let mut l = [0u8; SQ];
    for (i, x) in l.iter_mut().enumerate().take(n_i) {
        let codes = op.codes.from(i);
        let any = (0..k_).any(|k| {
            codes
                .get(k * op.codes.sk)
                .is_some_and(|&c| !op.zero[c as usize])
        });
        *x = 0u8.wrapping_sub(u8::from(any));
    }
    l
}

/// The tile's passes as [`super::onepass::cost`], or `None` when the tile is larger than
/// the block or its operands are not laid out as X and Y (see the module comment).
#[allow(clippy::too_many_arguments)]
pub(super) fn cost(
    geo: Geom,
    tile: Tile,
    rows_op: Operand<'_>,
    gate: bool,
    outer_op: Operand<'_>,
    compact: bool,
    t: &mut Totals,
) -> Option<Result> {
    let (v, outer, k_) = (tile.v, tile.outer, tile.k);
    if v > SQ || outer > SQ || k_ > SQ || !cfg!(target_arch = "x86_64") {
        return None;
    }
    // X is the operand whose reduction index is adjacent, Y the one whose output index is.
    let rows_is_x = rows_op.codes.sk == 1 && outer_op.codes.si == 1;
    let outer_is_x = outer_op.codes.sk == 1 && rows_op.codes.si == 1;
    if !(rows_is_x || outer_is_x) {
        return None;
    }
    let rlut = rows_op.live_factors(gate);
    let olut = outer_op.live_factors(compact);
    let (x, y, xn, yn) = if rows_is_x {
        let x = gather(rows_op, &rlut, v, k_, true);
        (x, gather(outer_op, &olut, outer, k_, false), v, outer)
    } else {
        let x = gather(outer_op, &olut, outer, k_, true);
        (x, gather(rows_op, &rlut, v, k_, false), outer, v)
    };
    let ones = |b: &Sq| b.iter().flatten().fold(0u8, |a, &f| a | f) <= 1;
    let how = if ones(&x) {
        Combine::XGates
    } else if ones(&y) {
        Combine::YGates
    } else {
        Combine::Mul
    };
    // (Nothing is added to `t` before this point, so `None` leaves it as it was.)
    let out = maxima(&x, &y, xn, how)?;
    // Lane bits: Σ_k (Σ_i X[i][k]) · (Σ_j Y[k][j]).
    let mut xs = [0u32; SQ];
    for r in &x {
        for (s, &f) in xs.iter_mut().zip(r) {
            *s += u32::from(f);
        }
    }
    t.lane_bits += xs
        .iter()
        .zip(&y)
        .map(|(&s, r)| u64::from(s) * r.iter().map(|&f| u64::from(f)).sum::<u64>())
        .sum::<u64>();
    // Which outputs exist and take a pass: i < xn, j < yn, and (eliminator with a least
    // pass cost) the outer index has a non-zero code.
    let mut rows_live = [0u8; SQ];
    rows_live[..xn].fill(0xff);
    let mut cols_live = [0u8; SQ];
    cols_live[..yn].fill(0xff);
    if compact && geo.minp > 0 {
        if rows_is_x {
            cols_live = live(outer_op, outer, k_);
        } else {
            rows_live = live(outer_op, outer, k_);
        }
    }
    let minp = [geo.minp; SQ];
    let (mut passes, mut sum, mut top) = (0u32, 0u32, 0u8);
    for (r, &rl) in out.iter().zip(&rows_live) {
        let c: [u8; SQ] = std::array::from_fn(|j| r[j].max(minp[j]) & cols_live[j] & rl);
        passes += c.iter().map(|&x| u32::from(x > 0)).sum::<u32>();
        sum += c.iter().map(|&x| u32::from(x)).sum::<u32>();
        top = top.max(c.iter().copied().max().unwrap_or(0));
        if geo.hist {
            for &x in c.iter().filter(|&&x| x > 0) {
                t.hist[(x as usize).min(PASS_HIST - 1)] += 1;
            }
        }
    }
    t.passes += u64::from(passes);
    t.alloc += u64::from(sum) * geo.g as u64;
    Some(Result::from_top(tile, top))
}

/// `out[i][j] = max_k comb(x[i][k], y[k][j])` for i < `xn` (rows from `xn` on stay 0),
/// or `None` without AVX2 (the general path is then the faster one).
fn maxima(x: &Sq, y: &Sq, xn: usize, how: Combine) -> Option<Sq> {
    #[cfg(target_arch = "x86_64")]
    {
        x86::maxima(x, y, xn, how)
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (x, y, xn, how);
        None
    }
}

/// The max-times product in 256-bit (AVX2) or 512-bit (AVX-512BW) vectors: four (two)
/// consecutive rows of Y fill one vector, the matching four (two) factors of an X row are
/// spread over its 128-bit lanes by one byte shuffle, and the lanes are folded by maximum
/// at the end of the row.
#[cfg(target_arch = "x86_64")]
mod x86 {
    use std::arch::x86_64::*;

    use super::{Combine, Sq, SQ};

    pub(super) fn maxima(x: &Sq, y: &Sq, xn: usize, how: Combine) -> Option<Sq> {
        maxima_with(x, y, xn, how, true)
    }

    /// [`maxima`], in 256-bit vectors even on an AVX-512 host when not `wide` (so the
    /// tests reach both).
    pub(super) fn maxima_with(x: &Sq, y: &Sq, xn: usize, how: Combine, wide: bool) -> Option<Sq> {
        if !is_x86_feature_detected!("avx2") {
            return None;
        }
        let wide = wide && is_x86_feature_detected!("avx512bw");
        // SAFETY: each function is called only when the CPU has the features it is
        // compiled for (detected above); they are otherwise ordinary safe code.
        Some(unsafe {
            match (wide, how) {
                (true, Combine::XGates) => avx512::<0>(x, y, xn),
                (true, Combine::YGates) => avx512::<1>(x, y, xn),
                (true, Combine::Mul) => avx512::<2>(x, y, xn),
                (false, Combine::XGates) => avx2::<0>(x, y, xn),
                (false, Combine::YGates) => avx2::<1>(x, y, xn),
                (false, Combine::Mul) => avx2::<2>(x, y, xn),
            }
        })
    }

    /// Eight bytes as a little-endian `i64`.
    #[inline(always)]
    fn le64(b: &[u8]) -> i64 {
        let mut x = [0u8; 8];
        x.copy_from_slice(&b[..8]);
        i64::from_le_bytes(x)
    }

    /// Four bytes as a little-endian `i32`.
    #[inline(always)]
    fn le32(b: &[u8]) -> i32 {
        let mut x = [0u8; 4];
        x.copy_from_slice(&b[..4]);
        i32::from_le_bytes(x)
    }

    /// A 128-bit vector's bytes.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn bytes128(v: __m128i) -> [u8; SQ] {
        let lo = _mm_cvtsi128_si64(v).to_le_bytes();
        let hi = _mm_extract_epi64::<1>(v).to_le_bytes();
        std::array::from_fn(|j| if j < 8 { lo[j] } else { hi[j - 8] })
    }

    /// Y rows 4q .. 4q+4 as one vector (row 4q + j in lane j).
    #[inline]
    #[target_feature(enable = "avx2,avx512f,avx512bw")]
    fn rows4(y: &Sq, q: usize) -> __m512i {
        let b = y[4 * q..4 * q + 4].as_flattened();
        let e: [i64; 8] = std::array::from_fn(|i| le64(&b[8 * i..]));
        _mm512_set_epi64(e[7], e[6], e[5], e[4], e[3], e[2], e[1], e[0])
    }

    /// Y rows 2q, 2q + 1 as one vector.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn rows2(y: &Sq, q: usize) -> __m256i {
        let b = y[2 * q..2 * q + 2].as_flattened();
        let e: [i64; 4] = std::array::from_fn(|i| le64(&b[8 * i..]));
        _mm256_set_epi64x(e[3], e[2], e[1], e[0])
    }

    /// Bytes `a · b` (wrapping), from two 16-bit multiplies (there is no byte multiply).
    #[inline]
    #[target_feature(enable = "avx2,avx512f,avx512bw")]
    fn mul8_512(a: __m512i, b: __m512i) -> __m512i {
        let lo_mask = _mm512_set1_epi16(0x00ff);
        let even = _mm512_and_si512(_mm512_mullo_epi16(a, b), lo_mask);
        let odd = _mm512_mullo_epi16(_mm512_srli_epi16::<8>(a), _mm512_andnot_si512(lo_mask, b));
        _mm512_or_si512(even, odd)
    }

    /// As [`mul8_512`], 256 bits.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn mul8_256(a: __m256i, b: __m256i) -> __m256i {
        let lo_mask = _mm256_set1_epi16(0x00ff);
        let even = _mm256_and_si256(_mm256_mullo_epi16(a, b), lo_mask);
        let odd = _mm256_mullo_epi16(_mm256_srli_epi16::<8>(a), _mm256_andnot_si256(lo_mask, b));
        _mm256_or_si256(even, odd)
    }

    /// `HOW`: 0 X gates, 1 Y gates, 2 multiply (a [`Combine`] as a constant).
    #[target_feature(enable = "avx2,avx512f,avx512bw")]
    fn avx512<const HOW: u8>(x: &Sq, y: &Sq, xn: usize) -> Sq {
        let ys: [__m512i; 4] = std::array::from_fn(|q| rows4(y, q));
        // Lane j of the spread takes byte j of the broadcast four factors.
        let spread = _mm512_set_epi32(
            0x0303_0303,
            0x0303_0303,
            0x0303_0303,
            0x0303_0303,
            0x0202_0202,
            0x0202_0202,
            0x0202_0202,
            0x0202_0202,
            0x0101_0101,
            0x0101_0101,
            0x0101_0101,
            0x0101_0101,
            0,
            0,
            0,
            0,
        );
        let zero = _mm512_setzero_si512();
        let mut out = [[0u8; SQ]; SQ];
        for (o, xr) in out.iter_mut().zip(x).take(xn) {
            let mut acc = zero;
            for (q, &yq) in ys.iter().enumerate() {
                let xq = _mm512_shuffle_epi8(_mm512_set1_epi32(le32(&xr[4 * q..])), spread);
                let c = match HOW {
                    0 => _mm512_and_si512(_mm512_sub_epi8(zero, xq), yq),
                    1 => _mm512_and_si512(xq, _mm512_sub_epi8(zero, yq)),
                    _ => mul8_512(xq, yq),
                };
                acc = _mm512_max_epu8(acc, c);
            }
            let acc = _mm512_max_epu8(acc, _mm512_shuffle_i64x2::<0b0100_1110>(acc, acc));
            let acc = _mm512_max_epu8(acc, _mm512_shuffle_i64x2::<0b1011_0001>(acc, acc));
            *o = bytes128(_mm512_castsi512_si128(acc));
        }
        out
    }

    /// [`avx512`] in 256-bit vectors: two rows of Y per vector.
    #[target_feature(enable = "avx2")]
    fn avx2<const HOW: u8>(x: &Sq, y: &Sq, xn: usize) -> Sq {
        let ys: [__m256i; 8] = std::array::from_fn(|q| rows2(y, q));
        let spread = _mm256_set_epi32(
            0x0101_0101,
            0x0101_0101,
            0x0101_0101,
            0x0101_0101,
            0,
            0,
            0,
            0,
        );
        let zero = _mm256_setzero_si256();
        let mut out = [[0u8; SQ]; SQ];
        for (o, xr) in out.iter_mut().zip(x).take(xn) {
            let mut acc = zero;
            for (q, &yq) in ys.iter().enumerate() {
                let pair = i16::from_le_bytes([xr[2 * q], xr[2 * q + 1]]);
                let xq = _mm256_shuffle_epi8(_mm256_set1_epi16(pair), spread);
                let c = match HOW {
                    0 => _mm256_and_si256(_mm256_sub_epi8(zero, xq), yq),
                    1 => _mm256_and_si256(xq, _mm256_sub_epi8(zero, yq)),
                    _ => mul8_256(xq, yq),
                };
                acc = _mm256_max_epu8(acc, c);
            }
            let hi = _mm256_extracti128_si256::<1>(acc);
            *o = bytes128(_mm_max_epu8(_mm256_castsi256_si128(acc), hi));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    //! The block path against [`super::super::onepass::general`] (the general one-pass
    //! path, itself held to the formula by `emu/tests/baselines.rs`) on random tiles in both
    //! orientations, every combining rule, with and without the eliminator, a least pass
    //! cost and the histogram.

    use proptest::prelude::*;

    use super::super::onepass::{general, Scratch, Tile};
    use super::super::small::{Array, Codes, Operand};
    use super::super::{Geom, Totals};

    /// A lane-factor table: small costs, or only 0 and 1 (gates / masks).
    fn table(ones: bool) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(if ones { 0u8..=1 } else { 0u8..=9 }, 256)
    }

    /// A zero-code table with a few zero codes (codes are drawn from 0..16, so they hit).
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

    fn case() -> impl Strategy<Value = Case> {
        (1usize..=16, 1usize..=16, 1usize..=16, 0u8..3, 0u8..3).prop_flat_map(
            |(m, k, n, wo, ao)| {
                (
                    proptest::collection::vec(0u8..16, m * k),
                    proptest::collection::vec(0u8..16, k * n),
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
            },
        )
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
                if let Some(got) = super::x86::maxima_with(&x, &y, xn, how, wide) {
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
            let Some(r1) = super::cost(geo, tile, rop, c.gate, oop, c.compact, &mut t1) else {
                // No AVX2: the block path declines and the general path runs.
                return Ok(());
            };
            let mut t2 = Totals::default();
            let mut s = Scratch::default();
            let r2 = general(geo, tile, rop, c.gate, oop, c.compact, &mut s, &mut t2);
            prop_assert_eq!(r1, r2);
            prop_assert_eq!(t1.passes, t2.passes);
            prop_assert_eq!(t1.alloc, t2.alloc);
            prop_assert_eq!(t1.lane_bits, t2.lane_bits);
            prop_assert_eq!(t1.hist, t2.hist);
        }
    }
}
