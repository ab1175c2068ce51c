//! The pairwise multiply-add kernel for 8- and 16-wide in-place outputs (the small tiles
//! of tiled loops) on x86-64: `vpmaddwd`, which multiplies sixteen (AVX2) or thirty-two
//! (AVX-512BW) pairs of 16-bit values and adds each pair's two products into one 32-bit
//! lane.
//!
//! `out[i][n] += Σ_k w[i][k]·a[k][n]` is taken two k at a time: the activation rows 2j and
//! 2j+1 are interleaved once per instruction into `(a[2j][n], a[2j+1][n])` pairs (an
//! unpack and a sign extension per 16 values, kept in registers or on the stack), and the
//! weight pair `(w[i][2j], w[i][2j+1])`, adjacent in the weight row, is broadcast as one
//! 32-bit value. One `vpmaddwd` and one add then do 16 (or 32) MACs, with no widening
//! shuffles; the portable kernel (`gemm::lin_fixed`) spends most of its time on those.
//!
//! Exact for every 16-bit weight and activation: each product fits 32 bits, and the one
//! case where a pair's sum does not (both pairs −32768·−32768) wraps to the same value the
//! accumulator's wrapping 32-bit sum gives.
//!
//! The only `unsafe` is calling the `#[target_feature]` functions, after the CPU feature
//! is detected at run time; the intrinsics themselves are safe in those functions, and
//! memory is reached only through bounds-checked slices (the compiler folds them into
//! vector loads and stores).

use std::arch::x86_64::*;

/// Most weight pairs (k/2, rounded up) the kernel takes; longer k uses the portable
/// kernel. The interleaved activations of that many pairs stay on the stack (2 KiB).
const MAX_PAIRS: usize = 32;

/// Activation values as the kernel reads them: rows of `i8` or `i16`.
#[derive(Clone, Copy)]
pub(super) enum Rows<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
}

/// `out += w · a` through `vpmaddwd`, for an output exactly `n` ∈ {8, 16} values wide and
/// k ≤ 64. `out` holds the accumulators as little-endian bytes, `w` is M×K, `a` is K×N.
/// Returns false (nothing done) without AVX2 or when the shapes do not fit.
pub(super) fn lin_pairs(w: &[i16], a: Rows<'_>, out: &mut [u8], k: usize, n: usize) -> bool {
    let row_bytes = 4 * n;
    let alen = match a {
        Rows::I8(a) => a.len(),
        Rows::I16(a) => a.len(),
    };
    if !(n == 8 || n == 16) || k == 0 || k > 2 * MAX_PAIRS || alen != k * n {
        return false;
    }
    if !out.len().is_multiple_of(row_bytes) || w.len() != out.len() / row_bytes * k {
        return false;
    }
    if !is_x86_feature_detected!("avx2") {
        return false;
    }
    let wide = n == 16 && is_x86_feature_detected!("avx512bw");
    // SAFETY: each function is called only when the CPU has the features it is compiled
    // for (detected above); they are otherwise ordinary safe code.
    unsafe {
        // Small tiles (k ≤ 16) get a small pair array: zeroing it is part of every call.
        match (n, k <= 16) {
            (8, true) => rows_avx2::<1, 8>(w, a, out, k),
            (8, false) => rows_avx2::<1, MAX_PAIRS>(w, a, out, k),
            (_, true) if wide => rows_avx512::<8>(w, a, out, k),
            (_, false) if wide => rows_avx512::<MAX_PAIRS>(w, a, out, k),
            (_, true) => rows_avx2::<2, 8>(w, a, out, k),
            (_, false) => rows_avx2::<2, MAX_PAIRS>(w, a, out, k),
        }
    }
    true
}

/// Two adjacent 16-bit values as one 32-bit lane (the first in the low half).
#[inline(always)]
fn pair(lo: i16, hi: i16) -> i32 {
    (lo as u16 as u32 | (hi as u16 as u32) << 16) as i32
}

