//! Code → value → code for every number format at every legal precision (docs/ISA.md §5):
//! decoding checked exhaustively against formulas written independently here, exhaustive
//! round trips through `encode` and `quantize`, the legal-code sets, every error, and the
//! golden values of the spec's example table.

mod numfmt_common;

use std::collections::HashSet;

use bitloom_isa::numfmt::{
    FormatError, FormatParams, FormatSpec, LogBase, LogTerm, Meaning, NumFmt,
};
use numfmt_common::{all_specs, describe};

/// `val(c)` written from docs/ISA.md §5 without the isa code: sign extension by shifting
/// for int, subtraction for uint, indexing for lut, division for cluster. `None`: illegal.
fn expected_value(s: &FormatSpec, c: u32) -> Option<i64> {
    let p = s.prec();
    let prm = s.params();
    let half = 2i64.pow(p - 1);
    match s.fmt() {
        NumFmt::Int => Some((((c as u8) << (8 - p)) as i8 >> (8 - p)) as i64),
        NumFmt::Uint => Some(c as i64 - prm.zp as i64),
        NumFmt::Lut => prm.lut.get(c as usize).map(|&e| e as i64),
        NumFmt::Cluster => {
            let m = c as i64 % half;
            (naf_digits(m) <= prm.ck).then_some(if c as i64 / half == 1 { -m } else { m })
        }
        NumFmt::Log => None,
    }
}

/// Product of a log code with `x`, written from §5 in `i64` with `div_euclid` for the
/// floored half step.
fn expected_log_product(c: u32, p: u32, base: LogBase, x: i64) -> i64 {
    let half = 2i64.pow(p - 1);
    let m = c as i64 % half;
    if m == 0 {
        return 0;
    }
    let q = (m - 1) as u32;
    let y = match base {
        LogBase::Two => x * 2i64.pow(q),
        LogBase::Sqrt2 if q.is_multiple_of(2) => x * 2i64.pow(q / 2),
        LogBase::Sqrt2 => (3 * x * 2i64.pow(q / 2)).div_euclid(2),
    };
    if c as i64 >= half {
        -y
    } else {
        y
    }
}

#[test]
fn decode_matches_the_spec_for_every_code() {
    let mut checked = 0;
    for s in all_specs() {
        let d = describe(s);
        for c in 0..s.code_space() {
            if s.fmt() == NumFmt::Log {
                let m = s.meaning(c).unwrap();
                for x in -300..=300 {
                    let want = expected_log_product(c, s.prec(), s.params().logbase, x);
                    assert_eq!(m.product(x as i32) as i64, want, "{d} code {c} x {x}");
                    assert_eq!(s.product(c, x as i32).unwrap() as i64, want);
                }
                // The multiplier, where there is one, is the product with x = 1 and agrees
                // with every x; the real value is the product with a large even x, halved.
                match s.decode(c) {
                    Ok(v) => {
                        for x in [-7, -1, 1, 3, 101] {
                            assert_eq!(
                                v as i64 * x,
                                expected_log_product(c, s.prec(), s.params().logbase, x)
                            );
                        }
                    }
                    Err(FormatError::NotInteger { code }) => {
                        assert_eq!(code, c);
                        assert_eq!(s.params().logbase, LogBase::Sqrt2);
                        assert_eq!(c % (1 << (s.prec() - 1)), 2, "{d}: only q = 1 floors");
                    }
                    Err(e) => panic!("{d} code {c}: {e}"),
                }
                let big = expected_log_product(c, s.prec(), s.params().logbase, 1 << 20);
                assert_eq!(
                    s.real(c).unwrap(),
                    big as f64 / (1 << 20) as f64,
                    "{d} code {c}"
                );
            } else {
                match (expected_value(s, c), s.decode(c)) {
                    (Some(v), Ok(got)) => {
                        assert_eq!(got as i64, v, "{d} code {c}");
                        assert_eq!(s.real(c).unwrap(), v as f64);
                        assert_eq!(s.meaning(c).unwrap(), Meaning::Value(got));
                        assert_eq!(s.product(c, -77).unwrap() as i64, v * -77);
                        assert!((-256..=255).contains(&v), "{d}: 9-bit values");
                    }
                    (None, Err(FormatError::LutIndex { code, len })) => {
                        assert_eq!((code, len), (c, s.params().lut.len()));
                    }
                    (None, Err(FormatError::ClusterBits { code, bits, ck })) => {
                        assert_eq!(code, c);
                        assert!(bits > ck);
                    }
                    (want, got) => panic!("{d} code {c}: want {want:?}, got {got:?}"),
                }
            }
            checked += 1;
        }
        // Codes beyond the precision are errors, never panics.
        for c in [s.code_space(), 255, 256, u32::MAX] {
            if c >= s.code_space() {
                let e = FormatError::CodeRange {
                    code: c,
                    prec: s.prec(),
                };
                assert_eq!(s.decode(c), Err(e.clone()), "{d}");
                assert_eq!(s.real(c), Err(e.clone()));
                assert_eq!(s.meaning(c), Err(e.clone()));
                assert_eq!(s.is_canonical(c), Err(e.clone()));
                assert_eq!(s.check(c), Err(e));
            }
        }
    }
    assert!(checked > 10_000, "{checked} codes");
}

