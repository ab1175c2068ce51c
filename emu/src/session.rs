//! The session layer: build a machine for a program and a hardware description, and run it
//! until a stop condition — halt, trap, pc breakpoint, a predicate over each retired
//! instruction's change record (watchpoints), a step or cycle limit, or a cancel flag —
//! reporting *why* it stopped.
//!
//! `bitloom run` ([`crate::run`]), the debugger, the program test runner and the tests all
//! run machines through [`run`]. It prints nothing: progress is a callback the caller
//! renders.
//!
//! **Speed.** Without a predicate the loop runs [`Machine::run_until`] in chunks of
//! [`CHUNK`] instructions: with no breakpoints that is the plain fast loop; breakpoints add
//! one bitmap test per instruction. Limits, the cancel flag and the progress callback are
//! looked at between chunks, so a cycle limit stops at the first chunk boundary past it. A
//! predicate needs change records, so every instruction is then stepped with
//! [`Machine::step`] and every limit is exact.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use bitloom_isa::image::Image;

use crate::hw::HwConfig;
use crate::loader::LoadError;
use crate::machine::{FastStop, Machine, Step};
use crate::trap::{Trap, TrapKind};

/// Instructions per fast-loop call between limit, cancel and progress checks.
pub const CHUNK: u64 = 4096;

/// How to build a machine.
#[derive(Clone, Debug, Default)]
pub struct MachineOptions {
    /// Run the cycle-level timing model.
    pub timing: bool,
    /// Checked mode: every accelerator instruction is recomputed by the reference.
    pub checked: bool,
}

/// Reset a machine for `hw`, load `image`, and set the timing model and checked mode.
pub fn new_machine(
    hw: &HwConfig,
    image: &Image,
    opts: &MachineOptions,
) -> Result<Machine, LoadError> {
    let mut m = Machine::new(hw, image)?;
    if opts.timing {
        m.enable_timing();
    }
    m.checked = opts.checked;
    Ok(m)
}

/// What a predicate over a retired instruction answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Control {
    /// Keep going.
    Continue,
    /// Stop after this instruction ([`StopReason::Predicate`]).
    Stop,
}

/// Why [`run`] returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// `halt` retired with this exit code.
    Exited(u32),
    /// The instruction at `trap.pc` trapped; the machine is at the faulting instruction
    /// with no architectural effect of it.
    Trapped(Trap),
    /// About to execute a breakpoint address (not yet executed).
    Breakpoint(u32),
    /// The predicate asked to stop after the instruction just retired.
    Predicate,
    /// This many instructions retired in this call.
    StepLimit(u64),
    /// The cycle count passed this limit.
    CycleLimit(u64),
    /// The cancel flag was raised.
    Cancelled,
}

impl StopReason {
    /// The reason as a trap record where it is one (traps, and limits as the CLI reports
    /// them).
    pub fn as_trap(&self, m: &Machine) -> Option<Trap> {
        match self {
            StopReason::Trapped(t) => Some(t.clone()),
            StopReason::StepLimit(limit) => {
                Some(limit_trap(m, TrapKind::StepLimit { limit: *limit }))
            }
            StopReason::CycleLimit(limit) => {
                Some(limit_trap(m, TrapKind::CycleLimit { limit: *limit }))
            }
            _ => None,
        }
    }
}

/// A trap record at the machine's pc for a limit.
pub fn limit_trap(m: &Machine, kind: TrapKind) -> Trap {
    let word = m
        .read_dram(m.pc, 4)
        .ok()
        .map_or(0, |b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]));
    Trap {
        pc: m.pc,
        word,
        kind,
    }
}

/// A set of pc breakpoints.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Breakpoints {
    pcs: BTreeSet<u32>,
}

impl Breakpoints {
    /// No breakpoints.
    pub fn new() -> Breakpoints {
        Breakpoints::default()
    }

    /// Add a breakpoint at `pc`.
    pub fn insert(&mut self, pc: u32) {
        self.pcs.insert(pc);
    }

    /// Remove the breakpoint at `pc`; false if there was none.
    pub fn remove(&mut self, pc: u32) -> bool {
        self.pcs.remove(&pc)
    }

    /// Whether `pc` has a breakpoint.
    pub fn contains(&self, pc: u32) -> bool {
        self.pcs.contains(&pc)
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.pcs.is_empty()
    }

    /// The addresses, ascending.
    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.pcs.iter().copied()
    }
}

impl FromIterator<u32> for Breakpoints {
    fn from_iter<I: IntoIterator<Item = u32>>(it: I) -> Breakpoints {
        Breakpoints {
            pcs: it.into_iter().collect(),
        }
    }
}

/// A progress report, handed to [`Stops::progress`] between chunks.
#[derive(Clone, Copy, Debug)]
pub struct Progress {
    /// Instructions retired in total.
    pub instret: u64,
    /// Current cycle.
    pub cycle: u64,
}

