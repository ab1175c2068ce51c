//! End-to-end tests of `-D NAME[=VALUE]` / `--defsym` on `bitloom asm`, `run`, `debug`,
//! `test` (with `[defsym]` in expectation files) and `objdump` (`--defsym` only):
//! the two-variant kernel of docs/ASSEMBLY.md (run from the document itself), the bytes each
//! variant packs, `.error` reached through a define, malformed `-D` specifications as usage
//! errors, and assembler warnings on stderr of a successful build.

mod common;

use common::*;
use std::path::{Path, PathBuf};

/// The code block of docs/ASSEMBLY.md that starts with `; variants.s`, written to `dir`.
fn docs_example(dir: &Path) -> PathBuf {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ASSEMBLY.md"))
            .expect("read docs/ASSEMBLY.md");
    let start = doc
        .find("```\n; variants.s")
        .expect("docs/ASSEMBLY.md has the variants.s example")
        + 4;
    let end = start + doc[start..].find("```").expect("the block ends");
    let path = dir.join("variants.s");
    std::fs::write(&path, &doc[start..end]).expect("write variants.s");
    path
}

/// The listing line of `w_tile` and the bytes on it (the encoding column).
fn w_tile_bytes(listing: &str) -> String {
    let line = listing
        .lines()
        .find(|l| l.contains("w_tile:"))
        .unwrap_or_else(|| panic!("no w_tile line in the listing:\n{listing}"));
    line.split_whitespace().nth(2).unwrap_or("").to_string()
}

#[test]
fn docs_example_builds_two_variants() {
    let dir = scratch("variants");
    let src = docs_example(&dir);
    // The default (no -D): 8-bit weights, one byte per code.
    let out = bitloom(&["asm", p(&src), "-o", p(&dir.join("v8.elf")), "-l", "-"]);
    assert_status(&out, 0, "asm (default)");
    // 1, -2, 3, 0 as bytes (the listing shows the first four bytes of the run).
    let listing = text(&out.stdout);
    assert_eq!(w_tile_bytes(&listing), "01fe0300");
    // The continued line is listed under the first, before the rest of the bytes.
    let after: Vec<&str> = listing
        .lines()
        .skip_while(|l| !l.contains("w_tile:"))
        .skip(1)
        .take(2)
        .collect();
    assert!(
        after[0].trim_start().starts_with(char::is_numeric) && after[0].contains("-1,  2,  0,  4"),
        "{listing}"
    );
    assert!(after[1].trim().ends_with("ff020004"), "{listing}");
    // -D WPREC=4: the same codes as nibbles, LSB first: (1, -2) = 0xe1, (3, 0) = 0x03,
    // (-1, 2) = 0x2f, (0, 4) = 0x40 -- one run over the two source lines.
    for flag in ["-D", "--defsym", "--define"] {
        let out = bitloom(&[
            "asm",
            flag,
            "WPREC=4",
            p(&src),
            "-o",
            p(&dir.join("v4.elf")),
            "-l",
            "-",
        ]);
        assert_status(&out, 0, &format!("asm {flag} WPREC=4"));
        assert_eq!(w_tile_bytes(&text(&out.stdout)), "e1032f40", "{flag}");
        assert!(
            text(&out.stderr).is_empty(),
            "no warnings: {}",
            text(&out.stderr)
        );
    }
    // Both variants compute the same product and pass their self-check; the 4-bit one
    // reads 4 fewer weight bytes from DRAM.
    let mut dram = Vec::new();
    for defs in [&[][..], &["-D", "WPREC=4"][..], &["-DWPREC=2*2"][..]] {
        let stats = dir.join("stats.json");
        let mut args = vec!["run", "-q", "--stats-json", p(&stats)];
        args.extend_from_slice(defs);
        args.push(p(&src));
        let out = bitloom(&args);
        assert_status(&out, 0, &format!("run {defs:?}"));
        let json = std::fs::read_to_string(&stats).expect("stats written");
        dram.push(json_u64(&json, "dram_read"));
    }
    assert_eq!(dram, vec![16, 12, 12]);
    // The debugger assembles with the same defines.
    let out = bitloom(&["debug", "-D", "WPREC=4", "--batch", "--ex", "run", p(&src)]);
    assert_status(&out, 0, "debug -D WPREC=4");
    assert!(
        text(&out.stdout).contains("exited normally"),
        "{}",
        text(&out.stdout)
    );
}

/// The first unsigned number after `"key":` in a JSON text.
fn json_u64(json: &str, key: &str) -> u64 {
    let at = json
        .find(&format!("\"{key}\""))
        .unwrap_or_else(|| panic!("no `{key}` in {json}"));
    let rest = &json[at + key.len() + 2..];
    let digits: String = rest
        .trim_start_matches([':', ' '])
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("`{key}` is not a number in {json}"))
}

