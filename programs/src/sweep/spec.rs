//! Sweep specification files (`programs/sweeps/*.toml`, docs/SWEEP.md): parsed with
//! `toml_edit` so that every error names the file and line of the offending key.
//!
//! A spec names a program, a base hardware description and the values to sweep: a scalar
//! under `[hw.*]` or `[params]` is fixed, an array is swept, and the points are the
//! cartesian product of all arrays (in file order, the last key varying fastest).
//! `[data.LABEL]` tables describe tensors the sweep generates or quantises and hands to the
//! program as data labels, and `[report]` says how `bitloom sweep --report` shows the
//! results.

use std::collections::BTreeSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use toml_edit::{Item, Table, Value};

use super::SweepError;

/// A scalar value of a parameter, hardware key or data field.
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    /// An integer.
    Int(i64),
    /// A float.
    Float(f64),
    /// A boolean.
    Bool(bool),
    /// A string.
    Str(String),
}

impl Scalar {
    /// As TOML/assembly text (strings quoted for TOML; see [`Scalar::plain`]).
    pub fn to_toml(&self) -> String {
        match self {
            Scalar::Int(v) => v.to_string(),
            Scalar::Float(v) => format_float(*v),
            Scalar::Bool(v) => v.to_string(),
            Scalar::Str(s) => format!("{s:?}"),
        }
    }

    /// As plain text (strings unquoted): for point names and tables.
    pub fn plain(&self) -> String {
        match self {
            Scalar::Str(s) => s.clone(),
            v => v.to_toml(),
        }
    }

    /// As JSON.
    pub fn to_json(&self) -> serde_json::Value {
        match self {
            Scalar::Int(v) => (*v).into(),
            Scalar::Float(v) => (*v).into(),
            Scalar::Bool(v) => (*v).into(),
            Scalar::Str(s) => s.clone().into(),
        }
    }

    /// From JSON (records read back by `--merge` and the report).
    pub fn from_json(v: &serde_json::Value) -> Option<Scalar> {
        match v {
            serde_json::Value::Bool(b) => Some(Scalar::Bool(*b)),
            serde_json::Value::String(s) => Some(Scalar::Str(s.clone())),
            serde_json::Value::Number(n) => n
                .as_i64()
                .map(Scalar::Int)
                .or_else(|| n.as_f64().map(Scalar::Float)),
            _ => None,
        }
    }

    /// The number, if it is one.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            Scalar::Int(v) => Some(*v as f64),
            Scalar::Float(v) => Some(*v),
            _ => None,
        }
    }
}

/// A float that reads back as a float in TOML (`1.0`, not `1`).
fn format_float(v: f64) -> String {
    let s = v.to_string();
    if s.contains(['.', 'e', 'E', 'i', 'n']) {
        s
    } else {
        format!("{s}.0")
    }
}

/// A place in a spec file, for error messages.
#[derive(Clone, Debug)]
pub struct Loc {
    /// The file.
    pub file: PathBuf,
    /// 1-based line.
    pub line: usize,
}

impl std::fmt::Display for Loc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}", self.file.display(), self.line)
    }
}

/// One swept or fixed dimension: `hw.mac.model` or `WPREC`.
#[derive(Clone, Debug)]
pub struct Axis {
    /// Full name: `hw.SECTION.KEY` for hardware keys, the bare name for parameters.
    pub name: String,
    /// Its values (one for a fixed key).
    pub values: Vec<Scalar>,
    /// Where it is defined.
    pub loc: Loc,
}

impl Axis {
    /// A hardware key (`hw.` prefix) rather than a program parameter.
    pub fn is_hw(&self) -> bool {
        self.name.starts_with("hw.")
    }
}

/// A field of a `[data.LABEL]` table: a constant or the name of a parameter.
#[derive(Clone, Debug, PartialEq)]
pub enum Field {
    /// A constant.
    Const(Scalar),
    /// `"$NAME"`: the point's value of parameter NAME.
    Param(String),
}

/// `[data.LABEL]`: a tensor emitted into the program's `.data` under `LABEL`.
#[derive(Clone, Debug)]
pub struct DataDef {
    /// The label the program loads from.
    pub label: String,
    /// Fields (`source`, `seed`, `rows`, `cols`, `format`, `bits`, ...), each with its line.
    pub fields: Vec<(String, Field, Loc)>,
    /// Where the table starts.
    pub loc: Loc,
}

