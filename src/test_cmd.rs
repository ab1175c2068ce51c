//! `bitloom test`: the command-line face of the program test runner
//! (`bitloom_programs::runner`, docs/TESTING.md). Parses the options, discovers, filters
//! and partitions the tests, runs them with a progress bar on a terminal (plain lines
//! otherwise), and writes the summary, JSON lines, JUnit XML and `--update` edits.
//!
//! Exit status: 0 when every test passed (or was skipped), 1 when any failed, timed out or
//! was in error, 2 for a usage problem (no such path, unreadable `--hw`, ...).

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bitloom_programs::runner::{
    self, discover, report, update, Event, Partition, Status, SuiteOptions,
};

/// Options of `bitloom test`.
#[derive(clap::Args, Debug)]
pub struct TestArgs {
    /// Folders (searched recursively for `*.s`) or program files; default `programs/`.
    pub paths: Vec<PathBuf>,
    /// Run only tests whose name contains this text (repeatable; any may match).
    #[arg(short = 'f', long = "filter", value_name = "TEXT")]
    pub filter: Vec<String>,
    /// Filters must equal the whole test name.
    #[arg(long)]
    pub exact: bool,
    /// Worker threads (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Print the selected test names and exit.
    #[arg(long)]
    pub list: bool,
    /// Print one JSON record per test on stdout (human output goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Write a JUnit XML report to FILE.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Hardware configuration (file or `preset:NAME`) for every test that does not pin its
    /// own.
    #[arg(long, value_name = "FILE")]
    pub hw: Option<PathBuf>,
    /// Rewrite failing expectations with the values of this run, printing each change.
    #[arg(long)]
    pub update: bool,
    /// Run one shard: `count:K/N` or `hash:K/N` (cargo-nextest's meaning).
    #[arg(long, value_name = "KIND:K/N")]
    pub partition: Option<Partition>,
    /// Functional only (tests that need timing are skipped; cycle bounds unchecked).
    #[arg(long)]
    pub no_timing: bool,
    /// Check every accelerator instruction against the reference implementation.
    #[arg(long)]
    pub checked: bool,
    /// Step budget per test (default 200,000,000; an expectation's `max_steps` wins).
    #[arg(long, value_name = "N")]
    pub max_steps: Option<u64>,
    /// Wall-clock limit per test in seconds (default 120; an expectation's `timeout` wins).
    #[arg(long, value_name = "SECS")]
    pub timeout: Option<f64>,
    /// Symbols every `.s` program is assembled with (a test's own `[defsym]` entry of the
    /// same name wins).
    #[command(flatten)]
    pub defines: crate::define_args::DefineArgs,
}

/// Run `bitloom test`; `Err` is a usage error (exit status 2).
pub fn run(a: TestArgs) -> Result<u8, String> {
    let paths = if a.paths.is_empty() {
        vec![PathBuf::from("programs")]
    } else {
        a.paths.clone()
    };
    let all = discover(&paths)?;
    let selected = discover::filter(all, &a.filter, a.exact);
    let tests = match a.partition {
        Some(p) => p.select(selected, |t| t.name.as_str()),
        None => selected,
    };
    if a.list {
        let mut out = std::io::stdout().lock();
        for t in &tests {
            let _ = writeln!(out, "{}", t.name);
        }
        return Ok(0);
    }
    let mut opts = SuiteOptions {
        timing: !a.no_timing,
        checked: a.checked,
        defines: a.defines.defines.clone(),
        ..SuiteOptions::default()
    };
    if let Some(j) = a.jobs {
        if j == 0 {
            return Err("-j must be at least 1".into());
        }
        opts.jobs = j;
    }
    if let Some(p) = &a.hw {
        let hw = bitloom_emu::hw::HwConfig::resolve_path(p).map_err(|e| e.to_string())?;
        opts.hw = Some(Arc::new(hw));
    }
    if let Some(n) = a.max_steps {
        opts.max_steps = n.max(1);
    }
    if let Some(s) = a.timeout {
        if !(s > 0.0 && s < 1e7) {
            return Err("--timeout must be a positive number of seconds".into());
        }
        opts.timeout = Duration::from_secs_f64(s);
    }

    // Human output goes to stdout, or to stderr when stdout carries JSON.
    let mut human: Box<dyn Write> = if a.json {
        Box::new(std::io::stderr())
    } else {
        Box::new(std::io::stdout())
    };
    let _ = writeln!(
        human,
        "running {} test{} on {} thread{}{}",
        tests.len(),
        if tests.len() == 1 { "" } else { "s" },
        opts.jobs.min(tests.len().max(1)),
        if opts.jobs.min(tests.len().max(1)) == 1 {
            ""
        } else {
            "s"
        },
        a.partition
            .map(|_| format!(" (partition {})", partition_text(&a)))
            .unwrap_or_default()
    );
    let bar = (std::io::stderr().is_terminal() && !tests.is_empty()).then(|| {
        let b = indicatif::ProgressBar::new(tests.len() as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {wide_msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b.enable_steady_tick(Duration::from_millis(120));
        b
    });
    let t0 = Instant::now();
    let mut json_out = std::io::stdout();
    let mut running: Vec<String> = Vec::new();
    let results = runner::run_suite(&tests, &opts, &mut |ev| match ev {
        Event::Started(t) => {
            running.push(t.name.clone());
            if let Some(b) = &bar {
                b.set_message(running.join(", "));
            }
        }
        Event::Finished(r) => {
            running.retain(|n| *n != r.name);
            let line = report::status_line(r);
            match &bar {
                Some(b) => {
                    b.inc(1);
                    b.set_message(running.join(", "));
                    if r.status != Status::Pass {
                        b.println(line);
                    }
                }
                None => {
                    let _ = writeln!(human, "{line}");
                }
            }
            if a.json {
                let _ = writeln!(json_out, "{}", report::json_line(r));
            }
        }
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let wall = t0.elapsed();
    if let Some(p) = &a.junit {
        let xml = report::junit(&results, "bitloom", wall)?;
        std::fs::write(p, xml).map_err(|e| format!("{}: {e}", p.display()))?;
    }
    let _ = write!(human, "{}", report::closing(&results, wall));
    let counts = runner::Counts::of(&results);
    if a.update {
        let ups: Vec<_> = results
            .iter()
            .flat_map(|r| r.updates.iter().cloned())
            .collect();
        let (done, errors) = update::apply(&ups);
        if done.is_empty() && errors.is_empty() {
            let _ = writeln!(human, "--update: nothing to rewrite");
        }
        for d in &done {
            let _ = writeln!(human, "updated {d}");
        }
        for e in &errors {
            let _ = writeln!(human, "error: --update: {e}");
        }
        let unfixed = results
            .iter()
            .filter(|r| {
                matches!(r.status, Status::Fail | Status::Timeout | Status::Error)
                    && !(r.status == Status::Fail && r.updatable)
            })
            .count();
        let _ = human.flush();
        return Ok(u8::from(unfixed > 0 || !errors.is_empty()));
    }
    let _ = human.flush();
    Ok(u8::from(counts.not_passed() > 0))
}

fn partition_text(a: &TestArgs) -> String {
    match a.partition {
        Some(Partition::Count { shard, total }) => format!("count:{shard}/{total}"),
        Some(Partition::Hash { shard, total }) => format!("hash:{shard}/{total}"),
        None => String::new(),
    }
}
