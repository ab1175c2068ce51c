//! Data commands: `print`, `x`, `set var`, `display`, `watch` targets and `dump` to `.npy`.

use std::fmt::Write as _;

use super::{parse_tile, parse_u32, Session};
use crate::engine::{reg_num, Target, WatchKind};
use crate::expr::{self, Expr};
use crate::views;

/// Format a value for `print`/`display`/`x` (gdb's letters).
fn fmt_value(v: i64, f: char, m: &bitloom_emu::Machine) -> Result<String, String> {
    let u = v as u64 & 0xffff_ffff;
    Ok(match f {
        ' ' => format!("{v}"),
        // Signed: a 32-bit quantity (registers, memory words read unsigned) is shown as
        // the two's-complement int32 (fix: `p/d r15` printed 4294967123 for -173).
        'd' if (0..=u32::MAX as i64).contains(&v) => format!("{}", v as u32 as i32),
        'd' => format!("{v}"),
        'u' => format!("{u}"),
        'x' => format!("0x{u:x}"),
        'o' => format!("0{u:o}"),
        't' => format!("{u:b}"),
        'c' => {
            let c = (u & 0xff) as u8;
            // C-style, as gdb prints chars: `0 '\000'`, `65 'A'` (was Rust's `'\u{0}'`).
            let shown = match c {
                b'\\' => "\\\\".to_string(),
                b'\'' => "\\'".to_string(),
                0x20..=0x7e => (c as char).to_string(),
                _ => format!("\\{c:03o}"),
            };
            format!("{} '{shown}'", c as i8)
        }
        'a' => match views::symbolize(m, u as u32) {
            Some(s) => format!("0x{u:x} <{s}>"),
            None => format!("0x{u:x}"),
        },
        other => {
            return Err(format!(
                "Undefined output format \"{other}\" (use x d u t o c a)."
            ))
        }
    })
}

fn parse_fmt(slash: &str) -> Result<char, String> {
    let mut c = slash.chars();
    match (c.next(), c.next()) {
        (None, _) => Ok(' '),
        (Some(f), None) => Ok(f),
        _ => Err(format!(
            "Invalid format \"/{slash}\" (one letter: x d u t o c a)"
        )),
    }
}

impl Session {
    /// Evaluate an expression; errors are rendered with a caret under the problem.
    pub fn eval(&self, text: &str) -> Result<(Expr, i64), String> {
        let e = expr::parse(text).map_err(|e| render_expr_error(text, &e))?;
        let v = expr::eval(&e, &self.dbg).map_err(|e| render_expr_error(text, &e))?;
        Ok((e, v))
    }

    pub(super) fn cmd_print(&mut self, a: &str, slash: &str) -> Result<String, String> {
        let f = parse_fmt(slash)?;
        if a.trim().is_empty() {
            return Err("usage: print[/FMT] EXPR".into());
        }
        let (e, v) = self.eval(a.trim())?;
        if let Expr::Range(_, n) = &e {
            let n = expr::eval(n, &self.dbg).map_err(|e| e.to_string())?;
            let bytes = self
                .dbg
                .m
                .read_dram(v as u32, n.clamp(0, 1 << 16) as u32)
                .map_err(|_| format!("Cannot access memory at address 0x{v:x}"))?;
            self.values += 1;
            let items: Vec<String> = bytes
                .iter()
                .map(|b| fmt_value(*b as i64, if f == ' ' { 'd' } else { f }, &self.dbg.m))
                .collect::<Result<_, _>>()?;
            return Ok(format!("${} = {{{}}}\n", self.values, items.join(", ")));
        }
        self.values += 1;
        Ok(format!(
            "${} = {}\n",
            self.values,
            fmt_value(v, f, &self.dbg.m)?
        ))
    }

