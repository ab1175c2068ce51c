//! Traps (docs/ISA.md §9): why the machine stopped, and a rendering in rustc's style (the
//! assembler's diagnostics' family, drawn by annotate-snippets) with the trapping
//! instruction's source line.
//!
//! Traps are precise: when an instruction traps, no architectural state has changed and `pc`
//! still names it.

use annotate_snippets::{AnnotationKind, Group, Level, Origin, Renderer, Snippet};
use bitloom_isa::image::Image;
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::rle::RleError;
use bitloom_isa::{DecodeError, Instr, Space};

/// The cause of a trap.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum TrapKind {
    /// Undecodable instruction word (§3).
    #[error("{0}")]
    IllegalInstruction(DecodeError),
    /// `ebreak` outside the debugger.
    #[error("breakpoint (ebreak)")]
    Breakpoint,
    /// Load/store/jump/fetch address not aligned to its size.
    #[error("misaligned {what} address 0x{addr:08x} (must be a multiple of {align})")]
    MisalignedAccess {
        /// "load", "store", "jump target" or "instruction fetch".
        what: &'static str,
        /// The address.
        addr: u32,
        /// Required alignment in bytes.
        align: u32,
    },
    /// DRAM access beyond `dram_bytes`.
    #[error("{what} of {len} byte(s) at 0x{addr:08x} is outside DRAM (0x{dram:x} bytes)")]
    OutOfRange {
        /// What accessed memory ("load", "store", "DMA read", ...).
        what: &'static str,
        /// Start address.
        addr: u32,
        /// Length in bytes.
        len: u64,
        /// DRAM size.
        dram: u32,
    },
    /// A tile's bytes exceed its scratchpad.
    #[error("tile t{tile} ({space}, base 0x{base:x}, {bytes} byte(s)) exceeds the scratchpad ({size} bytes)")]
    ScratchpadOverflow {
        /// Tile register.
        tile: u8,
        /// Scratchpad.
        space: Space,
        /// Base byte offset.
        base: u32,
        /// Bytes the tile needs.
        bytes: u64,
        /// Scratchpad size.
        size: u32,
    },
    /// `tdef` with rows or cols outside 1..=65535.
    #[error("tile t{tile}: shape {rows}x{cols} is invalid (rows and cols must be 1..=65535)")]
    TileShape {
        /// Tile register.
        tile: u8,
        /// Rows requested.
        rows: u32,
        /// Columns requested.
        cols: u32,
    },
    /// Use of a tile register never defined by `tdef`.
    #[error("tile register t{tile} is undefined (no tdef)")]
    UndefinedTile {
        /// Tile register.
        tile: u8,
    },
    /// Shapes or scratchpads of the operands disagree.
    #[error("tile mismatch: {0}")]
    TileMismatch(String),
    /// Malformed RLE stream.
    #[error("corrupt RLE stream: {source}")]
    CorruptRle {
        /// Byte offset in the stream.
        offset: usize,
        /// Decoder diagnosis.
        source: RleError,
    },
    /// lut-format code ≥ the LUT's programmed length.
    #[error("t{tile} element {element}: code {code} indexes lut{lut}, which has {len} entries")]
    LutIndex {
        /// Tile register.
        tile: u8,
        /// Element index (row-major).
        element: u64,
        /// The code.
        code: u32,
        /// LUT number.
        lut: u8,
        /// Its programmed length.
        len: u32,
    },
    /// Cluster code with more than `ck` effectual bits.
    #[error(
        "t{tile} element {element}: cluster code 0x{code:x} has {bits} signed terms, ck = {ck}"
    )]
    ClusterBits {
        /// Tile register.
        tile: u8,
        /// Element index (row-major).
        element: u64,
        /// The code.
        code: u32,
        /// Signed power-of-two terms of its magnitude (non-zero NAF digits).
        bits: u32,
        /// CSR `ck`.
        ck: u32,
    },
    /// Format/precision combination not allowed.
    #[error(
        "t{tile}: format {fmt} does not allow {prec}-bit codes (log needs 2..=5, cluster >= 2)"
    )]
    PrecisionRange {
        /// Tile register.
        tile: u8,
        /// Its format.
        fmt: NumFmt,
        /// Its precision.
        prec: u32,
    },
    /// Format not allowed for the operation.
    #[error("format unsupported: {0}")]
    FormatUnsupported(String),
    /// Write to a read-only CSR or a value outside its range.
    #[error("cannot write {value} to CSR `{csr}`: {reason}")]
    CsrWrite {
        /// CSR name.
        csr: &'static str,
        /// Value written.
        value: u32,
        /// Why it was refused.
        reason: String,
    },
    /// Checked mode: the fast path and the reference disagree.
    #[error("checked mode: `{op}` result differs from the reference at element {element} (row {row}, col {col}): emulator {got}, reference {expected}")]
    CheckMismatch {
        /// Mnemonic.
        op: &'static str,
        /// Element index (row-major) or byte index for streams.
        element: u64,
        /// Row.
        row: u32,
        /// Column.
        col: u32,
        /// Fast-path value.
        got: i64,
        /// Reference value.
        expected: i64,
    },
    /// The run exceeded its step budget (not architectural).
    #[error("step limit of {limit} instructions reached")]
    StepLimit {
        /// The limit.
        limit: u64,
    },
    /// The run exceeded its cycle budget (not architectural).
    #[error("cycle limit of {limit} cycles reached")]
    CycleLimit {
        /// The limit.
        limit: u64,
    },
    /// The machine already halted; it cannot step further.
    #[error("the machine has halted (exit code {code})")]
    Halted {
        /// Its exit code.
        code: u32,
    },
}

