//! Source, symbol and location commands: resolving `label`, `*ADDR`, `FILE:LINE` and
//! `LINE`; `list`, `disassemble`, `backtrace` and the `info` subcommands.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use super::{parse_u32, Session};
use crate::engine::{flow, Flow};
use crate::expr;
use crate::views;

/// The subcommands of `info` (also offered by the line editor's completion).
pub const INFO_SUBCOMMANDS: &[&str] = &[
    "breakpoints",
    "watchpoints",
    "registers",
    "all-registers",
    "csr",
    "tiles",
    "mac",
    "line",
    "symbol",
    "display",
    "history",
    "frame",
];

impl Session {
    /// The (file, line) of an address, from the ELF line table.
    pub fn line_of(&self, pc: u32) -> Option<(String, u32)> {
        let lines = &self.dbg.m.image().lines;
        let r = lines.lookup(pc)?;
        Some((lines.file_name(r).to_string(), r.line))
    }

    /// Whether `pc` is the first address of its source line's row.
    pub(super) fn line_start(&self, pc: u32) -> bool {
        let lines = &self.dbg.m.image().lines;
        match (
            lines.lookup(pc),
            pc.checked_sub(4).and_then(|p| lines.lookup(p)),
        ) {
            (Some(a), Some(b)) => a.line != b.line || a.file != b.file,
            _ => true,
        }
    }

    /// Text of line `line` of `file` (1-based), when the file can be found: as named,
    /// relative to the program's folder, or by its name in that folder.
    pub(super) fn source_line(&mut self, file: &str, line: u32) -> Option<String> {
        self.source_lines(file)?
            .get((line as usize).checked_sub(1)?)
            .cloned()
    }

    /// Where the source file named `file` in the line table is on disk: as named,
    /// relative to the program's folder, or by its name in that folder.
    pub fn source_path(&self, file: &str) -> Option<PathBuf> {
        let cands = [
            Path::new(file).to_path_buf(),
            self.base_dir.join(file),
            self.base_dir
                .join(Path::new(file).file_name().unwrap_or_default()),
        ];
        cands.into_iter().find(|p| p.is_file())
    }

    fn source_lines(&mut self, file: &str) -> Option<&Vec<String>> {
        if !self.sources.contains_key(file) {
            let text = self
                .source_path(file)
                .and_then(|p| bitloom_isa::srcfile::read_source(&p).ok());
            self.sources.insert(
                file.to_string(),
                text.map(|t| t.lines().map(str::to_string).collect()),
            );
        }
        self.sources.get(file)?.as_ref()
    }

    /// `0x00001020 <loop+4>` style.
    pub(super) fn describe_pc(&mut self, pc: u32) -> String {
        let sym = views::symbolize(&self.dbg.m, pc)
            .map(|s| format!(" <{s}>"))
            .unwrap_or_default();
        let at = self
            .line_of(pc)
            .map(|(f, l)| format!(": file {f}, line {l}."))
            .unwrap_or_else(|| ".".into());
        format!("0x{pc:08x}{sym}{at}")
    }

    /// `loop` when at a symbol, `0x00001024 in loop+4` inside one, else the address.
    pub(super) fn describe_pc_short(&self, pc: u32) -> String {
        match self.dbg.m.image().symbolize(pc) {
            Some((s, 0)) => s.name.clone(),
            Some((s, off)) => format!("0x{pc:08x} in {}+{off}", s.name),
            None => format!("0x{pc:08x}"),
        }
    }

    /// Resolve a location: `*EXPR`, a hex address, `FILE:LINE`, `LINE`, or a symbol.
    pub(super) fn resolve_location(&mut self, loc: &str) -> Result<u32, String> {
        let loc = loc.trim();
        if let Some(e) = loc.strip_prefix('*') {
            let v = expr::parse(e)
                .and_then(|x| expr::eval(&x, &self.dbg))
                .map_err(|e| format!("bad address `{e}`"))?;
            return u32::try_from(v).map_err(|_| format!("address {v} is out of range"));
        }
        if loc.starts_with("0x") || loc.starts_with("0X") {
            return parse_u32(loc);
        }
        if let Some((file, line)) = loc.rsplit_once(':') {
            if let Ok(l) = line.parse::<u32>() {
                return self.line_address(Some(file), l);
            }
        }
        if let Ok(l) = loc.parse::<u32>() {
            return self.line_address(None, l);
        }
        let img = self.dbg.m.image();
        if let Some(s) = img.symbols.iter().find(|s| s.name == loc) {
            return Ok(s.value);
        }
        let names: Vec<String> = img.symbols.iter().map(|s| s.name.clone()).collect();
        let mut msg = format!("Function \"{loc}\" not defined.");
        if let Some(s) = expr::suggest(loc, names) {
            let _ = write!(msg, " Did you mean \"{s}\"?");
        }
        Err(msg)
    }