impl DataDef {
    /// The field called `name`.
    pub fn get(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.0 == name).map(|f| &f.1)
    }

    /// Where field `name` is (or the table, if absent).
    pub fn loc_of(&self, name: &str) -> &Loc {
        self.fields
            .iter()
            .find(|f| f.0 == name)
            .map(|f| &f.2)
            .unwrap_or(&self.loc)
    }
}

/// A number the report compares with a paper's figure.
#[derive(Clone, Debug)]
pub struct Claim {
    /// What is compared (`TOPS at 8 bit`).
    pub what: String,
    /// The paper's value.
    pub paper: Option<f64>,
    /// Where the paper's value comes from (`seed 000`).
    pub source: String,
    /// The metric.
    pub metric: String,
    /// The point the value is taken at (parameter/hw key = value).
    pub at: Vec<(String, Scalar)>,
    /// If set, the claim is the ratio metric(over) / metric(at) — a speed-up when the metric
    /// is cycles.
    pub over: Option<Vec<(String, Scalar)>>,
    /// Where it is defined.
    pub loc: Loc,
}

/// A plot: one metric against one axis, one line (or bar group) per value of `series`.
#[derive(Clone, Debug)]
pub struct Plot {
    /// Metric on the y axis.
    pub y: String,
    /// Axis label for y.
    pub y_label: String,
    /// Legend corner (`upper-left`, `upper-right`, `lower-left`, `lower-right`).
    pub legend: String,
    /// Where it is defined.
    pub loc: Loc,
}

/// `[report]`: how `bitloom sweep --report` presents this sweep.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// Section title.
    pub title: String,
    /// Paragraph under the title (Markdown).
    pub text: String,
    /// The axis along x.
    pub x: String,
    /// The axis giving one series per value (optional).
    pub series: Option<String>,
    /// Metrics shown in the table.
    pub table: Vec<String>,
    /// Plots (one SVG each).
    pub plots: Vec<Plot>,
    /// Numbers compared with the papers.
    pub claims: Vec<Claim>,
}

/// A parsed sweep specification.
#[derive(Clone, Debug)]
pub struct Spec {
    /// The spec file.
    pub file: PathBuf,
    /// Sweep name (default: the file stem).
    pub name: String,
    /// The program (`.s`), resolved against the spec's directory.
    pub program: PathBuf,
    /// Base hardware description file (`None`: the defaults).
    pub hw_base: Option<PathBuf>,
    /// Hardware keys and program parameters in file order (hw first, then params).
    pub axes: Vec<Axis>,
    /// Generated data.
    pub data: Vec<DataDef>,
    /// Metrics recorded per point.
    pub metrics: Vec<String>,
    /// Report layout (`None`: the sweep is not part of the report).
    pub report: Option<Report>,
}

/// Metrics recorded when a spec does not list its own.
pub const DEFAULT_METRICS: &[&str] = &[
    "cycles",
    "tops",
    "tops_per_watt",
    "mac.lane_utilisation",
    "mac.array_utilisation",
    "mac.skipped.zero_value",
    "mac.skipped.ineffectual_bit",
    "bytes.dram_read",
    "bytes.dram_written",
    "units.mac.busy_cycles",
    "units.dma.busy_cycles",
    "mac_tops",
    "mac_tops_per_watt",
];

/// Largest spec file read (1 MiB).
pub const MAX_SPEC_BYTES: u64 = 1 << 20;

/// Most points one spec may define (bounds memory and time).
pub const MAX_POINTS: usize = 1_000_000;

struct Ctx<'a> {
    file: &'a Path,
    text: &'a str,
}

impl Ctx<'_> {
    fn loc(&self, span: Option<Range<usize>>) -> Loc {
        let line = span
            .map(|s| {
                self.text[..s.start.min(self.text.len())]
                    .bytes()
                    .filter(|&b| b == b'\n')
                    .count()
                    + 1
            })
            .unwrap_or(1);
        Loc {
            file: self.file.to_path_buf(),
            line,
        }
    }

    fn key_loc(&self, t: &Table, key: &str) -> Loc {
        self.loc(t.key(key).and_then(|k| k.span()))
    }

    fn err(&self, loc: Loc, msg: impl Into<String>) -> SweepError {
        SweepError::Spec {
            loc,
            msg: msg.into(),
        }
    }
}

