//! End-to-end tests of the `bitloom` command-line tool: assemble, disassemble, run with all
//! outputs, error paths (bad source, bad ELF, runaway program, bad hardware config) and the
//! `hw` config round trip.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A failure that is reported, not a crash: non-zero status, no panic, some message.
fn assert_clean_failure(out: &Output, what: &str) {
    let err = text(&out.stderr);
    assert!(
        !out.status.success(),
        "{what}: should fail, exited 0\n{err}"
    );
    assert_ne!(
        out.status.code(),
        Some(101),
        "{what}: exit status 101 (panic?)\n{err}"
    );
    assert!(!err.contains("panicked"), "{what}: panicked\n{err}");
    assert!(!err.trim().is_empty(), "{what}: no error message on stderr");
}

/// Assemble gemm_check.s into `dir/x.elf`.
fn assemble_gemm(dir: &Path) -> PathBuf {
    let elf = dir.join("x.elf");
    let out = bitloom(&["asm", p(&example("gemm_check.s")), "-o", p(&elf)]);
    assert_status(&out, 0, "asm gemm_check.s");
    let bytes = std::fs::read(&elf).expect("asm wrote the ELF");
    assert!(bytes.starts_with(b"\x7fELF"), "output is not an ELF file");
    elf
}

fn find_key<'a>(
    v: &'a serde_json::Value,
    pred: &dyn Fn(&str) -> bool,
) -> Option<&'a serde_json::Value> {
    match v {
        serde_json::Value::Object(m) => m
            .iter()
            .find(|(k, _)| pred(k))
            .map(|(_, v)| v)
            .or_else(|| m.values().find_map(|v| find_key(v, pred))),
        serde_json::Value::Array(a) => a.iter().find_map(|v| find_key(v, pred)),
        _ => None,
    }
}

#[test]
fn asm_then_objdump() {
    let dir = scratch("objdump");
    let elf = assemble_gemm(&dir);
    let out = bitloom(&["objdump", "-d", p(&elf)]);
    assert_status(&out, 0, "objdump");
    let s = text(&out.stdout);
    assert!(s.contains("<_start>:"), "objdump lacks `<_start>:`:\n{s}");
    assert!(s.contains("bsmac"), "objdump lacks `bsmac`:\n{s}");
    assert!(s.contains("ld.rle"), "objdump lacks `ld.rle`:\n{s}");
}

#[test]
fn readelf_accepts_our_elf() {
    if Command::new("readelf").arg("--version").output().is_err() {
        eprintln!("readelf not installed; skipping");
        return;
    }
    let dir = scratch("readelf");
    let elf = assemble_gemm(&dir);
    let out = Command::new("readelf")
        .args(["-h", "-S", "-s", p(&elf)])
        .output()
        .expect("run readelf");
    let s = text(&out.stdout);
    let err = text(&out.stderr);
    assert!(out.status.success(), "readelf failed:\n{err}");
    assert!(!err.contains("Error"), "readelf complains:\n{err}");
    assert!(
        s.to_ascii_lowercase().contains("0x4c4d"),
        "machine 0x4c4d missing:\n{s}"
    );
    assert!(s.contains("ELF32"), "not ELF32:\n{s}");
    assert!(s.contains(".text"), "no .text section:\n{s}");
    assert!(s.contains("_start"), "no _start symbol:\n{s}");
    assert!(s.contains("0x1000"), "entry point 0x1000 missing:\n{s}");
}