    /// The lowest address of the first line at or after `line` with code, in `file` (or
    /// the file of the pc, else the first file).
    fn line_address(&self, file: Option<&str>, line: u32) -> Result<u32, String> {
        self.line_code(file, line).map(|(a, _)| a)
    }

    /// The first line at or after `line` of `file` (or of the pc's file) that has code:
    /// its lowest address and its line number (breakpoints on `FILE:LINE` use it).
    pub fn line_code(&self, file: Option<&str>, line: u32) -> Result<(u32, u32), String> {
        let lines = &self.dbg.m.image().lines;
        if lines.rows.is_empty() {
            return Err("the program has no line table (assembled without one?)".into());
        }
        let file_idx: Vec<u32> = match file {
            Some(f) => {
                let v: Vec<u32> = lines
                    .files
                    .iter()
                    .enumerate()
                    .filter(|(_, n)| {
                        n.as_str() == f
                            || Path::new(n.as_str()).ends_with(f)
                            || Path::new(n.as_str()).file_name() == Path::new(f).file_name()
                    })
                    .map(|(i, _)| i as u32)
                    .collect();
                if v.is_empty() {
                    return Err(format!(
                        "No source file named {f}. Files: {}",
                        lines.files.join(", ")
                    ));
                }
                v
            }
            None => {
                let cur = lines.lookup(self.dbg.m.pc).map_or(0, |r| r.file);
                vec![cur]
            }
        };
        let best = lines
            .rows
            .iter()
            .filter(|r| file_idx.contains(&r.file) && r.line >= line)
            .min_by_key(|r| (r.line, r.addr));
        // Name the file: lines of an included file expanded elsewhere (macros) have no
        // code of their own, which "past the last line" did not explain.
        best.map(|r| (r.addr, r.line)).ok_or_else(|| {
            let names: Vec<&str> = file_idx
                .iter()
                .filter_map(|&i| lines.files.get(i as usize).map(String::as_str))
                .collect();
            format!("No code at or after line {line} of {}.", names.join(", "))
        })
    }

    pub(super) fn cmd_list(&mut self, a: &str) -> Result<String, String> {
        // gdb's rules: `list` centres on the pc (or LOCATION) the first time, then each
        // further `list` continues with the next lines; `list -` shows the lines before
        // the last listing; `list A,B` shows lines A..=B of the current file.
        // (Fix: the next first line was stored as `last + 1 + half` and then centred again,
        // so a second `list` skipped half a screen of lines.)
        let a = a.trim();
        let size = self.listsize;
        let cur_file = || -> Result<String, String> {
            if let Some((f, _, _)) = &self.list_next {
                return Ok(f.clone());
            }
            self.line_of(self.dbg.m.pc)
                .map(|(f, _)| f)
                .ok_or_else(|| "No line information for the pc.".to_string())
        };
        let (file, first, last) = if a.is_empty() {
            match self.list_next.clone() {
                Some((f, _, next)) => (f, next, next + size - 1),
                None => {
                    let (f, c) = self
                        .line_of(self.dbg.m.pc)
                        .ok_or("No line information for the pc.")?;
                    let first = c.saturating_sub(size / 2).max(1);
                    (f, first, first + size - 1)
                }
            }
        } else if a == "-" {
            let (f, prev_first, _) = self
                .list_next
                .clone()
                .ok_or("No previous listing: use `list` first.")?;
            if prev_first <= 1 {
                return Err(format!("Already at the start of {f}."));
            }
            let first = prev_first.saturating_sub(size).max(1);
            (f, first, prev_first - 1)
        } else if let Some((x, y)) = a.split_once(',') {
            let f = cur_file()?;
            let x = parse_u32(x)?;
            let y = parse_u32(y)?;
            if x == 0 || y < x {
                return Err(format!(
                    "bad line range `{a}` (expected FIRST,LAST with 1 <= FIRST <= LAST)"
                ));
            }
            (f, x, y)
        } else {
            let pc = self.resolve_location(a)?;
            let (f, c) = self.line_of(pc).ok_or("No line information there.")?;
            let first = c.saturating_sub(size / 2).max(1);
            (f, first, first + size - 1)
        };
        let lines = self
            .source_lines(&file)
            .ok_or_else(|| format!("{file}: source file not found"))?
            .clone();
        if first as usize > lines.len() {
            return Err(format!(
                "Line number {first} out of range; \"{file}\" has {} lines.",
                lines.len()
            ));
        }
        let last = last.min(lines.len() as u32);
        let mut s = String::new();
        for l in first..=last {
            let _ = writeln!(s, "{l}\t{}", lines[l as usize - 1]);
        }
        // Remember (file, first shown, next to show) for `list` and `list -`.
        self.list_next = Some((file, first, last + 1));
        Ok(s)
    }

