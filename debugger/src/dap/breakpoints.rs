//! Breakpoints from the editor, as the engine's breakpoints and watchpoints: source lines
//! map to addresses through the ELF line table (the first line at or after the one asked
//! with code, reported back as the actual line); conditions are expressions of the
//! debugger's language, checked when set; a hit condition `N` (or `>= N`) stops from the
//! N-th hit on. Data breakpoints watch a register, a CSR, a tile, or memory.
//!
//! Every source breakpoint has a number, verified or not, and is kept as the editor set
//! it (file, line, conditions): when `restart` reloads a changed program, each is resolved
//! again from its line and a `breakpoint` event (`changed`) reports the ones whose line,
//! address or verification changed. Instruction breakpoints keep their addresses.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use super::protocol::{
    self, Breakpoint, DataBreakpointInfoArgs, SetBreakpointsArgs, SetDataBreakpointsArgs,
    SetInstructionBreakpointsArgs, Source, SourceBreakpoint,
};
use super::{Adapter, Reply};
use crate::commands::Session;
use crate::engine::{Target, WatchKind};
use crate::expr;

/// The editor's breakpoints in one source file, as it sent them.
pub(super) struct SourceFile {
    /// The file, as the editor named it.
    source: Source,
    /// Its breakpoints, in the editor's order.
    bps: Vec<SourceBp>,
}

impl SourceFile {
    /// The numbers of its breakpoints.
    pub(super) fn ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.bps.iter().map(|b| b.id)
    }
}

/// One source breakpoint.
struct SourceBp {
    /// Its number (an engine breakpoint's when verified).
    id: u32,
    /// As the editor set it (the line asked for, not the line it moved to).
    req: SourceBreakpoint,
    /// As last reported to the editor.
    shown: Breakpoint,
}

/// Parse a hit condition into the number of hits to ignore.
fn hit_ignore(h: &str) -> Result<u64, String> {
    let t = h.trim();
    let n = t.strip_prefix(">=").unwrap_or(t).trim();
    match n.parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n - 1),
        _ => Err(format!(
            "hit condition `{h}` not understood: use N or >= N (stop from the N-th hit on)"
        )),
    }
}

/// Parse and check a condition.
fn condition(s: &Session, c: &str) -> Result<(String, expr::Expr), String> {
    let e = expr::parse(c).map_err(|e| format!("bad condition `{c}`: {e}"))?;
    expr::eval(&e, &s.dbg).map_err(|e| format!("bad condition `{c}`: {e}"))?;
    Ok((c.to_string(), e))
}

/// The absolute path of a line-table file name, when it exists.
pub(super) fn absolute(s: &Session, file: &str) -> Option<PathBuf> {
    s.source_path(file).and_then(|p| p.canonicalize().ok())
}

/// The editor's `Source` for a line-table file name.
pub(super) fn source_of(s: &Session, file: &str) -> Source {
    let name = Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    Source {
        name,
        path: Some(
            absolute(s, file)
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_else(|| file.to_string()),
        ),
    }
}

/// The line-table file name of the editor's file: the same file on disk, else the same
/// file name.
fn table_file(s: &Session, src: &Source) -> Option<String> {
    let files = s.dbg.m.image().lines.files.clone();
    let path = src.path.as_deref().or(src.name.as_deref())?;
    let want = Path::new(path).canonicalize().ok();
    if let Some(w) = &want {
        if let Some(f) = files.iter().find(|f| absolute(s, f).as_ref() == Some(w)) {
            return Some(f.clone());
        }
    }
    let name = Path::new(path).file_name()?;
    files
        .iter()
        .find(|f| Path::new(f.as_str()).file_name() == Some(name))
        .cloned()
}

impl<W: Write> Adapter<W> {
    fn remove_engine(&mut self, ids: &[u32]) {
        let s = self.session();
        s.dbg.bps.retain(|b| !ids.contains(&b.id));
        s.dbg.watches.retain(|w| !ids.contains(&w.id));
        for id in ids {
            self.hit_ignore.remove(id);
        }
    }

