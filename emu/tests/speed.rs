//! Speed measurements (ignored by default; run in release):
//! `cargo test -p bitloom-emu --release --test speed -- --ignored --nocapture`.

mod emu_helpers;

use std::hint::black_box;
use std::time::Instant;

use bitloom_emu::hw::HwConfig;
use bitloom_emu::Machine;
use bitloom_isa::csr;
use bitloom_isa::{Opcode, Space};
use emu_helpers::*;

/// Nanoseconds this thread has been on a CPU (Linux), to discount time spent waiting for
/// a core on a shared host.
fn thread_cpu_ns() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    s.split_whitespace().next()?.parse().ok()
}

#[test]
#[ignore]
fn scalar_instructions_per_second() {
    let iters = 50_000_000u32;
    let mut p = Prog::new();
    p.li(1, iters);
    let top = p.here();
    p.i(Opcode::Addi, &[r(2), r(2), imm(1)])
        .i(Opcode::Xor, &[r(3), r(3), r(2)]);
    let off = top as i32 - p.here() as i32;
    p.i(Opcode::Dbnz, &[r(1), rel(off)]).halt(0);
    let mut dt = f64::MAX;
    let mut cpu = f64::MAX;
    let mut m = machine(&p);
    for _ in 0..3 {
        m = machine(&p);
        let c0 = thread_cpu_ns();
        let t0 = Instant::now();
        assert_eq!(m.run_fast(u64::MAX), Ok(Some(0)));
        dt = dt.min(t0.elapsed().as_secs_f64());
        if let (Some(a), Some(b)) = (c0, thread_cpu_ns()) {
            cpu = cpu.min((b - a) as f64 / 1e9);
        }
    }
    println!(
        "scalar (on-CPU time): {:.1} M instr/s",
        m.instret as f64 / cpu / 1e6
    );
    println!(
        "scalar: {} instructions in {:.3} s = {:.1} M instr/s",
        m.instret,
        dt,
        m.instret as f64 / dt / 1e6
    );
}

fn native_gemm(w: &[i8], a: &[i8], acc: &mut [i32], m: usize, k: usize, n: usize) {
    for mi in 0..m {
        let orow = &mut acc[mi * n..(mi + 1) * n];
        for kk in 0..k {
            let wv = w[mi * k + kk] as i32;
            let arow = &a[kk * n..(kk + 1) * n];
            for (o, &x) in orow.iter_mut().zip(arow) {
                *o = o.wrapping_add(wv * x as i32);
            }
        }
    }
}

fn mac_program(m: u32, k: u32, n: u32, reps: u32, wfmt: u32, wprec: u32, slice: u32) -> Prog {
    let mut rng = Rng(99);
    let mut p = Prog::new();
    let wb: Vec<u8> = (0..(m * k * wprec).div_ceil(8))
        .map(|_| rng.next() as u8)
        .collect();
    let ab: Vec<u8> = (0..k * n).map(|_| rng.next() as u8).collect();
    let (wa, aa) = (p.data(&wb), p.data(&ab));
    p.cfgi(csr::WFMT, wfmt).cfgi(csr::WPREC, wprec);
    if slice > 0 {
        p.cfgi(csr::AFMT, 1)
            .cfgi(csr::AZP, 128)
            .cfgi(csr::SLICE, slice)
            .cfgi(csr::SFREQ, 255);
    }
    p.tdef(1, Space::Wsp, 0, m, k)
        .ld_raw(1, wa)
        .tdef(2, Space::Asp, 0, k, n)
        .ld_raw(2, aa)
        .tdef(0, Space::Acc, 0, m, n)
        .li(1, reps);
    let top = p.here();
    p.i(Opcode::Bsmac, &[t(0), t(1), t(2)]);
    let off = top as i32 - p.here() as i32;
    p.i(Opcode::Dbnz, &[r(1), rel(off)]).halt(0);
    p
}

fn time_mac(label: &str, prog: &Prog, macs: f64) -> f64 {
    let mut dt = f64::MAX;
    for _ in 0..3 {
        let mut m = Machine::new(&HwConfig::default(), &prog.image()).unwrap();
        let t0 = Instant::now();
        assert_eq!(m.run_fast(u64::MAX), Ok(Some(0)));
        dt = dt.min(t0.elapsed().as_secs_f64());
    }
    println!("{label}: {:.2} GMAC/s", macs / dt / 1e9);
    macs / dt
}

#[test]
#[ignore]
fn mac_throughput_vs_native() {
    let (m, k, n, reps) = (64usize, 256usize, 64usize, 200u32);
    let macs = (m * k * n) as f64 * reps as f64;
    let mut rng = Rng(5);
    let w: Vec<i8> = (0..m * k).map(|_| rng.next() as i8).collect();
    let a: Vec<i8> = (0..k * n).map(|_| rng.next() as i8).collect();
    let mut acc = vec![0i32; m * n];
    let (mu, ku, nu) = (m as u32, k as u32, n as u32);
    let int8 = mac_program(mu, ku, nu, reps, 0, 8, 0);
    // Interleave native and emulated runs (the host may be shared); keep the best of each.
    let (mut native, mut native_const, mut emu) = (0f64, 0f64, 0f64);
    for _ in 0..5 {
        let t0 = Instant::now();
        for _ in 0..reps {
            native_gemm(
                black_box(&w),
                black_box(&a),
                black_box(&mut acc),
                64,
                256,
                64,
            );
        }
        native_const = native_const.max(macs / t0.elapsed().as_secs_f64());
        let t0 = Instant::now();
        for _ in 0..reps {
            let (bm, bk, bn) = (black_box(m), black_box(k), black_box(n));
            native_gemm(
                black_box(&w),
                black_box(&a),
                black_box(&mut acc),
                bm,
                bk,
                bn,
            );
        }
        native = native.max(macs / t0.elapsed().as_secs_f64());
        emu = emu.max(time_mac("emulated bsmac int8 dense", &int8, macs));
    }
    black_box(&acc);
    println!(
        "native i8 GEMM {m}x{k}x{n}: {:.2} GMAC/s (sizes known at run time), {:.2} GMAC/s (sizes compile-time constants)",
        native / 1e9,
        native_const / 1e9
    );
    println!(
        "best emulated int8: {:.2} GMAC/s -> native / emulator = {:.2}x (run-time sizes), {:.2}x (constant sizes)",
        emu / 1e9,
        native / emu,
        native_const / emu
    );
    time_mac(
        "emulated bsmac int4",
        &mac_program(mu, ku, nu, reps, 0, 4, 0),
        macs,
    );
    time_mac(
        "emulated bsmac log4 (shifts)",
        &mac_program(mu, ku, nu, reps, 2, 4, 0),
        macs,
    );
    time_mac(
        "emulated bsmac uint8, bit-slice s=4, sfreq=auto (random data)",
        &mac_program(mu, ku, nu, reps, 0, 8, 4),
        macs,
    );
}
