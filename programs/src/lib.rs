//! Bundled Loom programs and the program test runner.
//!
//! - [`runner`]: `bitloom test` — discovers test programs, runs them in parallel against
//!   their expectations (self-checking exit code or a `NAME.expect.toml` beside the
//!   program), and reports as text, JSON lines or JUnit XML. docs/TESTING.md is the
//!   user-facing description.
//! - The kernel library lives in `programs/` beside this crate (`examples/`, `conformance/`,
//!   `kernels/`); [`programs_dir`] finds it.
//! - [`synth`]: synthetic benchmark programs built from the instruction table.

pub mod runner;
pub mod sweep;
pub mod synth;

pub use synth::{
    gemm_image, native_gemm, native_gemm_bt, native_gemm_bt_simd, rand_i8, scalar_loop_image,
    tiled_gemm_image, untile_c, TILED_C_ADDR,
};

/// Directory of the bundled example kernels.
pub fn examples_dir() -> std::path::PathBuf {
    programs_dir().join("examples")
}

/// The bundled program library (`programs/`): the default path of `bitloom test`.
pub fn programs_dir() -> std::path::PathBuf {
    std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}
