//! Disassembly of a program [`Image`]: a GNU-objdump-style listing ([`objdump`]) and
//! re-assemblable assembly source ([`disassemble_to_source`]).
//!
//! Instruction text comes from [`Instr::format`], so the listing and the assembler share one
//! printer. Branch targets are printed as plain addresses (`0x1040`, which the assembler
//! accepts) with the symbolic form in a trailing comment (`; <loop+0x8>`).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::image::{Image, Section, SectionKind, Symbol, SymbolKind};
use crate::operand::Operand;
use crate::Instr;

/// What [`objdump`] prints.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjdumpOptions {
    /// File name for the `NAME:     file format elf32-loom` first line (omitted if `None`).
    pub file_name: Option<String>,
    /// Entry point and section table (like `objdump -f -h`).
    pub headers: bool,
    /// Symbol table (like `objdump -t`).
    pub symbols: bool,
    /// Disassembly of executable sections (like `objdump -d`).
    pub disassemble: bool,
    /// Interleave source lines from the line table when the file is readable (like `-S`).
    pub source: bool,
    /// Print `file:line` when the source position changes (like `-l`).
    pub line_numbers: bool,
    /// Directory against which relative source paths are resolved (default: as given).
    pub source_dir: Option<PathBuf>,
    /// Hex and ASCII dump of the data sections (like `objdump -s`).
    pub contents: bool,
}

impl Default for ObjdumpOptions {
    fn default() -> Self {
        ObjdumpOptions {
            file_name: None,
            headers: true,
            symbols: false,
            disassemble: true,
            source: false,
            line_numbers: false,
            source_dir: None,
            contents: true,
        }
    }
}

/// Column at which trailing `;` comments start in instruction text.
const COMMENT_COL: usize = 32;

fn kind_flags(kind: SectionKind) -> &'static str {
    match kind {
        SectionKind::Text => "CONTENTS, ALLOC, LOAD, READONLY, CODE",
        SectionKind::Rodata => "CONTENTS, ALLOC, LOAD, READONLY, DATA",
        SectionKind::Data => "CONTENTS, ALLOC, LOAD, DATA",
        SectionKind::Bss => "ALLOC",
    }
}

/// Symbol look-ups precomputed once per listing, so that large programs stay linear.
struct SymIndex<'a> {
    img: &'a Image,
    /// Block-heading label per (section, address): global before local, code before data,
    /// then table order.
    labels: HashMap<(usize, u32), &'a Symbol>,
    /// Non-absolute symbols sorted by (value, global), stable.
    sorted: Vec<&'a Symbol>,
}

impl<'a> SymIndex<'a> {
    fn new(img: &'a Image) -> Self {
        let rank = |s: &Symbol| (!s.global, s.kind != SymbolKind::Func);
        let mut labels: HashMap<(usize, u32), &Symbol> = HashMap::new();
        for s in img
            .symbols
            .iter()
            .filter(|s| s.kind != SymbolKind::Absolute)
        {
            let Some(sec) = s.section else { continue };
            labels
                .entry((sec, s.value))
                .and_modify(|cur| {
                    if rank(s) < rank(cur) {
                        *cur = s;
                    }
                })
                .or_insert(s);
        }
        let mut sorted: Vec<&Symbol> = img
            .symbols
            .iter()
            .filter(|s| s.kind != SymbolKind::Absolute)
            .collect();
        sorted.sort_by_key(|s| (s.value, s.global));
        SymIndex {
            img,
            labels,
            sorted,
        }
    }

