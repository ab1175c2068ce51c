//! What the editor browses: the stack trace (the REPL's `backtrace` frames), the scopes
//! Registers, CSRs (grouped as [`views::CSR_GROUPS`]), Tiles (descriptor, then rows of
//! decoded values, paged with `indexedVariables`), LUTs and Stats; `setVariable` on
//! registers and CSRs (the REPL's `set var`); `evaluate` (debug-console commands and the
//! expression language).
//!
//! Variable references are fixed numbers per container, so they stay meaningful across
//! stops: see the `REF_*` constants.

use std::io::Write;

use serde_json::{json, Value};

use super::breakpoints::source_of;
use super::protocol::{
    self, EvaluateArgs, Scope, SetVariableArgs, StackFrame, StackTraceArgs, Variable, VariablesArgs,
};
use super::{Adapter, Reply};
use crate::commands::Session;
use crate::views;
use bitloom_emu::stats::Stats;
use bitloom_emu::Machine;

const REF_REGS: i64 = 1;
const REF_CSRS: i64 = 2;
const REF_TILES: i64 = 3;
const REF_LUTS: i64 = 4;
const REF_STATS: i64 = 5;
/// + group index: one CSR group.
const REF_CSR_GROUP: i64 = 10;
/// + tile number: a tile's fields.
const REF_TILE: i64 = 100;
/// + tile number: a tile's rows (indexed).
const REF_TILE_ROWS: i64 = 200;
/// + LUT number: its entries (indexed).
const REF_LUT: i64 = 300;
/// + tile * 2^16 + row: one row's elements (indexed).
const REF_ROW: i64 = 1 << 20;

/// Elements shown in a row's one-line value.
const ROW_PREVIEW: usize = 32;

/// Whether variables of this container can be watched (registers, CSRs, tiles).
pub(super) fn watchable_container(r: i64) -> bool {
    matches!(r, REF_REGS | REF_CSRS | REF_TILES)
        || (REF_CSR_GROUP..REF_CSR_GROUP + views::CSR_GROUPS.len() as i64).contains(&r)
}

fn reg_value(v: u32) -> String {
    format!("0x{v:08x} ({})", v as i32)
}

fn container(name: String, value: String, r: i64, named: Option<usize>) -> Variable {
    Variable {
        variables_reference: r,
        named_variables: named,
        ..Variable::leaf(name, value)
    }
}

fn indexed(name: String, value: String, r: i64, n: usize) -> Variable {
    Variable {
        variables_reference: r,
        indexed_variables: Some(n),
        ..Variable::leaf(name, value)
    }
}

fn registers(m: &Machine) -> Vec<Variable> {
    let mut v: Vec<Variable> = (0..32u8)
        .map(|r| {
            let alias = match r {
                1 => Some("ra"),
                2 => Some("sp"),
                8 => Some("fp"),
                _ => None,
            };
            Variable {
                kind: alias.map(str::to_string),
                evaluate_name: Some(format!("r{r}")),
                ..Variable::leaf(format!("r{r}"), reg_value(m.regs[r as usize]))
            }
        })
        .collect();
    v.push(Variable {
        evaluate_name: Some("pc".into()),
        memory_reference: Some(protocol::address(m.pc)),
        ..Variable::leaf(
            "pc",
            format!(
                "0x{:08x}{}",
                m.pc,
                views::symbolize(m, m.pc)
                    .map(|s| format!(" <{s}>"))
                    .unwrap_or_default()
            ),
        )
    });
    v
}

fn csr_group(m: &Machine, g: usize) -> Vec<Variable> {
    views::CSR_GROUPS[g]
        .1
        .iter()
        .filter_map(|&n| bitloom_isa::csr::by_num(n))
        .map(|d| {
            let v = m.csr(d.num).unwrap_or(0);
            Variable {
                kind: Some(d.doc.to_string()),
                evaluate_name: Some(d.name.to_string()),
                ..Variable::leaf(d.name, format!("{v}{}", views::csr_meaning(d.num, v)))
            }
        })
        .collect()
}

fn tiles(m: &Machine) -> Vec<Variable> {
    (0..16u8)
        .filter_map(|i| {
            let t = m.tile(i)?;
            let summary = views::tile_summary(i, t);
            let value = summary
                .split_once(": ")
                .map_or(summary.clone(), |(_, r)| r.to_string());
            Some(Variable {
                evaluate_name: Some(format!("t{i}")),
                ..container(format!("t{i}"), value, REF_TILE + i as i64, Some(8))
            })
        })
        .collect()
}

