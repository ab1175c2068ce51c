//! Output: the final `Image` (sections, symbols with sizes, entry point, line table),
//! the collected diagnostics, and the listing (text and structured rows).

use bitloom_isa::image::{Image, LineTable, Section, SectionKind, Symbol, SymbolKind};

use crate::diag::{Diagnostic, Diagnostics};
use crate::{ListingRow, Output};

use super::{is_local_name, Asm, Row, SymDef, Val, NONE};

impl<'o> Asm<'o> {
    pub(crate) fn finish_output(mut self) -> Result<Output, Diagnostics> {
        // Undefined globals.
        for s in &self.symtab {
            if let (SymDef::Undef, Some(g)) = (&s.def, s.global) {
                let mut d =
                    Diagnostic::error(g, format!("global symbol `{}` is never defined", s.name))
                        .label("declared global here");
                if let Some(c) = self.suggest_symbol(&s.name) {
                    d = d.help(format!("did you mean `{c}`?"));
                }
                self.diags.push(d);
            }
        }
        for (i, name, what) in std::mem::take(&mut self.maybe_forward) {
            let def = self
                .syms
                .get(name.as_str())
                .map(|&k| &self.symtab[k as usize]);
            if let (Some(sym), Some(d)) = (def, self.diags.get_mut(i)) {
                if !matches!(sym.def, SymDef::Undef) {
                    d.message = format!("{what} must be known here, but `{name}` is defined later");
                    d.label = "forward reference".into();
                    d.notes.clear();
                    d.help = Some("define the constant before this line".into());
                    if let Some(sp) = sym.span {
                        d.secondary.push((sp, "defined here".into()));
                    }
                }
            }
        }
        if let (Some(i), n @ 1..) = (self.failed_include, self.include_cascade) {
            if let Some(d) = self.diags.get_mut(i) {
                d.notes.push(format!(
                    "{n} later unknown symbol or instruction error(s) not shown: probably defined in this file"
                ));
            }
        }
        let mut warnings = std::mem::take(&mut self.warnings);
        warnings.append(self.encode_warnings.get_mut());
        if !self.diags.is_empty() {
            let mut list = std::mem::take(&mut self.diags);
            list.append(&mut warnings);
            let sm = &self.sm;
            // In reading order: a diagnostic inside an included file sorts at its `.include`
            // line (then by its own place), and says where the file was included from.
            let sites = &self.include_site;
            let key = |sp: crate::source::Span| {
                let mut chain = Vec::new();
                let mut s = sm.to_file(sp);
                for _ in 0..=super::MAX_NEST {
                    chain.push((s.src, s.start));
                    match sites.get(&s.src) {
                        Some(site) => s = sm.to_file(*site),
                        None => break,
                    }
                }
                chain.reverse();
                chain
            };
            list.sort_by_cached_key(|d| key(d.span));
            for d in &mut list {
                let f = sm.to_file(d.span);
                if let Some(site) = sites.get(&f.src) {
                    let site = sm.to_file(*site);
                    if let Some(src) = sm.sources.get(site.src as usize) {
                        let (l, _) = src.line_col(site.start);
                        d.notes
                            .push(format!("in a file included from {}:{l}", src.name));
                    }
                }
            }
            let max = self.opts.max_errors.max(1);
            if list.len() > max {
                let dropped = list.len() - max;
                list.truncate(max);
                if let Some(last) = list.last_mut() {
                    last.notes
                        .push(format!("{dropped} more diagnostics not shown"));
                }
            }
            if self.suppressed_errors > 0 {
                if let Some(last) = list.last_mut() {
                    last.notes.push(format!(
                        "assembly stopped after {max} errors (raise the cap with `bitloom asm --max-errors`)"
                    ));
                }
            }
            return Err(Diagnostics {
                list,
                sources: self.sm,
            });
        }
        // What the ELF writer would refuse, said at the source that caused it.
        let mut late = Vec::new();
        for sec in &self.secs {
            if sec.kind == SectionKind::Text && sec.size % 4 != 0 {
                let (sp, exp) = sec.unaligned_at.unwrap_or_default();
                let d = Diagnostic::error(
                    sp,
                    format!(
                        "code section `{}` ends {} byte(s) past a 4-byte boundary",
                        sec.name,
                        sec.size % 4
                    ),
                )
                .label("this leaves it unaligned")
                .help("pad with `.align 4`, or put data in `.data` / `.rodata`");
                late.push(self.with_expansion(d, exp));
            }
        }
        if let Some(&i) = self.syms.get("_start") {
            let s = &self.symtab[i as usize];
            if let SymDef::Label { sec, .. } = s.def {
                if self.secs[sec as usize].kind != SectionKind::Text {
                    let d = Diagnostic::error(
                        s.span.unwrap_or_default(),
                        format!(
                            "the entry point `_start` is in `{}`, not in code",
                            self.secs[sec as usize].name
                        ),
                    )
                    .label("defined here")
                    .help("define `_start` in `.text`");
                    late.push(d);
                }
            }
        }
        if !late.is_empty() {
            let sm = &self.sm;
            late.sort_by_key(|d| {
                let s = sm.to_file(d.span);
                (s.src, s.start)
            });
            return Err(Diagnostics {
                list: late,
                sources: self.sm,
            });
        }
        // Sections that hold something.
        let mut order: Vec<usize> = (0..self.secs.len())
            .filter(|&i| self.secs[i].used || self.secs[i].size > 0)
            .collect();
        order.sort_by_key(|&i| self.secs[i].base);
        let mut index = vec![None; self.secs.len()];
        let mut sections = Vec::with_capacity(order.len());
        for (k, &i) in order.iter().enumerate() {
            index[i] = Some(k);
            let s = &mut self.secs[i];
            sections.push(Section {
                name: s.name.clone(),
                kind: s.kind,
                addr: s.base,
                size: s.size as u32,
                data: std::mem::take(&mut s.data),
            });
        }
        let mut symbols = Vec::new();
        for s in &self.symtab {
            if is_local_name(&s.name) && s.global.is_none() {
                continue;
            }
            let (value, kind, section) = match &s.def {
                SymDef::Label { sec, off } => {
                    let k = if self.secs[*sec as usize].kind == SectionKind::Text {
                        SymbolKind::Func
                    } else {
                        SymbolKind::Object
                    };
                    (
                        self.secs[*sec as usize].base.wrapping_add(*off),
                        k,
                        index[*sec as usize],
                    )
                }
                SymDef::Value(v) => (*v as u32, SymbolKind::Absolute, None),
                SymDef::Set(h) => match h.last() {
                    Some((_, Val { v, sec: Some(sec) })) => (
                        (self.section_base(*sec) + v) as u32,
                        SymbolKind::Object,
                        index[*sec as usize],
                    ),
                    Some((_, v)) => (v.v as u32, SymbolKind::Absolute, None),
                    None => continue,
                },
                _ => continue,
            };
            symbols.push(Symbol {
                name: s.name.to_string(),
                value,
                size: 0,
                kind,
                global: s.global.is_some(),
                section,
            });
        }
        // Sizes: distance to the next symbol of the same section, or the section end.
        let mut by_addr: Vec<usize> = (0..symbols.len())
            .filter(|&i| symbols[i].section.is_some())
            .collect();
        by_addr.sort_by_key(|&i| (symbols[i].section, symbols[i].value));
        for w in 0..by_addr.len() {
            let i = by_addr[w];
            let sec = symbols[i].section;
            let end = by_addr[w + 1..]
                .iter()
                .map(|&j| &symbols[j])
                .find(|s| s.section == sec && s.value > symbols[i].value)
                .map(|s| s.value)
                .unwrap_or_else(|| {
                    sec.map(|k| sections[k].addr + sections[k].size)
                        .unwrap_or(0)
                });
            symbols[i].size = end.saturating_sub(symbols[i].value);
        }
        // ELF lists local symbols before global ones; emit that order (stable) so an image
        // survives write_elf/read_elf unchanged.
        symbols.sort_by_key(|s| s.global);
        let entry = symbols
            .iter()
            .find(|s| s.name == "_start" && s.kind != SymbolKind::Absolute)
            .map(|s| s.value)
            .unwrap_or(self.secs[0].base);
        let listing = if self.opts.listing {
            self.render_listing(&sections, &index)
        } else {
            String::new()
        };
        let rows = if self.opts.listing {
            self.listing_rows(&sections, &index)
        } else {
            Vec::new()
        };
        self.stats.symbols = symbols.len() as u64;
        self.stats.data_bytes = sections
            .iter()
            .filter(|s| s.kind != SectionKind::Text)
            .map(|s| s.size as u64)
            .sum();
        self.stats.text_bytes = sections
            .iter()
            .filter(|s| s.kind == SectionKind::Text)
            .map(|s| s.size as u64)
            .sum();
        let image = Image {
            entry,
            sections,
            symbols,
            lines: LineTable {
                files: std::mem::take(&mut self.files),
                rows: std::mem::take(&mut self.line_rows),
            },
        };
        Ok(Output {
            image,
            listing,
            rows,
            stats: self.stats,
            warnings: Diagnostics {
                // The sources (every file and expansion text) only to render warnings: with
                // none, they are freed now rather than kept alive with the image.
                sources: if warnings.is_empty() {
                    Default::default()
                } else {
                    self.sm
                },
                list: warnings,
            },
        })
    }