    pub(super) fn cmd_x(&mut self, a: &str, slash: &str) -> Result<String, String> {
        // N (count), F (format), U (unit b/h/w), in any order after the count.
        let (mut n, mut f, mut unit) = match self.x_next {
            Some((_, f, u)) => (1u32, f, u),
            None => (1, 'x', 4),
        };
        let digits: String = slash.chars().take_while(|c| c.is_ascii_digit()).collect();
        if !digits.is_empty() {
            n = digits.parse().map_err(|_| "bad count".to_string())?;
        }
        for c in slash[digits.len()..].chars() {
            match c {
                'b' => unit = 1,
                'h' => unit = 2,
                'w' => unit = 4,
                'x' | 'd' | 'u' | 't' | 'o' | 'c' | 'a' | 'i' => f = c,
                other => {
                    return Err(format!(
                        "Invalid x format letter '{other}' (N, then x d u t o c a i, then b h w)"
                    ))
                }
            }
        }
        if f == 'c' && !slash.contains(['h', 'w']) {
            unit = 1;
        }
        // Addresses are words unless a unit is given (fix: `x/2a` after `x/4ub` read bytes).
        if f == 'a' && !slash.contains(['b', 'h']) {
            unit = 4;
        }
        let addr = if a.trim().is_empty() {
            match self.x_next {
                Some((next, _, _)) => next,
                None => return Err("Argument required (starting display address).".into()),
            }
        } else {
            let (_, v) = self.eval(a.trim())?;
            u32::try_from(v).map_err(|_| format!("address {v} out of range"))?
        };
        if f == 'i' {
            self.x_next = Some((addr.wrapping_add(4 * n), f, unit));
            return Ok(views::disassemble(&self.dbg.m, addr, n));
        }
        let n = n.min(4096);
        let bytes = self
            .dbg
            .m
            .read_dram(addr, n * unit)
            .map_err(|_| format!("Cannot access memory at address 0x{addr:x}"))?;
        let per_line = match unit {
            1 => 8,
            2 => 8,
            _ => 4,
        };
        let mut s = String::new();
        for (li, chunk) in bytes.chunks((unit * per_line) as usize).enumerate() {
            let at = addr + li as u32 * unit * per_line;
            let sym = views::symbolize(&self.dbg.m, at)
                .map(|x| format!(" <{x}>"))
                .unwrap_or_default();
            let _ = write!(s, "0x{at:08x}{sym}:");
            for w in chunk.chunks(unit as usize) {
                let mut raw = [0u8; 4];
                raw[..w.len()].copy_from_slice(w);
                let u = u32::from_le_bytes(raw) as i64;
                let v = match (f, unit) {
                    ('d', 1) => u as u8 as i8 as i64,
                    ('d', 2) => u as u16 as i16 as i64,
                    ('d', _) => u as u32 as i32 as i64,
                    _ => u,
                };
                let text = match f {
                    'x' => format!("0x{:0width$x}", u, width = 2 * unit as usize),
                    other => fmt_value(v, other, &self.dbg.m)?,
                };
                let _ = write!(s, "\t{text}");
            }
            s.push('\n');
        }
        self.x_next = Some((addr.wrapping_add(n * unit), f, unit));
        Ok(s)
    }

    pub(super) fn cmd_set(&mut self, a: &str) -> Result<String, String> {
        let (word, rest) = super::split_word(a);
        match word {
            "history-size" => {
                let v = rest.trim();
                self.dbg.hist.limit = if v == "unlimited" {
                    None
                } else {
                    Some(parse_u32(v)? as u64)
                };
                let now = self.dbg.m.clone();
                self.dbg.hist.record(&now, true);
                Ok(String::new())
            }
            "listsize" => {
                self.listsize = parse_u32(rest)?.clamp(1, 1000);
                Ok(String::new())
            }
            "var" | "variable" => self.assign(rest),
            _ => self.assign(a),
        }
    }

