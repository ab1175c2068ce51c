//! bitloom-asm: the assembler for the Loom accelerator ISA.
//!
//! GNU-as flavoured syntax (labels, expressions, `.equ`, macros, `.rept`/`.irp`/`.irpc`, includes,
//! conditional assembly with `.if`/`.ifdef` and symbols predefined through
//! [`Options::defines`], data directives including the accelerator's
//! `.tile`/`.rle`/`.lut`/`.scales`), two passes, and rustc-grade diagnostics. The result is a [`bitloom_isa::image::Image`]. The language is
//! documented in docs/ASSEMBLY.md.
//!
//! ```
//! let out = bitloom_asm::assemble_str("demo.s", "_start: li r1, 42\n halt r1\n", &Default::default()).unwrap();
//! assert_eq!(out.image.entry, bitloom_isa::TEXT_BASE);
//! ```

mod arith;
mod assembler;
pub mod ast;
mod chunked;
mod comments;
pub mod define;
pub mod diag;
mod directive;
mod fastparse;
pub mod gen;
pub mod lexer;
pub mod load;
pub mod pseudo;
pub mod source;

#[allow(clippy::all, missing_docs, unused_qualifications)]
mod grammar {
    lalrpop_util::lalrpop_mod!(pub grammar);
    pub use grammar::*;
}

use std::path::{Path, PathBuf};
use std::rc::Rc;

use bitloom_isa::image::Image;

pub use define::{Define, DefineError};
pub use diag::{Diagnostic, Diagnostics, Severity};
pub use source::Span;

/// Assembler options.
#[derive(Clone, Debug)]
pub struct Options {
    /// Build the text listing ([`Output::listing`]) and [`Output::rows`].
    pub listing: bool,
    /// Extra directories searched by `.include` after the including file's directory.
    pub include_dirs: Vec<PathBuf>,
    /// Most errors reported: assembly stops at the first error past this many (a note
    /// says so), so a file of a million bad lines costs no more than 200 of them.
    pub max_errors: usize,
    /// Most statements processed, counting every line of every include, macro and `.rept`
    /// expansion and every `.rept` iteration (also of an empty body); bounds runaway
    /// expansion (an error at the construct that exceeded it).
    pub max_lines: u64,
    /// Most bytes of expanded text: every macro invocation counts its body (plus
    /// [`EXPANSION_OVERHEAD`] for its bookkeeping), every `.include` the included file.
    /// Bounds the memory of exponential macro expansion.
    pub max_expansion_bytes: u64,
    /// Symbols predefined as absolute values before the first line (`-D NAME[=VALUE]`), in
    /// order; a later definition of the same name replaces an earlier one. Visible to
    /// `.if`, `.ifdef` and every expression; a source `.equ`/label of the same name is a
    /// duplicate-symbol error (guard defaults with `.ifndef NAME`).
    pub defines: Vec<Define>,
}

/// Bytes charged to [`Options::max_expansion_bytes`] per macro invocation or include on
/// top of its text (the bookkeeping it keeps until the end of assembly).
pub const EXPANSION_OVERHEAD: u64 = 128;

/// Largest assembly source file (the root file and each include): 256 MiB.
pub const MAX_SOURCE_BYTES: u64 = 256 << 20;

impl Default for Options {
    fn default() -> Self {
        Options {
            listing: false,
            include_dirs: Vec::new(),
            max_errors: 200,
            max_lines: 20_000_000,
            max_expansion_bytes: 256 << 20,
            defines: Vec::new(),
        }
    }
}

/// Counters of one run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Source lines processed (including macro and `.rept` expansions).
    pub lines: u64,
    /// Instruction words emitted.
    pub instructions: u64,
    /// Bytes in `.text` sections.
    pub text_bytes: u64,
    /// Bytes in data sections (`.rodata`, `.data`, `.bss`).
    pub data_bytes: u64,
    /// Symbols in the image.
    pub symbols: u64,
    /// Macro invocations expanded.
    pub macro_expansions: u64,
}

/// One listing line in structured form.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ListingRow {
    /// File the line is in (for macro bodies: the file of the definition).
    pub file: String,
    /// 1-based line in `file`.
    pub line: u32,
    /// 1-based line of the root file being processed when this line was emitted (an
    /// `.include` line or macro invocation accounts for everything it expands to).
    pub root_line: u32,
    /// Address of the first byte.
    pub addr: u32,
    /// The bytes emitted (empty for `.bss`).
    pub bytes: Vec<u8>,
    /// Number of bytes the line occupies.
    pub len: u32,
}

/// A successful assembly.
#[derive(Clone, Debug)]
pub struct Output {
    /// The program.
    pub image: Image,
    /// GNU `as -al` style listing (line, address, encoding, source), if requested.
    pub listing: String,
    /// The listing in structured form, if requested.
    pub rows: Vec<ListingRow>,
    /// Counters.
    pub stats: Stats,
    /// Warnings (the program assembled anyway).
    pub warnings: Diagnostics,
}

/// Assemble a file. `.include` paths are relative to the including file.
pub fn assemble_file(path: &Path, opts: &Options) -> Result<Output, Diagnostics> {
    let name = path.display().to_string();
    match bitloom_isa::srcfile::read_capped(path, MAX_SOURCE_BYTES) {
        Ok(bytes) => match String::from_utf8(bytes) {
            Ok(text) => run(name, text.into(), Some(path.to_path_buf()), opts),
            Err(e) => Err(utf8_diag(name, e)),
        },
        Err(e) => Err(io_diag(
            name,
            format!("cannot read `{}`: {e}", path.display()),
        )),
    }
}

/// Assemble source text. `name` is used in diagnostics and the line table; `.include`
/// paths are relative to `name`'s directory.
pub fn assemble_str(name: &str, src: &str, opts: &Options) -> Result<Output, Diagnostics> {
    run(
        name.to_string(),
        src.into(),
        Some(PathBuf::from(name)),
        opts,
    )
}

fn run(
    name: String,
    text: Rc<str>,
    path: Option<PathBuf>,
    opts: &Options,
) -> Result<Output, Diagnostics> {
    let mut a = assembler::Asm::new(opts);
    a.run_root(name, text, path);
    if !a.halted() {
        a.pass2();
    }
    a.finish_output()
}

/// A file that is not UTF-8: the error points at the first bad byte (line and column), with
/// the text shown lossily (identical up to that byte).
fn utf8_diag(name: String, e: std::string::FromUtf8Error) -> Diagnostics {
    let at = e.utf8_error().valid_up_to();
    let byte = e.as_bytes().get(at).copied().unwrap_or(0);
    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
    let mut sources = source::SourceMap::default();
    sources.add(source::Source::new(
        name.clone(),
        text.into(),
        source::Origin::File,
    ));
    let span = Span::new(0, at, at + '\u{fffd}'.len_utf8());
    Diagnostics {
        list: vec![Diagnostic::error(
            span,
            format!("`{name}` is not valid UTF-8 (byte 0x{byte:02x} at offset {at})"),
        )
        .label("not UTF-8")
        .help("Loom sources are UTF-8 text")],
        sources,
    }
}

fn io_diag(name: String, msg: String) -> Diagnostics {
    let mut sources = source::SourceMap::default();
    sources.add(source::Source::new(name, "".into(), source::Origin::File));
    Diagnostics {
        list: vec![Diagnostic::error(Span::default(), msg)],
        sources,
    }
}
