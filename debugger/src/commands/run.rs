//! Run-control commands — breakpoints, run/start, continue, stepping forwards and
//! backwards, finish/until/advance — and the stop report printed after each of them.

use std::fmt::Write as _;

use bitloom_emu::{Machine, Step};

use super::{parse_u32, Session};
use crate::engine::{flow, Event, Flow, Pos, RunState, NO_HISTORY};
use crate::expr;
use crate::views;

fn count(a: &str) -> Result<u64, String> {
    let a = a.trim();
    if a.is_empty() {
        return Ok(1);
    }
    let n = parse_u32(a)? as u64;
    if n == 0 {
        return Err("the count must be at least 1".into());
    }
    Ok(n)
}

impl Session {
    pub(super) fn cmd_break(&mut self, a: &str, temp: bool) -> Result<String, String> {
        let (loc, cond) = match a.split_once(" if ") {
            Some((l, c)) => (l.trim(), Some(c.trim())),
            None => (a.trim(), None),
        };
        let (pc, spec) = if loc.is_empty() {
            (self.dbg.m.pc, format!("*0x{:x}", self.dbg.m.pc))
        } else {
            (self.resolve_location(loc)?, loc.to_string())
        };
        let cond = match cond {
            Some(c) => {
                let e = expr::parse(c).map_err(|e| format!("bad condition `{c}`: {e}"))?;
                // Check names now so a typo is reported at once.
                expr::eval(&e, &self.dbg).map_err(|e| format!("bad condition `{c}`: {e}"))?;
                Some((c.to_string(), e))
            }
            None => None,
        };
        let id = self.dbg.add_breakpoint(pc, &spec, cond, temp);
        let kind = if temp {
            "Temporary breakpoint"
        } else {
            "Breakpoint"
        };
        Ok(format!("{kind} {id} at {}\n", self.describe_pc(pc)))
    }

    pub(super) fn cmd_enable(&mut self, a: &str, on: Option<bool>) -> Result<String, String> {
        let ids: Vec<u32> = a
            .split_whitespace()
            .map(parse_u32)
            .collect::<Result<_, _>>()?;
        let known = |id: &u32, d: &crate::engine::Debugger| {
            d.bps.iter().any(|b| b.id == *id) || d.watches.iter().any(|w| w.id == *id)
        };
        if let Some(bad) = ids.iter().find(|i| !known(i, &self.dbg)) {
            return Err(format!("No breakpoint number {bad}."));
        }
        let pick = |id: u32| ids.is_empty() || ids.contains(&id);
        match on {
            None => {
                self.dbg.bps.retain(|b| !pick(b.id));
                self.dbg.watches.retain(|w| !pick(w.id));
            }
            Some(v) => {
                for b in self.dbg.bps.iter_mut().filter(|b| pick(b.id)) {
                    b.enabled = v;
                }
                for w in self.dbg.watches.iter_mut().filter(|w| pick(w.id)) {
                    w.enabled = v;
                }
            }
        }
        Ok(String::new())
    }

    pub(super) fn cmd_run(&mut self, a: &str, go: bool) -> Result<String, String> {
        if !a.trim().is_empty() {
            return Err("`run` takes no arguments (the program and config are fixed when the debugger starts)".into());
        }
        let mut s = self.reload_for_run()?;
        s.push_str(if go {
            "Starting program from reset.\n"
        } else {
            "Reset to the entry point.\n"
        });
        if go {
            let ev = self.dbg.forward(None, true, &mut |_, _| false, false);
            s.push_str(&self.report(ev));
        } else {
            s.push_str(&self.report(Event::Done));
        }
        Ok(s)
    }

    pub(super) fn cmd_continue(&mut self, a: &str) -> Result<String, String> {
        self.dbg.can_run()?;
        let n = count(a)?;
        let mut s = String::new();
        if n > 1 {
            let pc = self.dbg.m.pc;
            if let Some(b) = self.dbg.bps.iter_mut().find(|b| b.pc == pc) {
                b.ignore = n - 1;
                let _ = writeln!(
                    s,
                    "Will ignore next {} crossings of breakpoint {}.",
                    n - 1,
                    b.id
                );
            }
        }
        s.push_str("Continuing.\n");
        let ev = self.dbg.forward(None, true, &mut |_, _| false, false);
        s.push_str(&self.report(ev));
        Ok(s)
    }

    pub(super) fn cmd_stepi(&mut self, a: &str, over: bool) -> Result<String, String> {
        let n = count(a)?;
        let ev = self.stepi(n, over)?;
        Ok(self.report(ev))
    }

