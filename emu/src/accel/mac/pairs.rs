//! The pairwise multiply-add kernel for linear-weight products whose output is a multiple
//! of 8 wide (the small tiles of tiled loops and most large ones) on x86-64: `vpmaddwd`,
//! which multiplies sixteen (AVX2) or thirty-two (AVX-512BW) pairs of 16-bit values and
//! adds each pair's two products into one 32-bit lane.
//!
//! `out[i][n] += Σ_k w[i][k]·a[k][n]` is taken two k at a time: the activation rows 2j and
//! 2j+1 are interleaved once per block into `(a[2j][n], a[2j+1][n])` pairs (an unpack and
//! a sign extension per 16 values, kept on the stack), and the
//! weight pair `(w[i][2j], w[i][2j+1])`, adjacent in the weight row, is broadcast as one
//! 32-bit value. One `vpmaddwd` and one add then do 16 (or 32) MACs, with no widening
//! shuffles; the portable kernels (`gemm`) spend most of their time on those. With AVX-512
//! VNNI, `vpdpwssd` does the multiply-add and the add in one instruction (LLVM splits it
//! back where the accumulator's latency would bound the loop). 8-bit weights and
//! activations go to the quad kernel (`quads.rs`) instead where it applies.
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
use std::ops::Range;

use super::gemm::AccOut;

/// Most weight pairs (k/2, rounded up) in one block; longer k goes in several blocks. The
/// interleaved activations of that many pairs stay on the stack (1 or 2 KiB).
const MAX_PAIRS: usize = 32;

/// Activation values as the kernel reads them: rows of `i8` or `i16`.
#[derive(Clone, Copy)]
pub(super) enum Rows<'a> {
    I8(&'a [i8]),
    I16(&'a [i16]),
}

/// `out += w · a` over the reduction indices `ks` through `vpmaddwd`, for outputs a
/// multiple of 8 wide. `out` is the M×N accumulators (a vector, or an accumulator tile's
/// bytes), `w` is M×K, `a` is K×N. Returns false (nothing done) without AVX2 or when the
/// shapes do not fit. Given the weights as `i8` values (`wq`, when they all fit) and `i8`
/// activations, the quad kernel (`quads.rs`, AVX-512 VNNI) runs instead where it applies.
///
/// The work goes in blocks: up to `2·MAX_PAIRS` reduction indices by 8 or 16 columns (16
/// with AVX-512BW). A block's activations are interleaved once, then every row's
/// accumulators for those columns stay in registers over the block's k range.
#[inline(always)]
pub(super) fn lin_pairs<O: AccOut + ?Sized>(
    w: &[i16],
    wq: Option<&[i8]>,
    a: Rows<'_>,
    out: &mut O,
    (m, k, n): (usize, usize, usize),
    ks: Range<usize>,
) -> bool {
    if let (Some(wq), Rows::I8(a8)) = (wq, a) {
        if super::quads::lin_quads(wq, a8, out, (m, k, n), ks.clone()) {
            return true;
        }
    }
    lin_pairs_with(w, a, out, (m, k, n), ks, Width::Vnni)
}

/// The widest blocks [`lin_pairs_with`] may use (the CPU's features permitting); the tests
/// reach the narrower kernels this way on a machine that has the wider ones.
#[derive(Clone, Copy, PartialEq, PartialOrd)]
enum Width {
    /// 256-bit blocks (AVX2).
    #[cfg_attr(not(test), allow(dead_code))]
    Avx2,
    /// 512-bit blocks with `vpmaddwd` and an add (AVX-512BW).
    Avx512,
    /// 512-bit blocks with `vpdpwssd` (AVX-512 VNNI).
    Vnni,
}

/// [`lin_pairs`], with blocks at most `width` wide. Inlined: its operands
/// passed in memory (the activation rows are three words) were read back with one wide
/// load before the caller's narrow stores retired, a store-forwarding stall that showed
/// in 8³-tile profiles.
#[inline(always)]
fn lin_pairs_with<O: AccOut + ?Sized>(
    w: &[i16],
    a: Rows<'_>,
    out: &mut O,
    (m, k, n): (usize, usize, usize),
    ks: Range<usize>,
    width: Width,
) -> bool {
    let alen = match a {
        Rows::I8(a) => a.len(),
        Rows::I16(a) => a.len(),
    };
    if n == 0 || !n.is_multiple_of(8) || k == 0 || alen != k * n || ks.end > k {
        return false;
    }
    if out.len() != m * n || w.len() != m * k {
        return false;
    }
    if !is_x86_feature_detected!("avx2") {
        return false;
    }
    let wide =
        width >= Width::Avx512 && n.is_multiple_of(16) && is_x86_feature_detected!("avx512bw");
    let vnni = wide && width >= Width::Vnni && is_x86_feature_detected!("avx512vnni");
    let bw = if n.is_multiple_of(16) { 16 } else { 8 };
    let g = Gemm { w, a, k, n };
    // (Loops without `step_by`, whose length is a division: this runs once per small-tile
    // `bsmac`.)
    let mut k0 = ks.start;
    while k0 < ks.end {
        let kb = k0..ks.end.min(k0 + 2 * MAX_PAIRS);
        let small = kb.len() <= 16;
        let mut c0 = 0;
        while c0 < n {
            let blk = Block { c0, ks: kb.clone() };
            // SAFETY: each function is called only when the CPU has the features it is
            // compiled for (detected above); they are otherwise ordinary safe code.
            unsafe {
                // Short k ranges get a small pair array: zeroing it is part of every
                // call.
                match (bw, small) {
                    (8, true) => block_avx2::<O, 1, 8>(&g, &blk, out),
                    (8, false) => block_avx2::<O, 1, MAX_PAIRS>(&g, &blk, out),
                    (_, true) if vnni => block_vnni::<O, 8>(&g, &blk, out),
                    (_, false) if vnni => block_vnni::<O, MAX_PAIRS>(&g, &blk, out),
                    (_, true) if wide => block_avx512::<O, 8>(&g, &blk, out),
                    (_, false) if wide => block_avx512::<O, MAX_PAIRS>(&g, &blk, out),
                    (_, true) => block_avx2::<O, 2, 8>(&g, &blk, out),
                    (_, false) => block_avx2::<O, 2, MAX_PAIRS>(&g, &blk, out),
                }
            }
            c0 += bw;
        }
        k0 = kb.end;
    }
    true
}

/// The whole product: weights M×K, activations K×N.
struct Gemm<'a> {
    w: &'a [i16],
    a: Rows<'a>,
    k: usize,
    n: usize,
}

