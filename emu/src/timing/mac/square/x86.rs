//! The block path on x86-64: the whole tile in AVX2 (selected at run time, like the MAC
//! kernels), with AVX-512BW for the max-times product and AVX-512 VBMI for the code →
//! factor lookups where the CPU has them.
//!
//! The max-times product takes four (two) consecutive rows of Y per 512-bit (256-bit)
//! vector; the matching four (two) factors of an X row are spread over its 128-bit lanes by
//! one byte shuffle, and the lanes are folded by maximum at the end of the row. The
//! reductions (lane bits, passes, Σ pass costs, the costliest pass) are explicit vector
//! code: on fixed-size arrays the compiler's own vectorisation transposes them byte by
//! byte.
//!
//! The only `unsafe` is calling `#[target_feature]` functions after detecting the
//! features; vectors are read from and written to byte arrays with `bytemuck` casts.

use std::arch::x86_64::*;

use super::super::onepass::{Operands, Result, Tile};
use super::super::{Geom, Totals};
use super::{codes, hist, live_outputs, CodeBlock, Combine, Live, Sq, Src, SQ};

/// A lane-factor table of ones: looked up with a zero table to drop, it gives the
/// non-zero flags (static, so no call builds it).
static ONES: [u8; 256] = [1; 256];

/// Which of the optional instruction sets the CPU has.
#[derive(Clone, Copy)]
struct Features {
    avx512bw: bool,
    vbmi: bool,
}

/// [`super::cost`] once the tile is known to fit; `None` without AVX2.
pub(super) fn cost(
    geo: Geom,
    tile: Tile,
    ops: Operands<'_>,
    rows_is_x: bool,
    t: &mut Totals,
) -> Option<Result> {
    if !is_x86_feature_detected!("avx2") {
        return None;
    }
    let avx512bw = is_x86_feature_detected!("avx512bw");
    let f = Features {
        avx512bw,
        vbmi: avx512bw && is_x86_feature_detected!("avx512vbmi"),
    };
    // SAFETY: called only when the CPU has AVX2 (detected above); it is otherwise
    // ordinary safe code.
    Some(unsafe { cost_avx2(geo, tile, ops, rows_is_x, f, t) })
}

#[target_feature(enable = "avx2")]
fn cost_avx2(
    geo: Geom,
    tile: Tile,
    ops: Operands<'_>,
    rows_is_x: bool,
    f: Features,
    t: &mut Totals,
) -> Result {
    let (v, outer, k_) = (tile.v, tile.outer, tile.k);
    let Operands {
        rows: rows_op,
        gate,
        outer: outer_op,
        compact,
    } = ops;
    let rdrop = gate.then_some(rows_op.zero);
    let odrop = compact.then_some(outer_op.zero);
    let (mut rb, mut ob) = ([[0u8; SQ]; SQ], [[0u8; SQ]; SQ]);
    let rc = codes(rows_op.codes, v, k_, rows_is_x, &mut rb);
    let oc = codes(outer_op.codes, outer, k_, !rows_is_x, &mut ob);
    let (x, y, xn, yn) = if rows_is_x {
        let x = factors(&rc, rows_op.factor, rdrop, f);
        (x, factors(&oc, outer_op.factor, odrop, f), v, outer)
    } else {
        let x = factors(&oc, outer_op.factor, odrop, f);
        (x, factors(&rc, rows_op.factor, rdrop, f), outer, v)
    };
    let how = if at_most_one(&x) {
        Combine::XGates
    } else if at_most_one(&y) {
        Combine::YGates
    } else {
        Combine::Mul
    };
    let out = maxima(&x, &y, (xn, k_), how, f.avx512bw);
    t.lane_bits += lane_bits(&x, &y);
    let nz = (compact && geo.minp > 0).then(|| factors(&oc, &ONES, Some(outer_op.zero), f));
    let live = live_outputs(xn, yn, nz.as_ref().map(|b| (b, !rows_is_x)));
    let (passes, sum, top) = tally(&out, &live, geo.minp);
    if geo.hist {
        hist(&out, &live, geo.minp, t);
    }
    t.passes += u64::from(passes);
    t.alloc += u64::from(sum) * geo.g as u64;
    Result::from_top(tile, top)
}

