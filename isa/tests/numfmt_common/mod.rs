//! Shared by the number-format tests (`numfmt.rs`, `numfmt_quant.rs`): every format at
//! every legal precision with a spread of parameters (zero-points at and beyond the code
//! range, every cluster k, both log bases, LUTs with duplicates, short and one-entry LUTs).

#![allow(dead_code)]

use std::sync::OnceLock;

use bitloom_isa::numfmt::{FormatParams, FormatSpec, LogBase, NumFmt};

/// LUT contents used by the lut specs (all `'static`).
pub fn luts() -> &'static [Vec<i8>] {
    static LUTS: OnceLock<Vec<Vec<i8>>> = OnceLock::new();
    LUTS.get_or_init(|| {
        // A fixed LCG: 256 pseudo-random entries, duplicates certain.
        let mut s = 0x2545_f491_u32;
        let random: Vec<i8> = (0..256)
            .map(|_| {
                s = s.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                (s >> 16) as i8
            })
            .collect();
        vec![
            (0..=255u8).map(|i| i as i8).collect(), // every value once, wrapping at 128
            random,
            vec![5, -3, 5, 0], // code 2 repeats code 0
            vec![-100, -50, -20, -5, 0, 5, 20, 50, 100, 127, -128], // non-uniform codebook
            vec![7],           // a single entry
            vec![3; 16],       // one value 16 times
            vec![-128, 127],   // the extremes
        ]
    })
}

/// Parameter sets exercised for `fmt` at `prec`.
pub fn params_for(fmt: NumFmt, prec: u32) -> Vec<FormatParams<'static>> {
    let base = FormatParams::default();
    match fmt {
        NumFmt::Int => vec![base],
        NumFmt::Uint => {
            let top = (1u32 << prec) - 1;
            let mut zps: Vec<u8> = [0, 1, top / 2 + 1, top, top + 1, 200, 255]
                .into_iter()
                .filter_map(|z| u8::try_from(z).ok())
                .collect();
            zps.sort_unstable();
            zps.dedup();
            zps.into_iter()
                .map(|zp| FormatParams { zp, ..base })
                .collect()
        }
        NumFmt::Log => [LogBase::Two, LogBase::Sqrt2]
            .into_iter()
            .map(|logbase| FormatParams { logbase, ..base })
            .collect(),
        NumFmt::Lut => luts()
            .iter()
            .map(|l| FormatParams {
                lut: l.as_slice(),
                ..base
            })
            .collect(),
        NumFmt::Cluster => (1..=8).map(|ck| FormatParams { ck, ..base }).collect(),
    }
}

/// Every spec: each format × each legal precision × [`params_for`].
pub fn all_specs() -> &'static [FormatSpec<'static>] {
    static SPECS: OnceLock<Vec<FormatSpec<'static>>> = OnceLock::new();
    SPECS.get_or_init(|| {
        let mut v = Vec::new();
        for fmt in NumFmt::ALL {
            for prec in fmt.precisions() {
                for params in params_for(fmt, prec) {
                    v.push(FormatSpec::new(fmt, prec, params).expect("valid spec"));
                }
            }
        }
        v
    })
}

/// Short description for failure messages.
pub fn describe(s: &FormatSpec) -> String {
    let p = s.params();
    match s.fmt() {
        NumFmt::Int => format!("int{}", s.prec()),
        NumFmt::Uint => format!("uint{} zp {}", s.prec(), p.zp),
        NumFmt::Log => format!("log{} base {}", s.prec(), p.logbase),
        NumFmt::Lut => format!("lut{} {:?}", s.prec(), &p.lut[..p.lut.len().min(12)]),
        NumFmt::Cluster => format!("cluster{} k {}", s.prec(), p.ck),
    }
}