fn tile_fields(m: &Machine, i: u8) -> Result<Vec<Variable>, String> {
    let t = *m.tile(i).ok_or_else(|| format!("t{i} is not defined"))?;
    let fmt = if t.is_acc() {
        "int32".to_string()
    } else {
        match t.fmt {
            bitloom_isa::numfmt::NumFmt::Uint => format!("{}{} zp={}", t.fmt, t.prec, t.zp),
            bitloom_isa::numfmt::NumFmt::Lut => format!("{}{} lut={}", t.fmt, t.prec, t.lut),
            _ => format!("{}{}", t.fmt, t.prec),
        }
    };
    let values = m.tile_values(i);
    let nz = values
        .as_ref()
        .map(|v| v.iter().filter(|x| **x != 0).count());
    let n = t.elements();
    let mut v = vec![
        Variable::leaf("space", t.space.to_string()),
        Variable::leaf("base", format!("0x{:x}", t.base)),
        Variable::leaf("shape", format!("{}x{}", t.rows, t.cols)),
        Variable::leaf("format", fmt),
        Variable::leaf(
            "storage",
            match t.storage {
                bitloom_emu::Storage::Raw => "raw".to_string(),
                bitloom_emu::Storage::Rle => format!("rle ({}-bit runs)", t.rlerun),
            },
        ),
        Variable::leaf(
            "nnz (descriptor)",
            t.nnz.map_or("-".into(), |x| x.to_string()),
        ),
        Variable::leaf(
            "density (values)",
            match nz {
                Ok(z) => format!("{z}/{n} ({:.1}%)", 100.0 * z as f64 / n.max(1) as f64),
                Err(e) => format!("not decodable now ({e})"),
            },
        ),
    ];
    v.push(match &values {
        Ok(_) => indexed(
            "rows".into(),
            format!("{} rows of {} decoded values", t.rows, t.cols),
            REF_TILE_ROWS + i as i64,
            t.rows as usize,
        ),
        Err(e) => Variable::leaf("rows", format!("not decodable now ({e})")),
    });
    Ok(v)
}

fn row_text(vals: &[i32]) -> String {
    let shown: Vec<String> = vals
        .iter()
        .take(ROW_PREVIEW)
        .map(|x| x.to_string())
        .collect();
    let more = if vals.len() > ROW_PREVIEW {
        ", ..."
    } else {
        ""
    };
    format!("[{}{more}]", shown.join(", "))
}

/// Rows `from..to` of tile `i`.
fn tile_rows(m: &Machine, i: u8, from: usize, to: usize) -> Result<Vec<Variable>, String> {
    let t = *m.tile(i).ok_or_else(|| format!("t{i} is not defined"))?;
    let v = m.tile_values(i).map_err(|e| e.to_string())?;
    let cols = t.cols as usize;
    Ok((from..to.min(t.rows as usize))
        .map(|r| {
            let row = &v[r * cols..(r + 1) * cols];
            indexed(
                format!("[{r}]"),
                row_text(row),
                REF_ROW + ((i as i64) << 16) + r as i64,
                cols,
            )
        })
        .collect())
}

fn row_elems(
    m: &Machine,
    i: u8,
    r: usize,
    from: usize,
    to: usize,
) -> Result<Vec<Variable>, String> {
    let t = *m.tile(i).ok_or_else(|| format!("t{i} is not defined"))?;
    let v = m.tile_values(i).map_err(|e| e.to_string())?;
    let cols = t.cols as usize;
    if r >= t.rows as usize {
        return Err(format!("t{i} has {} rows", t.rows));
    }
    Ok((from..to.min(cols))
        .map(|c| Variable::leaf(format!("[{c}]"), v[r * cols + c].to_string()))
        .collect())
}

fn luts(m: &Machine) -> Vec<Variable> {
    (0..4u8)
        .filter_map(|n| {
            let l = m.lut(n)?;
            Some(if l.len == 0 {
                Variable::leaf(format!("lut{n}"), "not programmed")
            } else {
                indexed(
                    format!("lut{n}"),
                    format!("{} entries", l.len),
                    REF_LUT + n as i64,
                    l.len as usize,
                )
            })
        })
        .collect()
}

