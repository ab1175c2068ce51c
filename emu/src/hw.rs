//! Hardware configuration: sizes, bandwidths, latencies and energies, read from TOML.
//! (Memory section only so far; the timing-model work extends this file.)

use serde::{Deserialize, Serialize};

/// Memory sizes and parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MemConfig {
    /// DRAM size in bytes.
    pub dram_bytes: u32,
    /// Weight scratchpad bytes.
    pub wsp_bytes: u32,
    /// Activation scratchpad bytes.
    pub asp_bytes: u32,
    /// Accumulator scratchpad bytes.
    pub acc_bytes: u32,
}

impl Default for MemConfig {
    fn default() -> Self {
        MemConfig {
            dram_bytes: 64 << 20,
            wsp_bytes: 1 << 20,
            asp_bytes: 1 << 20,
            acc_bytes: 4 << 20,
        }
    }
}

/// The whole hardware description.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HwConfig {
    /// Memory hierarchy.
    pub mem: MemConfig,
}