/// Up to 16 bytes from the front of `b` as a vector (zero beyond `b`'s end).
#[inline]
#[target_feature(enable = "avx2")]
fn xmm_bytes(b: &[u8]) -> __m128i {
    let half = |h: &[u8]| {
        let mut x = [0u8; 8];
        let l = h.len().min(8);
        x[..l].copy_from_slice(&h[..l]);
        i64::from_le_bytes(x)
    };
    let (lo, hi) = b.split_at(b.len().min(8));
    _mm_set_epi64x(half(hi), half(lo))
}

/// The values of `r` (at most 16 `i8`s) as bytes, for [`xmm_bytes`].
#[inline(always)]
fn i8_bytes<'b>(r: &[i8], out: &'b mut [u8; 16]) -> &'b [u8] {
    for (d, &x) in out.iter_mut().zip(r) {
        *d = x as u8;
    }
    &out[..r.len().min(16)]
}

/// The values of `r` (at most 8 `i16`s) as little-endian bytes, for [`xmm_bytes`].
#[inline(always)]
fn i16_bytes<'b>(r: &[i16], out: &'b mut [u8; 16]) -> &'b [u8] {
    for (c, &x) in out.chunks_exact_mut(2).zip(r) {
        c.copy_from_slice(&x.to_le_bytes());
    }
    &out[..2 * r.len().min(8)]
}

/// The activation rows (each `8·H` values) interleaved in pairs: `pv[j][h]` holds
/// `(a[2j][c], a[2j+1][c])` for the eight columns `c` of vector `h`, the second row zero
/// past the end when k is odd.
#[target_feature(enable = "avx2")]
fn fill_pairs<const H: usize>(a: Rows<'_>, pv: &mut [[__m256i; H]]) {
    let n = 8 * H;
    let zero = _mm_setzero_si128();
    let mut b = [0u8; 16];
    match a {
        Rows::I8(a) => {
            let mut rows = a.chunks_exact(n);
            for p in pv.iter_mut() {
                let Some(r0) = rows.next() else { break };
                let x0 = xmm_bytes(i8_bytes(r0, &mut b));
                let x1 = match rows.next() {
                    Some(r1) => xmm_bytes(i8_bytes(r1, &mut b)),
                    None => zero,
                };
                // Bytes interleaved, then sign-extended to 16 bits: columns 0..8, 8..16.
                p[0] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1));
                if H == 2 {
                    p[H - 1] = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1));
                }
            }
        }
        Rows::I16(a) => {
            let mut rows = a.chunks_exact(n);
            for p in pv.iter_mut() {
                let Some(r0) = rows.next() else { break };
                let r1 = rows.next();
                for (h, ph) in p.iter_mut().enumerate() {
                    let x0 = xmm_bytes(i16_bytes(&r0[8 * h..], &mut b));
                    let x1 = match r1 {
                        Some(r1) => xmm_bytes(i16_bytes(&r1[8 * h..], &mut b)),
                        None => zero,
                    };
                    let (lo, hi) = (_mm_unpacklo_epi16(x0, x1), _mm_unpackhi_epi16(x0, x1));
                    *ph = _mm256_set_m128i(hi, lo);
                }
            }
        }
    }
}

/// Eight 32-bit accumulators from 32 little-endian bytes.
#[inline]
#[target_feature(enable = "avx2")]
fn load_acc8(b: &[u8]) -> __m256i {
    let b = &b[..32];
    let at = |i: usize| i32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    _mm256_setr_epi32(at(0), at(1), at(2), at(3), at(4), at(5), at(6), at(7))
}

/// Eight 32-bit accumulators back into 32 little-endian bytes.
#[inline]
#[target_feature(enable = "avx2")]
fn store_acc8(b: &mut [u8], v: __m256i) {
    let lanes = [
        _mm256_extract_epi32::<0>(v),
        _mm256_extract_epi32::<1>(v),
        _mm256_extract_epi32::<2>(v),
        _mm256_extract_epi32::<3>(v),
        _mm256_extract_epi32::<4>(v),
        _mm256_extract_epi32::<5>(v),
        _mm256_extract_epi32::<6>(v),
        _mm256_extract_epi32::<7>(v),
    ];
    for (c, x) in b[..32].chunks_exact_mut(4).zip(lanes) {
        c.copy_from_slice(&x.to_le_bytes());
    }
}

