//! Properties of every quantiser on random tensors, checked against grids and bounds
//! computed here from the format definitions of docs/ISA.md §5 (not from FormatSpec).

use bitloom_isa::numfmt::LogBase;
use bitloom_quant::{quantize, stats, Format, KChoice, Options, Tensor, VsqRound};
use proptest::prelude::*;

fn tensor(v: Vec<f64>) -> Tensor {
    Tensor::new(vec![v.len()], v).unwrap()
}

fn data(n: std::ops::Range<usize>) -> impl Strategy<Value = Vec<f64>> {
    prop::collection::vec(-100.0f64..100.0, n)
}

/// Absolute tolerance for float round-off in a comparison at scale `s`.
fn tol(s: f64) -> f64 {
    1e-9 * s.max(1.0)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// int: codes fit, the two's-complement value of each code times the scale is within
    /// half a step of x (absmax scaling never clips for N ≥ 2).
    #[test]
    fn int_half_step(v in data(1..80), bits in 2u32..=8, rows in 1usize..4) {
        let n = v.len() / rows * rows;
        prop_assume!(n > 0);
        let t = Tensor::new(vec![rows, n / rows], v[..n].to_vec()).unwrap();
        let mut o = Options::new(Format::Int, bits);
        o.axis = Some(0);
        let q = quantize(&t, &o).unwrap();
        let cols = n / rows;
        for (i, (&x, &c)) in t.data().iter().zip(&q.codes).enumerate() {
            prop_assert!(u32::from(c) < 1 << bits);
            let val = if c >> (bits - 1) & 1 == 1 { i32::from(c) - (1 << bits) } else { i32::from(c) };
            let s = q.scales[i / cols];
            prop_assert!((x - f64::from(val) * s).abs() <= s / 2.0 + tol(s), "x {x} code {c} s {s}");
        }
    }

    /// uint: codes fit and c − zp times the scale is within half a step of x.
    #[test]
    fn uint_half_step(v in data(1..80), bits in 1u32..=8) {
        let q = quantize(&tensor(v.clone()), &Options::new(Format::Uint, bits)).unwrap();
        let (s, zp) = (q.scales[0], f64::from(q.zero_points[0]));
        for (&x, &c) in v.iter().zip(&q.codes) {
            prop_assert!(u32::from(c) < 1 << bits);
            prop_assert!((x - (f64::from(c) - zp) * s).abs() <= s / 2.0 + tol(s));
        }
    }

    /// cluster: every magnitude is at most k signed power-of-two terms, and the value is the
    /// nearest of all sign-magnitude values with at most k terms (brute force).
    #[test]
    fn cluster_k_terms_nearest(v in data(1..60), bits in 2u32..=8, k in 1u32..=7) {
        prop_assume!(k < bits);
        let mut o = Options::new(Format::Cluster, bits);
        o.k = Some(KChoice::Fixed(k));
        let q = quantize(&tensor(v.clone()), &o).unwrap();
        let s = q.scales[0];
        let fewest = fewest_terms();
        let legal: Vec<f64> = (0u32..1 << (bits - 1))
            .filter(|&m| fewest[m as usize] <= k)
            .flat_map(|m| [f64::from(m), -f64::from(m)])
            .collect();
        for (&x, &c) in v.iter().zip(&q.codes) {
            let m = u32::from(c) & ((1 << (bits - 1)) - 1);
            prop_assert!(fewest[m as usize] <= k, "code {c:#b} has more than {k} terms");
            let val = if u32::from(c) >> (bits - 1) == 1 { -f64::from(m) } else { f64::from(m) };
            let best = legal.iter().map(|l| (x / s - l).abs()).fold(f64::INFINITY, f64::min);
            prop_assert!((x / s - val).abs() <= best + 1e-9);
        }
    }

    /// log: the value is the nearest of the real log grid (base 2: ±2^q; base √2: ±2^h and
    /// ±1.5·2^h; and 0), q ≤ 2^(N−1) − 2.
    #[test]
    fn log_nearest_on_grid(v in data(1..60), bits in 2u32..=5, sqrt2 in any::<bool>()) {
        let mut o = Options::new(Format::Log, bits);
        o.log_base = if sqrt2 { LogBase::Sqrt2 } else { LogBase::Two };
        let q = quantize(&tensor(v.clone()), &o).unwrap();
        let s = q.scales[0];
        let qmax = (1u32 << (bits - 1)) - 2;
        let mut grid = vec![0.0];
        for e in 0..=qmax {
            let m = if sqrt2 {
                let h = f64::from(1u32 << (e / 2));
                if e % 2 == 1 { 1.5 * h } else { h }
            } else {
                f64::from(1u32 << e)
            };
            grid.extend([m, -m]);
        }
        for (&x, &val) in v.iter().zip(&q.values) {
            prop_assert!(grid.contains(&val), "value {val} not on the grid");
            let best = grid.iter().map(|g| (x / s - g).abs()).fold(f64::INFINITY, f64::min);
            prop_assert!((x / s - val).abs() <= best + 1e-9);
        }
    }

    /// lut: 2^N entries, codes index them, each element's reconstruction is the nearest entry.
    #[test]
    fn lut_nearest_entry(v in data(1..100), bits in 1u32..=8) {
        let q = quantize(&tensor(v.clone()), &Options::new(Format::Lut, bits)).unwrap();
        prop_assert_eq!(q.lut.len(), 1 << bits);
        let s = q.scales[0];
        for (&x, &c) in v.iter().zip(&q.codes) {
            let e = f64::from(q.lut[usize::from(c)]);
            let best = q.lut.iter().map(|&l| (x / s - f64::from(l)).abs()).fold(f64::INFINITY, f64::min);
            prop_assert!((x / s - e).abs() <= best + 1e-9);
        }
    }

    /// vsq with scales rounded up: every element within half a step γ·s_q of x; scales fit
    /// in M bits.
    #[test]
    fn vsq_half_step(v in data(1..200), bits in 2u32..=8, m in 1u32..=8, vlen in 1usize..40) {
        let mut o = Options::new(Format::Vsq, bits);
        o.vlen = vlen;
        o.scale_bits = m;
        o.vsq_round = VsqRound::Up;
        let q = quantize(&tensor(v.clone()), &o).unwrap();
        let vs = q.vscale.as_ref().unwrap();
        prop_assert_eq!(vs.shape, [1, v.len().div_ceil(vlen)]);
        for (i, &x) in v.iter().enumerate() {
            let sq = vs.codes[i / vlen];
            prop_assert!(u32::from(sq) < 1 << m);
            let step = f64::from(sq) * q.scales[0];
            prop_assert!((x - q.recon[i]).abs() <= step / 2.0 + tol(step), "x {x} recon {} step {step}", q.recon[i]);
        }
    }

    /// SQNR does not fall as int bits rise (random data, 64+ elements).
    #[test]
    fn sqnr_monotone_in_bits(v in data(64..256)) {
        let t = tensor(v.clone());
        let mut last = f64::NEG_INFINITY;
        for bits in 2..=8 {
            let q = quantize(&t, &Options::new(Format::Int, bits)).unwrap();
            let s = stats::sqnr_db(&v, &q.recon).unwrap_or(f64::INFINITY);
            prop_assert!(s >= last, "{bits} bits: {s} dB < {last} dB");
            last = s;
        }
    }
}

/// Fewest signed power-of-two terms of 0..256, by breadth-first search over sums of ±2^i.
fn fewest_terms() -> Vec<u32> {
    let mut d = vec![u32::MAX; 1024];
    let idx = |x: i64| (x + 512) as usize;
    d[idx(0)] = 0;
    let mut frontier = vec![0i64];
    let mut t = 0;
    while !frontier.is_empty() {
        t += 1;
        let mut next = Vec::new();
        for &r in &frontier {
            for i in 0..10 {
                for x in [r + (1 << i), r - (1 << i)] {
                    if x.abs() < 512 && d[idx(x)] == u32::MAX {
                        d[idx(x)] = t;
                        next.push(x);
                    }
                }
            }
        }
        frontier = next;
    }
    (0..256).map(|m| d[idx(m)]).collect()
}
