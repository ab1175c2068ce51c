//! ELF32 little-endian form of a [`crate::image::Image`]: [`write_elf`] (built on the `object`
//! crate's low-level ELF writer) and [`read_elf`] (built on `goblin`'s header, program-header,
//! section-header and symbol parsers, with every range checked here before it is used).
//!
//! The file layout is specified in docs/OBJECT.md. In short: `ET_EXEC`, `e_machine` =
//! [`EM_LOOM`](crate::EM_LOOM), `e_flags` = [`EF_LOOM_ISA_VERSION`]; one `PT_LOAD` per non-empty
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
//!
//! # Layout of this module
//!
//! - `mod.rs` (here): the public API, the constants of the format and [`ReadOptions`].
//! - `error.rs`: [`ElfError`], [`ElfWriteError`], [`ImageError`], [`LineTableError`].
//! - `validate.rs`: [`validate_image`], the rules shared by the writer and the reader.
//! - `lines.rs`: the `.loom.lines` codec ([`encode_line_table`], [`decode_line_table`]).
//! - `write.rs`: [`write_elf`].
//! - `read.rs`: [`read_elf`] / [`read_elf_with`], one named function per validation step.

mod error;
mod lines;
mod read;
mod validate;
mod write;

pub use error::{ElfError, ElfWriteError, ImageError, LineTableError};
pub use lines::{decode_line_table, encode_line_table};
pub use read::{read_elf, read_elf_with, read_section_headers};
pub use validate::validate_image;
pub use write::write_elf;

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

/// One entry of an ELF file's section header table ([`read_section_headers`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ElfSection {
    /// Name from `.shstrtab`.
    pub name: String,
    /// `sh_type` (`SHT_PROGBITS` = 1, `SHT_SYMTAB` = 2, `SHT_STRTAB` = 3, `SHT_NOBITS` = 8,
    /// [`SHT_LOOM_LINES`], ...).
    pub sh_type: u32,
    /// `sh_flags` (`SHF_WRITE` = 1, `SHF_ALLOC` = 2, `SHF_EXECINSTR` = 4).
    pub flags: u64,
    /// `sh_addr`.
    pub addr: u64,
    /// `sh_offset`: where the contents start in the file.
    pub offset: u64,
    /// `sh_size`.
    pub size: u64,
    /// `sh_addralign`.
    pub align: u64,
    /// The bytes in the file (empty for `SHT_NOBITS`).
    pub contents: Vec<u8>,
}

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
