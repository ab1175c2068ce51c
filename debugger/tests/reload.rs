//! `run` with a loader (`Session::set_loader`): the program is loaded again from disk, and
//! when it changed, breakpoints and watchpoints are re-resolved by the locations they were
//! set with; a program that no longer loads leaves the session as it was.

mod common;

use std::path::{Path, PathBuf};

use bitloom_debugger::commands::Loader;
use bitloom_debugger::engine::Debugger;
use bitloom_debugger::Session;
use bitloom_emu::hw::HwConfig;
use bitloom_emu::session::{new_machine, MachineOptions};

const V1: &str = "        .text
        .global _start
_start:
        li      r5, 10
        addi    r5, r5, 1
        addi    r5, r5, 1
done:
        addi    r5, r5, 1
        halt    r5
        .rodata
val:    .word   5
";

/// Line 5 is a comment (its code moved to 6), `done` moved, `val` is gone; exits with 17.
const V2: &str = "        .text
        .global _start
_start:
        li      r5, 10
        ; the first increment was here
        addi    r5, r5, 7
done:
        halt    r5
";

fn loader(path: PathBuf) -> Loader {
    Box::new(move || {
        let l = bitloom_asm::load::load_program(&path, &bitloom_asm::Options::default()).map_err(
            |e| match e {
                bitloom_asm::load::LoadError::Asm { diagnostics, .. } => diagnostics.render(false),
                e => e.to_string(),
            },
        )?;
        new_machine(
            &HwConfig::default(),
            &l.image,
            &MachineOptions {
                timing: true,
                checked: false,
            },
        )
        .map_err(|e| e.to_string())
    })
}

fn session_on(path: &Path) -> Session {
    let mut load = loader(path.to_path_buf());
    let m = load().expect("the first version loads");
    let mut s = Session::new(Debugger::new(m, &path.display().to_string()), path);
    s.set_loader(load);
    s
}

#[test]
fn run_reloads_a_changed_program_and_re_resolves_breakpoints() {
    common::at_root();
    let dir = std::env::temp_dir().join(format!("bitloom-reload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let prog = dir.join("prog.s");
    std::fs::write(&prog, V1).unwrap();
    let mut s = session_on(&prog);
    let p = prog.display().to_string();

    assert!(s.execute("break done").contains("line 8."));
    assert!(s.execute("break 5").contains("line 5."));
    assert!(s
        .execute("watch val")
        .starts_with("Hardware watchpoint 3: val"));
    s.execute("disable 3");
    let out = s.execute("run");
    assert!(!out.contains("reloaded"), "unchanged: no note\n{out}");
    assert!(out.contains("Breakpoint 2, "), "{out}");

    std::fs::write(&prog, V2).unwrap();
    let out = s.execute("run");
    let want = format!(
        "{p} has changed on disk; reloaded it.\n\
         Breakpoint 1 (done) is now at 0x00001008 <done>: file {p}, line 8.\n\
         Error in re-setting watchpoint 3 (val): Cannot watch `val`: not a register, CSR, tile, symbol or *ADDRESS. Did you mean `ra`? It is disabled.\n\
         Starting program from reset.\n\nBreakpoint 2, "
    );
    assert!(out.starts_with(&want), "{out}");
    // `break 5` is line 5 of that file: a comment now, so the code of line 6.
    assert!(
        out.contains(&format!("at {p}:6\n6\t        addi    r5, r5, 7")),
        "{out}"
    );
    // The source as it is now.
    assert_eq!(
        s.execute("list 5,5"),
        "5\t        ; the first increment was here\n"
    );
    assert!(s.execute("continue").contains("Breakpoint 1, done"));
    assert!(s.execute("continue").contains("exited with code 17"));

    // A version that does not assemble: `run` refuses with the diagnostic; nothing changed.
    std::fs::write(&prog, V2.replace("addi    r5, r5, 7", "frob    r5")).unwrap();
    let out = s.execute("run");
    assert!(out.contains("unknown instruction `frob`"), "{out}");
    assert!(out.contains(&format!("{p}:6:9")), "{out}");
    assert!(
        out.ends_with(
            "could not be loaded again; nothing changed (the previous program is still loaded).\n"
        ),
        "{out}"
    );
    assert_eq!(s.execute("p r5"), "$1 = 17\n");
    std::fs::write(&prog, V2).unwrap();
    assert!(s.execute("run").contains("Breakpoint 2, "));
    let _ = std::fs::remove_dir_all(&dir);
}
