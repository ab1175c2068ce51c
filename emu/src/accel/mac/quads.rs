//! The quad multiply-add kernel for 8-bit weights and activations on x86-64 with AVX-512
//! VNNI: `vpdpbusd` multiplies sixty-four unsigned bytes by sixty-four signed bytes and
//! adds each group of four products into one 32-bit lane, twice the products per
//! instruction of the pairwise kernel (`pairs.rs`), whose 16-bit pairs it replaces when
//! every weight and activation value fits `i8` and the output is a multiple of 16 wide.
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
//! As in `pairs.rs`, the only `unsafe` is calling the `#[target_feature]` function after
//! the features are detected at run time; memory is reached through bounds-checked slices.

use std::arch::x86_64::*;
use std::ops::Range;

use super::gemm::AccOut;
use super::pairs::{load_acc8, store_acc8, xmm_bytes};

/// Most weight quads (k/4, rounded up) in one block; longer k goes in several blocks. The
/// interleaved activations of that many quads stay on the stack (1 KiB).
const MAX_QUADS: usize = 16;

/// `out += w · a` over the reduction indices `ks` through `vpdpbusd`, for `i8` weights and
/// activations and outputs a multiple of 16 wide. `out` is the M×N
/// accumulators, `w` is M×K, `a` is K×N. Returns false (nothing done) without AVX-512BW
/// and AVX-512 VNNI, or when the shapes do not fit.
pub(super) fn lin_quads<O: AccOut + ?Sized>(
    w: &[i8],
    a: &[i8],
    out: &mut O,
    (k, n): (usize, usize),
    ks: Range<usize>,
) -> bool {
    if n == 0 || !n.is_multiple_of(16) || k == 0 || a.len() != k * n || ks.end > k {
        return false;
    }
    if !out.len().is_multiple_of(n) || w.len() != out.len() / n * k {
        return false;
    }
    if !(is_x86_feature_detected!("avx512bw") && is_x86_feature_detected!("avx512vnni")) {
        return false;
    }
    let (w, a): (&[u8], &[u8]) = (bytemuck::cast_slice(w), bytemuck::cast_slice(a));
    for k0 in ks.clone().step_by(4 * MAX_QUADS) {
        let kb = k0..ks.end.min(k0 + 4 * MAX_QUADS);
        for c0 in (0..n).step_by(16) {
            let blk = Block {
                w,
                a,
                k,
                n,
                c0,
                ks: kb.clone(),
            };
            // SAFETY: called only when the CPU has the features the function is compiled
            // for (detected above); it is otherwise ordinary safe code.
            unsafe {
                if kb.len() <= 16 {
                    block::<O, 4>(&blk, out)
                } else {
                    block::<O, MAX_QUADS>(&blk, out)
                }
            }
        }
    }
    true
}

/// One block of the product: columns `c0 .. c0 + 16` over reduction indices `ks` (at most
/// `4·MAX_QUADS`).
struct Block<'a> {
    w: &'a [u8],
    a: &'a [u8],
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

