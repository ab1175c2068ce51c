//! `bitloom._native`: the Python extension module of the `bitloom` package (PyO3).
//!
//! Type conversion only: every operation calls the engine the CLI uses —
//! `bitloom_asm` (assemble, `load::load_program`), `bitloom_emu::session` (`new_machine`,
//! `run` with `Stops`), `Machine::tile_codes`/`tile_values`, `Stats::to_json`, and
//! `bitloom_quant::quantize`. Arrays are copied in and out (no Python object aliases
//! emulator memory). The Python-side package (`python/bitloom/`) re-exports these names and
//! holds the type stubs; docs/PYTHON.md documents the API.
//!
//! * `program`: `assemble`, `load`, `Program`, `AssemblyError`.
//! * `machine`: `Machine`, `StopReason`, `TileView`, `Snapshot`, `Trap`.
//! * `quant`: the quantisers (`quant_int`, … re-exported as `bitloom.quant.int`, …).
//! * `convert`: NumPy dtypes and byte buffers, hardware descriptions from dicts.

mod convert;
mod machine;
mod program;
mod quant;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add("AssemblyError", py.get_type::<program::AssemblyError>())?;
    m.add("Trap", py.get_type::<machine::Trap>())?;
    m.add_function(wrap_pyfunction!(program::assemble, m)?)?;
    m.add_function(wrap_pyfunction!(program::load, m)?)?;
    m.add_class::<program::Program>()?;
    m.add_class::<program::Symbol>()?;
    m.add_class::<program::Diagnostic>()?;
    m.add_class::<machine::Machine>()?;
    m.add_class::<machine::StopReason>()?;
    m.add_class::<machine::TileView>()?;
    m.add_class::<machine::Snapshot>()?;
    quant::register(m)?;
    Ok(())
}
