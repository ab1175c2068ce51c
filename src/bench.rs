//! `bitloom bench`: throughput figures measured in one run, reported as ratios.
//!
//! * `bench asm`: assemble generated Loom programs and, on the same machine in the same
//!   run, GNU `as` on x86-64 programs of the same size and shape: a plain one (labels, ALU,
//!   loads, stores, branches, data directives, comments) and a macro-heavy one
//!   (`bench_asm_macro.rs`); CPU time, wall time and peak memory of each, measured per
//!   child process (`bench_child.rs`), and the ratios.
//! * `bench emu`: see `bench_emu.rs`.

use std::io::Read as _;
use std::path::{Path, PathBuf};
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

/// One case: the two equivalent sources, their file names, and what they are.
struct Case {
    loom_name: &'static str,
    loom: String,
    x86_name: &'static str,
    x86: String,
    desc: String,
}

/// The generated sources of every case; a case with 0 lines is left out.
fn sources(lines: usize, macro_lines: usize) -> Vec<Case> {
    let mut v = Vec::new();
    if lines > 0 {
        let loom = bitloom_asm::gen::program(lines, 1);
        let n = loom.lines().count();
        v.push(Case {
            loom_name: "loom.s",
            loom,
            x86_name: "x86.s",
            x86: gen_x86(n),
            desc: format!("plain: {n}-line programs"),
        });
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
        v.push(Case {
            loom_name: "macro-loom.s",
            loom: m.loom,
            x86_name: "macro-x86.s",
            x86: m.x86,
            desc,
        });
    }
    v
}

/// Write the generated benchmark sources into `dir`.
pub fn emit_asm(lines: usize, macro_lines: usize, dir: &Path) -> Result<String, String> {
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut out = String::new();
    for c in sources(lines, macro_lines) {
        for (name, text) in [(c.loom_name, &c.loom), (c.x86_name, &c.x86)] {
            let p = dir.join(name);
            std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
        }
        let d = dir.display();
        out.push_str(&format!(
            "{}:\n  {d}/{}\n  {d}/{}\n",
            c.desc, c.loom_name, c.x86_name
        ));
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
    // The sources are generated by a child (`bench asm --emit`), not here: the peak memory
    // the kernel reports for a child is at least this process's own peak (a spawned child
    // starts in this process's address space), so this process must stay small.
    let emitted = Command::new(&me)
        .args(["bench", "asm", "--lines", &lines.to_string()])
        .args(["--macro-lines", &macro_lines.to_string(), "--emit"])
        .arg(dir)
        .output()
        .map_err(|e| format!("generating the sources: {e}"))?;
    if !emitted.status.success() {
        return Err(format!(
            "generating the sources: {}",
            String::from_utf8_lossy(&emitted.stderr)
        ));
    }
    // `emit_asm`'s report: per case, `description:` then the Loom and the x86 path.
    let report = String::from_utf8_lossy(&emitted.stdout).into_owned();
    let mut cases = Vec::new();
    let mut rl = report.lines();
    while let (Some(desc), Some(l), Some(x)) = (rl.next(), rl.next(), rl.next()) {
        let desc = desc.strip_suffix(':').unwrap_or(desc).to_string();
        cases.push((PathBuf::from(l.trim()), PathBuf::from(x.trim()), desc));
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
        let n = count_lines(&lsrc)?;
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

/// Lines of a file, read in small pieces (this process stays small, see `run_cases`).
fn count_lines(p: &Path) -> Result<usize, String> {
    let mut f = std::fs::File::open(p).map_err(|e| format!("{}: {e}", p.display()))?;
    let mut buf = vec![0u8; 1 << 16];
    let mut n = 0;
    loop {
        match f.read(&mut buf) {
            Ok(0) => return Ok(n),
            Ok(k) => n += buf[..k].iter().filter(|&&b| b == b'\n').count(),
            Err(e) => return Err(format!("{}: {e}", p.display())),
        }
    }
}
