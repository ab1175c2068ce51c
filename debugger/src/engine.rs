//! The debugger engine: the machine under debug, its breakpoints, watchpoints and
//! displays, forward execution through the session layer, and exact reverse execution
//! through [`History`]. It has no notion of text commands (`commands.rs` parses those) and
//! prints nothing; every operation returns what happened.

use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use bitloom_emu::commit::MemSpace;
use bitloom_emu::session::{self, Control, Stops};
use bitloom_emu::trap::Trap;
use bitloom_emu::{Breakpoints, Machine, Step, StopReason, Tile};
use bitloom_isa::image::Image;
use bitloom_isa::{Instr, Opcode, Operand};

use crate::expr::{self, Env, Expr};
use crate::history::History;

/// A breakpoint.
#[derive(Clone, Debug)]
pub struct Breakpoint {
    /// Number shown to the user (shared with watchpoints, as in gdb).
    pub id: u32,
    /// Address.
    pub pc: u32,
    /// The location as typed.
    pub spec: String,
    /// Condition text and parsed form.
    pub cond: Option<(String, Expr)>,
    /// Deleted when hit (`tbreak`, `start`).
    pub temp: bool,
    /// Enabled.
    pub enabled: bool,
    /// Times hit.
    pub hits: u64,
    /// Hits still to ignore (`continue N`, `ignore`).
    pub ignore: u64,
}

/// What a watchpoint looks at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A general register.
    Reg(u8),
    /// A CSR.
    Csr(u8),
    /// DRAM bytes.
    Mem {
        /// First byte.
        addr: u32,
        /// Length.
        len: u32,
    },
    /// A tile register's descriptor and data.
    Tile(u8),
}

/// Kind of watchpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WatchKind {
    /// Stop when the value changes (`watch`).
    Write,
    /// Stop when it is read (`rwatch`).
    Read,
    /// Stop when it is read or written (`awatch`).
    Access,
}

impl WatchKind {
    /// gdb's name for it.
    pub fn name(self) -> &'static str {
        match self {
            WatchKind::Write => "hw watchpoint",
            WatchKind::Read => "read watchpoint",
            WatchKind::Access => "acc watchpoint",
        }
    }
}

/// A watchpoint.
#[derive(Clone, Debug)]
pub struct Watch {
    /// Number.
    pub id: u32,
    /// Kind.
    pub kind: WatchKind,
    /// What it watches.
    pub target: Target,
    /// As typed.
    pub text: String,
    /// Enabled.
    pub enabled: bool,
    /// Times hit.
    pub hits: u64,
}

/// Why execution stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The requested steps are done.
    Done,
    /// `halt` retired.
    Exited(u32),
    /// The instruction at the pc trapped (not executed).
    Trapped(Trap),
    /// Stopped at breakpoint `id`.
    Breakpoint(u32),
    /// Watchpoint `id` triggered; old and new value as text (equal for reads).
    Watch {
        /// Watchpoint number.
        id: u32,
        /// Value before.
        old: String,
        /// Value after.
        new: String,
        /// The access was a read.
        read: bool,
    },
    /// Reverse execution reached the oldest recorded position.
    HistoryStart,
    /// Interrupted by the user.
    Interrupted,
}

/// The current state of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// Stopped at an instruction that can execute.
    Stopped,
    /// `halt` retired.
    Exited(u32),
    /// The instruction at the pc traps.
    Trapped(Trap),
}

/// A user-visible reverse-execution error.
pub const NO_HISTORY: &str = "No more reverse-execution history"; // as gdb words it

/// The debugger engine.
pub struct Debugger {
    /// The machine under debug.
    pub m: Machine,
    initial: Machine,
    /// Checkpoints.
    pub hist: History,
    /// Breakpoints.
    pub bps: Vec<Breakpoint>,
    /// Watchpoints.
    pub watches: Vec<Watch>,
    next_id: u32,
    /// State after the last operation.
    pub state: RunState,
    /// Set to interrupt a running command (Ctrl-C).
    pub interrupt: Arc<AtomicBool>,
    /// The program as given (for messages).
    pub program: String,
}

