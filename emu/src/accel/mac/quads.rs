//! The quad multiply-add kernel for 8-bit weights and activations on x86-64 with AVX-512
//! VNNI: `vpdpbusd` multiplies sixty-four unsigned bytes by sixty-four signed bytes
//! (thirty-two in a 256-bit vector) and adds each group of four products into one 32-bit
//! lane, twice the products per
//! instruction of the pairwise kernel (`pairs.rs`), whose 16-bit pairs it replaces when
//! every weight and activation value fits `i8` and the output is a multiple of 8 wide
//! (blocks of 16 columns in 512-bit vectors, of 8 in 256-bit ones, which also need
//! AVX-512VL).
//!
//! `out[i][n] += Σ_k w[i][k]·a[k][n]` is taken four k at a time: the activation rows 4j ..
//! 4j+3 are interleaved once per block into `(a[4j][c], .., a[4j+3][c])` quads, and the
//! weight quad `(w[i][4j], .., w[i][4j+3])` is broadcast as one 32-bit value. The weights
//! are the unsigned operand, offset by 128 (`w + 128` is in 0..=255 for every `i8`
//! value), so each lane gains `128·Σ_k a[k][c]`; that column sum is computed once per
//! block with the same instruction (weights all 128) and taken off the accumulators
//! before the row's products go in.
//!
//! Exact: each group's four products and their sum fit 32 bits, and every addition is the
//! accumulator's wrapping 32-bit sum, so subtracting the offset's contribution gives the
//! same wrapped value as the plain sum.
//!
//! As in `pairs.rs`, the only `unsafe` is calling `#[target_feature]` functions — the two
//! kernels, and the intrinsics in the `Lanes` methods, which only those kernels call —
//! after the features are detected at run time; memory is reached through bounds-checked
//! slices.

use std::arch::x86_64::*;
use std::ops::Range;

use super::gemm::AccOut;
use super::pairs::{load_acc8, store_acc8, xmm_bytes};

/// Most weight quads (k/4, rounded up) in one block; longer k goes in several blocks. The
/// interleaved activations of that many quads stay on the stack (1 KiB).
const MAX_QUADS: usize = 16;

/// `out += w · a` over the reduction indices `ks` through `vpdpbusd`, for `i8` weights and
/// activations and outputs a multiple of 8 wide. `out` is the M×N accumulators, `w` is
/// M×K, `a` is K×N (no divisions here: this runs once per small-tile `bsmac`). Returns false (nothing done) without AVX-512BW and AVX-512 VNNI (and
/// AVX-512VL for 8-wide blocks), or when the shapes do not fit.
pub(super) fn lin_quads<O: AccOut + ?Sized>(
    w: &[i8],
    a: &[i8],
    out: &mut O,
    (m, k, n): (usize, usize, usize),
    ks: Range<usize>,
) -> bool {
    if n == 0 || !n.is_multiple_of(8) || k == 0 || a.len() != k * n || ks.end > k {
        return false;
    }
    if out.len() != m * n || w.len() != m * k {
        return false;
    }
    if !(is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512vnni")) {
        return false;
    }
    let wide = n.is_multiple_of(16);
    if !wide && !is_x86_feature_detected!("avx512vl") {
        return false;
    }
    let (w, a): (&[u8], &[u8]) = (bytemuck::cast_slice(w), bytemuck::cast_slice(a));
    let bw = if wide { W16::COLS } else { W8::COLS };
    let mut k0 = ks.start;
    while k0 < ks.end {
        let kb = k0..ks.end.min(k0 + 4 * MAX_QUADS);
        let quads = kb.len().div_ceil(4);
        let mut c0 = 0;
        while c0 < n {
            let blk = Block {
                w,
                a,
                m,
                k,
                n,
                c0,
                ks: kb.clone(),
            };
            // SAFETY: called only when the CPU has the features the functions are compiled
            // for (detected above); they are otherwise ordinary safe code.
            unsafe {
                match (wide, quads) {
                    (true, ..=2) => block16::<O, 2>(&blk, out),
                    (true, ..=4) => block16::<O, 4>(&blk, out),
                    (true, ..=8) => block16::<O, 8>(&blk, out),
                    (true, _) => block16::<O, MAX_QUADS>(&blk, out),
                    (false, ..=2) => block8::<O, 2>(&blk, out),
                    (false, ..=4) => block8::<O, 4>(&blk, out),
                    (false, ..=8) => block8::<O, 8>(&blk, out),
                    (false, _) => block8::<O, MAX_QUADS>(&blk, out),
                }
            }
            c0 += bw;
        }
        k0 = kb.end;
    }
    true
}