    /// `set var`: assign `LHS = EXPR` to a register, CSR (range-checked), `$pc` or a DRAM
    /// word; the run diverges here (later checkpoints are dropped).
    pub fn assign(&mut self, a: &str) -> Result<String, String> {
        let (lhs, rhs) = a
            .split_once('=')
            .filter(|(l, r)| !l.ends_with(['=', '!', '<', '>']) && !r.starts_with('='))
            .ok_or("usage: set var LHS = EXPR (LHS: register, CSR, $pc or *ADDRESS)")?;
        let (lhs, rhs) = (lhs.trim(), rhs.trim());
        if lhs.is_empty() {
            return Err("usage: set var LHS = EXPR (LHS: register, CSR, $pc or *ADDRESS)".into());
        }
        let (_, v) = self.eval(rhs)?;
        let v32 = v as u32;
        let name = lhs.trim_start_matches('$');
        let m = &mut self.dbg.m;
        if name == "pc" {
            if !v32.is_multiple_of(4) {
                return Err(format!("pc must be 4-aligned, not 0x{v32:x}"));
            }
            m.pc = v32;
        } else if let Some(r) = reg_num(name) {
            if r == 0 {
                return Err("r0 is hard-wired to zero".into());
            }
            m.regs[r as usize] = v32;
        } else if let Some(c) = bitloom_isa::csr::by_name(name) {
            if c.access == bitloom_isa::csr::Access::ReadOnly {
                return Err(format!("{} is read-only", c.name));
            }
            if v32 < c.range.0 || v32 > c.range.1 {
                return Err(format!(
                    "{} = {v32} is out of range (legal values {}..={})",
                    c.name, c.range.0, c.range.1
                ));
            }
            m.csrs[c.num as usize] = v32;
        } else if let Some(target) = lhs.strip_prefix('*') {
            let (_, addr) = self.eval(target)?;
            let addr = u32::try_from(addr).map_err(|_| format!("address {addr} out of range"))?;
            self.dbg
                .m
                .write_dram(addr, &v32.to_le_bytes())
                .map_err(|_| format!("Cannot access memory at address 0x{addr:x}"))?;
        } else {
            let mut msg =
                format!("Cannot assign to `{lhs}`: not a register, CSR, $pc or *ADDRESS.");
            if let Some(s) = expr::suggest(name, self.dbg.names_for_assign()) {
                let _ = write!(msg, " Did you mean `{s}`?");
            }
            return Err(msg);
        }
        // Any change may remove a trap's cause (`set var r5 = 0x2000` before a misaligned
        // load), so the faulting instruction gets to execute again. (Fix: only `set var $pc`
        // cleared the trapped state, so fixing a register could not resume.)
        self.dbg.diverged();
        Ok(String::new())
    }

    pub(super) fn cmd_display(&mut self, a: &str, slash: &str) -> Result<String, String> {
        if a.trim().is_empty() {
            return Ok(self.show_displays());
        }
        let f = if slash.is_empty() {
            " ".to_string()
        } else {
            slash.to_string()
        };
        let e = if slash == "i" {
            Expr::Num(0)
        } else {
            parse_fmt(slash)?;
            self.eval(a.trim())?.0
        };
        let id = self.next_display;
        self.next_display += 1;
        self.displays.push((id, f, a.trim().to_string(), e));
        Ok(self.show_one(self.displays.len() - 1))
    }

    fn show_one(&self, i: usize) -> String {
        let (id, f, text, e) = &self.displays[i];
        if f == "i" {
            let pc = expr::eval(&expr::parse(text).unwrap_or(Expr::Num(0)), &self.dbg)
                .unwrap_or(self.dbg.m.pc as i64) as u32;
            return format!(
                "{id}: x/i {text}\n{}",
                views::disassemble(&self.dbg.m, pc, 1)
            );
        }
        let fc = f.chars().next().unwrap_or(' ');
        let shown = if fc == ' ' {
            String::new()
        } else {
            format!("/{fc} ") // gdb: `2: /x r6 = 0x0` (was `/xr6`)
        };
        match expr::eval(e, &self.dbg) {
            Ok(v) => match fmt_value(v, fc, &self.dbg.m) {
                Ok(t) => format!("{id}: {shown}{text} = {t}\n"),
                Err(err) => format!("{id}: {text}: {err}\n"),
            },
            Err(err) => format!("{id}: {text}: <error: {err}>\n"),
        }
    }

