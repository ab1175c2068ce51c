//! The commit log (`bitloom run --trace`, docs/TRACE.md) of a fixed program that exercises
//! every kind of trace item and ends in a trap, against a golden file
//! (`tests/golden/trace/kernel.log`; `BLESS=1` rewrites it), plus properties of the format
//! checked independently of the writer: the version line, the line grammar, CSR old values
//! chaining to the previous new value, and `--trace-data` adding only `data` lines.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

fn golden_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/trace")
}

/// Run the golden kernel with `--trace` (and `extra`), returning the log.
fn trace(d: &Path, extra: &[&str]) -> String {
    std::fs::copy(golden_dir().join("kernel.s"), d.join("kernel.s")).unwrap();
    let mut args = vec!["run", "kernel.s", "-q", "--trace", "t.log"];
    args.extend(extra);
    let out = Command::new(BIN)
        .current_dir(d)
        .args(&args)
        .output()
        .unwrap();
    // The program traps (status 2) on purpose.
    assert_eq!(
        out.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(d.join("t.log")).unwrap()
}

#[test]
fn trace_matches_golden() {
    let d = scratch("trace-golden");
    let log = trace(&d, &["--trace-data"]);
    let path = golden_dir().join("kernel.log");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &log).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path).expect("golden trace (BLESS=1 creates it)");
    assert!(want == log, "trace differs from {}:\n{log}", path.display());
}

#[test]
fn trace_lines_follow_the_documented_grammar() {
    let d = scratch("trace-grammar");
    let log = trace(&d, &["--trace-data"]);
    let mut lines = log.lines();
    assert_eq!(lines.next(), Some("# bitloom-trace v2"));
    let mut csr: std::collections::HashMap<String, String> = Default::default();
    let (mut instrs, mut traps, mut data, mut state) = (0, 0, 0, 0);
    for l in lines {
        if let Some(rest) = l.strip_prefix("  ") {
            let kind = rest.split(' ').next().unwrap();
            assert!(["data", "regs", "csrs", "tile"].contains(&kind), "{l}");
            if kind == "data" {
                data += 1;
            } else {
                state += 1;
            }
            continue;
        }
        // [     cycle] core   0: 0x<pc> (0x<word>) <instruction>   <items>
        assert!(l.starts_with('[') && &l[11..24] == "] core   0: 0", "{l}");
        assert_eq!(&l[24..25], "x", "{l}");
        assert!(l[25..33].chars().all(|c| c.is_ascii_hexdigit()), "{l}");
        assert_eq!(&l[33..37], " (0x", "{l}");
        instrs += 1;
        for item in l.split("  ").skip(1) {
            let item = item.trim();
            if let Some(rest) = item.strip_prefix("csr ") {
                // csr NAME 0xOLD -> 0xNEW: OLD is what the log last said NAME became.
                let f: Vec<&str> = rest.split(' ').collect();
                assert_eq!(f.len(), 4, "{item}");
                assert_eq!(f[2], "->");
                if let Some(prev) = csr.get(f[0]) {
                    assert_eq!(prev, f[1], "{item}: old value is not the last new one");
                }
                csr.insert(f[0].to_string(), f[3].to_string());
            } else if item.starts_with("trap ") {
                traps += 1;
            }
        }
    }
    assert_eq!(traps, 1, "exactly one trap line");
    assert_eq!(state, 4 + 1 + 3, "regs x4, csrs, one line per defined tile");
    assert!(
        data >= 5 && instrs > 30,
        "{data} data lines, {instrs} instructions"
    );
    for item in [
        "dma dram 0x000010a4 +4x2 stride 4 -> asp 0x00000000 +8",
        "dma acc 0x00000000 +16 -> dram 0x000010b8 +16",
        "dma rle asp 0x00000000 +8 -> dram 0x000010b8 +16",
        "tile t1 {asp@0x00000000 4x2 uint8 zp=3 lut=0 run=4 raw nnz=?}",
        "csr dstride 0x00000004 -> 0x00000000",
        "lut 1 {len=4}",
        "mem 0x000010b8 +4",
        "trap load of 4 byte(s) at 0x7ffffff0 is outside DRAM",
    ] {
        assert!(log.contains(item), "no `{item}` in\n{log}");
    }
}

#[test]
fn trace_data_only_adds_data_lines() {
    let d = scratch("trace-data");
    let with = trace(&d, &["--trace-data"]);
    let without = trace(&d, &[]);
    let stripped: String = with
        .lines()
        .filter(|l| !l.starts_with("  data "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(stripped, without);
    // bsmac's accumulator: W (2x4 int4: 1..7, -8) times A (4x2 uint8 codes 1..8, zp 3).
    let w = [[1, 2, 3, 4], [5, 6, 7, -8]];
    // A's columns (codes 1, 3, 5, 7 and 2, 4, 6, 8 less the zero-point 3).
    let a_cols = [[-2, 0, 2, 4], [-1, 1, 3, 5]];
    let mut acc = Vec::new();
    for row in w {
        for col in a_cols {
            let dot: i32 = row.iter().zip(col).map(|(x, y)| x * y).sum();
            acc.push(dot.to_string());
        }
    }
    let want = format!("  data t2 int32 2x2: {}", acc.join(" "));
    assert!(with.lines().any(|l| l == want), "no `{want}` in\n{with}");
}
