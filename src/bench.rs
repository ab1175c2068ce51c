//! `bitloom bench`: throughput figures measured in one run, reported as ratios.
//!
//! * `bench asm`: assemble a generated N-line Loom program and, on the same machine in the
//!   same run, GNU `as` on an N-line x86-64 program of similar shape (labels, ALU, loads,
//!   stores, branches, data directives, comments).
//! * `bench emu`: a dense 8-bit GEMM (`bsmac` on 256×256×256 tiles by default) in
//!   functional-only and timing mode, each as a ratio to a plain native i8×i8→i32 loop; and
//!   a tight scalar loop in emulated instructions per second.

use std::hint::black_box;
use std::io::Write as _;
use std::time::{Duration, Instant};

use bitloom_emu::hw::HwConfig;
use bitloom_emu::machine::Machine;
use bitloom_emu::timing::Timing;
use bitloom_isa::image::Image;
use bitloom_programs::{gemm_image, native_gemm, rand_i8, scalar_loop_image};

/// Median of `reps` timings of `f`.
fn time_median(reps: usize, mut f: impl FnMut()) -> Duration {
    let mut v: Vec<Duration> = (0..reps)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .collect();
    v.sort();
    v[v.len() / 2]
}

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

fn run_to_halt(img: &Image, hw: &HwConfig, timing: bool) -> Result<(Duration, u64, u64), String> {
    let mut mach = Machine::new(hw, img).map_err(|e| e.to_string())?;
    if timing {
        mach.timing = Some(Timing::new(hw));
    }
    let t = Instant::now();
    let r = mach.run_fast(u64::MAX).map_err(|e| e.to_string())?;
    let d = t.elapsed();
    if r != Some(0) {
        return Err(format!("benchmark program did not halt with 0: {r:?}"));
    }
    Ok((d, mach.instret, mach.cycle()))
}

/// The cost of a machine snapshot (a clone) half-way through the GEMM program, against a
/// deep copy of the memory it has touched.
fn snapshot_cost(img: &Image, hw: &HwConfig) -> Result<String, String> {
    let mut full = Machine::new(hw, img).map_err(|e| e.to_string())?;
    full.enable_timing();
    full.run_fast(u64::MAX).map_err(|e| e.to_string())?;
    let mut m = Machine::new(hw, img).map_err(|e| e.to_string())?;
    m.enable_timing();
    m.run_fast(full.instret / 2).map_err(|e| e.to_string())?;
    let reps = 2000u32;
    let t = Instant::now();
    for _ in 0..reps {
        black_box(m.clone());
    }
    let clone_us = t.elapsed().as_secs_f64() * 1e6 / reps as f64;
    let touched: usize = bitloom_emu::commit::MemSpace::ALL
        .iter()
        .map(|s| m.mem(*s).touched_pages() * bitloom_emu::mem::PAGE_SIZE)
        .sum();
    let pages: Vec<u8> = vec![1; touched];
    let t = Instant::now();
    for _ in 0..200 {
        black_box(pages.clone());
    }
    let copy_us = t.elapsed().as_secs_f64() * 1e6 / 200.0;
    Ok(format!(
        "snapshot after {} of {} instructions: {} bytes, {clone_us:.2} us per clone (a deep copy of the {} KiB of touched memory: {copy_us:.2} us, {:.1}x)\n",
        m.instret,
        full.instret,
        m.clone_bytes(),
        touched / 1024,
        copy_us / clone_us.max(1e-9)
    ))
}

/// Run `bench emu`.
pub fn bench_emu(size: u32, scalar_iters: u32) -> Result<String, String> {
    let hw = HwConfig::default();
    let (m, k, n) = (size, size, size);
    let w = rand_i8((m * k) as usize, 1);
    let a = rand_i8((k * n) as usize, 2);
    let macs = m as f64 * k as f64 * n as f64;
    let img = gemm_image(m, k, n, &w, &a);
    let mut out = String::new();
    let mut c = vec![0i32; (m * n) as usize];
    let mut reps = 5;
    let dn = time_median(reps, || {
        c.fill(0);
        native_gemm(
            m as usize,
            k as usize,
            n as usize,
            black_box(&w),
            black_box(&a),
            &mut c,
        );
        black_box(&c);
    });
    let mut func = Vec::new();
    let mut timed = Vec::new();
    let mut cycles = 0;
    for _ in 0..reps {
        func.push(run_to_halt(&img, &hw, false)?.0);
        let (d, _, cy) = run_to_halt(&img, &hw, true)?;
        timed.push(d);
        cycles = cy;
    }
    func.sort();
    timed.sort();
    let (df, dt) = (func[reps / 2], timed[reps / 2]);
    let rate = |d: Duration| macs / d.as_secs_f64() / 1e6;
    out.push_str(&format!(
        "dense int8 GEMM {m}x{k}x{n} ({:.1} M MACs, median of {reps}):\n",
        macs / 1e6
    ));
    out.push_str(&format!(
        "  native Rust i8xi8->i32 loop : {:>9.1} M MAC/s\n",
        rate(dn)
    ));
    out.push_str(&format!(
        "  emulator, functional only   : {:>9.1} M MAC/s  ({:.2}x the native loop's time)\n",
        rate(df),
        df.as_secs_f64() / dn.as_secs_f64()
    ));
    out.push_str(&format!(
        "  emulator, timing model      : {:>9.1} M MAC/s  ({:.2}x the native loop's time; {cycles} modelled cycles)\n",
        rate(dt),
        dt.as_secs_f64() / dn.as_secs_f64()
    ));
    out.push_str(&snapshot_cost(&img, &hw)?);
    reps = 3;
    let img = scalar_loop_image(scalar_iters);
    let mut ds = Vec::new();
    let mut instret = 0;
    for _ in 0..reps {
        let (d, i, _) = run_to_halt(&img, &hw, false)?;
        ds.push(d);
        instret = i;
    }
    ds.sort();
    let d = ds[reps / 2];
    out.push_str(&format!(
        "scalar loop: {instret} instructions in {:.3} s = {:.1} M instr/s (functional)\n",
        d.as_secs_f64(),
        instret as f64 / d.as_secs_f64() / 1e6
    ));
    let _ = std::io::stdout().flush();
    Ok(out)
}
