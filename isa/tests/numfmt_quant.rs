//! Real value → code (`FormatSpec::quantize`) against the rules of docs/ISA.md §5
//! "Quantisation": nearest (checked against a brute-force search over every code, with the
//! tie rule applied independently), monotonic, saturating at both ends and at ±∞, the
//! stated tie-breaking at every midpoint, NaN rejected, and no panic on any `f64`.

mod numfmt_common;

use bitloom_isa::numfmt::{FormatError, FormatSpec, LogBase, NumFmt};
use numfmt_common::{all_specs, describe};
use proptest::prelude::*;

/// The code the rules pick for `x`, by brute force: among canonical legal codes, the least
/// `|x − real(c)|`; ties to the lower code (lut) or to the larger magnitude (the others).
/// Exact for the `x` used here (multiples of 2^-10 below 2^17 in magnitude).
fn brute_nearest(s: &FormatSpec, x: f64) -> Option<u8> {
    let mut best: Option<(f64, u8, f64)> = None;
    for c in 0..s.code_space() {
        let (Ok(v), Ok(true)) = (s.real(c), s.is_canonical(c)) else {
            continue;
        };
        let d = (x - v).abs();
        let better = match best {
            None => true,
            Some((bd, _, bv)) => {
                d < bd || (d == bd && s.fmt() != NumFmt::Lut && v.abs() > bv.abs())
            }
        };
        if better {
            best = Some((d, c as u8, v));
        }
    }
    best.map(|(_, c, _)| c)
}

/// Sorted distinct real values of a spec.
fn values(s: &FormatSpec) -> Vec<f64> {
    let mut v: Vec<f64> = s.codes().map(|c| s.real(c as u32).unwrap()).collect();
    v.sort_by(f64::total_cmp);
    v.dedup();
    v
}

fn spec_index() -> impl Strategy<Value = usize> {
    0..all_specs().len()
}

/// Exact reals: multiples of 2^-10 up to ±2^17 (beyond every format's range), plus a
/// bias toward small values where the grids are dense.
fn exact_real() -> impl Strategy<Value = f64> {
    prop_oneof![
        (-(1i64 << 27)..=(1i64 << 27)).prop_map(|n| n as f64 / 1024.0),
        (-(1i64 << 19)..=(1i64 << 19)).prop_map(|n| n as f64 / 1024.0),
        (-600i64..=600).prop_map(|n| n as f64 / 4.0),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4000))]

    #[test]
    fn quantize_is_the_brute_force_nearest(i in spec_index(), x in exact_real()) {
        let s = &all_specs()[i];
        let got = s.quantize(x).ok();
        prop_assert_eq!(got, brute_nearest(s, x), "{} x = {}", describe(s), x);
    }

    #[test]
    fn quantize_is_monotonic(i in spec_index(), a in exact_real(), b in exact_real()) {
        let s = &all_specs()[i];
        let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
        let (cl, ch) = (s.quantize(lo).unwrap(), s.quantize(hi).unwrap());
        let (vl, vh) = (s.real(cl as u32).unwrap(), s.real(ch as u32).unwrap());
        prop_assert!(vl <= vh, "{}: q({lo}) = {vl} > q({hi}) = {vh}", describe(s));
    }

    #[test]
    fn any_f64_gives_a_legal_canonical_code_or_nan_error(i in spec_index(), bits in any::<u64>()) {
        let s = &all_specs()[i];
        let x = f64::from_bits(bits);
        match s.quantize(x) {
            Ok(c) => {
                prop_assert!(s.check(c as u32).is_ok());
                prop_assert!(s.is_canonical(c as u32).unwrap());
                let (lo, hi) = s.range().unwrap();
                let v = s.real(c as u32).unwrap();
                if x >= hi { prop_assert_eq!(v, hi); }
                if x <= lo { prop_assert_eq!(v, lo); }
            }
            Err(e) => {
                prop_assert!(x.is_nan());
                prop_assert_eq!(e, FormatError::NaN);
            }
        }
    }
}

#[test]
fn saturates_at_both_ends() {
    for s in all_specs() {
        let d = describe(s);
        let vals = values(s);
        let (lo, hi) = (vals[0], vals[vals.len() - 1]);
        assert_eq!(s.range(), Ok((lo, hi)), "{d}");
        for x in [hi, hi + 0.25, hi + 1e6, 1e300, f64::MAX, f64::INFINITY] {
            assert_eq!(s.real(s.quantize(x).unwrap() as u32), Ok(hi), "{d} x {x}");
        }
        for x in [lo, lo - 0.25, lo - 1e6, -1e300, f64::MIN, f64::NEG_INFINITY] {
            assert_eq!(s.real(s.quantize(x).unwrap() as u32), Ok(lo), "{d} x {x}");
        }
        assert_eq!(s.quantize(f64::NAN), Err(FormatError::NaN));
        assert_eq!(s.quantize(-f64::NAN), Err(FormatError::NaN));
        assert_eq!(s.quantize_all(&[0.0, f64::NAN]), Err(FormatError::NaN));
    }
}

