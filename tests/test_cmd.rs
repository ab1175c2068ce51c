//! `bitloom test` as a process: the bundled suite passes with the `N passed, N failed`
//! closing line (so `cargo test` runs the whole program library), JUnit XML and JSON lines
//! are written and parse, `--partition count:K/3` and `hash:K/3` together list every test
//! exactly once, and a deliberately broken expectation fails with exit status 1 and a diff.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

fn scratch(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("bitloom-testcmd-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bundled_suite_passes_with_junit_and_json() {
    let dir = scratch("suite");
    let junit = dir.join("junit.xml");
    let out = bitloom(&[
        "test",
        "programs/",
        "-j",
        "2",
        "--json",
        "--junit",
        junit.to_str().unwrap(),
    ]);
    let stderr = text(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let last = stderr.lines().last().unwrap_or("");
    let n: usize = last.split(' ').next().unwrap().parse().expect(last);
    assert!(n >= 25, "{last}");
    assert_eq!(last, format!("{n} passed, 0 failed"));
    let records: Vec<serde_json::Value> = text(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect(l))
        .collect();
    assert_eq!(records.len(), n);
    assert!(records
        .iter()
        .all(|r| r["status"] == "PASS" && r["cycles"].is_u64() && r["schema"] == 1));
    let xml = std::fs::read_to_string(&junit).unwrap();
    let doc = roxmltree::Document::parse(&xml).expect("JUnit XML parses");
    let cases = doc
        .descendants()
        .filter(|n| n.has_tag_name("testcase"))
        .count();
    assert_eq!(cases, n);
    std::fs::remove_dir_all(&dir).ok();
}

fn list(args: &[&str]) -> Vec<String> {
    let out = bitloom(&[&["test", "programs/", "--list"], args].concat());
    assert!(out.status.success(), "{}", text(&out.stderr));
    text(&out.stdout).lines().map(str::to_string).collect()
}

#[test]
fn partitions_together_run_every_test_once() {
    let all = list(&[]);
    assert!(all.len() >= 25);
    for kind in ["count", "hash"] {
        let mut seen = Vec::new();
        for k in 1..=3 {
            let shard = list(&["--partition", &format!("{kind}:{k}/3")]);
            assert!(!shard.is_empty());
            seen.extend(shard);
        }
        seen.sort();
        let mut want = all.clone();
        want.sort();
        assert_eq!(seen, want, "{kind}");
    }
    let out = bitloom(&["test", "programs/", "--list", "--partition", "count:4/3"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("count:K/N"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn filter_and_broken_expectation() {
    let names = list(&["-f", "traps/", "-f", "kernels/mlp2"]);
    // 14 trap kinds + 3 trap-priority/space programs (docs/ISA.md §9) + mlp2.
    assert_eq!(names.len(), 18, "{names:?}");

    let dir = scratch("broken");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/examples/gemm_check.s");
    std::fs::copy(&src, dir.join("gemm_check.s")).unwrap();
    std::fs::write(
        dir.join("gemm_check.expect.toml"),
        "[[mem]]\nsymbol = \"result\"\nvalues = [1, 2, 3]\n",
    )
    .unwrap();
    let out = bitloom(&["test", dir.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let so = text(&out.stdout);
    assert!(so.contains("FAIL    gemm_check"), "{so}");
    assert!(
        so.contains("mem[0] (result): 3 of 3 elements differ"),
        "{so}"
    );
    assert!(so.contains("result+0x4"), "{so}");
    assert!(so.trim_end().ends_with("0 passed, 1 failed"), "{so}");
    std::fs::remove_dir_all(&dir).ok();

    let out = bitloom(&["test", "no/such/dir"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no/such/dir: no such file or folder"));
}

/// Oversized inputs behind a test are errors, not reads without end: an expectation file
/// and a `.npy` expectation larger than their caps (sparse files: refused from their size,
/// before reading), and a `.npy` that is a directory.
#[test]
fn oversized_expectation_inputs_are_errors() {
    let dir = scratch("oversized");
    let prog = "_start: halt zero\n";
    for name in ["big_toml", "big_npy", "dir_npy"] {
        std::fs::write(dir.join(format!("{name}.s")), prog).unwrap();
    }
    let sparse = |path: &Path, len: u64| {
        std::fs::File::create(path).unwrap().set_len(len).unwrap();
    };
    sparse(&dir.join("big_toml.expect.toml"), (64 << 20) + 1);
    sparse(&dir.join("huge.npy"), (1 << 30) + 1);
    std::fs::create_dir_all(dir.join("a_dir.npy")).unwrap();
    std::fs::write(
        dir.join("big_npy.expect.toml"),
        "[[mem]]\naddr = 0x1000\nnpy = \"huge.npy\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("dir_npy.expect.toml"),
        "[[mem]]\naddr = 0x1000\nnpy = \"a_dir.npy\"\n",
    )
    .unwrap();
    let out = bitloom(&["test", "-j", "1", dir.to_str().unwrap()]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(all.contains("0 passed, 3 failed"), "{all}");
    assert!(all.contains("larger than 64 MiB"), "{all}");
    assert!(all.contains("larger than 1024 MiB"), "{all}");
    assert!(all.contains("is a directory"), "{all}");
    assert!(!all.contains("panicked"), "{all}");
    let _ = std::fs::remove_dir_all(&dir);
}