impl TrapKind {
    /// The trap's name as docs/ISA.md §9 lists it (`MisalignedAccess`, ...).
    pub fn name(&self) -> &'static str {
        match self {
            TrapKind::IllegalInstruction(_) => "IllegalInstruction",
            TrapKind::Breakpoint => "Breakpoint",
            TrapKind::MisalignedAccess { .. } => "MisalignedAccess",
            TrapKind::OutOfRange { .. } => "OutOfRange",
            TrapKind::ScratchpadOverflow { .. } => "ScratchpadOverflow",
            TrapKind::TileShape { .. } => "TileShape",
            TrapKind::UndefinedTile { .. } => "UndefinedTile",
            TrapKind::TileMismatch(_) => "TileMismatch",
            TrapKind::CorruptRle { .. } => "CorruptRle",
            TrapKind::LutIndex { .. } => "LutIndex",
            TrapKind::ClusterBits { .. } => "ClusterBits",
            TrapKind::PrecisionRange { .. } => "PrecisionRange",
            TrapKind::FormatUnsupported(_) => "FormatUnsupported",
            TrapKind::CsrWrite { .. } => "CsrWrite",
            TrapKind::CheckMismatch { .. } => "CheckMismatch",
            TrapKind::StepLimit { .. } => "StepLimit",
            TrapKind::CycleLimit { .. } => "CycleLimit",
            TrapKind::Halted { .. } => "Halted",
        }
    }
}

/// A trap: where it happened and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Trap {
    /// Address of the trapping instruction.
    pub pc: u32,
    /// Its instruction word (0 when it could not be fetched).
    pub word: u32,
    /// Cause.
    pub kind: TrapKind,
}

impl Trap {
    /// The trapping instruction in assembly syntax (`.word 0x...` if undecodable).
    pub fn disassembly(&self) -> String {
        match Instr::decode(self.word) {
            Ok(i) => i.format(self.pc, &|_| None),
            Err(_) => format!(".word 0x{:08x}", self.word),
        }
    }

    /// Render in rustc's style, without colour: see [`Trap::render_color`].
    pub fn render(&self, image: &Image) -> String {
        self.render_color(image, false)
    }

    /// Render in rustc's style, the family of the assembler's diagnostics:
    /// `error: trap <Kind> at pc 0x…: cause`, then ` --> file:line:col` with the source line
    /// and carets when the image's line table knows the pc (and the file is readable), and a
    /// `= note:` with the instruction. `color` selects ANSI colours (for terminals).
    pub fn render_color(&self, image: &Image, color: bool) -> String {
        let renderer = if color {
            Renderer::styled()
        } else {
            Renderer::plain()
        };
        let title = format!(
            "trap {} at pc 0x{:08x}: {}",
            self.kind.name(),
            self.pc,
            self.kind
        );
        let mut g = Group::with_title(Level::ERROR.primary_title(title));
        let mut notes: Vec<String> = Vec::new();
        let line;
        match image.lines.lookup(self.pc) {
            Some(row) => {
                let file = image.lines.file_name(row);
                let path = std::path::Path::new(file);
                line = match bitloom_isa::srcfile::source_line(path, row.line) {
                    Ok(t) => t,
                    Err(e) => {
                        notes.push(format!("source line unavailable: {e}"));
                        None
                    }
                };
                match &line {
                    Some(text) => {
                        // The line table's column counts characters from 1.
                        let a = text
                            .char_indices()
                            .nth((row.col as usize).saturating_sub(1))
                            .map_or(text.len(), |(i, _)| i);
                        let b = a + text[a..][..code_end(&text[a..])].trim_end().len();
                        g = g.element(
                            Snippet::source(text.as_str())
                                .line_start(row.line as usize)
                                .path(file)
                                .annotation(AnnotationKind::Primary.span(a..b)),
                        );
                    }
                    None => {
                        g = g.element(
                            Origin::path(file)
                                .line(row.line as usize)
                                .char_column(row.col as usize),
                        )
                    }
                }
            }
            None => notes.push("no source line for this address (no line table entry)".into()),
        }
        notes.push(format!(
            "instruction `{}` (word 0x{:08x})",
            self.disassembly(),
            self.word
        ));
        for n in &notes {
            g = g.element(Level::NOTE.message(n.as_str()));
        }
        let mut s = renderer.render(&[g]);
        s.push('\n');
        s
    }
}

/// Length of the code part of a source line: up to its comment (`;`, `#` or `//` outside a
/// quoted literal; docs/ASSEMBLY.md), so the carets underline the instruction only.
fn code_end(line: &str) -> usize {
    let b = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        match quote {
            Some(_) if c == b'\\' => i += 1,
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b';' || c == b'#' => return i,
            None if c == b'/' && b.get(i + 1) == Some(&b'/') => return i,
            None => {}
        }
        i += 1;
    }
    b.len()
}

impl std::fmt::Display for Trap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "trap at pc 0x{:08x} (`{}`): {}",
            self.pc,
            self.disassembly(),
            self.kind
        )
    }
}

impl std::error::Error for Trap {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.kind)
    }
}

#[cfg(test)]
mod tests {
    use super::code_end;

    #[test]
    fn carets_stop_at_the_comment() {
        assert_eq!(code_end("lw r2, 0(r1)   ; why"), 15);
        assert_eq!(code_end("lw r2, 0(r1) # x"), 13);
        assert_eq!(code_end("lw r2, 0(r1)// x"), 12);
        assert_eq!(code_end("li r1, ';'  ; c"), 12);
        assert_eq!(code_end(r"li r1, '\''  ; c"), 13);
        assert_eq!(code_end("nop"), 3);
        assert_eq!(code_end("a / b"), 5);
    }
}