    /// Add an engine breakpoint at `pc` with the editor's condition and hit condition,
    /// numbered `id` (else a new number).
    fn add_engine(
        &mut self,
        id: Option<u32>,
        pc: u32,
        spec: &str,
        cond: Option<&str>,
        hit: Option<&str>,
    ) -> Result<u32, String> {
        let s = self.session();
        let cond = match cond.filter(|c| !c.trim().is_empty()) {
            Some(c) => Some(condition(s, c)?),
            None => None,
        };
        let ignore = match hit.filter(|h| !h.trim().is_empty()) {
            Some(h) => hit_ignore(h)?,
            None => 0,
        };
        let id = id.unwrap_or_else(|| s.dbg.reserve_id());
        s.dbg.insert_breakpoint(id, pc, spec, cond, false);
        if let Some(b) = s.dbg.bps.iter_mut().find(|b| b.id == id) {
            b.ignore = ignore;
        }
        if ignore > 0 {
            self.hit_ignore.insert(id, ignore);
        }
        Ok(id)
    }

    pub(super) fn set_breakpoints(&mut self, a: &Value) -> Result<Reply, String> {
        let sa: SetBreakpointsArgs = protocol::args("setBreakpoints", a)?;
        let key = sa
            .source
            .path
            .clone()
            .or(sa.source.name.clone())
            .ok_or("setBreakpoints: the source has neither a path nor a name")?;
        if let Some(old) = self.src_bps.remove(&key) {
            let ids: Vec<u32> = old.ids().collect();
            self.remove_engine(&ids);
        }
        let file = table_file(self.session(), &sa.source);
        let mut bps = Vec::new();
        for req in sa.breakpoints {
            let id = self.session().dbg.reserve_id();
            let shown = self.resolve_source_bp(id, file.as_deref(), &sa.source, &req);
            bps.push(SourceBp { id, req, shown });
        }
        let out: Vec<&Breakpoint> = bps.iter().map(|b| &b.shown).collect();
        let body = json!({ "breakpoints": out });
        self.src_bps.insert(
            key,
            SourceFile {
                source: sa.source,
                bps,
            },
        );
        Reply::body(body)
    }

    /// Resolve a source breakpoint numbered `id` against the loaded program (`file`: the
    /// line table's name of its file): the engine breakpoint when its line, or a later
    /// one, has code; how to show it.
    fn resolve_source_bp(
        &mut self,
        id: u32,
        file: Option<&str>,
        src: &Source,
        b: &SourceBreakpoint,
    ) -> Breakpoint {
        self.remove_engine(&[id]);
        let unverified = |message: String| Breakpoint {
            id: Some(id),
            verified: false,
            message: Some(message),
            source: Some(src.clone()),
            line: Some(b.line),
            ..Breakpoint::default()
        };
        let Some(f) = file else {
            return unverified("no code of the program comes from this file".into());
        };
        let r = self
            .session()
            .line_code(Some(f), b.line)
            .and_then(|(pc, line)| {
                self.add_engine(
                    Some(id),
                    pc,
                    &format!("{f}:{line}"),
                    b.condition.as_deref(),
                    b.hit_condition.as_deref(),
                )?;
                Ok((pc, line))
            });
        match r {
            Ok((pc, line)) => Breakpoint {
                id: Some(id),
                verified: true,
                message: (line != b.line)
                    .then(|| format!("line {} has no code: moved to line {line}", b.line)),
                source: Some(source_of(self.session(), f)),
                line: Some(line),
                instruction_reference: Some(protocol::address(pc)),
            },
            Err(e) => unverified(e),
        }
    }

    /// After a restart loaded a changed program: every source breakpoint resolved again
    /// from the line the editor set it on; those now shown differently (line, address,
    /// verified), for `breakpoint` events.
    pub(super) fn reresolve_source_breakpoints(&mut self) -> Vec<Breakpoint> {
        let mut files = std::mem::take(&mut self.src_bps);
        let mut changed = Vec::new();
        for f in files.values_mut() {
            let file = table_file(self.session(), &f.source);
            for b in &mut f.bps {
                let shown = self.resolve_source_bp(b.id, file.as_deref(), &f.source, &b.req);
                if shown != b.shown {
                    changed.push(shown.clone());
                    b.shown = shown;
                }
            }
        }
        self.src_bps = files;
        changed
    }