/// One block of the product: columns `c0 .. c0 + COLS` over reduction indices `ks` (at
/// most `4·MAX_QUADS`).
struct Block<'a> {
    w: &'a [u8],
    a: &'a [u8],
    m: usize,
    k: usize,
    n: usize,
    c0: usize,
    ks: Range<usize>,
}

/// Four weights offset by 128 (their sign bits flipped), as the unsigned bytes of one
/// 32-bit lane, the first in the low byte.
#[inline(always)]
fn quad(w: [u8; 4]) -> i32 {
    (u32::from_le_bytes(w) ^ 0x8080_8080) as i32
}

/// Row `r`'s weight quad `j` (`r[4j .. 4j+4]`, padded past the end: the padding
/// multiplies the zero activation rows past the block's end, adding nothing).
#[inline(always)]
fn quad_at(r: &[u8], j: usize) -> i32 {
    match r.get(4 * j..4 * j + 4) {
        Some(c) => quad([c[0], c[1], c[2], c[3]]),
        None => {
            let mut c = [0u8; 4];
            let tail = r.get(4 * j..).unwrap_or(&[]);
            c[..tail.len()].copy_from_slice(tail);
            quad(c)
        }
    }
}

/// A block width: its vector (one 32-bit lane per output column) and the operations the
/// kernel needs on it. Its functions are only called from [`block16`] and [`block8`],
/// which are compiled for the features they use and run after detecting them.
trait Lanes {
    /// Columns per block.
    const COLS: usize;
    type V: Copy;
    fn zero() -> Self::V;
    /// Activation rows `x[t]` (the block's columns in their low bytes) interleaved into
    /// quads: column c's lane holds `(x[0][c], .., x[3][c])`.
    fn quads(x: [__m128i; 4]) -> Self::V;
    /// `acc + Σ` of the four products of unsigned bytes `u` and signed bytes `s` per lane.
    fn dpbusd(acc: Self::V, u: Self::V, s: Self::V) -> Self::V;
    fn splat(x: i32) -> Self::V;
    fn sub(a: Self::V, b: Self::V) -> Self::V;
    fn load<O: AccOut + ?Sized>(out: &O, at: usize) -> Self::V;
    fn store<O: AccOut + ?Sized>(out: &mut O, at: usize, v: Self::V);
}

/// Blocks of 16 columns in 512-bit vectors (AVX-512BW and VNNI).
struct W16;
/// Blocks of 8 columns in 256-bit vectors (AVX-512VL and VNNI).
struct W8;

// SAFETY (every `unsafe` block below): see `Lanes` — the intrinsics' features were
// detected before the calling kernel runs.
impl Lanes for W16 {
    const COLS: usize = 16;
    type V = __m512i;
    #[inline(always)]
    fn zero() -> __m512i {
        unsafe { _mm512_setzero_si512() }
    }
    #[inline(always)]
    fn quads([x0, x1, x2, x3]: [__m128i; 4]) -> __m512i {
        unsafe {
            let (l01, h01) = (_mm_unpacklo_epi8(x0, x1), _mm_unpackhi_epi8(x0, x1));
            let (l23, h23) = (_mm_unpacklo_epi8(x2, x3), _mm_unpackhi_epi8(x2, x3));
            let lo = _mm256_set_m128i(_mm_unpackhi_epi16(l01, l23), _mm_unpacklo_epi16(l01, l23));
            let hi = _mm256_set_m128i(_mm_unpackhi_epi16(h01, h23), _mm_unpacklo_epi16(h01, h23));
            _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi)
        }
    }
    #[inline(always)]
    fn dpbusd(acc: __m512i, u: __m512i, s: __m512i) -> __m512i {
        unsafe { _mm512_dpbusd_epi32(acc, u, s) }
    }
    #[inline(always)]
    fn splat(x: i32) -> __m512i {
        unsafe { _mm512_set1_epi32(x) }
    }
    #[inline(always)]
    fn sub(a: __m512i, b: __m512i) -> __m512i {
        unsafe { _mm512_sub_epi32(a, b) }
    }
    #[inline(always)]
    fn load<O: AccOut + ?Sized>(out: &O, at: usize) -> __m512i {
        unsafe {
            let (lo, hi) = (load_acc8(out, at), load_acc8(out, at + 8));
            _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi)
        }
    }
    #[inline(always)]
    fn store<O: AccOut + ?Sized>(out: &mut O, at: usize, v: __m512i) {
        unsafe {
            store_acc8(out, at, _mm512_castsi512_si256(v));
            store_acc8(out, at + 8, _mm512_extracti64x4_epi64::<1>(v));
        }
    }
}