#[test]
fn error_directive_reached_through_a_define() {
    let dir = scratch("variants_err");
    let src = docs_example(&dir);
    let elf = dir.join("x.elf");
    for (cmd, defs) in [("asm", "WPREC=5"), ("run", "WPREC=16")] {
        let mut args = vec![cmd, "-D", defs, p(&src)];
        if cmd == "asm" {
            args.extend(["-o", p(&elf)]);
        }
        let out = bitloom(&args);
        assert_status(&out, 1, &format!("{cmd} -D {defs}"));
        let err = text(&out.stderr);
        assert!(err.contains("WPREC must be 4 or 8"), "{err}");
        assert!(err.contains("variants.s:9:9"), "{err}");
    }
    assert!(!elf.exists(), "no output for a failed build");
}

#[test]
fn malformed_defines_are_usage_errors() {
    let dir = scratch("bad_defines");
    let src = dir.join("k.s");
    std::fs::write(&src, "_start: halt zero\n").expect("write k.s");
    let elf = dir.join("k.elf");
    for (spec, why) in [
        ("=3", "missing symbol name"),
        ("N=", "missing value"),
        ("9x", "not a symbol name"),
        ("a-b=1", "not a symbol name"),
        ("r1", "general register"),
        ("N=foo", "integer expression of literals"),
        ("N=1/0", "division by zero"),
    ] {
        for cmd in ["asm", "run", "debug"] {
            let mut args = vec![cmd, "-D", spec, p(&src)];
            if cmd == "asm" {
                args.extend(["-o", p(&elf)]);
            }
            if cmd == "debug" {
                args.push("--batch");
            }
            let out = bitloom(&args);
            assert_status(&out, 2, &format!("{cmd} -D {spec}"));
            let err = text(&out.stderr);
            assert!(
                err.contains("invalid value") && err.contains(why),
                "{cmd} -D {spec}: {err}"
            );
            assert!(!err.contains("panicked"), "{err}");
        }
    }
    assert!(!elf.exists(), "nothing assembled");
}

#[test]
fn defines_select_branches_and_warnings_do_not_fail() {
    let dir = scratch("flags");
    let src = dir.join("f.s");
    std::fs::write(
        &src,
        "_start:\n\
         .ifdef FAST\n\
         \x20       li r1, FAST\n\
         .else\n\
         \x20       li r1, 100\n\
         .endif\n\
         \x20       halt r1\n\
         \x20       .rodata\n\
         \x20       .tile 4, 1, 2, 3\n\
         \x20       .tile 4, 4\n",
    )
    .expect("write f.s");
    let run = |defs: &[&str]| {
        let mut args = vec!["run", "-q"];
        args.extend_from_slice(defs);
        args.push(p(&src));
        bitloom(&args)
    };
    let out = run(&[]);
    assert_status(&out, 100, "run (FAST undefined)");
    let err = text(&out.stderr);
    assert!(err.contains("ends mid-byte"), "the padding warning: {err}");
    assert!(err.contains("f.s:9:9"), "the warning's location: {err}");
    assert_status(&run(&["-D", "FAST"]), 1, "-D FAST (value 1)");
    assert_status(
        &run(&["-D", "FAST=7", "-D", "FAST=9"]),
        9,
        "the last -D wins",
    );
    assert_status(
        &run(&["--defsym", "FAST=0x20 | 3"]),
        35,
        "--defsym with an expression",
    );
}

