//! `bitloom run`'s loop: run a machine to `halt`, a trap or a step/cycle limit through the
//! session layer ([`crate::session`]), optionally writing a commit log and recording a
//! timeline, and report the outcome with statistics. Progress is a callback; this module
//! prints nothing.

use std::io::Write;
use std::time::{Duration, Instant};

use crate::machine::Machine;
use crate::session::{self, Control, Progress, StopReason, Stops};
use crate::stats::Stats;
use crate::timing::TimelineEvent;
use crate::trace;
use crate::trap::Trap;

/// Instructions per fast-loop call between limit and progress checks.
pub const CHUNK: u64 = session::CHUNK;

/// Timeline events kept at most by default (later ones are counted as dropped); about
/// 40 bytes each in memory, 150 in the JSON file. [`RunOptions::timeline_limit`] (CLI:
/// `--timeline-limit`) changes it.
pub const TIMELINE_LIMIT: usize = 4_000_000;

/// How to run.
pub struct RunOptions {
    /// Stop after this many instructions (`StepLimit`).
    pub max_steps: Option<u64>,
    /// Stop once the cycle count passes this (`CycleLimit`).
    pub max_cycles: Option<u64>,
    /// Write a commit log here (docs/TRACE.md: a version line, one line per retired
    /// instruction, the machine state after a trap).
    pub trace: Option<Box<dyn Write>>,
    /// Add the element values of every tile an instruction writes to the commit log
    /// (`--trace-data`; at most [`trace::DATA_LIMIT`] per tile).
    pub trace_data: bool,
    /// Record a unit timeline (needs the timing model) into [`RunReport::timeline`].
    pub timeline: bool,
    /// Most timeline events kept (the rest are counted in [`RunReport::timeline_dropped`]).
    pub timeline_limit: usize,
    /// Called every few thousand instructions (the CLI draws a progress line with it).
    pub progress: Option<Box<dyn FnMut(Progress)>>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            max_steps: None,
            max_cycles: None,
            trace: None,
            trace_data: false,
            timeline: false,
            timeline_limit: TIMELINE_LIMIT,
            progress: None,
        }
    }
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
        crate::timeline_json::chrome_trace(&self.timeline, self.timeline_dropped)
    }
}

/// Run `machine` until it halts, traps or reaches a limit; see [`RunOptions`].
pub fn run(machine: &mut Machine, opts: &mut RunOptions) -> RunReport {
    let t0 = Instant::now();
    if opts.timeline {
        if let Some(t) = machine.timing.as_mut() {
            t.enable_timeline(opts.timeline_limit);
        }
    }
    let mut trace_error: Option<String> = None;
    let reason = {
        let mut progress = opts.progress.take();
        let mut progress_fn = |p: Progress| {
            if let Some(f) = progress.as_mut() {
                f(p)
            }
        };
        let mut stops = Stops {
            max_steps: opts.max_steps,
            max_cycles: opts.max_cycles,
            progress: Some(&mut progress_fn),
            ..Stops::default()
        };
        let trace_data = opts.trace_data;
        match opts.trace.as_mut() {
            Some(w) => {
                let header_error = w.write_all(trace::header().as_bytes()).err();
                let image = machine.image().clone();
                let symbol = move |a: u32| image.label(a);
                let mut on_step = |m: &Machine, step: &crate::Step| {
                    let r = trace::write_commit(
                        w.as_mut(),
                        m.cycle(),
                        step.pc,
                        step.word,
                        &step.instr,
                        &step.commit,
                        &symbol,
                    )
                    .and_then(|()| {
                        if trace_data {
                            w.write_all(trace::data_lines(m, &step.commit).as_bytes())
                        } else {
                            Ok(())
                        }
                    });
                    match r {
                        Ok(()) => Control::Continue,
                        Err(e) => {
                            trace_error = Some(e.to_string());
                            Control::Stop
                        }
                    }
                };
                stops.on_step = Some(&mut on_step);
                if let Some(e) = header_error {
                    trace_error = Some(e.to_string());
                    StopReason::Predicate
                } else {
                    session::run(machine, &mut stops).reason
                }
            }
            None => session::run(machine, &mut stops).reason,
        }
    };
    if let Some(w) = opts.trace.as_mut() {
        if trace_error.is_none() {
            if let Some(t) = reason.as_trap(machine) {
                let lines = trace::trap_lines(machine, machine.cycle(), &t);
                if let Err(e) = w.write_all(lines.as_bytes()) {
                    trace_error = Some(e.to_string());
                }
            }
        }
        if let Err(e) = w.flush() {
            trace_error.get_or_insert(e.to_string());
        }
    }
    let outcome = match (&reason, trace_error) {
        (StopReason::Exited(code), _) => Outcome::Exit(*code),
        (StopReason::Predicate, Some(e)) => Outcome::TraceError(e),
        (r, _) => match r.as_trap(machine) {
            Some(t) => Outcome::Trap(t),
            None => Outcome::TraceError(format!("run stopped: {r:?}")),
        },
    };
    let stats = Stats::collect(
        machine.hw(),
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