/// [`super::nonzero_counts`] from the weights' and activations' code blocks (as
/// [`codes`] returns them), with VBMI lookups; `None` without them.
pub(super) fn nonzero_counts(
    w: CodeBlock<'_>,
    a: CodeBlock<'_>,
    wzero: &[bool; 256],
    azero: &[bool; 256],
) -> Option<([u16; SQ], [u16; SQ])> {
    if !is_x86_feature_detected!("avx512vbmi") || !is_x86_feature_detected!("avx512bw") {
        return None;
    }
    let f = Features {
        avx512bw: true,
        vbmi: true,
    };
    // SAFETY: called only when the CPU has the features it is compiled for (detected
    // above); it is otherwise ordinary safe code.
    Some(unsafe { counts_avx2(w, a, wzero, azero, f) })
}

#[target_feature(enable = "avx2")]
fn counts_avx2(
    w: CodeBlock<'_>,
    a: CodeBlock<'_>,
    wzero: &[bool; 256],
    azero: &[bool; 256],
    f: Features,
) -> ([u16; SQ], [u16; SQ]) {
    let wnz = factors(&w, &ONES, Some(wzero), f);
    let anz = factors(&a, &ONES, Some(azero), f);
    let mut cols = _mm256_setzero_si256();
    for r in &wnz {
        cols = _mm256_add_epi16(cols, _mm256_cvtepu8_epi16(v128(r)));
    }
    let zero = _mm_setzero_si128();
    let rows = anz.map(|r| {
        let [lo, hi]: [u64; 2] = bytemuck::cast(_mm_sad_epu8(v128(&r), zero));
        (lo + hi) as u16
    });
    (bytemuck::cast(cols), rows)
}

/// `table[c]` for the block's codes ([`codes`]), 0 outside them and, given `drop`, for
/// its zero codes; with 64-byte lookups when the CPU has VBMI (straight from the two
/// tables, nothing derived from them per call).
#[inline]
#[target_feature(enable = "avx2")]
fn factors(cb: &CodeBlock<'_>, table: &[u8; 256], drop: Option<&[bool; 256]>, f: Features) -> Sq {
    if f.vbmi {
        // SAFETY: VBMI (and AVX-512BW) were detected by `cost`.
        return unsafe { lookup_vbmi(cb, table, drop) };
    }
    let lut: [u8; 256] = match drop {
        Some(zero) => std::array::from_fn(|i| if zero[i] { 0 } else { table[i] }),
        None => *table,
    };
    let mut b = cb.block().map(|r| r.map(|x| lut[x as usize]));
    let mut keep = [0u8; SQ];
    keep[..cb.len].fill(0xff);
    let keep = v128(&keep);
    for (r, row) in b.iter_mut().enumerate() {
        *row = if r < cb.rows {
            bytemuck::cast(_mm_and_si128(v128(row), keep))
        } else {
            [0; SQ]
        };
    }
    b
}

/// `lut[c]` for every code of the block with the VBMI lookup, `None` without VBMI (for
/// the tests).
#[cfg(test)]
pub(super) fn lookup(c: &Sq, lut: &[u8; 256]) -> Option<Sq> {
    if !is_x86_feature_detected!("avx512vbmi") || !is_x86_feature_detected!("avx512bw") {
        return None;
    }
    // SAFETY: called only when the CPU has the features it is compiled for (detected
    // above); it is otherwise ordinary safe code.
    let cb = CodeBlock {
        src: Src::Block(c),
        rows: SQ,
        len: SQ,
    };
    Some(unsafe { lookup_vbmi(&cb, lut, None) })
}

/// 64 bytes from the front of `b` as a vector.
#[inline(always)]
fn v512(b: &[u8]) -> __m512i {
    let mut x = [0u8; 64];
    x.copy_from_slice(&b[..64]);
    bytemuck::cast(x)
}

/// 32 bytes (two rows) from the front of `b` as a vector.
#[inline(always)]
fn v256(b: &[u8]) -> __m256i {
    let mut x = [0u8; 32];
    x.copy_from_slice(&b[..32]);
    bytemuck::cast(x)
}

/// One row as a vector.
#[inline(always)]
fn v128(b: &[u8; SQ]) -> __m128i {
    bytemuck::cast(*b)
}

