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

/// `run` re-reads a program edited on disk, as gdb re-reads a changed executable: the new
/// code runs (with the same `-D` defines), and a file that no longer assembles is refused
/// with its diagnostics while the program loaded before stays, state and all (commands
/// through a pipe).
#[test]
fn run_reloads_the_program_edited_on_disk() {
    use std::io::{BufRead, BufReader, Write};
    use std::process::Stdio;
    use std::sync::mpsc;

    let dir = std::env::temp_dir().join(format!("bitloom-debug-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    let src = dir.join("r.s");
    let write = |exit: &str| {
        std::fs::write(
            &src,
            format!("_start:\n        li r1, {exit} + BASE\n        halt r1\n"),
        )
        .expect("write r.s")
    };
    write("3");
    let mut child = Command::new(BIN)
        .args(["debug", "-D", "BASE=10", "--history-file", "-"])
        .arg(&src)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start bitloom debug");
    let mut stdin = child.stdin.take().expect("stdin");
    let (tx, rx) = mpsc::channel::<String>();
    let out = BufReader::new(child.stdout.take().expect("stdout"));
    std::thread::spawn(move || {
        for line in out.lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut send_until = |cmd: &str, want: &str| {
        writeln!(stdin, "{cmd}").expect("send a command");
        loop {
            match rx.recv_timeout(Duration::from_secs(30)) {
                Ok(line) => {
                    let done = line.contains(want);
                    seen.push(line);
                    if done {
                        return;
                    }
                }
                Err(_) => panic!(
                    "no `{want}` after `{cmd}`; output so far:\n{}",
                    seen.join("\n")
                ),
            }
        }
    };
    send_until("run", "exited with code 13");
    write("7");
    send_until("run", "exited with code 17");
    write("zz");
    send_until("run", "could not be loaded again");
    // Nothing changed: the old program's final state is still there; with the file fixed,
    // `run` loads it again.
    send_until("print $r1", "= 17");
    write("9");
    send_until("run", "exited with code 19");
    writeln!(stdin, "quit").expect("quit");
    drop(stdin);
    let status = child.wait().expect("bitloom debug exits");
    let text = seen.join("\n");
    assert!(status.success(), "{text}");
    assert!(
        text.contains("r.s has changed on disk; reloaded it."),
        "{text}"
    );
    assert!(
        text.contains("r.s:2:16") && text.contains("unknown symbol `zz`"),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A command script that never ends (`/dev/zero`) is refused at its size cap, both as
/// `-x FILE` and as the `source` command, instead of being read without end.
#[cfg(unix)]
#[test]
fn endless_command_scripts_are_refused() {
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(args)
            .current_dir(root())
            .output()
            .expect("run bitloom debug");
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    };
    let ex = [
        "debug",
        "--batch",
        "--ex",
        "source /dev/zero",
        "programs/examples/gemm_check.s",
    ];
    let text = run(&ex);
    assert!(text.contains("/dev/zero: larger than 16 MiB"), "{text}");
    let x = [
        "debug",
        "--batch",
        "-x",
        "/dev/zero",
        "programs/examples/gemm_check.s",
    ];
    let text = run(&x);
    assert!(
        text.contains("error: /dev/zero: larger than 16 MiB"),
        "{text}"
    );
}
