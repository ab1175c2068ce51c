//! `bitloom sweep` as a process: docs/RESULTS.md and its plots are exactly what
//! `bitloom sweep --report` generates today (so they cannot drift from the model), every
//! comparison row the command prints appears verbatim in RESULTS.md, shards written by
//! `--partition` merge back into the full run, and spec errors exit 2 with file:line.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn bitloom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bitloom"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("bitloom runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn results_md_is_what_the_report_command_generates() {
    // Regenerate into a scratch folder and compare byte for byte with the committed files.
    let dir = common::scratch("report");
    let out = bitloom(&[
        "sweep",
        "--report",
        "--docs",
        dir.to_str().unwrap(),
        "-j",
        "2",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    let generated = std::fs::read_to_string(dir.join("RESULTS.md")).unwrap();
    let committed = std::fs::read_to_string(root().join("docs/RESULTS.md")).unwrap();
    assert!(
        generated == committed,
        "docs/RESULTS.md is out of date: run `bitloom sweep --report` (new version in {})",
        dir.display()
    );
    let mut files = 0;
    for e in std::fs::read_dir(dir.join("results")).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        let want = std::fs::read(root().join("docs/results").join(&name))
            .unwrap_or_else(|_| panic!("docs/results/{name:?} is not committed"));
        assert!(
            std::fs::read(e.path()).unwrap() == want,
            "docs/results/{name:?} is out of date: run `bitloom sweep --report`"
        );
        files += 1;
    }
    assert_eq!(
        files,
        std::fs::read_dir(root().join("docs/results"))
            .unwrap()
            .count(),
        "docs/results holds files the report no longer generates"
    );
    // The numbers the command prints are the ones in RESULTS.md, row for row.
    let rows: Vec<&str> = summary.lines().filter(|l| l.starts_with('|')).collect();
    assert!(rows.len() >= 15, "{summary}");
    for row in rows {
        assert!(
            committed.lines().any(|l| l == row),
            "not in RESULTS.md: {row}"
        );
    }
    // And --check agrees.
    let out = bitloom(&["sweep", "--report", "--check"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), summary);
}

#[test]
fn check_reports_a_stale_results_file() {
    let dir = common::scratch("stale");
    let out = bitloom(&["sweep", "--report", "--docs", dir.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let md = dir.join("RESULTS.md");
    let edited = std::fs::read_to_string(&md)
        .unwrap()
        .replacen("| 0.870 |", "| 0.871 |", 1);
    std::fs::write(&md, edited).unwrap();
    let out = bitloom(&[
        "sweep",
        "--report",
        "--check",
        "--docs",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("out of date"),
        "{}",
        text(&out.stderr)
    );
}

fn spec(dir: &Path) -> PathBuf {
    let p = dir.join("s.toml");
    std::fs::write(
        &p,
        format!(
            r#"program = {:?}
metrics = ["cycles", "units.mac.busy_cycles"]
[hw.mac]
model = ["stripes", "pragmatic", "laconic"]
[params]
M = 16
K = 32
N = 16
WPREC = [8, 4, 1]
WFMT = 0
CK = 2
APREC = 8
AFMT = 0
SERIAL = 0
[data.weights]
source = "codes"
rows = 16
cols = 32
bits = "$WPREC"
[data.acts]
source = "codes"
rows = 32
cols = 16
bits = 8
density_pct = 70
"#,
            root().join("programs/sweeps/include/gemm.s")
        ),
    )
    .unwrap();
    p
}

#[test]
fn partitioned_runs_merge_into_the_full_run() {
    let dir = common::scratch("parts");
    let s = spec(&dir);
    let s = s.to_str().unwrap();
    let full = dir.join("full.jsonl");
    let out = bitloom(&["sweep", s, "-o", full.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let full = std::fs::read_to_string(&full).unwrap();
    assert_eq!(full.lines().count(), 9);
    let list = text(&bitloom(&["sweep", s, "--list"]).stdout);
    assert_eq!(list.lines().count(), 9);
    for kind in ["count", "hash"] {
        let mut parts = Vec::new();
        let mut lines = 0;
        for k in 1..=4 {
            let p = dir.join(format!("{kind}{k}.jsonl"));
            let part = format!("{kind}:{k}/4");
            let out = bitloom(&["sweep", s, "--partition", &part, "-o", p.to_str().unwrap()]);
            assert!(out.status.success(), "{}", text(&out.stderr));
            lines += std::fs::read_to_string(&p).unwrap().lines().count();
            parts.push(p.to_str().unwrap().to_string());
        }
        assert_eq!(lines, 9, "{kind}: the shards hold every point once");
        let mut args = vec!["sweep", s, "--merge"];
        args.extend(parts.iter().map(String::as_str));
        let out = bitloom(&args);
        assert!(out.status.success(), "{}", text(&out.stderr));
        assert_eq!(text(&out.stdout), full, "{kind}: merged = full run");
        // A shard given twice is an overlap, a shard left out a gap.
        let mut twice = args.clone();
        twice.push(&parts[0]);
        let out = bitloom(&twice);
        assert_eq!(out.status.code(), Some(2));
        let mut short = args.clone();
        short.pop();
        let out = bitloom(&short);
        assert_eq!(out.status.code(), Some(2));
        assert!(
            text(&out.stderr).contains("points missing"),
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn spec_errors_exit_2_with_file_and_line() {
    let dir = common::scratch("specerr");
    let p = dir.join("bad.toml");
    std::fs::write(
        &p,
        "program = \"x.s\"\n[hw.mac]\nmodel = [\"loom\"]\nlanez = 4\n",
    )
    .unwrap();
    let out = bitloom(&["sweep", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert!(
        err.starts_with(&format!(
            "error: {}:4: unknown hardware key `hw.mac.lanez` (did you mean `hw.mac.lanes`?)",
            p.display()
        )),
        "{err}"
    );
    // A program that does not assemble fails its points with the diagnostics, exit 1.
    std::fs::write(dir.join("k.s"), "        bogus r1\n").unwrap();
    std::fs::write(&p, "program = \"k.s\"\n[params]\nA = [1, 2]\n").unwrap();
    let out = bitloom(&["sweep", p.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert!(err.contains("2 failed") && err.contains("bogus"), "{err}");
}
