//! Running a sweep: the points (cartesian product of the spec's axes), the program
//! variant of each point (a generated wrapper source: `.equ` per parameter, `.include` of
//! the kernel, the point's data), its hardware description (the base with the point's
//! `hw.*` keys set), parallel runs through the emulator's session layer, one [`Record`]
//! per point, shards (`--partition`, the test runner's [`Partition`]) and merging shards.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use bitloom_emu::hw::HwConfig;
use bitloom_emu::session::{self, MachineOptions, StopReason, Stops};
use bitloom_emu::stats::Stats;

use super::spec::{Scalar, Spec};
use super::{data, metrics, SweepError};
use crate::runner::Partition;

/// Instructions a point may run before it is stopped (a runaway kernel).
pub const MAX_STEPS: u64 = 200_000_000;

/// One point of a sweep: a value for every axis.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    /// Position in the full product (0-based, file order, last axis fastest).
    pub index: usize,
    /// Axis name → value, in the spec's axis order.
    pub values: Vec<(String, Scalar)>,
}

impl Point {
    /// The value of axis `name`.
    pub fn get(&self, name: &str) -> Option<&Scalar> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

/// Every point of `spec`, in order.
pub fn points(spec: &Spec) -> Result<Vec<Point>, SweepError> {
    let total = spec
        .axes
        .iter()
        .try_fold(1usize, |n, a| n.checked_mul(a.values.len()))
        .filter(|&n| n <= super::spec::MAX_POINTS)
        .ok_or_else(|| SweepError::Spec {
            loc: spec
                .axes
                .first()
                .map(|a| a.loc.clone())
                .unwrap_or(super::spec::Loc {
                    file: spec.file.clone(),
                    line: 1,
                }),
            msg: format!("the sweep has more than {} points", super::spec::MAX_POINTS),
        })?;
    Ok((0..total)
        .map(|index| {
            let mut rest = index;
            let mut values = vec![(String::new(), Scalar::Int(0)); spec.axes.len()];
            for (i, a) in spec.axes.iter().enumerate().rev() {
                let n = a.values.len();
                values[i] = (a.name.clone(), a.values[rest % n].clone());
                rest /= n;
            }
            Point { index, values }
        })
        .collect())
}

/// The point's name: the sweep name and the swept axes' values,
/// `seed000[WPREC=8]`. Stable while the spec's swept axes keep their names; `hash:`
/// partitions hash it.
pub fn point_name(spec: &Spec, p: &Point) -> String {
    let parts: Vec<String> = spec
        .axes
        .iter()
        .zip(&p.values)
        .filter(|(a, _)| a.values.len() > 1)
        .map(|(_, (n, v))| format!("{n}={}", v.plain()))
        .collect();
    format!("{}[{}]", spec.name, parts.join(","))
}

/// The base hardware description of `spec`.
pub fn base_hw(spec: &Spec) -> Result<HwConfig, SweepError> {
    match &spec.hw_base {
        None => Ok(HwConfig::default()),
        Some(p) => HwConfig::resolve_path(p).map_err(|e| SweepError::Hw(e.to_string())),
    }
}

/// The hardware description of point `p`: `base` with the point's `hw.*` keys set.
pub fn hw_for(spec: &Spec, base: &HwConfig, p: &Point) -> Result<HwConfig, SweepError> {
    let mut v = toml::Value::try_from(base).map_err(|e| SweepError::Hw(e.to_string()))?;
    for (axis, (name, val)) in spec.axes.iter().zip(&p.values) {
        let Some(dotted) = name.strip_prefix("hw.") else {
            continue;
        };
        let (sec, key) = dotted.split_once('.').unwrap_or(("", dotted));
        let slot = v
            .get_mut(sec)
            .and_then(|s| s.as_table_mut())
            .ok_or_else(|| SweepError::Spec {
                loc: axis.loc.clone(),
                msg: format!("unknown hardware section `{sec}`"),
            })?;
        let tv = match val {
            Scalar::Int(i) => toml::Value::Integer(*i),
            Scalar::Float(f) => toml::Value::Float(*f),
            Scalar::Bool(b) => toml::Value::Boolean(*b),
            Scalar::Str(s) => toml::Value::String(s.clone()),
        };
        slot.insert(key.to_string(), tv);
    }
    let text = toml::to_string(&v).map_err(|e| SweepError::Hw(e.to_string()))?;
    HwConfig::parse(&text).map_err(|e| {
        SweepError::Hw(format!(
            "{}: point {}: {}",
            spec.file.display(),
            point_name(spec, p),
            e.to_string().trim_start_matches("<string>: ")
        ))
    })
}

/// The generated source of point `p`: its parameters as `.equ`, the kernel, its data.
pub fn wrapper_source(spec: &Spec, p: &Point) -> Result<String, SweepError> {
    let file = spec
        .program
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    let mut s = format!(
        "; generated by `bitloom sweep {}`: point {}\n",
        spec.file.display(),
        point_name(spec, p)
    );
    for (n, v) in &p.values {
        if !n.starts_with("hw.") {
            s.push_str(&format!("        .equ    {n}, {}\n", v.to_toml()));
        }
    }
    s.push_str(&format!("        .include {file:?}\n"));
    let dir = spec.file.parent().unwrap_or(Path::new("."));
    for d in &spec.data {
        s.push_str(&data::emit(d, &p.values, dir)?);
    }
    Ok(s)
}

/// The result of one point.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// Sweep name.
    pub sweep: String,
    /// Point index in the full product.
    pub index: usize,
    /// Point name ([`point_name`]).
    pub name: String,
    /// Axis values.
    pub params: Vec<(String, Scalar)>,
    /// Recorded metrics, in the spec's order.
    pub metrics: Vec<(String, f64)>,
    /// The program's exit code (`None` if it did not halt).
    pub exit: Option<u32>,
    /// Why the point failed: it did not assemble or load, trapped, ran out of steps, or
    /// exited non-zero (a self-checking kernel's check failed).
    pub error: Option<String>,
}

