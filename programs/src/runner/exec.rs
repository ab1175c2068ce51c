//! Running one test: read its expectations, pick its hardware configuration, load the
//! program (`.s` assembled on the fly, or ELF), run it through the session layer with a step
//! budget and a wall-clock limit (a watchdog thread raises the session's cancel flag), and
//! judge the outcome: exit code or trap, then the state checks of [`super::check`].

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use bitloom_emu::hw::HwConfig;
use bitloom_emu::session::{self, MachineOptions, StopReason, Stops};
use bitloom_emu::stats::Stats;
use bitloom_emu::Machine;

use super::check::{self, Context, Key, Mismatch, NewValue, Update};
use super::discover::{source_needs_timing, TestCase};
use super::expect::Expect;
use super::{Status, SuiteOptions, TestResult};

/// Raises `flag` when `limit` passes, unless dropped first.
struct Watchdog {
    done: Option<mpsc::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Watchdog {
    fn start(limit: Duration, flag: Arc<AtomicBool>) -> Watchdog {
        let (tx, rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("bitloom-test-watchdog".into())
            .spawn(move || {
                if let Err(mpsc::RecvTimeoutError::Timeout) = rx.recv_timeout(limit) {
                    flag.store(true, Ordering::Relaxed);
                }
            })
            .ok();
        Watchdog {
            done: Some(tx),
            thread,
        }
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        drop(self.done.take());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn result(case: &TestCase, status: Status, reason: impl Into<String>) -> TestResult {
    TestResult {
        name: case.name.clone(),
        program: case.program.clone(),
        status,
        reason: reason.into(),
        details: String::new(),
        cycles: None,
        instructions: None,
        wall: Duration::ZERO,
        updates: Vec::new(),
        updatable: false,
    }
}

/// Run one test.
pub fn run_test(case: &TestCase, opts: &SuiteOptions) -> TestResult {
    let t0 = Instant::now();
    let mut r = run_inner(case, opts);
    r.wall = t0.elapsed();
    r
}

fn line_of(m: &Machine, pc: u32) -> Option<(String, u32)> {
    m.source_of(pc).map(|(f, l, _)| (f, l))
}

fn run_inner(case: &TestCase, opts: &SuiteOptions) -> TestResult {
    if let Some(p) = &case.problem {
        return result(case, Status::Error, p.clone());
    }
    let mut expect = match &case.expect {
        Some(p) => match Expect::load(p) {
            Ok(e) => Some(e),
            Err(e) => return result(case, Status::Error, e.0),
        },
        None => None,
    };
    // A variant: its symbols after the file's, its exit code instead of the file's.
    let mut variant_defines = Vec::new();
    match (expect.as_mut(), &case.variant) {
        (Some(e), Some(v)) => match e.variants.iter().position(|x| x.name == *v) {
            Some(i) => {
                let var = e.variants.swap_remove(i);
                variant_defines = var.defines;
                e.exit = var.exit.or(e.exit);
            }
            None => {
                let why = format!("{}: no variant `{v}` any more", e.file.path.display());
                return result(case, Status::Error, why);
            }
        },
        (Some(e), None) if !e.variants.is_empty() => {
            let why = format!(
                "{}: has [[variant]]s now; run the suite again to run each",
                e.file.path.display()
            );
            return result(case, Status::Error, why);
        }
        _ => {}
    }
    let needs_timing = expect.as_ref().is_some_and(|e| e.needs_timing)
        || bitloom_isa::srcfile::read_capped(&case.program, bitloom_asm::MAX_SOURCE_BYTES)
            .ok()
            .is_some_and(|b| source_needs_timing(&String::from_utf8_lossy(&b)));
    if needs_timing && !opts.timing {
        return result(
            case,
            Status::Skip,
            "needs the timing model (run without --no-timing)",
        );
    }
    // Hardware: the test's own, else the suite's, else the default.
    let default_hw;
    let (hw, pinned): (&HwConfig, bool) =
        match (expect.as_ref().and_then(|e| e.hw.as_ref()), &opts.hw) {
            (Some(p), _) => (&p.config, true),
            (None, Some(h)) => (h, false),
            (None, None) => {
                default_hw = HwConfig::default();
                (&default_hw, false)
            }
        };
    let perf = opts.timing && (pinned || opts.hw.is_none());
    // The suite's `-D` symbols, then the test's own `[defsym]` (a later one of the same
    // name replaces an earlier one).
    let mut defines = opts.defines.clone();
    defines.extend(expect.iter().flat_map(|e| e.defines.iter().cloned()));
    defines.extend(variant_defines);
    let asm_opts = bitloom_asm::Options {
        defines,
        ..bitloom_asm::Options::default()
    };
    let image = match bitloom_asm::load::load_program(&case.program, &asm_opts) {
        Ok(l) => l.image,
        Err(bitloom_asm::load::LoadError::Asm { diagnostics, .. }) => {
            let mut r = result(
                case,
                Status::Error,
                format!("{} does not assemble", case.program.display()),
            );
            r.details = diagnostics.render(false);
            return r;
        }
        Err(e) => return result(case, Status::Error, e.to_string()),
    };
    let mopts = MachineOptions {
        timing: opts.timing,
        checked: opts.checked || expect.as_ref().is_some_and(|e| e.checked),
    };
    let mut m = match session::new_machine(hw, &image, &mopts) {
        Ok(m) => m,
        Err(e) => {
            return result(
                case,
                Status::Error,
                format!("{}: {e}", case.program.display()),
            )
        }
    };
    let max_steps = expect
        .as_ref()
        .and_then(|e| e.max_steps)
        .unwrap_or(opts.max_steps);
    let limit = expect
        .as_ref()
        .and_then(|e| e.timeout)
        .unwrap_or(opts.timeout);
    let cancel = Arc::new(AtomicBool::new(false));
    let stop = {
        let _dog = Watchdog::start(limit, cancel.clone());
        let mut stops = Stops {
            max_steps: Some(max_steps),
            cancel: Some(cancel),
            ..Stops::default()
        };
        session::run(&mut m, &mut stops)
    };
    let stats = Stats::collect(m.hw(), m.timing.as_ref(), m.instret, &m.class_counts);
    let mut r = result(case, Status::Pass, "");
    r.cycles = Some(stats.cycles);
    r.instructions = Some(m.instret);
    let exit = match &stop.reason {
        StopReason::Exited(c) => Some(*c),
        _ => None,
    };
    let mut fails: Vec<Mismatch> = Vec::new();
    let expect_file = case.expect.clone().unwrap_or_default();
    match (&stop.reason, expect.as_ref().and_then(|e| e.trap.as_ref())) {
        (StopReason::StepLimit(n), _) => {
            r.status = Status::Timeout;
            r.reason = format!(
                "no halt within {n} instructions (step budget; set max_steps or --max-steps)"
            );
            r.details = stopped_at(&m);
            return r;
        }
        (StopReason::Cancelled, _) => {
            r.status = Status::Timeout;
            r.reason = format!(
                "wall-clock limit of {} s reached after {} instructions (set timeout or --timeout)",
                limit.as_secs_f64(),
                m.instret
            );
            return r;
        }
        (StopReason::Exited(code), None) => {
            let want = expect.as_ref().and_then(|e| e.exit).unwrap_or(0);
            if *code != want {
                let headline = if expect.as_ref().is_some_and(|e| e.exit.is_some()) {
                    format!("exit code {code}, expected {want}")
                } else {
                    format!("self-check failed: exit code {code} (the program's header says which check that is)")
                };
                fails.push(Mismatch {
                    headline,
                    detail: String::new(),
                    is_error: false,
                    update: case.expect.as_ref().map(|_| Update {
                        file: expect_file.clone(),
                        key: vec![Key::Name("exit".into())],
                        new: NewValue::Int(*code as i64),
                        what: format!("exit: {want} -> {code}"),
                    }),
                });
            }
        }
        (StopReason::Exited(code), Some(t)) => {
            let at = t
                .symbol
                .as_ref()
                .map(|s| format!(" at `{}`", s.0))
                .unwrap_or_default();
            fails.push(Mismatch {
                headline: format!(
                    "expected trap {}{at}, but the program exited with code {code}",
                    t.kind
                ),
                detail: String::new(),
                is_error: false,
                update: None,
            });
        }
        (StopReason::Trapped(trap), None) => {
            fails.push(Mismatch {
                headline: format!("trapped: {} ({})", trap.kind, trap.kind.name()),
                detail: indent(&trap.render(m.image())),
                is_error: false,
                update: None,
            });
        }
        (StopReason::Trapped(trap), Some(t)) => {
            let got = trap.kind.name();
            let mut bad = Vec::new();
            if got != t.kind {
                bad.push(format!("kind {got}, expected {}", t.kind));
            }
            if let Some((sym, off, span)) = &t.symbol {
                match check::symbol_addr(m.image(), sym, *off as i64) {
                    Some(a) if a == trap.pc => {}
                    Some(a) => bad.push(format!(
                        "at pc 0x{:08x}{}, expected `{sym}{}` (0x{a:08x})",
                        trap.pc,
                        m.image()
                            .symbolize(trap.pc)
                            .map(|(s, o)| if o == 0 {
                                format!(" = `{}`", s.name)
                            } else {
                                format!(" = `{}+{o}`", s.name)
                            })
                            .unwrap_or_default(),
                        if *off == 0 {
                            String::new()
                        } else {
                            format!("+{off}")
                        }
                    )),
                    None => fails.push(Mismatch {
                        headline: format!(
                            "{}: no symbol `{sym}` in the program",
                            expect
                                .as_ref()
                                .map(|e| e.file.loc(span.start))
                                .unwrap_or_default()
                        ),
                        detail: String::new(),
                        is_error: true,
                        update: None,
                    }),
                }
            }
            if let Some(line) = t.line {
                match line_of(&m, trap.pc) {
                    Some((_, l)) if l == line => {}
                    Some((f, l)) => bad.push(format!("at {f}:{l}, expected line {line}")),
                    None => bad.push(format!(
                        "at pc 0x{:08x} with no source line, expected line {line}",
                        trap.pc
                    )),
                }
            }
            if !bad.is_empty() {
                fails.push(Mismatch {
                    headline: format!("wrong trap: {}", bad.join("; ")),
                    detail: indent(&trap.render(m.image())),
                    is_error: false,
                    update: (got != t.kind).then(|| Update {
                        file: expect_file.clone(),
                        key: vec![Key::Name("trap".into()), Key::Name("kind".into())],
                        new: NewValue::Str(got.to_string()),
                        what: format!("trap.kind: {} -> {got}", t.kind),
                    }),
                });
            }
        }
        (other, _) => {
            r.status = Status::Error;
            r.reason = format!("the run stopped unexpectedly: {other:?}");
            return r;
        }
    }
    if let Some(e) = &expect {
        let cx = Context {
            expect: e,
            stats: &stats,
            exit,
            perf,
        };
        fails.extend(check::check_state(&m, &cx));
        let has_perf =
            e.cycles.is_some() || !e.stats.is_empty() || e.asserts.iter().any(|a| a.perf);
        if has_perf && !perf {
            r.details.push_str(if opts.timing {
                "note: cycle/stats bounds not checked on a --hw configuration the test does not pin\n"
            } else {
                "note: cycle/stats bounds not checked without the timing model\n"
            });
        }
    }
    if fails.is_empty() {
        return r;
    }
    r.status = if fails.iter().any(|f| f.is_error) {
        Status::Error
    } else {
        Status::Fail
    };
    r.reason = fails[0].headline.clone();
    if fails.len() > 1 {
        r.reason
            .push_str(&format!(" (and {} more)", fails.len() - 1));
    }
    let mut d = String::new();
    for f in &fails {
        d.push_str(&format!("  {}\n", f.headline));
        d.push_str(&f.detail);
    }
    d.push_str(&r.details);
    r.details = d;
    r.updatable = fails.iter().all(|f| f.update.is_some());
    r.updates = fails.into_iter().filter_map(|f| f.update).collect();
    if case.variant.is_some() && !r.updates.is_empty() {
        // The file's expectations are shared by its variants: one variant's values are
        // not written over them.
        r.updates.clear();
        r.updatable = false;
        r.details
            .push_str("  (--update does not rewrite a variant's run into the expectations every variant shares)
");
    }
    r
}

fn indent(s: &str) -> String {
    s.lines().map(|l| format!("    {l}\n")).collect()
}

fn stopped_at(m: &Machine) -> String {
    match line_of(m, m.pc) {
        Some((f, l)) => format!("    stopped at pc 0x{:08x} ({f}:{l})\n", m.pc),
        None => format!("    stopped at pc 0x{:08x}\n", m.pc),
    }
}
