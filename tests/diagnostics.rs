//! The one diagnostic style of the CLI (rustc's): golden stderr of an assembler error and of
//! a run-time trap, each without and with colour (`tests/golden/diag/*.stderr`; `BLESS=1`
//! rewrites them), and when colour is on: `--color`, `NO_COLOR`, a pipe.

use std::path::Path;
use std::process::Command;

mod common;

/// Run `bitloom args…` in the repository root (so file names in the output are relative),
/// with `NO_COLOR` set to `no_color` (or unset); returns (exit status, stderr).
fn run(args: &[&str], no_color: Option<&str>) -> (i32, String) {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bitloom"));
    c.args(args).current_dir(env!("CARGO_MANIFEST_DIR"));
    match no_color {
        Some(v) => c.env("NO_COLOR", v),
        None => c.env_remove("NO_COLOR"),
    };
    let out = c.output().expect("run bitloom");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stderr).expect("stderr is UTF-8"),
    )
}

fn golden(name: &str, got: &str) {
    let p = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/diag")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&p, got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&p)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1)", p.display()));
    assert_eq!(
        want,
        got,
        "{} differs (BLESS=1 to accept)\n--- expected\n{want}\n--- got\n{got}",
        p.display()
    );
}

const ESC: char = '\u{1b}';

fn asm_args<'a>(out: &'a str, color: &'a str) -> Vec<&'a str> {
    vec![
        "asm",
        "tests/golden/diag/asm_error.s",
        "-o",
        out,
        "--color",
        color,
    ]
}

#[test]
fn assembler_error_golden() {
    let d = common::scratch("asm-error");
    let out = d.join("x.elf");
    let out = out.to_str().unwrap();
    let (code, plain) = run(&asm_args(out, "never"), None);
    assert_eq!(code, 1);
    assert!(!plain.contains(ESC));
    // rustc's shape, not ariadne's box.
    assert!(
        plain
            .starts_with("error: duplicate label `loop`\n --> tests/golden/diag/asm_error.s:4:1\n"),
        "{plain}"
    );
    assert!(plain.contains("  = help: labels are global"), "{plain}");
    assert!(
        plain.ends_with("error: could not assemble due to 1 error\n"),
        "{plain}"
    );
    golden("asm_error.stderr", &plain);
    let (code, colored) = run(&asm_args(out, "always"), None);
    assert_eq!(code, 1);
    assert!(colored.contains(ESC));
    golden("asm_error.color.stderr", &colored);
    assert_eq!(
        strip_ansi(&colored),
        plain,
        "colour changes only the styling"
    );
    assert!(!Path::new(out).exists(), "no output after an error");
}

#[test]
fn run_trap_golden() {
    let args = |c: &'static str| ["run", "-q", "tests/golden/diag/trap.s", "--color", c];
    let (code, plain) = run(&args("never"), None);
    assert_eq!(code, 2, "{plain}");
    assert!(
        !plain.contains("warning"),
        "the program assembles cleanly: {plain}"
    );
    assert!(
        plain.starts_with("error: trap MisalignedAccess at pc 0x00001004: misaligned load address 0x00001002 (must be a multiple of 4)\n --> tests/golden/diag/trap.s:3:9\n"),
        "{plain}"
    );
    golden("trap.stderr", &plain);
    let (code, colored) = run(&args("always"), None);
    assert_eq!(code, 2);
    assert!(colored.contains(ESC));
    golden("trap.color.stderr", &colored);
    assert_eq!(strip_ansi(&colored), plain);
}

/// `auto` colours only a terminal, so a pipe gets none; `NO_COLOR` (non-empty) forbids it
/// under `auto`, `--color always` overrides it, `--color never` wins on its own.
#[test]
fn when_colour_is_used() {
    let t = ["run", "-q", "tests/golden/diag/trap.s"];
    let with = |extra: &[&'static str], nc| {
        let mut a = t.to_vec();
        a.extend_from_slice(extra);
        run(&a, nc).1.contains(ESC)
    };
    assert!(!with(&[], None), "stderr is a pipe here");
    assert!(!with(&["--color", "auto"], Some("1")));
    assert!(with(&["--color", "always"], Some("1")));
    assert!(!with(&["--color", "never"], None));
    // The CLI's own plain errors share the styling.
    let (code, e) = run(
        &["run", "--color", "always", "tests/golden/diag/missing.s"],
        None,
    );
    assert_eq!(code, 1);
    assert!(
        e.contains(ESC) && strip_ansi(&e).starts_with("error: "),
        "{e}"
    );
    let (_, e) = run(
        &["run", "--color", "never", "tests/golden/diag/missing.s"],
        None,
    );
    assert!(!e.contains(ESC) && e.starts_with("error: "), "{e}");
}

/// ANSI SGR sequences (`ESC [ … m`) removed, written independently of the renderer.
fn strip_ansi(s: &str) -> String {
    let mut out = String::new();
    let mut it = s.chars().peekable();
    while let Some(c) = it.next() {
        if c == ESC && it.peek() == Some(&'[') {
            for d in it.by_ref() {
                if d == 'm' {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