impl Record {
    /// The metric `name`.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| *v)
    }

    /// The value of axis `name`.
    pub fn param(&self, name: &str) -> Option<&Scalar> {
        self.params.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }

    /// One line of JSON (JSON Lines output).
    pub fn to_json(&self) -> String {
        let mut params = serde_json::Map::new();
        for (n, v) in &self.params {
            params.insert(n.clone(), v.to_json());
        }
        let mut metrics = serde_json::Map::new();
        for (n, v) in &self.metrics {
            metrics.insert(
                n.clone(),
                serde_json::Number::from_f64(*v)
                    .map(serde_json::Value::Number)
                    .unwrap_or(serde_json::Value::Null),
            );
        }
        let v = serde_json::json!({
            "sweep": self.sweep,
            "index": self.index,
            "point": self.name,
            "params": params,
            "metrics": metrics,
            "exit": self.exit,
            "error": self.error,
        });
        v.to_string()
    }

    /// Parse a line written by [`Record::to_json`].
    pub fn from_json(line: &str) -> Result<Record, String> {
        let v: serde_json::Value = serde_json::from_str(line).map_err(|e| e.to_string())?;
        let obj = |k: &str| {
            v.get(k)
                .and_then(|x| x.as_object())
                .ok_or_else(|| format!("missing object `{k}`"))
        };
        let params = obj("params")?
            .iter()
            .map(|(k, x)| {
                Scalar::from_json(x)
                    .map(|s| (k.clone(), s))
                    .ok_or_else(|| format!("parameter `{k}` is not a scalar"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let metrics = obj("metrics")?
            .iter()
            .map(|(k, x)| (k.clone(), x.as_f64().unwrap_or(f64::NAN)))
            .collect();
        Ok(Record {
            sweep: v["sweep"].as_str().ok_or("missing `sweep`")?.to_string(),
            index: v["index"].as_u64().ok_or("missing `index`")? as usize,
            name: v["point"].as_str().ok_or("missing `point`")?.to_string(),
            params,
            metrics,
            exit: v["exit"].as_u64().map(|x| x as u32),
            error: v["error"].as_str().map(str::to_string),
        })
    }
}

/// Assemble, run and measure one point.
pub fn run_point(spec: &Spec, base: &HwConfig, p: &Point) -> Record {
    let mut rec = Record {
        sweep: spec.name.clone(),
        index: p.index,
        name: point_name(spec, p),
        params: p.values.clone(),
        metrics: Vec::new(),
        exit: None,
        error: None,
    };
    match measure(spec, base, p) {
        Ok((metrics, exit, error)) => {
            rec.metrics = metrics;
            rec.exit = exit;
            rec.error = error;
        }
        Err(e) => rec.error = Some(e.to_string()),
    }
    rec
}

type Measured = (Vec<(String, f64)>, Option<u32>, Option<String>);

fn measure(spec: &Spec, base: &HwConfig, p: &Point) -> Result<Measured, SweepError> {
    let hw = hw_for(spec, base, p)?;
    let src = wrapper_source(spec, p)?;
    let dir = spec
        .program
        .parent()
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let opts = bitloom_asm::Options {
        include_dirs: vec![dir],
        ..bitloom_asm::Options::default()
    };
    let name = format!("<sweep {}>", point_name(spec, p));
    let out = bitloom_asm::assemble_str(&name, &src, &opts)
        .map_err(|d| SweepError::Program(d.render(false)))?;
    let mopts = MachineOptions {
        timing: true,
        checked: false,
    };
    let mut m = session::new_machine(&hw, &out.image, &mopts)
        .map_err(|e| SweepError::Program(e.to_string()))?;
    let mut stops = Stops {
        max_steps: Some(MAX_STEPS),
        ..Stops::default()
    };
    let stop = session::run(&mut m, &mut stops);
    let stats = Stats::collect(m.hw(), m.timing.as_ref(), m.instret, &m.class_counts);
    let metrics = metrics::extract(&stats, &hw, &spec.metrics);
    Ok(match stop.reason {
        StopReason::Exited(0) => (metrics, Some(0), None),
        StopReason::Exited(c) => (
            metrics,
            Some(c),
            Some(format!(
                "the program exited with {c} (its self-check failed)"
            )),
        ),
        other => {
            let why = other
                .as_trap(&m)
                .map(|t| t.to_string())
                .unwrap_or_else(|| format!("{other:?}"));
            (metrics, None, Some(why))
        }
    })
}

/// Check everything that can be checked before running: data fields, every point's
/// hardware description, that the first point assembles.
pub fn preflight(spec: &Spec) -> Result<(), SweepError> {
    for d in &spec.data {
        data::check(d)?;
    }
    let base = base_hw(spec)?;
    let pts = points(spec)?;
    for p in &pts {
        hw_for(spec, &base, p)?;
    }
    Ok(())
}

/// Run the points of `spec` in `partition` (all if `None`) on `jobs` threads; `on_record`
/// sees each record as it finishes (any order). Returns the records in point order.
pub fn run(
    spec: &Spec,
    partition: Option<Partition>,
    jobs: usize,
    on_record: &(dyn Fn(&Record) + Sync),
) -> Result<Vec<Record>, SweepError> {
    preflight(spec)?;
    let base = base_hw(spec)?;
    let mut pts = points(spec)?;
    if let Some(part) = partition {
        let names: Vec<String> = pts.iter().map(|p| point_name(spec, p)).collect();
        pts = pts
            .into_iter()
            .zip(names)
            .enumerate()
            .filter(|(i, (_, n))| part.contains(*i, n))
            .map(|(_, (p, _))| p)
            .collect();
    }
    let next = AtomicUsize::new(0);
    let out = Mutex::new(Vec::with_capacity(pts.len()));
    std::thread::scope(|s| {
        for _ in 0..jobs.max(1).min(pts.len().max(1)) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(p) = pts.get(i) else { break };
                let r = run_point(spec, &base, p);
                on_record(&r);
                out.lock().unwrap_or_else(|e| e.into_inner()).push(r);
            });
        }
    });
    let mut recs = out.into_inner().unwrap_or_else(|e| e.into_inner());
    recs.sort_by_key(|r| r.index);
    Ok(recs)
}

