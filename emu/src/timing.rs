//! Cycle-level timing model (interface only so far; being implemented).

use crate::hw::HwConfig;
use crate::work::Work;
use bitloom_isa::Opcode;

/// Per-unit busy-until timing model fed one retired instruction at a time.
#[derive(Clone, Debug)]
pub struct Timing {
    cycle: u64,
}

impl Timing {
    /// A model for the given hardware.
    pub fn new(_hw: &HwConfig) -> Timing {
        Timing { cycle: 0 }
    }

    /// Account one retired instruction.
    pub fn account(&mut self, _pc: u32, _op: Opcode, _work: &Work<'_>) {
        self.cycle += 1;
    }

    /// Current cycle (what the `cycle` CSR reads).
    pub fn now(&self) -> u64 {
        self.cycle
    }
}