impl Lanes for W8 {
    const COLS: usize = 8;
    type V = __m256i;
    #[inline(always)]
    fn zero() -> __m256i {
        unsafe { _mm256_setzero_si256() }
    }
    #[inline(always)]
    fn quads([x0, x1, x2, x3]: [__m128i; 4]) -> __m256i {
        unsafe {
            let (l01, l23) = (_mm_unpacklo_epi8(x0, x1), _mm_unpacklo_epi8(x2, x3));
            _mm256_set_m128i(_mm_unpackhi_epi16(l01, l23), _mm_unpacklo_epi16(l01, l23))
        }
    }
    #[inline(always)]
    fn dpbusd(acc: __m256i, u: __m256i, s: __m256i) -> __m256i {
        unsafe { _mm256_dpbusd_epi32(acc, u, s) }
    }
    #[inline(always)]
    fn splat(x: i32) -> __m256i {
        unsafe { _mm256_set1_epi32(x) }
    }
    #[inline(always)]
    fn sub(a: __m256i, b: __m256i) -> __m256i {
        unsafe { _mm256_sub_epi32(a, b) }
    }
    #[inline(always)]
    fn load<O: AccOut + ?Sized>(out: &O, at: usize) -> __m256i {
        unsafe { load_acc8(out, at) }
    }
    #[inline(always)]
    fn store<O: AccOut + ?Sized>(out: &mut O, at: usize, v: __m256i) {
        unsafe { store_acc8(out, at, v) }
    }
}

/// The kernel for one block of width `L`: the activation quads interleaved once, then
/// every row's accumulators in one vector over the block's k range.
#[inline(always)]
fn block<L: Lanes, O: AccOut + ?Sized, const Q: usize>(b: &Block<'_>, out: &mut O) {
    let (n, c0, ks) = (b.n, b.c0, b.ks.clone());
    let zero = unsafe { _mm_setzero_si128() };
    let row = |r: usize| {
        if r < ks.end {
            unsafe { xmm_bytes(&b.a[r * n + c0..][..L::COLS]) }
        } else {
            zero
        }
    };
    // qv[j] holds (a[k0+4j+t][c]) for t = 0..4 in the bytes of column c's lane.
    let qv: [L::V; Q] = std::array::from_fn(|j| {
        let r = ks.start + 4 * j;
        L::quads([row(r), row(r + 1), row(r + 2), row(r + 3)])
    });
    // All `Q` quads are used, also past the block's k range (zero activations there, so
    // they add nothing): with a constant count the loops unroll and the quads stay in
    // registers (kept in memory, a vector built from two halves is stored as two halves,
    // and reading it whole stalls until both retire). `lin_quads` picks the least `Q`.
    // 128·Σ_k a[k][c]: what the weights' offset adds to every row.
    let offset = L::splat(0x8080_8080_u32 as i32);
    let corr = qv.iter().fold(L::zero(), |s, &v| L::dpbusd(s, offset, v));
    let load = |out: &O, at: usize| L::sub(L::load(out, at), corr);
    // Two rows at a time: their accumulations are independent, so one row's multiply-adds
    // issue while the other's wait for the previous result.
    let (m, k) = (b.m, b.k);
    let w_row = |i: usize| &b.w[i * k..][ks.clone()];
    for i in (0..m - m % 2).step_by(2) {
        let at = i * n + c0;
        let (mut a0, mut a1) = (load(out, at), load(out, at + n));
        let (r0, r1) = (w_row(i), w_row(i + 1));
        for (j, &v) in qv.iter().enumerate() {
            a0 = L::dpbusd(a0, L::splat(quad_at(r0, j)), v);
            a1 = L::dpbusd(a1, L::splat(quad_at(r1, j)), v);
        }
        L::store(out, at, a0);
        L::store(out, at + n, a1);
    }
    if m % 2 == 1 {
        let at = (m - 1) * n + c0;
        let mut acc = load(out, at);
        let r = w_row(m - 1);
        for (j, &v) in qv.iter().enumerate() {
            acc = L::dpbusd(acc, L::splat(quad_at(r, j)), v);
        }
        L::store(out, at, acc);
    }
}

