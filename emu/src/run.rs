//! The run loop: run a machine to `halt`, a trap or a step/cycle limit, optionally writing a
//! commit log and recording a timeline, with a progress line on a terminal, and report the
//! outcome with statistics.
//!
//! Without a commit log the loop calls [`Machine::run_fast`] in chunks, so limits and the
//! progress line cost nothing per instruction; the cycle limit is then checked between
//! chunks (at most [`CHUNK`] instructions apart) and the run stops at the first chunk
//! boundary past it. With a commit log every instruction is stepped and checked.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use crate::machine::Machine;
use crate::stats::Stats;
use crate::timing::TimelineEvent;
use crate::trace;
use crate::trap::{Trap, TrapKind};

/// Instructions per `run_fast` call between limit and progress checks.
pub const CHUNK: u64 = 4096;

/// Timeline events kept at most (later ones are counted as dropped).
pub const TIMELINE_LIMIT: usize = 4_000_000;

/// How to run.
#[derive(Default)]
pub struct RunOptions {
    /// Stop after this many instructions (`StepLimit`).
    pub max_steps: Option<u64>,
    /// Stop once the cycle count passes this (`CycleLimit`).
    pub max_cycles: Option<u64>,
    /// Write a commit log here (one line per retired instruction).
    pub trace: Option<Box<dyn Write>>,
    /// Record a unit timeline (needs the timing model) into [`RunReport::timeline`].
    pub timeline: bool,
    /// Print a progress line on stderr every ~0.5 s when stderr is a terminal.
    pub progress: bool,
}

/// Why a run stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `halt` retired with this exit code.
    Exit(u32),
    /// An architectural trap (or a `StepLimit`/`CycleLimit` trap record).
    Trap(Trap),
    /// Writing the commit log failed.
    TraceError(String),
}

impl Outcome {
    /// Process exit status: the exit code's low 8 bits, or 1 for a trap or I/O error.
    pub fn exit_status(&self) -> i32 {
        match self {
            Outcome::Exit(c) => (*c & 0xff) as i32,
            _ => 1,
        }
    }
}

/// The result of [`run`].
#[derive(Clone, Debug)]
pub struct RunReport {
    /// Why the run stopped.
    pub outcome: Outcome,
    /// Statistics at the stop.
    pub stats: Stats,
    /// Recorded timeline (empty unless requested and the timing model is on).
    pub timeline: Vec<TimelineEvent>,
    /// Timeline events that did not fit.
    pub timeline_dropped: u64,
    /// Host wall-clock time of the run.
    pub wall: Duration,
}

impl RunReport {
    /// The timeline as Chrome trace-event JSON.
    pub fn chrome_trace(&self) -> serde_json::Value {
        trace::chrome_trace(&self.timeline, self.timeline_dropped)
    }
}

struct Progress {
    on: bool,
    start: Instant,
    last: Instant,
    shown: bool,
}

impl Progress {
    fn new(want: bool) -> Progress {
        let now = Instant::now();
        Progress {
            on: want && std::io::stderr().is_terminal(),
            start: now,
            last: now,
            shown: false,
        }
    }

    fn tick(&mut self, m: &Machine) {
        if !self.on || self.last.elapsed() < Duration::from_millis(500) {
            return;
        }
        self.last = Instant::now();
        let secs = self.start.elapsed().as_secs_f64().max(1e-9);
        let mips = m.instret as f64 / secs / 1e6;
        let mut e = std::io::stderr().lock();
        let _ = write!(
            e,
            "\r\x1b[2K  {} instructions, {} cycles, {:.1} MIPS, {:.1} s",
            m.instret,
            m.cycle(),
            mips,
            secs
        );
        let _ = e.flush();
        self.shown = true;
    }

    fn finish(&mut self) {
        if self.shown {
            let mut e = std::io::stderr().lock();
            let _ = write!(e, "\r\x1b[2K");
            let _ = e.flush();
        }
    }
}