/// At the exact midpoint of every pair of neighbouring values: lut → the lower code of the
/// two, the others → the larger magnitude; just inside either side → that side.
#[test]
fn tie_breaking_at_every_midpoint() {
    let mut ties = 0;
    for s in all_specs() {
        let d = describe(s);
        let vals = values(s);
        let canon = |v: f64| {
            s.codes()
                .find(|&c| s.real(c as u32).unwrap() == v)
                .expect("a code of the value")
        };
        for w in vals.windows(2) {
            let (a, b) = (w[0], w[1]);
            let mid = (a + b) / 2.0;
            let want = if s.fmt() == NumFmt::Lut {
                canon(a).min(canon(b))
            } else if b.abs() > a.abs() {
                canon(b)
            } else {
                canon(a)
            };
            assert_eq!(s.quantize(mid), Ok(want), "{d}: midpoint of {a} and {b}");
            let eps = (b - a) / 1024.0;
            assert_eq!(s.quantize(mid - eps), Ok(canon(a)), "{d}");
            assert_eq!(s.quantize(mid + eps), Ok(canon(b)), "{d}");
            ties += 1;
        }
    }
    assert!(ties > 3_000, "{ties}");
}

/// Hand-checked cases of the stated rules.
#[test]
fn rules_by_example() {
    let q = |s: &FormatSpec, x: f64| s.real(s.quantize(x).unwrap() as u32).unwrap();
    // int/uint: half away from zero, saturating.
    let int4 = FormatSpec::int(4).unwrap();
    let cases = [
        (2.5, 3.0),
        (-2.5, -3.0),
        (0.5, 1.0),
        (-0.5, -1.0),
        (2.49, 2.0),
        (7.6, 7.0),
    ];
    for (x, v) in cases {
        assert_eq!(q(&int4, x), v, "int4 {x}");
    }
    assert_eq!(q(&int4, -9.0), -8.0);
    assert_eq!(int4.quantize(-0.0), Ok(0));
    let uint4 = FormatSpec::uint(4, 3).unwrap();
    assert_eq!(
        (q(&uint4, -3.5), q(&uint4, 12.5), q(&uint4, 0.5)),
        (-3.0, 12.0, 1.0)
    );
    assert_eq!(uint4.quantize(-2.0), Ok(1));
    // log: linear-domain nearest on the implemented multipliers.
    let log2 = FormatSpec::log(4, LogBase::Two).unwrap();
    assert_eq!(q(&log2, 3.0), 4.0); // midpoint of 2 and 4: away from zero
    assert_eq!(q(&log2, 2.9), 2.0); // log-domain nearest would say 4 (2.9 > 2·√2)
    assert_eq!(q(&log2, -0.5), -1.0);
    assert_eq!(q(&log2, 0.49), 0.0);
    assert_eq!(q(&log2, 100.0), 64.0);
    assert_eq!(log2.quantize(-0.25), Ok(0)); // zero is code 0, never −0
    let logs = FormatSpec::log(4, LogBase::Sqrt2).unwrap();
    assert_eq!(q(&logs, 1.4), 1.5);
    assert_eq!(q(&logs, 1.25), 1.5);
    assert_eq!(q(&logs, 5.0), 6.0);
    assert_eq!(q(&logs, 4.9), 4.0);
    assert_eq!(logs.quantize(-1.5), Ok(0b1010));
    // cluster: magnitudes of ≤ k signed terms; 6 is the midpoint of 4 and 8 when k = 1.
    let cl = FormatSpec::cluster(5, 1).unwrap();
    assert_eq!((q(&cl, 6.0), q(&cl, 5.9), q(&cl, -6.0)), (8.0, 4.0, -8.0));
    assert_eq!(q(&cl, 100.0), 8.0);
    let cl2 = FormatSpec::cluster(6, 2).unwrap();
    assert_eq!(
        (q(&cl2, 7.0), q(&cl2, 11.0), q(&cl2, 31.0), q(&cl2, 22.0)),
        (7.0, 12.0, 31.0, 24.0) // 8 − 1; 10 and 12 tie; 32 − 1; 22 = 16 + 4 + 2 → 24
    );
    // lut: nearest entry, ties to the lower code, repeats to the lowest code.
    let lut = [10i8, -10, 0, 10, 4];
    let l = FormatSpec::lut(3, &lut).unwrap();
    assert_eq!(l.quantize(2.0), Ok(2)); // 0 (code 2) and 4 (code 4) tie
    assert_eq!(l.quantize(7.0), Ok(0)); // 4 (code 4) and 10 (codes 0, 3) tie
    assert_eq!(l.quantize(-5.0), Ok(1));
    assert_eq!(l.quantize(9.0), Ok(0));
    assert_eq!(l.quantize(f64::INFINITY), Ok(0));
}
