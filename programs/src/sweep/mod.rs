//! `bitloom sweep`: design-space sweeps over hardware keys and program parameters, and
//! the results report (docs/RESULTS.md) generated from the sweeps kept in the repository
//! (`programs/sweeps/*.toml`). Format and usage: docs/SWEEP.md.
//!
//! Flow: [`spec::load`] parses a spec (errors name file:line); [`run::points`] expands it
//! into the cartesian product of its axes; [`run::run`] runs every point (or one shard,
//! [`crate::runner::Partition`]) on worker threads — each point's program is a generated
//! wrapper (`.equ` per parameter, `.include` of the kernel, the point's [`data`]) run through
//! the emulator's session layer with the point's hardware description — and returns one
//! [`run::Record`] per point (JSON Lines); [`run::merge`] combines shards; [`report`]
//! turns the sweeps into Markdown and SVG plots ([`plot`]).

pub mod data;
pub mod metrics;
pub mod plot;
pub mod report;
pub mod run;
pub mod spec;

pub use run::{merge, point_name, points, Point, Record};
pub use spec::{load, Spec};

/// Why a sweep could not be run, merged or reported.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    /// A spec file could not be read.
    #[error("{}: {msg}", path.display())]
    Io {
        /// The file.
        path: std::path::PathBuf,
        /// What went wrong.
        msg: String,
    },
    /// A spec file is wrong: `file:line: message`.
    #[error("{loc}: {msg}")]
    Spec {
        /// Where.
        loc: spec::Loc,
        /// What.
        msg: String,
    },
    /// A point's hardware description is invalid.
    #[error("{0}")]
    Hw(String),
    /// A point's program did not assemble or load (rendered diagnostics).
    #[error("{0}")]
    Program(String),
    /// Shard outputs could not be merged.
    #[error("{0}")]
    Merge(String),
    /// The report could not be generated.
    #[error("{0}")]
    Report(String),
}