/// One block of the product: columns `c0 ..` (8 or 16 of them) over reduction indices
/// `ks` (at most `2·MAX_PAIRS`).
struct Block {
    c0: usize,
    ks: Range<usize>,
}

impl Gemm<'_> {
    /// Each row's weights in the block's k range and the index of its first accumulator
    /// in the block.
    fn rows(&self, b: &Block) -> impl Iterator<Item = (&[i16], usize)> {
        let (ks, c0, n) = (b.ks.clone(), b.c0, self.n);
        let rows = self.w.chunks_exact(self.k).enumerate();
        rows.map(move |(i, wr)| (&wr[ks.clone()], i * n + c0))
    }
}

/// Two adjacent 16-bit values as one 32-bit lane (the first in the low half).
#[inline(always)]
fn pair(lo: i16, hi: i16) -> i32 {
    (lo as u16 as u32 | (hi as u16 as u32) << 16) as i32
}

/// Up to 16 bytes from the front of `b` as a vector (zero beyond `b`'s end).
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn xmm_bytes(b: &[u8]) -> __m128i {
    let half = |h: &[u8]| {
        let mut x = [0u8; 8];
        let l = h.len().min(8);
        x[..l].copy_from_slice(&h[..l]);
        i64::from_le_bytes(x)
    };
    let (lo, hi) = b.split_at(b.len().min(8));
    _mm_set_epi64x(half(hi), half(lo))
}

