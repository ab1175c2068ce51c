//! `bitloom sweep`: the command-line face of `bitloom_programs::sweep` (docs/SWEEP.md).
//!
//! - `bitloom sweep SPEC.toml [-o OUT.jsonl] [--partition count:K/N|hash:K/N] [-j N]`
//!   runs the points (or one shard) and writes one JSON record per point.
//! - `bitloom sweep SPEC.toml --merge PART.jsonl... [-o OUT.jsonl]` combines shards,
//!   checking that every point is there exactly once.
//! - `bitloom sweep --report [--sweeps DIR] [--docs DIR] [--check]` runs every report
//!   spec and writes docs/RESULTS.md, its SVG plots and records (`--check`: compare with
//!   the files on disk instead, exit 1 if they differ).
//!
//! Exit status: 0 when every point ran and passed, 1 when a point failed (or `--check`
//! found a difference), 2 for a usage or spec error.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use bitloom_programs::runner::Partition;
use bitloom_programs::sweep::{self, report, run, Record};

use crate::output::{self, Files};
use crate::Fail;

/// Options of `bitloom sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The sweep spec (TOML; see docs/SWEEP.md).
    #[arg(required_unless_present = "report")]
    pub spec: Option<PathBuf>,
    /// Write the JSON Lines records to FILE (default: standard output).
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Run one shard: `count:K/N` or `hash:K/N` (the meaning of `bitloom test --partition`).
    #[arg(long, value_name = "KIND:K/N", conflicts_with_all = ["merge", "report"])]
    pub partition: Option<Partition>,
    /// Combine these shard outputs instead of running (each point exactly once).
    #[arg(long, value_name = "PART", num_args = 1.., conflicts_with = "report")]
    pub merge: Vec<PathBuf>,
    /// Print the points (name per line) and exit.
    #[arg(long, conflicts_with_all = ["merge", "report"])]
    pub list: bool,
    /// Worker threads (default: the number of cores).
    #[arg(short = 'j', long, value_name = "N")]
    pub jobs: Option<usize>,
    /// Generate the results report from every spec with a [report] table.
    #[arg(long, conflicts_with = "spec")]
    pub report: bool,
    /// Folder of report specs (default: programs/sweeps of this source tree).
    #[arg(long, value_name = "DIR", requires = "report")]
    pub sweeps: Option<PathBuf>,
    /// Folder RESULTS.md and results/ are written to (default: docs of this source tree).
    #[arg(long, value_name = "DIR", requires = "report")]
    pub docs: Option<PathBuf>,
    /// Compare the generated report with the files on disk; write nothing.
    #[arg(long, requires = "report")]
    pub check: bool,
}

fn usage(e: impl std::fmt::Display) -> Fail {
    Fail(format!("error: {e}"), 2)
}

fn jobs(a: &SweepArgs) -> usize {
    a.jobs.unwrap_or_else(|| {
        std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
    })
}

/// The source tree's root (programs/ and docs/ are found from it).
fn repo_root() -> PathBuf {
    bitloom_programs::programs_dir()
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn write_records(out: Option<&Path>, recs: &[Record]) -> Result<(), Fail> {
    let mut text = String::new();
    for r in recs {
        text.push_str(&r.to_json());
        text.push('\n');
    }
    match out {
        Some(p) => output::write_file(p, text.as_bytes()),
        None => output::stdout(&text),
    }
}

/// Run `bitloom sweep`; the exit status.
pub fn run(a: SweepArgs) -> Result<u8, Fail> {
    if a.report {
        return run_report(&a);
    }
    let Some(spec_path) = a.spec.as_deref() else {
        return Err(usage("a sweep spec is required (or --report)"));
    };
    let mut files = Files::default();
    files.input("sweep spec", spec_path);
    for m in &a.merge {
        files.input("shard", m);
    }
    if let Some(o) = &a.output {
        files.output("records", o)?;
    }
    let spec = sweep::load(spec_path).map_err(usage)?;
    if a.list {
        let pts = sweep::points(&spec).map_err(usage)?;
        let mut s = String::new();
        for p in &pts {
            s.push_str(&sweep::point_name(&spec, p));
            s.push('\n');
        }
        output::stdout(&s)?;
        return Ok(0);
    }
    if !a.merge.is_empty() {
        let mut parts = Vec::new();
        for m in &a.merge {
            let bytes = bitloom_isa::srcfile::read_capped(m, 1 << 30)
                .map_err(|e| usage(format!("{}: {e}", m.display())))?;
            let text = String::from_utf8(bytes)
                .map_err(|_| usage(format!("{}: not UTF-8 text", m.display())))?;
            parts.push((m.display().to_string(), text));
        }
        let recs = sweep::merge(&spec, &parts).map_err(usage)?;
        write_records(a.output.as_deref(), &recs)?;
        return Ok(u8::from(recs.iter().any(|r| r.error.is_some())));
    }
    let total = sweep::points(&spec).map_err(usage)?.len();
    let done = AtomicUsize::new(0);
    let progress = |r: &Record| {
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        let status = match &r.error {
            None => "ok".to_string(),
            Some(e) => format!("FAILED: {}", e.lines().next().unwrap_or("")),
        };
        output::stderr(&format!("[{n}] {} {status}\n", r.name));
    };
    let recs = run::run(&spec, a.partition, jobs(&a), &progress).map_err(usage)?;
    write_records(a.output.as_deref(), &recs)?;
    let failed: Vec<&Record> = recs.iter().filter(|r| r.error.is_some()).collect();
    output::stderr(&format!(
        "{} points run ({} in the sweep), {} failed\n",
        recs.len(),
        total,
        failed.len()
    ));
    for r in &failed {
        output::stderr(&format!(
            "\n{}:\n{}\n",
            r.name,
            r.error.as_deref().unwrap_or("")
        ));
    }
    Ok(u8::from(!failed.is_empty()))
}

fn run_report(a: &SweepArgs) -> Result<u8, Fail> {
    let root = repo_root();
    let sweeps = a
        .sweeps
        .clone()
        .unwrap_or_else(|| root.join("programs/sweeps"));
    let docs = a.docs.clone().unwrap_or_else(|| root.join("docs"));
    let out = report::generate(&sweeps, jobs(a)).map_err(|e| Fail(format!("error: {e}"), 1))?;
    let mut all = vec![(PathBuf::from("RESULTS.md"), out.markdown.clone())];
    all.extend(out.files.iter().cloned());
    if a.check {
        let stale: Vec<String> = all
            .iter()
            .filter(|(rel, text)| {
                std::fs::read_to_string(docs.join(rel)).ok().as_deref() != Some(text.as_str())
            })
            .map(|(rel, _)| docs.join(rel).display().to_string())
            .collect();
        output::stdout(&out.summary)?;
        if stale.is_empty() {
            return Ok(0);
        }
        output::stderr(&format!(
            "error: out of date (regenerate with `bitloom sweep --report`): {}\n",
            stale.join(", ")
        ));
        return Ok(1);
    }
    std::fs::create_dir_all(docs.join("results"))
        .map_err(|e| Fail(format!("error: {}: {e}", docs.display()), 1))?;
    for (rel, text) in &all {
        output::write_file(&docs.join(rel), text.as_bytes())?;
    }
    output::stdout(&out.summary)?;
    output::stderr(&format!(
        "wrote {} and {} files under {}\n",
        docs.join("RESULTS.md").display(),
        out.files.len(),
        docs.join("results").display()
    ));
    Ok(0)
}
