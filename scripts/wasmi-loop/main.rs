//! The scalar-loop yardstick of `bitloom bench emu`: wasmi (a Rust WebAssembly interpreter)
//! running the same loop — xor, add, add-immediate, counted branch — in ns per iteration.
//! Built and run by run.sh in a scratch cargo project (not part of the workspace or CI).

use std::time::Instant;

const WAT: &str = r#"
(module
  (func (export "run") (param $n i32) (result i32)
    (local $a i32) (local $b i32) (local $c i32)
    (loop $top
      (local.set $b (i32.xor (local.get $b) (local.get $a)))
      (local.set $a (i32.add (local.get $a) (local.get $n)))
      (local.set $c (i32.add (local.get $c) (i32.const 3)))
      (local.tee $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $top))
    (i32.add (local.get $b) (local.get $c))))
"#;

fn main() {
    let iters: i32 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(50_000_000);
    let wasm = wat::parse_str(WAT).expect("valid wat");
    let engine = wasmi::Engine::default();
    let module = wasmi::Module::new(&engine, &wasm[..]).expect("module");
    let mut store = wasmi::Store::new(&engine, ());
    let linker = wasmi::Linker::<()>::new(&engine);
    let instance = linker
        .instantiate_and_start(&mut store, &module)
        .expect("instance");
    let run = instance
        .get_typed_func::<i32, i32>(&store, "run")
        .expect("run");
    let mut best = f64::MAX;
    for _ in 0..3 {
        let t = Instant::now();
        let r = run.call(&mut store, iters).expect("call");
        std::hint::black_box(r);
        best = best.min(t.elapsed().as_secs_f64());
    }
    println!(
        "wasmi {}: {:.2} ns/iteration ({iters} iterations, best of 3)",
        env!("WASMI_VERSION"),
        best * 1e9 / iters as f64
    );
}