#[test]
fn legal_codes() {
    for s in all_specs() {
        let d = describe(s);
        let legal: Vec<u8> = s.codes().collect();
        let want: Vec<u8> = (0..s.code_space())
            .filter(|&c| match s.fmt() {
                NumFmt::Lut => (c as usize) < s.params().lut.len(),
                NumFmt::Cluster => {
                    naf_digits((c & ((1 << (s.prec() - 1)) - 1)) as i64) <= s.params().ck
                }
                _ => true,
            })
            .map(|c| c as u8)
            .collect();
        assert_eq!(legal, want, "{d}");
        for c in 0..s.code_space() {
            assert_eq!(
                s.check(c).is_ok(),
                want.contains(&(c as u8)),
                "{d} code {c}"
            );
        }
    }
}

/// Canonical codes: every legal code except the −0 codes and repeated LUT entries.
fn expected_canonical(s: &FormatSpec, c: u32) -> bool {
    match s.fmt() {
        NumFmt::Int | NumFmt::Uint => true,
        NumFmt::Log | NumFmt::Cluster => c != 1 << (s.prec() - 1),
        NumFmt::Lut => {
            let l = s.params().lut;
            (0..c as usize).all(|i| l[i] != l[c as usize])
        }
    }
}

#[test]
fn round_trip_every_code() {
    let mut canonical = 0;
    let mut other = 0;
    for s in all_specs() {
        let d = describe(s);
        for c in s.codes() {
            let c32 = c as u32;
            let is_canon = s.is_canonical(c32).unwrap();
            assert_eq!(is_canon, expected_canonical(s, c32), "{d} code {c}");
            let r = s.real(c32).unwrap();
            let q = s.quantize(r).unwrap();
            // quantize(real(c)) is c for canonical codes, else the canonical code of the
            // same value (the lowest such lut code, 0 for −0).
            if is_canon {
                assert_eq!(q, c, "{d}: quantize(real({c}) = {r})");
                canonical += 1;
            } else {
                assert!(q < c, "{d} code {c}");
                assert!(s.is_canonical(q as u32).unwrap());
                assert_eq!(s.real(q as u32).unwrap(), r);
                other += 1;
            }
            // encode(decode(c)) likewise, for every code with an integer value.
            match s.decode(c32) {
                Ok(v) => assert_eq!(s.encode(v), Ok(q), "{d}: encode(decode({c}) = {v})"),
                Err(FormatError::NotInteger { .. }) => assert_eq!(r.abs(), 1.5, "{d} code {c}"),
                Err(e) => panic!("{d} code {c}: {e}"),
            }
        }
        // Distinct values = canonical codes.
        let mut vals: Vec<f64> = s.codes().map(|c| s.real(c as u32).unwrap()).collect();
        vals.sort_by(f64::total_cmp);
        vals.dedup();
        let n = s
            .codes()
            .filter(|&c| s.is_canonical(c as u32).unwrap())
            .count();
        assert_eq!(vals.len(), n, "{d}");
    }
    assert!(canonical > 5_000 && other > 100, "{canonical} {other}");
}

#[test]
fn encode_rejects_what_has_no_code() {
    for s in all_specs() {
        let d = describe(s);
        let vals: HashSet<i32> = s.codes().filter_map(|c| s.decode(c as u32).ok()).collect();
        // Every value and its neighbours, everything small, and the extremes.
        let near = vals.iter().flat_map(|&v| [v - 1, v, v + 1]);
        let extremes = [i32::MIN, i32::MAX, -i32::MAX, 1 << 30, 1 << 14, -(1 << 15)];
        for v in (-300..=300).chain(near).chain(extremes) {
            let got = s.encode(v);
            if vals.contains(&v) {
                let c = got.unwrap_or_else(|e| panic!("{d} value {v}: {e}"));
                assert_eq!(s.decode(c as u32), Ok(v));
            } else {
                assert_eq!(
                    got,
                    Err(FormatError::NotRepresentable {
                        value: v as i64,
                        fmt: s.fmt(),
                        prec: s.prec()
                    }),
                    "{d} value {v}"
                );
            }
        }
    }
}