/// The block's activations interleaved in pairs: `pv[j][h]` holds `(a[k0+2j][c],
/// a[k0+2j+1][c])` for the eight columns `c` of vector `h` (from column `c0`), the second
/// row zero past the end when the block's k range is odd.
#[target_feature(enable = "avx2")]
fn fill_pairs<const H: usize>(g: &Gemm<'_>, blk: &Block, pv: &mut [[__m256i; H]]) {
    let (n, c0, ks) = (g.n, blk.c0, blk.ks.clone());
    let zero = _mm_setzero_si128();
    let pairs = pv.iter_mut().zip(ks.clone().step_by(2));
    match g.a {
        Rows::I8(a) => {
            // The rows' bytes read in place (a copy made byte by byte and read back 8
            // bytes at a time would wait for its stores to retire).
            let a: &[u8] = bytemuck::cast_slice(a);
            for (p, r) in pairs {
                let x0 = xmm_bytes(&a[r * n + c0..][..8 * H]);
                let x1 = if r + 1 < ks.end {
                    xmm_bytes(&a[(r + 1) * n + c0..][..8 * H])
                } else {
                    zero
                };
                // Bytes interleaved, then sign-extended to 16 bits: columns 0..8, 8..16.
                p[0] = _mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x0, x1));
                if H == 2 {
                    p[H - 1] = _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x0, x1));
                }
            }
        }
        Rows::I16(a) => {
            for (p, r) in pairs {
                for (h, ph) in p.iter_mut().enumerate() {
                    let c = c0 + 8 * h;
                    // (x86-64 is little-endian: the values' bytes as they lie are the
                    // little-endian bytes the vector wants.)
                    let x0 = xmm_bytes(bytemuck::cast_slice(&a[r * n + c..][..8]));
                    let x1 = if r + 1 < ks.end {
                        xmm_bytes(bytemuck::cast_slice(&a[(r + 1) * n + c..][..8]))
                    } else {
                        zero
                    };
                    let (lo, hi) = (_mm_unpacklo_epi16(x0, x1), _mm_unpackhi_epi16(x0, x1));
                    *ph = _mm256_set_m128i(hi, lo);
                }
            }
        }
    }
}

/// Eight accumulators `at ..` as a vector.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn load_acc8<O: AccOut + ?Sized>(out: &O, at: usize) -> __m256i {
    let x = out.load::<8>(at);
    _mm256_setr_epi32(x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7])
}