    pub(super) fn cmd_disassemble(&mut self, a: &str) -> Result<String, String> {
        let a = a.trim();
        let m = &self.dbg.m;
        let (start, n) = if a.is_empty() {
            // The current function: from its symbol to the next symbol (at most 64).
            match m.image().symbolize(m.pc) {
                Some((sym, _)) => {
                    let end = m
                        .image()
                        .symbols
                        .iter()
                        .filter(|s| s.value > sym.value)
                        .map(|s| s.value)
                        .min()
                        .unwrap_or(sym.value + 64 * 4);
                    (sym.value, ((end - sym.value) / 4).clamp(1, 64))
                }
                None => (m.pc, 8),
            }
        } else {
            let (loc, cnt) = match a.split_once(',') {
                Some((l, c)) => {
                    let c = c.trim().trim_start_matches('+');
                    (l.trim(), (parse_u32(c)? / 4).max(1))
                }
                None => (a, 8),
            };
            (self.resolve_location(loc)?, cnt)
        };
        let mut s = format!("Dump of assembler code from 0x{start:08x}:\n");
        s.push_str(&views::disassemble(&self.dbg.m, start, n));
        s.push_str("End of assembler dump.\n");
        Ok(s)
    }

    pub(super) fn cmd_backtrace(&mut self, _a: &str) -> Result<String, String> {
        let frames = self.frames();
        let mut s = String::new();
        for (i, (pc, how)) in frames.iter().enumerate() {
            let func = self
                .dbg
                .m
                .image()
                .symbolize(*pc)
                .map_or("??".to_string(), |(s, _)| s.name.clone());
            let at = self
                .line_of(*pc)
                .map(|(f, l)| format!(" at {f}:{l}"))
                .unwrap_or_default();
            let _ = writeln!(s, "#{i}  0x{pc:08x} in {func}{at}{how}");
        }
        Ok(s)
    }