/// Set up a machine for debugging: `info mac` shows each MAC's passes by cost.
fn prepare(m: &mut Machine) {
    if let Some(t) = m.timing.as_mut() {
        t.set_mac_detail(true);
    }
}

/// What a call/return is, by the calling convention (`jal ra` / `jalr ra` calls;
/// `jalr zero, 0(ra)` returns).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// Not a call or return.
    Plain,
    /// A call.
    Call,
    /// A return.
    Ret,
}

/// Classify an instruction word.
pub fn flow(word: u32) -> Flow {
    match Instr::decode(word) {
        Ok(i) => match (i.op, i.operands()) {
            (Opcode::Jal, [Operand::Gpr(1), ..]) => Flow::Call,
            (Opcode::Jalr, [Operand::Gpr(1), ..]) => Flow::Call,
            (Opcode::Jalr, [Operand::Gpr(0), Operand::Mem { base: 1, .. }]) => Flow::Ret,
            _ => Flow::Plain,
        },
        Err(_) => Flow::Plain,
    }
}

/// One executed position, for backward analysis.
#[derive(Clone, Copy, Debug)]
pub struct Pos {
    /// Position (instret before the instruction).
    pub k: u64,
    /// Its pc.
    pub pc: u32,
    /// Call/return.
    pub flow: Flow,
}