/// `bitloom test`: `-D` for the whole suite, `[defsym]` in a test's expectation file (which
/// wins over `-D` for its own names), and a malformed `[defsym]` entry as an ERROR naming
/// the file, line and column.
#[test]
fn test_runner_takes_defines_from_the_command_line_and_the_expectation_file() {
    let dir = scratch("test_defines");
    // Exits with N (1 when N is undefined): the exit code tells which value it was built
    // with.
    let prog = "_start:\n\
                .ifndef N\n\
                \x20       li r1, 1\n\
                .else\n\
                \x20       li r1, N\n\
                .endif\n\
                \x20       halt r1\n";
    for name in ["pinned", "free"] {
        std::fs::write(dir.join(format!("{name}.s")), prog).expect("write program");
    }
    // `pinned` is built with N = 2 * 3 and expects exit 6 whatever -D says; `free`
    // expects whatever the command line gives.
    std::fs::write(
        dir.join("pinned.expect.toml"),
        "exit = 6\n[defsym]\nN = \"2 * 3\"\n",
    )
    .expect("write pinned.expect.toml");
    let run = |free_exit: i64, defs: &[&str]| {
        std::fs::write(
            dir.join("free.expect.toml"),
            format!("exit = {free_exit}\n"),
        )
        .expect("write free.expect.toml");
        let mut args = vec!["test", "-j", "1"];
        args.extend_from_slice(defs);
        args.push(p(&dir));
        bitloom(&args)
    };
    let out = run(1, &[]);
    assert_status(&out, 0, "test (no -D)");
    assert!(
        text(&out.stdout).contains("2 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    let out = run(9, &["-D", "N=9"]);
    assert_status(&out, 0, "test -D N=9");
    assert!(
        text(&out.stdout).contains("2 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );
    // A wrong expectation fails: the define really reaches the assembler.
    let out = run(9, &["--defsym", "N=8"]);
    assert_status(&out, 1, "test --defsym N=8");
    assert!(
        text(&out.stdout).contains("1 passed, 1 failed"),
        "{}",
        text(&out.stdout)
    );
    // An integer value, and a bad entry: ERROR at its file:line:col.
    std::fs::write(
        dir.join("pinned.expect.toml"),
        "exit = 6\n[defsym]\nN = 6\n",
    )
    .expect("rewrite");
    assert_status(&run(1, &[]), 0, "integer [defsym]");
    std::fs::write(
        dir.join("pinned.expect.toml"),
        "exit = 6\n[defsym]\nN = \"6 +\"\n",
    )
    .expect("rewrite");
    let out = run(1, &[]);
    assert_status(&out, 1, "bad [defsym]");
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert!(
        all.contains("pinned.expect.toml:3:5") && all.contains("integer expression of literals"),
        "{all}"
    );
}

/// `bitloom objdump --defsym` assembles source input with the define (its `-D` stays
/// GNU's --disassemble-all).
#[test]
fn objdump_assembles_source_with_defsym() {
    let dir = scratch("objdump_defsym");
    let src = dir.join("k.s");
    std::fs::write(&src, "_start:\n        li r1, N\n        halt r1\n").expect("write k.s");
    let out = bitloom(&["objdump", "-d", "--defsym", "N=0x55", p(&src)]);
    assert_status(&out, 0, "objdump --defsym");
    assert!(
        text(&out.stdout).contains("addi\tr1, r0, 85"),
        "{}",
        text(&out.stdout)
    );
    // Without it the source does not assemble, and the error says why.
    let out = bitloom(&["objdump", "-d", p(&src)]);
    assert_status(&out, 1, "objdump without the define");
    assert!(text(&out.stderr).contains("N"), "{}", text(&out.stderr));
    // -D is still --disassemble-all.
    let out = bitloom(&["objdump", "-D", "--defsym", "N=1", p(&src)]);
    assert_status(&out, 0, "objdump -D --defsym");
}

/// `[[variant]]`s: one program run once per variant as `NAME[VARIANT]`, each with its own
/// symbols on top of the file's `[defsym]` and its own exit code; a wrong one fails under
/// its own name; `-f` selects by variant; `--update` leaves the shared file alone; JUnit
/// lists every variant.
#[test]
fn test_runner_runs_each_variant() {
    let dir = scratch("test_variants");
    // Exits with N + M.
    std::fs::write(
        dir.join("sum.s"),
        "_start:\n        li r1, N + M\n        halt r1\n",
    )
    .expect("write program");
    let expect = "exit = 11\n[defsym]\nN = 10\nM = 1\n\
                  [[variant]]\nname = \"base\"\n\
                  [[variant]]\nname = \"n20\"\ndefsym = { N = 20 }\nexit = 21\n\
                  [[variant]]\nname = \"m5\"\ndefsym = { M = \"2 + 3\" }\nexit = 15\n";
    std::fs::write(dir.join("sum.expect.toml"), expect).expect("write expectations");
    let junit = dir.join("j.xml");
    let out = bitloom(&["test", "-j", "2", "--junit", p(&junit), p(&dir)]);
    assert_status(&out, 0, "three variants");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("3 passed, 0 failed"), "{stdout}");
    for v in ["sum[base]", "sum[n20]", "sum[m5]"] {
        assert!(stdout.contains(v), "{v}: {stdout}");
    }
    let xml = std::fs::read_to_string(&junit).expect("junit");
    assert_eq!(xml.matches("<testcase").count(), 3, "{xml}");

    // One variant's expectation wrong: it alone fails, and --update does not touch the
    // file every variant shares.
    let wrong = expect.replace("exit = 15", "exit = 16");
    std::fs::write(dir.join("sum.expect.toml"), &wrong).expect("rewrite");
    let out = bitloom(&["test", "-j", "1", "--update", p(&dir)]);
    assert_status(&out, 1, "a wrong variant");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("2 passed, 1 failed"), "{stdout}");
    assert!(stdout.contains("FAIL    sum[m5]"), "{stdout}");
    assert!(stdout.contains("does not rewrite a variant"), "{stdout}");
    assert_eq!(
        std::fs::read_to_string(dir.join("sum.expect.toml")).unwrap(),
        wrong
    );
    // Selecting one variant by name.
    let out = bitloom(&["test", "-f", "sum[n20]", p(&dir)]);
    assert_status(&out, 0, "-f sum[n20]");
    assert!(
        text(&out.stdout).contains("1 passed, 0 failed"),
        "{}",
        text(&out.stdout)
    );

    // A bad variant table: one ERROR at its place, not a silent single run.
    std::fs::write(
        dir.join("sum.expect.toml"),
        "exit = 11\n[defsym]\nN = 10\nM = 1\n[[variant]]\nname = \"a\"\n[[variant]]\nname = \"a\"\n",
    )
    .expect("rewrite");
    let out = bitloom(&["test", p(&dir)]);
    assert_status(&out, 1, "duplicate variant");
    let stdout = text(&out.stdout);
    assert!(stdout.contains("ERROR   sum "), "{stdout}");
    assert!(
        stdout.contains("sum.expect.toml:8:8: a second variant named `a`"),
        "{stdout}"
    );
}