/// The weight pairs of one row in k order — `(w[2j], w[2j+1])`, then `(w[k-1], 0)` when
/// k is odd — each with its interleaved activations.
#[inline(always)]
fn each_pair<T: Copy>(row: &[i16], pv: &[T], mut f: impl FnMut(i32, T)) {
    let full = row.chunks_exact(2);
    let tail = full.remainder();
    for (u, &p) in full.zip(pv) {
        f(pair(u[0], u[1]), p);
    }
    if let (Some(&x), Some(&p)) = (tail.first(), pv.get(row.len() / 2)) {
        f(pair(x, 0), p);
    }
}

/// Rows of `8·H` outputs, each held in `H` 256-bit accumulators over the whole k loop. A
/// zero weight pair is skipped (it adds nothing; sparse weight tiles are common). The
/// interleaved activations (at most `P` pairs) stay on the stack.
#[target_feature(enable = "avx2")]
fn rows_avx2<const H: usize, const P: usize>(w: &[i16], a: Rows<'_>, out: &mut [u8], k: usize) {
    let mut pv = [[_mm256_setzero_si256(); H]; P];
    fill_pairs::<H>(a, &mut pv);
    for (wr, orow) in w.chunks_exact(k).zip(out.chunks_exact_mut(32 * H)) {
        let mut acc: [__m256i; H] = std::array::from_fn(|h| load_acc8(&orow[32 * h..]));
        each_pair(wr, &pv, |wp, p| {
            if wp != 0 {
                let wb = _mm256_set1_epi32(wp);
                for (x, &ph) in acc.iter_mut().zip(&p) {
                    *x = _mm256_add_epi32(*x, _mm256_madd_epi16(ph, wb));
                }
            }
        });
        for (h, x) in acc.into_iter().enumerate() {
            store_acc8(&mut orow[32 * h..], x);
        }
    }
}

/// 16-wide rows, each in one 512-bit accumulator.
#[target_feature(enable = "avx2,avx512f,avx512bw")]
fn rows_avx512<const P: usize>(w: &[i16], a: Rows<'_>, out: &mut [u8], k: usize) {
    let join = |lo: __m256i, hi: __m256i| _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi);
    let mut halves = [[_mm256_setzero_si256(); 2]; P];
    fill_pairs::<2>(a, &mut halves);
    let pv = halves.map(|[lo, hi]| join(lo, hi));
    for (wr, orow) in w.chunks_exact(k).zip(out.chunks_exact_mut(64)) {
        let mut acc = join(load_acc8(orow), load_acc8(&orow[32..]));
        each_pair(wr, &pv, |wp, p| {
            if wp != 0 {
                acc = _mm512_add_epi32(acc, _mm512_madd_epi16(p, _mm512_set1_epi32(wp)));
            }
        });
        store_acc8(orow, _mm512_castsi512_si256(acc));
        store_acc8(&mut orow[32..], _mm512_extracti64x4_epi64::<1>(acc));
    }
}

#[cfg(test)]
mod tests {
    //! The `vpmaddwd` kernel and the portable fixed-width kernel against a plain triple
    //! loop in 64-bit arithmetic (wrapped to 32 bits at the end), on random shapes and
    //! values that include the 16-bit extremes. The machine-level tests reach only one of
    //! the two kernels on a given CPU; these reach both.

    use super::super::gemm::lin_fixed;
    use super::*;
    use proptest::prelude::*;