/// The value of a watch target as text.
pub fn target_value(m: &Machine, t: &Target) -> String {
    match *t {
        Target::Reg(r) => format!("{}", m.regs[r as usize]),
        Target::Csr(c) => format!("{}", m.csr(c).unwrap_or(0)),
        Target::Mem { addr, len } => match m.read_dram(addr, len) {
            Ok(b) if len == 4 => format!("{}", u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Ok(b) => bytes_text(&b),
            Err(_) => "<unreadable>".into(),
        },
        Target::Tile(i) => match m.tile(i) {
            Some(t) => crate::views::tile_summary(i, t),
            None => format!("t{i} undefined"),
        },
    }
}

fn tile_range(t: &Tile) -> (MemSpace, u32, u32) {
    (t.space.into(), t.base, t.bytes() as u32)
}

/// Whether step `s` wrote the target, changing it.
fn written(before_tile: Option<Tile>, s: &Step, t: &Target) -> bool {
    let c = &s.commit;
    match *t {
        Target::Reg(r) => c.gpr.is_some_and(|g| g.reg == r && g.old != g.new),
        Target::Csr(n) => c.csrs.iter().any(|w| w.csr == n && w.old != w.new),
        Target::Mem { addr, len } => c.mem.iter().any(|w| {
            if !w.overlaps(MemSpace::Dram, addr, len) {
                return false;
            }
            // Only the watched bytes count, and only if they changed.
            let lo = addr.max(w.addr);
            let hi = (addr as u64 + len as u64).min(w.addr as u64 + w.new.len() as u64) as u32;
            (lo..hi).any(|a| {
                let i = (a - w.addr) as usize;
                w.old[i] != w.new[i]
            })
        }),
        Target::Tile(i) => {
            c.tiles.iter().any(|w| w.tile == i && w.old != w.new)
                || before_tile.is_some_and(|bt| {
                    let (sp, a, n) = tile_range(&bt);
                    c.mem.iter().any(|w| w.overlaps(sp, a, n) && w.old != w.new)
                })
        }
    }
}

/// Whether step `s` wrote the target at all, even with the value it already had: an
/// access watchpoint (`awatch`) stops for those too (fix: `awatch aprec` missed
/// `cfgi aprec, 8` when aprec was already 8, as only changes counted).
fn touched(before_tile: Option<Tile>, s: &Step, t: &Target) -> bool {
    let c = &s.commit;
    match *t {
        Target::Reg(r) => c.gpr.is_some_and(|g| g.reg == r),
        Target::Csr(n) => c.csrs.iter().any(|w| w.csr == n),
        Target::Mem { addr, len } => c.mem.iter().any(|w| w.overlaps(MemSpace::Dram, addr, len)),
        Target::Tile(i) => {
            c.tiles.iter().any(|w| w.tile == i)
                || before_tile.is_some_and(|bt| {
                    let (sp, a, n) = tile_range(&bt);
                    c.mem.iter().any(|w| w.overlaps(sp, a, n))
                })
        }
    }
}

/// Whether a write watchpoint of `kind` fires for step `s`.
fn write_fires(kind: WatchKind, before_tile: Option<Tile>, s: &Step, t: &Target) -> bool {
    match kind {
        WatchKind::Read => false,
        WatchKind::Write => written(before_tile, s, t),
        WatchKind::Access => touched(before_tile, s, t),
    }
}

/// Whether the instruction about to execute in `m` reads the target.
fn reads(m: &Machine, t: &Target) -> bool {
    let Ok(b) = m.read_dram(m.pc, 4) else {
        return false;
    };
    let Ok(i) = Instr::decode(u32::from_le_bytes([b[0], b[1], b[2], b[3]])) else {
        return false;
    };
    crate::reads::reads(m, &i, t)
}

impl Debugger {
    /// A debugger for a machine just built (reset, program loaded).
    pub fn new(mut m: Machine, program: &str) -> Debugger {
        prepare(&mut m);
        Debugger {
            hist: History::new(&m),
            initial: m.clone(),
            m,
            bps: Vec::new(),
            watches: Vec::new(),
            next_id: 1,
            state: RunState::Stopped,
            interrupt: Arc::new(AtomicBool::new(false)),
            program: program.to_string(),
        }
    }

    /// The loaded image.
    pub fn image(&self) -> &Image {
        self.m.image()
    }

    /// Start over from reset; breakpoints and watchpoints stay.
    pub fn restart(&mut self) {
        self.m = self.initial.clone();
        let (max, lim) = (self.hist.max_checkpoints, self.hist.limit);
        self.hist = History::new(&self.m);
        self.hist.max_checkpoints = max;
        self.hist.limit = lim;
        self.state = RunState::Stopped;
        for b in &mut self.bps {
            b.hits = 0;
        }
    }

    /// Load another program: `m` (a machine just built for it, reset) becomes the state
    /// `restart` returns to, and the run starts over from it. Breakpoints and watchpoints
    /// stay as they are; re-resolving their locations against the new image is the
    /// caller's business (`Session::reload`).
    pub fn replace_program(&mut self, mut m: Machine) {
        prepare(&mut m);
        self.initial = m;
        self.restart();
    }

    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// A breakpoint number for later use with [`Debugger::insert_breakpoint`] (a front end
    /// numbers a breakpoint that has no address yet).
    pub fn reserve_id(&mut self) -> u32 {
        self.take_id()
    }

    /// Add a breakpoint.
    pub fn add_breakpoint(
        &mut self,
        pc: u32,
        spec: &str,
        cond: Option<(String, Expr)>,
        temp: bool,
    ) -> u32 {
        let id = self.take_id();
        self.insert_breakpoint(id, pc, spec, cond, temp);
        id
    }

    /// Add a breakpoint under a number from [`Debugger::reserve_id`] (replacing a
    /// breakpoint of that number).
    pub fn insert_breakpoint(
        &mut self,
        id: u32,
        pc: u32,
        spec: &str,
        cond: Option<(String, Expr)>,
        temp: bool,
    ) {
        self.bps.retain(|b| b.id != id);
        self.bps.push(Breakpoint {
            id,
            pc,
            spec: spec.to_string(),
            cond,
            temp,
            enabled: true,
            hits: 0,
            ignore: 0,
        });
        self.bps.sort_by_key(|b| b.id);
    }

    /// Add a watchpoint.
    pub fn add_watch(&mut self, kind: WatchKind, target: Target, text: &str) -> u32 {
        let id = self.take_id();
        self.watches.push(Watch {
            id,
            kind,
            target,
            text: text.to_string(),
            enabled: true,
            hits: 0,
        });
        id
    }

    /// The user changed the machine (`set var`, a memory write): later checkpoints no longer
    /// describe the run, and an instruction that trapped gets to execute again (the change
    /// may have removed the cause), as in gdb.
    pub fn diverged(&mut self) {
        if matches!(self.state, RunState::Trapped(_)) {
            self.state = RunState::Stopped;
        }
        let m = self.m.clone();
        self.hist.diverge(&m);
    }

    /// Whether the machine can execute (not exited or trapped).
    pub fn can_run(&self) -> Result<(), String> {
        match &self.state {
            RunState::Stopped => Ok(()),
            RunState::Exited(c) => Err(format!(
                "The program has exited (code {c}). Use `run` to start it again, or reverse-step."
            )),
            RunState::Trapped(_) => Err(
                "The program is stopped at a trapping instruction; it cannot continue. Use `run` to restart, reverse-step to go back, or fix the cause with `set var` (the instruction is then tried again)."
                    .into(),
            ),
        }
    }

    /// Evaluate a breakpoint condition at the current state (errors count as true, as in
    /// gdb, so a broken condition is seen).
    fn cond_true(&self, b: &Breakpoint) -> bool {
        match &b.cond {
            None => true,
            Some((_, e)) => expr::eval(e, self).map(|v| v != 0).unwrap_or(true),
        }
    }

    fn enabled_bps(&self) -> Breakpoints {
        self.bps
            .iter()
            .filter(|b| b.enabled)
            .map(|b| b.pc)
            .collect()
    }

    /// Decide whether the breakpoints at the current pc fire; updates hit and ignore counts
    /// and removes temporary ones that fire. Returns the id that fired.
    fn breakpoint_fires(&mut self) -> Option<u32> {
        let pc = self.m.pc;
        let mut fired = None;
        let idx: Vec<usize> = (0..self.bps.len())
            .filter(|&i| self.bps[i].enabled && self.bps[i].pc == pc)
            .collect();
        for i in idx {
            if !self.cond_true(&self.bps[i]) {
                continue;
            }
            let b = &mut self.bps[i];
            b.hits += 1;
            if b.ignore > 0 {
                b.ignore -= 1;
                continue;
            }
            if fired.is_none() {
                fired = Some(b.id);
            }
        }
        if let Some(id) = fired {
            self.bps.retain(|b| !(b.temp && b.id == id));
        }
        fired
    }

    /// Run forward: at most `max` instructions (None: unbounded), stopping at breakpoints
    /// (if `use_bps`), watchpoints, and after a step for which `pred` says stop. The first
    /// instruction never stops at a breakpoint (resuming from a stop).
    pub fn forward(
        &mut self,
        max: Option<u64>,
        use_bps: bool,
        pred: &mut dyn FnMut(&Machine, &Step) -> bool,
        stepped: bool,
    ) -> Event {
        if let Err(e) = self.can_run() {
            return Event::Trapped(Trap {
                pc: self.m.pc,
                word: 0,
                kind: bitloom_emu::TrapKind::FormatUnsupported(e),
            });
        }
        self.interrupt
            .store(false, std::sync::atomic::Ordering::Relaxed);
        let start = self.m.instret;
        // Resuming at an `ebreak` (a program-inserted breakpoint we stopped at) steps over
        // it, as gdb does with a SIGTRAP; reverse execution replays it the same way.
        if self.m.skip_breakpoint() {
            self.hist.record(&self.m, false);
            if max == Some(1) {
                return Event::Done;
            }
        }
        let mut first = true;
        let bps = if use_bps {
            self.enabled_bps()
        } else {
            Breakpoints::new()
        };
        let watches: Vec<Watch> = self.watches.iter().filter(|w| w.enabled).cloned().collect();
        loop {
            let done = self.m.instret - start;
            if max.is_some_and(|mx| done >= mx) {
                return Event::Done;
            }
            let due = self.hist.next_due(self.m.instret);
            let mut seg = due - self.m.instret;
            if let Some(mx) = max {
                seg = seg.min(mx - done);
            }
            // Read watchpoints are checked before each instruction.
            let mut read_hit: Option<(u32, String)> = None;
            let mut write_hit: Option<(u32, String, String)> = None;
            let mut pred_hit = false;
            let need_steps = stepped || !watches.is_empty();
            let reason = {
                let mut on_step = |m: &Machine, s: &Step| {
                    for w in &watches {
                        if w.kind != WatchKind::Read {
                            // The tile's range before the step: the descriptor may change.
                            let bt = match w.target {
                                Target::Tile(i) => s
                                    .commit
                                    .tiles
                                    .iter()
                                    .find(|t| t.tile == i)
                                    .map_or(m.tile(i).copied(), |t| t.old),
                                _ => None,
                            };
                            if write_fires(w.kind, bt, s, &w.target) {
                                let new = target_value(m, &w.target);
                                let old = old_value(s, &w.target, &new);
                                let new = tile_new_value(m, s, &w.target, bt);
                                write_hit = Some((w.id, old, new));
                                return Control::Stop;
                            }
                        }
                    }
                    if pred(m, s) {
                        pred_hit = true;
                        return Control::Stop;
                    }
                    // Read watches look at the next instruction.
                    for w in &watches {
                        if w.kind != WatchKind::Write && reads(m, &w.target) {
                            read_hit = Some((w.id, target_value(m, &w.target)));
                            return Control::Stop;
                        }
                    }
                    Control::Continue
                };
                let mut stops = Stops {
                    breakpoints: Some(&bps),
                    stop_at_first: !first,
                    max_steps: Some(seg),
                    cancel: Some(self.interrupt.clone()),
                    ..Stops::default()
                };
                if need_steps {
                    stops.on_step = Some(&mut on_step);
                }
                session::run(&mut self.m, &mut stops).reason
            };
            first = false;
            self.hist.record(&self.m, false);
            match reason {
                StopReason::Exited(c) => {
                    self.state = RunState::Exited(c);
                    return Event::Exited(c);
                }
                StopReason::Trapped(t) => {
                    // An `ebreak` is a stop, not a failure: the run can resume past it.
                    self.state = if t.kind == bitloom_emu::TrapKind::Breakpoint {
                        RunState::Stopped
                    } else {
                        RunState::Trapped(t.clone())
                    };
                    return Event::Trapped(t);
                }
                StopReason::Breakpoint(_) => {
                    if let Some(id) = self.breakpoint_fires() {
                        return Event::Breakpoint(id);
                    }
                    first = true;
                }
                StopReason::Predicate => {
                    if let Some((id, old, new)) = write_hit {
                        self.count_watch(id);
                        return Event::Watch {
                            id,
                            old,
                            new,
                            read: false,
                        };
                    }
                    if pred_hit {
                        return Event::Done;
                    }
                    if let Some((id, v)) = read_hit {
                        self.count_watch(id);
                        return Event::Watch {
                            id,
                            old: v.clone(),
                            new: v,
                            read: true,
                        };
                    }
                }
                StopReason::StepLimit(_) | StopReason::CycleLimit(_) => {}
                StopReason::Cancelled => return Event::Interrupted,
            }
        }
    }

    fn count_watch(&mut self, id: u32) {
        if let Some(w) = self.watches.iter_mut().find(|w| w.id == id) {
            w.hits += 1;
        }
    }

    /// Go to position `k` exactly (restore a checkpoint and re-execute).
    pub fn goto(&mut self, k: u64) -> Result<(), String> {
        let Some((_, snap)) = self.hist.base(k) else {
            return Err(format!(
                "{NO_HISTORY}: the oldest recorded instruction is #{}",
                self.hist.oldest()
            ));
        };
        let mut m = snap.clone();
        while m.instret < k {
            let todo = k - m.instret;
            let stop = session::run(
                &mut m,
                &mut Stops {
                    max_steps: Some(todo),
                    ..Stops::default()
                },
            );
            match stop.reason {
                StopReason::StepLimit(_) => {}
                // Replay an `ebreak` the way the user resumed past it.
                StopReason::Trapped(t) if t.kind == bitloom_emu::TrapKind::Breakpoint => {
                    if m.instret < k {
                        m.skip_breakpoint();
                    } else {
                        break;
                    }
                }
                StopReason::Exited(c) => {
                    self.m = m;
                    self.state = RunState::Exited(c);
                    return Ok(());
                }
                other => return Err(format!("re-execution stopped early: {other:?}")),
            }
        }
        self.m = m;
        self.state = RunState::Stopped;
        Ok(())
    }

    /// The executed positions `from .. to` (re-executed from checkpoints).
    pub fn positions(&self, from: u64, to: u64) -> Vec<Pos> {
        let Some((_, snap)) = self.hist.base(from) else {
            return Vec::new();
        };
        let mut m = snap.clone();
        let mut v = Vec::new();
        while m.instret < to {
            let k = m.instret;
            let pc = m.pc;
            let word = match step_over_ebreak(&mut m) {
                Some(w) => w,
                None => break,
            };
            if k >= from {
                v.push(Pos {
                    k,
                    pc,
                    flow: flow(word),
                });
            }
        }
        v
    }

    /// Search backwards from the current position for the latest position `k` where
    /// `f(positions, index)` is true, widening the window one checkpoint interval at a
    /// time. `f` sees all positions from the window start to the current one.
    pub fn search_back(&self, f: &mut dyn FnMut(&[Pos]) -> Option<usize>) -> Option<u64> {
        let now = self.m.instret;
        let mut bases = self.hist.before(now);
        bases.push(self.hist.oldest());
        let mut from_prev = None;
        for base in bases {
            if from_prev == Some(base) {
                continue;
            }
            from_prev = Some(base);
            let ps = self.positions(base, now);
            if let Some(i) = f(&ps) {
                return Some(ps[i].k);
            }
        }
        None
    }

    /// Go back to the latest position before now at which a breakpoint fires or a
    /// watchpoint's value changed (or is read); stop at the oldest position otherwise.
    pub fn reverse_continue(&mut self) -> Result<Event, String> {
        let now = self.m.instret;
        if now == self.hist.oldest() {
            return Err(format!("{NO_HISTORY}."));
        }
        let watches: Vec<Watch> = self.watches.iter().filter(|w| w.enabled).cloned().collect();
        let mut base_list = self.hist.before(now);
        if base_list.is_empty() {
            base_list.push(self.hist.oldest());
        }
        let mut seg_end = now;
        for base in base_list {
            let Some((_, snap)) = self.hist.base(base) else {
                break;
            };
            let mut m = snap.clone();
            let mut found: Option<(u64, Event)> = None;
            while m.instret < seg_end {
                let k = m.instret;
                for b in self.bps.iter().filter(|b| b.enabled && b.pc == m.pc) {
                    let fire = match &b.cond {
                        None => true,
                        Some((_, e)) => expr::eval(e, &MachineEnv(&m))
                            .map(|v| v != 0)
                            .unwrap_or(true),
                    };
                    if fire && k < now {
                        found = Some((k, Event::Breakpoint(b.id)));
                    }
                }
                for w in watches.iter().filter(|w| w.kind != WatchKind::Write) {
                    if reads(&m, &w.target) {
                        let v = target_value(&m, &w.target);
                        found = Some((
                            k,
                            Event::Watch {
                                id: w.id,
                                old: v.clone(),
                                new: v,
                                read: true,
                            },
                        ));
                    }
                }
                let bt: Vec<Option<Tile>> = watches
                    .iter()
                    .map(|w| match w.target {
                        Target::Tile(i) => m.tile(i).copied(),
                        _ => None,
                    })
                    .collect();
                let s = match m.step() {
                    Ok(s) => s,
                    Err(t) if t.kind == bitloom_emu::TrapKind::Breakpoint => {
                        m.skip_breakpoint();
                        continue;
                    }
                    Err(_) => break,
                };
                for (w, bt) in watches.iter().zip(bt) {
                    if write_fires(w.kind, bt, &s, &w.target) {
                        let new = target_value(&m, &w.target);
                        let old = old_value(&s, &w.target, &new);
                        let new = tile_new_value(&m, &s, &w.target, bt);
                        found = Some((
                            k,
                            Event::Watch {
                                id: w.id,
                                old,
                                new,
                                read: false,
                            },
                        ));
                    }
                }
            }
            if let Some((k, ev)) = found {
                self.goto(k)?;
                return Ok(ev);
            }
            seg_end = base;
        }
        let oldest = self.hist.oldest();
        self.goto(oldest)?;
        Ok(Event::HistoryStart)
    }
}

/// Execute one instruction for replay, stepping over an `ebreak` as a resumed run did;
/// the executed word, or None at a real trap.
fn step_over_ebreak(m: &mut Machine) -> Option<u32> {
    match m.step() {
        Ok(s) => Some(s.word),
        Err(t) if t.kind == bitloom_emu::TrapKind::Breakpoint => {
            let w = t.word;
            m.skip_breakpoint().then_some(w)
        }
        Err(_) => None,
    }
}

/// The watched value before step `s`, as text (from the change record).
fn old_value(s: &Step, t: &Target, new: &str) -> String {
    let c = &s.commit;
    match *t {
        Target::Reg(r) => c
            .gpr
            .filter(|g| g.reg == r)
            .map_or(new.to_string(), |g| g.old.to_string()),
        Target::Csr(n) => c
            .csrs
            .iter()
            .find(|w| w.csr == n)
            .map_or(new.to_string(), |w| w.old.to_string()),
        Target::Mem { addr, len } => {
            // Rebuild the old bytes from the new ones and the record.
            let mut bytes: Vec<Option<u8>> = vec![None; len as usize];
            for w in c.mem.iter().rev().filter(|w| w.space == MemSpace::Dram) {
                for (i, b) in w.old.iter().enumerate() {
                    let a = w.addr as u64 + i as u64;
                    if a >= addr as u64 && a < addr as u64 + len as u64 {
                        bytes[(a - addr as u64) as usize] = Some(*b);
                    }
                }
            }
            let newb: Vec<u8> = if len == 4 {
                new.parse::<u32>()
                    .map(|v| v.to_le_bytes().to_vec())
                    .unwrap_or_default()
            } else {
                Vec::new()
            };
            if len == 4 && newb.len() == 4 {
                let b: Vec<u8> = (0..4).map(|i| bytes[i].unwrap_or(newb[i])).collect();
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]).to_string()
            } else {
                // Bytes the step did not write are as they are now.
                let now = parse_bytes_text(new);
                let b: Vec<u8> = bytes
                    .iter()
                    .enumerate()
                    .map(|(i, b)| b.or(now.get(i).copied()).unwrap_or(0))
                    .collect();
                bytes_text(&b)
            }
        }
        Target::Tile(i) => match c.tiles.iter().find(|w| w.tile == i) {
            Some(w) => match w.old {
                Some(t) => crate::views::tile_summary(i, &t),
                None => format!("t{i} undefined"),
            },
            // Same descriptor, other data (fix: this printed a bare "(data changed)").
            None => format!("{new} (data before)"),
        },
    }
}

