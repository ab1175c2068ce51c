//! ELF32 little-endian form of a [`crate::image::Image`]: [`write_elf`] (built on the `object`
//! crate's low-level ELF writer) and [`read_elf`] (built on `goblin`'s header, program-header,
//! section-header and symbol parsers, with every range checked here before it is used).
//!
//! The file layout is specified in docs/OBJECT.md. In short: `ET_EXEC`, `e_machine` =
//! [`EM_LOOM`], `e_flags` = [`EF_LOOM_ISA_VERSION`]; one `PT_LOAD` per non-empty
//! loadable section; sections `.text` (AX), `.rodata` (A), `.data` (WA), `.bss` (NOBITS, WA)
//! in image order, then `.loom.lines`, `.symtab`, `.strtab`, `.shstrtab`.
//!
//! # `.loom.lines` (version 1)
//!
//! Section type [`SHT_LOOM_LINES`] (`SHT_LOUSER`), not allocated. All integers little-endian,
//! no padding anywhere:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `"LMLN"` |
//! | 4 | 4 | version (u32) = 1 |
//! | 8 | 4 | file count F (u32) |
//! | 12 | ... | F file names, each UTF-8 followed by one NUL byte |
//! | ... | 4 | row count R (u32) |
//! | ... | 16·R | R rows of (addr u32, file u32, line u32, col u32), sorted by addr |
//!
//! The section ends exactly after the last row. A row's `file` indexes the name list.
//!
//! # Reading
//!
//! [`read_elf`] never panics and never allocates more than the file's own bytes justify (plus
//! the bounded [`ReadOptions::max_bytes`] check on memory sizes); every problem is an
//! [`ElfError`]. The image it returns passes [`validate_image`], the same check
//! [`write_elf`] applies, so the two accept the same programs and
//! `read_elf(&write_elf(img)?)? == img` whenever `img`'s local symbols precede its global
//! ones (the writer must emit locals first; see [`write_elf`]).

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::{Header, ProgramHeader, SectionHeader, Sym};
use object::elf as oe;
use object::write::elf::{
    FileHeader as OFileHeader, ProgramHeader as OProgramHeader, SectionHeader as OSectionHeader,
    Sym as OSym, Writer,
};

use crate::image::{Image, LineRow, LineTable, Section, SectionKind, Symbol, SymbolKind};
use crate::EM_LOOM;

/// `e_flags` value: the Loom ISA version the file is written for.
pub const EF_LOOM_ISA_VERSION: u32 = 1;
/// Section type of `.loom.lines` (`SHT_LOUSER`).
pub const SHT_LOOM_LINES: u32 = 0x8000_0000;
/// Name of the line-table section.
pub const LINES_SECTION: &str = ".loom.lines";
/// Magic bytes at the start of `.loom.lines`.
pub const LINES_MAGIC: [u8; 4] = *b"LMLN";
/// Version of the `.loom.lines` layout written by [`encode_line_table`].
pub const LINES_VERSION: u32 = 1;
/// Default [`ReadOptions::max_bytes`]: 1 GiB.
pub const DEFAULT_MAX_BYTES: u64 = 1 << 30;

const EHDR_SIZE: u64 = 52;
const PHDR_SIZE: u64 = 32;
const SHDR_SIZE: u64 = 40;
const SYM_SIZE: u64 = 16;
const ADDR_SPACE: u64 = 1 << 32;

const ET_EXEC: u16 = 2;
const PT_LOAD: u32 = 1;
const SHT_PROGBITS: u32 = 1;
const SHT_SYMTAB: u32 = 2;
const SHT_STRTAB: u32 = 3;
const SHT_NOBITS: u32 = 8;
const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const SHN_UNDEF: usize = 0;
const SHN_LORESERVE: usize = 0xff00;
const SHN_ABS: usize = 0xfff1;
const STB_LOCAL: u8 = 0;
const STB_GLOBAL: u8 = 1;
const STB_WEAK: u8 = 2;
const STT_NOTYPE: u8 = 0;
const STT_OBJECT: u8 = 1;
const STT_FUNC: u8 = 2;
const STT_SECTION: u8 = 3;
const STT_FILE: u8 = 4;

/// Limits applied by [`read_elf_with`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReadOptions {
    /// Largest total memory size (sum of `PT_LOAD` `p_memsz`, and separately of allocated
    /// section sizes) accepted; larger files are refused with [`ElfError::TooLarge`].
    pub max_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            max_bytes: DEFAULT_MAX_BYTES,
        }
    }
}

/// A malformed `.loom.lines` payload, or a line table that cannot be encoded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LineTableError {
    /// The first four bytes are not `LMLN`.
    #[error("bad magic {found:02x?}, expected \"LMLN\"")]
    BadMagic {
        /// The bytes found (fewer than 4 if the section is shorter).
        found: Vec<u8>,
    },
    /// A layout version this reader does not know.
    #[error("unsupported version {0} (this tool reads version {LINES_VERSION})")]
    Version(u32),
    /// The payload ends early.
    #[error("truncated: {what} at byte offset {offset} needs {need} byte(s) but {have} remain")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Byte offset inside the section.
        offset: usize,
        /// Bytes needed.
        need: u64,
        /// Bytes left.
        have: usize,
    },
    /// A file name is not UTF-8.
    #[error("file name {index} is not valid UTF-8")]
    FileNameUtf8 {
        /// Index of the name.
        index: usize,
    },
    /// A file name contains NUL (cannot be written).
    #[error("file name {index} contains a NUL byte")]
    FileNameNul {
        /// Index of the name.
        index: usize,
    },
    /// A row names a file that is not in the list.
    #[error("row {row} refers to file {file}, but the table has {files} file(s)")]
    FileIndex {
        /// Row index.
        row: usize,
        /// The bad file index.
        file: u32,
        /// Number of files.
        files: usize,
    },
    /// Rows are not sorted by address.
    #[error("row {row} (address 0x{addr:08x}) is below the previous row's address")]
    Unsorted {
        /// Row index.
        row: usize,
        /// Its address.
        addr: u32,
    },
    /// Bytes follow the last row.
    #[error("{count} unexpected byte(s) after the last row")]
    Trailing {
        /// Number of extra bytes.
        count: usize,
    },
    /// More files or rows than a u32 count can hold.
    #[error("too many {what} ({count}) for a 32-bit count")]
    TooMany {
        /// "files" or "rows".
        what: &'static str,
        /// The count.
        count: usize,
    },
}

