//! The emulator's decoding tables (`formats::ValueTable`, `formats::LogTable`), now built
//! from `bitloom_isa::numfmt::FormatSpec`, against the independent `reference` for every
//! format, precision, zero-point, cluster k, log base and a spread of LUTs, code by code;
//! plus the tables of format/precision combinations the MAC rejects before using them.

use bitloom_emu::formats::{BadCode, LogTable, ValueTable};
use bitloom_emu::reference::{self, RefTile};
use bitloom_emu::{Lut, Storage, Tile};
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::Space;

fn tile(fmt: NumFmt, prec: u32, zp: u32) -> Tile {
    Tile {
        space: Space::Wsp,
        base: 0,
        rows: 1,
        cols: 1,
        prec,
        fmt,
        zp,
        lut: 0,
        rlerun: 4,
        storage: Storage::Raw,
        nnz: None,
    }
}

fn lut(entries: &[i8], len: u32) -> Lut {
    let mut l = Lut::default();
    l.entries[..entries.len()].copy_from_slice(entries);
    l.len = len;
    l
}

/// LUTs as `set.lut` leaves them: `2^bits` entries, the rest 0.
fn luts() -> Vec<Lut> {
    let mut s = 7u32;
    let mut rnd = || {
        s = s.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
        (s >> 24) as i8
    };
    let full: Vec<i8> = (0..256).map(|_| rnd()).collect();
    let mut v = vec![Lut::default()];
    for bits in 0..=8 {
        let n = 1usize << bits;
        v.push(lut(&full[..n], n as u32));
    }
    v.push(lut(&[-128, 127, 0, -1], 4));
    v
}

/// Compare one table with the reference's `value` for every code.
fn check_value_table(t: &Tile, l: &Lut, ck: u32) {
    let vt = ValueTable::new(t, l, ck);
    let entries = &l.entries[..l.len as usize];
    let rt = RefTile {
        rows: 1,
        cols: 1,
        prec: t.prec,
        fmt: t.fmt as u32,
        zp: t.zp as i64,
        lut: entries,
        bytes: &[],
    };
    let what = format!(
        "{} p{} zp {} lut len {} ck {ck}",
        t.fmt, t.prec, t.zp, l.len
    );
    for c in 0..256u32 {
        let i = c as usize;
        if c >= 1 << t.prec {
            assert_eq!(
                (vt.val[i], vt.ok[i], vt.zero[i]),
                (0, false, false),
                "{what} {c}"
            );
            continue;
        }
        match reference::value(&rt, c, ck) {
            Ok(v) => {
                assert!(vt.ok[i], "{what} code {c}");
                assert_eq!(vt.val[i] as i64, v, "{what} code {c}");
                assert_eq!(vt.zero[i], v == 0, "{what} code {c}");
                assert_eq!(vt.first_bad(&[c as u8], t.fmt), None);
            }
            Err(_) => {
                assert!(!vt.ok[i] && !vt.zero[i], "{what} code {c}");
                let cause = if t.fmt == NumFmt::Lut {
                    BadCode::Lut
                } else {
                    BadCode::Cluster
                };
                // After a legal code, if there is one.
                let codes: Vec<u8> = (0..=255u8)
                    .find(|&g| vt.ok[g as usize])
                    .into_iter()
                    .chain([c as u8])
                    .collect();
                let first = vt.first_bad(&codes, t.fmt);
                assert_eq!(first, Some((codes.len() - 1, c as u8, cause)), "{what}");
            }
        }
    }
}

#[test]
fn value_tables_match_the_reference() {
    let luts = luts();
    for p in 1..=8 {
        check_value_table(&tile(NumFmt::Int, p, 0), &luts[0], 2);
        for zp in [0, 1, 7, 128, 200, 255] {
            check_value_table(&tile(NumFmt::Uint, p, zp), &luts[0], 2);
        }
        for l in &luts {
            check_value_table(&tile(NumFmt::Lut, p, 0), l, 2);
        }
    }
    for p in 2..=8 {
        for ck in 1..=8 {
            check_value_table(&tile(NumFmt::Cluster, p, 0), &luts[0], ck);
        }
    }
}

#[test]
fn log_tables_match_the_reference() {
    for p in 2..=5 {
        for base in [0, 1] {
            let lt = LogTable::new(p, base);
            for c in 0..1u32 << p {
                let m = c & ((1 << (p - 1)) - 1);
                assert_eq!(lt.zero[c as usize], m == 0, "p{p} base {base} code {c}");
                for x in -600..=600 {
                    let want = reference::log_prod(c, p, x, base);
                    assert_eq!(
                        lt.prod(c as u8, x as i32) as i64,
                        want,
                        "p{p} b{base} c{c} x{x}"
                    );
                    if let Some(k) = lt.mult[c as usize] {
                        assert_eq!(k as i64 * x, want, "p{p} b{base} c{c} x{x}");
                    }
                }
                // Only base-√2 q = 1 has no linear multiplier.
                assert_eq!(
                    lt.mult[c as usize].is_none(),
                    base == 1 && m == 2,
                    "p{p} c{c}"
                );
            }
        }
    }
}

/// Combinations the MAC rejects first (PrecisionRange / FormatUnsupported) still give
/// tables; `tile_values` shows a 1-bit cluster tile as zeros, as before.
#[test]
fn tables_of_rejected_combinations() {
    let l = Lut::default();
    let vt = ValueTable::new(&tile(NumFmt::Cluster, 1, 0), &l, 2);
    assert_eq!(
        (&vt.val[..2], &vt.ok[..3]),
        (&[0i16, 0][..], &[true, true, false][..])
    );
    for p in 1..=8 {
        let vt = ValueTable::new(&tile(NumFmt::Log, p, 0), &l, 2);
        assert!(vt.ok.iter().chain(&vt.zero).all(|&b| !b), "log p{p}");
        assert!(vt.val.iter().all(|&v| v == 0));
    }
    for p in [0, 1, 6, 7, 8] {
        let lt = LogTable::new(p, 0);
        assert!((0..=255).all(|c| lt.prod(c, 123) == 0), "log p{p}");
    }
}