    pub(super) fn show_displays(&self) -> String {
        (0..self.displays.len()).map(|i| self.show_one(i)).collect()
    }

    pub(super) fn info_display(&self) -> String {
        if self.displays.is_empty() {
            return "There are no auto-display expressions now.\n".into();
        }
        let mut s = "Auto-display expressions now in effect:\nNum Enb Expression\n".to_string();
        for (id, f, text, _) in &self.displays {
            let f = if f.trim().is_empty() {
                String::new()
            } else {
                format!("/{f} ")
            };
            let _ = writeln!(s, "{id}:   y  {f}{text}");
        }
        s
    }

    pub(super) fn cmd_undisplay(&mut self, a: &str) -> Result<String, String> {
        if a.trim().is_empty() {
            self.displays.clear();
            return Ok(String::new());
        }
        for w in a.split_whitespace() {
            let id = parse_u32(w)?;
            let before = self.displays.len();
            self.displays.retain(|d| d.0 != id);
            if self.displays.len() == before {
                return Err(format!("No display number {id}."));
            }
        }
        Ok(String::new())
    }

    /// Resolve a watch target: `rN`/`sp`/…, a CSR name, `tN`, `*EXPR[@LEN]`, or a symbol
    /// (its size, else 4 bytes).
    pub fn watch_target(&self, a: &str) -> Result<Target, String> {
        let t = a.trim();
        let name = t.trim_start_matches('$');
        if let Some(r) = reg_num(name) {
            return Ok(Target::Reg(r));
        }
        if name == "pc" {
            return Err("watching the pc is not supported; use breakpoints".into());
        }
        if let Some(c) = bitloom_isa::csr::by_name(name) {
            return Ok(Target::Csr(c.num));
        }
        if let Some(i) = bitloom_isa::operand::parse_tile(name) {
            return Ok(Target::Tile(i));
        }
        if t.starts_with('*') {
            let e = expr::parse(t).map_err(|e| render_expr_error(t, &e))?;
            let (addr, len) = match &e {
                Expr::Range(a, n) => {
                    let inner = match &**a {
                        Expr::Deref(x) => x,
                        other => other,
                    };
                    (
                        expr::eval(inner, &self.dbg).map_err(|e| e.to_string())?,
                        expr::eval(n, &self.dbg).map_err(|e| e.to_string())?,
                    )
                }
                Expr::Deref(x) => (expr::eval(x, &self.dbg).map_err(|e| e.to_string())?, 4),
                _ => unreachable!("starts with *"),
            };
            let addr = u32::try_from(addr).map_err(|_| format!("address {addr} out of range"))?;
            let len = u32::try_from(len)
                .ok()
                .filter(|l| (1..=1 << 20).contains(l))
                .ok_or("watch length must be 1..1048576 bytes")?;
            if self.dbg.m.read_dram(addr, len).is_err() {
                return Err(format!("Cannot watch 0x{addr:x}+{len}: outside DRAM"));
            }
            return Ok(Target::Mem { addr, len });
        }
        if let Some(s) = self.dbg.m.image().symbols.iter().find(|s| s.name == name) {
            let len = if s.size > 0 { s.size.min(1 << 20) } else { 4 };
            return Ok(Target::Mem { addr: s.value, len });
        }
        let mut names = self.dbg.names_for_assign();
        names.extend((0..16).map(|i| format!("t{i}")));
        names.extend(self.dbg.m.image().symbols.iter().map(|s| s.name.clone()));
        let mut msg = format!("Cannot watch `{t}`: not a register, CSR, tile, symbol or *ADDRESS.");
        if let Some(s) = expr::suggest(name, names) {
            let _ = write!(msg, " Did you mean `{s}`?");
        }
        Err(msg)
    }

