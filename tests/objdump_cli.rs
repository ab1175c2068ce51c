//! `bitloom objdump` as GNU objdump users expect it: the `-f -h -t -s` layouts checked byte
//! for byte against GNU objdump itself (an independent implementation) on the same ELF file,
//! `-d`/`-S`/`-j`/address ranges end to end, and the usage errors.

mod common;

use common::*;
use std::path::Path;
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("run bitloom")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// `calls_loops.s` (code, rodata, absolute and local symbols) assembled to `k.elf` in `dir`.
fn kernel(name: &str) -> Scratch {
    let d = scratch(name);
    let src = example("calls_loops.s");
    let out = run(&d, &["asm", src.to_str().unwrap(), "-o", "k.elf"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    d
}

/// GNU objdump's output on the same file, if GNU objdump is installed.
fn gnu(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("objdump")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    out.status.success().then(|| text(&out.stdout))
}

#[test]
fn headers_symbols_and_contents_match_gnu_objdump() {
    let d = kernel("objdump-gnu");
    let cases: &[&[&str]] = &[
        &["-h"],
        &["-t"],
        &["-s"],
        &["-f"],
        &["-f", "-h", "-t", "-s"],
        &["-h", "-t", "-s", "-j", ".rodata"],
        &["-s", "--start-address=0x1008", "--stop-address=0x1271"],
        &[
            "-s",
            "-j",
            ".text",
            "--start-address=4100",
            "--stop-address=0x1033",
        ],
    ];
    let mut compared = 0;
    for args in cases {
        let mut a = args.to_vec();
        a.push("k.elf");
        let mut ours_args = vec!["objdump"];
        ours_args.extend(&a);
        let out = run(&d, &ours_args);
        assert_eq!(out.status.code(), Some(0), "{a:?}: {}", text(&out.stderr));
        // GNU does not know Loom: it calls the format elf32-little, the architecture
        // UNKNOWN!; everything else must be the same bytes.
        let ours = text(&out.stdout)
            .replace("file format elf32-loom", "file format elf32-little")
            .replace("architecture: loom,", "architecture: UNKNOWN!,");
        let Some(theirs) = gnu(&d, &a) else {
            eprintln!("GNU objdump not installed: {a:?} not compared");
            continue;
        };
        assert_eq!(ours, theirs, "{a:?} differs from GNU objdump");
        compared += 1;
    }
    eprintln!("{compared} listings identical to GNU objdump's");
}

#[test]
fn disassembly_flags_end_to_end() {
    let d = kernel("objdump-d");
    let out = run(&d, &["objdump", "-d", "k.elf"]);
    let s = text(&out.stdout);
    assert_eq!(out.status.code(), Some(0));
    assert!(s.contains("\n00001000 <_start>:\n    1000:\t"), "{s}");
    assert!(s.contains("\tjal\tr1, 0x114c <fib_rec>\n"), "{s}");
    assert!(!s.contains(".rodata"), "-d lists data:\n{s}");
    // -D adds the data sections; -j narrows to one.
    let all = text(&run(&d, &["objdump", "-D", "-j", ".rodata", "k.elf"]).stdout);
    assert!(
        all.contains("Disassembly of section .rodata:\n\n00001260 <squares>:\n"),
        "{all}"
    );
    assert!(!all.contains("section .text"), "{all}");
    // -S (the source as the line table names it, relative to the directory) implies -d.
    let src = example("calls_loops.s");
    let out = run(
        src.parent().unwrap(),
        &["objdump", "-S", "-l", "calls_loops.s"],
    );
    let s = text(&out.stdout);
    assert!(s.contains("fib_rec():\ncalls_loops.s:"), "{s}");
    assert!(s.contains("        call    fib_rec"), "{s}");
    // Address ranges cut the listing.
    let s = text(
        &run(
            &d,
            &[
                "objdump",
                "-d",
                "--start-address=0x1150",
                "--stop-address",
                "0x1158",
                "k.elf",
            ],
        )
        .stdout,
    );
    let lines: Vec<&str> = s.lines().filter(|l| l.contains(":\t")).collect();
    assert_eq!(lines.len(), 2, "{s}");
    assert!(s.contains("00001150 <fib_rec+0x4>:"), "{s}");
}

#[test]
fn usage_errors_are_clean() {
    let d = kernel("objdump-usage");
    // Like GNU objdump: no switch is a usage error listing them.
    let out = run(&d, &["objdump", "k.elf"]);
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("at least one of") && e.contains("-d, --disassemble"),
        "{e}"
    );
    let out = run(&d, &["objdump", "-d", "-j", ".nosuch", "k.elf"]);
    assert_eq!(out.status.code(), Some(1));
    let e = text(&out.stderr);
    assert!(
        e.contains("no section named `.nosuch`") && e.contains(".rodata"),
        "{e}"
    );
    assert!(out.stdout.is_empty());
    let out = run(
        &d,
        &[
            "objdump",
            "-d",
            "--start-address=0x2000",
            "--stop-address=0x1000",
            "k.elf",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
    let out = run(&d, &["objdump", "-d", "--start-address=lots", "k.elf"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("not an address"));
    let out = run(&d, &["objdump", "--reassemble", "-d", "k.elf"]);
    assert_eq!(out.status.code(), Some(2));
    // -H is help (-h is --section-headers, as in GNU).
    let out = run(&d, &["objdump", "-H"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("--section-headers"));
}