    fn reference(w: &[i16], a: &[i32], acc: &[i32], (m, k, n): (usize, usize, usize)) -> Vec<i32> {
        (0..m * n)
            .map(|o| {
                let (i, c) = (o / n, o % n);
                let s: i64 = (0..k)
                    .map(|j| w[i * k + j] as i64 * a[j * n + c] as i64)
                    .sum();
                (acc[o] as i64 + s) as i32
            })
            .collect()
    }

    fn bytes(acc: &[i32]) -> Vec<u8> {
        acc.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    fn ints(b: &[u8]) -> Vec<i32> {
        b.chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }

    /// Values drawn mostly from `lo..=hi`, sometimes an extreme or zero (xorshift).
    fn draw(state: &mut u64, lo: i32, hi: i32, len: usize) -> Vec<i32> {
        (0..len)
            .map(|_| {
                *state ^= *state << 13;
                *state ^= *state >> 7;
                *state ^= *state << 17;
                match *state % 10 {
                    0 => lo,
                    1 => hi,
                    2 | 3 => 0,
                    _ => (lo as i64 + (*state >> 8) as i64 % (hi as i64 - lo as i64 + 1)) as i32,
                }
            })
            .collect()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

        #[test]
        fn kernels_match_the_triple_loop(
            m in 1usize..=17, k in 1usize..=70, wide in any::<bool>(),
            narrow_w in any::<bool>(), i8_act in any::<bool>(), seed in any::<u64>(),
        ) {
            let n = if wide { 16 } else { 8 };
            let (wlo, whi) = if narrow_w { (-128, 127) } else { (-32768, 32767) };
            let (alo, ahi) = if i8_act { (-128, 127) } else { (-32768, 32767) };
            let mut st = seed | 1;
            let mut draw = |lo, hi, len| draw(&mut st, lo, hi, len);
            let w: Vec<i16> = draw(wlo, whi, m * k).into_iter().map(|x| x as i16).collect();
            let a = draw(alo, ahi, k * n);
            let acc = draw(i32::MIN, i32::MAX, m * n);
            let want = reference(&w, &a, &acc, (m, k, n));
            let a16: Vec<i16> = a.iter().map(|&x| x as i16).collect();
            let a8: Vec<i8> = a.iter().map(|&x| x as i8).collect();

            // The vpmaddwd kernel (where the CPU has AVX2; it declines k > 64).
            let mut out = bytes(&acc);
            let rows = if i8_act { Rows::I8(&a8) } else { Rows::I16(&a16) };
            if lin_pairs(&w, rows, &mut out, k, n) {
                prop_assert!(k <= 64);
                prop_assert_eq!(ints(&out), want.clone());
            } else {
                prop_assert!(k > 64 || !is_x86_feature_detected!("avx2"), "declined k = {}", k);
            }

            // The 16-wide AVX2 kernel too where lin_pairs chose the AVX-512 one.
            if wide && k <= 64 && is_x86_feature_detected!("avx2") {
                let mut out = bytes(&acc);
                // SAFETY: AVX2 is present (checked just above).
                unsafe { rows_avx2::<2, MAX_PAIRS>(&w, rows, &mut out, k) };
                prop_assert_eq!(ints(&out), want.clone());
            }

            // The portable kernel, with 16-bit products where they are exact.
            let mut out = bytes(&acc);
            let done = match (i8_act, wide, narrow_w) {
                (true, true, true) => lin_fixed::<i8, 16, true>(&w, &a8, &mut out, k),
                (true, false, true) => lin_fixed::<i8, 8, true>(&w, &a8, &mut out, k),
                (true, true, false) => lin_fixed::<i8, 16, false>(&w, &a8, &mut out, k),
                (true, false, false) => lin_fixed::<i8, 8, false>(&w, &a8, &mut out, k),
                (false, true, _) => lin_fixed::<i16, 16, false>(&w, &a16, &mut out, k),
                (false, false, _) => lin_fixed::<i16, 8, false>(&w, &a16, &mut out, k),
            };
            prop_assert!(done);
            prop_assert_eq!(ints(&out), want);
        }
    }
}