/// `lut[c]` for the codes in the first `rows` rows and `len` columns, 0 elsewhere. Each
/// four rows are written as one 64-byte store, so that later vector reads of the block are
/// forwarded from it (a read spanning two smaller stores stalls until they retire).
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vbmi")]
fn lookup_vbmi(cb: &CodeBlock<'_>, lut: &[u8; 256], drop: Option<&[bool; 256]>) -> Sq {
    let (rows, len) = (cb.rows, cb.len);
    // The codes of rows 4q .. 4q + 4 as one vector.
    let codes_at = |q: usize| match &cb.src {
        Src::Dense16(d) => v512(&d[64 * q..]),
        Src::Dense8(d) => {
            // Rows of 8 spread to rows of 16: byte i of vector q takes code
            // 32q + 8·(i / 16) + i mod 8 (the upper half of each row is masked below).
            let idx: [u8; 64] = std::array::from_fn(|i| (32 * q + 8 * (i / 16) + i % 8) as u8 & 63);
            _mm512_permutexvar_epi8(bytemuck::cast(idx), v512(d))
        }
        Src::Block(b) => v512(b[4 * q..].as_flattened()),
    };
    let t: [__m512i; 4] = std::array::from_fn(|q| v512(&lut[64 * q..]));
    // The zero codes' table as bytes (1 for a zero code), when they are dropped.
    let zt: Option<[__m512i; 4]> = drop.map(|z| {
        let z: [u8; 256] = std::array::from_fn(|i| u8::from(z[i]));
        std::array::from_fn(|q| v512(&z[64 * q..]))
    });
    let cols = ((1u32 << len) - 1) as u64;
    let mut out = [[0u8; SQ]; SQ];
    // Only the vectors holding rows in use: the rest of the block stays 0 (half of it for
    // an 8×8 tile).
    for (q, o) in out
        .as_flattened_mut()
        .chunks_exact_mut(64)
        .enumerate()
        .take(rows.div_ceil(4))
    {
        let c = codes_at(q);
        // Row 4q + j's bits are 16j .. 16j + 16 of the mask.
        let keep = (0..4)
            .filter(|j| 4 * q + j < rows)
            .fold(0u64, |m, j| m | cols << (16 * j));
        // Codes 0..128 from the first two table vectors, 128..256 from the others
        // (picked by the code's top bit).
        let lo = _mm512_permutex2var_epi8(t[0], c, t[1]);
        let hi = _mm512_permutex2var_epi8(t[2], c, t[3]);
        let top = _mm512_movepi8_mask(c);
        let r = _mm512_mask_blend_epi8(top, lo, hi);
        let keep = match &zt {
            Some(z) => {
                let lo = _mm512_permutex2var_epi8(z[0], c, z[1]);
                let hi = _mm512_permutex2var_epi8(z[2], c, z[3]);
                let zero = _mm512_mask_blend_epi8(top, lo, hi);
                keep & !_mm512_test_epi8_mask(zero, zero)
            }
            None => keep,
        };
        let r = _mm512_maskz_mov_epi8(keep, r);
        o.copy_from_slice(&bytemuck::cast::<__m512i, [u8; 64]>(r));
    }
    out
}

/// Whether every entry of the block is 0 or 1.
#[inline]
#[target_feature(enable = "avx2")]
fn at_most_one(b: &Sq) -> bool {
    let mut acc = _mm256_setzero_si256();
    for pair in b.as_flattened().chunks_exact(32) {
        acc = _mm256_or_si256(acc, v256(pair));
    }
    _mm256_testz_si256(acc, _mm256_set1_epi8(!1)) != 0
}

/// Lane bits: `Σ_k (Σ_i X[i][k]) · (Σ_j Y[k][j])` (each sum at most 16 · 255).
#[inline]
#[target_feature(enable = "avx2")]
fn lane_bits(x: &Sq, y: &Sq) -> u64 {
    let mut xs = _mm256_setzero_si256();
    for r in x {
        xs = _mm256_add_epi16(xs, _mm256_cvtepu8_epi16(v128(r)));
    }
    let xs: [u16; SQ] = bytemuck::cast(xs);
    let zero = _mm_setzero_si128();
    xs.iter()
        .zip(y)
        .map(|(&s, r)| {
            let [lo, hi]: [u64; 2] = bytemuck::cast(_mm_sad_epu8(v128(r), zero));
            u64::from(s) * (lo + hi)
        })
        .sum()
}