fn scalar(v: &Value) -> Option<Scalar> {
    match v {
        Value::Integer(i) => Some(Scalar::Int(*i.value())),
        Value::Float(f) => Some(Scalar::Float(*f.value())),
        Value::Boolean(b) => Some(Scalar::Bool(*b.value())),
        Value::String(s) => Some(Scalar::Str(s.value().clone())),
        _ => None,
    }
}

/// Valid dotted hardware keys (`mac.model`, ...), from the default configuration.
pub fn hw_keys() -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    if let Ok(toml::Value::Table(t)) = toml::Value::try_from(bitloom_emu::hw::HwConfig::default()) {
        for (sec, v) in t {
            if let toml::Value::Table(keys) = v {
                for k in keys.keys() {
                    out.insert(format!("{sec}.{k}"));
                }
            }
        }
    }
    out
}

/// Read and check a spec file.
pub fn load(file: &Path) -> Result<Spec, SweepError> {
    let bytes =
        bitloom_isa::srcfile::read_capped(file, MAX_SPEC_BYTES).map_err(|e| SweepError::Io {
            path: file.to_path_buf(),
            msg: e.to_string(),
        })?;
    let text = String::from_utf8(bytes).map_err(|_| SweepError::Io {
        path: file.to_path_buf(),
        msg: "not UTF-8 text".into(),
    })?;
    parse(file, &text)
}

/// Parse spec text; `file` names it in errors and anchors relative paths.
pub fn parse(file: &Path, text: &str) -> Result<Spec, SweepError> {
    let cx = Ctx { file, text };
    let doc = toml_edit::Document::parse(text).map_err(|e| {
        let loc = cx.loc(e.span());
        cx.err(loc, e.message().to_string())
    })?;
    let root = doc.as_table();
    let dir = file.parent().unwrap_or(Path::new("."));
    let mut spec = Spec {
        file: file.to_path_buf(),
        name: file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default(),
        program: PathBuf::new(),
        hw_base: None,
        axes: Vec::new(),
        data: Vec::new(),
        metrics: DEFAULT_METRICS.iter().map(|s| s.to_string()).collect(),
        report: None,
    };
    let mut have_program = false;
    for (key, item) in root.iter() {
        let loc = cx.key_loc(root, key);
        match key {
            "name" => spec.name = string(&cx, item, loc)?,
            "program" => {
                spec.program = dir.join(string(&cx, item, loc)?);
                have_program = true;
            }
            "hw_base" => {
                // A file relative to the spec, or a shipped preset as written.
                let v = string(&cx, item, loc)?;
                spec.hw_base = Some(if v.starts_with(bitloom_emu::hw::PRESET_PREFIX) {
                    PathBuf::from(v)
                } else {
                    dir.join(v)
                });
            }
            "metrics" => spec.metrics = strings(&cx, item, loc)?,
            "hw" => hw_axes(&cx, item, &mut spec.axes)?,
            "params" => params(&cx, item, &mut spec.axes)?,
            "data" => data(&cx, item, &mut spec.data)?,
            "report" => spec.report = Some(report(&cx, item, loc)?),
            _ => {
                return Err(cx.err(
                    loc,
                    format!(
                        "unknown key `{key}` (expected one of name, program, hw_base, metrics, \
                         hw, params, data, report)"
                    ),
                ))
            }
        }
    }
    if !have_program {
        return Err(cx.err(cx.loc(Some(0..0)), "missing `program = \"FILE.s\"`"));
    }
    check(&cx, &spec)?;
    Ok(spec)
}

fn string(cx: &Ctx, item: &Item, loc: Loc) -> Result<String, SweepError> {
    match item.as_value().and_then(scalar) {
        Some(Scalar::Str(s)) => Ok(s),
        _ => Err(cx.err(loc, "expected a string")),
    }
}

