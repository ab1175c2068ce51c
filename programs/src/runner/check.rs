//! Comparing a finished run with its expectations: registers, CSRs, memory regions and
//! tiles (exact, within `max_abs`, or by SQNR against a float reference), cycle and
//! statistics bounds, and `[[assert]]` relations. Every failure is a [`Mismatch`] with a
//! readable diff (what was expected, what came out, and where: symbol + offset, element
//! index) and, where it makes sense, the edit `--update` would make.

use std::fmt::Write as _;
use std::path::PathBuf;

use bitloom_emu::machine::Machine;
use bitloom_emu::stats::Stats;
use bitloom_isa::image::Image;

use super::expect::{ArrayExpect, Bound, Expect, Place, Source};
use super::expr::Ref;

/// One segment of a key path in an expectation file.
#[derive(Clone, Debug, PartialEq)]
pub enum Key {
    /// A table key.
    Name(String),
    /// An array-of-tables index.
    Index(usize),
}

/// A replacement value for `--update`.
#[derive(Clone, Debug, PartialEq)]
pub enum NewValue {
    /// An integer.
    Int(i64),
    /// A string.
    Str(String),
    /// An integer array (inline `values`).
    Ints(Vec<i64>),
    /// A whole `.npy` file.
    Npy {
        /// The file.
        path: PathBuf,
        /// Shape.
        shape: Vec<usize>,
        /// Elements.
        data: Vec<i64>,
    },
}

/// An edit `--update` would make to an expectation file.
#[derive(Clone, Debug, PartialEq)]
pub struct Update {
    /// The expectation file.
    pub file: PathBuf,
    /// Key path (`["regs", "r5"]`, `["mem", 0, "values"]`).
    pub key: Vec<Key>,
    /// The new value.
    pub new: NewValue,
    /// One-line description of the change (`regs.r5: 12 -> 13`).
    pub what: String,
}

/// A failed expectation.
#[derive(Clone, Debug)]
pub struct Mismatch {
    /// One line: what failed.
    pub headline: String,
    /// The diff (may be empty).
    pub detail: String,
    /// The expectation itself is wrong or unusable (unknown symbol, missing statistic):
    /// the test is in ERROR rather than FAIL.
    pub is_error: bool,
    /// What `--update` would change.
    pub update: Option<Update>,
}

impl Mismatch {
    fn fail(headline: String, detail: String, update: Option<Update>) -> Mismatch {
        Mismatch {
            headline,
            detail,
            is_error: false,
            update,
        }
    }

    fn error(headline: String) -> Mismatch {
        Mismatch {
            headline,
            detail: String::new(),
            is_error: true,
            update: None,
        }
    }
}

fn key(parts: &[&str]) -> Vec<Key> {
    parts.iter().map(|p| Key::Name(p.to_string())).collect()
}

/// `12 (0x0000000c)`, or `-1 (0xffffffff)` for values that read better signed.
pub fn show_u32(v: u32) -> String {
    let s = v as i32;
    if s < 0 && s > -65536 {
        format!("{s} (0x{v:08x})")
    } else {
        format!("{v} (0x{v:08x})")
    }
}

/// The address of a symbol (with an offset).
pub fn symbol_addr(image: &Image, name: &str, offset: i64) -> Option<u32> {
    let s = image.symbols.iter().find(|s| s.name == name)?;
    Some((s.value as i64).wrapping_add(offset) as u32)
}

/// What the checks look at besides the machine.
pub struct Context<'a> {
    /// The expectations.
    pub expect: &'a Expect,
    /// Statistics of the run (with or without timing).
    pub stats: &'a Stats,
    /// Exit code, if the program halted.
    pub exit: Option<u32>,
    /// Whether cycle/stats bounds and `perf` asserts are checked (timing on, and the test
    /// runs on its own hardware configuration).
    pub perf: bool,
}

