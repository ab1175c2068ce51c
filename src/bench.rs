//! `bitloom bench`: throughput figures measured in one run, reported as ratios.
//!
//! * `bench asm`: assemble a generated N-line Loom program and, on the same machine in the
//!   same run, GNU `as` on an N-line x86-64 program of similar shape (labels, ALU, loads,
//!   stores, branches, data directives, comments).
//! * `bench emu`: see `bench_emu.rs`.

use std::time::{Duration, Instant};

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

/// Write the generated benchmark sources (`loom.s`, `x86.s`) into `dir`.
pub fn emit_asm(lines: usize, dir: &std::path::Path) -> Result<String, String> {
    let src = bitloom_asm::gen::program(lines, 1);
    let x86 = gen_x86(src.lines().count());
    std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    for (name, text) in [("loom.s", &src), ("x86.s", &x86)] {
        let p = dir.join(name);
        std::fs::write(&p, text).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    Ok(format!("wrote {0}/loom.s and {0}/x86.s\n", dir.display()))
}

/// Time one run of a command; error text if it fails.
fn time_cmd(cmd: &mut std::process::Command) -> Result<Duration, String> {
    let t = Instant::now();
    let o = cmd.output().map_err(|e| e.to_string())?;
    let d = t.elapsed();
    if !o.status.success() {
        return Err(String::from_utf8_lossy(&o.stderr).into_owned());
    }
    Ok(d)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Run `bench asm`: both assemblers as processes doing the same work (read a source file,
/// write an object file), runs interleaved so machine noise hits both alike; medians.
pub fn bench_asm(lines: usize, reps: usize) -> Result<String, String> {
    let reps = reps.max(1);
    let src = bitloom_asm::gen::program(lines, 1);
    let real_lines = src.lines().count();
    let x86 = gen_x86(real_lines);
    let dir = std::env::temp_dir().join(format!("bitloom-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let io = |p: &std::path::Path, e: std::io::Error| format!("{}: {e}", p.display());
    let (lsrc, lelf) = (dir.join("loom.s"), dir.join("loom.elf"));
    let (xsrc, xobj) = (dir.join("x86.s"), dir.join("x86.o"));
    std::fs::write(&lsrc, &src).map_err(|e| io(&lsrc, e))?;
    std::fs::write(&xsrc, &x86).map_err(|e| io(&xsrc, e))?;
    let me = std::env::current_exe().map_err(|e| e.to_string())?;
    let have_gas = std::process::Command::new("as")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let (mut tl, mut tg) = (Vec::new(), Vec::new());
    for _ in 0..reps {
        tl.push(time_cmd(
            std::process::Command::new(&me)
                .arg("asm")
                .arg(&lsrc)
                .arg("-o")
                .arg(&lelf),
        )?);
        if have_gas {
            tg.push(time_cmd(
                std::process::Command::new("as")
                    .arg("-o")
                    .arg(&xobj)
                    .arg(&xsrc),
            )?);
        }
    }
    let elf_bytes = std::fs::metadata(&lelf).map(|m| m.len()).unwrap_or(0);
    let _ = std::fs::remove_dir_all(&dir);
    let d = median(tl);
    let mut out = format!(
        "{real_lines}-line programs, median of {reps} interleaved runs (process start, read source, write object):\n"
    );
    out.push_str(&format!(
        "  bitloom asm (Loom)     : {:.3} s = {:.2} M lines/s ({elf_bytes} byte ELF)\n",
        d.as_secs_f64(),
        real_lines as f64 / d.as_secs_f64() / 1e6
    ));
    if have_gas {
        let g = median(tg);
        out.push_str(&format!(
            "  GNU as (x86-64)        : {:.3} s = {:.2} M lines/s\n",
            g.as_secs_f64(),
            real_lines as f64 / g.as_secs_f64() / 1e6
        ));
        out.push_str(&format!(
            "  bitloom / GNU as throughput: {:.2}x\n",
            g.as_secs_f64() / d.as_secs_f64()
        ));
    } else {
        out.push_str("  GNU as: not found on PATH; no comparison\n");
    }
    Ok(out)
}
