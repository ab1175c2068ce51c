//! Pass 1 statements and layout: every parsed line becomes labels plus an instruction or a
//! directive with a fixed size at a fixed section offset (instructions whose operands are
//! already known are encoded on the spot); then `layout` gives the sections addresses and
//! resolves `.equ` values.

use bitloom_isa::image::{LineRow, SectionKind};
use bitloom_isa::INSTRUCTIONS;

use crate::ast::{Arg, Stmt};
use crate::diag::Diagnostic;
use crate::directive;
use crate::pseudo::{li_short_range, Pseudo, PSEUDOS};
use crate::source::Span;

use super::{stmt_span, suggest, Asm, At, Item, ItemKind, Mn, SymDef, Val, MAX_SECTION, NONE};

impl<'o> Asm<'o> {
    pub(super) fn at(&self) -> At {
        At {
            sec: self.cur as u8,
            off: self.secs[self.cur].size as u32,
            seq: self.seq,
        }
    }

    /// Process one parsed line. Returns `false` for lines whose bytes come from other lines
    /// (macro invocations, includes) so the listing does not count them twice.
    pub(super) fn statement(&mut self, src: u32, idx: u32, exp: u32) -> bool {
        self.seq += 1;
        self.labeled = !self.parsed[idx as usize].labels.is_empty();
        for k in 0..self.parsed[idx as usize].labels.len() {
            let l = self.parsed[idx as usize].labels[k].clone();
            self.define_label(&l, exp);
        }
        let name = match &self.parsed[idx as usize].stmt {
            None => {
                // Labels only: nothing later needs the parsed line.
                self.line_done = true;
                return true;
            }
            Some(Stmt::Assign { name, expr }) => {
                let (name, expr) = (*name, expr.clone());
                self.set_symbol(name, &expr, exp);
                return true;
            }
            Some(Stmt::Op { name, .. }) => *name,
        };
        let text = self.sm.sources[name.src as usize].text.clone();
        let n = text
            .get(name.start as usize..name.end as usize)
            .unwrap_or("");
        if n.starts_with('.') {
            // Directives never re-enter their own line (block keywords are handled before
            // statements and `.include` reads a new buffer), so the line can be moved out
            // while it is processed.
            let line = std::mem::take(&mut self.parsed[idx as usize]);
            let r = self.directive(src, n, name, line.args(), idx, exp);
            self.parsed[idx as usize] = line;
            r
        } else {
            let sp = stmt_span(name, self.line_args(idx));
            self.instruction(n, name, idx, exp, sp)
        }
    }