    fn label_at(&self, sec: usize, addr: u32) -> Option<&'a Symbol> {
        self.labels.get(&(sec, addr)).copied()
    }

    /// For valid images the same answer as [`Image::symbolize`] (highest symbol at or below
    /// `addr` whose section covers `addr`; globals win ties, then later entries), found by
    /// binary search within the section that holds `addr`.
    fn symbolize(&self, addr: u32) -> Option<(&'a Symbol, u32)> {
        let sections = &self.img.sections;
        let holds =
            |sec: &Section| addr >= sec.addr && addr < sec.addr.saturating_add(sec.size.max(1));
        let floor = sections.iter().find(|sec| holds(sec))?.addr;
        let end = self.sorted.partition_point(|s| s.value <= addr);
        self.sorted[..end]
            .iter()
            .rev()
            .take_while(|s| s.value >= floor)
            .find(|s| s.section.and_then(|i| sections.get(i)).is_some_and(holds))
            .map(|s| (*s, addr - s.value))
    }

    /// `<sym+0x8>` / `<sym>` for an address, if a symbol covers it.
    fn sym_ref(&self, addr: u32) -> Option<String> {
        self.symbolize(addr).map(|(s, off)| {
            if off == 0 {
                format!("<{}>", s.name)
            } else {
                format!("<{}+0x{off:x}>", s.name)
            }
        })
    }
}

/// The reason part of a decode error ("opcode 0xff is not defined").
fn illegal_reason(e: &crate::DecodeError) -> String {
    let msg = e.to_string();
    match msg.split_once(": ") {
        Some((_, reason)) => reason.to_string(),
        None => msg,
    }
}

fn hex_bytes(b: &[u8]) -> String {
    let mut s = String::with_capacity(b.len() * 3);
    for (i, x) in b.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn with_comment(text: String, comment: Option<String>) -> String {
    match comment {
        None => text,
        Some(c) => {
            let pad = COMMENT_COL.saturating_sub(text.len()).max(1);
            format!("{text}{:pad$}; {c}", "")
        }
    }
}

/// Targets of the PC-relative operands of `ins` at `pc`.
fn branch_targets(ins: &Instr, pc: u32) -> impl Iterator<Item = u32> + '_ {
    ins.operands().iter().filter_map(move |o| match *o {
        Operand::PcRel(off) => Some(pc.wrapping_add(off as u32)),
        _ => None,
    })
}

/// Source text cache for `-S`.
struct Sources<'a> {
    dir: Option<&'a Path>,
    files: HashMap<u32, Option<Vec<String>>>,
}

impl Sources<'_> {
    fn line(&mut self, img: &Image, file: u32, line: u32) -> Option<&str> {
        let dir = self.dir;
        let text = self.files.entry(file).or_insert_with(|| {
            let name = img.lines.files.get(file as usize)?;
            let p = Path::new(name);
            let path = match dir {
                Some(d) if p.is_relative() => d.join(p),
                _ => p.to_path_buf(),
            };
            let s = crate::srcfile::read_source(&path).ok()?;
            Some(s.lines().map(str::to_string).collect())
        });
        let idx = usize::try_from(line).ok()?.checked_sub(1)?;
        text.as_ref()?.get(idx).map(String::as_str)
    }
}

/// A GNU-objdump-like listing of `img`: header, section table, optional symbol table,
/// disassembly of each text section (with `<symbol>:` block headers, symbolised branch
/// targets, `.word` for undecodable words, optional source lines) and a hex+ASCII dump of
/// the data sections.
pub fn objdump(img: &Image, opts: &ObjdumpOptions) -> String {
    let mut out = String::new();
    if let Some(name) = &opts.file_name {
        let _ = writeln!(out, "\n{name}:     file format elf32-loom\n");
    }
    if opts.headers {
        let _ = writeln!(out, "start address 0x{:08x}\n", img.entry);
        let _ = writeln!(out, "Sections:");
        let _ = writeln!(out, "Idx Name             Size      VMA       Flags");
        for (i, s) in img.sections.iter().enumerate() {
            let _ = writeln!(
                out,
                "{i:>3} {:<16} {:08x}  {:08x}  {}",
                s.name,
                s.size,
                s.addr,
                kind_flags(s.kind)
            );
        }
    }
    if opts.symbols {
        out.push_str("\nSYMBOL TABLE:\n");
        for s in &img.symbols {
            let sec = match s.section.and_then(|i| img.sections.get(i)) {
                Some(sec) => sec.name.as_str(),
                None if s.kind == SymbolKind::Absolute => "*ABS*",
                None => "*UND*",
            };
            let kind = match s.kind {
                SymbolKind::Func => 'F',
                SymbolKind::Object => 'O',
                SymbolKind::Absolute => ' ',
            };
            let bind = if s.global { 'g' } else { 'l' };
            let _ = writeln!(
                out,
                "{:08x} {bind}     {kind} {sec:<16} {:08x} {}",
                s.value, s.size, s.name
            );
        }
    }
    if opts.disassemble {
        let mut sources = Sources {
            dir: opts.source_dir.as_deref(),
            files: HashMap::new(),
        };
        let syms = SymIndex::new(img);
        for (si, sec) in img.sections.iter().enumerate() {
            if sec.kind == SectionKind::Text {
                disassemble_section(&mut out, &syms, si, sec, opts, &mut sources);
            }
        }
    }
    if opts.contents {
        for sec in &img.sections {
            if matches!(sec.kind, SectionKind::Rodata | SectionKind::Data) {
                dump_section(&mut out, sec);
            }
        }
    }
    out
}