    pub(super) fn set_instruction_breakpoints(&mut self, a: &Value) -> Result<Reply, String> {
        let sa: SetInstructionBreakpointsArgs = protocol::args("setInstructionBreakpoints", a)?;
        let old = std::mem::take(&mut self.instr_bps);
        self.remove_engine(&old);
        let mut out = Vec::new();
        for b in &sa.breakpoints {
            let r = protocol::parse_address(&b.instruction_reference).and_then(|base| {
                let pc = u32::try_from(base as i64 + b.offset)
                    .map_err(|_| "the address is out of range".to_string())?;
                if pc % 4 != 0 {
                    return Err(format!("0x{pc:x} is not 4-aligned"));
                }
                let id = self.add_engine(
                    None,
                    pc,
                    &format!("*0x{pc:x}"),
                    b.condition.as_deref(),
                    b.hit_condition.as_deref(),
                )?;
                Ok((id, pc))
            });
            out.push(match r {
                Ok((id, pc)) => {
                    self.instr_bps.push(id);
                    let s = self.session();
                    let line = s.line_of(pc);
                    Breakpoint {
                        id: Some(id),
                        verified: true,
                        source: line.as_ref().map(|(f, _)| source_of(s, f)),
                        line: line.map(|(_, l)| l),
                        instruction_reference: Some(protocol::address(pc)),
                        ..Breakpoint::default()
                    }
                }
                Err(e) => Breakpoint {
                    verified: false,
                    message: Some(e),
                    ..Breakpoint::default()
                },
            });
        }
        Reply::body(json!({"breakpoints": out}))
    }

    pub(super) fn data_breakpoint_info(&mut self, a: &Value) -> Result<Reply, String> {
        let da: DataBreakpointInfoArgs = protocol::args("dataBreakpointInfo", a)?;
        let text = if da.as_address {
            let addr = protocol::parse_address(&da.name)?;
            format!("*0x{addr:x}@{}", da.bytes.unwrap_or(4))
        } else {
            da.name.trim().to_string()
        };
        // Variables of the Stats and LUTs scopes, and the tiles' rows, are views, not
        // watchable targets.
        let watchable = da
            .variables_reference
            .is_none_or(super::variables::watchable_container);
        let s = self.session();
        let r = if watchable {
            s.watch_target(&text)
        } else {
            Err(format!(
                "`{text}` is a view, not a register, CSR, tile or memory"
            ))
        };
        match r {
            Ok(t) => {
                let what = match t {
                    Target::Reg(_) => "register",
                    Target::Csr(_) => "CSR",
                    Target::Tile(_) => "tile (descriptor and data)",
                    Target::Mem { .. } => "memory",
                };
                Reply::body(json!({
                    "dataId": text,
                    "description": format!("{text} ({what})"),
                    "accessTypes": ["write", "read", "readWrite"],
                    "canPersist": false,
                }))
            }
            Err(e) => Reply::body(json!({"dataId": null, "description": e})),
        }
    }

    pub(super) fn set_data_breakpoints(&mut self, a: &Value) -> Result<Reply, String> {
        let sa: SetDataBreakpointsArgs = protocol::args("setDataBreakpoints", a)?;
        let old = std::mem::take(&mut self.data_bps);
        self.remove_engine(&old);
        let mut out = Vec::new();
        for b in &sa.breakpoints {
            let kind = match b.access_type.as_deref() {
                None | Some("write") => Ok(WatchKind::Write),
                Some("read") => Ok(WatchKind::Read),
                Some("readWrite") => Ok(WatchKind::Access),
                Some(k) => Err(format!("unknown access type `{k}`")),
            };
            let r = kind.and_then(|kind| {
                if b.condition.as_deref().is_some_and(|c| !c.trim().is_empty())
                    || b.hit_condition
                        .as_deref()
                        .is_some_and(|c| !c.trim().is_empty())
                {
                    return Err("conditions on data breakpoints are not supported".into());
                }
                let s = self.session();
                let t = s.watch_target(&b.data_id)?;
                Ok(s.dbg.add_watch(kind, t, &b.data_id))
            });
            out.push(match r {
                Ok(id) => {
                    self.data_bps.push(id);
                    Breakpoint {
                        id: Some(id),
                        verified: true,
                        ..Breakpoint::default()
                    }
                }
                Err(e) => Breakpoint {
                    verified: false,
                    message: Some(e),
                    ..Breakpoint::default()
                },
            });
        }
        Reply::body(json!({"breakpoints": out}))
    }
}

#[cfg(test)]
mod tests {
    use super::hit_ignore;

    #[test]
    fn hit_conditions() {
        assert_eq!(hit_ignore("3"), Ok(2));
        assert_eq!(hit_ignore(">= 1"), Ok(0));
        assert!(hit_ignore("0").is_err());
        assert!(hit_ignore("% 2").is_err());
    }
}
