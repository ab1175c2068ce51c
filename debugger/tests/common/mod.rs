//! Shared helpers of the debugger's integration tests: the repository root (every test
//! runs there, so programs, sources and dump files are named by paths relative to it and
//! the outputs do not depend on the machine), and sessions over an assembled program.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Once;

use bitloom_debugger::engine::Debugger;
use bitloom_debugger::Session;
use bitloom_emu::hw::HwConfig;
use bitloom_emu::session::{new_machine, MachineOptions};

/// The repository root (the parent of the debugger crate).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("debugger/ has a parent")
        .to_path_buf()
}

/// Make the repository root the working directory (idempotent; every test of a binary
/// sets the same directory, so tests running in parallel agree).
pub fn at_root() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| std::env::set_current_dir(repo_root()).expect("cd to the repo root"));
}

/// A debugger over `program` (a path relative to the repo root), with or without timing.
pub fn debugger(program: &str, timing: bool) -> Debugger {
    at_root();
    let loaded =
        bitloom_asm::load::load_program(Path::new(program), &bitloom_asm::Options::default())
            .unwrap_or_else(|e| panic!("{program}: {e}"));
    let m = new_machine(
        &HwConfig::default(),
        &loaded.image,
        &MachineOptions {
            timing,
            checked: false,
        },
    )
    .unwrap_or_else(|e| panic!("{program}: {e}"));
    Debugger::new(m, program)
}

/// A session over `program`, as `bitloom debug PROGRAM` opens it.
pub fn session(program: &str, timing: bool) -> Session {
    Session::new(debugger(program, timing), Path::new(program))
}

/// The bundled examples, sorted, relative to the repo root.
pub fn examples() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(repo_root().join("programs/examples"))
        .expect("programs/examples")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".s"))
        .map(|n| format!("programs/examples/{n}"))
        .collect();
    v.sort();
    v
}

/// Run a transcript script: header lines `# program: PATH` (required) and
/// `# options: --no-timing` (optional); other `#` lines are comments and are not echoed;
/// an empty line is an Enter (repeats the last command, as at the prompt). The transcript
/// is each command echoed after the prompt, then its output.
pub fn run_transcript(script: &str) -> Result<String, String> {
    let mut program = None;
    let mut timing = true;
    for l in script.lines() {
        if let Some(p) = l.strip_prefix("# program:") {
            program = Some(p.trim().to_string());
        } else if let Some(o) = l.strip_prefix("# options:") {
            for w in o.split_whitespace() {
                match w {
                    "--no-timing" => timing = false,
                    other => return Err(format!("unknown transcript option `{other}`")),
                }
            }
        }
    }
    let program = program.ok_or("the script has no `# program: PATH` line")?;
    let mut s = session(&program, timing);
    let mut out = String::new();
    out.push_str(&s.banner());
    for line in script.lines() {
        if line.trim_start().starts_with('#') {
            continue;
        }
        out.push_str("(bitloom) ");
        out.push_str(line);
        out.push('\n');
        out.push_str(&s.execute(line));
        if s.quit {
            break;
        }
    }
    Ok(out)
}
