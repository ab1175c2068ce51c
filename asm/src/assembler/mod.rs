//! The two-pass assembler. Pass 1 reads lines (expanding includes, macros and `.rept`),
//! defines symbols, fixes every statement's size and keeps the parsed lines; pass 2 evaluates
//! operands against the final symbol table and encodes into the section buffers.
//!
//! This file holds the state of one run ([`Asm`]) and the types it is made of; each
//! submodule adds one concern to it:
//!
//! - `lines`: the line driver (buffers, lines, block keywords, line-table locations);
//! - `parse`: one line to an `ast::Line` (fast path, grammar, syntax diagnostics);
//! - `expand`: macros, `.rept`, `.include`;
//! - `layout`: pass-1 statements (labels, instructions, sizes) and section layout;
//! - `symbols`: labels, `.equ`, `.set`;
//! - `eval`: expression evaluation;
//! - `directives`: directive dispatch and the non-data directives;
//! - `data`: data directives, both passes;
//! - `encode`: pass 2 and pseudo-instruction expansion;
//! - `operands`: operands by the instruction table's kinds, with their diagnostics;
//! - `output`: the image, the diagnostics and the listing.

// Operand and expression errors are returned as `Result<_, Diagnostic>`; they are the cold
// path and boxing every diagnostic would only add allocations.
#![allow(clippy::result_large_err)]

mod cond;
mod data;
mod directives;
mod encode;
mod eval;
mod expand;
mod layout;
mod lines;
mod operands;
mod output;
mod parse;
mod symbols;

pub(crate) use symbols::reserved_name;

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::PathBuf;

use bitloom_isa::image::{LineRow, SectionKind};
use bitloom_isa::{InstrDef, INSTRUCTIONS};

use crate::ast::{Arg, Line};
use crate::chunked::Chunked;
use crate::diag::Diagnostic;
use crate::grammar::LineParser;
use crate::pseudo::{Pseudo, PSEUDOS};
use crate::source::{SourceMap, Span};
use crate::{Options, Stats};

/// FNV-1a: symbol and mnemonic tables are hashed on every line; SipHash is needlessly slow
/// for short keys and HashDoS is not a concern for an assembler.
#[derive(Default)]
struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h ^= b as u64;
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type HashMap<K, V> = StdHashMap<K, V, BuildHasherDefault<Fnv>>;

const NONE: u32 = u32::MAX;
const FAILED: u32 = u32::MAX - 1;
/// Primary label of an unknown-symbol error.
pub(super) const UNKNOWN_SYMBOL_LABEL: &str = "not defined anywhere";
/// Primary label of an unknown-mnemonic error.
pub(super) const UNKNOWN_MNEMONIC_LABEL: &str = "not an instruction, pseudo-instruction or macro";
/// Deepest macro/include nesting.
const MAX_NEST: usize = 64;
/// Deepest nesting of conditionals in one run of lines.
const MAX_COND_NEST: usize = 256;
/// Deepest chain of `.equ` symbols referring to each other.
const MAX_SYM_DEPTH: u32 = 64;
/// Most parenthesis levels in one line.
const MAX_PARENS: u32 = 64;
/// Most operators in one argument.
const MAX_OPERATORS: u32 = 512;
/// Largest `.rept` count.
const MAX_REPT: i64 = 10_000_000;
/// Largest size of one section (bytes).
const MAX_SECTION: u64 = 256 << 20;

/// Where a statement is: section, offset and its sequence number (for `1f`/`1b`, `.set`).
#[derive(Clone, Copy, Debug)]
struct At {
    sec: u8,
    off: u32,
    seq: u32,
}

/// A value during evaluation: absolute, or an offset into a section (pass 1 only).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Val {
    v: i64,
    sec: Option<u8>,
}

impl Val {
    pub(super) fn abs(v: i64) -> Val {
        Val { v, sec: None }
    }
}

enum EvalErr {
    /// A symbol that is not (yet) defined.
    Undefined(Span),
    /// Depends on a section address (pass 1).
    Reloc(Span),
    /// A real error.
    Diag(Box<Diagnostic>),
}

impl From<Diagnostic> for EvalErr {
    fn from(d: Diagnostic) -> Self {
        EvalErr::Diag(Box::new(d))
    }
}

#[derive(Clone, Debug)]
enum SymDef {
    /// Referenced by `.global` but not defined (yet).
    Undef,
    Label {
        sec: u8,
        off: u32,
    },
    /// `.equ name, expr`: the expression is argument 1 of parsed line `line`.
    Equ {
        line: u32,
        at: At,
    },
    /// After layout: the value of an `.equ`.
    Value(i64),
    /// `.set` / `=`: values by statement sequence number.
    Set(Vec<(u32, Val)>),
}

#[derive(Clone, Debug)]
struct Sym {
    name: Box<str>,
    def: SymDef,
    span: Option<Span>,
    global: Option<Span>,
}