#[test]
fn run_writes_stats_trace_and_timeline() {
    let dir = scratch("run");
    let elf = assemble_gemm(&dir);
    let (stats, trace, timeline) = (dir.join("s.json"), dir.join("t.log"), dir.join("tl.json"));
    let out = bitloom(&[
        "run",
        p(&elf),
        "--stats-json",
        p(&stats),
        "--trace",
        p(&trace),
        "--timeline",
        p(&timeline),
    ]);
    assert_status(&out, 0, "run gemm_check.elf");

    let s = std::fs::read_to_string(&stats).expect("stats JSON written");
    let v: serde_json::Value = serde_json::from_str(&s).expect("stats file is JSON");
    let cycles =
        find_key(&v, &|k| k == "cycles").unwrap_or_else(|| panic!("no `cycles` in stats:\n{s}"));
    assert!(
        cycles.as_u64().is_some_and(|c| c > 0),
        "`cycles` is not a positive integer: {cycles}"
    );

    let t = std::fs::read_to_string(&trace).expect("trace written");
    assert!(
        t.lines().count() > 100,
        "trace has only {} lines",
        t.lines().count()
    );
    assert!(t.contains("bsmac"), "trace never mentions bsmac");

    let tl = std::fs::read_to_string(&timeline).expect("timeline written");
    let v: serde_json::Value = serde_json::from_str(&tl).expect("timeline is JSON");
    let nonempty = match &v {
        serde_json::Value::Array(a) => !a.is_empty(),
        serde_json::Value::Object(m) => m
            .get("traceEvents")
            .and_then(|e| e.as_array())
            .is_some_and(|e| !e.is_empty()),
        _ => false,
    };
    assert!(
        nonempty,
        "timeline has no events:\n{}",
        &tl[..tl.len().min(400)]
    );
    // Versioned: the timeline in its metadata (where Perfetto keeps it), the stats at the top.
    assert_eq!(v["otherData"]["schema"], 1, "timeline version");
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).expect("stats written")).unwrap();
    assert_eq!(s["schema"], 1, "stats version");
}

#[test]
fn run_source_directly_and_exit_code() {
    let out = bitloom(&["run", "-q", p(&example("gemm_check.s"))]);
    assert_status(&out, 0, "run gemm_check.s");
    let dir = scratch("exit");
    let src = dir.join("seven.s");
    std::fs::write(&src, "_start: li r5, 7\n        halt r5\n").unwrap();
    let out = bitloom(&["run", "-q", "--no-timing", p(&src)]);
    assert_status(&out, 7, "halt with 7");
}

#[test]
fn syntax_error_names_file_line_col() {
    let dir = scratch("syntax");
    let src = dir.join("bad.s");
    std::fs::write(&src, "_start: li r1, 1\n  addd r1, r2, r3\n  halt r1\n").unwrap();
    let out = bitloom(&["run", p(&src)]);
    assert_clean_failure(&out, "run bad.s");
    let err = text(&out.stderr);
    assert!(err.contains("bad.s:2:3"), "no `bad.s:2:3` in:\n{err}");
    assert!(err.contains("addd"), "message does not name `addd`:\n{err}");
}

#[test]
fn truncated_elf_is_a_clean_error() {
    let dir = scratch("trunc");
    let elf = assemble_gemm(&dir);
    let bytes = std::fs::read(&elf).unwrap();
    for cut in [8, 52, bytes.len() / 2, bytes.len() - 1] {
        let t = dir.join(format!("cut{cut}.elf"));
        std::fs::write(&t, &bytes[..cut]).unwrap();
        let out = bitloom(&["run", p(&t)]);
        assert_clean_failure(&out, &format!("run ELF truncated to {cut} bytes"));
        let err = text(&out.stderr);
        assert!(
            err.contains(&format!("cut{cut}.elf")),
            "error does not name the file:\n{err}"
        );
        let out = bitloom(&["objdump", "-d", p(&t)]);
        assert_clean_failure(&out, &format!("objdump ELF truncated to {cut} bytes"));
    }
}

#[test]
fn max_steps_stops_an_infinite_loop() {
    let dir = scratch("loop");
    let src = dir.join("spin.s");
    std::fs::write(&src, "_start: addi r5, r5, 1\n        j _start\n").unwrap();
    let started = std::time::Instant::now();
    let out = bitloom(&["run", "--max-steps", "10", p(&src)]);
    assert_clean_failure(&out, "run --max-steps 10");
    assert!(
        started.elapsed().as_secs() < 30,
        "step limit did not stop the run promptly"
    );
    let err = text(&out.stderr).to_ascii_lowercase();
    assert!(
        err.contains("step"),
        "message does not mention the step limit:\n{err}"
    );
}