    fn row_bytes<'s>(
        &self,
        sections: &'s [Section],
        index: &[Option<usize>],
        r: &Row,
    ) -> (u32, &'s [u8]) {
        let base = self.secs.get(r.sec as usize).map(|s| s.base).unwrap_or(0);
        let bytes = index
            .get(r.sec as usize)
            .copied()
            .flatten()
            .and_then(|k| {
                sections[k]
                    .data
                    .get(r.off as usize..(r.off + r.len) as usize)
            })
            .unwrap_or(&[]);
        (base.wrapping_add(r.off), bytes)
    }

    fn listing_rows(&self, sections: &[Section], index: &[Option<usize>]) -> Vec<ListingRow> {
        self.rows
            .iter()
            .map(|r| {
                let (addr, bytes) = self.row_bytes(sections, index, r);
                let sp = self.sm.to_file(self.line_span(r.src, r.line));
                let (line, _) = self
                    .sm
                    .sources
                    .get(sp.src as usize)
                    .map(|s| s.line_col(sp.start))
                    .unwrap_or((0, 0));
                ListingRow {
                    file: self
                        .sm
                        .sources
                        .get(sp.src as usize)
                        .map(|s| s.name.clone())
                        .unwrap_or_default(),
                    line,
                    root_line: r.root_line + 1,
                    addr,
                    bytes: bytes.to_vec(),
                    len: r.len,
                }
            })
            .collect()
    }

    fn render_listing(&self, sections: &[Section], index: &[Option<usize>]) -> String {
        use std::fmt::Write as _;
        let mut out = String::with_capacity(self.rows.len() * 48);
        let mut cur_src = NONE;
        for r in &self.rows {
            let (addr, bytes) = self.row_bytes(sections, index, r);
            let src = &self.sm.sources[r.src as usize];
            if r.src != cur_src {
                cur_src = r.src;
                let _ = writeln!(out, "{:>5} {}", "", src.name);
            }
            let (ls, le) = self.line_range(r.src, r.line).unwrap_or((0, 0));
            let text = src
                .text
                .get(ls as usize..le as usize)
                .unwrap_or("")
                .trim_end();
            let mut hex = String::new();
            for b in bytes.iter().take(4) {
                let _ = write!(hex, "{b:02x}");
            }
            let addr_s = if r.len > 0 {
                format!("{addr:08x}")
            } else {
                " ".repeat(8)
            };
            let _ = writeln!(out, "{:>5} {addr_s} {hex:<8} {text}", r.line + 1);
            // Lines joined to this one with a trailing `\`.
            let joined = self.cont.get(&(r.src, r.line)).copied().unwrap_or(0);
            for j in 1..=joined {
                let (ls, le) = self.line_range(r.src, r.line + j).unwrap_or((0, 0));
                let t = src.text.get(ls as usize..le as usize).unwrap_or("");
                let _ = writeln!(out, "{:>5} {:17} {}", r.line + 1 + j, "", t.trim_end());
            }
            let mut k = 4;
            while k < bytes.len() {
                if k >= 16 {
                    let _ = writeln!(
                        out,
                        "{:>5} {:08x} ... ({} more bytes)",
                        "",
                        addr + k as u32,
                        bytes.len() - k
                    );
                    break;
                }
                let mut hex = String::new();
                for b in bytes.iter().skip(k).take(4) {
                    let _ = write!(hex, "{b:02x}");
                }
                let _ = writeln!(out, "{:>5} {:08x} {hex}", "", addr + k as u32);
                k += 4;
            }
        }
        out
    }
}
