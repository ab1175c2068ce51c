//! The Loom emulator: exact functional semantics of docs/ISA.md plus a cycle-level timing
//! model (docs/TIMING.md), statistics and traces.

pub mod hw;
pub mod timing;
pub mod work;