/// For a tile watch whose data (not descriptor) step `s` changed: the new value's text
/// with the scratchpad bytes written, e.g. `t1: ... (data overwritten: asp 0x40..0x80)`.
fn tile_new_value(m: &Machine, s: &Step, t: &Target, before: Option<Tile>) -> String {
    let new = target_value(m, t);
    let Target::Tile(i) = *t else {
        return new;
    };
    if s.commit.tiles.iter().any(|w| w.tile == i) {
        return new;
    }
    let Some(bt) = before else {
        return new;
    };
    let (sp, a, n) = tile_range(&bt);
    let (mut lo, mut hi) = (u64::MAX, 0u64);
    // The written range inside the tile (of the writes that changed something).
    for w in s
        .commit
        .mem
        .iter()
        .filter(|w| w.overlaps(sp, a, n) && w.old != w.new)
    {
        lo = lo.min((w.addr as u64).max(a as u64));
        hi = hi.max((w.addr as u64 + w.new.len() as u64).min(a as u64 + n as u64));
    }
    if lo >= hi {
        return new;
    }
    format!("{new} (data overwritten: {} 0x{lo:x}..0x{hi:x})", bt.space)
}

/// Bytes as a watch value: all of them up to 16, else the first 16 and the length (fix: a
/// watch on a 256-byte symbol printed two lines of 256 numbers).
fn bytes_text(b: &[u8]) -> String {
    if b.len() <= 16 {
        format!("{b:?}")
    } else {
        let head: Vec<String> = b[..16].iter().map(|x| x.to_string()).collect();
        format!("[{}, ...] ({} bytes)", head.join(", "), b.len())
    }
}

