//! The program test runner behind `bitloom test` (docs/TESTING.md).
//!
//! Flow: [`discover`](discover::discover) finds `*.s` programs and their
//! `NAME.expect.toml`; the CLI filters and [partitions](partition::Partition) the list;
//! [`run_suite`] runs the tests on `jobs` worker threads, each test through
//! [`exec::run_test`] (load, run through the emulator's session layer with a step budget
//! and a wall-clock cancel flag, then [`check`] the outcome against the
//! [`expect::Expect`]ations); [`report`] prints status lines, the failure diffs, the
//! closing `N passed, N failed` line, JSON lines and JUnit XML; [`update`] rewrites
//! expectations for `--update`.
//!
//! The runner prints nothing itself: [`run_suite`] reports each finished test through a
//! callback, and the caller (the CLI, or a test) renders it.

pub mod check;
pub mod discover;
pub mod exec;
pub mod expect;
pub mod expr;
pub mod npy;
pub mod partition;
pub mod report;
pub mod update;
pub mod variant;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::Duration;

use bitloom_emu::hw::HwConfig;

pub use discover::{discover, TestCase};
pub use partition::Partition;
pub use report::Counts;

/// Outcome of one test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Status {
    /// Every expectation held.
    Pass,
    /// An expectation did not hold.
    Fail,
    /// The step budget or the wall-clock limit ran out.
    Timeout,
    /// The test could not be run or judged (assembly error, bad expectation file).
    Error,
    /// Not run (it needs the timing model and `--no-timing` was given).
    Skip,
}

impl Status {
    /// `PASS`, `FAIL`, `TIMEOUT`, `ERROR`, `SKIP`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Pass => "PASS",
            Status::Fail => "FAIL",
            Status::Timeout => "TIMEOUT",
            Status::Error => "ERROR",
            Status::Skip => "SKIP",
        }
    }
}

/// The result of one test.
#[derive(Clone, Debug)]
pub struct TestResult {
    /// Test name.
    pub name: String,
    /// The program.
    pub program: PathBuf,
    /// Outcome.
    pub status: Status,
    /// One line: why it did not pass (empty for PASS).
    pub reason: String,
    /// The readable diff (indented lines), or assembler diagnostics.
    pub details: String,
    /// Total cycles of the run (instructions without the timing model).
    pub cycles: Option<u64>,
    /// Retired instructions.
    pub instructions: Option<u64>,
    /// Host wall time of the test.
    pub wall: Duration,
    /// What `--update` would change.
    pub updates: Vec<check::Update>,
    /// Every failed check has an update (so `--update` makes the test pass).
    pub updatable: bool,
}

/// Suite-wide options.
#[derive(Clone, Debug)]
pub struct SuiteOptions {
    /// `--hw`: the configuration for tests that do not pin their own.
    pub hw: Option<Arc<HwConfig>>,
    /// Run the timing model (off with `--no-timing`).
    pub timing: bool,
    /// Checked mode for every test.
    pub checked: bool,
    /// Default step budget of a test.
    pub max_steps: u64,
    /// Default wall-clock limit of a test.
    pub timeout: Duration,
    /// Worker threads.
    pub jobs: usize,
    /// `-D NAME[=VALUE]`: symbols every program is assembled with (a test's own
    /// `[defsym]` entry of the same name wins).
    pub defines: Vec<bitloom_asm::Define>,
}

/// Default step budget per test.
pub const DEFAULT_MAX_STEPS: u64 = 200_000_000;
/// Default wall-clock limit per test.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(120);

impl Default for SuiteOptions {
    fn default() -> Self {
        SuiteOptions {
            hw: None,
            timing: true,
            checked: false,
            max_steps: DEFAULT_MAX_STEPS,
            timeout: DEFAULT_TIMEOUT,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            defines: Vec::new(),
        }
    }
}

/// Something the caller may render while the suite runs.
pub enum Event<'a> {
    /// A worker started a test.
    Started(&'a TestCase),
    /// A test finished.
    Finished(&'a TestResult),
}

/// Run `tests` on `opts.jobs` threads (at least one). Events arrive on the calling thread
/// in completion order; the returned results are in the order of `tests`.
pub fn run_suite(
    tests: &[TestCase],
    opts: &SuiteOptions,
    on_event: &mut dyn FnMut(Event<'_>),
) -> Vec<TestResult> {
    let jobs = opts.jobs.clamp(1, tests.len().max(1));
    let next = AtomicUsize::new(0);
    let mut results: Vec<Option<TestResult>> = vec![None; tests.len()];
    std::thread::scope(|s| {
        let (tx, rx) = mpsc::channel::<(usize, bool, Option<TestResult>)>();
        for w in 0..jobs {
            let tx = tx.clone();
            let next = &next;
            let _ = std::thread::Builder::new()
                .name(format!("bitloom-test-{w}"))
                .spawn_scoped(s, move || loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(t) = tests.get(i) else { break };
                    if tx.send((i, true, None)).is_err() {
                        break;
                    }
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        exec::run_test(t, opts)
                    }))
                    .unwrap_or_else(|p| {
                        let msg = p
                            .downcast_ref::<String>()
                            .cloned()
                            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                            .unwrap_or_default();
                        TestResult {
                            name: t.name.clone(),
                            program: t.program.clone(),
                            status: Status::Error,
                            reason: format!("internal error (panic): {msg}"),
                            details: String::new(),
                            cycles: None,
                            instructions: None,
                            wall: Duration::ZERO,
                            updates: Vec::new(),
                            updatable: false,
                        }
                    });
                    if tx.send((i, false, Some(r))).is_err() {
                        break;
                    }
                });
        }
        drop(tx);
        for (i, started, r) in rx {
            match (started, r) {
                (true, _) => on_event(Event::Started(&tests[i])),
                (false, Some(r)) => {
                    on_event(Event::Finished(&r));
                    results[i] = Some(r);
                }
                _ => {}
            }
        }
    });
    results
        .into_iter()
        .zip(tests)
        .map(|(r, t)| {
            r.unwrap_or_else(|| TestResult {
                name: t.name.clone(),
                program: t.program.clone(),
                status: Status::Error,
                reason: "the worker running this test stopped (panic?)".into(),
                details: String::new(),
                cycles: None,
                instructions: None,
                wall: Duration::ZERO,
                updates: Vec::new(),
                updatable: false,
            })
        })
        .collect()
}