    /// Execute `n` instructions (`nexti`: stepping over calls); the stop event.
    pub fn stepi(&mut self, n: u64, over: bool) -> Result<Event, String> {
        self.dbg.can_run()?;
        let mut ev = Event::Done;
        for _ in 0..n {
            ev = if over && self.next_is_call() {
                let mut depth = 0i64;
                self.dbg
                    .forward(None, true, &mut |_, s| track(&mut depth, s) <= 0, true)
            } else {
                self.dbg.forward(Some(1), true, &mut |_, _| false, false)
            };
            if ev != Event::Done {
                break;
            }
        }
        Ok(ev)
    }

    fn next_is_call(&self) -> bool {
        self.dbg
            .m
            .read_dram(self.dbg.m.pc, 4)
            .map(|b| flow(u32::from_le_bytes([b[0], b[1], b[2], b[3]])) == Flow::Call)
            .unwrap_or(false)
    }

    pub(super) fn cmd_step(&mut self, a: &str, over: bool) -> Result<String, String> {
        let n = count(a)?;
        let ev = self.step_lines(n, over)?;
        Ok(self.report(ev))
    }

    /// Execute to the start of a new source line, `n` times (`next`: over calls); the stop
    /// event.
    pub fn step_lines(&mut self, n: u64, over: bool) -> Result<Event, String> {
        self.dbg.can_run()?;
        let mut ev = Event::Done;
        for _ in 0..n {
            let start = self.line_of(self.dbg.m.pc);
            let lines = self.dbg.m.image().lines.clone();
            let mut depth = 0i64;
            let line_at = |m: &Machine| {
                lines
                    .lookup(m.pc)
                    .map(|r| (lines.file_name(r).to_string(), r.line))
            };
            ev = self.dbg.forward(
                None,
                true,
                &mut |m: &Machine, s: &Step| {
                    let d = track(&mut depth, s);
                    if over && d > 0 {
                        return false;
                    }
                    d < 0 || line_at(m) != start || start.is_none()
                },
                true,
            );
            if ev != Event::Done {
                break;
            }
        }
        Ok(ev)
    }

    pub(super) fn cmd_finish(&mut self, a: &str) -> Result<String, String> {
        if !a.trim().is_empty() {
            return Err("`finish` takes no arguments".into());
        }
        self.check_finish()?;
        let mut s = format!("Run till exit from {}\n", self.describe_pc(self.dbg.m.pc));
        let ev = self.finish()?;
        s.push_str(&self.report(ev));
        Ok(s)
    }

    /// Refuse `finish` where it has no meaning.
    pub fn check_finish(&self) -> Result<(), String> {
        self.dbg.can_run()?;
        // gdb refuses `finish` in the outermost frame; it used to run to the end of the
        // program here. Outermost: the pc's function is the one holding the entry point.
        let img = self.dbg.m.image();
        let func = |a: u32| img.symbolize(a).map(|(s, _)| s.value);
        if func(self.dbg.m.pc).is_some() && func(self.dbg.m.pc) == func(img.entry) {
            return Err("\"finish\" not meaningful in the outermost frame.".into());
        }
        Ok(())
    }

    /// Run until the current function returns; the stop event.
    pub fn finish(&mut self) -> Result<Event, String> {
        self.check_finish()?;
        let mut depth = 0i64;
        Ok(self
            .dbg
            .forward(None, true, &mut |_, st| track(&mut depth, st) < 0, true))
    }

    pub(super) fn cmd_until(&mut self, a: &str, advance: bool) -> Result<String, String> {
        self.dbg.can_run()?;
        let target = if a.trim().is_empty() {
            if advance {
                return Err("usage: advance LOCATION".into());
            }
            None
        } else {
            Some(self.resolve_location(a.trim())?)
        };
        let start = self.line_of(self.dbg.m.pc);
        let lines = self.dbg.m.image().lines.clone();
        let mut depth = 0i64;
        let ev = self.dbg.forward(
            None,
            true,
            &mut |m: &Machine, s: &Step| {
                let d = track(&mut depth, s);
                if d < 0 {
                    return true;
                }
                match target {
                    Some(t) => m.pc == t && (advance || d == 0),
                    None => {
                        let now = lines
                            .lookup(m.pc)
                            .map(|r| (lines.file_name(r).to_string(), r.line));
                        d == 0
                            && match (&start, &now) {
                                (Some((f0, l0)), Some((f1, l1))) => f0 != f1 || l1 > l0,
                                _ => true,
                            }
                    }
                }
            },
            true,
        );
        Ok(self.report(ev))
    }

    pub(super) fn cmd_rstepi(&mut self, a: &str, over: bool) -> Result<String, String> {
        let n = count(a)?;
        let ev = self.reverse_stepi(n, over)?;
        Ok(self.report(ev))
    }

