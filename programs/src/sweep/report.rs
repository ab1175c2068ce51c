//! The results report: every sweep spec with a `[report]` table in a folder
//! (`programs/sweeps/`) is run in full and rendered as one Markdown document
//! (docs/RESULTS.md) with one SVG plot per `[[report.plot]]` (docs/results/) and the
//! sweep's records (docs/results/NAME.jsonl). Each `[[report.claim]]` puts the paper's
//! number next to ours and the relative difference.
//!
//! Generation is deterministic (same specs and model → same bytes), so a test can
//! regenerate the report and compare it with the committed one.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::plot::{self, Figure, Series};
use super::spec::{Claim, Report, Scalar, Spec};
use super::{run, Record, SweepError};

/// The generated report.
#[derive(Debug, Default)]
pub struct Output {
    /// docs/RESULTS.md.
    pub markdown: String,
    /// Other files, by path relative to the Markdown file's folder (`results/x.svg`).
    pub files: Vec<(PathBuf, String)>,
    /// The comparison rows (also in the Markdown), for the terminal.
    pub summary: String,
}

/// The report specs in `dir` (`*.toml` with a `[report]` table), by file name.
pub fn specs_in(dir: &Path) -> Result<Vec<Spec>, SweepError> {
    let rd = std::fs::read_dir(dir).map_err(|e| SweepError::Io {
        path: dir.to_path_buf(),
        msg: e.to_string(),
    })?;
    let mut files: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let s = super::spec::load(&f)?;
        if s.report.is_some() {
            out.push(s);
        }
    }
    if out.is_empty() {
        return Err(SweepError::Report(format!(
            "{}: no sweep spec with a [report] table",
            dir.display()
        )));
    }
    Ok(out)
}

/// A number for tables: 3 significant digits below 1000, whole numbers above (and for
/// whole numbers from 10 up: cycle and byte counts).
pub fn fmt_num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    let a = v.abs();
    if a >= 1000.0 || (a >= 10.0 && v.fract() == 0.0) {
        return format!("{v:.0}");
    }
    let digits = (2 - a.log10().floor() as i32).clamp(0, 6) as usize;
    format!("{v:.digits$}")
}

fn matches(v: &Scalar, want: &Scalar) -> bool {
    match (v.as_f64(), want.as_f64()) {
        (Some(a), Some(b)) => a == b,
        _ => v == want,
    }
}

/// The one record whose axes equal `at` (the other axes must then be fixed, or the
/// selection is ambiguous).
fn select<'a>(
    spec: &Spec,
    recs: &'a [Record],
    at: &[(String, Scalar)],
    what: &str,
) -> Result<&'a Record, SweepError> {
    let hits: Vec<&Record> = recs
        .iter()
        .filter(|r| {
            at.iter()
                .all(|(k, v)| r.param(k).is_some_and(|x| matches(x, v)))
        })
        .collect();
    match hits.as_slice() {
        [r] => Ok(r),
        [] => Err(SweepError::Report(format!(
            "{}: claim `{what}`: no point has {}",
            spec.file.display(),
            show_sel(at)
        ))),
        _ => Err(SweepError::Report(format!(
            "{}: claim `{what}`: {} points have {} (name every swept axis)",
            spec.file.display(),
            hits.len(),
            show_sel(at)
        ))),
    }
}