    pub(super) fn cmd_watch(&mut self, a: &str, kind: WatchKind) -> Result<String, String> {
        if a.trim().is_empty() {
            return Err("Argument required (what to watch).".into());
        }
        let t = self.watch_target(a)?;
        let id = self.dbg.add_watch(kind, t, a.trim());
        let label = match kind {
            WatchKind::Write => "Hardware watchpoint",
            WatchKind::Read => "Hardware read watchpoint",
            WatchKind::Access => "Hardware access (read/write) watchpoint",
        };
        Ok(format!("{label} {id}: {}\n", a.trim()))
    }

    pub(super) fn cmd_dump(&mut self, a: &str) -> Result<String, String> {
        let words: Vec<&str> = a.split_whitespace().collect();
        // Never overwrite the program (its ELF or a source file of it).
        if let Some(file) = words
            .iter()
            .find(|w| w.ends_with(".npy") || words.last() == Some(w))
        {
            let dest = std::path::Path::new(file);
            let same_as_program = std::fs::canonicalize(dest)
                .is_ok_and(|d| std::fs::canonicalize(&self.dbg.program).is_ok_and(|p| p == d));
            if same_as_program || bitloom_emu::dump::is_program_source(&self.dbg.m, dest) {
                return Err(format!(
                    "dump: {file} is the program or one of its source files; not overwriting it"
                ));
            }
        }
        match words.as_slice() {
            ["memory", addr, len, file] => {
                let (_, addr) = self.eval(addr)?;
                let (_, len) = self.eval(len)?;
                let addr = u32::try_from(addr).map_err(|_| "address out of range")?;
                let len = u32::try_from(len)
                    .ok()
                    .filter(|l| *l <= 1 << 28)
                    .ok_or("length out of range")?;
                let bytes = self
                    .dbg
                    .m
                    .read_dram(addr, len)
                    .map_err(|_| format!("Cannot access memory at 0x{addr:x}+{len}"))?;
                bitloom_emu::dump::write_npy(std::path::Path::new(file), &bytes, &[len as u64])?;
                Ok(format!(
                    "Wrote {len} bytes from 0x{addr:08x} to {file} (uint8, shape ({len},)).\n"
                ))
            }
            [tile, file, opts @ ..] => {
                let i = parse_tile(tile)?;
                let t = *self
                    .dbg
                    .m
                    .tile(i)
                    .ok_or_else(|| format!("t{i} is not defined"))?;
                let codes = opts.contains(&"--codes");
                if let Some(bad) = opts.iter().find(|o| **o != "--codes" && **o != "--values") {
                    return Err(format!("unknown dump option `{bad}` (--codes or --values)"));
                }
                let shape = [t.rows as u64, t.cols as u64];
                if codes && !t.is_acc() {
                    let c = self.dbg.m.tile_codes(i).map_err(|e| e.to_string())?;
                    bitloom_emu::dump::write_npy(std::path::Path::new(file), &c, &shape)?;
                    Ok(format!(
                        "Wrote t{i} codes to {file} (uint8, shape ({}, {})).\n",
                        t.rows, t.cols
                    ))
                } else {
                    let v = self.dbg.m.tile_values(i).map_err(|e| e.to_string())?;
                    bitloom_emu::dump::write_npy(std::path::Path::new(file), &v, &shape)?;
                    Ok(format!(
                        "Wrote t{i} values to {file} (int32, shape ({}, {})).\n",
                        t.rows, t.cols
                    ))
                }
            }
            _ => Err(
                "usage: dump tN FILE.npy [--codes|--values] | dump memory ADDR LEN FILE.npy".into(),
            ),
        }
    }
}

/// An expression error with a caret under the place.
fn render_expr_error(text: &str, e: &expr::ExprError) -> String {
    format!("{text}\n{}^ {}", " ".repeat(e.at.min(text.len())), e.msg)
}

impl crate::engine::Debugger {
    /// Names that `set var` accepts (for suggestions).
    pub fn names_for_assign(&self) -> Vec<String> {
        let mut v: Vec<String> = (0..32).map(|i| format!("r{i}")).collect();
        v.extend(["ra", "sp", "fp", "pc"].map(String::from));
        v.extend(bitloom_isa::csr::CSRS.iter().map(|c| c.name.to_string()));
        v
    }
}