    /// Go back `n` instructions (`over`: a call counts as one); the stop event
    /// ([`Event::HistoryStart`] when the history ran out first).
    pub fn reverse_stepi(&mut self, n: u64, over: bool) -> Result<Event, String> {
        let now = self.dbg.m.instret;
        let oldest = self.dbg.hist.oldest();
        if now == oldest {
            return Err(format!("{NO_HISTORY}."));
        }
        if !over {
            let target = now.saturating_sub(n).max(oldest);
            self.dbg.goto(target)?;
            let ev = if now - target < n {
                Event::HistoryStart
            } else {
                Event::Done
            };
            return Ok(ev);
        }
        for _ in 0..n {
            let k = self
                .dbg
                .search_back(&mut |ps: &[Pos]| back_over_calls(ps, ps.len()))
                .ok_or_else(|| format!("{NO_HISTORY}."))?;
            self.dbg.goto(k)?;
        }
        Ok(Event::Done)
    }

    pub(super) fn cmd_rstep(&mut self, a: &str, over: bool) -> Result<String, String> {
        let n = count(a)?;
        let ev = self.reverse_step(n, over)?;
        Ok(self.report(ev))
    }

    /// Go back to the start of the previous source line, `n` times (`over`: skipping
    /// callees); the stop event.
    pub fn reverse_step(&mut self, n: u64, over: bool) -> Result<Event, String> {
        for _ in 0..n {
            let lines = self.dbg.m.image().lines.clone();
            let line = |pc: u32| lines.lookup(pc).map(|r| (r.file, r.line));
            let cur = line(self.dbg.m.pc);
            let k = self.dbg.search_back(&mut |ps: &[Pos]| {
                // Walk back over the current line, then to the first instruction of the
                // previous line's run (skipping callees' instructions for reverse-next).
                let mut i = ps.len();
                let prev = |i: usize| {
                    if over {
                        back_over_calls(ps, i)
                    } else {
                        i.checked_sub(1)
                    }
                };
                let mut j = prev(i)?;
                while line(ps[j].pc) == cur {
                    j = prev(j)?;
                }
                let l = line(ps[j].pc);
                i = j;
                while let Some(p) = prev(i) {
                    if line(ps[p].pc) != l {
                        break;
                    }
                    i = p;
                }
                // A window start may cut the line's run: only accept if there is an earlier
                // different line in the window, or the window is the oldest position.
                Some(i)
            });
            let k = k.ok_or_else(|| format!("{NO_HISTORY}."))?;
            self.dbg.goto(k)?;
        }
        Ok(Event::Done)
    }

    pub(super) fn cmd_rfinish(&mut self, a: &str) -> Result<String, String> {
        if !a.trim().is_empty() {
            return Err("`reverse-finish` takes no arguments".into());
        }
        let k = self
            .dbg
            .search_back(&mut |ps: &[Pos]| {
                let mut depth = 0i64;
                for i in (0..ps.len()).rev() {
                    match ps[i].flow {
                        Flow::Ret => depth += 1,
                        Flow::Call if depth == 0 => return Some(i),
                        Flow::Call => depth -= 1,
                        Flow::Plain => {}
                    }
                }
                None
            })
            .ok_or("\"reverse-finish\" not meaningful in the outermost frame (no call found in the history).")?;
        let mut s = format!("Run back to call of {}\n", self.describe_pc(self.dbg.m.pc));
        self.dbg.goto(k)?;
        s.push_str(&self.report(Event::Done));
        Ok(s)
    }

    pub(super) fn cmd_rcontinue(&mut self, a: &str) -> Result<String, String> {
        if !a.trim().is_empty() {
            return Err("`reverse-continue` takes no arguments".into());
        }
        let ev = self.dbg.reverse_continue()?;
        Ok(self.report(ev))
    }

