//! Disassembly of a Loom program: a GNU-objdump-compatible listing ([`objdump`]: `-f`, `-h`,
//! `-t`, `-s`, `-d`/`-D` with `-S`/`-l`, `-j`, `--start-address`/`--stop-address`) and
//! re-assemblable assembly source ([`disassemble_to_source`]).
//!
//! Instruction text comes from [`Instr::format`](crate::Instr::format), so the listing and the
//! assembler share one printer. Layouts follow GNU objdump 2.40 for an ELF32 file byte for
//! byte where Loom has the same concept (docs/OBJECT.md "Disassembly" lists the differences).
//!
//! Layout of this module: `mod.rs` (options, the input [`ObjFile`], the driver, `-f`, `-h`,
//! `-t`), `contents.rs` (`-s`), `listing.rs` (`-d`/`-D`), `srclines.rs` (`-S`/`-l`),
//! `symindex.rs` (symbol look-ups), `reassemble.rs` ([`disassemble_to_source`]).

mod contents;
mod listing;
mod reassemble;
mod srclines;
mod symindex;

use std::fmt::Write as _;
use std::path::PathBuf;

use crate::elf::{ElfError, ElfSection, ElfWriteError};
use crate::image::{Image, SymbolKind};

pub use reassemble::disassemble_to_source;

/// Which sections `-d`/`-D` disassemble.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Disassemble {
    /// No disassembly.
    #[default]
    None,
    /// Executable sections (`-d`).
    Code,
    /// Every section with contents (`-D`).
    All,
}

/// What [`objdump`] prints; each field is one GNU objdump switch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ObjdumpOptions {
    /// File name for the `NAME:     file format elf32-loom` first line.
    pub file_name: String,
    /// `-f`: architecture, BFD flags and start address.
    pub file_header: bool,
    /// `-h`: the section headers.
    pub headers: bool,
    /// `-t`: the symbol table.
    pub symbols: bool,
    /// `-s`: hex and ASCII dump of every section with contents.
    pub contents: bool,
    /// `-d` / `-D`.
    pub disassemble: Disassemble,
    /// `-S`: source lines interleaved with the disassembly (from the line table, when the
    /// file is readable), with up to five lines of preceding context as GNU prints them.
    pub source: bool,
    /// `-l`: `symbol():` and `file:line` when they change.
    pub line_numbers: bool,
    /// `-z`: do not collapse runs of zero bytes into `...`.
    pub zeroes: bool,
    /// Directory against which relative source paths are resolved (default: as given).
    pub source_dir: Option<PathBuf>,
    /// `-j`: only these sections (every section when empty).
    pub sections: Vec<String>,
    /// `--start-address`: nothing below this address in `-d`/`-D`/`-s`.
    pub start_address: Option<u64>,
    /// `--stop-address`: nothing at or above this address in `-d`/`-D`/`-s`.
    pub stop_address: Option<u64>,
}

impl ObjdumpOptions {
    /// Whether any listing switch is set (GNU objdump requires one).
    pub fn any(&self) -> bool {
        self.file_header
            || self.headers
            || self.symbols
            || self.contents
            || self.disassemble != Disassemble::None
    }

    fn selected(&self, name: &str) -> bool {
        self.sections.is_empty() || self.sections.iter().any(|s| s == name)
    }

    /// The part of `vma .. vma + size` inside the address range, as section offsets.
    fn range(&self, vma: u64, size: u64) -> Option<(u64, u64)> {
        let start = self.start_address.map_or(0, |a| a.saturating_sub(vma));
        let stop = self
            .stop_address
            .map_or(size, |a| a.saturating_sub(vma).min(size));
        (start < stop).then_some((start, stop))
    }
}

