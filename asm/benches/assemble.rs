//! Assembler throughput: a generated 1,000,000-line program (see `bitloom_asm::gen`).

use std::time::Duration;

use bitloom_asm::{assemble_str, gen, Options};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn bench(c: &mut Criterion) {
    const LINES: usize = 1_000_000;
    let src = gen::program(LINES, 42);
    let opts = Options::default();
    let mut g = c.benchmark_group("assemble");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.throughput(Throughput::Elements(LINES as u64));
    g.bench_function("1M lines", |b| {
        b.iter(|| {
            let out = assemble_str("gen.s", &src, &opts).expect("generated program assembles");
            assert!(out.stats.instructions > 0);
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