fn limit_trap(m: &Machine, kind: TrapKind) -> Trap {
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

/// Run `machine` until it halts, traps or reaches a limit; see [`RunOptions`].
pub fn run(machine: &mut Machine, opts: &mut RunOptions) -> RunReport {
    let t0 = Instant::now();
    if opts.timeline {
        if let Some(t) = machine.timing.as_mut() {
            t.enable_timeline(TIMELINE_LIMIT);
        }
    }
    let mut progress = Progress::new(opts.progress);
    let start_steps = machine.instret;
    let outcome = if opts.trace.is_some() {
        run_traced(machine, opts, start_steps, &mut progress)
    } else {
        run_chunked(machine, opts, start_steps, &mut progress)
    };
    progress.finish();
    if let Some(w) = opts.trace.as_mut() {
        let _ = w.flush();
    }
    let stats = Stats::collect(
        &machine_hw(machine),
        machine.timing.as_ref(),
        machine.instret,
        &machine.class_counts,
    );
    let (timeline, timeline_dropped) = match machine.timing.as_mut() {
        Some(t) if opts.timeline => (t.take_timeline(), t.timeline_dropped()),
        _ => (Vec::new(), 0),
    };
    RunReport {
        outcome,
        stats,
        timeline,
        timeline_dropped,
        wall: t0.elapsed(),
    }
}

/// The hardware config for statistics: the timing model's, else the defaults with the
/// machine's memory sizes (energy/clock fields only scale derived numbers).
fn machine_hw(m: &Machine) -> crate::hw::HwConfig {
    match &m.timing {
        Some(t) => t.hw().clone(),
        None => crate::hw::HwConfig::default(),
    }
}

fn cycles_over(m: &Machine, opts: &RunOptions) -> Option<u64> {
    let lim = opts.max_cycles?;
    (m.cycle() > lim).then_some(lim)
}

fn run_chunked(
    m: &mut Machine,
    opts: &RunOptions,
    start_steps: u64,
    progress: &mut Progress,
) -> Outcome {
    loop {
        let done = m.instret - start_steps;
        let budget = match opts.max_steps {
            Some(lim) if done >= lim => {
                return Outcome::Trap(limit_trap(m, TrapKind::StepLimit { limit: lim }))
            }
            Some(lim) => (lim - done).min(CHUNK),
            None => CHUNK,
        };
        match m.run_fast(budget) {
            Ok(Some(code)) => return Outcome::Exit(code),
            Ok(None) => {}
            Err(t) => return Outcome::Trap(t),
        }
        if let Some(limit) = cycles_over(m, opts) {
            return Outcome::Trap(limit_trap(m, TrapKind::CycleLimit { limit }));
        }
        progress.tick(m);
    }
}

fn run_traced(
    m: &mut Machine,
    opts: &mut RunOptions,
    start_steps: u64,
    progress: &mut Progress,
) -> Outcome {
    let image = m.image().clone();
    let symbol = move |a: u32| {
        image.symbolize(a).map(|(s, off)| {
            if off == 0 {
                s.name.clone()
            } else {
                format!("{}+0x{off:x}", s.name)
            }
        })
    };
    let mut since_tick = 0u32;
    loop {
        if let Some(lim) = opts.max_steps {
            if m.instret - start_steps >= lim {
                return Outcome::Trap(limit_trap(m, TrapKind::StepLimit { limit: lim }));
            }
        }
        let step = match m.step() {
            Ok(s) => s,
            Err(t) => return Outcome::Trap(t),
        };
        if let Some(w) = opts.trace.as_mut() {
            let cycle = m.cycle();
            if let Err(e) = trace::write_commit(
                w.as_mut(),
                cycle,
                step.pc,
                step.word,
                &step.instr,
                &step.commit,
                &symbol,
            ) {
                return Outcome::TraceError(e.to_string());
            }
        }
        if let Some(code) = step.halted {
            return Outcome::Exit(code);
        }
        if let Some(limit) = cycles_over(m, opts) {
            return Outcome::Trap(limit_trap(m, TrapKind::CycleLimit { limit }));
        }
        since_tick += 1;
        if since_tick >= 4096 {
            since_tick = 0;
            progress.tick(m);
        }
    }
}