/// Combine shard outputs (JSON Lines texts, each named for errors) into the full sweep:
/// every point of `spec` exactly once, with the parameters the spec gives it.
pub fn merge(spec: &Spec, parts: &[(String, String)]) -> Result<Vec<Record>, SweepError> {
    let pts = points(spec)?;
    let mut got: BTreeMap<usize, (Record, String)> = BTreeMap::new();
    for (file, text) in parts {
        for (ln, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let at = format!("{file}:{}", ln + 1);
            let r = Record::from_json(line).map_err(|e| SweepError::Merge(format!("{at}: {e}")))?;
            if r.sweep != spec.name {
                return Err(SweepError::Merge(format!(
                    "{at}: record of sweep `{}`, not `{}`",
                    r.sweep, spec.name
                )));
            }
            let Some(p) = pts.get(r.index) else {
                return Err(SweepError::Merge(format!(
                    "{at}: point index {} is outside the sweep (0..{})",
                    r.index,
                    pts.len()
                )));
            };
            let mut r = r;
            // JSON objects come back in key order: restore the spec's order.
            let mut sorted = r.params.clone();
            sorted.sort_by(|a, b| a.0.cmp(&b.0));
            let mut want = p.values.clone();
            want.sort_by(|a, b| a.0.cmp(&b.0));
            if sorted != want || point_name(spec, p) != r.name {
                return Err(SweepError::Merge(format!(
                    "{at}: point {} does not match the spec's point {} (was the spec edited?)",
                    r.name,
                    point_name(spec, p)
                )));
            }
            r.params = p.values.clone();
            r.metrics.sort_by_key(|(n, _)| {
                spec.metrics
                    .iter()
                    .position(|m| m == n)
                    .unwrap_or(usize::MAX)
            });
            if let Some((_, first)) = got.get(&r.index) {
                return Err(SweepError::Merge(format!(
                    "{at}: point {} also in {first}: overlapping shards",
                    r.name
                )));
            }
            got.insert(r.index, (r, at));
        }
    }
    let missing: Vec<String> = pts
        .iter()
        .filter(|p| !got.contains_key(&p.index))
        .map(|p| point_name(spec, p))
        .collect();
    if !missing.is_empty() {
        let shown = missing
            .iter()
            .take(5)
            .cloned()
            .collect::<Vec<_>>()
            .join(", ");
        return Err(SweepError::Merge(format!(
            "{} of {} points missing (a shard not run?): {shown}{}",
            missing.len(),
            pts.len(),
            if missing.len() > 5 { ", ..." } else { "" }
        )));
    }
    Ok(got.into_values().map(|(r, _)| r).collect())
}
