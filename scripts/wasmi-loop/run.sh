#!/usr/bin/env bash
# Optional yardstick for the scalar-loop row of `bitloom bench emu`: builds wasmi (a Rust
# WebAssembly interpreter, from crates.io; takes a few minutes) in a scratch cargo project,
# runs the same loop (xor, add, add-immediate, counted branch) on it and on bitloom in the
# same run, and prints both in ns per iteration. Not part of CI.
#   scripts/wasmi-loop/run.sh [ITERATIONS] [BITLOOM_BINARY]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
iters="${1:-50000000}"
bitloom="${2:-$here/../../target/release/bitloom}"
work="${WASMI_LOOP_DIR:-${TMPDIR:-/tmp}/bitloom-wasmi-loop}"
mkdir -p "$work/src"
cp "$here/main.rs" "$work/src/main.rs"
cat > "$work/Cargo.toml" <<'TOML'
[package]
name = "wasmi-loop"
version = "0.1.0"
edition = "2021"
[dependencies]
wasmi = "*"
wat = "1"
[profile.release]
codegen-units = 1
TOML
cat > "$work/build.rs" <<'RS'
fn main() {
    let lock = std::fs::read_to_string("Cargo.lock").unwrap_or_default();
    let v = lock
        .split("[[package]]")
        .find(|p| p.contains("name = \"wasmi\""))
        .and_then(|p| p.lines().find(|l| l.starts_with("version")))
        .map(|l| l.trim_start_matches("version = ").trim_matches('"').to_string())
        .unwrap_or_else(|| "?".into());
    println!("cargo:rustc-env=WASMI_VERSION={v}");
    println!("cargo:rerun-if-changed=Cargo.lock");
}
RS
(cd "$work" && cargo build --release --quiet)
"$work/target/release/wasmi-loop" "$iters"
"$bitloom" bench emu --size 16 --scalar-iters "$iters" | grep '^scalar loop'