/// Check registers, CSRs, arrays, bounds and asserts.
pub fn check_state(m: &Machine, cx: &Context<'_>) -> Vec<Mismatch> {
    let e = cx.expect;
    let file = &e.file.path;
    let mut out = Vec::new();
    let json = serde_json::to_value(cx.stats).unwrap_or_default();
    for (name, r, want, _) in &e.regs {
        let got = m.regs[*r as usize];
        if got != *want {
            out.push(Mismatch::fail(
                format!(
                    "register {name}: expected {}, got {}",
                    show_u32(*want),
                    show_u32(got)
                ),
                String::new(),
                Some(Update {
                    file: file.clone(),
                    key: key(&["regs", name]),
                    new: NewValue::Int(got as i32 as i64),
                    what: format!("regs.{name}: {} -> {}", *want as i32, got as i32),
                }),
            ));
        }
    }
    for (name, num, want, _) in &e.csrs {
        let got = m.csr(*num).unwrap_or(0);
        if got != *want {
            out.push(Mismatch::fail(
                format!(
                    "CSR {name}: expected {}, got {}",
                    show_u32(*want),
                    show_u32(got)
                ),
                String::new(),
                Some(Update {
                    file: file.clone(),
                    key: key(&["csrs", name]),
                    new: NewValue::Int(got as i64),
                    what: format!("csrs.{name}: {want} -> {got}"),
                }),
            ));
        }
    }
    for a in &e.arrays {
        if let Some(mm) = check_array(m, e, a) {
            out.push(mm);
        }
    }
    if cx.perf {
        if let Some(b) = &e.cycles {
            let got = cx.stats.cycles as f64;
            if !b.holds(got) {
                out.push(bound_fail(file, &["cycles"], "cycles", b, got));
            }
        }
        for (path, b) in &e.stats {
            match stat(&json, path) {
                Ok(v) if b.holds(v) => {}
                Ok(v) => out.push(bound_fail(
                    file,
                    &["stats", path],
                    &format!("stats.{path}"),
                    b,
                    v,
                )),
                Err(msg) => out.push(Mismatch::error(format!(
                    "{}: {msg}",
                    e.file.loc(b.span.start)
                ))),
            }
        }
    }
    for a in &e.asserts {
        if a.perf && !cx.perf {
            continue;
        }
        let mut shown = Vec::new();
        let mut lookup = |r: &Ref| -> Result<f64, String> {
            let v = value_of(m, cx, &json, r)?;
            shown.push(format!("{r} = {}", trim_num(v)));
            Ok(v)
        };
        match a.expr.eval(&mut lookup) {
            Ok((true, _, _)) => {}
            Ok((false, l, r)) => {
                let mut d = format!("    where {}\n", shown.join(", "));
                let _ = writeln!(
                    d,
                    "    left side = {}, right side = {}",
                    trim_num(l),
                    trim_num(r)
                );
                if let Some(msg) = &a.message {
                    let _ = writeln!(d, "    ({msg})");
                }
                out.push(Mismatch::fail(
                    format!("assert failed: {}", a.text),
                    d,
                    None,
                ));
            }
            Err(msg) => out.push(Mismatch::error(format!(
                "{}: assert `{}`: {msg}",
                e.file.loc(a.span.start),
                a.text
            ))),
        }
    }
    out
}

fn trim_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.6}")
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
}

fn bound_fail(file: &std::path::Path, path: &[&str], name: &str, b: &Bound, got: f64) -> Mismatch {
    let (which, new) = if b.max.is_some_and(|m| got > m) {
        ("max", got)
    } else {
        ("min", got)
    };
    let old = if which == "max" { b.max } else { b.min };
    let mut k = key(path);
    k.push(Key::Name(which.into()));
    let new_int = new.round() as i64;
    Mismatch::fail(
        format!("{name} = {} is outside {}", trim_num(got), b.describe()),
        String::new(),
        (new.fract() == 0.0).then(|| Update {
            file: file.to_path_buf(),
            key: k,
            new: NewValue::Int(new_int),
            what: format!(
                "{}.{which}: {} -> {new_int}",
                path.join("."),
                old.map_or("-".into(), trim_num)
            ),
        }),
    )
}

/// A number of the statistics record by dotted path.
pub fn stat(json: &serde_json::Value, path: &str) -> Result<f64, String> {
    let mut v = json;
    for part in path.split('.') {
        v = match v.get(part) {
            Some(x) => x,
            None => {
                let known: Vec<String> = v
                    .as_object()
                    .map(|o| o.keys().cloned().collect())
                    .unwrap_or_default();
                return Err(format!(
                    "no statistic `{path}` (at `{part}`; known here: {})",
                    known.join(", ")
                ));
            }
        };
    }
    v.as_f64()
        .ok_or_else(|| format!("statistic `{path}` is not a number"))
}

fn value_of(
    m: &Machine,
    cx: &Context<'_>,
    json: &serde_json::Value,
    r: &Ref,
) -> Result<f64, String> {
    Ok(match r {
        Ref::Reg(n) => m.regs[*n as usize] as f64,
        Ref::Csr(n) => m.csr(*n).unwrap_or(0) as f64,
        Ref::Word(sym, i) => {
            let a = symbol_addr(m.image(), sym, *i as i64 * 4)
                .ok_or_else(|| format!("no symbol `{sym}` in the program"))?;
            let b = m
                .read_dram(a, 4)
                .map_err(|_| format!("mem.{sym}[{i}] at 0x{a:08x} is outside DRAM"))?;
            i32::from_le_bytes([b[0], b[1], b[2], b[3]]) as f64
        }
        Ref::Stat(p) => stat(json, p)?,
        Ref::Cycles => cx.stats.cycles as f64,
        Ref::Instret => m.instret as f64,
        Ref::Exit => cx.exit.ok_or("the program did not exit")? as f64,
    })
}