/// An [`Image`] that breaks a rule every Loom executable must satisfy (checked by
/// [`validate_image`], hence by both [`write_elf`] and [`read_elf`]).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImageError {
    /// Section name empty or containing NUL.
    #[error("section {index} has an unusable name {name:?} (empty or containing NUL)")]
    BadSectionName {
        /// Section index in the image.
        index: usize,
        /// The name.
        name: String,
    },
    /// Symbol name empty or containing NUL.
    #[error("symbol {index} has an unusable name {name:?} (empty or containing NUL)")]
    BadSymbolName {
        /// Symbol index in the image.
        index: usize,
        /// The name.
        name: String,
    },
    /// `data.len()` disagrees with `size` (or a bss section holds bytes).
    #[error("section `{name}` has size {size} but holds {len} byte(s) of data{}", if *.bss { " (bss sections hold none)" } else { "" })]
    SectionSize {
        /// Section name.
        name: String,
        /// Declared size.
        size: u32,
        /// Bytes held.
        len: usize,
        /// Whether the section is bss.
        bss: bool,
    },
    /// `addr + size` does not fit in 32 bits.
    #[error("section `{name}` at 0x{addr:08x} with size 0x{size:x} extends past the 32-bit address space")]
    AddressOverflow {
        /// Section name.
        name: String,
        /// Start address.
        addr: u64,
        /// Size.
        size: u64,
    },
    /// Two loadable sections share addresses.
    #[error("sections `{first}` (0x{first_start:08x}..0x{first_end:08x}) and `{second}` (0x{second_start:08x}..0x{second_end:08x}) overlap")]
    Overlap {
        /// Lower section.
        first: String,
        /// Its start.
        first_start: u64,
        /// Its end (exclusive).
        first_end: u64,
        /// Higher section.
        second: String,
        /// Its start.
        second_start: u64,
        /// Its end (exclusive).
        second_end: u64,
    },
    /// A text section whose address or size is not a multiple of 4.
    #[error("text section `{name}` at 0x{addr:08x} with size 0x{size:x} is not 4-byte aligned (instructions are 32-bit words)")]
    MisalignedText {
        /// Section name.
        name: String,
        /// Start address.
        addr: u32,
        /// Size.
        size: u32,
    },
    /// The entry point is in no text section.
    #[error("entry point 0x{entry:08x} is not inside an executable section")]
    EntryNotInText {
        /// The entry point.
        entry: u32,
    },
    /// The entry point is not word-aligned.
    #[error("entry point 0x{entry:08x} is not 4-byte aligned")]
    MisalignedEntry {
        /// The entry point.
        entry: u32,
    },
    /// A symbol names a section index that does not exist.
    #[error("symbol `{name}` refers to section {section}, but the image has {count} section(s)")]
    SymbolSection {
        /// Symbol name.
        name: String,
        /// The bad index.
        section: usize,
        /// Number of sections.
        count: usize,
    },
    /// Absolute symbol with a section, or a label without one.
    #[error("symbol `{name}`: {}", if *.absolute { "an absolute symbol must not name a section" } else { "a code or data symbol must name its section" })]
    SymbolKind {
        /// Symbol name.
        name: String,
        /// Whether the symbol is absolute.
        absolute: bool,
    },
    /// A label outside its section (one past the end is allowed).
    #[error("symbol `{name}` = 0x{value:08x} lies outside its section `{section}` (0x{start:08x}..=0x{end:08x})")]
    SymbolOutsideSection {
        /// Symbol name.
        name: String,
        /// Its value.
        value: u32,
        /// Section name.
        section: String,
        /// Section start.
        start: u32,
        /// Section end (inclusive bound for labels).
        end: u64,
    },
    /// Bad line table.
    #[error("line table: {0}")]
    Lines(#[from] LineTableError),
}

/// Why [`write_elf`] refused an image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfWriteError {
    /// The image is not a valid Loom program.
    #[error("cannot write ELF: {0}")]
    Invalid(#[from] ImageError),
    /// The `object` writer failed (e.g. file larger than 4 GiB).
    #[error("cannot write ELF: {0}")]
    Object(String),
}

