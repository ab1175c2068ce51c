//! Cost of the data-dependent MAC timing model versus a native GEMM of the same shape
//! (the emulator's speed target: timing mode within 2x of a native GEMM).

use bitloom_emu::hw::HwConfig;
use bitloom_emu::timing::Timing;
use bitloom_emu::work::{MacWork, Work};
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::Opcode;
use criterion::{criterion_group, criterion_main, Criterion};
use std::hint::black_box;

const M: usize = 64;
const K: usize = 256;
const N: usize = 64;

fn data() -> (Vec<u8>, Vec<u8>) {
    let mut s = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let w = (0..M * K).map(|_| 1 + (next() % 255) as u8).collect();
    let a = (0..K * N)
        .map(|_| {
            if next() % 10 < 3 {
                0
            } else {
                1 + (next() % 255) as u8
            }
        })
        .collect();
    (w, a)
}

fn native_gemm(w: &[u8], a: &[u8], acc: &mut [i32]) {
    for m in 0..M {
        for k in 0..K {
            let x = w[m * K + k] as i8 as i32;
            let row = &a[k * N..(k + 1) * N];
            let out = &mut acc[m * N..(m + 1) * N];
            for (o, &y) in out.iter_mut().zip(row) {
                *o = o.wrapping_add(x * (y as i8 as i32));
            }
        }
    }
}

fn bench(c: &mut Criterion) {
    let (w, a) = data();
    let mut zero = [false; 256];
    zero[0] = true;
    let mut g = c.benchmark_group("gemm_64x256x64");
    g.bench_function("native_gemm_i8", |b| {
        let mut acc = vec![0i32; M * N];
        b.iter(|| native_gemm(black_box(&w), black_box(&a), &mut acc))
    });
    for (name, skip, serial, fmt) in [
        ("timing_fixed_precision", false, 0, NumFmt::Int),
        ("timing_zero_bit_skip", true, 0, NumFmt::Int),
        ("timing_cluster", true, 0, NumFmt::Cluster),
        ("timing_serial_both", true, 2, NumFmt::Int),
    ] {
        let mut hw = HwConfig::default();
        hw.mac.zero_bit_skip = skip;
        let mut t = Timing::new(&hw);
        g.bench_function(name, |b| {
            b.iter(|| {
                let work = MacWork {
                    m: M,
                    k: K,
                    n: N,
                    w: &w,
                    a: &a,
                    wprec: 8,
                    aprec: 8,
                    wfmt: fmt,
                    afmt: NumFmt::Int,
                    wzero: &zero,
                    azero: &zero,
                    serial,
                    slice: 0,
                    sfreq: 0,
                    ck: 7,
                    vector_scaled: false,
                    vlen: 64,
                };
                t.account(0x1000, Opcode::Bsmac, black_box(&Work::Mac(work)));
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