/// `[i]`, or `[m][n]` for a shape.
pub fn index(i: usize, shape: Option<&[usize]>) -> String {
    match shape {
        Some(s) if s.len() > 1 => {
            let mut rem = i;
            let mut parts = vec![0; s.len()];
            for (d, &n) in s.iter().enumerate().rev() {
                let n = n.max(1);
                parts[d] = rem % n;
                rem /= n;
            }
            parts.iter().map(|p| format!("[{p}]")).collect()
        }
        _ => format!("[{i}]"),
    }
}

/// Rows shown in a diff table.
const SHOW: usize = 8;

/// Names the place of element `i` (`sym+0x1c`), or nothing for tiles.
type Locator = Box<dyn Fn(usize) -> String>;

fn check_array(m: &Machine, e: &Expect, a: &ArrayExpect) -> Option<Mismatch> {
    let n = a.expected.len();
    // Read the actual values.
    let (actual, shape, loc): (Vec<i64>, Option<Vec<usize>>, Locator) = match &a.place {
        Place::Tile(t) => {
            let Some(tile) = m.tile(*t) else {
                return Some(Mismatch::fail(
                    format!(
                        "{}: tile register t{t} is undefined at the end of the run",
                        a.label()
                    ),
                    String::new(),
                    None,
                ));
            };
            let (rows, cols) = (tile.rows as usize, tile.cols as usize);
            let vals: Result<Vec<i64>, String> = if a.codes {
                m.tile_codes(*t)
                    .map(|v| v.into_iter().map(i64::from).collect())
                    .map_err(|t| t.kind.to_string())
            } else {
                m.tile_values(*t)
                    .map(|v| v.into_iter().map(i64::from).collect())
                    .map_err(|t| t.kind.to_string())
            };
            let vals = match vals {
                Ok(v) => v,
                Err(msg) => {
                    return Some(Mismatch::fail(
                        format!("{}: cannot read the tile: {msg}", a.label()),
                        String::new(),
                        None,
                    ))
                }
            };
            if vals.len() != n {
                return Some(Mismatch::fail(
                    format!(
                        "{}: tile t{t} is {rows}x{cols} ({} elements), {n} values expected",
                        a.label(),
                        vals.len()
                    ),
                    String::new(),
                    None,
                ));
            }
            (vals, Some(vec![rows, cols]), Box::new(|_| String::new()))
        }
        place => {
            let (addr, base_name, base_off) = match place {
                Place::Symbol { name, offset, span } => {
                    match symbol_addr(m.image(), name, *offset) {
                        Some(ad) => (ad, name.clone(), *offset),
                        None => {
                            return Some(Mismatch::error(format!(
                                "{}: no symbol `{name}` in the program",
                                e.file.loc(span.start)
                            )))
                        }
                    }
                }
                Place::Addr(ad) => (*ad, String::new(), 0),
                Place::Tile(_) => unreachable!("handled above"),
            };
            let size = a.elem.size();
            let len = u32::try_from(n * size).ok();
            let bytes = match len.map(|l| m.read_dram(addr, l)) {
                Some(Ok(b)) => b,
                _ => {
                    return Some(Mismatch::fail(
                        format!(
                            "{}: {n} x {} at 0x{addr:08x} reaches outside DRAM",
                            a.label(),
                            a.elem.name()
                        ),
                        String::new(),
                        None,
                    ))
                }
            };
            let loc: Locator = if base_name.is_empty() {
                Box::new(move |i| format!("0x{:08x}", addr as usize + i * size))
            } else {
                Box::new(move |i| {
                    let off = base_off + (i * size) as i64;
                    if off == 0 {
                        base_name.clone()
                    } else {
                        format!("{base_name}+0x{off:x}")
                    }
                })
            };
            (a.elem.decode(&bytes), a.shape.clone(), loc)
        }
    };
    let shape = a.shape.clone().or(shape);
    let shape = shape.as_deref();
    let deq = |v: i64| (v as f64 - a.zero_point) * a.scale;
    let exact = a.max_abs.is_none() && a.sqnr_db.is_none();
    // Elements over tolerance.
    let tol = a.max_abs.unwrap_or(0.0);
    let bad: Vec<usize> = if exact || a.max_abs.is_some() {
        (0..n)
            .filter(|&i| (deq(actual[i]) - a.expected[i]).abs() > tol)
            .collect()
    } else {
        Vec::new()
    };
    let mut headline = Vec::new();
    if !bad.is_empty() {
        if exact {
            headline.push(format!("{} of {n} elements differ", bad.len()));
        } else {
            headline.push(format!(
                "{} of {n} elements differ by more than max_abs = {}",
                bad.len(),
                trim_num(tol)
            ));
        }
    }
    let mut sqnr_line = None;
    if let Some(min_db) = a.sqnr_db {
        let sig: f64 = a.expected.iter().map(|x| x * x).sum();
        let noise: f64 = (0..n)
            .map(|i| (a.expected[i] - deq(actual[i])).powi(2))
            .sum();
        let db = if noise == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (sig / noise).log10()
        };
        if db.is_nan() || db < min_db {
            headline.push(format!("SQNR {db:.2} dB < required {min_db} dB"));
            sqnr_line = Some(format!(
                "    signal power {:.6}, noise power {:.6} (over {n} elements)",
                sig / n as f64,
                noise / n as f64
            ));
        }
    }
    if headline.is_empty() {
        return None;
    }
    // The diff table: the listed elements, or the worst ones for an SQNR failure.
    let mut rows: Vec<usize> = bad.clone();
    if rows.is_empty() {
        rows = (0..n).collect();
        rows.sort_by(|&x, &y| {
            let ex = (deq(actual[x]) - a.expected[x]).abs();
            let ey = (deq(actual[y]) - a.expected[y]).abs();
            ey.total_cmp(&ex)
        });
    }
    let mut d = String::new();
    if let Some(l) = sqnr_line {
        let _ = writeln!(d, "{l}");
    }
    let has_loc = !loc(0).is_empty();
    let _ = writeln!(
        d,
        "    {:<12}{}{:>14}{:>14}{}",
        "element",
        if has_loc {
            format!("{:<16}", "address")
        } else {
            String::new()
        },
        "expected",
        "actual",
        if a.dequantised() { "  (raw)" } else { "" }
    );
    let fmt = |v: f64| trim_num(v);
    for &i in rows.iter().take(SHOW) {
        let _ = writeln!(
            d,
            "    {:<12}{}{:>14}{:>14}{}",
            index(i, shape),
            if has_loc {
                format!("{:<16}", loc(i))
            } else {
                String::new()
            },
            fmt(a.expected[i]),
            fmt(deq(actual[i])),
            if a.dequantised() {
                format!("  ({})", actual[i])
            } else {
                String::new()
            }
        );
    }
    if bad.len() > SHOW {
        let _ = writeln!(d, "    ... and {} more", bad.len() - SHOW);
    }
    if let Some(&worst) = rows.iter().max_by(|&&x, &&y| {
        (deq(actual[x]) - a.expected[x])
            .abs()
            .total_cmp(&(deq(actual[y]) - a.expected[y]).abs())
    }) {
        if !exact {
            let _ = writeln!(
                d,
                "    max |error| {} at {}",
                fmt((deq(actual[worst]) - a.expected[worst]).abs()),
                index(worst, shape)
            );
        }
    }
    let update = (exact && a.integer && !a.dequantised()).then(|| {
        let (t, i) = a.table;
        match &a.source {
            Source::Inline => Update {
                file: e.file.path.clone(),
                key: vec![
                    Key::Name(t.into()),
                    Key::Index(i),
                    Key::Name("values".into()),
                ],
                new: NewValue::Ints(actual.clone()),
                what: format!(
                    "{}: {} element(s) of `values` rewritten",
                    a.label(),
                    bad.len()
                ),
            },
            Source::Npy(p) => Update {
                file: e.file.path.clone(),
                key: Vec::new(),
                new: NewValue::Npy {
                    path: p.clone(),
                    shape: shape.map_or(vec![n], <[usize]>::to_vec),
                    data: actual.clone(),
                },
                what: format!(
                    "{}: {} rewritten ({} element(s) changed)",
                    a.label(),
                    p.display(),
                    bad.len()
                ),
            },
        }
    });
    Some(Mismatch::fail(
        format!("{}: {}", a.label(), headline.join("; ")),
        d,
        update,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indices() {
        assert_eq!(index(5, Some(&[2, 3])), "[1][2]");
        assert_eq!(index(5, None), "[5]");
        assert_eq!(index(7, Some(&[2, 2, 2])), "[1][1][1]");
    }

    #[test]
    fn stat_paths() {
        let v = serde_json::json!({"a": {"b": 2.5}, "c": "x"});
        assert_eq!(stat(&v, "a.b"), Ok(2.5));
        assert!(stat(&v, "a.x").unwrap_err().contains("known here: b"));
        assert!(stat(&v, "c").unwrap_err().contains("not a number"));
    }
}