/// Passes, Σ pass costs and the costliest pass over the outputs `live` marks (0xff), each
/// output's pass raised to at least `minp`.
#[inline]
#[target_feature(enable = "avx2")]
fn tally(out: &Sq, live: &Live, minp: u8) -> (u32, u32, u8) {
    // Row by row: the kernels write `out` one 16-byte row at a time.
    let zero = _mm_setzero_si128();
    let one = _mm_set1_epi8(1);
    let least = _mm_set1_epi8(minp as i8);
    let cols = v128(&live.cols);
    let (mut passes, mut sum, mut top) = (zero, zero, zero);
    for (o, &rl) in out.iter().zip(&live.rows) {
        let l = _mm_and_si128(cols, _mm_set1_epi8(rl as i8));
        let c = _mm_and_si128(_mm_max_epu8(v128(o), least), l);
        // An output takes a pass when its cost is not 0: Σ min(c, 1).
        passes = _mm_add_epi64(passes, _mm_sad_epu8(_mm_min_epu8(c, one), zero));
        sum = _mm_add_epi64(sum, _mm_sad_epu8(c, zero));
        top = _mm_max_epu8(top, c);
    }
    let total = |v: __m128i| bytemuck::cast::<__m128i, [u64; 2]>(v).iter().sum::<u64>() as u32;
    let top: [u8; 16] = bytemuck::cast(top);
    (
        total(passes),
        total(sum),
        top.iter().copied().max().unwrap_or(0),
    )
}

/// `out[i][j] = max_k comb(x[i][k], y[k][j])` for i < `xn`, k < `k` (rows from `xn` on
/// stay 0; X and Y are 0 from `k` on, so only the vectors that reach below `k` run), in
/// 512-bit vectors when `wide` (the caller detected AVX-512BW), else 256-bit.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn maxima(x: &Sq, y: &Sq, (xn, k): (usize, usize), how: Combine, wide: bool) -> Sq {
    if wide {
        // SAFETY: the caller detected AVX-512BW.
        unsafe {
            match how {
                Combine::XGates => avx512::<0>(x, y, xn, k),
                Combine::YGates => avx512::<1>(x, y, xn, k),
                Combine::Mul => avx512::<2>(x, y, xn, k),
            }
        }
    } else {
        match how {
            Combine::XGates => avx2::<0>(x, y, xn, k),
            Combine::YGates => avx2::<1>(x, y, xn, k),
            Combine::Mul => avx2::<2>(x, y, xn, k),
        }
    }
}

/// [`maxima`] for the tests: both widths where the CPU has them, `None` without AVX2.
#[cfg(test)]
pub(super) fn maxima_checked(x: &Sq, y: &Sq, xn: usize, how: Combine, wide: bool) -> Option<Sq> {
    if !is_x86_feature_detected!("avx2") {
        return None;
    }
    let wide = wide && is_x86_feature_detected!("avx512bw");
    // SAFETY: AVX2 detected above; `wide` only with AVX-512BW.
    Some(unsafe { maxima(x, y, (xn, SQ), how, wide) })
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

/// Four bytes as a little-endian `i32`.
#[inline(always)]
fn le32(b: &[u8]) -> i32 {
    let mut x = [0u8; 4];
    x.copy_from_slice(&b[..4]);
    i32::from_le_bytes(x)
}

/// `HOW`: 0 X gates, 1 Y gates, 2 multiply (a [`Combine`] as a constant).
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn avx512<const HOW: u8>(x: &Sq, y: &Sq, xn: usize, k: usize) -> Sq {
    let ys: [__m512i; 4] = std::array::from_fn(|q| v512(y[4 * q..4 * q + 4].as_flattened()));
    // Lane j of the spread takes byte j of the broadcast four factors.
    let spread: __m512i = bytemuck::cast::<[u8; 64], _>(std::array::from_fn(|i| (i / 16) as u8));
    let zero = _mm512_setzero_si512();
    let mut out = [[0u8; SQ]; SQ];
    for (o, xr) in out.iter_mut().zip(x).take(xn) {
        let mut acc = zero;
        for (q, &yq) in ys.iter().enumerate().take(k.div_ceil(4)) {
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
        *o = bytemuck::cast(_mm512_castsi512_si128(acc));
    }
    out
}

/// [`avx512`] in 256-bit vectors: two rows of Y per vector.
#[target_feature(enable = "avx2")]
fn avx2<const HOW: u8>(x: &Sq, y: &Sq, xn: usize, k: usize) -> Sq {
    let ys: [__m256i; 8] = std::array::from_fn(|q| v256(y[2 * q..2 * q + 2].as_flattened()));
    let spread: __m256i = bytemuck::cast::<[u8; 32], _>(std::array::from_fn(|i| (i / 16) as u8));
    let zero = _mm256_setzero_si256();
    let mut out = [[0u8; SQ]; SQ];
    for (o, xr) in out.iter_mut().zip(x).take(xn) {
        let mut acc = zero;
        for (q, &yq) in ys.iter().enumerate().take(k.div_ceil(2)) {
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
        *o = bytemuck::cast(_mm_max_epu8(_mm256_castsi256_si128(acc), hi));
    }
    out
}
