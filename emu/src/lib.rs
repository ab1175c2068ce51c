//! The Loom emulator: exact functional semantics of docs/ISA.md plus a cycle-level timing
//! model (docs/TIMING.md), statistics and traces.

mod accel;
pub mod commit;
mod compare;
pub mod dump;
pub mod formats;
pub mod hw;
pub mod hw_doc;
pub mod loader;
pub mod machine;
pub mod mem;
pub mod reference;
pub mod timing;
pub mod trap;
pub mod work;

pub use compare::CompareOptions;
pub use loader::LoadError;
pub use machine::{Lut, Machine, Step, Storage, Tile};
pub use session::{Breakpoints, Stop, StopReason, Stops};
pub use trap::{Trap, TrapKind};
pub mod run;
pub mod session;
pub mod stats;
pub mod timeline_json;
pub mod trace;
