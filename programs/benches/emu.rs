//! Criterion benchmark: a dense int8 `bsmac` GEMM (256×256×256) on the emulator, functional
//! only and with the timing model, beside a plain native i8×i8→i32 loop on the same data;
//! and a tight scalar loop. Throughput is in elements = MACs (or instructions).

use bitloom_emu::hw::HwConfig;
use bitloom_emu::machine::Machine;
use bitloom_emu::timing::Timing;
use std::hint::black_box;

use bitloom_programs::{gemm_image, native_gemm, rand_i8, scalar_loop_image};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

const S: u32 = 256;

fn gemm(c: &mut Criterion) {
    let hw = HwConfig::default();
    let w = rand_i8((S * S) as usize, 1);
    let a = rand_i8((S * S) as usize, 2);
    let img = gemm_image(S, S, S, &w, &a);
    let mut g = c.benchmark_group("gemm_int8_256");
    g.sample_size(10);
    g.throughput(Throughput::Elements(S as u64 * S as u64 * S as u64));
    g.bench_function("native_loop", |b| {
        let mut out = vec![0i32; (S * S) as usize];
        b.iter(|| {
            out.fill(0);
            native_gemm(
                S as usize,
                S as usize,
                S as usize,
                black_box(&w),
                black_box(&a),
                &mut out,
            );
            black_box(&out);
        })
    });
    for timing in [false, true] {
        let name = if timing {
            "emulator_timing"
        } else {
            "emulator_functional"
        };
        g.bench_function(name, |b| {
            b.iter(|| {
                let mut m = Machine::new(&hw, &img).expect("bench image loads");
                if timing {
                    m.timing = Some(Timing::new(&hw));
                }
                let r = m.run_fast(u64::MAX).expect("bench program runs");
                assert_eq!(r, Some(0));
            })
        });
    }
    g.finish();
}

fn scalar(c: &mut Criterion) {
    let hw = HwConfig::default();
    let iters = 5_000_000;
    let img = scalar_loop_image(iters);
    let mut g = c.benchmark_group("scalar_loop");
    g.sample_size(10);
    g.throughput(Throughput::Elements(3 * iters as u64));
    g.bench_function("functional", |b| {
        b.iter(|| {
            let mut m = Machine::new(&hw, &img).expect("bench image loads");
            assert_eq!(m.run_fast(u64::MAX).expect("runs"), Some(0));
        })
    });
    g.finish();
}

criterion_group!(benches, gemm, scalar);
criterion_main!(benches);
