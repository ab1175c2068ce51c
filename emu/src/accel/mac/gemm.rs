//! The MAC array's GEMM kernels: linear weights (register-blocked, and fixed-width
//! kernels for the small tiles of tiled loops) and log weights (shift-and-add). Each is
//! compiled for several CPU feature levels and picked at run time (`multiversion`).
//!
//! Every kernel computes `out[m][n] += Σ_k prod(w[m][k], a[k][n])` with wrapping `i32`
//! additions, so the order of the additions never changes a result.

use crate::formats::LogTable;

/// Accumulator storage a kernel adds into: a vector of `i32`, or an accumulator tile's
/// little-endian bytes in its scratchpad page (updated in place, no copy in and out).
pub(super) trait AccOut {
    /// Number of values (the x86-64 `vpmaddwd` kernel checks shapes with it).
    #[cfg_attr(not(target_arch = "x86_64"), allow(dead_code))]
    fn len(&self) -> usize;
    /// Value `i`.
    fn get(&self, i: usize) -> i32;
    /// Set value `i`.
    fn set(&mut self, i: usize, v: i32);
    /// Values `at .. at + B`.
    fn load<const B: usize>(&self, at: usize) -> [i32; B];
    /// Set values `at .. at + B`.
    fn store<const B: usize>(&mut self, at: usize, v: &[i32; B]);
}

impl AccOut for [i32] {
    #[inline(always)]
    fn len(&self) -> usize {
        <[i32]>::len(self)
    }
    #[inline(always)]
    fn get(&self, i: usize) -> i32 {
        self[i]
    }
    #[inline(always)]
    fn set(&mut self, i: usize, v: i32) {
        self[i] = v;
    }
    #[inline(always)]
    fn load<const B: usize>(&self, at: usize) -> [i32; B] {
        let mut blk = [0i32; B];
        blk.copy_from_slice(&self[at..at + B]);
        blk
    }
    #[inline(always)]
    fn store<const B: usize>(&mut self, at: usize, v: &[i32; B]) {
        self[at..at + B].copy_from_slice(v);
    }
}

impl AccOut for [u8] {
    #[inline(always)]
    fn len(&self) -> usize {
        <[u8]>::len(self) / 4
    }
    #[inline(always)]
    fn get(&self, i: usize) -> i32 {
        let b = &self[4 * i..4 * i + 4];
        i32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }
    #[inline(always)]
    fn set(&mut self, i: usize, v: i32) {
        self[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
    }
    #[inline(always)]
    fn load<const B: usize>(&self, at: usize) -> [i32; B] {
        let mut blk = [0i32; B];
        for (o, b) in blk
            .iter_mut()
            .zip(self[4 * at..4 * (at + B)].chunks_exact(4))
        {
            *o = i32::from_le_bytes([b[0], b[1], b[2], b[3]]);
        }
        blk
    }
    #[inline(always)]
    fn store<const B: usize>(&mut self, at: usize, v: &[i32; B]) {
        for (o, x) in self[4 * at..4 * (at + B)].chunks_exact_mut(4).zip(v) {
            o.copy_from_slice(&x.to_le_bytes());
        }
    }
}

#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_lin<A: Copy + Into<i32>, O: AccOut + ?Sized>(
    w: &[i16],
    a: &[A],
    out: &mut O,
    m: usize,
    kk: usize,
    n: usize,
    k0: usize,
    k1: usize,
) {
    if n == 1 {
        // GEMV: contiguous dot products.
        for mi in 0..m {
            let wrow = &w[mi * kk + k0..mi * kk + k1];
            let acol = &a[k0..k1];
            let mut s = 0i32;
            for (&x, &y) in wrow.iter().zip(acol) {
                s = s.wrapping_add(x as i32 * y.into());
            }
            out.set(mi, out.get(mi).wrapping_add(s));
        }
        return;
    }
    // Register blocking: a block of outputs stays in registers across the whole k range
    // (what a compiler does for a native loop with known sizes): blocks of 32, then 16
    // and 8 columns, so small tiles (8 or 16 wide) vectorise too; a scalar tail last.
    for mi in 0..m {
        let wrow = &w[mi * kk + k0..mi * kk + k1];
        let row = mi * n;
        let mut c0 = 0;
        c0 = lin_blocks::<A, O, 32>(wrow, a, out, row, n, k0, c0);
        c0 = lin_blocks::<A, O, 16>(wrow, a, out, row, n, k0, c0);
        c0 = lin_blocks::<A, O, 8>(wrow, a, out, row, n, k0, c0);
        for c in c0..n {
            let mut s = out.get(row + c);
            for (j, &wv) in wrow.iter().enumerate() {
                s = s.wrapping_add(wv as i32 * a[(k0 + j) * n + c].into());
            }
            out.set(row + c, s);
        }
    }
}