/// A vector back into the eight accumulators `at ..`.
#[inline]
#[target_feature(enable = "avx2")]
pub(super) fn store_acc8<O: AccOut + ?Sized>(out: &mut O, at: usize, v: __m256i) {
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
    out.store::<8>(at, &lanes);
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

/// A block `8·H` columns wide: each row's accumulators in `H` 256-bit registers over the
/// block's k range. Zero weight pairs are not skipped: the test and branch per pair cost
/// more than the multiply-add they save (a 16³ tiled GEMM took 16 % less time without
/// them), and would mispredict on irregular sparsity. The interleaved activations (at
/// most `P` pairs) stay on the stack.
#[target_feature(enable = "avx2")]
fn block_avx2<O: AccOut + ?Sized, const H: usize, const P: usize>(
    g: &Gemm<'_>,
    blk: &Block,
    out: &mut O,
) {
    let mut pv = [[_mm256_setzero_si256(); H]; P];
    fill_pairs::<H>(g, blk, &mut pv);
    for (wr, at) in g.rows(blk) {
        let mut acc: [__m256i; H] = std::array::from_fn(|h| load_acc8(out, at + 8 * h));
        each_pair(wr, &pv, |wp, p| {
            let wb = _mm256_set1_epi32(wp);
            for (x, &ph) in acc.iter_mut().zip(&p) {
                *x = _mm256_add_epi32(*x, _mm256_madd_epi16(ph, wb));
            }
        });
        for (h, x) in acc.into_iter().enumerate() {
            store_acc8(out, at + 8 * h, x);
        }
    }
}

/// Define a kernel for blocks 16 columns wide: each row's accumulators in one 512-bit
/// register. The two kernels differ only in their target features and in the step that
/// multiplies a pair register by a broadcast weight pair and adds into the accumulators,
/// given as a closure `|acc, pairs, weights| -> acc`.
macro_rules! block_512 {
    ($(#[$doc:meta])* $name:ident, $features:literal, $step:expr) => {
        $(#[$doc])*
        #[target_feature(enable = $features)]
        fn $name<O: AccOut + ?Sized, const P: usize>(g: &Gemm<'_>, blk: &Block, out: &mut O) {
            let join =
                |lo: __m256i, hi: __m256i| _mm512_inserti64x4::<1>(_mm512_castsi256_si512(lo), hi);
            let step = $step;
            let mut halves = [[_mm256_setzero_si256(); 2]; P];
            fill_pairs::<2>(g, blk, &mut halves);
            let pv = halves.map(|[lo, hi]| join(lo, hi));
            for (wr, at) in g.rows(blk) {
                let mut acc = join(load_acc8(out, at), load_acc8(out, at + 8));
                each_pair(wr, &pv, |wp, p| acc = step(acc, p, _mm512_set1_epi32(wp)));
                store_acc8(out, at, _mm512_castsi512_si256(acc));
                store_acc8(out, at + 8, _mm512_extracti64x4_epi64::<1>(acc));
            }
        }
    };
}

block_512!(
    /// AVX-512BW: `vpmaddwd` into a product register, then an add.
    block_avx512,
    "avx2,avx512f,avx512bw",
    |acc, p, w| _mm512_add_epi32(acc, _mm512_madd_epi16(p, w))
);

block_512!(
    /// AVX-512 VNNI: `vpdpwssd` multiplies the pairs and adds them into the accumulators
    /// in one instruction (the same wrapping 32-bit sum).
    block_vnni,
    "avx2,avx512f,avx512bw,avx512vnni",
    |acc, p, w| _mm512_dpwssd_epi32(acc, p, w)
);

#[cfg(test)]
pub(super) mod tests {
    //! The `vpmaddwd` kernel and the portable fixed-width kernel against a plain triple
    //! loop in 64-bit arithmetic (wrapped to 32 bits at the end), on random shapes and
    //! values that include the 16-bit extremes. The machine-level tests reach only one of
    //! the two kernels on a given CPU; these reach both.

    use super::super::gemm::lin_fixed;
    use super::*;
    use proptest::prelude::*;

    /// `acc + Σ_{k in ks} w·a` for M×K weights and K×N activations (M = acc.len() / n),
    /// summed in 64 bits and wrapped to 32 (also the quad kernel's reference).
    pub(in crate::accel::mac) fn reference<W: Copy + Into<i64>, A: Copy + Into<i64>>(
        w: &[W],
        a: &[A],
        acc: &[i32],
        (k, n): (usize, usize),
        ks: Range<usize>,
    ) -> Vec<i32> {
        (0..acc.len())
            .map(|o| {
                let (i, c) = (o / n, o % n);
                let s: i64 = ks
                    .clone()
                    .map(|j| w[i * k + j].into() * a[j * n + c].into())
                    .sum();
                (acc[o] as i64 + s) as i32
            })
            .collect()
    }

    pub(in crate::accel::mac) fn bytes(acc: &[i32]) -> Vec<u8> {
        acc.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    pub(in crate::accel::mac) fn ints(b: &[u8]) -> Vec<i32> {
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
            m in 1usize..=17, k in 1usize..=150, nb in 1usize..=6,
            narrow_w in any::<bool>(), i8_act in any::<bool>(), seed in any::<u64>(),
        ) {
            let n = 8 * nb;
            let wide = n == 16;
            let (wlo, whi) = if narrow_w { (-128, 127) } else { (-32768, 32767) };
            let (alo, ahi) = if i8_act { (-128, 127) } else { (-32768, 32767) };
            let mut st = seed | 1;
            let mut draw = |lo, hi, len| draw(&mut st, lo, hi, len);
            let w: Vec<i16> = draw(wlo, whi, m * k).into_iter().map(|x| x as i16).collect();
            let a = draw(alo, ahi, k * n);
            let acc = draw(i32::MIN, i32::MAX, m * n);
            let want = reference(&w, &a, &acc, (k, n), 0..k);
            let a16: Vec<i16> = a.iter().map(|&x| x as i16).collect();
            let a8: Vec<i8> = a.iter().map(|&x| x as i8).collect();
            let rows = if i8_act { Rows::I8(&a8) } else { Rows::I16(&a16) };

            // The vpmaddwd kernel where the CPU has AVX2: with vpdpwssd where it has
            // AVX-512 VNNI, with 512-bit blocks where it has AVX-512BW, and with 256-bit
            // blocks only; into accumulator bytes (in place) and into a vector, over all
            // of k and over a sub-range (vector-scale segments).
            let avx2 = is_x86_feature_detected!("avx2");
            let (k0, k1) = ((seed >> 32) as usize % k, (seed >> 40) as usize % k);
            let ks = k0.min(k1)..k0.max(k1) + 1;
            let want_ks = reference(&w, &a, &acc, (k, n), ks.clone());
            for width in [Width::Vnni, Width::Avx512, Width::Avx2] {
                let mut out = bytes(&acc);
                let done = lin_pairs_with(&w, rows, &mut out[..], (m, k, n), 0..k, width);
                prop_assert_eq!(done, avx2);
                if done {
                    prop_assert_eq!(ints(&out), want.clone());
                }
                let mut out = acc.clone();
                let done = lin_pairs_with(&w, rows, &mut out[..], (m, k, n), ks.clone(), width);
                prop_assert_eq!(done, avx2);
                if done {
                    prop_assert_eq!(&out, &want_ks);
                }
            }
            if !(n == 8 || n == 16) {
                return Ok(());
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