    /// The call chain, innermost first: each frame's pc (for callers, the call
    /// instruction) and how it was found (`""`, `" (from ra)"`, `" (from the stack)"`).
    pub fn frames(&self) -> Vec<(u32, &'static str)> {
        let m = &self.dbg.m;
        let mut frames: Vec<(u32, &'static str)> = vec![(m.pc, "")];
        let is_ret_addr = |a: u32| -> bool {
            a >= 4
                && a.is_multiple_of(4)
                && m.read_dram(a - 4, 4)
                    .map(|b| flow(u32::from_le_bytes([b[0], b[1], b[2], b[3]])) == Flow::Call)
                    .unwrap_or(false)
        };
        // The function holding the entry point is the outermost frame: nothing is above
        // it (fix: `bt` in _start after a call returned showed a stale `ra` as a caller).
        let func = |a: u32| m.image().symbolize(a).map(|(s, _)| s.value);
        let outermost = |a: u32| func(a).is_some() && func(a) == func(m.image().entry);
        let ra = m.regs[1];
        // `ra` still holding the return address of a call this function already made
        // (same function, before the pc) is not this function's caller.
        let stale_ra = func(ra.wrapping_sub(4)) == func(m.pc) && ra.wrapping_sub(4) < m.pc;
        if outermost(m.pc) {
            // no callers
        } else if is_ret_addr(ra) && !stale_ra {
            frames.push((ra - 4, " (from ra)"));
        }
        // Return addresses saved on the stack, innermost first (a heuristic unwinder).
        let sp = m.regs[2];
        let top = m.hw().mem.dram_bytes;
        let mut a = sp;
        let mut scanned = 0;
        while a.saturating_add(4) <= top
            && scanned < 4096
            && frames.len() < 64
            && !frames.last().is_some_and(|f| outermost(f.0))
        {
            if let Ok(b) = m.read_dram(a, 4) {
                let w = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                if is_ret_addr(w) && frames.last().map(|f| f.0) != Some(w - 4) {
                    frames.push((w - 4, " (from the stack)"));
                }
            }
            a += 4;
            scanned += 1;
        }
        frames
    }

    pub(super) fn cmd_info(&mut self, a: &str) -> Result<String, String> {
        let (what, rest) = super::split_word(a);
        if what.is_empty() {
            return Ok(format!("info {}\n", INFO_SUBCOMMANDS.join("|")));
        }
        let sub: &'static str = match what {
            "b" | "br" | "break" => "breakpoints",
            "r" | "reg" | "regs" => "registers",
            w => {
                let m: Vec<&&str> = INFO_SUBCOMMANDS
                    .iter()
                    .filter(|s| s.starts_with(w))
                    .collect();
                match m.as_slice() {
                    [one] => one,
                    [] => {
                        let mut msg = format!("Undefined info command: \"{w}\".");
                        if let Some(s) = expr::suggest(
                            w,
                            INFO_SUBCOMMANDS.iter().map(|s| s.to_string()).collect(),
                        ) {
                            let _ = write!(msg, " Did you mean \"{s}\"?");
                        }
                        return Err(msg);
                    }
                    _ => return Err(format!("Ambiguous info command \"{w}\".")),
                }
            }
        };
        match sub {
            "breakpoints" | "watchpoints" => Ok(self.info_breakpoints(sub == "watchpoints")),
            "registers" => {
                // `pc` is accepted too (fix: `info registers pc` said "Invalid register").
                let mut with_pc = false;
                let mut regs: Vec<u8> = Vec::new();
                for r in rest.split_whitespace() {
                    let name = r.trim_start_matches('$');
                    if name == "pc" {
                        with_pc = true;
                        continue;
                    }
                    regs.push(
                        crate::engine::reg_num(name)
                            .ok_or_else(|| format!("Invalid register `{r}`"))?,
                    );
                }
                let mut s = if regs.is_empty() && with_pc {
                    String::new()
                } else {
                    views::registers(&self.dbg.m, Some(&self.prev_regs), &regs)
                };
                if with_pc {
                    s.push_str(&views::pc_line(&self.dbg.m));
                }
                Ok(s)
            }
            "all-registers" | "csr" => {
                let mut s = if sub == "all-registers" {
                    views::registers(&self.dbg.m, Some(&self.prev_regs), &[])
                } else {
                    String::new()
                };
                for c in bitloom_isa::csr::CSRS {
                    let v = self.dbg.m.csr(c.num).unwrap_or(0);
                    let _ = writeln!(s, "{:<10} 0x{v:08x}  {v}", c.name);
                }
                Ok(s)
            }
            "tiles" => Ok(views::tiles(&self.dbg.m)),
            "mac" => Ok(views::mac(&self.dbg.m, self.last_mac_pc())),
            "line" => {
                let pc = if rest.is_empty() {
                    self.dbg.m.pc
                } else {
                    self.resolve_location(rest)?
                };
                match self.line_of(pc) {
                    Some((f, l)) => Ok(format!(
                        "Line {l} of \"{f}\" is at address 0x{pc:08x}{}.\n",
                        views::symbolize(&self.dbg.m, pc)
                            .map(|s| format!(" <{s}>"))
                            .unwrap_or_default()
                    )),
                    None => Ok(format!(
                        "No line number information for address 0x{pc:08x}\n"
                    )),
                }
            }
            "symbol" => {
                let v = expr::parse(rest)
                    .and_then(|e| expr::eval(&e, &self.dbg))
                    .map_err(|e| e.to_string())?;
                let a = v as u32;
                match self.dbg.m.image().symbolize(a) {
                    Some((s, off)) => {
                        let sec = s
                            .section
                            .and_then(|i| self.dbg.m.image().sections.get(i))
                            .map_or(String::new(), |x| format!(" in section {}", x.name));
                        Ok(if off == 0 {
                            format!("{}{sec}\n", s.name)
                        } else {
                            format!("{} + {off}{sec}\n", s.name)
                        })
                    }
                    None => Ok(format!("No symbol matches {rest}.\n")),
                }
            }
            "display" => Ok(self.info_display()),
            "history" => {
                let h = &self.dbg.hist;
                Ok(format!(
                    "Position #{} (instructions retired). Recorded history: #{} .. now, {} checkpoints every {} instructions, {} KiB of snapshot tables{}.\n",
                    self.dbg.m.instret,
                    h.oldest(),
                    h.len(),
                    h.interval(),
                    h.bytes() / 1024,
                    h.limit.map_or(String::new(), |l| format!(", history-size {l}"))
                ))
            }
            "frame" => {
                let pc = self.dbg.m.pc;
                // (fix: printed "pc = 0x… in 0x… in f+8", the address twice)
                Ok(format!(
                    "pc = 0x{pc:08x} in {}; sp = 0x{:08x}; ra = 0x{:08x}; instret {}, cycle {}\n",
                    views::symbolize(&self.dbg.m, pc).unwrap_or_else(|| "??".into()),
                    self.dbg.m.regs[2],
                    self.dbg.m.regs[1],
                    self.dbg.m.instret,
                    self.dbg.m.cycle()
                ))
            }
            _ => unreachable!("INFO_SUBCOMMANDS lists every subcommand"),
        }
    }