    /// The report after a run-control command: why it stopped, where, and the displays.
    pub(super) fn report(&mut self, ev: Event) -> String {
        let mut s = String::new();
        let mut func_header = false;
        match &ev {
            Event::Done => {}
            Event::Exited(c) => {
                if *c == 0 {
                    s.push_str("[program exited normally]\n");
                } else {
                    let _ = writeln!(s, "[program exited with code {c}]");
                }
                self.finish_stop();
                return s;
            }
            Event::Trapped(t) if t.kind == bitloom_emu::TrapKind::Breakpoint => {
                let _ = writeln!(
                    s,
                    "\nProgram stopped at `ebreak` (0x{:08x}); `continue` or `stepi` resumes after it.",
                    t.pc
                );
                func_header = true;
            }
            Event::Trapped(t) => {
                if let RunState::Trapped(_) = self.dbg.state {
                    let _ = writeln!(
                        s,
                        "\nProgram stopped by a trap at 0x{:08x} (the instruction did not execute).",
                        t.pc
                    );
                    s.push_str(&t.render_color(self.dbg.m.image(), self.color));
                } else {
                    // can_run refusal wrapped as a trap
                    let _ = writeln!(s, "{}", t.kind);
                }
                self.finish_stop();
                return s;
            }
            Event::Breakpoint(id) => {
                let temp = !self.dbg.bps.iter().any(|b| b.id == *id);
                let _ = write!(
                    s,
                    "\n{} {id}, ",
                    if temp {
                        "Temporary breakpoint"
                    } else {
                        "Breakpoint"
                    }
                );
                func_header = true;
            }
            Event::Watch { id, old, new, read } => {
                let w = self.dbg.watches.iter().find(|w| w.id == *id);
                let (kind, text) = w.map_or(("Watchpoint", String::new()), |w| {
                    (
                        match w.kind {
                            crate::engine::WatchKind::Write => "Hardware watchpoint",
                            crate::engine::WatchKind::Read => "Hardware read watchpoint",
                            crate::engine::WatchKind::Access => {
                                "Hardware access (read/write) watchpoint"
                            }
                        },
                        w.text.clone(),
                    )
                });
                let _ = writeln!(s, "\n{kind} {id}: {text}\n");
                if *read {
                    let _ = writeln!(s, "Value = {new}");
                } else {
                    let _ = writeln!(s, "Old value = {old}\nNew value = {new}");
                }
                func_header = true;
            }
            Event::HistoryStart => {
                s.push_str("\nNo more reverse-execution history.\n");
                func_header = true;
            }
            Event::Interrupted => {
                s.push_str("\nProgram interrupted.\n");
                func_header = true;
            }
        }
        s.push_str(&self.location(func_header));
        s.push_str(&self.show_displays());
        self.finish_stop();
        s
    }

    /// Remember this stop's registers and configuration for "changed since" marks.
    fn finish_stop(&mut self) {
        // A new stop: the next `list` centres on the new pc again, as in gdb (the old
        // listing position continued otherwise).
        self.list_next = None;
        self.prev_regs = self.stop_regs;
        self.stop_regs = self.dbg.m.regs;
        self.prev_config =
            std::mem::replace(&mut self.stop_config, views::config_values(&self.dbg.m));
    }

    /// Where the machine is: `func at file:line` when asked or when the function changed,
    /// then the source line (prefixed by the pc when it is not the line's first
    /// instruction).
    pub(super) fn location(&mut self, header: bool) -> String {
        let pc = self.dbg.m.pc;
        let func = self
            .dbg
            .m
            .image()
            .symbolize(pc)
            .map(|(s, _)| s.name.clone());
        let mut s = String::new();
        let line = self.line_of(pc);
        if header || func != self.prev_func {
            let at = match &line {
                Some((f, l)) => format!(" at {f}:{l}"),
                None => String::new(),
            };
            let _ = writeln!(s, "{}{at}", self.describe_pc_short(pc));
        }
        self.prev_func = func;
        match &line {
            Some((f, l)) => {
                let text = self.source_line(f, *l).unwrap_or_default();
                let first = self.line_start(pc);
                if first {
                    let _ = writeln!(s, "{l}\t{text}");
                } else {
                    let _ = writeln!(s, "0x{pc:08x}\t{l}\t{text}");
                }
            }
            None => {
                s.push_str(&views::disassemble(&self.dbg.m, pc, 1));
            }
        }
        s
    }
}

/// Update a call depth with the instruction a step executed; returns the new depth.
fn track(depth: &mut i64, s: &Step) -> i64 {
    match flow(s.word) {
        Flow::Call => *depth += 1,
        Flow::Ret => *depth -= 1,
        Flow::Plain => {}
    }
    *depth
}

/// The index of the position before `i` in the same frame (skipping over a callee that
/// returned just before `i`), or None when the window does not reach it.
fn back_over_calls(ps: &[Pos], i: usize) -> Option<usize> {
    let mut j = i.checked_sub(1)?;
    if ps[j].flow != Flow::Ret {
        return Some(j);
    }
    // ps[j] is a return: find its call.
    let mut depth = 0i64;
    loop {
        match ps[j].flow {
            Flow::Ret => depth += 1,
            Flow::Call => {
                depth -= 1;
                if depth == 0 {
                    return Some(j);
                }
            }
            Flow::Plain => {}
        }
        j = j.checked_sub(1)?;
    }
}