fn strings(cx: &Ctx, item: &Item, loc: Loc) -> Result<Vec<String>, SweepError> {
    let arr = item
        .as_array()
        .ok_or_else(|| cx.err(loc.clone(), "expected an array of strings"))?;
    arr.iter()
        .map(|v| match scalar(v) {
            Some(Scalar::Str(s)) => Ok(s),
            _ => Err(cx.err(cx.loc(v.span()), "expected a string")),
        })
        .collect()
}

/// A scalar or an array of scalars → the values of one axis.
fn values(cx: &Ctx, item: &Item, loc: &Loc) -> Result<Vec<Scalar>, SweepError> {
    let v = item
        .as_value()
        .ok_or_else(|| cx.err(loc.clone(), "expected a value or an array of values"))?;
    if let Some(arr) = v.as_array() {
        if arr.is_empty() {
            return Err(cx.err(loc.clone(), "empty array: a swept key needs values"));
        }
        arr.iter()
            .map(|x| scalar(x).ok_or_else(|| cx.err(cx.loc(x.span()), "expected a scalar")))
            .collect()
    } else {
        scalar(v)
            .map(|s| vec![s])
            .ok_or_else(|| cx.err(loc.clone(), "expected a scalar or an array of scalars"))
    }
}

fn table<'a>(cx: &Ctx, item: &'a Item, loc: &Loc) -> Result<&'a Table, SweepError> {
    item.as_table()
        .ok_or_else(|| cx.err(loc.clone(), "expected a table"))
}

fn hw_axes(cx: &Ctx, item: &Item, axes: &mut Vec<Axis>) -> Result<(), SweepError> {
    let known = hw_keys();
    let hw = table(cx, item, &cx.loc(item.span()))?;
    for (sec, sitem) in hw.iter() {
        let sloc = cx.key_loc(hw, sec);
        let st = table(cx, sitem, &sloc)?;
        for (k, v) in st.iter() {
            let loc = cx.key_loc(st, k);
            let dotted = format!("{sec}.{k}");
            if !known.contains(&dotted) {
                let near = known
                    .iter()
                    .filter(|c| strsim_close(c, &dotted))
                    .cloned()
                    .collect::<Vec<_>>();
                let hint = if near.is_empty() {
                    String::new()
                } else {
                    format!(" (did you mean `hw.{}`?)", near.join("`, `hw."))
                };
                return Err(cx.err(loc, format!("unknown hardware key `hw.{dotted}`{hint}")));
            }
            axes.push(Axis {
                name: format!("hw.{dotted}"),
                values: values(cx, v, &loc)?,
                loc,
            });
        }
    }
    Ok(())
}

/// Same section and a small edit distance in the key.
fn strsim_close(a: &str, b: &str) -> bool {
    let (sa, ka) = a.split_once('.').unwrap_or(("", a));
    let (sb, kb) = b.split_once('.').unwrap_or(("", b));
    (sa == sb && edit_distance(ka, kb) <= 2) || (ka == kb && sa != sb)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != *cb);
            cur.push(sub.min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

fn is_param_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next()
        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
        && c.all(|x| x.is_ascii_alphanumeric() || x == '_')
}

fn params(cx: &Ctx, item: &Item, axes: &mut Vec<Axis>) -> Result<(), SweepError> {
    let t = table(cx, item, &cx.loc(item.span()))?;
    for (k, v) in t.iter() {
        let loc = cx.key_loc(t, k);
        if !is_param_name(k) {
            return Err(cx.err(
                loc,
                format!("parameter `{k}` is not an assembler symbol name"),
            ));
        }
        let vals = values(cx, v, &loc)?;
        if vals.iter().any(|v| !matches!(v, Scalar::Int(_))) {
            return Err(cx.err(
                loc,
                format!("parameter `{k}`: program parameters are integers (`.equ {k}, VALUE`)"),
            ));
        }
        axes.push(Axis {
            name: k.to_string(),
            values: vals,
            loc,
        });
    }
    Ok(())
}

