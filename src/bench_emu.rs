//! `bitloom bench emu`: the emulator's speed as ratios to yardsticks measured in the same
//! run, with repetitions interleaved so machine drift hits every variant alike.
//!
//! * a dense int8 GEMM (M = K = N = `size`) in one `bsmac`, functional and with the timing
//!   model, against native Rust loops: the plain m-k-n loop, the B-transposed iterator dot
//!   product (the loop a compiler vectorises) in a generic build, and the same loop compiled
//!   for the host's SIMD level at run time (what `target-cpu=native` gives);
//! * the same GEMM as 16³ and 8³ tiles (`tzero`; per K step `ld.raw`, `ld.raw`, `bsmac`;
//!   `st.raw`), as the time per MAC relative to the single `bsmac`;
//! * a tight scalar loop (`xor`, `add`, `addi`, `dbnz`), in ns per iteration: functional,
//!   with the timing model, and with the timing model recording a timeline (as `bitloom run
//!   --timeline`); wasmi's time for the same loop comes from `scripts/wasmi-loop/`, kept out
//!   of CI;
//! * the cost of a machine snapshot.
//!
//! Every program's result is checked against the native loop, so equal work is compared.
//! Times are this thread's CPU time (not wall time), so other load on the machine does not
//! inflate them.

use std::hint::black_box;
use std::time::Duration;

use cpu_time::ThreadTime as Instant;

use bitloom_emu::commit::MemSpace;
use bitloom_emu::hw::HwConfig;
use bitloom_emu::machine::Machine;
use bitloom_isa::image::Image;
use bitloom_programs::{
    gemm_image, native_gemm, native_gemm_bt, native_gemm_bt_simd, rand_i8, scalar_loop_image,
    tiled_gemm_image, untile_c, TILED_C_ADDR,
};

/// Run `img` to `halt 0`; the machine afterwards and the wall time.
fn run(img: &Image, hw: &HwConfig, timing: bool) -> Result<(Machine, Duration), String> {
    run_with(img, hw, timing, false)
}

/// [`run`], optionally recording a timeline (as `bitloom run --timeline`; needs `timing`).
fn run_with(
    img: &Image,
    hw: &HwConfig,
    timing: bool,
    timeline: bool,
) -> Result<(Machine, Duration), String> {
    let mut m = Machine::new(hw, img).map_err(|e| e.to_string())?;
    if timing {
        m.enable_timing();
    }
    if let (true, Some(t)) = (timeline, m.timing.as_mut()) {
        t.enable_timeline(bitloom_emu::run::TIMELINE_LIMIT);
    }
    let t = Instant::now();
    let r = m.run_fast(u64::MAX).map_err(|e| e.to_string())?;
    let d = t.elapsed();
    if r != Some(0) {
        return Err(format!("benchmark program did not halt with 0: {r:?}"));
    }
    Ok((m, d))
}

/// Median of a list of timings.
fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// The host SIMD level the runtime-dispatched loops use.
fn simd_level() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vl")
        {
            return "AVX-512BW";
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            return "AVX2";
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        return "NEON";
    }
    #[allow(unreachable_code)]
    "generic"
}

/// One variant of a timed comparison.
struct Row {
    name: String,
    times: Vec<Duration>,
}