/// When [`run`] stops, besides halt and traps. All fields are optional.
#[derive(Default)]
pub struct Stops<'a> {
    /// Stop before executing any of these addresses — except at the very first
    /// instruction of the call (unless `stop_at_first`), so a stopped session resumes
    /// past its breakpoint.
    pub breakpoints: Option<&'a Breakpoints>,
    /// Also stop at a breakpoint on the first instruction (a run continued from a point
    /// that was not a breakpoint stop, e.g. the end of a previous chunk).
    pub stop_at_first: bool,
    /// Stop after this many instructions retired in this call.
    pub max_steps: Option<u64>,
    /// Stop once the machine's cycle count passes this.
    pub max_cycles: Option<u64>,
    /// Stop when this flag becomes true (checked between chunks or steps).
    pub cancel: Option<Arc<AtomicBool>>,
    /// Called after every retired instruction with its change record; returning
    /// [`Control::Stop`] stops the run. Setting it makes the run step instruction by
    /// instruction.
    #[allow(clippy::type_complexity)]
    pub on_step: Option<&'a mut dyn FnMut(&Machine, &Step) -> Control>,
    /// Called every [`CHUNK`] instructions or so.
    pub progress: Option<&'a mut dyn FnMut(Progress)>,
}

/// The result of [`run`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    /// Why the run stopped.
    pub reason: StopReason,
    /// Instructions retired by this call.
    pub steps: u64,
}

fn cancelled(stops: &Stops<'_>) -> bool {
    stops
        .cancel
        .as_ref()
        .is_some_and(|c| c.load(Ordering::Relaxed))
}

fn cycles_over(m: &Machine, stops: &Stops<'_>) -> Option<u64> {
    let lim = stops.max_cycles?;
    (m.cycle() > lim).then_some(lim)
}

/// Run `m` until it halts, traps or meets one of `stops`; see the module docs.
pub fn run(m: &mut Machine, stops: &mut Stops<'_>) -> Stop {
    let start = m.instret;
    let reason = if stops.on_step.is_some() {
        run_stepped(m, stops, start)
    } else {
        run_chunked(m, stops, start)
    };
    Stop {
        reason,
        steps: m.instret - start,
    }
}

fn run_chunked(m: &mut Machine, stops: &mut Stops<'_>, start: u64) -> StopReason {
    let map = stops
        .breakpoints
        .filter(|b| !b.is_empty())
        .map(|b| m.break_map(b));
    let mut first = !stops.stop_at_first;
    loop {
        if cancelled(stops) {
            return StopReason::Cancelled;
        }
        let done = m.instret - start;
        let budget = match stops.max_steps {
            Some(lim) if done >= lim => return StopReason::StepLimit(lim),
            Some(lim) => (lim - done).min(CHUNK),
            None => CHUNK,
        };
        let r = match &map {
            None => m.run_fast(budget).map(|h| match h {
                Some(code) => FastStop::Halted(code),
                None => FastStop::Budget,
            }),
            Some(map) => m.run_until(budget, map, first),
        };
        first = false;
        match r {
            Ok(FastStop::Halted(code)) => return StopReason::Exited(code),
            Ok(FastStop::Breakpoint(pc)) => return StopReason::Breakpoint(pc),
            Ok(FastStop::Budget) => {}
            Err(t) => return StopReason::Trapped(t),
        }
        if let Some(limit) = cycles_over(m, stops) {
            return StopReason::CycleLimit(limit);
        }
        if let Some(p) = stops.progress.as_mut() {
            p(Progress {
                instret: m.instret,
                cycle: m.cycle(),
            });
        }
    }
}

fn run_stepped(m: &mut Machine, stops: &mut Stops<'_>, start: u64) -> StopReason {
    let mut since = 0u64;
    loop {
        let done = m.instret - start;
        if let Some(lim) = stops.max_steps {
            if done >= lim {
                return StopReason::StepLimit(lim);
            }
        }
        if done > 0 || stops.stop_at_first {
            if let Some(b) = stops.breakpoints {
                if b.contains(m.pc) {
                    return StopReason::Breakpoint(m.pc);
                }
            }
        }
        let step = match m.step() {
            Ok(s) => s,
            Err(t) => return StopReason::Trapped(t),
        };
        let ctl = match stops.on_step.as_mut() {
            Some(f) => f(m, &step),
            None => Control::Continue,
        };
        if let Some(code) = step.halted {
            return StopReason::Exited(code);
        }
        if ctl == Control::Stop {
            return StopReason::Predicate;
        }
        if let Some(limit) = cycles_over(m, stops) {
            return StopReason::CycleLimit(limit);
        }
        since += 1;
        if since >= CHUNK {
            since = 0;
            if cancelled(stops) {
                return StopReason::Cancelled;
            }
            if let Some(p) = stops.progress.as_mut() {
                p(Progress {
                    instret: m.instret,
                    cycle: m.cycle(),
                });
            }
        }
    }
}