/// Why an image could not be turned into an [`ObjFile`].
#[derive(Debug, thiserror::Error)]
pub enum ObjFileError {
    /// Writing the image as ELF failed (an invalid image).
    #[error(transparent)]
    Write(#[from] ElfWriteError),
    /// Reading the section headers back failed.
    #[error(transparent)]
    Read(#[from] ElfError),
}

/// What [`objdump`] lists: the program image and its file's section header table (for
/// `-h`'s file offsets and alignments, and the contents of sections that are not part of the
/// image, such as `.loom.lines`).
#[derive(Clone, Debug)]
pub struct ObjFile<'a> {
    /// The program.
    pub image: &'a Image,
    /// The sections GNU objdump shows, in file order: every section but the null one and the
    /// symbol and string tables.
    pub sections: Vec<ElfSection>,
}

impl<'a> ObjFile<'a> {
    /// The file `bytes` (already read into `image` by [`crate::elf::read_elf`]).
    pub fn from_elf(image: &'a Image, bytes: &[u8]) -> Result<ObjFile<'a>, ElfError> {
        let mut sections = crate::elf::read_section_headers(bytes)?;
        sections.retain(|s| !matches!(s.sh_type, SHT_SYMTAB | SHT_STRTAB));
        Ok(ObjFile { image, sections })
    }

    /// An image not read from a file (assembled on the fly): laid out as
    /// [`crate::elf::write_elf`] would write it.
    pub fn from_image(image: &'a Image) -> Result<ObjFile<'a>, ObjFileError> {
        let bytes = crate::elf::write_elf(image)?;
        Ok(ObjFile::from_elf(image, &bytes)?)
    }

    /// The index in [`ObjFile::sections`] of each image section (by name and address).
    fn image_section(&self, s: &ElfSection) -> Option<usize> {
        self.image.sections.iter().position(|i| {
            i.name == s.name && u64::from(i.addr) == s.addr && s.flags & SHF_ALLOC != 0
        })
    }
}

const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;

/// The sections `-j` names that the file does not have (an error for the CLI).
pub fn missing_sections<'s>(file: &ObjFile<'_>, opts: &'s ObjdumpOptions) -> Vec<&'s str> {
    opts.sections
        .iter()
        .filter(|n| !file.sections.iter().any(|s| &s.name == *n))
        .map(String::as_str)
        .collect()
}

/// A GNU-objdump listing of `file`: the `NAME:     file format elf32-loom` line, then in
/// GNU's order the parts `opts` asks for: `-f`, `-h`, `-t`, `-s`, `-d`/`-D`.
pub fn objdump(file: &ObjFile<'_>, opts: &ObjdumpOptions) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "\n{}:     file format elf32-loom", opts.file_name);
    if opts.file_header {
        file_header(&mut out, file);
    }
    out.push('\n');
    if opts.headers {
        section_headers(&mut out, file, opts);
    }
    if opts.symbols {
        symbol_table(&mut out, file, opts);
    }
    if opts.contents {
        contents::dump(&mut out, file, opts);
    }
    if opts.disassemble != Disassemble::None || opts.source {
        listing::disassemble(&mut out, file, opts);
    }
    out
}

/// `-f`: BFD's view of the file: an executable (`EXEC_P`), with symbols (`HAS_SYMS`), paged
/// (`D_PAGED`, as BFD reports for every ELF executable).
fn file_header(out: &mut String, file: &ObjFile<'_>) {
    let has_syms = !file.image.symbols.is_empty();
    let flags = 0x02 | 0x100 | if has_syms { 0x10 } else { 0 };
    let _ = writeln!(out, "architecture: loom, flags 0x{flags:08x}:");
    let names = [
        Some("EXEC_P"),
        has_syms.then_some("HAS_SYMS"),
        Some("D_PAGED"),
    ];
    let names: Vec<&str> = names.into_iter().flatten().collect();
    let _ = writeln!(out, "{}", names.join(", "));
    let _ = writeln!(out, "start address 0x{:08x}", file.image.entry);
}

/// BFD's section flags for an ELF section, in objdump's order.
fn bfd_flags(s: &ElfSection) -> String {
    let alloc = s.flags & SHF_ALLOC != 0;
    let contents = s.sh_type != SHT_NOBITS;
    let load = alloc && contents;
    let code = s.flags & SHF_EXECINSTR != 0;
    let flags = [
        (contents, "CONTENTS"),
        (alloc, "ALLOC"),
        (load, "LOAD"),
        (s.flags & SHF_WRITE == 0, "READONLY"),
        (code, "CODE"),
        (!code && load, "DATA"),
    ];
    let names: Vec<&str> = flags.iter().filter(|f| f.0).map(|f| f.1).collect();
    names.join(", ")
}

/// `-h`: GNU's two-line section table (size, VMA, LMA, file offset, alignment; flags).
fn section_headers(out: &mut String, file: &ObjFile<'_>, opts: &ObjdumpOptions) {
    out.push_str("Sections:\n");
    out.push_str("Idx Name          Size      VMA       LMA       File off  Algn\n");
    for (i, s) in file.sections.iter().enumerate() {
        if !opts.selected(&s.name) {
            continue;
        }
        let align = if s.align == 0 {
            0
        } else {
            s.align.trailing_zeros()
        };
        let _ = writeln!(
            out,
            "{i:>3} {:<13} {:08x}  {:08x}  {:08x}  {:08x}  2**{align}",
            s.name, s.size, s.addr, s.addr, s.offset
        );
        let _ = writeln!(out, "{:18}{}", "", bfd_flags(s));
    }
}

/// `-t`: GNU's symbol table, locals first as in the file (value, binding, type, section,
/// size, name); with `-j`, only the symbols of those sections.
fn symbol_table(out: &mut String, file: &ObjFile<'_>, opts: &ObjdumpOptions) {
    out.push_str("SYMBOL TABLE:\n");
    let img = file.image;
    let mut syms: Vec<_> = img.symbols.iter().collect();
    syms.sort_by_key(|s| s.global);
    let mut any = false;
    for s in syms {
        let sec = match s.section.and_then(|i| img.sections.get(i)) {
            Some(sec) => sec.name.as_str(),
            None if s.kind == SymbolKind::Absolute => "*ABS*",
            None => "*UND*",
        };
        if !opts.sections.is_empty() && !opts.sections.iter().any(|n| n == sec) {
            continue;
        }
        let kind = match s.kind {
            SymbolKind::Func => 'F',
            SymbolKind::Object => 'O',
            SymbolKind::Absolute => ' ',
        };
        let bind = if s.global { 'g' } else { 'l' };
        let _ = writeln!(
            out,
            "{:08x} {bind}     {kind} {sec}\t{:08x} {}",
            s.value, s.size, s.name
        );
        any = true;
    }
    if !any && img.symbols.is_empty() {
        out.push_str("no symbols\n");
    }
    out.push_str("\n\n");
}

/// The reason part of a decode error ("opcode 0xff is not defined").
fn illegal_reason(e: &crate::DecodeError) -> String {
    let msg = e.to_string();
    match msg.split_once(": ") {
        Some((_, reason)) => reason.to_string(),
        None => msg,
    }
}