#[derive(Clone, Copy, Debug)]
enum Mn {
    Real(&'static InstrDef),
    Pseudo(Pseudo),
}

#[derive(Clone, Copy, Debug)]
enum DataKind {
    Int(u8),
    Fill { n: u32, size: u8 },
    Tile(u8),
    Lut,
    Scales(u8),
}

#[derive(Clone, Copy, Debug)]
enum ItemKind {
    Instr(Mn, u8),
    Data(DataKind),
}

#[derive(Clone, Copy, Debug)]
struct Item {
    kind: ItemKind,
    line: u32,
    at: At,
    exp: u32,
    /// Line-table location: file index, line, column.
    loc: (u32, u32, u32),
}

struct Sec {
    name: String,
    kind: SectionKind,
    data: Vec<u8>,
    size: u64,
    base: u32,
    align: u32,
    used: bool,
    /// The statement that last left a code section's size off a 4-byte boundary (pass 1):
    /// where to point if the section ends misaligned.
    unaligned_at: Option<(Span, u32)>,
}

struct Macro {
    /// Shared with every expansion's record.
    name: std::rc::Rc<str>,
    params: std::rc::Rc<[(Box<str>, Option<String>)]>,
    src: u32,
    body: (u32, u32),
    has_backslash: bool,
    /// The body uses `\@`: every expansion is different.
    has_counter: bool,
    span: Span,
}

struct Expansion {
    name: std::rc::Rc<str>,
    site: Span,
    parent: u32,
    loc: (u32, u32, u32),
}

/// A packed data directive (`.tile`, `.scales`, packed `.npy`) that ended mid-byte.
#[derive(Clone, Copy, Debug)]
struct Pad {
    /// Its statement number (`Asm::stmt_no`).
    stmt: u64,
    /// Its name.
    name: Span,
    /// Its expansion context.
    exp: u32,
    /// Bits used in its last byte (1..=7).
    used: u32,
}

struct Row {
    src: u32,
    line: u32,
    root_line: u32,
    sec: u8,
    off: u32,
    len: u32,
}

/// One assembly run.
pub(crate) struct Asm<'o> {
    opts: &'o Options,
    sm: SourceMap,
    /// Number of lines of every buffer (their byte ranges come from `Source::line_starts`;
    /// tokens are lexed per line when a line is read).
    nlines: Chunked<u32>,
    /// `.rept` and conditional lines (by buffer and line) that have a cached parse: a
    /// revisit must still see them as keywords.
    kw_lines: std::collections::HashSet<(u32, u32)>,
    /// Text to lex for buffers with block comments (blanked out), by buffer.
    code: Chunked<Option<std::rc::Rc<str>>>,
    /// Lines continued with a trailing `\`: (buffer, first line) → lines joined to it.
    cont: HashMap<(u32, u32), u32>,
    /// Non-empty statements seen (labels-only lines count; blank lines and conditional
    /// keywords do not): tells whether two packed directives are adjacent.
    stmt_no: u64,
    /// The last packed data directive, if it ended mid-byte.
    last_pad: Option<Pad>,
    /// The statement being processed has labels.
    labeled: bool,
    parsed_idx: Chunked<Vec<u32>>,
    /// Parsed lines kept for later (pass-2 items, `.equ`, the parse cache); index 0 is the
    /// empty line.
    parsed: Chunked<Line>,
    file_idx: Chunked<u32>,
    files: Vec<String>,
    paths: Chunked<Option<PathBuf>>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Warnings raised while encoding (which borrows `self` immutably).
    encode_warnings: std::cell::RefCell<Vec<Diagnostic>>,
    secs: Vec<Sec>,
    cur: usize,
    syms: HashMap<Box<str>, u32>,
    symtab: Chunked<Sym>,
    numlabels: HashMap<u32, Vec<(u32, u8, u32)>>,
    macros: HashMap<Box<str>, Macro>,
    expansions: Chunked<Expansion>,
    items: Chunked<Item>,
    seq: u32,
    statements: u64,
    /// Bytes charged to `Options::max_expansion_bytes` so far.
    expanded_bytes: u64,
    /// Set when the expansion budget or the error cap is reached: pass 1 stops, pass 2 is
    /// skipped.
    halted: bool,
    /// Errors not kept because `Options::max_errors` were already reported.
    suppressed_errors: usize,
    /// Files already included (canonical path → buffer): an include of the same file
    /// again reuses its buffer, line index and parse cache.
    include_cache: HashMap<PathBuf, u32>,
    /// `.include` names already resolved: (directory's buffer, name) → (path, canonical).
    include_resolved: HashMap<(u32, String), (PathBuf, PathBuf)>,
    /// Index in `diags` of the first `.include` that failed: later "unknown symbol" and
    /// "unknown instruction" errors are probably its consequences and are counted in a
    /// note on it instead of reported one by one.
    failed_include: Option<usize>,
    /// Errors folded into the failed include's note.
    include_cascade: usize,
    /// "unknown symbol" errors of pass-1 constants (index in `diags`, name, what needed
    /// it): if the symbol is defined later, the error says so.
    maybe_forward: Vec<(usize, String, String)>,
    /// Where each included buffer was first included from (the file name's span).
    include_site: HashMap<u32, Span>,
    include_stack: Vec<(PathBuf, Span)>,
    macro_depth: usize,
    macro_counter: u32,
    rows: Vec<Row>,
    root_line: u32,
    mnems: HashMap<&'static str, Mn>,
    parser: LineParser,
    stats: Stats,
    line_rows: Vec<LineRow>,
    cur_line: (u32, u32),
    rept_depth: usize,
    /// Buffers whose lines an open `.rept`/`.irp`/`.irpc` runs again (innermost last).
    repeating: Vec<u32>,
    /// Macro expansion buffers by a hash of their text and substitutions, for reuse by an
    /// invocation that would make the same one.
    expansion_memo: HashMap<u64, u32>,
    /// Expansion buffers run more than once (their parses are cached).
    shared_expansions: std::collections::HashSet<u32>,
    /// Set while pass 1 tries to encode an instruction whose operands are already known:
    /// [`Asm::value`] then accepts only constants known at that line and pc-relative
    /// operands are refused, so any failure just leaves the instruction to pass 2.
    early: bool,
    /// Line-table rows of instructions encoded in pass 1, with the section offset in
    /// `addr` until layout gives the sections addresses; their sections in `early_secs`.
    early_rows: Vec<LineRow>,
    early_secs: Vec<u8>,
    /// The statement just processed needs nothing from its parsed line any more.
    line_done: bool,
}