/// The bytes shown by [`bytes_text`] (the first 16 at most).
fn parse_bytes_text(s: &str) -> Vec<u8> {
    let inner = s.trim_start_matches('[');
    let inner = inner.split(']').next().unwrap_or("");
    inner
        .split(',')
        .filter_map(|x| x.trim().parse().ok())
        .collect()
}

/// Expression environment over a machine (registers, CSRs, symbols, DRAM).
pub struct MachineEnv<'a>(pub &'a Machine);

/// Register number for a name (`r0`..`r31`, `zero`, `ra`, `sp`, `fp`).
pub fn reg_num(n: &str) -> Option<u8> {
    bitloom_isa::operand::parse_gpr(n)
}

impl Env for MachineEnv<'_> {
    fn lookup(&self, name: &str) -> Option<i64> {
        let m = self.0;
        if name == "pc" {
            return Some(m.pc as i64);
        }
        if let Some(r) = reg_num(name) {
            return Some(m.regs[r as usize] as i64);
        }
        if let Some(c) = bitloom_isa::csr::by_name(name) {
            return m.csr(c.num).map(|v| v as i64);
        }
        m.image()
            .symbols
            .iter()
            .find(|s| s.name == name)
            .map(|s| s.value as i64)
    }

    fn read_word(&self, addr: u32) -> Result<u32, String> {
        match self.0.read_dram(addr, 4) {
            Ok(b) => Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]])),
            Err(_) => Err(format!("cannot access memory at address 0x{addr:x}")),
        }
    }

    fn names(&self) -> Vec<String> {
        let mut v: Vec<String> = (0..32).map(|i| format!("r{i}")).collect();
        v.extend(["zero", "ra", "sp", "fp", "pc"].map(String::from));
        v.extend(bitloom_isa::csr::CSRS.iter().map(|c| c.name.to_string()));
        v.extend(self.0.image().symbols.iter().map(|s| s.name.clone()));
        v
    }
}

impl Env for Debugger {
    fn lookup(&self, name: &str) -> Option<i64> {
        MachineEnv(&self.m).lookup(name)
    }
    fn read_word(&self, addr: u32) -> Result<u32, String> {
        MachineEnv(&self.m).read_word(addr)
    }
    fn names(&self) -> Vec<String> {
        MachineEnv(&self.m).names()
    }
}
