//! The bitloom debugger: a gdb-style REPL over the Loom emulator, with accelerator views
//! (tiles, LUTs, configuration, MAC cost) and exact reverse execution.
//!
//! Layers: [`engine`] (machine, breakpoints, watchpoints, forward and reverse execution on
//! the session layer and [`history`]), [`commands`] (the command language: parsing,
//! dispatch, output — testable without a terminal), [`views`] (read-only text views),
//! [`expr`] (expressions), [`reads`] (what an instruction reads, for `rwatch`), and
//! [`repl`] (rustyline: history file, completion, hints, colour); [`dap`] serves the same
//! session to editors over the Debug Adapter Protocol.

pub mod commands;
pub mod dap;
pub mod engine;
pub mod expr;
pub mod history;
pub mod reads;
pub mod repl;
pub mod views;

pub use commands::Session;