fn disassemble_section(
    out: &mut String,
    syms: &SymIndex<'_>,
    si: usize,
    sec: &Section,
    opts: &ObjdumpOptions,
    sources: &mut Sources<'_>,
) {
    let img = syms.img;
    let _ = writeln!(out, "\nDisassembly of section {}:", sec.name);
    if syms.label_at(si, sec.addr).is_none() {
        let _ = writeln!(out, "\n{:08x} <{}>:", sec.addr, sec.name);
    }
    let mut last_pos: Option<(u32, u32)> = None;
    let mut off = 0usize;
    while off < sec.data.len() {
        let addr = sec.addr.wrapping_add(off as u32);
        if let Some(sym) = syms.label_at(si, addr) {
            let _ = writeln!(out, "\n{addr:08x} <{}>:", sym.name);
        }
        if opts.source || opts.line_numbers {
            if let Some(row) = img.lines.lookup(addr) {
                if last_pos != Some((row.file, row.line)) {
                    if opts.line_numbers {
                        let _ = writeln!(out, "{}:{}", img.lines.file_name(row), row.line);
                    }
                    if opts.source {
                        if let Some(text) = sources.line(img, row.file, row.line) {
                            let _ = writeln!(out, "{}", text.trim_end());
                        }
                    }
                    last_pos = Some((row.file, row.line));
                }
            }
        }
        let Some(chunk) = sec.data.get(off..off + 4) else {
            // A trailing partial word (only in images that bypassed validation).
            let rest = &sec.data[off..];
            let text = format!(
                ".byte {}",
                rest.iter()
                    .map(|b| format!("0x{b:02x}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            );
            let _ = writeln!(out, "{addr:>8x}:  {:<11}  {text}", hex_bytes(rest));
            break;
        };
        let word = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        let line = match Instr::decode(word) {
            Ok(ins) => {
                let text = ins.format(addr, &|_| None);
                let comment = branch_targets(&ins, addr)
                    .filter_map(|t| syms.sym_ref(t))
                    .collect::<Vec<_>>();
                with_comment(text, (!comment.is_empty()).then(|| comment.join(", ")))
            }
            Err(e) => with_comment(
                format!(".word 0x{word:08x}"),
                Some(format!("illegal: {}", illegal_reason(&e))),
            ),
        };
        let _ = writeln!(out, "{addr:>8x}:  {}  {line}", hex_bytes(chunk));
        off += 4;
    }
}

fn dump_section(out: &mut String, sec: &Section) {
    let _ = writeln!(out, "\nContents of section {}:", sec.name);
    let last = u64::from(sec.addr) + sec.data.len().saturating_sub(1) as u64;
    let width = format!("{last:x}").len().max(4);
    for (row, chunk) in sec.data.chunks(16).enumerate() {
        let addr = u64::from(sec.addr) + row as u64 * 16;
        let mut hex = String::with_capacity(36);
        for (i, b) in chunk.iter().enumerate() {
            if i > 0 && i % 4 == 0 {
                hex.push(' ');
            }
            let _ = write!(hex, "{b:02x}");
        }
        let ascii: String = chunk
            .iter()
            .map(|&b| {
                if b.is_ascii_graphic() || b == b' ' {
                    b as char
                } else {
                    '.'
                }
            })
            .collect();
        let _ = writeln!(out, " {addr:0width$x} {hex:<35}  {ascii}");
    }
}

// ---------------------------------------------------------------------------------------------
// Re-assemblable source
// ---------------------------------------------------------------------------------------------

fn is_label_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '$')
}

/// Labels of section `si` grouped by address, in table order.
fn labels_by_addr(img: &Image, si: usize) -> std::collections::BTreeMap<u32, Vec<&Symbol>> {
    let mut m: std::collections::BTreeMap<u32, Vec<&Symbol>> = Default::default();
    for s in &img.symbols {
        if s.section == Some(si) && s.kind != SymbolKind::Absolute {
            m.entry(s.value).or_default().push(s);
        }
    }
    m
}

fn emit_labels(out: &mut String, labels: Option<&Vec<&Symbol>>) {
    for s in labels.into_iter().flatten() {
        if s.global {
            let _ = writeln!(out, "    .global {}", s.name);
        }
        let _ = writeln!(out, "{}:", s.name);
    }
}

fn emit_bytes(out: &mut String, bytes: &[u8]) {
    for chunk in bytes.chunks(16) {
        let list: Vec<String> = chunk.iter().map(|b| format!("0x{b:02x}")).collect();
        let _ = writeln!(out, "    .byte {}", list.join(", "));
    }
}

/// Re-assemblable source for `img`, in the assembler's syntax: `.equ` for absolute symbols,
/// then per section a `.section NAME` line (load address and size in a comment), `.global`
/// and `label:` lines at symbol addresses, one instruction per word (a branch target is
/// written relative to the label covering it, `loop` or `loop+0x4`, else as an absolute
/// address),
/// `.word` for undecodable words, `.byte` lines for data and `.space` for bss.
///
/// The source states no addresses: the assembler lays sections out itself (docs/ISA.md §10),
/// so re-assembly reproduces `img` exactly when its layout follows that rule, as every
/// assembler-produced image does. The entry point is only a comment (the assembler uses
/// `_start`, else the start of `.text`); symbol kinds and sizes are not carried.
pub fn disassemble_to_source(img: &Image) -> String {
    let mut out = String::new();
    out.push_str("; Generated by the bitloom disassembler.\n");
    let _ = writeln!(out, "; entry point 0x{:08x}", img.entry);
    let abs: Vec<&Symbol> = img
        .symbols
        .iter()
        .filter(|s| s.kind == SymbolKind::Absolute)
        .collect();
    if !abs.is_empty() {
        out.push('\n');
    }
    for s in abs {
        if s.global {
            let _ = writeln!(out, "    .global {}", s.name);
        }
        let _ = writeln!(out, "    .equ {}, 0x{:x}", s.name, s.value);
    }
    // Branch targets are written relative to the covering label (`loop`, `loop+0x4`), which
    // survives re-layout; targets no label covers stay absolute addresses.
    let syms = SymIndex::new(img);
    let target_text = |addr: u32| -> Option<String> {
        let (s, off) = syms.symbolize(addr)?;
        let usable = s.name.chars().all(is_label_char)
            && s.name.chars().next().is_some_and(|c| !c.is_ascii_digit());
        match (usable, off) {
            (false, _) => None,
            (true, 0) => Some(s.name.clone()),
            (true, off) => Some(format!("{}+0x{off:x}", s.name)),
        }
    };
    for (si, sec) in img.sections.iter().enumerate() {
        let _ = writeln!(
            out,
            "\n    .section {}    ; 0x{:08x}, {} byte(s)",
            sec.name, sec.addr, sec.size
        );
        let labels = labels_by_addr(img, si);
        // Bss has only a size; other sections are exactly their bytes.
        let extent = match sec.kind {
            SectionKind::Bss => u64::from(sec.size),
            _ => sec.data.len() as u64,
        };
        let end = u64::from(sec.addr) + extent;
        let mut addr = u64::from(sec.addr);
        while addr < end {
            emit_labels(&mut out, labels.get(&(addr as u32)));
            // Next label strictly after addr bounds how far one directive may reach.
            let next_label = labels
                .range((addr as u32).saturating_add(1)..)
                .next()
                .map(|(&a, _)| u64::from(a))
                .filter(|&a| a > addr)
                .unwrap_or(end)
                .min(end);
            let off = (addr - u64::from(sec.addr)) as usize;
            match sec.kind {
                SectionKind::Bss => {
                    let _ = writeln!(out, "    .space {}", next_label - addr);
                    addr = next_label;
                }
                SectionKind::Text if addr + 4 <= next_label && addr & 3 == 0 => {
                    let b = &sec.data[off..off + 4];
                    let word = u32::from_le_bytes([b[0], b[1], b[2], b[3]]);
                    match Instr::decode(word) {
                        Ok(ins) => {
                            let _ = writeln!(out, "    {}", ins.format(addr as u32, &target_text));
                        }
                        Err(e) => {
                            let _ = writeln!(
                                out,
                                "    .word 0x{word:08x}    ; illegal: {}",
                                illegal_reason(&e)
                            );
                        }
                    }
                    addr += 4;
                }
                SectionKind::Text => {
                    // A label inside a word, or a partial trailing word: plain bytes.
                    let stop = next_label.min((addr | 3) + 1);
                    let n = (stop - addr) as usize;
                    emit_bytes(&mut out, &sec.data[off..off + n]);
                    addr = stop;
                }
                SectionKind::Rodata | SectionKind::Data => {
                    let n = (next_label - addr) as usize;
                    emit_bytes(&mut out, &sec.data[off..off + n]);
                    addr = next_label;
                }
            }
        }
        // Labels at (or, in unvalidated images, beyond) the section end.
        for (_, syms) in labels.range((end.min(u64::from(u32::MAX)) as u32)..) {
            if u64::from(syms[0].value) >= end {
                emit_labels(&mut out, Some(syms));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The indexed look-up agrees with `Image::symbolize` at every address of a valid image.
    #[test]
    fn sym_index_matches_image_symbolize() {
        let sec = |name: &str, kind, addr, size: u32| Section {
            name: name.into(),
            kind,
            addr,
            size,
            data: if kind == SectionKind::Bss {
                vec![]
            } else {
                vec![0; size as usize]
            },
        };
        let sym = |name: &str, value, global, section| Symbol {
            name: name.into(),
            value,
            size: 0,
            kind: SymbolKind::Func,
            global,
            section: Some(section),
        };
        let img = Image {
            entry: 0x100,
            sections: vec![
                sec(".text", SectionKind::Text, 0x100, 0x20),
                sec(".data", SectionKind::Data, 0x120, 0x10),
                sec(".bss", SectionKind::Bss, 0x200, 0),
            ],
            symbols: vec![
                sym("a", 0x104, false, 0),
                sym("b", 0x104, true, 0),
                sym("c", 0x104, true, 0),
                sym("d", 0x110, false, 0),
                sym("text_end", 0x120, false, 0),
                sym("e", 0x124, false, 1),
                sym("z", 0x200, true, 2),
            ],
            lines: Default::default(),
        };
        let idx = SymIndex::new(&img);
        for addr in 0xf0..0x210 {
            let want = img.symbolize(addr).map(|(s, o)| (s.name.as_str(), o));
            let got = idx.symbolize(addr).map(|(s, o)| (s.name.as_str(), o));
            assert_eq!(got, want, "address 0x{addr:x}");
        }
    }
}