fn data(cx: &Ctx, item: &Item, out: &mut Vec<DataDef>) -> Result<(), SweepError> {
    let t = table(cx, item, &cx.loc(item.span()))?;
    for (label, ditem) in t.iter() {
        let loc = cx.key_loc(t, label);
        if !is_param_name(label) {
            return Err(cx.err(loc, format!("data label `{label}` is not a symbol name")));
        }
        let dt = table(cx, ditem, &loc)?;
        let mut fields = Vec::new();
        for (k, v) in dt.iter() {
            let floc = cx.key_loc(dt, k);
            let val = v
                .as_value()
                .and_then(scalar)
                .ok_or_else(|| cx.err(floc.clone(), "expected a scalar"))?;
            let field = match val {
                Scalar::Str(s) if s.starts_with('$') => Field::Param(s[1..].to_string()),
                v => Field::Const(v),
            };
            fields.push((k.to_string(), field, floc));
        }
        out.push(DataDef {
            label: label.to_string(),
            fields,
            loc,
        });
    }
    Ok(())
}

/// `KEY = VALUE` pairs of an inline table (`at = { WPREC = 8 }`).
fn point_sel(cx: &Ctx, item: &Item, loc: &Loc) -> Result<Vec<(String, Scalar)>, SweepError> {
    let t = item
        .as_inline_table()
        .map(|t| {
            t.iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect::<Vec<_>>()
        })
        .or_else(|| {
            item.as_table().map(|t| {
                t.iter()
                    .filter_map(|(k, v)| v.as_value().map(|v| (k.to_string(), v.clone())))
                    .collect()
            })
        })
        .ok_or_else(|| {
            cx.err(
                loc.clone(),
                "expected an inline table `{ KEY = VALUE, ... }`",
            )
        })?;
    t.into_iter()
        .map(|(k, v)| {
            let s = scalar(&v).ok_or_else(|| cx.err(loc.clone(), "expected scalar values"))?;
            // Dotted keys in an inline table nest (`hw.mac.model`): accept them quoted.
            Ok((k, s))
        })
        .collect()
}

fn report(cx: &Ctx, item: &Item, loc: Loc) -> Result<Report, SweepError> {
    let t = table(cx, item, &loc)?;
    let mut r = Report::default();
    for (k, v) in t.iter() {
        let kloc = cx.key_loc(t, k);
        match k {
            "title" => r.title = string(cx, v, kloc)?,
            "text" => r.text = string(cx, v, kloc)?,
            "x" => r.x = string(cx, v, kloc)?,
            "series" => r.series = Some(string(cx, v, kloc)?),
            "table" => r.table = strings(cx, v, kloc)?,
            "plot" => {
                let arr = v
                    .as_array_of_tables()
                    .ok_or_else(|| cx.err(kloc.clone(), "expected [[report.plot]] tables"))?;
                for pt in arr.iter() {
                    let ploc = cx.loc(pt.span());
                    let mut p = Plot {
                        y: String::new(),
                        y_label: String::new(),
                        legend: "upper-left".into(),
                        loc: ploc.clone(),
                    };
                    for (pk, pv) in pt.iter() {
                        let l = cx.key_loc(pt, pk);
                        match pk {
                            "y" => p.y = string(cx, pv, l)?,
                            "label" => p.y_label = string(cx, pv, l)?,
                            "legend" => {
                                p.legend = string(cx, pv, l.clone())?;
                                const CORNERS: [&str; 4] =
                                    ["upper-left", "upper-right", "lower-left", "lower-right"];
                                if !CORNERS.contains(&p.legend.as_str()) {
                                    return Err(cx.err(
                                        l,
                                        format!("legend `{}` ({})", p.legend, CORNERS.join(", ")),
                                    ));
                                }
                            }
                            _ => {
                                return Err(cx.err(
                                    l,
                                    format!(
                                        "unknown key `{pk}` in [[report.plot]] (y, label, legend)"
                                    ),
                                ))
                            }
                        }
                    }
                    if p.y.is_empty() {
                        return Err(cx.err(ploc, "[[report.plot]] needs `y`"));
                    }
                    if p.y_label.is_empty() {
                        p.y_label = p.y.clone();
                    }
                    r.plots.push(p);
                }
            }
            "claim" => {
                let arr = v
                    .as_array_of_tables()
                    .ok_or_else(|| cx.err(kloc.clone(), "expected [[report.claim]] tables"))?;
                for ct in arr.iter() {
                    r.claims.push(claim(cx, ct)?);
                }
            }
            _ => {
                return Err(cx.err(
                    kloc,
                    format!(
                        "unknown key `{k}` in [report] (title, text, x, series, table, plot, \
                         claim)"
                    ),
                ))
            }
        }
    }
    if r.x.is_empty() {
        return Err(cx.err(loc, "[report] needs `x` (the axis along x)"));
    }
    Ok(r)
}