    fn instruction(&mut self, n: &str, name: Span, idx: u32, exp: u32, stmt_sp: Span) -> bool {
        if !self.macros.is_empty() {
            if let Some(key) = self.macro_key(n) {
                // The invocation line is not needed after this. Just parsed in a buffer
                // that is not run again: drop its parse now (the expansion parses many
                // lines after it); otherwise a macro body may invoke the same line again
                // (recursion), so the arguments are copied rather than moved out.
                let (src, li) = self.cur_line;
                let args: Vec<Arg> = if src == name.src
                    && idx != 0
                    && idx as usize + 1 == self.parsed.len()
                    && self.single_use(src)
                {
                    self.parsed_idx[src as usize][li as usize] = NONE;
                    match self.parsed.pop().and_then(|l| l.stmt) {
                        Some(Stmt::Op { args, .. }) => args.into_vec(),
                        _ => Vec::new(),
                    }
                } else {
                    self.line_args(idx).to_vec()
                };
                self.invoke_macro(&key, stmt_sp, &args, exp);
                return false;
            }
        }
        let mn = match self.mnems.get(n) {
            Some(m) => *m,
            None => match self.mnems.get(n.to_ascii_lowercase().as_str()) {
                Some(m) => *m,
                None => {
                    let mut d = Diagnostic::error(name, format!("unknown instruction `{n}`"))
                        .label(super::UNKNOWN_MNEMONIC_LABEL);
                    let cands = INSTRUCTIONS
                        .iter()
                        .map(|d| d.mnemonic)
                        .chain(PSEUDOS.iter().map(|p| p.0))
                        .chain(self.macros.keys().map(|k| &**k));
                    if let Some(s) = suggest(n, cands) {
                        d = d.help(format!("did you mean `{s}`?"));
                    } else if let Some(s) = suggest(&format!(".{n}"), directive::names()) {
                        d = d.help(format!("directives start with a dot: did you mean `{s}`?"));
                    }
                    self.error(d, exp);
                    return true;
                }
            },
        };
        let sec = &self.secs[self.cur];
        if sec.kind == SectionKind::Bss {
            let d = Diagnostic::error(name, "instructions are not allowed in `.bss`")
                .label("`.bss` holds only zero-initialised space")
                .help("switch to `.text` before this instruction");
            self.error(d, exp);
            return true;
        }
        if !sec.size.is_multiple_of(4) {
            let d = Diagnostic::error(
                name,
                format!(
                    "instruction at misaligned offset {} in `{}`",
                    sec.size, sec.name
                ),
            )
            .label("instructions must start on a 4-byte boundary")
            .help("insert `.align 4` before it");
            self.error(d, exp);
            return true;
        }
        let words = match mn {
            Mn::Real(_) => 1,
            Mn::Pseudo(Pseudo::La) => 2,
            Mn::Pseudo(Pseudo::Li) => {
                let at = self.at();
                let (lo, hi) = li_short_range();
                match self.line_args(idx).get(1) {
                    Some(Arg::Expr(e)) => match self.eval(e, at, false, 0) {
                        Ok(Val { v, sec: None }) if (lo..=hi).contains(&v) => 1,
                        _ => 2,
                    },
                    _ => 1,
                }
            }
            Mn::Pseudo(_) => 1,
        };
        let at = self.at();
        let loc = self.loc(name, exp);
        if let Some(ws) = self.encode_early(mn, name, idx, at, words) {
            self.stats.instructions += words as u64;
            for k in 0..words as u32 {
                self.early_rows.push(LineRow {
                    addr: at.off + 4 * k,
                    file: loc.0,
                    line: loc.1,
                    col: loc.2,
                });
                self.early_secs.push(at.sec);
            }
            if self.grow(4 * words as u64, name, exp) {
                for (k, w) in ws.iter().take(words as usize).enumerate() {
                    self.write(at.sec, at.off + 4 * k as u32, &w.to_le_bytes());
                }
            }
            self.line_done = true;
            return true;
        }
        self.items.push(Item {
            kind: ItemKind::Instr(mn, words),
            line: idx,
            at,
            exp,
            loc,
        });
        self.stats.instructions += words as u64;
        self.grow(4 * words as u64, name, exp);
        true
    }

    /// Encode an instruction in pass 1 if every operand is already known (registers,
    /// names, constants defined before this line, branch targets defined before it in the
    /// same section). `None` leaves it to pass 2, which then reports any error exactly as
    /// it would have.
    fn encode_early(
        &mut self,
        mn: Mn,
        name: Span,
        idx: u32,
        at: At,
        words: u8,
    ) -> Option<[u32; 2]> {
        // `la` (a symbol's address) is left to pass 2.
        if matches!(mn, Mn::Pseudo(p) if p.expansion().is_none() && p != Pseudo::Li) {
            return None;
        }
        self.early = true;
        // Branch targets are offsets in pass 1 (see `operand`), so is the pc.
        let r = self.encode(mn, name, self.line_args(idx), at, at.off, words);
        self.early = false;
        r.ok()
    }