fn show_sel(at: &[(String, Scalar)]) -> String {
    at.iter()
        .map(|(k, v)| format!("{k} = {}", v.plain()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Our value for a claim: the metric at `at`, or metric(over) / metric(at).
pub fn claim_value(spec: &Spec, recs: &[Record], c: &Claim) -> Result<f64, SweepError> {
    let get = |sel: &[(String, Scalar)]| -> Result<f64, SweepError> {
        let r = select(spec, recs, sel, &c.what)?;
        r.metric(&c.metric).ok_or_else(|| {
            SweepError::Report(format!("claim `{}`: {} not recorded", c.what, c.metric))
        })
    };
    let base = get(&c.at)?;
    match &c.over {
        None => Ok(base),
        Some(o) => {
            let num = get(o)?;
            Ok(if base != 0.0 { num / base } else { f64::NAN })
        }
    }
}

/// One comparison row: `| what | paper | ours | difference | source |`.
fn claim_row(c: &Claim, ours: f64) -> String {
    let (paper, diff) = match c.paper {
        Some(p) if p != 0.0 => (fmt_num(p), format!("{:+.1} %", (ours - p) / p * 100.0)),
        Some(p) => (fmt_num(p), "n/a".into()),
        None => ("—".into(), "—".into()),
    };
    format!(
        "| {} | {paper} | {} | {diff} | {} |",
        c.what,
        fmt_num(ours),
        if c.source.is_empty() {
            "—"
        } else {
            &c.source
        }
    )
}

fn axis_values(spec: &Spec, name: &str) -> Vec<Scalar> {
    spec.axes
        .iter()
        .find(|a| a.name == name)
        .map(|a| a.values.clone())
        .unwrap_or_default()
}

fn figure_svg(
    spec: &Spec,
    r: &Report,
    recs: &[Record],
    p: &super::spec::Plot,
) -> Result<String, SweepError> {
    let (y, label) = (p.y.as_str(), p.y_label.as_str());
    let xs = axis_values(spec, &r.x);
    let numeric = xs.iter().all(|v| v.as_f64().is_some());
    let categories: Vec<String> = if numeric {
        Vec::new()
    } else {
        xs.iter().map(Scalar::plain).collect()
    };
    let series_vals = match &r.series {
        Some(s) => axis_values(spec, s).into_iter().map(Some).collect(),
        None => vec![None],
    };
    let mut series = Vec::new();
    for sv in &series_vals {
        let mut pts = Vec::new();
        for (i, xv) in xs.iter().enumerate() {
            for rec in recs {
                let on_x = rec.param(&r.x).is_some_and(|v| matches(v, xv));
                let on_s = match (sv, &r.series) {
                    (Some(v), Some(s)) => rec.param(s).is_some_and(|x| matches(x, v)),
                    _ => true,
                };
                if on_x && on_s {
                    if let Some(m) = rec.metric(y) {
                        let x = if numeric {
                            xv.as_f64().unwrap_or(i as f64)
                        } else {
                            i as f64
                        };
                        pts.push((x, m));
                    }
                }
            }
        }
        series.push(Series {
            name: match (sv, &r.series) {
                (Some(v), Some(s)) => format!("{s} = {}", v.plain()),
                _ => String::new(),
            },
            points: pts,
        });
    }
    // The papers' values at a single point of this metric, placed at that point's x.
    let paper: Vec<(f64, f64)> = r
        .claims
        .iter()
        .filter(|c| c.metric == y && c.over.is_none())
        .filter_map(|c| {
            let pv = c.paper?;
            let xv = c.at.iter().find(|(k, _)| *k == r.x).map(|(_, v)| v)?;
            let i = xs.iter().position(|v| matches(v, xv))?;
            let x = if numeric { xv.as_f64()? } else { i as f64 };
            Some((x, pv))
        })
        .collect();
    plot::svg(&Figure {
        title: &r.title,
        x_label: &r.x,
        y_label: label,
        categories: &categories,
        series: &series,
        paper: &paper,
        legend: &p.legend,
    })
}

/// Render one sweep's section; its files are pushed to `files`.
fn section(
    spec: &Spec,
    recs: &[Record],
    files: &mut Vec<(PathBuf, String)>,
    summary: &mut String,
) -> Result<String, SweepError> {
    let Some(r) = &spec.report else {
        return Ok(String::new());
    };
    let mut md = String::new();
    let rel = spec
        .file
        .file_name()
        .map(|f| format!("programs/sweeps/{}", f.to_string_lossy()))
        .unwrap_or_default();
    let _ = writeln!(md, "## {}\n", r.title);
    if !r.text.is_empty() {
        let _ = writeln!(md, "{}\n", r.text.trim());
    }
    let _ = writeln!(
        md,
        "Sweep `{}` ({} points): `bitloom sweep {rel}`; records in \
         [results/{}.jsonl](results/{}.jsonl).\n",
        spec.name,
        recs.len(),
        spec.name,
        spec.name
    );
    if !r.claims.is_empty() {
        let _ = writeln!(md, "| what | paper | ours | difference | paper source |");
        let _ = writeln!(md, "|---|---|---|---|---|");
        let _ = writeln!(summary, "{}:", r.title);
        for c in &r.claims {
            let row = claim_row(c, claim_value(spec, recs, c)?);
            let _ = writeln!(md, "{row}");
            let _ = writeln!(summary, "{row}");
        }
        let _ = writeln!(md);
    }
    for p in &r.plots {
        let name = format!("{}-{}.svg", spec.name, p.y.replace('.', "_"));
        let svg = figure_svg(spec, r, recs, p)?;
        files.push((PathBuf::from("results").join(&name), svg));
        let _ = writeln!(md, "![{}: {}](results/{name})\n", r.title, p.y_label);
    }
    // Every point: the swept axes, then the table metrics.
    let swept: Vec<&str> = spec
        .axes
        .iter()
        .filter(|a| a.values.len() > 1)
        .map(|a| a.name.as_str())
        .collect();
    let cols: Vec<&str> = swept
        .iter()
        .copied()
        .chain(r.table.iter().map(String::as_str))
        .collect();
    if !r.table.is_empty() {
        let _ = writeln!(md, "| {} |", cols.join(" | "));
        let _ = writeln!(md, "|{}", "---|".repeat(cols.len()));
        for rec in recs {
            let mut cells: Vec<String> = swept
                .iter()
                .map(|a| rec.param(a).map(Scalar::plain).unwrap_or_default())
                .collect();
            cells.extend(
                r.table
                    .iter()
                    .map(|m| fmt_num(rec.metric(m).unwrap_or(f64::NAN))),
            );
            let _ = writeln!(md, "| {} |", cells.join(" | "));
        }
        let _ = writeln!(md);
    }
    let mut jsonl = String::new();
    for rec in recs {
        jsonl.push_str(&rec.to_json());
        jsonl.push('\n');
    }
    files.push((
        PathBuf::from("results").join(format!("{}.jsonl", spec.name)),
        jsonl,
    ));
    Ok(md)
}

/// Run every report spec in `dir` in full on `jobs` threads and render the report.
/// Fails if any point fails (a report never shows a broken point).
pub fn generate(dir: &Path, jobs: usize) -> Result<Output, SweepError> {
    let specs = specs_in(dir)?;
    let mut out = Output::default();
    let mut md = String::new();
    let _ = writeln!(
        md,
        "# Results\n\n\
         Generated by `bitloom sweep --report` from the sweep specs in `programs/sweeps/` \
         (format: docs/SWEEP.md) — do not edit by hand; a test regenerates this file and \
         fails if it differs. Each section runs a Loom program over a grid of hardware keys \
         and program parameters on the emulator's timing model (docs/TIMING.md) and puts the \
         papers' numbers (abstracts in `shared/seeds/`) next to ours. Where a paper's number \
         is not comparable with what the model measures, the row says so.\n"
    );
    for spec in &specs {
        let recs = run::run(spec, None, jobs, &|_| {})?;
        if let Some(bad) = recs.iter().find(|r| r.error.is_some()) {
            return Err(SweepError::Report(format!(
                "{}: point {} failed: {}",
                spec.file.display(),
                bad.name,
                bad.error.as_deref().unwrap_or("")
            )));
        }
        md.push_str(&section(spec, &recs, &mut out.files, &mut out.summary)?);
    }
    out.markdown = md;
    Ok(out)
}