#[test]
fn hw_prints_toml_that_run_accepts() {
    let dir = scratch("hw");
    let out = bitloom(&["hw"]);
    assert_status(&out, 0, "hw");
    let toml = text(&out.stdout);
    assert!(
        toml.contains('[') && toml.contains('='),
        "`hw` output is not TOML:\n{toml}"
    );
    let f = dir.join("hw.toml");
    std::fs::write(&f, &toml).unwrap();
    let out = bitloom(&["hw", "--hw", p(&f)]);
    assert_status(&out, 0, "hw --hw <printed config>");
    assert_eq!(
        text(&out.stdout),
        toml,
        "printed config does not reproduce itself"
    );
    let out = bitloom(&["run", "-q", "--hw", p(&f), p(&example("gemm_check.s"))]);
    assert_status(&out, 0, "run --hw <printed config>");
}

#[test]
fn hw_unknown_key_and_missing_file_fail() {
    let dir = scratch("hwbad");
    let toml = text(&bitloom(&["hw"]).stdout);
    // Put the unknown key into the first table so the name is looked up inside a section.
    let i = toml.find("]\n").expect("a [table] header") + 2;
    let bad = format!("{}bogus_knob = 3\n{}", &toml[..i], &toml[i..]);
    let f = dir.join("bad.toml");
    std::fs::write(&f, bad).unwrap();
    for args in [
        vec!["hw", "--hw", p(&f)],
        vec!["run", "--hw", p(&f), p(&example("gemm_check.s"))],
    ] {
        let out = bitloom(&args);
        assert_clean_failure(&out, &args.join(" "));
        let err = text(&out.stderr);
        assert!(
            err.contains("bogus_knob"),
            "error does not name the unknown key:\n{err}"
        );
    }
    let missing = dir.join("nope.toml");
    let out = bitloom(&["run", "--hw", p(&missing), p(&example("gemm_check.s"))]);
    assert_clean_failure(&out, "run --hw <missing file>");
    assert!(
        text(&out.stderr).contains("nope.toml"),
        "error does not name the missing file"
    );
}

#[test]
fn asm_listing_shows_address_encoding_and_source() {
    let dir = scratch("listing");
    let elf = dir.join("x.elf");
    let out = bitloom(&["asm", p(&example("gemm_check.s")), "-o", p(&elf), "-l"]);
    assert_status(&out, 0, "asm -l");
    let l = text(&out.stdout);
    // `cfgi wprec, 4` is the first instruction: opcode 0x52, csr 0, imm 4 at bit 16.
    let first = l
        .lines()
        .find(|x| x.contains("cfgi    wprec, 4"))
        .unwrap_or_else(|| panic!("listing lacks the first instruction:\n{l}"));
    assert!(first.contains("00001000 52000400"), "{first}");
    let lst = dir.join("x.lst");
    let out = bitloom(&[
        "asm",
        p(&example("gemm_check.s")),
        "-o",
        p(&elf),
        "-l",
        p(&lst),
    ]);
    assert_status(&out, 0, "asm -l FILE");
    let f = std::fs::read_to_string(&lst).expect("listing file written");
    assert_eq!(f, l, "listing to a file equals listing to stdout");
}

#[test]
fn source_without_code_is_a_clear_error() {
    let dir = scratch("nocode");
    let src = dir.join("data_only.s");
    std::fs::write(&src, "        .data\nx:      .word 1\n").expect("write source");
    let out = bitloom(&["asm", p(&src), "-o", p(&dir.join("x.elf"))]);
    assert_status(&out, 1, "asm of a data-only source");
    let err = text(&out.stderr);
    assert!(err.contains("data_only.s: no instructions"), "{err}");
}