/// Why [`read_elf`] refused a file.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfError {
    /// No `\x7fELF` magic.
    #[error("not an ELF file (it does not start with \\x7fELF)")]
    NotElf,
    /// A structure extends past the end of the file.
    #[error("truncated ELF file: {what} needs bytes 0x{start:x}..0x{end:x}, but the file is 0x{len:x} bytes long")]
    Truncated {
        /// What was being read.
        what: &'static str,
        /// Start offset.
        start: u64,
        /// End offset (exclusive; saturated on overflow).
        end: u64,
        /// File length.
        len: u64,
    },
    /// Not ELFCLASS32.
    #[error("wrong ELF class: Loom executables are 32-bit (ELFCLASS32), found {}", class_name(*.found))]
    WrongClass {
        /// `EI_CLASS` byte.
        found: u8,
    },
    /// Not little-endian.
    #[error("wrong byte order: Loom executables are little-endian (ELFDATA2LSB), found {}", data_name(*.found))]
    WrongEndian {
        /// `EI_DATA` byte.
        found: u8,
    },
    /// `EI_VERSION` or `e_version` is not 1.
    #[error("unsupported ELF version {found} in {field} (expected 1)")]
    BadVersion {
        /// Which field.
        field: &'static str,
        /// Its value.
        found: u32,
    },
    /// `e_machine` is not Loom.
    #[error("wrong machine: expected 0x4c4d (Loom), found 0x{found:04x}{}", machine_name(*.found))]
    WrongMachine {
        /// `e_machine`.
        found: u16,
    },
    /// `e_type` is not `ET_EXEC`.
    #[error("wrong file type: expected an executable (ET_EXEC), found {}", type_name(*.found))]
    WrongType {
        /// `e_type`.
        found: u16,
    },
    /// `e_flags` names an ISA version this tool does not implement.
    #[error("unsupported Loom ISA version {found} in e_flags (this tool implements version {EF_LOOM_ISA_VERSION})")]
    IsaVersion {
        /// `e_flags`.
        found: u32,
    },
    /// A header size field has the wrong value.
    #[error("bad ELF header: {field} is {found}, expected {expected}")]
    BadHeaderField {
        /// Field name.
        field: &'static str,
        /// Value found.
        found: u64,
        /// Value required.
        expected: u64,
    },
    /// No section header table.
    #[error("the file has no section headers (Loom executables need them)")]
    NoSections,
    /// `e_shstrndx` is out of range.
    #[error("section name table index {index} is out of range (the file has {count} sections)")]
    BadShstrndx {
        /// `e_shstrndx`.
        index: u16,
        /// Number of sections.
        count: usize,
    },
    /// A section's bytes lie outside the file.
    #[error("section {index} (`{name}`): bytes 0x{offset:x}..0x{end:x} lie outside the file (0x{len:x} bytes)")]
    SectionOutsideFile {
        /// Section index.
        index: usize,
        /// Section name (empty if unknown).
        name: String,
        /// `sh_offset`.
        offset: u64,
        /// End offset (saturated).
        end: u64,
        /// File length.
        len: u64,
    },
    /// A segment's bytes lie outside the file.
    #[error("program header {index}: bytes 0x{offset:x}..0x{end:x} lie outside the file (0x{len:x} bytes)")]
    SegmentOutsideFile {
        /// Program header index.
        index: usize,
        /// `p_offset`.
        offset: u64,
        /// End offset (saturated).
        end: u64,
        /// File length.
        len: u64,
    },
    /// `p_filesz > p_memsz`.
    #[error("program header {index}: file size 0x{filesz:x} exceeds memory size 0x{memsz:x}")]
    SegmentFileSize {
        /// Program header index.
        index: usize,
        /// `p_filesz`.
        filesz: u64,
        /// `p_memsz`.
        memsz: u64,
    },
    /// `p_vaddr + p_memsz` does not fit in 32 bits.
    #[error(
        "program header {index}: 0x{vaddr:08x} + 0x{memsz:x} extends past the 32-bit address space"
    )]
    SegmentOverflow {
        /// Program header index.
        index: usize,
        /// `p_vaddr`.
        vaddr: u64,
        /// `p_memsz`.
        memsz: u64,
    },
    /// An allocated section that no `PT_LOAD` segment maps consistently.
    #[error("section {index} (`{name}`) at 0x{addr:08x} is not covered by a PT_LOAD segment that maps its bytes")]
    SectionNotLoaded {
        /// Section index.
        index: usize,
        /// Section name.
        name: String,
        /// `sh_addr`.
        addr: u64,
    },
    /// More memory than [`ReadOptions::max_bytes`].
    #[error(
        "the program needs {total} bytes of memory ({what}), more than the limit of {max} bytes"
    )]
    TooLarge {
        /// What was summed.
        what: &'static str,
        /// The total.
        total: u64,
        /// The limit.
        max: u64,
    },
    /// A name offset that is not a NUL-terminated UTF-8 string in its table.
    #[error("{what} {index}: name offset {offset} is not a NUL-terminated UTF-8 string in its string table")]
    BadName {
        /// "section" or "symbol".
        what: &'static str,
        /// Section or symbol index.
        index: usize,
        /// `sh_name` / `st_name`.
        offset: u64,
    },
    /// An allocated section of a type other than PROGBITS/NOBITS.
    #[error("section {index} (`{name}`) is allocated but has unsupported type 0x{sh_type:x} (only PROGBITS and NOBITS can be loaded)")]
    UnsupportedSection {
        /// Section index.
        index: usize,
        /// Section name.
        name: String,
        /// `sh_type`.
        sh_type: u32,
    },
    /// Malformed `.symtab` header or string table link.
    #[error("bad symbol table: {reason}")]
    BadSymtab {
        /// What is wrong.
        reason: String,
    },
    /// A symbol whose `st_shndx` names no loadable section.
    #[error("symbol {index} (`{name}`) refers to section index {shndx}, which {reason}")]
    BadSymbolSection {
        /// Symbol index.
        index: usize,
        /// Symbol name.
        name: String,
        /// `st_shndx`.
        shndx: usize,
        /// Why it is unusable.
        reason: String,
    },
    /// An undefined symbol (`SHN_UNDEF`).
    #[error("symbol {index} (`{name}`) is undefined; a Loom executable defines every symbol")]
    UndefinedSymbol {
        /// Symbol index.
        index: usize,
        /// Symbol name.
        name: String,
    },
    /// A symbol type or binding Loom does not use.
    #[error("symbol {index} (`{name}`): unsupported {what} {value}{}", sym_value_name(.what, *.value))]
    UnsupportedSymbol {
        /// Symbol index.
        index: usize,
        /// Symbol name.
        name: String,
        /// "type" or "binding".
        what: &'static str,
        /// The value.
        value: u8,
    },
    /// Malformed `.loom.lines`.
    #[error("malformed .loom.lines section: {0}")]
    Lines(#[from] LineTableError),
    /// The decoded program breaks an image rule (overlap, entry, alignment, symbols).
    #[error("invalid Loom program: {0}")]
    Invalid(#[from] ImageError),
    /// `goblin` rejected a structure (after our own range checks passed).
    #[error("ELF parse error: {0}")]
    Parse(String),
}

fn class_name(c: u8) -> String {
    match c {
        0 => "ELFCLASSNONE (0)".into(),
        1 => "ELFCLASS32 (1)".into(),
        2 => "ELFCLASS64 (2)".into(),
        _ => format!("unknown class {c}"),
    }
}

fn data_name(d: u8) -> String {
    match d {
        0 => "ELFDATANONE (0)".into(),
        1 => "ELFDATA2LSB (1)".into(),
        2 => "ELFDATA2MSB, big-endian (2)".into(),
        _ => format!("unknown encoding {d}"),
    }
}

fn machine_name(m: u16) -> &'static str {
    match m {
        0 => " (EM_NONE)",
        3 => " (EM_386, x86)",
        8 => " (EM_MIPS)",
        20 => " (EM_PPC)",
        40 => " (EM_ARM)",
        62 => " (EM_X86_64)",
        183 => " (EM_AARCH64)",
        243 => " (EM_RISCV)",
        _ => "",
    }
}