    /// Reserve `n` bytes in the current section (zeros for now).
    pub(super) fn grow(&mut self, n: u64, sp: Span, exp: u32) -> bool {
        let sec = &mut self.secs[self.cur];
        sec.used = true;
        if sec.size + n > MAX_SECTION {
            let name = sec.name.clone();
            let d = Diagnostic::error(
                sp,
                format!("section `{name}` would exceed {} MiB", MAX_SECTION >> 20),
            )
            .label(format!("this adds {n} bytes"));
            self.error(d, exp);
            return false;
        }
        let total: u64 = self.secs.iter().map(|s| s.size).sum::<u64>() + n;
        if total > bitloom_isa::elf::DEFAULT_MAX_BYTES {
            let d = Diagnostic::error(
                sp,
                format!(
                    "the program would need more than {} MiB of memory, the most an ELF \
                     reader and `bitloom run` accept",
                    bitloom_isa::elf::DEFAULT_MAX_BYTES >> 20
                ),
            )
            .label(format!("this adds {n} bytes (all sections: {total})"));
            self.error(d, exp);
            return false;
        }
        let sec = &mut self.secs[self.cur];
        sec.size += n;
        if sec.kind == SectionKind::Text {
            sec.unaligned_at = (!sec.size.is_multiple_of(4)).then_some((sp, exp));
        }
        if sec.kind != SectionKind::Bss {
            sec.data.resize(sec.size as usize, 0);
        }
        true
    }

    /// Overwrite bytes at `off` in section `sec` (space reserved by [`Asm::grow`]).
    pub(super) fn write(&mut self, sec: u8, off: u32, bytes: &[u8]) {
        if let Some(s) = self.secs.get_mut(sec as usize) {
            if let Some(dst) = s.data.get_mut(off as usize..off as usize + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
    }

    pub(super) fn emit_bytes(&mut self, bytes: &[u8], sp: Span, exp: u32) {
        if self.grow(bytes.len() as u64, sp, exp) {
            let sec = &mut self.secs[self.cur];
            if sec.kind != SectionKind::Bss {
                let start = sec.data.len() - bytes.len();
                sec.data[start..].copy_from_slice(bytes);
            }
        }
    }

    pub(super) fn layout(&mut self) {
        let mut addr = bitloom_isa::TEXT_BASE as u64;
        for kind in [
            SectionKind::Text,
            SectionKind::Rodata,
            SectionKind::Data,
            SectionKind::Bss,
        ] {
            for s in self.secs.iter_mut().filter(|s| s.kind == kind) {
                let a = s.align.max(16) as u64;
                addr = addr.div_ceil(a) * a;
                s.base = addr.min(u32::MAX as u64) as u32;
                addr += s.size;
            }
        }
        if addr > u32::MAX as u64 {
            let d = Diagnostic::error(
                Span::default(),
                "program does not fit in the 32-bit address space",
            )
            .label("here");
            self.diags.push(d);
        }
        // Resolve `.equ` values now that sections have addresses. Each `.equ`'s expansion
        // (for diagnostics) is the first item of its line: one pass over the items, not one
        // per symbol (that was quadratic in the file size).
        let equ_lines: std::collections::HashSet<u32> = self
            .symtab
            .iter()
            .filter_map(|s| match s.def {
                SymDef::Equ { line, .. } => Some(line),
                _ => None,
            })
            .collect();
        let mut exp_of: std::collections::HashMap<u32, u32> =
            std::collections::HashMap::with_capacity(equ_lines.len());
        if !equ_lines.is_empty() {
            for it in self.items.iter() {
                if equ_lines.contains(&it.line) {
                    exp_of.entry(it.line).or_insert(it.exp);
                }
            }
        }
        for i in 0..self.symtab.len() {
            if let SymDef::Equ { line, at } = self.symtab[i].def {
                let exp = exp_of.get(&line).copied().unwrap_or(NONE);
                let Some(Arg::Expr(ex)) = self.line_args(line).get(1) else {
                    continue;
                };
                match self.value(ex, at) {
                    Ok(v) => self.symtab[i].def = SymDef::Value(v),
                    Err(d) => {
                        self.error(d, exp);
                        self.symtab[i].def = SymDef::Value(0);
                    }
                }
            }
        }
    }
}
