//! (crate being built; see docs/ARCHITECTURE.md)