/// Run `bench emu`.
pub fn bench_emu(size: u32, scalar_iters: u32) -> Result<String, String> {
    let hw = HwConfig::default();
    let s = size as usize;
    let w = rand_i8(s * s, 1);
    let a = rand_i8(s * s, 2);
    let mut at = vec![0i8; s * s];
    for k in 0..s {
        for n in 0..s {
            at[n * s + k] = a[k * s + n];
        }
    }
    let macs = (s * s * s) as f64;
    let mut want = vec![0i32; s * s];
    native_gemm(s, s, s, &w, &a, &mut want);
    let single = gemm_image(size, size, size, &w, &a);
    let tiles: Vec<u32> = [16u32, 8]
        .into_iter()
        .filter(|t| size.is_multiple_of(*t) && size >= *t)
        .collect();
    let tiled: Vec<Image> = tiles
        .iter()
        .map(|&t| tiled_gemm_image(size, t, &w, &a))
        .collect();
    // Check every program once (and warm up).
    let (m, _) = run(&single, &hw, false)?;
    let acc = m.mem(MemSpace::Acc).read_vec(0, 4 * s * s);
    let c: Vec<i32> = acc
        .chunks_exact(4)
        .map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    if c != want {
        return Err("the single-bsmac GEMM disagrees with the native loop".into());
    }
    for (img, &t) in tiled.iter().zip(&tiles) {
        let (m, _) = run(img, &hw, false)?;
        let c = m
            .read_dram(TILED_C_ADDR, 4 * size * size)
            .map_err(|e| e.to_string())?;
        if untile_c(size, t, &c) != want {
            return Err(format!(
                "the {t}³-tiled GEMM disagrees with the native loop"
            ));
        }
    }

    let mut rows: Vec<Row> = Vec::new();
    let names = [
        "native m-k-n loop (naive)".to_string(),
        "native B-transposed dot, generic build".to_string(),
        format!("native B-transposed dot, {} at run time", simd_level()),
        "emulator, one bsmac, functional".to_string(),
        "emulator, one bsmac, timing model".to_string(),
    ];
    for n in names {
        rows.push(Row {
            name: n,
            times: Vec::new(),
        });
    }
    for &t in &tiles {
        for mode in ["functional", "timing model"] {
            rows.push(Row {
                name: format!("emulator, {t}³ tiles, {mode}"),
                times: Vec::new(),
            });
        }
    }
    let reps = 5;
    let mut c = vec![0i32; s * s];
    for _ in 0..reps {
        let mut i = 0;
        let mut time = |rows: &mut Vec<Row>, d: Duration| {
            rows[i].times.push(d);
            i += 1;
        };
        let t0 = Instant::now();
        c.fill(0);
        native_gemm(s, s, s, black_box(&w), black_box(&a), &mut c);
        black_box(&c);
        time(&mut rows, t0.elapsed());
        let t0 = Instant::now();
        c.fill(0);
        native_gemm_bt(s, s, s, black_box(&w), black_box(&at), &mut c);
        black_box(&c);
        time(&mut rows, t0.elapsed());
        let t0 = Instant::now();
        c.fill(0);
        native_gemm_bt_simd(s, s, s, black_box(&w), black_box(&at), &mut c);
        black_box(&c);
        time(&mut rows, t0.elapsed());
        time(&mut rows, run(&single, &hw, false)?.1);
        time(&mut rows, run(&single, &hw, true)?.1);
        for img in &tiled {
            time(&mut rows, run(img, &hw, false)?.1);
            time(&mut rows, run(img, &hw, true)?.1);
        }
    }
    let med: Vec<Duration> = rows.iter().map(|r| median(r.times.clone())).collect();
    let ns_per_mac = |d: Duration| d.as_secs_f64() * 1e9 / macs;
    let mut out = format!(
        "dense int8 GEMM {size}x{size}x{size} ({:.1} M MACs), median of {reps} interleaved runs, ns per MAC:\n",
        macs / 1e6
    );
    let simd = med[2];
    for (i, r) in rows.iter().enumerate() {
        let note = match i {
            0 | 1 => format!(
                "{:.2}x the SIMD loop's time",
                med[i].as_secs_f64() / simd.as_secs_f64()
            ),
            2 => "yardstick".to_string(),
            3 => format!(
                "{:.2}x the SIMD loop (target <= 1.5x)",
                med[3].as_secs_f64() / simd.as_secs_f64()
            ),
            4 => format!(
                "{:.2}x the SIMD loop (target <= 2.5x)",
                med[4].as_secs_f64() / simd.as_secs_f64()
            ),
            _ => {
                let k = i - 5;
                let (t, timing) = (tiles[k / 2], k % 2 == 1);
                let base = if timing { med[4] } else { med[3] };
                let target = match (t, timing) {
                    (16, false) => "1.5x",
                    (16, true) => "2x",
                    (_, false) => "3x",
                    (_, true) => "4x",
                };
                format!(
                    "{:.2}x the single bsmac (target <= {target}); {:.2}x the SIMD loop",
                    med[i].as_secs_f64() / base.as_secs_f64(),
                    med[i].as_secs_f64() / simd.as_secs_f64()
                )
            }
        };
        out.push_str(&format!(
            "  {:<48} {:>7.3}  ({note})\n",
            r.name,
            ns_per_mac(med[i])
        ));
    }

    // Scalar loop.
    let img = scalar_loop_image(scalar_iters);
    let (mut f, mut t, mut tl) = (Vec::new(), Vec::new(), Vec::new());
    let mut instret = 0;
    for _ in 0..3 {
        let (m, d) = run(&img, &hw, false)?;
        instret = m.instret;
        f.push(d);
        t.push(run(&img, &hw, true)?.1);
        tl.push(run_with(&img, &hw, true, true)?.1);
    }
    let (f, t, tl) = (median(f), median(t), median(tl));
    let per = |d: Duration| d.as_secs_f64() * 1e9 / scalar_iters as f64;
    out.push_str(&format!(
        "scalar loop (xor, add, addi, dbnz) x {scalar_iters}: functional {:.2} ns/iteration ({:.0} M instr/s), timing model {:.2} ns/iteration ({:.2}x), with a timeline {:.2} ns/iteration ({:.2}x)\n  (yardstick: wasmi on the same loop, `scripts/wasmi-loop/run.sh`, optional)\n",
        per(f),
        instret as f64 / f.as_secs_f64() / 1e6,
        per(t),
        t.as_secs_f64() / f.as_secs_f64(),
        per(tl),
        tl.as_secs_f64() / f.as_secs_f64()
    ));
    out.push_str(&snapshot_cost(&single, &hw)?);
    Ok(out)
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
    let touched: usize = MemSpace::ALL
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