fn sym_value_name(what: &str, v: u8) -> &'static str {
    match (what, v) {
        ("type", 5) => " (STT_COMMON)",
        ("type", 6) => " (STT_TLS)",
        ("type", 10) => " (STT_GNU_IFUNC)",
        ("binding", 10) => " (STB_GNU_UNIQUE)",
        _ => "",
    }
}

fn type_name(t: u16) -> String {
    match t {
        0 => "ET_NONE (0)".into(),
        1 => "ET_REL (1), a relocatable object".into(),
        2 => "ET_EXEC (2)".into(),
        3 => "ET_DYN (3), a shared object".into(),
        4 => "ET_CORE (4), a core dump".into(),
        _ => format!("type 0x{t:04x}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Line table
// ---------------------------------------------------------------------------------------------

/// Encode a line table as the `.loom.lines` payload (see the module docs).
pub fn encode_line_table(lines: &LineTable) -> Result<Vec<u8>, LineTableError> {
    check_line_table(lines)?;
    let nfiles = u32::try_from(lines.files.len()).map_err(|_| LineTableError::TooMany {
        what: "files",
        count: lines.files.len(),
    })?;
    let nrows = u32::try_from(lines.rows.len()).map_err(|_| LineTableError::TooMany {
        what: "rows",
        count: lines.rows.len(),
    })?;
    let names: usize = lines.files.iter().map(|f| f.len() + 1).sum();
    let mut out = Vec::with_capacity(16 + names + 16 * lines.rows.len());
    out.extend_from_slice(&LINES_MAGIC);
    out.extend_from_slice(&LINES_VERSION.to_le_bytes());
    out.extend_from_slice(&nfiles.to_le_bytes());
    for f in &lines.files {
        out.extend_from_slice(f.as_bytes());
        out.push(0);
    }
    out.extend_from_slice(&nrows.to_le_bytes());
    for r in &lines.rows {
        for v in [r.addr, r.file, r.line, r.col] {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    Ok(out)
}

fn check_line_table(lines: &LineTable) -> Result<(), LineTableError> {
    if let Some(index) = lines.files.iter().position(|f| f.contains('\0')) {
        return Err(LineTableError::FileNameNul { index });
    }
    check_rows(&lines.rows, lines.files.len())
}

fn check_rows(rows: &[LineRow], files: usize) -> Result<(), LineTableError> {
    let mut prev = 0u32;
    for (row, r) in rows.iter().enumerate() {
        if r.file as usize >= files {
            return Err(LineTableError::FileIndex {
                row,
                file: r.file,
                files,
            });
        }
        if r.addr < prev {
            return Err(LineTableError::Unsorted { row, addr: r.addr });
        }
        prev = r.addr;
    }
    Ok(())
}

struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: u64, what: &'static str) -> Result<&'a [u8], LineTableError> {
        let have = self.b.len() - self.pos;
        if n > have as u64 {
            return Err(LineTableError::Truncated {
                what,
                offset: self.pos,
                need: n,
                have,
            });
        }
        let s = &self.b[self.pos..self.pos + n as usize];
        self.pos += n as usize;
        Ok(s)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, LineTableError> {
        let s = self.take(4, what)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
}

/// Decode a `.loom.lines` payload, checking every count against the bytes present.
pub fn decode_line_table(b: &[u8]) -> Result<LineTable, LineTableError> {
    if b.len() < 4 || b[..4] != LINES_MAGIC {
        return Err(LineTableError::BadMagic {
            found: b[..b.len().min(4)].to_vec(),
        });
    }
    let mut c = Cursor { b, pos: 4 };
    let version = c.u32("version")?;
    if version != LINES_VERSION {
        return Err(LineTableError::Version(version));
    }
    let nfiles = c.u32("file count")?;
    let mut files = Vec::new();
    for index in 0..nfiles as usize {
        let rest = &b[c.pos..];
        let Some(len) = rest.iter().position(|&x| x == 0) else {
            return Err(LineTableError::Truncated {
                what: "file name",
                offset: c.pos,
                need: rest.len() as u64 + 1,
                have: rest.len(),
            });
        };
        let name = std::str::from_utf8(&rest[..len])
            .map_err(|_| LineTableError::FileNameUtf8 { index })?;
        files.push(name.to_string());
        c.pos += len + 1;
    }
    let nrows = c.u32("row count")?;
    let need = u64::from(nrows) * 16;
    let body = c.take(need, "rows")?;
    if c.pos != b.len() {
        return Err(LineTableError::Trailing {
            count: b.len() - c.pos,
        });
    }
    let rows: Vec<LineRow> = body
        .chunks_exact(16)
        .map(|r| {
            let w = |i: usize| u32::from_le_bytes([r[i], r[i + 1], r[i + 2], r[i + 3]]);
            LineRow {
                addr: w(0),
                file: w(4),
                line: w(8),
                col: w(12),
            }
        })
        .collect();
    check_rows(&rows, files.len())?;
    Ok(LineTable { files, rows })
}

// ---------------------------------------------------------------------------------------------
// Image validation
// ---------------------------------------------------------------------------------------------

/// Check the rules every Loom executable satisfies: sizes agree with data, sections fit in
/// 32 bits and do not overlap, text is word-aligned, the entry point is an aligned address in
/// a text section, symbols name existing sections and lie within them (one past the end is
/// allowed), names are non-empty without NUL, and the line table is consistent and sorted.
pub fn validate_image(img: &Image) -> Result<(), ImageError> {
    for (index, s) in img.sections.iter().enumerate() {
        if s.name.is_empty() || s.name.contains('\0') {
            return Err(ImageError::BadSectionName {
                index,
                name: s.name.clone(),
            });
        }
        let bss = s.kind == SectionKind::Bss;
        let expected = if bss { 0 } else { s.size as usize };
        if s.data.len() != expected {
            return Err(ImageError::SectionSize {
                name: s.name.clone(),
                size: s.size,
                len: s.data.len(),
                bss,
            });
        }
        if u64::from(s.addr) + u64::from(s.size) > ADDR_SPACE {
            return Err(ImageError::AddressOverflow {
                name: s.name.clone(),
                addr: s.addr.into(),
                size: s.size.into(),
            });
        }
        if s.kind == SectionKind::Text && (s.addr | s.size) & 3 != 0 {
            return Err(ImageError::MisalignedText {
                name: s.name.clone(),
                addr: s.addr,
                size: s.size,
            });
        }
    }
    let mut spans: Vec<(u64, u64, usize)> = img
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.size > 0)
        .map(|(i, s)| (u64::from(s.addr), u64::from(s.addr) + u64::from(s.size), i))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.0 < a.1 {
            return Err(ImageError::Overlap {
                first: img.sections[a.2].name.clone(),
                first_start: a.0,
                first_end: a.1,
                second: img.sections[b.2].name.clone(),
                second_start: b.0,
                second_end: b.1,
            });
        }
    }
    let entry_ok = img.sections.iter().any(|s| {
        s.kind == SectionKind::Text
            && img.entry >= s.addr
            && u64::from(img.entry) < u64::from(s.addr) + u64::from(s.size)
    });
    if !entry_ok {
        return Err(ImageError::EntryNotInText { entry: img.entry });
    }
    if img.entry & 3 != 0 {
        return Err(ImageError::MisalignedEntry { entry: img.entry });
    }
    for (index, sym) in img.symbols.iter().enumerate() {
        if sym.name.is_empty() || sym.name.contains('\0') {
            return Err(ImageError::BadSymbolName {
                index,
                name: sym.name.clone(),
            });
        }
        let absolute = sym.kind == SymbolKind::Absolute;
        match (absolute, sym.section) {
            (true, None) => {}
            (false, Some(i)) => {
                let Some(sec) = img.sections.get(i) else {
                    return Err(ImageError::SymbolSection {
                        name: sym.name.clone(),
                        section: i,
                        count: img.sections.len(),
                    });
                };
                let end = u64::from(sec.addr) + u64::from(sec.size);
                if sym.value < sec.addr || u64::from(sym.value) > end {
                    return Err(ImageError::SymbolOutsideSection {
                        name: sym.name.clone(),
                        value: sym.value,
                        section: sec.name.clone(),
                        start: sec.addr,
                        end,
                    });
                }
            }
            _ => {
                return Err(ImageError::SymbolKind {
                    name: sym.name.clone(),
                    absolute,
                })
            }
        }
    }
    check_line_table(&img.lines)?;
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Writer
// ---------------------------------------------------------------------------------------------

fn section_flags(kind: SectionKind) -> u64 {
    match kind {
        SectionKind::Text => SHF_ALLOC | SHF_EXECINSTR,
        SectionKind::Rodata => SHF_ALLOC,
        SectionKind::Data | SectionKind::Bss => SHF_ALLOC | SHF_WRITE,
    }
}

fn segment_flags(kind: SectionKind) -> oe::ProgramFlags {
    match kind {
        SectionKind::Text => oe::PF_R | oe::PF_X,
        SectionKind::Rodata => oe::PF_R,
        SectionKind::Data | SectionKind::Bss => oe::PF_R | oe::PF_W,
    }
}

/// Largest power of two up to 4 that divides `addr` (used for `sh_addralign`).
fn natural_align(addr: u32) -> u64 {
    if addr & 3 == 0 {
        4
    } else if addr & 1 == 0 {
        2
    } else {
        1
    }
}

/// Write `img` as a Loom ELF32 executable (layout in docs/OBJECT.md).
///
/// The image is checked with [`validate_image`] first. Symbols are written local ones first
/// (as ELF requires), each group in image order; [`read_elf`] returns them in file order.
pub fn write_elf(img: &Image) -> Result<Vec<u8>, ElfWriteError> {
    validate_image(img)?;
    let lines = encode_line_table(&img.lines).map_err(ImageError::from)?;
    let obj_err = |e: object::write::Error| ElfWriteError::Object(e.to_string());

    let mut buf = Vec::new();
    let mut w = Writer::new(object::Endianness::Little, false, &mut buf);

    // Phase 1: reserve file ranges, section indices and strings.
    w.reserve_file_header();
    let loads: Vec<usize> = (0..img.sections.len())
        .filter(|&i| img.sections[i].size > 0)
        .collect();
    w.reserve_program_headers(loads.len() as u32);

    let mut sec_names = Vec::with_capacity(img.sections.len());
    let mut sec_index = Vec::with_capacity(img.sections.len());
    for s in &img.sections {
        sec_names.push(w.add_section_name(s.name.as_bytes()));
        sec_index.push(w.reserve_section_index());
    }
    let lines_name = w.add_section_name(LINES_SECTION.as_bytes());
    w.reserve_section_index();
    w.reserve_symtab_section_index();
    w.reserve_strtab_section_index();
    w.reserve_shstrtab_section_index();

    // Section data: file offset congruent to the address modulo 4 (p_align = 4).
    let mut offsets = Vec::with_capacity(img.sections.len());
    for s in &img.sections {
        let cur = w.reserved_len();
        let off = cur + (u64::from(s.addr).wrapping_sub(cur) & 3);
        if s.kind != SectionKind::Bss {
            w.reserve_until(off);
            w.reserve(s.data.len() as u64, 1);
        }
        offsets.push(off);
    }
    let lines_off = w.reserve(lines.len() as u64, 1);

    let order: Vec<&Symbol> = img
        .symbols
        .iter()
        .filter(|s| !s.global)
        .chain(img.symbols.iter().filter(|s| s.global))
        .collect();
    let num_local = 1 + img.symbols.iter().filter(|s| !s.global).count() as u32;
    w.reserve_null_symbol_index();
    let mut sym_names = Vec::with_capacity(order.len());
    for s in &order {
        sym_names.push(w.add_string(s.name.as_bytes()));
        w.reserve_symbol_index(s.section.map(|i| sec_index[i]));
    }
    w.reserve_symtab();
    w.reserve_strtab().map_err(obj_err)?;
    w.reserve_shstrtab().map_err(obj_err)?;
    w.reserve_section_headers();

    // Phase 2: write everything in the same order.
    w.write_file_header(&OFileHeader {
        os_abi: oe::ELFOSABI_NONE,
        abi_version: 0,
        e_type: oe::ET_EXEC,
        e_machine: oe::Machine(EM_LOOM),
        e_entry: img.entry.into(),
        e_flags: oe::FileFlags(EF_LOOM_ISA_VERSION),
    })
    .map_err(obj_err)?;
    w.write_align_program_headers();
    for &i in &loads {
        let s = &img.sections[i];
        w.write_program_header(&OProgramHeader {
            p_type: oe::PT_LOAD,
            p_flags: segment_flags(s.kind),
            p_offset: offsets[i],
            p_vaddr: s.addr.into(),
            p_paddr: s.addr.into(),
            p_filesz: if s.kind == SectionKind::Bss {
                0
            } else {
                s.size.into()
            },
            p_memsz: s.size.into(),
            p_align: 4,
        });
    }
    for (i, s) in img.sections.iter().enumerate() {
        if s.kind != SectionKind::Bss {
            w.pad_until(offsets[i]);
            w.write(&s.data);
        }
    }
    w.pad_until(lines_off);
    w.write(&lines);

    w.write_null_symbol();
    for (s, name) in order.iter().zip(&sym_names) {
        let st_type = match s.kind {
            SymbolKind::Func => oe::STT_FUNC,
            SymbolKind::Object => oe::STT_OBJECT,
            SymbolKind::Absolute => oe::STT_NOTYPE,
        };
        let bind = if s.global {
            oe::STB_GLOBAL
        } else {
            oe::STB_LOCAL
        };
        w.write_symbol(&OSym {
            section: s.section.map(|i| sec_index[i].0),
            st_name: w.string_offset(Some(*name)),
            st_info: oe::SymbolInfo::new(bind, st_type),
            st_other: oe::SymbolOther(0),
            st_shndx: if s.section.is_some() {
                oe::SHN_UNDEF
            } else {
                oe::SHN_ABS
            },
            st_value: s.value.into(),
            st_size: s.size.into(),
        });
    }
    w.write_strtab();
    w.write_shstrtab();

    w.write_null_section_header();
    for (i, s) in img.sections.iter().enumerate() {
        let bss = s.kind == SectionKind::Bss;
        w.write_section_header(&OSectionHeader {
            sh_name: w.section_name_offset(Some(sec_names[i])),
            sh_type: oe::SectionType(if bss { SHT_NOBITS } else { SHT_PROGBITS }),
            sh_flags: oe::SectionFlags(section_flags(s.kind)),
            sh_addr: s.addr.into(),
            sh_offset: offsets[i],
            sh_size: s.size.into(),
            sh_link: 0,
            sh_info: 0,
            sh_addralign: natural_align(s.addr),
            sh_entsize: 0,
        });
    }
    w.write_section_header(&OSectionHeader {
        sh_name: w.section_name_offset(Some(lines_name)),
        sh_type: oe::SectionType(SHT_LOOM_LINES),
        sh_flags: oe::SectionFlags(0),
        sh_addr: 0,
        sh_offset: lines_off,
        sh_size: lines.len() as u64,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 1,
        sh_entsize: 0,
    });
    w.write_symtab_section_header(num_local);
    w.write_strtab_section_header();
    w.write_shstrtab_section_header();
    drop(w);
    Ok(buf)
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

/// Read a Loom ELF executable with the default [`ReadOptions`].
pub fn read_elf(bytes: &[u8]) -> Result<Image, ElfError> {
    read_elf_with(bytes, &ReadOptions::default())
}

fn parse_err(e: goblin::error::Error) -> ElfError {
    ElfError::Parse(e.to_string())
}

/// Check that `start..start+size` lies within the file.
fn need(bytes: &[u8], what: &'static str, start: u64, size: u64) -> Result<(), ElfError> {
    let len = bytes.len() as u64;
    match start.checked_add(size) {
        Some(end) if end <= len => Ok(()),
        end => Err(ElfError::Truncated {
            what,
            start,
            end: end.unwrap_or(u64::MAX),
            len,
        }),
    }
}

/// NUL-terminated UTF-8 string at `off` in `table`.
fn c_str(table: &[u8], off: u64) -> Option<&str> {
    let rest = table.get(usize::try_from(off).ok()?..)?;
    let n = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..n]).ok()
}

/// The file bytes of a non-NOBITS section whose range was already checked.
fn contents<'a>(bytes: &'a [u8], sh: &SectionHeader) -> &'a [u8] {
    if sh.sh_type == SHT_NOBITS {
        return &[];
    }
    let (Ok(start), Ok(size)) = (usize::try_from(sh.sh_offset), usize::try_from(sh.sh_size)) else {
        return &[];
    };
    start
        .checked_add(size)
        .and_then(|end| bytes.get(start..end))
        .unwrap_or(&[])
}

fn to_u32(v: u64) -> u32 {
    // ELF32 fields are 32-bit; goblin widens them to u64 without changing the value.
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Read a Loom ELF executable, refusing anything malformed (see [`ElfError`]).
pub fn read_elf_with(bytes: &[u8], opts: &ReadOptions) -> Result<Image, ElfError> {
    let len = bytes.len() as u64;
    if bytes.len() < 4 || bytes[..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    need(bytes, "the ELF identification", 0, 16)?;
    if bytes[4] != 1 {
        return Err(ElfError::WrongClass { found: bytes[4] });
    }
    if bytes[5] != 1 {
        return Err(ElfError::WrongEndian { found: bytes[5] });
    }
    if bytes[6] != 1 {
        return Err(ElfError::BadVersion {
            field: "EI_VERSION",
            found: bytes[6].into(),
        });
    }
    need(bytes, "the ELF header", 0, EHDR_SIZE)?;
    let h: Header = goblin::elf::Elf::parse_header(bytes).map_err(parse_err)?;
    if h.e_machine != EM_LOOM {
        return Err(ElfError::WrongMachine { found: h.e_machine });
    }
    if h.e_type != ET_EXEC {
        return Err(ElfError::WrongType { found: h.e_type });
    }
    if h.e_version != 1 {
        return Err(ElfError::BadVersion {
            field: "e_version",
            found: h.e_version,
        });
    }
    if h.e_flags != EF_LOOM_ISA_VERSION {
        return Err(ElfError::IsaVersion { found: h.e_flags });
    }
    if u64::from(h.e_ehsize) != EHDR_SIZE {
        return Err(ElfError::BadHeaderField {
            field: "e_ehsize",
            found: h.e_ehsize.into(),
            expected: EHDR_SIZE,
        });
    }
    let ctx = Ctx::new(Container::Little, Endian::Little);

    // Program headers.
    if h.e_phnum > 0 && u64::from(h.e_phentsize) != PHDR_SIZE {
        return Err(ElfError::BadHeaderField {
            field: "e_phentsize",
            found: h.e_phentsize.into(),
            expected: PHDR_SIZE,
        });
    }
    let phnum = u64::from(h.e_phnum);
    need(
        bytes,
        "the program header table",
        h.e_phoff,
        phnum * PHDR_SIZE,
    )?;
    let phdrs = ProgramHeader::parse(bytes, h.e_phoff as usize, h.e_phnum as usize, ctx)
        .map_err(parse_err)?;
    // Section header table: checked before the segments so that a truncated file (the
    // table is last) reports truncation rather than a segment past the end.
    if h.e_shoff == 0 || h.e_shnum == 0 {
        return Err(ElfError::NoSections);
    }
    if u64::from(h.e_shentsize) != SHDR_SIZE {
        return Err(ElfError::BadHeaderField {
            field: "e_shentsize",
            found: h.e_shentsize.into(),
            expected: SHDR_SIZE,
        });
    }
    let shnum = usize::from(h.e_shnum);
    need(
        bytes,
        "the section header table",
        h.e_shoff,
        u64::from(h.e_shnum) * SHDR_SIZE,
    )?;
    // Segments.
    let mut total_mem = 0u64;
    for (index, ph) in phdrs.iter().enumerate() {
        if ph.p_type != PT_LOAD {
            continue;
        }
        match ph.p_offset.checked_add(ph.p_filesz) {
            Some(end) if end <= len => {}
            end => {
                return Err(ElfError::SegmentOutsideFile {
                    index,
                    offset: ph.p_offset,
                    end: end.unwrap_or(u64::MAX),
                    len,
                })
            }
        }
        if ph.p_filesz > ph.p_memsz {
            return Err(ElfError::SegmentFileSize {
                index,
                filesz: ph.p_filesz,
                memsz: ph.p_memsz,
            });
        }
        if ph.p_vaddr.saturating_add(ph.p_memsz) > ADDR_SPACE {
            return Err(ElfError::SegmentOverflow {
                index,
                vaddr: ph.p_vaddr,
                memsz: ph.p_memsz,
            });
        }
        total_mem = total_mem.saturating_add(ph.p_memsz);
    }
    if total_mem > opts.max_bytes {
        return Err(ElfError::TooLarge {
            what: "sum of PT_LOAD memory sizes",
            total: total_mem,
            max: opts.max_bytes,
        });
    }

    let shdrs = SectionHeader::parse(bytes, h.e_shoff as usize, shnum, ctx).map_err(parse_err)?;
    if shdrs.len() != shnum {
        return Err(ElfError::Parse(format!(
            "expected {shnum} section headers, goblin returned {}",
            shdrs.len()
        )));
    }
    let check_in_file = |index: usize, name: &str, sh: &SectionHeader| {
        if sh.sh_type == SHT_NOBITS || sh.sh_type == 0 {
            return Ok(());
        }
        match sh.sh_offset.checked_add(sh.sh_size) {
            Some(end) if end <= len => Ok(()),
            end => Err(ElfError::SectionOutsideFile {
                index,
                name: name.to_string(),
                offset: sh.sh_offset,
                end: end.unwrap_or(u64::MAX),
                len,
            }),
        }
    };
    let shstrndx = usize::from(h.e_shstrndx);
    if shstrndx == 0 || shstrndx >= shnum {
        return Err(ElfError::BadShstrndx {
            index: h.e_shstrndx,
            count: shnum,
        });
    }
    check_in_file(shstrndx, ".shstrtab", &shdrs[shstrndx])?;
    let shstr = contents(bytes, &shdrs[shstrndx]);
    let mut names = Vec::with_capacity(shnum);
    for (index, sh) in shdrs.iter().enumerate() {
        let name = if index == 0 {
            ""
        } else {
            c_str(shstr, sh.sh_name as u64).ok_or(ElfError::BadName {
                what: "section",
                index,
                offset: sh.sh_name as u64,
            })?
        };
        check_in_file(index, name, sh)?;
        names.push(name);
    }

    // Loadable sections.
    let mut map: Vec<Option<usize>> = vec![None; shnum];
    let mut sections = Vec::new();
    let mut total_sec = 0u64;
    for (index, sh) in shdrs.iter().enumerate().skip(1) {
        if sh.sh_flags & SHF_ALLOC == 0 {
            continue;
        }
        let kind = match sh.sh_type {
            SHT_NOBITS => SectionKind::Bss,
            SHT_PROGBITS if sh.sh_flags & SHF_EXECINSTR != 0 => SectionKind::Text,
            SHT_PROGBITS if sh.sh_flags & SHF_WRITE != 0 => SectionKind::Data,
            SHT_PROGBITS => SectionKind::Rodata,
            other => {
                return Err(ElfError::UnsupportedSection {
                    index,
                    name: names[index].to_string(),
                    sh_type: other,
                })
            }
        };
        if sh.sh_addr.saturating_add(sh.sh_size) > ADDR_SPACE {
            return Err(ImageError::AddressOverflow {
                name: names[index].to_string(),
                addr: sh.sh_addr,
                size: sh.sh_size,
            }
            .into());
        }
        total_sec = total_sec.saturating_add(sh.sh_size);
        if total_sec > opts.max_bytes {
            return Err(ElfError::TooLarge {
                what: "sum of allocated section sizes",
                total: total_sec,
                max: opts.max_bytes,
            });
        }
        if sh.sh_size > 0 {
            let covered = phdrs.iter().any(|ph| {
                let seg_end = if kind == SectionKind::Bss {
                    ph.p_vaddr + ph.p_memsz
                } else {
                    ph.p_vaddr + ph.p_filesz
                };
                ph.p_type == PT_LOAD
                    && ph.p_vaddr <= sh.sh_addr
                    && sh.sh_addr + sh.sh_size <= seg_end
                    && (kind == SectionKind::Bss
                        || i128::from(sh.sh_offset) - i128::from(ph.p_offset)
                            == i128::from(sh.sh_addr) - i128::from(ph.p_vaddr))
            });
            if !covered {
                return Err(ElfError::SectionNotLoaded {
                    index,
                    name: names[index].to_string(),
                    addr: sh.sh_addr,
                });
            }
        }
        map[index] = Some(sections.len());
        sections.push(Section {
            name: names[index].to_string(),
            kind,
            addr: to_u32(sh.sh_addr),
            size: to_u32(sh.sh_size),
            data: if kind == SectionKind::Bss {
                Vec::new()
            } else {
                contents(bytes, sh).to_vec()
            },
        });
    }

    // Symbols.
    let mut symtabs = shdrs
        .iter()
        .enumerate()
        .filter(|(_, sh)| sh.sh_type == SHT_SYMTAB);
    let symtab = symtabs.next();
    if symtabs.next().is_some() {
        return Err(ElfError::BadSymtab {
            reason: "more than one SHT_SYMTAB section".into(),
        });
    }
    let mut symbols = Vec::new();
    if let Some((st_index, st)) = symtab {
        if st.sh_entsize != SYM_SIZE {
            return Err(ElfError::BadSymtab {
                reason: format!("sh_entsize is {}, expected {SYM_SIZE}", st.sh_entsize),
            });
        }
        if st.sh_size % SYM_SIZE != 0 {
            return Err(ElfError::BadSymtab {
                reason: format!(
                    "size {} is not a multiple of the entry size {SYM_SIZE}",
                    st.sh_size
                ),
            });
        }
        let link = st.sh_link as usize;
        if link == 0 || link >= shnum || shdrs[link].sh_type != SHT_STRTAB {
            return Err(ElfError::BadSymtab {
                reason: format!(
                    "section {st_index} links to section {link}, which is not a string table"
                ),
            });
        }
        let strtab = contents(bytes, &shdrs[link]);
        let count = (st.sh_size / SYM_SIZE) as usize;
        let syms = Sym::parse(bytes, st.sh_offset as usize, count, ctx).map_err(parse_err)?;
        for (index, s) in syms.iter().enumerate().skip(1) {
            let st_type = s.st_type();
            if st_type == STT_SECTION || st_type == STT_FILE {
                continue;
            }
            let name = c_str(strtab, s.st_name as u64).ok_or(ElfError::BadName {
                what: "symbol",
                index,
                offset: s.st_name as u64,
            })?;
            if name.is_empty() {
                continue;
            }
            let unsupported = |what, value| ElfError::UnsupportedSymbol {
                index,
                name: name.to_string(),
                what,
                value,
            };
            if !matches!(st_type, STT_NOTYPE | STT_OBJECT | STT_FUNC) {
                return Err(unsupported("type", st_type));
            }
            let global = match s.st_bind() {
                STB_LOCAL => false,
                STB_GLOBAL | STB_WEAK => true,
                b => return Err(unsupported("binding", b)),
            };
            let bad_section = |reason: String| ElfError::BadSymbolSection {
                index,
                name: name.to_string(),
                shndx: s.st_shndx,
                reason,
            };
            let (kind, section) = match s.st_shndx {
                SHN_UNDEF => {
                    return Err(ElfError::UndefinedSymbol {
                        index,
                        name: name.to_string(),
                    })
                }
                SHN_ABS => (SymbolKind::Absolute, None),
                i if i >= SHN_LORESERVE => {
                    return Err(bad_section(format!(
                        "is a reserved index (0x{i:04x}) Loom does not use"
                    )))
                }
                i if i >= shnum => {
                    return Err(bad_section(format!(
                        "does not exist (the file has {shnum} sections)"
                    )))
                }
                i => {
                    let Some(sec) = map[i] else {
                        return Err(bad_section(format!(
                            "is not a loadable section (`{}`)",
                            names[i]
                        )));
                    };
                    let kind = match st_type {
                        STT_FUNC => SymbolKind::Func,
                        STT_OBJECT => SymbolKind::Object,
                        _ if sections[sec].kind == SectionKind::Text => SymbolKind::Func,
                        _ => SymbolKind::Object,
                    };
                    (kind, Some(sec))
                }
            };
            symbols.push(Symbol {
                name: name.to_string(),
                value: to_u32(s.st_value),
                size: to_u32(s.st_size),
                kind,
                global,
                section,
            });
        }
    }

    // Line table.
    let lines = match shdrs
        .iter()
        .enumerate()
        .find(|(i, _)| names[*i] == LINES_SECTION)
    {
        Some((_, sh)) if sh.sh_type == SHT_NOBITS => {
            return Err(LineTableError::BadMagic { found: Vec::new() }.into())
        }
        Some((_, sh)) => decode_line_table(contents(bytes, sh))?,
        None => LineTable::default(),
    };

    let img = Image {
        entry: to_u32(h.e_entry),
        sections,
        symbols,
        lines,
    };
    validate_image(&img)?;
    Ok(img)
}