fn stats(m: &Machine) -> Vec<Variable> {
    let s = Stats::collect(m.hw(), m.timing.as_ref(), m.instret, &m.class_counts);
    let pct = |x: f64| format!("{:.1}%", 100.0 * x);
    let sk = &s.mac.skipped;
    vec![
        Variable::leaf("cycles", s.cycles.to_string()),
        Variable::leaf("instructions", s.instructions.to_string()),
        Variable::leaf("ipc", format!("{:.3}", s.ipc)),
        Variable::leaf("scalar utilisation", pct(s.units.scalar.utilisation)),
        Variable::leaf("dma utilisation", pct(s.units.dma.utilisation)),
        Variable::leaf("mac utilisation", pct(s.units.mac.utilisation)),
        Variable::leaf("post utilisation", pct(s.units.post.utilisation)),
        Variable::leaf("mac products", s.mac.macs.to_string()),
        Variable::leaf("mac products computed", s.mac.done.to_string()),
        Variable::leaf(
            "skipped work",
            format!(
                "zero value {}, zero HO slice {}, compressed slice {}, ineffectual bits {}",
                sk.zero_value, sk.zero_slice, sk.compressed_slice, sk.ineffectual_bit
            ),
        ),
        Variable::leaf("lane utilisation", pct(s.mac.lane_utilisation)),
        Variable::leaf("array utilisation", pct(s.mac.array_utilisation)),
        Variable::leaf(
            "timing model",
            if s.timing {
                s.model.clone()
            } else {
                "off".into()
            },
        ),
    ]
}

/// Names that debug-console input may not run: they move the program behind the editor's
/// back (its buttons do that) or end the session.
const RUN_CONTROL: &[&str] = &[
    "run",
    "start",
    "restart",
    "continue",
    "stepi",
    "nexti",
    "step",
    "next",
    "finish",
    "until",
    "advance",
    "reverse-stepi",
    "reverse-nexti",
    "reverse-step",
    "reverse-next",
    "reverse-continue",
    "reverse-finish",
    "source",
    "quit",
];

fn page<T>(v: Vec<T>, start: Option<usize>, count: Option<usize>) -> Vec<T> {
    let s = start.unwrap_or(0);
    let n = count.filter(|c| *c > 0).unwrap_or(usize::MAX);
    v.into_iter().skip(s).take(n).collect()
}

impl<W: Write> Adapter<W> {
    pub(super) fn stack_trace(&mut self, a: &Value) -> Result<Reply, String> {
        let sa: StackTraceArgs = protocol::args("stackTrace", a)?;
        let s = self.session();
        let frames = s.frames();
        let total = frames.len();
        let out: Vec<StackFrame> = frames
            .iter()
            .enumerate()
            .map(|(i, (pc, _))| frame(s, i, *pc))
            .collect();
        let out = page(out, sa.start_frame, sa.levels);
        Reply::body(json!({"stackFrames": out, "totalFrames": total}))
    }

    pub(super) fn scopes(&mut self, a: &Value) -> Result<Reply, String> {
        let frame = a.get("frameId").and_then(Value::as_i64);
        if frame.is_none() {
            return Err("bad arguments for `scopes`: missing `frameId`".into());
        }
        let m = &self.session().dbg.m;
        let ntiles = (0..16u8).filter(|&i| m.tile(i).is_some()).count();
        let scope = |name: &str, hint: Option<&str>, r: i64, n: usize, expensive: bool| Scope {
            name: name.into(),
            presentation_hint: hint.map(str::to_string),
            variables_reference: r,
            named_variables: n,
            expensive,
        };
        let scopes = vec![
            scope("Registers", Some("registers"), REF_REGS, 33, false),
            scope(
                "CSRs",
                Some("registers"),
                REF_CSRS,
                views::CSR_GROUPS.len(),
                false,
            ),
            scope("Tiles", None, REF_TILES, ntiles, false),
            scope("LUTs", None, REF_LUTS, 4, true),
            scope("Stats", None, REF_STATS, 13, true),
        ];
        Reply::body(json!({"scopes": scopes}))
    }

    pub(super) fn variables(&mut self, a: &Value) -> Result<Reply, String> {
        let va: VariablesArgs = protocol::args("variables", a)?;
        let m = &self.session().dbg.m;
        let r = va.variables_reference;
        let named_only = va.filter.as_deref() == Some("named");
        let vars: Vec<Variable> = match r {
            REF_REGS => registers(m),
            REF_CSRS => views::CSR_GROUPS
                .iter()
                .enumerate()
                .map(|(g, (name, list))| {
                    container(
                        name.to_string(),
                        format!("{} CSRs", list.len()),
                        REF_CSR_GROUP + g as i64,
                        Some(list.len()),
                    )
                })
                .collect(),
            REF_TILES => tiles(m),
            REF_LUTS => luts(m),
            REF_STATS => stats(m),
            _ if (REF_CSR_GROUP..REF_CSR_GROUP + views::CSR_GROUPS.len() as i64).contains(&r) => {
                csr_group(m, (r - REF_CSR_GROUP) as usize)
            }
            _ if (REF_TILE..REF_TILE + 16).contains(&r) => tile_fields(m, (r - REF_TILE) as u8)?,
            _ if (REF_TILE_ROWS..REF_TILE_ROWS + 16).contains(&r) => {
                if named_only {
                    Vec::new()
                } else {
                    let (s, n) = window(va.start, va.count);
                    return Reply::body(json!({
                        "variables": tile_rows(m, (r - REF_TILE_ROWS) as u8, s, s.saturating_add(n))?
                    }));
                }
            }
            _ if (REF_LUT..REF_LUT + 4).contains(&r) => {
                let l = m.lut((r - REF_LUT) as u8).ok_or("no such LUT")?;
                let all: Vec<Variable> = l.entries[..l.len as usize]
                    .iter()
                    .enumerate()
                    .map(|(k, v)| Variable::leaf(format!("[{k}]"), v.to_string()))
                    .collect();
                if named_only {
                    Vec::new()
                } else {
                    page(all, va.start, va.count)
                }
            }
            _ if (REF_ROW..REF_ROW + (16 << 16)).contains(&r) => {
                let k = r - REF_ROW;
                let (s, n) = window(va.start, va.count);
                if named_only {
                    Vec::new()
                } else {
                    row_elems(
                        m,
                        (k >> 16) as u8,
                        (k & 0xffff) as usize,
                        s,
                        s.saturating_add(n),
                    )?
                }
            }
            _ => return Err(format!("no variables container {r}")),
        };
        Reply::body(json!({ "variables": vars }))
    }

