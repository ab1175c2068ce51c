//! End-to-end tests of `bitloom run --dump` and `bitloom quant`: files read back with a
//! small `.npy` parser written here (not npyz) and compared with results computed here.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

fn bitloom(args: &[&str]) -> Output {
    Command::new(BIN).args(args).output().expect("run bitloom")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn status(out: &Output, code: i32) {
    assert_eq!(
        out.status.code(),
        Some(code),
        "stdout:\n{}\nstderr:\n{}",
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// A parsed `.npy`: the header's `descr`, the shape and the raw data bytes.
struct Npy {
    descr: String,
    shape: Vec<usize>,
    data: Vec<u8>,
}

fn read_npy(path: &Path) -> Npy {
    let b = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert_eq!(&b[..6], b"\x93NUMPY");
    let hlen = u16::from_le_bytes([b[8], b[9]]) as usize;
    let h = std::str::from_utf8(&b[10..10 + hlen]).unwrap();
    let field = |k: &str| {
        let at = h.find(k).unwrap() + k.len();
        h[at..].trim_start_matches([':', ' ', '\'']).to_string()
    };
    let descr = field("'descr'");
    let descr = descr[..descr.find('\'').unwrap()].to_string();
    assert!(field("'fortran_order'").starts_with("False"));
    let sh = field("'shape'");
    let sh = &sh[1..sh.find(')').unwrap()];
    let shape = sh
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .map(|s| s.trim().parse().unwrap())
        .collect();
    Npy {
        descr,
        shape,
        data: b[10 + hlen..].to_vec(),
    }
}

impl Npy {
    fn i32s(&self) -> Vec<i32> {
        assert_eq!(self.descr, "<i4");
        self.data
            .chunks_exact(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    }
    fn u8s(&self) -> Vec<u8> {
        assert_eq!(self.descr, "|u1");
        self.data.clone()
    }
}

/// The numbers of the `.byte` lines following `label:` in an assembly source.
fn bytes_after(src: &str, label: &str, lines: usize) -> Vec<i32> {
    let start = src.find(&format!("{label}:")).unwrap();
    src[start..]
        .lines()
        .take(lines + 1)
        .filter_map(|l| l.split(".byte").nth(1))
        .flat_map(|l| {
            l.split(',')
                .map(|n| n.trim().parse::<i32>().unwrap())
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn run_dump_writes_results_with_dtype_and_shape() {
    let d = scratch("gemm");
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/examples/gemm_check.s");
    let src = std::fs::read_to_string(&ex).unwrap();
    // Independent reference: W (8×16 signed), A (16×8 codes, zero-point 3).
    let w = bytes_after(&src, "w_bytes", 8);
    let a = bytes_after(&src, "a_bytes", 16);
    assert_eq!((w.len(), a.len()), (128, 128));
    let mut expect = vec![0i32; 64];
    for m in 0..8 {
        for n in 0..8 {
            expect[m * 8 + n] = (0..16).map(|k| w[m * 16 + k] * (a[k * 8 + n] - 3)).sum();
        }
    }
    let f = |n: &str| d.0.join(n);
    let out = bitloom(&[
        "run",
        ex.to_str().unwrap(),
        "-q",
        "--dump",
        &format!("result:64:i32={}", f("res.npy").display()),
        "--dump",
        &format!("t2={}", f("acc.npy").display()),
        "--dump",
        &format!("t0:codes={}", f("w.npy").display()),
        "--dump",
        &format!("t1={}", f("a.npy").display()),
        "--dump",
        &format!("w_bytes:128:i8={}", f("wb.npy").display()),
    ]);
    status(&out, 0);
    let res = read_npy(&f("res.npy"));
    assert_eq!(res.shape, vec![64]);
    assert_eq!(res.i32s(), expect);
    let acc = read_npy(&f("acc.npy"));
    assert_eq!(acc.shape, vec![8, 8]);
    assert_eq!(acc.i32s(), expect);
    // Weight codes: int4 two's complement of W.
    let wc = read_npy(&f("w.npy"));
    assert_eq!(wc.shape, vec![8, 16]);
    assert_eq!(
        wc.u8s(),
        w.iter().map(|&v| (v & 15) as u8).collect::<Vec<_>>()
    );
    // Activation values: code − zero-point.
    let av = read_npy(&f("a.npy"));
    assert_eq!(av.shape, vec![16, 8]);
    assert_eq!(av.i32s(), a.iter().map(|&c| c - 3).collect::<Vec<_>>());
    let wb = read_npy(&f("wb.npy"));
    assert_eq!((wb.descr.as_str(), wb.shape.clone()), ("|i1", vec![128]));
    assert_eq!(
        wb.data
            .iter()
            .map(|&b| i32::from(b as i8))
            .collect::<Vec<_>>(),
        w
    );
    // No temporary files left behind.
    let names: Vec<String> = std::fs::read_dir(&d.0)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".npy") && !n.starts_with('.')),
        "{names:?}"
    );
}

#[test]
fn a_trap_still_dumps_and_says_so() {
    let d = scratch("trap");
    let s = d.0.join("t.s");
    std::fs::write(
        &s,
        "        .text\n_start:\n        cfgi wprec, 8\n        li r5, 0\n        li r6, 2\n        tdef t0, wsp, r5, r6, r6\n        la r10, w\n        ld.raw t0, r10\n        li r7, 42\n        la r10, out\n        sw r7, 0(r10)\n        ebreak\n        halt r0\n        .data\nw:      .byte 1, -2, 3, -4\nout:    .word 0\n",
    )
    .unwrap();
    let t0 = d.0.join("t0.npy");
    let o = d.0.join("out.npy");
    let out = bitloom(&[
        "run",
        s.to_str().unwrap(),
        "-q",
        "--dump",
        &format!("t0={}", t0.display()),
        "--dump",
        &format!("out:1:i32={}", o.display()),
    ]);
    status(&out, 2);
    let err = text(&out.stderr);
    assert!(err.contains("state at the trap"), "{err}");
    assert!(
        err.contains("Breakpoint") || err.contains("ebreak"),
        "{err}"
    );
    assert_eq!(read_npy(&t0).i32s(), vec![1, -2, 3, -4]);
    assert_eq!(read_npy(&o).i32s(), vec![42]);
}

#[test]
fn bad_dump_specs_are_errors() {
    let ex = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/examples/gemm_check.s");
    let ex = ex.to_str().unwrap();
    let out = bitloom(&["run", ex, "-q", "--dump", "t99=x.npy"]);
    status(&out, 1);
    assert!(text(&out.stderr).contains("t0..t15"));
    let d = scratch("bad");
    let x = d.0.join("x.npy");
    let out = bitloom(&[
        "run",
        ex,
        "-q",
        "--dump",
        &format!("nosuch={}", x.display()),
    ]);
    status(&out, 1);
    assert!(
        text(&out.stderr).contains("no symbol `nosuch`"),
        "{}",
        text(&out.stderr)
    );
    let out = bitloom(&[
        "run",
        ex,
        "-q",
        "--dump",
        &format!("t2:codes={}", x.display()),
    ]);
    status(&out, 1);
    assert!(text(&out.stderr).contains("accumulator"));
    assert!(!x.exists());
}

/// A float32 `.npy` built by hand.
fn f32_npy(shape: &str, v: &[f32]) -> Vec<u8> {
    let mut h =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': {shape}, }}").into_bytes();
    while (h.len() + 11) % 64 != 0 {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut b = b"\x93NUMPY\x01\x00".to_vec();
    b.extend((h.len() as u16).to_le_bytes());
    b.extend(h);
    b.extend(v.iter().flat_map(|x| x.to_le_bytes()));
    b
}

#[test]
fn quant_writes_codes_scales_and_report() {
    let d = scratch("quant");
    let inp = d.0.join("w.npy");
    // 2×4, int4 per channel: row 0 absmax 1.75 → s = 0.25; row 1 absmax 7 → s = 1.
    std::fs::write(
        &inp,
        f32_npy("(2, 4)", &[1.75, -0.5, 0.125, 0.0, 7.0, -7.0, 2.5, -3.4]),
    )
    .unwrap();
    let o = d.0.join("out");
    let out = bitloom(&[
        "quant",
        inp.to_str().unwrap(),
        "--format",
        "int",
        "--bits",
        "4",
        "--axis",
        "0",
        "--rle",
        "-o",
        o.to_str().unwrap(),
        "--json",
    ]);
    status(&out, 0);
    // 0.125 / 0.25 = 0.5 → 1 (half away from zero); 2.5 → 3; -3.4 → -3.
    let codes = read_npy(&o.join("codes.npy"));
    assert_eq!(codes.shape, vec![2, 4]);
    assert_eq!(codes.u8s(), vec![7, 14, 1, 0, 7, 9, 3, 13]);
    let sc = read_npy(&o.join("scale.npy"));
    assert_eq!((sc.descr.as_str(), sc.shape.clone()), ("<f8", vec![2]));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["format"], "int");
    assert_eq!(j["scales"][1], 1.0);
    // Errors at 0.125 (→ 0.25), 2.5 (→ 3) and -3.4 (→ -3): Σx² = 3.0625 + 0.25 + 0.015625
    // + 49 + 49 + 6.25 + 11.56 = 119.138125; noise = 0.125² + 0.5² + 0.4² = 0.425625.
    let sqnr = j["sqnr_db"].as_f64().unwrap();
    let expect = 10.0 * (119.138125f64 / 0.425625).log10();
    assert!((sqnr - expect).abs() < 1e-4, "{sqnr} vs {expect}");
    // codes.bin: 8 codes of 4 bits, LSB-first.
    assert_eq!(
        std::fs::read(o.join("codes.bin")).unwrap(),
        vec![0xE7, 0x01, 0x97, 0xD3]
    );
    assert!(o.join("codes.rle").exists() && o.join("report.txt").exists());
}

#[test]
fn quant_rejects_bad_input_clearly() {
    let d = scratch("qbad");
    let o = d.0.join("out");
    let run = |args: &[&str]| {
        let mut a = vec!["quant"];
        a.extend_from_slice(args);
        a.extend(["-o", o.to_str().unwrap()]);
        bitloom(&a)
    };
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        ("nan.npy", f32_npy("(2,)", &[1.0, f32::NAN]), "NaN"),
        ("inf.npy", f32_npy("(2,)", &[f32::INFINITY, 1.0]), "inf"),
        ("empty.npy", f32_npy("(0,)", &[]), "empty"),
        ("short.npy", f32_npy("(3,)", &[1.0, 2.0]), "truncated"),
        ("text.npy", b"hello".to_vec(), "not an .npy"),
    ];
    for (name, bytes, msg) in cases {
        let p = d.0.join(name);
        std::fs::write(&p, bytes).unwrap();
        let out = run(&[p.to_str().unwrap(), "--format", "int", "--bits", "8"]);
        status(&out, 1);
        let e = text(&out.stderr);
        assert!(
            e.contains(name) && e.contains(msg) && !e.contains("panick"),
            "{name}: {e}"
        );
    }
    let ok = d.0.join("ok.npy");
    std::fs::write(&ok, f32_npy("(2,)", &[1.0, 2.0])).unwrap();
    // An output that would overwrite the input.
    let same = d.0.join("codes.npy");
    std::fs::write(&same, f32_npy("(2,)", &[1.0, 2.0])).unwrap();
    let out = bitloom(&[
        "quant",
        same.to_str().unwrap(),
        "--format",
        "int",
        "--bits",
        "8",
        "-o",
        d.0.to_str().unwrap(),
    ]);
    status(&out, 1);
    assert!(
        text(&out.stderr).contains("is an input"),
        "{}",
        text(&out.stderr)
    );
    let ok = ok.to_str().unwrap();
    for (args, msg) in [
        (
            vec!["--format", "int", "--bits", "8", "--zpm"],
            "--zpm applies to --format uint",
        ),
        (vec!["--format", "cluster", "--bits", "4"], "needs --k"),
        (vec!["--format", "log", "--bits", "7"], "2..=5"),
        (
            vec!["--format", "lut", "--bits", "3", "--axis", "0"],
            "one LUT per tensor",
        ),
        (
            vec!["--format", "int", "--bits", "4", "--axis", "3"],
            "--axis 3",
        ),
        (
            vec!["--format", "cluster", "--bits", "4", "--k", "two"],
            "--k expects",
        ),
        (
            vec!["--format", "uint", "--bits", "4", "--zpm"],
            "greater than --slice",
        ),
    ] {
        let mut a = vec![ok];
        a.extend(args);
        let out = run(&a);
        status(&out, 1);
        let e = text(&out.stderr);
        assert!(e.contains(msg), "{a:?}: {e}");
    }
}

/// Round half away from zero, written out (not `f64::round`, to stay independent).
fn round_away(x: f64) -> i64 {
    let t = x.abs().floor();
    let r = if x.abs() - t >= 0.5 { t + 1.0 } else { t };
    (r as i64) * if x < 0.0 { -1 } else { 1 }
}

#[test]
fn quantise_assemble_run_dump_bit_exact() {
    let d = scratch("e2e");
    // W: 4×8 floats; A: 8×2 uint8 activation codes (zero-point 0).
    let w: Vec<f32> = (0..32)
        .map(|i| ((i * 7 % 13) as f32 - 6.0) * 0.37 + (i % 3) as f32 * 0.11)
        .collect();
    let a: Vec<u8> = (0..16).map(|i| (i * 29 % 200) as u8).collect();
    std::fs::write(d.0.join("w.npy"), f32_npy("(4, 8)", &w)).unwrap();
    let mut h = b"{'descr': '|u1', 'fortran_order': False, 'shape': (8, 2), }".to_vec();
    while !(h.len() + 11).is_multiple_of(64) {
        h.push(b' ');
    }
    h.push(b'\n');
    let mut anpy = b"\x93NUMPY\x01\x00".to_vec();
    anpy.extend((h.len() as u16).to_le_bytes());
    anpy.extend(h);
    anpy.extend(&a);
    std::fs::write(d.0.join("a.npy"), anpy).unwrap();
    let q = d.0.join("q");
    let out = bitloom(&[
        "quant",
        d.0.join("w.npy").to_str().unwrap(),
        "--format",
        "int",
        "--bits",
        "4",
        "--axis",
        "0",
        "-o",
        q.to_str().unwrap(),
    ]);
    status(&out, 0);
    let kernel = d.0.join("k.s");
    std::fs::write(
        &kernel,
        "        .text
_start: cfgi wprec, 4
        cfgi wfmt, 0
        cfgi aprec, 8
        cfgi afmt, 1
        cfgi azp, 0
        li r5, 0
        li r6, 4
        li r7, 8
        tdef t0, wsp, r5, r6, r7
        li r6, 8
        li r7, 2
        tdef t1, asp, r5, r6, r7
        li r6, 4
        tdef t2, acc, r5, r6, r7
        la r10, w
        ld.raw t0, r10
        la r10, a
        ld.raw t1, r10
        tzero t2
        bsmac t2, t0, t1
        halt r0
        .rodata
w:      .npy \"q/codes.npy\", 4, 4, 8
a:      .npy \"a.npy\", 8, 8, 2
",
    )
    .unwrap();
    let acc = d.0.join("acc.npy");
    let out = bitloom(&[
        "run",
        kernel.to_str().unwrap(),
        "-q",
        "--dump",
        &format!("t2={}", acc.display()),
    ]);
    status(&out, 0);
    // Independent pipeline: per-row scale absmax/7 (in f32 → f64 as the file holds),
    // round half away from zero, then the integer GEMM.
    let mut expect = vec![0i64; 8];
    for m in 0..4 {
        let row: Vec<f64> = w[m * 8..m * 8 + 8].iter().map(|&x| f64::from(x)).collect();
        let s = row.iter().fold(0.0f64, |a, x| a.max(x.abs())) / 7.0;
        let qv: Vec<i64> = row.iter().map(|x| round_away(x / s).clamp(-8, 7)).collect();
        for n in 0..2 {
            expect[m * 2 + n] = (0..8).map(|k| qv[k] * i64::from(a[k * 2 + n])).sum();
        }
    }
    let got: Vec<i64> = read_npy(&acc).i32s().into_iter().map(i64::from).collect();
    assert_eq!(read_npy(&acc).shape, vec![4, 2]);
    assert_eq!(got, expect);
}
