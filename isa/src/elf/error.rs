//! The error types of the ELF layer: [`LineTableError`] (the `.loom.lines` codec),
//! [`ImageError`] (an image breaking a rule of [`validate_image`](super::validate_image)),
//! [`ElfWriteError`] ([`write_elf`](super::write_elf)) and [`ElfError`]
//! ([`read_elf`](super::read_elf)), with the helpers that name ELF constants in messages.

use super::{EF_LOOM_ISA_VERSION, LINES_VERSION};

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

/// An [`Image`](crate::image::Image) that breaks a rule every Loom executable must satisfy
/// (checked by [`validate_image`](super::validate_image), hence by both
/// [`write_elf`](super::write_elf) and [`read_elf`](super::read_elf)).
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

/// Why [`write_elf`](super::write_elf) refused an image.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ElfWriteError {
    /// The image is not a valid Loom program.
    #[error("cannot write ELF: {0}")]
    Invalid(#[from] ImageError),
    /// The `object` writer failed (e.g. file larger than 4 GiB).
    #[error("cannot write ELF: {0}")]
    Object(String),
}

/// Why [`read_elf`](super::read_elf) refused a file.
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
    /// More memory than [`ReadOptions::max_bytes`](super::ReadOptions::max_bytes).
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