    fn info_breakpoints(&mut self, watch_only: bool) -> String {
        let mut rows: Vec<(u32, String)> = Vec::new();
        if !watch_only {
            for b in self.dbg.bps.clone() {
                let mut r = format!(
                    "{:<7} {:<14} {:<4} {:<3} 0x{:08x} {}",
                    b.id,
                    "breakpoint",
                    if b.temp { "del" } else { "keep" },
                    if b.enabled { "y" } else { "n" },
                    b.pc,
                    // `sum_to+4`, not `0x… in sum_to+4` (the address is in its own column)
                    views::symbolize(&self.dbg.m, b.pc).unwrap_or_else(|| "??".into())
                );
                if let Some((f, l)) = self.line_of(b.pc) {
                    let _ = write!(r, " at {f}:{l}");
                }
                if let Some((c, _)) = &b.cond {
                    let _ = write!(r, "\n\tstop only if {c}");
                }
                if b.hits > 0 {
                    let _ = write!(
                        r,
                        "\n\tbreakpoint already hit {} time{}",
                        b.hits,
                        if b.hits == 1 { "" } else { "s" }
                    );
                }
                if b.ignore > 0 {
                    let _ = write!(
                        r,
                        "\n\tWill ignore next {} crossings of breakpoint.",
                        b.ignore
                    );
                }
                rows.push((b.id, r));
            }
        }
        for w in &self.dbg.watches {
            let mut r = format!(
                "{:<7} {:<14} {:<4} {:<3} {:<10} {}",
                w.id,
                w.kind.name(),
                "keep",
                if w.enabled { "y" } else { "n" },
                "",
                w.text
            );
            if w.hits > 0 {
                let _ = write!(
                    r,
                    "\n\tbreakpoint already hit {} time{}",
                    w.hits,
                    if w.hits == 1 { "" } else { "s" }
                );
            }
            rows.push((w.id, r));
        }
        if rows.is_empty() {
            return if watch_only {
                "No watchpoints.\n".into()
            } else {
                "No breakpoints or watchpoints.\n".into()
            };
        }
        rows.sort_by_key(|r| r.0);
        let mut s = "Num     Type           Disp Enb Address    What\n".to_string();
        for (_, r) in rows {
            s.push_str(&r);
            s.push('\n');
        }
        s
    }

    /// The pc of the most recent MAC instruction, found in the recent history.
    fn last_mac_pc(&self) -> Option<u32> {
        let now = self.dbg.m.instret;
        let from = now
            .saturating_sub(self.dbg.hist.interval())
            .max(self.dbg.hist.oldest());
        self.dbg
            .positions(from, now)
            .iter()
            .rev()
            .find(|p| {
                self.dbg
                    .m
                    .read_dram(p.pc, 4)
                    .ok()
                    .and_then(|b| {
                        bitloom_isa::Instr::decode(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                            .ok()
                    })
                    .is_some_and(|i| i.def().class == bitloom_isa::Class::Mac)
            })
            .map(|p| p.pc)
    }
}