#[test]
fn precision_and_parameter_errors() {
    for fmt in NumFmt::ALL {
        let r = fmt.precisions();
        for prec in [0, 1, 2, 5, 6, 8, 9, 32, u32::MAX] {
            let got = FormatSpec::new(fmt, prec, FormatParams::default());
            if r.contains(&prec) {
                assert!(got.is_ok(), "{fmt} {prec}");
            } else {
                assert_eq!(
                    got,
                    Err(FormatError::Precision {
                        fmt,
                        prec,
                        min: *r.start(),
                        max: *r.end()
                    })
                );
            }
        }
    }
    assert_eq!(NumFmt::Log.precisions(), 2..=5);
    assert_eq!(NumFmt::Cluster.precisions(), 2..=8);
    assert_eq!(NumFmt::Int.precisions(), 1..=8);
    for ck in [0, 9, u32::MAX] {
        assert_eq!(
            FormatSpec::cluster(4, ck),
            Err(FormatError::ClusterK { ck })
        );
    }
    // k is a cluster parameter only.
    let p = FormatParams {
        ck: 0,
        ..FormatParams::default()
    };
    assert!(FormatSpec::new(NumFmt::Int, 4, p).is_ok());
    assert_eq!(LogBase::from_csr(0), Some(LogBase::Two));
    assert_eq!(LogBase::from_csr(1), Some(LogBase::Sqrt2));
    assert_eq!(LogBase::from_csr(2), None);
    assert_eq!(LogBase::Sqrt2.csr(), 1);
}

#[test]
fn empty_lut_has_no_codes() {
    for p in 1..=8 {
        let s = FormatSpec::lut(p, &[]).unwrap();
        assert_eq!(s.codes().count(), 0);
        assert_eq!(s.decode(0), Err(FormatError::LutIndex { code: 0, len: 0 }));
        assert_eq!(s.quantize(1.0), Err(FormatError::EmptyLut));
        assert_eq!(s.range(), Err(FormatError::EmptyLut));
        assert!(s.encode(0).is_err());
    }
    // Entries beyond 2^prec are unreachable: a 1-bit code sees entries 0 and 1 only.
    let s = FormatSpec::lut(1, &[10, 20, 30]).unwrap();
    assert_eq!(s.codes().collect::<Vec<_>>(), [0, 1]);
    assert!(s.encode(30).is_err());
    assert_eq!(s.quantize(100.0), Ok(1));
    assert_eq!(s.range(), Ok((10.0, 20.0)));
}

/// The example table of docs/ISA.md §5 ("Examples"), row by row.
#[test]
fn golden_values_from_the_spec() {
    let int4 = FormatSpec::int(4).unwrap();
    assert_eq!(int4.decode(0b0111), Ok(7));
    assert_eq!(int4.decode(0b1000), Ok(-8));
    assert_eq!(int4.decode(0b1111), Ok(-1));
    let int1 = FormatSpec::int(1).unwrap();
    assert_eq!((int1.decode(0), int1.decode(1)), (Ok(0), Ok(-1)));

    let uint8 = FormatSpec::uint(8, 128).unwrap();
    assert_eq!(uint8.decode(0), Ok(-128));
    assert_eq!(uint8.decode(200), Ok(72));
    assert_eq!(uint8.encode(-128), Ok(0));

    let lut = [-8i8, -2, 0, 3];
    let lut2 = FormatSpec::lut(2, &lut).unwrap();
    assert_eq!(lut2.decode(3), Ok(3));
    let lut3 = FormatSpec::lut(3, &lut).unwrap();
    assert_eq!(lut3.decode(3), Ok(3));
    assert_eq!(
        lut3.decode(4),
        Err(FormatError::LutIndex { code: 4, len: 4 })
    );

    let cl = FormatSpec::cluster(5, 2).unwrap();
    assert_eq!(cl.decode(0b1_0101), Ok(-5));
    assert_eq!(cl.decode(0b0_1010), Ok(10));
    assert_eq!(cl.decode(0b0_0111), Ok(7)); // 8 − 1: two signed terms
    assert_eq!(cl.decode(0b1_1111), Ok(-15)); // −(16 − 1)
    assert_eq!(
        cl.decode(0b0_1011),
        Err(FormatError::ClusterBits {
            code: 11,
            bits: 3,
            ck: 2
        })
    ); // 11 = 16 − 4 − 1: three signed terms
    assert_eq!(cl.decode(0b1_0000), Ok(0)); // −0

    let log2 = FormatSpec::log(4, LogBase::Two).unwrap();
    assert_eq!(log2.decode(0b0011), Ok(4)); // q = 2
    assert_eq!(log2.decode(0b1111), Ok(-64)); // q = 6
    assert_eq!(log2.decode(0b0000), Ok(0));
    assert_eq!(log2.product(0b0011, -3), Ok(-12));
    let logs = FormatSpec::log(4, LogBase::Sqrt2).unwrap();
    assert_eq!(logs.decode(0b0100), Ok(3)); // q = 3: h = 1, 2 + 1
    assert_eq!(logs.decode(0b0111), Ok(8)); // q = 6: h = 3
    assert_eq!(
        logs.decode(0b0010),
        Err(FormatError::NotInteger { code: 2 })
    );
    assert_eq!(logs.real(0b0010), Ok(1.5));
    assert_eq!(logs.product(0b0010, 3), Ok(4)); // floor(4.5)
    assert_eq!(logs.product(0b0010, -3), Ok(-5)); // floor(-4.5)
    assert_eq!(logs.product(0b1010, 3), Ok(-4)); // negated after the floor
    assert_eq!(logs.real(0b1100), Ok(-3.0));
    match logs.meaning(0b0100).unwrap() {
        Meaning::Log(t) => {
            assert_eq!(
                t,
                LogTerm {
                    neg: false,
                    q: Some(3),
                    base: LogBase::Sqrt2
                }
            );
            assert_eq!((t.shift(), t.half()), (1, true));
            assert!((t.nominal() - 2f64.sqrt().powi(3)).abs() < 1e-12);
        }
        m => panic!("{m:?}"),
    }
}