    pub(super) fn set_variable(&mut self, a: &Value) -> Result<Reply, String> {
        let sa: SetVariableArgs = protocol::args("setVariable", a)?;
        let r = sa.variables_reference;
        let is_csr = (REF_CSR_GROUP..REF_CSR_GROUP + views::CSR_GROUPS.len() as i64).contains(&r);
        if r != REF_REGS && !is_csr {
            return Err("only registers, the pc and CSRs can be set".into());
        }
        let s = self.session();
        s.assign(&format!("{} = {}", sa.name, sa.value))?;
        let m = &s.dbg.m;
        let value = if r == REF_REGS {
            registers(m)
                .into_iter()
                .find(|v| v.name == sa.name)
                .map_or(String::new(), |v| v.value)
        } else {
            let g = (r - REF_CSR_GROUP) as usize;
            csr_group(m, g)
                .into_iter()
                .find(|v| v.name == sa.name)
                .map_or(String::new(), |v| v.value)
        };
        Reply::body(json!({ "value": value }))
    }

    pub(super) fn evaluate(&mut self, a: &Value) -> Result<Reply, String> {
        let ea: EvaluateArgs = protocol::args("evaluate", a)?;
        let text = ea.expression.trim();
        let s = self.session();
        // A tile name evaluates to the tile, browsable as in the Tiles scope.
        if let Some(i) = bitloom_isa::operand::parse_tile(text) {
            let t = s
                .dbg
                .m
                .tile(i)
                .ok_or_else(|| format!("t{i} is not defined"))?;
            return Reply::body(json!({
                "result": views::tile_summary(i, t),
                "variablesReference": REF_TILE + i as i64,
            }));
        }
        let repl = ea.context.as_deref().is_none_or(|c| c == "repl");
        let (word, _) = crate::commands::split_word(text);
        let word = word.split('/').next().unwrap_or("");
        if repl && !text.is_empty() {
            if let Ok(c) = crate::commands::lookup(word) {
                if RUN_CONTROL.contains(&c.name) {
                    return Err(format!(
                        "`{}` moves the program: use the editor's run controls (continue, step, step back, ...)",
                        c.name
                    ));
                }
                let out = s.execute(text);
                return Reply::body(json!({
                    "result": out.trim_end(),
                    "variablesReference": 0,
                }));
            }
        }
        let (_, v) = s.eval(text)?;
        let mut body = json!({
            "result": format!("{v} (0x{:x})", v as u32),
            "variablesReference": 0,
        });
        if let Ok(a) = u32::try_from(v) {
            body["memoryReference"] = json!(protocol::address(a));
        }
        Reply::body(body)
    }
}

/// A paging window: start and count (all when absent or 0).
fn window(start: Option<usize>, count: Option<usize>) -> (usize, usize) {
    (
        start.unwrap_or(0),
        count.filter(|c| *c > 0).unwrap_or(usize::MAX),
    )
}

fn frame(s: &Session, i: usize, pc: u32) -> StackFrame {
    let name = s
        .dbg
        .m
        .image()
        .symbolize(pc)
        .map_or("??".to_string(), |(sym, _)| sym.name.clone());
    let line = s.line_of(pc);
    StackFrame {
        id: i as i64,
        name,
        source: line.as_ref().map(|(f, _)| source_of(s, f)),
        line: line.as_ref().map_or(0, |(_, l)| *l),
        column: 1,
        instruction_pointer_reference: protocol::address(pc),
    }
}