/// The closest candidate to `name` within a small edit distance.
pub(crate) fn suggest<'c>(name: &str, cands: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    // Names are short; a 10-million-character one would cost seconds per candidate.
    if name.len() > 256 {
        return None;
    }
    let l = name.to_ascii_lowercase();
    let n = l.chars().count();
    let max = (n / 3).max(1);
    cands
        // The distance is at least the difference in length.
        .filter(|c| c.chars().count().abs_diff(n) <= max)
        .map(|c| (strsim::damerau_levenshtein(&l, &c.to_ascii_lowercase()), c))
        .filter(|&(d, _)| d <= max)
        .min_by_key(|&(d, c)| (d, c.len()))
        .map(|(_, c)| c)
}

pub(super) fn is_local_name(n: &str) -> bool {
    n.starts_with(".L")
}

pub(super) fn plural(n: usize, w: &str) -> String {
    format!("{n} {w}{}", if n == 1 { "" } else { "s" })
}

impl<'o> Asm<'o> {
    pub(crate) fn new(opts: &'o Options) -> Asm<'o> {
        let mut mnems = HashMap::default();
        for d in INSTRUCTIONS {
            mnems.insert(d.mnemonic, Mn::Real(d));
        }
        for (n, p, _, _) in PSEUDOS {
            mnems.insert(*n, Mn::Pseudo(*p));
        }
        Asm {
            opts,
            sm: SourceMap::default(),
            nlines: Chunked::default(),
            kw_lines: Default::default(),
            code: Chunked::default(),
            cont: HashMap::default(),
            stmt_no: 0,
            last_pad: None,
            labeled: false,
            parsed_idx: Chunked::default(),
            parsed: {
                let mut p = Chunked::default();
                p.push(Line::default());
                p
            },
            file_idx: Chunked::default(),
            files: Vec::new(),
            paths: Chunked::default(),
            diags: Vec::new(),
            warnings: Vec::new(),
            encode_warnings: std::cell::RefCell::new(Vec::new()),
            secs: vec![Sec {
                name: ".text".into(),
                kind: SectionKind::Text,
                data: Vec::new(),
                size: 0,
                base: 0,
                align: 4,
                used: false,
                unaligned_at: None,
            }],
            cur: 0,
            syms: HashMap::default(),
            symtab: Chunked::default(),
            numlabels: HashMap::default(),
            macros: HashMap::default(),
            expansions: Chunked::default(),
            items: Chunked::default(),
            seq: 0,
            statements: 0,
            expanded_bytes: 0,
            halted: false,
            suppressed_errors: 0,
            include_cache: HashMap::default(),
            include_resolved: HashMap::default(),
            failed_include: None,
            include_cascade: 0,
            maybe_forward: Vec::new(),
            include_site: HashMap::default(),
            include_stack: Vec::new(),
            macro_depth: 0,
            macro_counter: 0,
            rows: Vec::new(),
            root_line: 0,
            mnems,
            parser: LineParser::new(),
            stats: Stats::default(),
            line_rows: Vec::new(),
            cur_line: (NONE, 0),
            rept_depth: 0,
            repeating: Vec::new(),
            expansion_memo: HashMap::default(),
            shared_expansions: Default::default(),
            early: false,
            early_rows: Vec::new(),
            early_secs: Vec::new(),
            line_done: false,
        }
    }

    pub(super) fn text(&self, sp: Span) -> &str {
        self.sm
            .sources
            .get(sp.src as usize)
            .and_then(|s| s.text.get(sp.start as usize..sp.end as usize))
            .unwrap_or("")
    }

    pub(super) fn error(&mut self, d: Diagnostic, exp: u32) {
        if self.diags.len() >= self.opts.max_errors.max(1) {
            // Enough to read: stop working (a million copies of one bad line would
            // otherwise cost a million diagnostics).
            self.suppressed_errors += 1;
            self.halted = true;
            return;
        }
        if self.failed_include.is_some()
            && (d.label == UNKNOWN_SYMBOL_LABEL || d.label == UNKNOWN_MNEMONIC_LABEL)
        {
            self.include_cascade += 1;
            return;
        }
        let d = self.with_expansion(d, exp);
        self.diags.push(d);
    }

    /// Report a failed `.include` (remembered so its cascade is folded into it).
    pub(super) fn include_error(&mut self, d: Diagnostic, exp: u32) {
        let before = self.diags.len();
        self.error(d, exp);
        if self.failed_include.is_none() && self.diags.len() > before {
            self.failed_include = Some(before);
        }
    }

    /// Whether pass 1 stopped early (expansion budget or error cap).
    pub(crate) fn halted(&self) -> bool {
        self.halted
    }

    /// Count one statement (a line or a `.rept` iteration) against
    /// `Options::max_lines`; false (after reporting it once, at `sp`) when over.
    pub(super) fn charge_statement(&mut self, sp: Span, exp: u32) -> bool {
        self.statements += 1;
        if self.statements <= self.opts.max_lines {
            return !self.halted;
        }
        if !self.halted {
            let d = Diagnostic::error(
                sp,
                format!(
                    "expansion limit: the program expands to more than {} statements",
                    self.opts.max_lines
                ),
            )
            .label("limit reached here")
            .note("every line of every include, macro and `.rept` expansion counts, and every `.rept` iteration")
            .help("a `.rept` count or a recursive macro is probably larger than intended; the limit is `bitloom asm --max-lines`");
            self.error(d, exp);
            self.halted = true;
        }
        false
    }

    /// Count `bytes` of expanded text against `Options::max_expansion_bytes`; false
    /// (after reporting it once, at `sp`) when over.
    pub(super) fn charge_bytes(&mut self, bytes: u64, sp: Span, what: &str, exp: u32) -> bool {
        self.expanded_bytes = self.expanded_bytes.saturating_add(bytes);
        if self.expanded_bytes <= self.opts.max_expansion_bytes {
            return !self.halted;
        }
        if !self.halted {
            let d = Diagnostic::error(
                sp,
                format!(
                    "expansion limit: macros and includes expand to more than {} bytes",
                    self.opts.max_expansion_bytes
                ),
            )
            .label(format!("{what} exceeds it"))
            .note("a macro that invokes itself more than once grows exponentially")
            .help("the limit is `bitloom asm --max-expansion-bytes`");
            self.error(d, exp);
            self.halted = true;
        }
        false
    }

    pub(super) fn with_expansion(&self, mut d: Diagnostic, mut exp: u32) -> Diagnostic {
        let mut hidden = 0;
        while exp != NONE {
            let Some(e) = self.expansions.get(exp as usize) else {
                break;
            };
            if e.site == d.span
                || d.secondary.iter().any(|(s, _)| *s == e.site)
                || d.secondary.len() >= 4
            {
                hidden += 1;
            } else {
                d.secondary
                    .push((e.site, format!("in this expansion of macro `{}`", e.name)));
            }
            exp = e.parent;
        }
        if hidden > 0 {
            d.notes
                .push(format!("inside {} more macro expansions", hidden));
        }
        d
    }

    /// The contents of the string literal at `s` (without the quotes, escapes not decoded).
    pub(super) fn str_body(&self, s: Span) -> &str {
        let t = self.text(s);
        t.get(1..t.len().saturating_sub(1)).unwrap_or("")
    }

    pub(super) fn bad_arg(&mut self, sp: Span, msg: impl Into<String>, label: &str, exp: u32) {
        let d = Diagnostic::error(sp, msg).label(label);
        self.error(d, exp);
    }
}

/// Span from a statement's name to its last argument.
pub(super) fn stmt_span(name: Span, args: &[Arg]) -> Span {
    match args.last() {
        Some(a) => name.to(a.span()),
        None => name,
    }
}
