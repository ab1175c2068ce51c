//! `bitloom debug` as a user runs it: the real binary through a pseudo-terminal
//! (expectrl), and `--batch -x` against the golden transcript of the walkthrough in
//! docs/DEBUGGING.md.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_bitloom");

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The interactive debugger on a pty: break, run to it, step, tile view, watch on a CSR
/// (found in reverse), reverse-step, quit. Prints SKIPPED (and passes) only when no
/// pseudo-terminal can be created here.
#[test]
fn interactive_session_on_a_pty() {
    let mut cmd = Command::new(BIN);
    cmd.args([
        "debug",
        "programs/examples/gemm_check.s",
        "--history-file",
        "-",
    ])
    .current_dir(root())
    .env("NO_COLOR", "1")
    .env("TERM", "dumb");
    let mut p = match expectrl::Session::spawn(cmd) {
        Ok(p) => p,
        Err(e) => {
            println!("SKIPPED: interactive_session_on_a_pty: cannot create a pseudo-terminal: {e}");
            return;
        }
    };
    p.set_expect_timeout(Some(Duration::from_secs(30)));
    let mut step = |send: Option<&str>, want: &[&str]| {
        if let Some(line) = send {
            p.send_line(line)
                .unwrap_or_else(|e| panic!("send {line:?}: {e}"));
        }
        for w in want {
            p.expect(*w)
                .unwrap_or_else(|e| panic!("after {send:?}: expected {w:?}: {e}"));
        }
    };
    // The banner once, then the prompt.
    step(
        None,
        &[
            "Loaded programs/examples/gemm_check.s: 70 instructions",
            "(bitloom) ",
        ],
    );
    step(
        Some("break 42"),
        &["Breakpoint 1 at 0x0000105c <_start+92>", "(bitloom) "],
    );
    step(
        Some("run"),
        &[
            "Breakpoint 1, 0x0000105c in _start+92 at programs/examples/gemm_check.s:42",
            "bsmac   t2, t0, t1",
            "(bitloom) ",
        ],
    );
    step(
        Some("stepi"),
        &["43\t        la      r10, result", "(bitloom) "],
    );
    step(
        Some("tile t2"),
        &[
            "t2: acc base 0x0 8x8 int32 raw",
            "density: 64/64 non-zero values",
            "[  0] -2448 -3425",
            "(bitloom) ",
        ],
    );
    step(
        Some("watch wprec"),
        &["Hardware watchpoint 2: wprec", "(bitloom) "],
    );
    step(Some("delete 1"), &["(bitloom) "]);
    // In reverse, the watchpoint stops where wprec last changed: before `cfgi wprec, 4`.
    step(
        Some("reverse-continue"),
        &[
            "Hardware watchpoint 2: wprec",
            "Old value = 8",
            "New value = 4",
            "17\t        cfgi    wprec, 4",
            "(bitloom) ",
        ],
    );
    step(Some("p wprec"), &["$1 = 8", "(bitloom) "]);
    step(
        Some("si"),
        &[
            "Hardware watchpoint 2: wprec",
            "New value = 4",
            "18\t",
            "(bitloom) ",
        ],
    );
    step(
        Some("reverse-step"),
        &["17\t        cfgi    wprec, 4", "(bitloom) "],
    );
    step(Some("p wprec"), &["$2 = 8", "(bitloom) "]);
    // An error does not end the session; Enter repeats.
    step(
        Some("stpi"),
        &[
            "Undefined command: \"stpi\". Did you mean \"stepi\"?",
            "(bitloom) ",
        ],
    );
    step(Some("quit"), &[]);
    // The process ends by itself.
    let status = p.get_process_mut().wait().expect("wait");
    assert!(
        matches!(status, expectrl::WaitStatus::Exited(_, 0)),
        "debugger exit status {status:?}"
    );
}

/// `--batch -x` prints what the golden transcript of the walkthrough records, minus the
/// echoed prompts and the banner (which `--batch` leaves out) — so the transcript in
/// docs/DEBUGGING.md is what the real binary prints.
#[test]
fn batch_script_matches_the_walkthrough_transcript() {
    let script = root().join("debugger/tests/transcripts/tiled_bug.gdb");
    let golden = std::fs::read_to_string(root().join("debugger/tests/transcripts/tiled_bug.out"))
        .expect("golden transcript");
    let out = Command::new(BIN)
        .args(["debug", "programs/debug/tiled_bug.s", "--batch", "-x"])
        .arg(&script)
        .current_dir(root())
        .output()
        .expect("run bitloom debug");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let want: String = golden
        .lines()
        .skip(2) // the banner
        .filter(|l| !l.starts_with("(bitloom) "))
        .map(|l| format!("{l}\n"))
        .collect();
    assert_eq!(String::from_utf8_lossy(&out.stdout), want);
}
