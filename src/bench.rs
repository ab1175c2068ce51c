//! `bitloom bench`: throughput figures measured in one run, reported as ratios.
//!
//! * `bench asm`: assemble generated Loom programs and, on the same machine in the same
//!   run, GNU `as` on x86-64 programs of the same size and shape: a plain one (labels, ALU,
//!   loads, stores, branches, data directives, comments) and a macro-heavy one
//!   (`bench_asm_macro.rs`); CPU time, wall time and peak memory of each, measured per
//!   child process (`bench_child.rs`), and the ratios.
//! * `bench emu`: see `bench_emu.rs`.

use std::path::Path;
use std::process::Command;

use crate::bench_asm_macro;
use crate::bench_child::{measure, median, mib, Sample};

/// An x86-64 GNU-as program of `lines` lines shaped like [`bitloom_asm::gen`]'s output.
pub fn gen_x86(lines: usize) -> String {
    let mut s = String::with_capacity(lines * 24);
    s.push_str("\t.text\n\t.globl _start\n_start:\n");
    let mut n = 3;
    let mut label = 0usize;
    while n < lines {
        let i = n % 16;
        match i {
            0 => {
                label += 1;
                s.push_str(&format!("L{label}:\n"));
            }
            1 => s.push_str("\taddl %eax, %ebx\n"),
            2 => s.push_str("\tmovl 8(%rsp), %ecx\n"),
            3 => s.push_str("\tmovl %ecx, 12(%rsp)\n"),
            4 => s.push_str("\taddl $1234, %edx\n"),
            5 => s.push_str("\t# a comment line describing the loop\n"),
            6 => s.push_str("\tshll $3, %esi\n"),
            7 => s.push_str("\tcmpl %eax, %ebx\n"),
            8 => s.push_str(&format!("\tjne L{label}\n")),
            9 => s.push_str("\timull %ecx, %edx\n"),
            10 => s.push_str("\txorl %edi, %edi\n"),
            11 => s.push_str("\tmovl $305419896, %eax\n"),
            12 => s.push_str("\tsubl %esi, %edi\n"),
            13 => s.push_str("\tandl $255, %eax\n"),
            14 => s.push_str(&format!("\tjmp L{}\n", label.saturating_sub(1).max(1))),
            _ => s.push_str("\tnop\n"),
        }
        n += 1;
    }
    s
}

/// The generated sources of every case: (file name for Loom, Loom text, file name for x86,
/// x86 text, description). A case with 0 lines is left out.
fn sources(
    lines: usize,
    macro_lines: usize,
) -> Vec<(&'static str, String, &'static str, String, String)> {
    let mut v = Vec::new();
    if lines > 0 {
        let src = bitloom_asm::gen::program(lines, 1);
        let n = src.lines().count();
        let x86 = gen_x86(n);
        v.push((
            "loom.s",
            src,
            "x86.s",
            x86,
            format!("plain: {n}-line programs"),
        ));
    }
    if macro_lines > 0 {
        let m = bench_asm_macro::generate(macro_lines);
        let desc = format!(
            "macro-heavy: {}-line programs ({} functions, {} macro calls, {} `.rept`, {} `.equ` with forward references, data directives)",
            m.loom.lines().count(),
            m.functions,
            m.macro_calls,
            m.repts,
            m.equs
        );
        v.push(("macro-loom.s", m.loom, "macro-x86.s", m.x86, desc));
    }
    v
}

/// Write the generated benchmark sources into `dir`.
pub fn emit_asm(lines: usize, macro_lines: usize, dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = String::new();
    for (ln, l, xn, x, desc) in sources(lines, macro_lines) {
        for (name, text) in [(ln, &l), (xn, &x)] {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        out.push_str(&format!("{desc}:\n  {0}/{ln}\n  {0}/{xn}\n", dir.display()));
    }
    Ok(out)
}

/// Run `bench asm`: for each case, both assemblers as processes doing the same work (read
/// a source file, write an object file), runs interleaved so machine noise hits both
/// alike; medians of wall time, CPU time and peak memory, and their ratios.
pub fn bench_asm(lines: usize, macro_lines: usize, reps: usize) -> Result<String, String> {
    let reps = reps.max(1);
    let dir = std::env::temp_dir().join(format!("bitloom-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let r = run_cases(lines, macro_lines, reps, &dir);
    let _ = std::fs::remove_dir_all(&dir);
    r
}

fn run_cases(lines: usize, macro_lines: usize, reps: usize, dir: &Path) -> Result<String, String> {
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let have_gas = Command::new("as")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let mut out = String::new();
    if !have_gas {
        out.push_str("GNU as: not found on PATH (`as --version` did not run); no comparison, bitloom's figures only\n");
    }
    // Generate and write every case before any is measured, then drop the texts: a
    // child's peak memory as the kernel reports it is at least this process's (the child
    // starts as a copy of it), so this process stays small while it measures.
    let mut cases = Vec::new();
    for (ln, l, xn, x, desc) in sources(lines, macro_lines) {
        let (lsrc, xsrc) = (dir.join(ln), dir.join(xn));
        std::fs::write(&lsrc, &l).map_err(|e| format!("{}: {e}", lsrc.display()))?;
        std::fs::write(&xsrc, &x).map_err(|e| format!("{}: {e}", xsrc.display()))?;
        cases.push((lsrc, xsrc, desc));
    }
    let (lelf, xobj) = (dir.join("loom.elf"), dir.join("x86.o"));
    for (lsrc, xsrc, desc) in cases {
        let (mut ours, mut gas) = (Vec::new(), Vec::new());
        for _ in 0..reps {
            ours.push(measure(
                Command::new(&me).arg("asm").arg(&lsrc).arg("-o").arg(&lelf),
            )?);
            if have_gas {
                gas.push(measure(Command::new("as").arg("-o").arg(&xobj).arg(&xsrc))?);
            }
        }
        let n = std::fs::read_to_string(&lsrc).map_or(0, |t| t.lines().count());
        let elf_bytes = std::fs::metadata(&lelf).map(|m| m.len()).unwrap_or(0);
        out.push_str(&format!(
            "{desc}, median of {reps} interleaved runs (process start, read source, write object):\n"
        ));
        let line = |who: &str, s: Sample| {
            format!(
                "  {who:<22}: CPU {:.3} s, wall {:.3} s = {:.2} M lines/s, peak {:.1} MiB\n",
                s.cpu.as_secs_f64(),
                s.wall.as_secs_f64(),
                n as f64 / s.wall.as_secs_f64() / 1e6,
                mib(s.peak)
            )
        };
        let o = median(&ours);
        out.push_str(&line("bitloom asm (Loom)", o));
        out.push_str(&format!("  {:<22}  ({elf_bytes} byte ELF)\n", ""));
        if have_gas {
            let g = median(&gas);
            out.push_str(&line("GNU as (x86-64)", g));
            out.push_str(&format!(
                "  bitloom / GNU as      : CPU time {:.2}x, wall time {:.2}x, peak memory {:.2}x\n",
                o.cpu.as_secs_f64() / g.cpu.as_secs_f64().max(1e-9),
                o.wall.as_secs_f64() / g.wall.as_secs_f64().max(1e-9),
                o.peak as f64 / g.peak.max(1) as f64
            ));
        }
    }
    Ok(out)
}