fn claim(cx: &Ctx, ct: &Table) -> Result<Claim, SweepError> {
    let loc = cx.loc(ct.span());
    let mut c = Claim {
        what: String::new(),
        paper: None,
        source: String::new(),
        metric: String::new(),
        at: Vec::new(),
        over: None,
        loc: loc.clone(),
    };
    for (k, v) in ct.iter() {
        let l = cx.key_loc(ct, k);
        match k {
            "what" => c.what = string(cx, v, l)?,
            "paper" => {
                c.paper = Some(
                    v.as_value()
                        .and_then(scalar)
                        .and_then(|s| s.as_f64())
                        .ok_or_else(|| cx.err(l, "expected a number"))?,
                )
            }
            "source" => c.source = string(cx, v, l)?,
            "metric" => c.metric = string(cx, v, l)?,
            "at" => c.at = point_sel(cx, v, &l)?,
            "over" => c.over = Some(point_sel(cx, v, &l)?),
            _ => {
                return Err(cx.err(
                    l,
                    format!(
                        "unknown key `{k}` in [[report.claim]] (what, paper, source, metric, \
                         at, over)"
                    ),
                ))
            }
        }
    }
    if c.what.is_empty() || c.metric.is_empty() {
        return Err(cx.err(loc, "[[report.claim]] needs `what` and `metric`"));
    }
    Ok(c)
}

/// Cross-checks: metric names, axis names used by data, report and claims.
fn check(cx: &Ctx, spec: &Spec) -> Result<(), SweepError> {
    let mut seen = BTreeSet::new();
    for a in &spec.axes {
        if !seen.insert(a.name.clone()) {
            return Err(cx.err(a.loc.clone(), format!("`{}` is defined twice", a.name)));
        }
    }
    let metric_ok = |m: &str| super::metrics::is_metric(m);
    let line_of = |needle: &str| -> Loc {
        let off = cx.text.find(needle).unwrap_or(0);
        cx.loc(Some(off..off))
    };
    for m in &spec.metrics {
        if !metric_ok(m) {
            return Err(cx.err(
                line_of(&format!("\"{m}\"")),
                format!("unknown metric `{m}` ({})", super::metrics::HINT),
            ));
        }
    }
    for d in &spec.data {
        for (name, f, floc) in &d.fields {
            if let Field::Param(p) = f {
                if !spec.axes.iter().any(|a| &a.name == p) {
                    return Err(cx.err(
                        floc.clone(),
                        format!(
                            "data `{}`: `{name}` refers to unknown parameter `{p}`",
                            d.label
                        ),
                    ));
                }
            }
        }
    }
    if let Some(r) = &spec.report {
        let axis_ok = |n: &str| spec.axes.iter().any(|a| a.name == n);
        for n in std::iter::once(&r.x).chain(r.series.iter()) {
            if !axis_ok(n) {
                return Err(cx.err(
                    line_of(&format!("\"{n}\"")),
                    format!("[report] refers to `{n}`, which is not swept in this spec"),
                ));
            }
        }
        for m in r.table.iter().chain(r.plots.iter().map(|p| &p.y)) {
            if !spec.metrics.contains(m) {
                return Err(cx.err(
                    line_of(&format!("\"{m}\"")),
                    format!("[report] shows `{m}`, which is not in this spec's `metrics`"),
                ));
            }
        }
        for c in &r.claims {
            if !spec.metrics.contains(&c.metric) {
                return Err(cx.err(
                    c.loc.clone(),
                    format!("claim `{}`: metric `{}` is not recorded", c.what, c.metric),
                ));
            }
            for (k, _) in c.at.iter().chain(c.over.iter().flatten()) {
                if !axis_ok(k) {
                    return Err(cx.err(
                        c.loc.clone(),
                        format!("claim `{}`: `{k}` is not an axis of this spec", c.what),
                    ));
                }
            }
        }
    }
    Ok(())
}