/// [`block`] 16 columns wide.
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vnni")]
fn block16<O: AccOut + ?Sized, const Q: usize>(b: &Block<'_>, out: &mut O) {
    block::<W16, O, Q>(b, out)
}

/// [`block`] 8 columns wide.
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vl,avx512vnni")]
fn block8<O: AccOut + ?Sized, const Q: usize>(b: &Block<'_>, out: &mut O) {
    block::<W8, O, Q>(b, out)
}

#[cfg(test)]
mod tests {
    //! The quad kernel against a plain triple loop in 64-bit arithmetic (wrapped to 32
    //! bits at the end), on random shapes, sub-ranges of k and values that include the
    //! `i8` extremes, into a vector and into accumulator bytes.

    use super::super::pairs::tests::{bytes, ints, reference};
    use super::*;
    use proptest::prelude::*;

    fn vnni() -> bool {
        is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512vnni")
    }

    /// An `i8` value, often an extreme or zero.
    fn value() -> impl Strategy<Value = i8> {
        prop_oneof![Just(-128i8), Just(127i8), Just(0i8), any::<i8>()]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        #[test]
        fn quads_match_the_triple_loop(
            (m, k, nb) in (1usize..=9, 1usize..=140, 1usize..=6),
            seed in any::<u64>(),
            vals in proptest::collection::vec(value(), 1..4096),
            acc0 in proptest::collection::vec(any::<i32>(), 1..64),
        ) {
            if !vnni() {
                // The kernel declines there (the caller uses the pairwise one); said once.
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| eprintln!("quads_match_the_triple_loop: skipped, this CPU has no AVX-512 VNNI"));
                prop_assert!(!lin_quads(&[1], &[1; 16], &mut [0i32; 16][..], (1, 1, 16), 0..1));
                return Ok(());
            }
            let n = 8 * nb;
            let pick = |i: usize| vals[(i.wrapping_mul(2654435761) ^ seed as usize) % vals.len()];
            let w: Vec<i8> = (0..m * k).map(pick).collect();
            let a: Vec<i8> = (0..k * n).map(|i| pick(i + 7919)).collect();
            let acc: Vec<i32> = (0..m * n).map(|i| acc0[i % acc0.len()]).collect();
            let (k0, k1) = ((seed >> 32) as usize % k, (seed >> 40) as usize % k);
            for ks in [0..k, k0.min(k1)..k0.max(k1) + 1] {
                let want = reference(&w, &a, &acc, (k, n), ks.clone());
                let mut out = acc.clone();
                prop_assert!(lin_quads(&w, &a, &mut out[..], (m, k, n), ks.clone()));
                prop_assert_eq!(&out, &want);
                let mut b = bytes(&acc);
                prop_assert!(lin_quads(&w, &a, &mut b[..], (m, k, n), ks.clone()));
                prop_assert_eq!(ints(&b), want);
            }
        }
    }

    /// Shapes the kernel must decline: outputs not a multiple of 8 wide, a k range past
    /// the end, operands of the wrong length.
    #[test]
    fn declines_shapes_it_does_not_cover() {
        let (w, a) = (vec![1i8; 12 * 4], vec![1i8; 4 * 12]);
        let mut out = vec![0i32; 12 * 12];
        assert!(!lin_quads(&w, &a, &mut out[..], (12, 4, 12), 0..4));
        let (w, a) = (vec![1i8; 2 * 4], vec![1i8; 4 * 16]);
        let mut out = [0i32; 2 * 16];
        assert!(!lin_quads(&w, &a, &mut out[..], (2, 4, 16), 0..5));
        assert!(!lin_quads(&w[..7], &a, &mut out[..], (2, 4, 16), 0..4));
        assert!(out.iter().all(|&x| x == 0));
    }
}
