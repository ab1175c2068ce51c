//! Run control: the stepping requests check that the move is possible (so a refusal is an
//! error response), the response is sent, then the session's run-control method runs and
//! its [`Event`] becomes a `stopped` event (reason `entry`, `step`, `breakpoint`,
//! `instruction breakpoint`, `data breakpoint`, `exception` with the trap text, `pause`), or
//! `exited` with the exit code followed by `terminated`.

use std::io::Write;

use serde_json::{json, Value};

use super::protocol::{self, StepArgs};
use super::{Adapter, Reply, RunKind};
use crate::engine::{Event, RunState, WatchKind};

impl<W: Write> Adapter<W> {
    /// A forward or backward move without granularity.
    pub(super) fn go(&mut self, c: &str, a: &Value, k: RunKind) -> Result<Reply, String> {
        let _: StepArgs = protocol::args(c, a)?;
        self.check_move(k)?;
        Reply::run(k)
    }

    /// A step with `granularity` (`instruction`, or `line`/`statement`).
    pub(super) fn go_step(
        &mut self,
        c: &str,
        a: &Value,
        k: impl Fn(bool) -> RunKind,
    ) -> Result<Reply, String> {
        let sa: StepArgs = protocol::args(c, a)?;
        let instr = match sa.granularity.as_deref() {
            None | Some("line") | Some("statement") => false,
            Some("instruction") => true,
            Some(g) => return Err(format!("unknown stepping granularity `{g}`")),
        };
        let k = k(instr);
        self.check_move(k)?;
        Reply::run(k)
    }

    /// Refuse a move that cannot happen, with the reason.
    fn check_move(&mut self, k: RunKind) -> Result<(), String> {
        if !self.configured {
            return Err("the program has not started: send `configurationDone` first".into());
        }
        let s = self.session();
        let backward = matches!(k, RunKind::ReverseContinue | RunKind::StepBack { .. });
        if backward {
            if s.dbg.m.instret == s.dbg.hist.oldest() {
                return Err(format!("{}.", crate::engine::NO_HISTORY));
            }
            return Ok(());
        }
        match &s.dbg.state {
            RunState::Stopped => {}
            RunState::Exited(c) => {
                return Err(format!(
                    "the program has exited (code {c}): restart it, or step back"
                ))
            }
            RunState::Trapped(_) => {
                return Err(
                    "the program is stopped at a trapping instruction: restart, step back, or change the cause with setVariable (the instruction is then tried again)"
                        .into(),
                )
            }
        }
        if k == RunKind::StepOut {
            s.check_finish()?;
        }
        Ok(())
    }

    /// Run, then report the stop.
    pub(super) fn run(&mut self, k: RunKind) -> std::io::Result<()> {
        let no_debug = self.no_debug;
        let s = self.session();
        let r = match k {
            RunKind::Entry => Ok(Event::Done),
            RunKind::Continue => Ok(s.dbg.forward(None, !no_debug, &mut |_, _| false, false)),
            RunKind::ReverseContinue => s.dbg.reverse_continue(),
            RunKind::StepIn { instr: true } => s.stepi(1, false),
            RunKind::StepIn { instr: false } => s.step_lines(1, false),
            RunKind::Next { instr: true } => s.stepi(1, true),
            RunKind::Next { instr: false } => s.step_lines(1, true),
            RunKind::StepOut => s.finish(),
            RunKind::StepBack { instr: true } => s.reverse_stepi(1, false),
            RunKind::StepBack { instr: false } => s.reverse_step(1, true),
        };
        match r {
            Ok(ev) => self.report(k, ev),
            Err(e) => {
                // Refused after the response (rare: checked before); the editor waits for a
                // stop, so report one where the machine is.
                self.output("stderr", &format!("{e}\n"))?;
                self.stopped("step", Some(e), None, Vec::new())
            }
        }
    }

    fn stopped(
        &mut self,
        reason: &str,
        description: Option<String>,
        text: Option<String>,
        ids: Vec<u32>,
    ) -> std::io::Result<()> {
        let mut b = json!({"reason": reason, "threadId": 1, "allThreadsStopped": true});
        if let Some(d) = description {
            b["description"] = json!(d);
        }
        if let Some(t) = text {
            b["text"] = json!(t);
        }
        if !ids.is_empty() {
            b["hitBreakpointIds"] = json!(ids);
        }
        self.send_event("stopped", b)
    }

    /// The events for a stop.
    fn report(&mut self, k: RunKind, ev: Event) -> std::io::Result<()> {
        match ev {
            Event::Done if k == RunKind::Entry => self.stopped("entry", None, None, Vec::new()),
            Event::Done => self.stopped("step", None, None, Vec::new()),
            Event::Exited(c) => {
                self.send_event("exited", json!({"exitCode": c}))?;
                self.terminated = true;
                self.send_event("terminated", Value::Null)
            }
            Event::Trapped(t) if t.kind == bitloom_emu::TrapKind::Breakpoint => self.stopped(
                "breakpoint",
                Some(format!("ebreak at 0x{:08x}", t.pc)),
                None,
                Vec::new(),
            ),
            Event::Trapped(t) => {
                let text = t.render(self.session().dbg.m.image());
                self.last_trap = Some(t.clone());
                self.output("stderr", &text)?;
                self.stopped(
                    "exception",
                    Some(format!("Trap: {}", t.kind)),
                    Some(text),
                    Vec::new(),
                )
            }
            Event::Breakpoint(id) => {
                let reason = if self.instr_bps.contains(&id) {
                    "instruction breakpoint"
                } else {
                    "breakpoint"
                };
                self.stopped(reason, Some(format!("Breakpoint {id}")), None, vec![id])
            }
            Event::Watch { id, old, new, read } => {
                let w = self.session().dbg.watches.iter().find(|w| w.id == id);
                let (kind, name) = w.map_or(("Watchpoint", String::new()), |w| {
                    (
                        match w.kind {
                            WatchKind::Write => "Hardware watchpoint",
                            WatchKind::Read => "Hardware read watchpoint",
                            WatchKind::Access => "Hardware access (read/write) watchpoint",
                        },
                        w.text.clone(),
                    )
                });
                let text = if read {
                    format!("Value = {new}")
                } else {
                    format!("Old value = {old}\nNew value = {new}")
                };
                self.stopped(
                    "data breakpoint",
                    Some(format!("{kind} {id}: {name}")),
                    Some(text),
                    vec![id],
                )
            }
            Event::HistoryStart => self.stopped(
                "step",
                Some("No more reverse-execution history".into()),
                None,
                Vec::new(),
            ),
            Event::Interrupted => self.stopped("pause", None, None, Vec::new()),
        }
    }

    pub(super) fn exception_info(&mut self) -> Result<Reply, String> {
        let state = self.session().dbg.state.clone();
        let t = match (&state, &self.last_trap) {
            (RunState::Trapped(t), _) => t.clone(),
            (_, Some(t)) => t.clone(),
            _ => return Err("no exception: the program is not stopped at a trap".into()),
        };
        let text = t.render(self.session().dbg.m.image());
        Reply::body(json!({
            "exceptionId": "trap",
            "description": t.kind.to_string(),
            "breakMode": "always",
            "details": {"message": text},
        }))
    }
}
