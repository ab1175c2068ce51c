//! Comparing machine states: which architectural part of two machines first differs, and
//! what a clone of a machine costs. Used by snapshot and reverse-execution tests and by the
//! debugger's self-checks.

use crate::commit::MemSpace;
use crate::machine::Machine;

/// What [`Machine::state_difference`] compares besides the architectural state.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CompareOptions {
    /// Also compare pc, retired-instruction and cycle counters, the exit code and the
    /// timing model's counters.
    pub counters: bool,
}

impl Machine {
    /// The first difference between the states of `self` and `other`, described, or
    /// `None` when they are equal: registers, CSRs, tile descriptors, LUTs, DRAM and the
    /// three scratchpads, and with `opts.counters` pc, instret, cycle, exit code and timing
    /// counters.
    pub fn state_difference(&self, other: &Machine, opts: CompareOptions) -> Option<String> {
        if opts.counters {
            if self.pc != other.pc {
                return Some(format!("pc: 0x{:08x} vs 0x{:08x}", self.pc, other.pc));
            }
            if self.instret != other.instret {
                return Some(format!("instret: {} vs {}", self.instret, other.instret));
            }
            if self.cycle() != other.cycle() {
                return Some(format!("cycle: {} vs {}", self.cycle(), other.cycle()));
            }
            if self.exit != other.exit {
                return Some(format!("exit: {:?} vs {:?}", self.exit, other.exit));
            }
            if self.class_counts != other.class_counts {
                return Some("per-class instruction counts differ".into());
            }
            let (ta, tb) = (self.timing.as_ref(), other.timing.as_ref());
            if ta.map(|t| t.counters()) != tb.map(|t| t.counters()) {
                return Some("timing counters differ".into());
            }
        }
        for i in 0..32 {
            if self.regs[i] != other.regs[i] {
                return Some(format!(
                    "r{i}: 0x{:08x} vs 0x{:08x}",
                    self.regs[i], other.regs[i]
                ));
            }
        }
        for n in 0..=255u8 {
            let (a, b) = (self.csr(n), other.csr(n));
            // Counter CSRs are compared with the counters.
            let counter = matches!(
                n,
                bitloom_isa::csr::CYCLE
                    | bitloom_isa::csr::CYCLEH
                    | bitloom_isa::csr::INSTRET
                    | bitloom_isa::csr::INSTRETH
            );
            if a != b && !counter {
                return Some(format!("CSR {n}: {a:?} vs {b:?}"));
            }
        }
        for i in 0..16 {
            if self.tiles[i] != other.tiles[i] {
                return Some(format!("t{i}: {:?} vs {:?}", self.tiles[i], other.tiles[i]));
            }
        }
        for i in 0..4 {
            if self.luts[i] != other.luts[i] {
                return Some(format!("LUT {i} differs"));
            }
        }
        for s in MemSpace::ALL {
            if let Some(a) = self.mem(s).first_difference(other.mem(s)) {
                return Some(format!("{} differs at 0x{a:08x}", s.name()));
            }
        }
        None
    }

    /// Host bytes a clone of this machine allocates: the struct itself, the four page
    /// tables, and the timing model's own allocations. Pages, the predecoded program, the
    /// image and the hardware config are shared, not copied.
    pub fn clone_bytes(&self) -> usize {
        let mut n = std::mem::size_of::<Machine>();
        for s in MemSpace::ALL {
            n += self.mem(s).clone_bytes();
        }
        if let Some(t) = &self.timing {
            n += t.clone_bytes();
        }
        n
    }
}