/// Output columns `c0..` of the row starting at value `row` in register blocks of `BLK`
/// while at least `BLK` remain; returns the first column not done.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn lin_blocks<A: Copy + Into<i32>, O: AccOut + ?Sized, const BLK: usize>(
    wrow: &[i16],
    a: &[A],
    out: &mut O,
    row: usize,
    n: usize,
    k0: usize,
    mut c0: usize,
) -> usize {
    while c0 + BLK <= n {
        let mut blk: [i32; BLK] = out.load(row + c0);
        for (j, &wv) in wrow.iter().enumerate() {
            let wv = wv as i32;
            let base = (k0 + j) * n + c0;
            let arow: &[A; BLK] = match a[base..base + BLK].try_into() {
                Ok(r) => r,
                Err(_) => continue, // unreachable: the slice has BLK elements
            };
            for i in 0..BLK {
                blk[i] = blk[i].wrapping_add(wv * arow[i].into());
            }
        }
        out.store(row + c0, &blk);
        c0 += BLK;
    }
    c0
}

#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
#[allow(clippy::too_many_arguments)]
pub(super) fn gemm_log<A: Copy + Into<i32>>(
    wc: &[u8],
    t: &LogTable,
    a: &[A],
    out: &mut [i32],
    m: usize,
    kk: usize,
    n: usize,
    k0: usize,
    k1: usize,
) {
    // Per weight code: shift h, half-step mask, sign mask; the product is
    // y = (x << h) + ((x << h) >> 1 if half), negated if the sign bit is set — shifts, adds
    // and a conditional negate ((y ^ s) - s), no multiplier. Register-blocked like gemm_lin.
    const BLK: usize = 32;
    let recipe = |c: u8| {
        let c = c as usize;
        (
            t.shift[c] as u32,
            if t.half[c] { -1i32 } else { 0 },
            if t.neg[c] { -1i32 } else { 0 },
        )
    };
    for mi in 0..m {
        let wrow = &wc[mi * kk + k0..mi * kk + k1];
        let orow = &mut out[mi * n..(mi + 1) * n];
        let full = n / BLK * BLK;
        for c0 in (0..full).step_by(BLK) {
            let mut blk = [0i32; BLK];
            blk.copy_from_slice(&orow[c0..c0 + BLK]);
            for (j, &code) in wrow.iter().enumerate() {
                if t.zero[code as usize] {
                    continue;
                }
                let (h, half, neg) = recipe(code);
                let base = (k0 + j) * n + c0;
                let arow: &[A; BLK] = match a[base..base + BLK].try_into() {
                    Ok(r) => r,
                    Err(_) => continue, // unreachable: the slice has BLK elements
                };
                for i in 0..BLK {
                    let s = arow[i].into() << h;
                    let y = s + ((s >> 1) & half);
                    blk[i] = blk[i].wrapping_add((y ^ neg).wrapping_sub(neg));
                }
            }
            orow[c0..c0 + BLK].copy_from_slice(&blk);
        }
        let orow = &mut orow[full..];
        for (j, &code) in wrow.iter().enumerate() {
            if t.zero[code as usize] || orow.is_empty() {
                continue;
            }
            let (h, half, neg) = recipe(code);
            let k = k0 + j;
            for (o, &x) in orow.iter_mut().zip(&a[k * n + full..(k + 1) * n]) {
                let s = x.into() << h;
                let y = s + ((s >> 1) & half);
                *o = o.wrapping_add((y ^ neg).wrapping_sub(neg));
            }
        }
    }
}