#[test]
fn log_term_is_total() {
    // Hand-built terms outside any legal code never panic.
    for base in [LogBase::Two, LogBase::Sqrt2] {
        for q in [0, 14, 30, 31, 32, 63, 64, 1000, u32::MAX] {
            for neg in [false, true] {
                let t = LogTerm {
                    neg,
                    q: Some(q),
                    base,
                };
                for x in [i32::MIN, -1, 0, 1, i32::MAX] {
                    let _ = t.product(x);
                }
                let _ = (t.multiplier(), t.real(), t.nominal(), t.shift(), t.half());
            }
        }
    }
    let t = LogTerm {
        neg: false,
        q: Some(40),
        base: LogBase::Two,
    };
    assert_eq!(t.product(1), 0);
    assert_eq!(t.multiplier(), None);
    assert_eq!(t.real(), 2f64.powi(40));
}

/// Non-zero digits of the non-adjacent form of `m ≥ 0`, by the textbook digit loop
/// (independent of `naf_weight`'s bit trick): an odd remainder takes digit 2 − (m mod 4).
fn naf_digits(mut m: i64) -> u32 {
    let mut n = 0;
    while m != 0 {
        if m % 2 != 0 {
            let d = 2 - m.rem_euclid(4);
            m -= d;
            n += 1;
        }
        m /= 2;
    }
    n
}

#[test]
fn naf_weight_is_the_fewest_signed_terms() {
    use bitloom_isa::numfmt::naf_weight;
    // Brute force over small sums of signed powers of two: the fewest terms of every n.
    let mut fewest = vec![u32::MAX; 512];
    fewest[0] = 0;
    for _ in 0..5 {
        for n in 0..512i64 {
            let f = fewest[n as usize];
            if f == u32::MAX {
                continue;
            }
            for i in 0..10 {
                for t in [n + (1 << i), n - (1 << i)] {
                    if (0..512).contains(&t) && fewest[t as usize] > f + 1 {
                        fewest[t as usize] = f + 1;
                    }
                }
            }
        }
    }
    for n in 0..256u32 {
        assert_eq!(naf_weight(n), naf_digits(n as i64), "{n}");
        assert_eq!(naf_weight(n), fewest[n as usize], "{n}");
        assert!(naf_weight(n) <= n.count_ones());
    }
}

/// Digit positions of the non-adjacent form, by the digit loop, against `naf_mask`; and the
/// digits with their signs sum back to n.
#[test]
fn naf_mask_names_the_digit_positions() {
    use bitloom_isa::numfmt::naf_mask;
    for n in 0..4096u32 {
        let (mut m, mut pos, mut mask, mut sum) = (n as i64, 0, 0u64, 0i64);
        while m != 0 {
            if m % 2 != 0 {
                let d = 2 - m.rem_euclid(4);
                m -= d;
                mask |= 1 << pos;
                sum += d << pos;
            }
            m /= 2;
            pos += 1;
        }
        assert_eq!(naf_mask(n), mask, "{n}");
        assert_eq!(sum, n as i64, "{n}");
    }
}
