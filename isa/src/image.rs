//! The in-memory program image: what the assembler produces, the ELF file stores, and the
//! emulator, disassembler and debugger load. `crate::elf` converts it to and from ELF.

/// Kind of a loadable section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SectionKind {
    /// Executable code (`.text`).
    Text,
    /// Read-only data (`.rodata`).
    Rodata,
    /// Initialised data (`.data`).
    Data,
    /// Zero-initialised data (`.bss`); has a size but no bytes.
    Bss,
}

/// One loadable section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    /// Section name (`.text`, `.data`, ...).
    pub name: String,
    /// Kind.
    pub kind: SectionKind,
    /// Load address in DRAM.
    pub addr: u32,
    /// Size in bytes (for Bss, the only record of its extent).
    pub size: u32,
    /// Contents (empty for Bss; otherwise `size` bytes).
    pub data: Vec<u8>,
}

/// What a symbol names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SymbolKind {
    /// A code label.
    Func,
    /// A data label.
    Object,
    /// A constant from `.equ`/`.set` (absolute).
    Absolute,
}

/// A symbol.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    /// Name.
    pub name: String,
    /// Address (or value for absolute symbols).
    pub value: u32,
    /// Size in bytes if known, else 0.
    pub size: u32,
    /// Kind.
    pub kind: SymbolKind,
    /// Visible outside the file (`.global`).
    pub global: bool,
    /// Index into [`Image::sections`] of the defining section; `None` for absolute symbols.
    pub section: Option<usize>,
}

/// One line-table row: the instruction or data at `addr` came from `file:line:col`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineRow {
    /// Address of the first byte.
    pub addr: u32,
    /// Index into [`LineTable::files`].
    pub file: u32,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

/// Address-to-source mapping, sorted by address.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LineTable {
    /// Source file paths as given to the assembler.
    pub files: Vec<String>,
    /// Rows sorted by `addr`.
    pub rows: Vec<LineRow>,
}

impl LineTable {
    /// The row covering `addr` exactly (instructions have one row each).
    pub fn lookup(&self, addr: u32) -> Option<&LineRow> {
        let i = self.rows.partition_point(|r| r.addr < addr);
        self.rows.get(i).filter(|r| r.addr == addr)
    }

    /// File name of a row.
    pub fn file_name(&self, row: &LineRow) -> &str {
        self.files
            .get(row.file as usize)
            .map(String::as_str)
            .unwrap_or("<unknown>")
    }
}

/// A whole program.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Image {
    /// Entry point (address of `_start`, else the start of `.text`).
    pub entry: u32,
    /// Loadable sections, in address order.
    pub sections: Vec<Section>,
    /// Symbols.
    pub symbols: Vec<Symbol>,
    /// Line table.
    pub lines: LineTable,
}

impl Image {
    /// Find a section by name.
    pub fn section(&self, name: &str) -> Option<&Section> {
        self.sections.iter().find(|s| s.name == name)
    }

    /// The non-absolute symbol with the highest address `<= addr` inside a section, with
    /// the offset from it: `main+0x8`.
    pub fn symbolize(&self, addr: u32) -> Option<(&Symbol, u32)> {
        self.symbols
            .iter()
            .filter(|s| s.kind != SymbolKind::Absolute && s.value <= addr)
            .filter(|s| {
                s.section
                    .and_then(|i| self.sections.get(i))
                    .is_some_and(|sec| addr < sec.addr.saturating_add(sec.size.max(1)))
            })
            .max_by_key(|s| (s.value, s.global))
            .map(|s| (s, addr - s.value))
    }

    /// [`Image::symbolize`] as text: `main` or `main+0x8`.
    pub fn label(&self, addr: u32) -> Option<String> {
        self.symbolize(addr).map(|(s, off)| {
            if off == 0 {
                s.name.clone()
            } else {
                format!("{}+0x{off:x}", s.name)
            }
        })
    }
}