/// Sixteen columns of one block: the activation quads interleaved once, then every row's
/// sixteen accumulators in one 512-bit register over the block's k range.
#[target_feature(enable = "avx2,avx512f,avx512bw,avx512vnni")]
fn block<O: AccOut + ?Sized, const Q: usize>(b: &Block<'_>, out: &mut O) {
    let (n, c0, ks) = (b.n, b.c0, b.ks.clone());
    let join = |lo: __m256i, hi: __m256i| _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi);
    let zero = _mm_setzero_si128();
    let row = |r: usize| {
        if r < ks.end {
            xmm_bytes(&b.a[r * n + c0..][..16])
        } else {
            zero
        }
    };
    // qv[j] holds (a[k0+4j+t][c]) for t = 0..4 in the bytes of column c's lane.
    let mut qv = [_mm512_setzero_si512(); Q];
    for (v, r) in qv.iter_mut().zip(ks.clone().step_by(4)) {
        let (x0, x1, x2, x3) = (row(r), row(r + 1), row(r + 2), row(r + 3));
        let (l01, h01) = (_mm_unpacklo_epi8(x0, x1), _mm_unpackhi_epi8(x0, x1));
        let (l23, h23) = (_mm_unpacklo_epi8(x2, x3), _mm_unpackhi_epi8(x2, x3));
        let c0_3 = _mm_unpacklo_epi16(l01, l23);
        let c4_7 = _mm_unpackhi_epi16(l01, l23);
        let c8_11 = _mm_unpacklo_epi16(h01, h23);
        let c12_15 = _mm_unpackhi_epi16(h01, h23);
        *v = join(
            _mm256_set_m128i(c4_7, c0_3),
            _mm256_set_m128i(c12_15, c8_11),
        );
    }
    let nq = ks.len().div_ceil(4);
    let qv = &qv[..nq];
    // 128·Σ_k a[k][c]: what the weights' offset adds to every row.
    let offset = _mm512_set1_epi32(0x8080_8080_u32 as i32);
    let corr = qv.iter().fold(_mm512_setzero_si512(), |s, &v| {
        _mm512_dpbusd_epi32(s, offset, v)
    });
    let load = |out: &O, at: usize| {
        let acc = join(load_acc8(out, at), load_acc8(out, at + 8));
        _mm512_sub_epi32(acc, corr)
    };
    let store = |out: &mut O, at: usize, acc: __m512i| {
        store_acc8(out, at, _mm512_castsi512_si256(acc));
        store_acc8(out, at + 8, _mm512_extracti64x4_epi64::<1>(acc));
    };
    // Two rows at a time: their accumulations are independent, so one row's multiply-adds
    // issue while the other's wait for the previous result.
    let (k, rows) = (b.k, b.w.chunks_exact(2 * b.k));
    let last = rows.remainder();
    for (p, w2) in rows.enumerate() {
        let at = 2 * p * n + c0;
        let (mut a0, mut a1) = (load(out, at), load(out, at + n));
        let (r0, r1) = (&w2[ks.clone()], &w2[k..][ks.clone()]);
        for (j, &v) in qv.iter().enumerate() {
            a0 = _mm512_dpbusd_epi32(a0, _mm512_set1_epi32(quad_at(r0, j)), v);
            a1 = _mm512_dpbusd_epi32(a1, _mm512_set1_epi32(quad_at(r1, j)), v);
        }
        store(out, at, a0);
        store(out, at + n, a1);
    }
    if !last.is_empty() {
        let at = (b.w.len() / k - 1) * n + c0;
        let mut acc = load(out, at);
        let r = &last[ks.clone()];
        for (j, &v) in qv.iter().enumerate() {
            acc = _mm512_dpbusd_epi32(acc, _mm512_set1_epi32(quad_at(r, j)), v);
        }
        store(out, at, acc);
    }
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
            (m, k, nb) in (1usize..=9, 1usize..=140, 1usize..=3),
            seed in any::<u64>(),
            vals in proptest::collection::vec(value(), 1..4096),
            acc0 in proptest::collection::vec(any::<i32>(), 1..64),
        ) {
            if !vnni() {
                // The kernel declines there (the caller uses the pairwise one); said once.
                static SAID: std::sync::Once = std::sync::Once::new();
                SAID.call_once(|| eprintln!("quads_match_the_triple_loop: skipped, this CPU has no AVX-512 VNNI"));
                prop_assert!(!lin_quads(&[1], &[1; 16], &mut [0i32; 16][..], (1, 16), 0..1));
                return Ok(());
            }
            let n = 16 * nb;
            let pick = |i: usize| vals[(i.wrapping_mul(2654435761) ^ seed as usize) % vals.len()];
            let w: Vec<i8> = (0..m * k).map(pick).collect();
            let a: Vec<i8> = (0..k * n).map(|i| pick(i + 7919)).collect();
            let acc: Vec<i32> = (0..m * n).map(|i| acc0[i % acc0.len()]).collect();
            let (k0, k1) = ((seed >> 32) as usize % k, (seed >> 40) as usize % k);
            for ks in [0..k, k0.min(k1)..k0.max(k1) + 1] {
                let want = reference(&w, &a, &acc, (k, n), ks.clone());
                let mut out = acc.clone();
                prop_assert!(lin_quads(&w, &a, &mut out[..], (k, n), ks.clone()));
                prop_assert_eq!(&out, &want);
                let mut b = bytes(&acc);
                prop_assert!(lin_quads(&w, &a, &mut b[..], (k, n), ks.clone()));
                prop_assert_eq!(ints(&b), want);
            }
        }
    }

    /// Shapes the kernel must decline: outputs not a multiple of 16 wide, a k range past
    /// the end, operands of the wrong length.
    #[test]
    fn declines_shapes_it_does_not_cover() {
        let (w, a) = (vec![1i8; 8 * 4], vec![1i8; 4 * 8]);
        let mut out = vec![0i32; 8 * 8];
        assert!(!lin_quads(&w, &a, &mut out[..], (4, 8), 0..4));
        let (w, a) = (vec![1i8; 2 * 4], vec![1i8; 4 * 16]);
        let mut out = [0i32; 2 * 16];
        assert!(!lin_quads(&w, &a, &mut out[..], (4, 16), 0..5));
        assert!(!lin_quads(&w[..7], &a, &mut out[..], (4, 16), 0..4));
        assert!(out.iter().all(|&x| x == 0));
    }
}