/// `out += w · a` for an output exactly `N` values wide (the small tiles of tiled loops):
/// each output row stays in registers across the whole k loop and each activation row is
/// one fixed-size load, so nothing is left to run-time block and tail logic. `out` holds
/// the accumulators as little-endian bytes (an accumulator tile in its page), `w` is M×K,
/// `a` is K×N. Returns false (nothing done) when the shapes do not fit that form.
///
/// With `P16` (the caller guarantees weights and activations within i8) each product is a
/// 16-bit multiply, exact since |w·a| ≤ 16384, widened to 32 bits for the sum: cheaper
/// than a 32-bit multiply on x86.
///
/// Weights go two at a time and a pair of zero weights is skipped (it adds nothing). That
/// branch also keeps the compiler from vectorising along k instead (a horizontal
/// reduction gathering one activation column per lane, several times slower at these
/// sizes).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2+fma",
    "aarch64+neon"
))]
pub(super) fn lin_fixed<A: Copy + Into<i32> + Into<i16>, const N: usize, const P16: bool>(
    w: &[i16],
    a: &[A],
    out: &mut [u8],
    k: usize,
) -> bool {
    let row_bytes = 4 * N;
    if k == 0 || a.len() != k * N || !out.len().is_multiple_of(row_bytes) {
        return false;
    }
    let rows = out.len() / row_bytes;
    if w.len() != rows * k {
        return false;
    }
    // Activation rows in pairs (matching the weight pairs), and the last row when k is odd.
    let (a_even, a_odd) = a.split_at(k / 2 * 2 * N);
    // Rows of 16 or more go two at a time, sharing each activation row's load and
    // widening. 8-wide rows go one at a time: paired, the compiler packs both into one
    // 512-bit register and spends more on shuffling the two weights in than it saves.
    let split = if N >= 16 { rows / 2 * 2 } else { 0 };
    let (paired, single) = out.split_at_mut(split * row_bytes);
    for (w2rows, o2) in w
        .chunks_exact(2 * k)
        .zip(paired.chunks_exact_mut(2 * row_bytes))
    {
        let (w0, w1) = w2rows.split_at(k);
        let (o0, o1) = o2.split_at_mut(row_bytes);
        let (mut acc0, mut acc1) = (load_row::<N>(o0), load_row::<N>(o1));
        let pairs = w0.chunks_exact(2).zip(w1.chunks_exact(2));
        for ((u, v), a2) in pairs.zip(a_even.chunks_exact(2 * N)) {
            if u[0] | u[1] | v[0] | v[1] == 0 {
                continue;
            }
            let (ar0, ar1) = a2.split_at(N);
            axpy2::<A, N, P16>(&mut acc0, &mut acc1, u[0], v[0], ar0);
            axpy2::<A, N, P16>(&mut acc0, &mut acc1, u[1], v[1], ar1);
        }
        if k % 2 == 1 {
            axpy2::<A, N, P16>(&mut acc0, &mut acc1, w0[k - 1], w1[k - 1], a_odd);
        }
        store_row(o0, acc0);
        store_row(o1, acc1);
    }
    for (wrow, orow) in w[split * k..]
        .chunks_exact(k)
        .zip(single.chunks_exact_mut(row_bytes))
    {
        let mut acc = load_row::<N>(orow);
        for (u, a2) in wrow.chunks_exact(2).zip(a_even.chunks_exact(2 * N)) {
            if u[0] | u[1] == 0 {
                continue;
            }
            let (ar0, ar1) = a2.split_at(N);
            axpy::<A, N, P16>(&mut acc, u[0], ar0);
            axpy::<A, N, P16>(&mut acc, u[1], ar1);
        }
        if k % 2 == 1 {
            axpy::<A, N, P16>(&mut acc, wrow[k - 1], a_odd);
        }
        store_row(orow, acc);
    }
    true
}

/// An accumulator row from its little-endian bytes.
#[inline(always)]
fn load_row<const N: usize>(b: &[u8]) -> [i32; N] {
    let mut acc = [0i32; N];
    for (x, c) in acc.iter_mut().zip(b.chunks_exact(4)) {
        *x = i32::from_le_bytes([c[0], c[1], c[2], c[3]]);
    }
    acc
}

/// An accumulator row back into its little-endian bytes.
#[inline(always)]
fn store_row<const N: usize>(b: &mut [u8], acc: [i32; N]) {
    for (c, x) in b.chunks_exact_mut(4).zip(acc) {
        c.copy_from_slice(&x.to_le_bytes());
    }
}

/// `acc0 += w0 · arow` and `acc1 += w1 · arow`, lane by lane (wrapping; `arow` has `N`
/// values).
#[inline(always)]
fn axpy2<A: Copy + Into<i32> + Into<i16>, const N: usize, const P16: bool>(
    acc0: &mut [i32; N],
    acc1: &mut [i32; N],
    w0: i16,
    w1: i16,
    arow: &[A],
) {
    for ((x0, x1), &y) in acc0.iter_mut().zip(acc1.iter_mut()).zip(arow) {
        *x0 = x0.wrapping_add(product::<A, P16>(w0, y));
        *x1 = x1.wrapping_add(product::<A, P16>(w1, y));
    }
}

/// `w · y`: with `P16` (both factors within i8, so the product within ±16384) a 16-bit
/// multiply, widened; else a 32-bit one.
#[inline(always)]
fn product<A: Copy + Into<i32> + Into<i16>, const P16: bool>(w: i16, y: A) -> i32 {
    if P16 {
        i32::from(w.wrapping_mul(Into::<i16>::into(y)))
    } else {
        i32::from(w) * Into::<i32>::into(y)
    }
}

/// `acc += wv · arow`, lane by lane (wrapping; `arow` has `N` values).
#[inline(always)]
fn axpy<A: Copy + Into<i32> + Into<i16>, const N: usize, const P16: bool>(
    acc: &mut [i32; N],
    wv: i16,
    arow: &[A],
) {
    for (x, &y) in acc.iter_mut().zip(arow) {
        *x = x.wrapping_add(product::<A, P16>(wv, y));
    }
}
