//! The two-pass assembler. Pass 1 reads lines (expanding includes, macros and `.rept`),
//! defines symbols, fixes every statement's size and keeps the parsed lines; pass 2 evaluates
//! operands against the final symbol table and encodes into the section buffers.

// Operand and expression errors are returned as `Result<_, Diagnostic>`; they are the cold
// path and boxing every diagnostic would only add allocations.
#![allow(clippy::result_large_err)]

use std::collections::HashMap as StdHashMap;
use std::hash::{BuildHasherDefault, Hasher};
use std::path::{Path, PathBuf};
use std::rc::Rc;

use bitloom_isa::image::{Image, LineRow, LineTable, Section, SectionKind, Symbol, SymbolKind};
use bitloom_isa::operand::GPR_ALIASES;
use bitloom_isa::{csr, numfmt, rle, InstrDef, Opcode, Operand, OperandKind, Space, INSTRUCTIONS};

use crate::ast::{Arg, BinOp, Expr, Label, Line, Stmt, UnOp};
use crate::diag::{Diagnostic, Diagnostics};
use crate::fastparse;
use crate::grammar::LineParser;
use crate::lexer::{
    self, gpr as parse_gpr, tile as parse_tile, LexError, LineToks, RawTok, RawToken, Tok,
};
use crate::pseudo::{split_hi_lo, Pseudo, PSEUDOS};
use crate::source::{Origin, Segment, Source, SourceMap, Span};
use crate::{ListingRow, Options, Output, Stats};

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
/// Deepest macro/include nesting.
const MAX_NEST: usize = 64;
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

/// Directives the assembler knows (for "did you mean" suggestions).
const DIRECTIVES: &[&str] = &[
    ".text", ".data", ".rodata", ".bss", ".section", ".global", ".globl", ".equ", ".set", ".byte",
    ".half", ".hword", ".short", ".word", ".long", ".int", ".fill", ".zero", ".space", ".skip",
    ".align", ".balign", ".p2align", ".ascii", ".asciz", ".string", ".tile", ".rle", ".lut",
    ".scales", ".include", ".macro", ".endm", ".rept", ".endr",
];

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
    fn abs(v: i64) -> Val {
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
}

struct Macro {
    name: Box<str>,
    params: Vec<(Box<str>, Option<String>)>,
    src: u32,
    body: (u32, u32),
    has_backslash: bool,
    span: Span,
}

struct Expansion {
    name: Box<str>,
    site: Span,
    parent: u32,
    loc: (u32, u32, u32),
}

#[derive(Clone, Copy)]
enum Block {
    Macro,
    Endm,
    Rept,
    Endr,
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
    nlines: Vec<u32>,
    /// `.rept` lines (by buffer and line) that have a cached parse: a revisit must still see
    /// them as block keywords.
    rept_lines: std::collections::HashSet<(u32, u32)>,
    parsed_idx: Vec<Vec<u32>>,
    parsed: Vec<Line>,
    file_idx: Vec<u32>,
    files: Vec<String>,
    paths: Vec<Option<PathBuf>>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Diagnostic>,
    /// Warnings raised while encoding (which borrows `self` immutably).
    encode_warnings: std::cell::RefCell<Vec<Diagnostic>>,
    secs: Vec<Sec>,
    cur: usize,
    syms: HashMap<Box<str>, u32>,
    symtab: Vec<Sym>,
    numlabels: HashMap<u32, Vec<(u32, u8, u32)>>,
    macros: HashMap<Box<str>, Macro>,
    expansions: Vec<Expansion>,
    items: Vec<Item>,
    seq: u32,
    statements: u64,
    budget_reported: bool,
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

fn lower_eq(a: &str, b: &str) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// The closest candidate to `name` within a small edit distance.
pub(crate) fn suggest<'c>(name: &str, cands: impl Iterator<Item = &'c str>) -> Option<&'c str> {
    let l = name.to_ascii_lowercase();
    let max = (l.chars().count() / 3).max(1);
    cands
        .map(|c| (strsim::damerau_levenshtein(&l, &c.to_ascii_lowercase()), c))
        .filter(|&(d, _)| d <= max)
        .min_by_key(|&(d, c)| (d, c.len()))
        .map(|(_, c)| c)
}

fn is_local_name(n: &str) -> bool {
    n.starts_with(".L")
}

fn plural(n: usize, w: &str) -> String {
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
            nlines: Vec::new(),
            rept_lines: Default::default(),
            parsed_idx: Vec::new(),
            parsed: vec![Line::default()],
            file_idx: Vec::new(),
            files: Vec::new(),
            paths: Vec::new(),
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
            }],
            cur: 0,
            syms: HashMap::default(),
            symtab: Vec::new(),
            numlabels: HashMap::default(),
            macros: HashMap::default(),
            expansions: Vec::new(),
            items: Vec::new(),
            seq: 0,
            statements: 0,
            budget_reported: false,
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
            early: false,
            early_rows: Vec::new(),
            early_secs: Vec::new(),
            line_done: false,
        }
    }

    // ------------------------------------------------------------------ sources

    fn add_source(
        &mut self,
        name: String,
        text: Rc<str>,
        origin: Origin,
        path: Option<PathBuf>,
    ) -> u32 {
        let is_file = matches!(origin, Origin::File);
        let source = Source::new(name.clone(), text, origin);
        // Lines are delimited by newlines; a final line without one counts too.
        let n = if source.text.is_empty() || source.text.ends_with('\n') {
            source.line_starts.len() - 1
        } else {
            source.line_starts.len()
        };
        let id = self.sm.add(source);
        self.nlines.push(n as u32);
        self.parsed_idx.push(vec![NONE; n]);
        self.paths.push(path);
        if is_file {
            let fi = match self.files.iter().position(|f| *f == name) {
                Some(i) => i as u32,
                None => {
                    self.files.push(name);
                    (self.files.len() - 1) as u32
                }
            };
            self.file_idx.push(fi);
        } else {
            self.file_idx.push(NONE);
        }
        id
    }

    fn text(&self, sp: Span) -> &str {
        self.sm
            .sources
            .get(sp.src as usize)
            .and_then(|s| s.text.get(sp.start as usize..sp.end as usize))
            .unwrap_or("")
    }

    fn error(&mut self, d: Diagnostic, exp: u32) {
        let d = self.with_expansion(d, exp);
        self.diags.push(d);
    }

    fn with_expansion(&self, mut d: Diagnostic, mut exp: u32) -> Diagnostic {
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

    /// Line-table location of a span in the context of an expansion.
    fn loc(&self, sp: Span, exp: u32) -> (u32, u32, u32) {
        if exp != NONE {
            if let Some(e) = self.expansions.get(exp as usize) {
                return e.loc;
            }
        }
        let (csrc, cli) = self.cur_line;
        let fi = self.file_idx.get(sp.src as usize).copied().unwrap_or(NONE);
        if sp.src == csrc && fi != NONE {
            if let Some((lstart, lend)) = self.line_range(csrc, cli) {
                if (lstart..=lend).contains(&sp.start) {
                    let t = self.sm.sources[csrc as usize]
                        .text
                        .get(lstart as usize..sp.start as usize)
                        .unwrap_or("");
                    let col = if t.is_ascii() {
                        t.len()
                    } else {
                        t.chars().count()
                    };
                    return (fi, cli + 1, col as u32 + 1);
                }
            }
        }
        let sp = self.sm.to_file(sp);
        let fi = self.file_idx.get(sp.src as usize).copied().unwrap_or(0);
        let (l, c) = self
            .sm
            .sources
            .get(sp.src as usize)
            .map(|s| s.line_col(sp.start))
            .unwrap_or((0, 0));
        (if fi == NONE { 0 } else { fi }, l, c)
    }

    // ------------------------------------------------------------------ line driver

    /// Assemble the root buffer.
    pub(crate) fn run_root(&mut self, name: String, text: Rc<str>, path: Option<PathBuf>) {
        if let Some(p) = &path {
            if let Ok(c) = std::fs::canonicalize(p) {
                self.include_stack.push((c, Span::default()));
            }
        }
        let src = self.add_source(name, text, Origin::File, path);
        let n = self.nlines[src as usize];
        // Most instructions are encoded in pass 1 and need neither an item nor a kept line.
        self.items.reserve(n as usize / 4);
        self.parsed.reserve(n as usize / 4);
        self.early_rows.reserve(n as usize);
        self.early_secs.reserve(n as usize);
        // Labels are a fraction of the lines; sizing the table up front avoids rehashing.
        self.syms.reserve(n as usize / 16);
        self.run(src, 0, n, NONE);
    }

    fn run(&mut self, src: u32, from: u32, to: u32, exp: u32) {
        let mut i = from;
        while i < to {
            let li = i;
            i += 1;
            self.statements += 1;
            if self.statements > self.opts.max_lines {
                if !self.budget_reported {
                    self.budget_reported = true;
                    let sp = self.line_span(src, li);
                    let d = Diagnostic::error(
                        sp,
                        format!(
                            "too many lines: the program expands to more than {} lines",
                            self.opts.max_lines
                        ),
                    )
                    .label("expansion limit reached here")
                    .note("a `.rept` count or a recursive macro is probably larger than intended");
                    self.error(d, exp);
                }
                return;
            }
            if src == 0 && exp == NONE {
                self.root_line = li;
            }
            self.cur_line = (src, li);
            // A line with a cached parse is not a block keyword (those are never parsed),
            // except `.rept`, whose parse holds its count; skip lexing it again.
            let cached = self.parsed_idx[src as usize][li as usize];
            let toks = if cached == NONE
                || (!self.rept_lines.is_empty() && self.rept_lines.contains(&(src, li)))
            {
                self.line_tokens(src, li)
            } else {
                LineToks::new()
            };
            if let Some((b, sp)) = self.block_kw_of(src, &toks) {
                match b {
                    Block::Macro => {
                        i = self.define_macro(src, li, to, sp, exp);
                        continue;
                    }
                    Block::Rept => {
                        i = self.rept(src, li, to, sp, exp);
                        continue;
                    }
                    Block::Endm | Block::Endr => {
                        let (w, o) = if matches!(b, Block::Endm) {
                            ("`.endm`", "`.macro`")
                        } else {
                            ("`.endr`", "`.rept`")
                        };
                        let d = Diagnostic::error(sp, format!("{w} without a matching {o}"))
                            .label("nothing to close here");
                        self.error(d, exp);
                        continue;
                    }
                }
            }
            self.stats.lines += 1;
            let row = self.rows.len();
            if self.opts.listing {
                self.rows.push(Row {
                    src,
                    line: li,
                    root_line: self.root_line,
                    sec: self.cur as u8,
                    off: self.secs[self.cur].size as u32,
                    len: 0,
                });
            }
            let Some(idx) = self.parse_line_toks(src, li, exp, &toks) else {
                continue;
            };
            let (sec0, off0) = (self.cur, self.secs[self.cur].size);
            let plain = self.statement(src, idx, exp);
            if std::mem::take(&mut self.line_done)
                && self.rept_depth == 0
                && self.macro_depth == 0
                && idx != 0
                && idx as usize + 1 == self.parsed.len()
            {
                // Labels only, or encoded in pass 1, and not part of a repeated body: drop
                // the parsed line (it would be parsed again if it were ever revisited).
                self.parsed.pop();
                self.parsed_idx[src as usize][li as usize] = NONE;
            }
            if self.opts.listing && plain {
                if let Some(r) = self.rows.get_mut(row) {
                    let sec = &self.secs[self.cur];
                    if self.cur == sec0 {
                        r.off = off0 as u32;
                        r.len = (sec.size - off0) as u32;
                    } else {
                        r.sec = self.cur as u8;
                        r.off = sec.size as u32;
                    }
                }
            }
        }
    }

    /// Byte range of line `li` of buffer `src`, without its newline.
    fn line_range(&self, src: u32, li: u32) -> Option<(u32, u32)> {
        if li >= *self.nlines.get(src as usize)? {
            return None;
        }
        let s = self.sm.sources.get(src as usize)?;
        let start = *s.line_starts.get(li as usize)?;
        let end = match s.line_starts.get(li as usize + 1) {
            Some(&next) => next - 1,
            None => s.text.len() as u32,
        };
        Some((start, end))
    }

    fn line_span(&self, src: u32, li: u32) -> Span {
        match self.line_range(src, li) {
            Some((start, end)) => Span { src, start, end },
            None => Span {
                src,
                start: 0,
                end: 0,
            },
        }
    }

    /// Lex line `li` of buffer `src`.
    fn line_tokens(&self, src: u32, li: u32) -> LineToks {
        match self.line_range(src, li) {
            Some((start, end)) => lexer::lex_line(&self.sm.sources[src as usize].text, start, end),
            None => LineToks::new(),
        }
    }

    fn tok_text(&self, src: u32, t: &RawToken) -> &str {
        self.sm.sources[src as usize]
            .text
            .get(t.start as usize..t.end as usize)
            .unwrap_or("")
    }

    /// Is this line a block keyword (`.macro`, `.endm`, `.rept`, `.endr`), after any labels?
    fn block_kw(&self, src: u32, li: u32) -> Option<(Block, Span)> {
        self.block_kw_of(src, &self.line_tokens(src, li))
    }

    /// [`Asm::block_kw`] on a line's tokens.
    fn block_kw_of(&self, src: u32, toks: &[RawToken]) -> Option<(Block, Span)> {
        let mut k = 0;
        while k + 1 < toks.len()
            && matches!(
                toks[k].kind,
                Some(RawTok::Ident | RawTok::Number | RawTok::Param)
            )
            && toks[k + 1].kind == Some(RawTok::Colon)
        {
            k += 2;
        }
        let t = toks.get(k)?;
        if t.kind != Some(RawTok::Ident) {
            return None;
        }
        let s = self.tok_text(src, t);
        if !s.starts_with('.') {
            return None;
        }
        let sp = Span {
            src,
            start: t.start,
            end: t.end,
        };
        let b = if lower_eq(s, ".macro") {
            Block::Macro
        } else if lower_eq(s, ".endm") {
            Block::Endm
        } else if lower_eq(s, ".rept") {
            Block::Rept
        } else if lower_eq(s, ".endr") {
            Block::Endr
        } else {
            return None;
        };
        Some((b, sp))
    }

    /// Find the line closing the block opened at `li`, honouring nesting.
    fn find_end(
        &self,
        src: u32,
        li: u32,
        to: u32,
        open: fn(Block) -> bool,
        close: fn(Block) -> bool,
    ) -> Option<u32> {
        let mut depth = 1;
        for j in li + 1..to {
            if let Some((b, _)) = self.block_kw(src, j) {
                if open(b) {
                    depth += 1;
                } else if close(b) {
                    depth -= 1;
                    if depth == 0 {
                        return Some(j);
                    }
                }
            }
        }
        None
    }

    // ------------------------------------------------------------------ parsing

    /// Parse a line (cached). Reports lexical and syntax errors; `None` if it had any.
    fn parse_line(&mut self, src: u32, li: u32, exp: u32) -> Option<u32> {
        let cached = self.parsed_idx[src as usize][li as usize];
        if cached == FAILED {
            return None;
        }
        if cached != NONE {
            return Some(cached);
        }
        let toks = self.line_tokens(src, li);
        self.parse_line_toks(src, li, exp, &toks)
    }

    /// [`Asm::parse_line`] with the line's tokens already lexed.
    fn parse_line_toks(&mut self, src: u32, li: u32, exp: u32, toks: &[RawToken]) -> Option<u32> {
        let cached = self.parsed_idx[src as usize][li as usize];
        if cached == FAILED {
            return None;
        }
        if cached != NONE {
            return Some(cached);
        }
        let text = self.sm.sources[src as usize].text.clone();
        if toks.is_empty() {
            self.parsed_idx[src as usize][li as usize] = 0;
            return Some(0);
        }
        // The fast path accepts only lines without lexical errors and within the limits
        // checked below, so the checks are needed only when it declines.
        if let Some(line) = fastparse::parse(src, &text, toks) {
            return Some(self.keep_parsed(src, li, line));
        }
        let mut errs: Vec<Diagnostic> = Vec::new();
        let mut parens = 0u32;
        let mut ops = 0u32;
        for t in toks {
            let sp = Span {
                src,
                start: t.start,
                end: t.end,
            };
            match t.kind {
                Some(
                    RawTok::Number
                    | RawTok::Str
                    | RawTok::Char
                    | RawTok::UntermStr
                    | RawTok::UntermChar,
                )
                | None => {
                    if let Err(e) = lexer::convert(&text, t) {
                        errs.push(lex_diag(e, sp));
                    }
                }
                Some(RawTok::LParen) => {
                    parens += 1;
                    if parens == MAX_PARENS + 1 {
                        errs.push(
                            Diagnostic::error(sp, "expression nested too deeply")
                                .label(format!("more than {MAX_PARENS} open parentheses"))
                                .help("split the expression with `.equ` constants"),
                        );
                    }
                }
                Some(RawTok::RParen) => parens = parens.saturating_sub(1),
                Some(RawTok::Comma) => ops = 0,
                Some(
                    RawTok::Plus
                    | RawTok::Minus
                    | RawTok::Star
                    | RawTok::Slash
                    | RawTok::Percent
                    | RawTok::Amp
                    | RawTok::Pipe
                    | RawTok::Caret
                    | RawTok::Tilde
                    | RawTok::Shl
                    | RawTok::Shr,
                ) => {
                    ops += 1;
                    if ops == MAX_OPERATORS + 1 {
                        errs.push(
                            Diagnostic::error(sp, "expression too complex")
                                .label(format!(
                                    "more than {MAX_OPERATORS} operators in one argument"
                                ))
                                .help("split the expression with `.equ` constants"),
                        );
                    }
                }
                _ => {}
            }
        }
        if errs.is_empty() {
            let it = toks.iter().map(|t| {
                lexer::convert(&text, t).map(|tok| (t.start as usize, tok, t.end as usize))
            });
            match self.parser.parse(src, it) {
                Ok(line) => return Some(self.keep_parsed(src, li, line)),
                Err(e) => errs.push(parse_diag(e, src, self.line_span(src, li))),
            }
        }
        self.parsed_idx[src as usize][li as usize] = FAILED;
        for d in errs {
            self.error(d, exp);
        }
        None
    }

    /// Store a parsed line and cache its index.
    fn keep_parsed(&mut self, src: u32, li: u32, line: Line) -> u32 {
        self.parsed.push(line);
        let idx = (self.parsed.len() - 1) as u32;
        self.parsed_idx[src as usize][li as usize] = idx;
        idx
    }

    /// Arguments of parsed line `idx` (empty unless it is an operation).
    fn line_args(&self, idx: u32) -> &[Arg] {
        match &self.parsed[idx as usize].stmt {
            Some(Stmt::Op { args, .. }) => args,
            _ => &[],
        }
    }

    // ------------------------------------------------------------------ statements (pass 1)

    fn at(&self) -> At {
        At {
            sec: self.cur as u8,
            off: self.secs[self.cur].size as u32,
            seq: self.seq,
        }
    }

    /// Process one parsed line. Returns `false` for lines whose bytes come from other lines
    /// (macro invocations, includes) so the listing does not count them twice.
    fn statement(&mut self, src: u32, idx: u32, exp: u32) -> bool {
        self.seq += 1;
        for k in 0..self.parsed[idx as usize].labels.len() {
            let l = self.parsed[idx as usize].labels[k].clone();
            self.define_label(&l, exp);
        }
        let name = match &self.parsed[idx as usize].stmt {
            None => {
                // Labels only: nothing later needs the parsed line.
                self.line_done = true;
                return true;
            }
            Some(Stmt::Assign { name, expr }) => {
                let (name, expr) = (*name, expr.clone());
                self.set_symbol(name, &expr, exp);
                return true;
            }
            Some(Stmt::Op { name, .. }) => *name,
        };
        let text = self.sm.sources[name.src as usize].text.clone();
        let n = text
            .get(name.start as usize..name.end as usize)
            .unwrap_or("");
        if n.starts_with('.') {
            // Directives never re-enter their own line (block keywords are handled before
            // statements and `.include` reads a new buffer), so the line can be moved out
            // while it is processed.
            let line = std::mem::take(&mut self.parsed[idx as usize]);
            let args: &[Arg] = match &line.stmt {
                Some(Stmt::Op { args, .. }) => args,
                _ => &[],
            };
            let r = self.directive(src, n, name, args, idx, exp);
            self.parsed[idx as usize] = line;
            r
        } else {
            let sp = stmt_span(name, self.line_args(idx));
            self.instruction(n, name, idx, exp, sp)
        }
    }

    fn define_label(&mut self, l: &Label, exp: u32) {
        let at = self.at();
        self.secs[self.cur].used = true;
        match l {
            Label::Numeric(n, _) => {
                self.numlabels
                    .entry(*n)
                    .or_default()
                    .push((at.seq, at.sec, at.off));
            }
            Label::Named(sp) => {
                let name = self.text(*sp).to_string();
                if let Some(reason) = self.reserved_name(&name) {
                    let d = Diagnostic::error(*sp, format!("`{name}` cannot be used as a label"))
                        .label(reason);
                    self.error(d, exp);
                    return;
                }
                let id = self.sym_id(&name);
                let s = &mut self.symtab[id as usize];
                match (&s.def, s.span) {
                    (SymDef::Undef, _) => {
                        s.def = SymDef::Label {
                            sec: at.sec,
                            off: at.off,
                        };
                        s.span = Some(*sp);
                    }
                    (def, first) => {
                        let what = if matches!(def, SymDef::Label { .. }) {
                            "label"
                        } else {
                            "symbol"
                        };
                        let mut d = Diagnostic::error(*sp, format!("duplicate {what} `{name}`"))
                            .label("redefined here");
                        if let Some(f) = first {
                            d = d.with(f, "first defined here");
                        }
                        d = d.help("labels are global to the program; use a numeric local label (`1:` with `1b`/`1f`) for repeated names");
                        self.error(d, exp);
                    }
                }
            }
        }
    }

    /// Why `name` cannot be a symbol (registers, keywords), if it cannot.
    fn reserved_name(&self, name: &str) -> Option<&'static str> {
        if parse_gpr(name).is_some() {
            Some("this is a general register name")
        } else if parse_tile(name).is_some() {
            Some("this is a tile register name")
        } else if Space::from_name(name).is_some() {
            Some("this is a scratchpad keyword")
        } else {
            None
        }
    }

    fn sym_id(&mut self, name: &str) -> u32 {
        if let Some(&i) = self.syms.get(name) {
            return i;
        }
        let i = self.symtab.len() as u32;
        self.symtab.push(Sym {
            name: name.into(),
            def: SymDef::Undef,
            span: None,
            global: None,
        });
        self.syms.insert(name.into(), i);
        i
    }

    fn set_symbol(&mut self, name: Span, expr: &Expr, exp: u32) {
        let n = self.text(name).to_string();
        if let Some(reason) = self.reserved_name(&n) {
            let d =
                Diagnostic::error(name, format!("`{n}` cannot be used as a symbol")).label(reason);
            self.error(d, exp);
            return;
        }
        let at = self.at();
        let v = match self.eval(expr, at, false, 0) {
            Ok(v) => v,
            Err(EvalErr::Undefined(sp)) => {
                let s = self.text(sp).to_string();
                let d = Diagnostic::error(sp, format!("`{s}` is not defined at this point"))
                    .label("`.set` needs a value computable here")
                    .help("use `.equ` for definitions that refer to symbols defined later");
                self.error(d, exp);
                return;
            }
            Err(EvalErr::Reloc(sp)) => {
                let d = Diagnostic::error(
                    sp,
                    "value depends on a section address in a way the assembler cannot represent",
                )
                .label("only `label + constant` and `label - label` are allowed here");
                self.error(d, exp);
                return;
            }
            Err(EvalErr::Diag(d)) => {
                self.error(*d, exp);
                return;
            }
        };
        let id = self.sym_id(&n);
        let s = &mut self.symtab[id as usize];
        match &mut s.def {
            SymDef::Set(hist) => hist.push((at.seq, v)),
            SymDef::Undef => {
                s.def = SymDef::Set(vec![(at.seq, v)]);
                s.span = Some(name);
            }
            _ => {
                let first = s.span;
                let mut d = Diagnostic::error(
                    name,
                    format!("`{n}` is already defined and cannot be reassigned"),
                )
                .label("assigned here");
                if let Some(f) = first {
                    d = d.with(f, "defined here");
                }
                self.error(d, exp);
            }
        }
    }

    fn instruction(&mut self, n: &str, name: Span, idx: u32, exp: u32, stmt_sp: Span) -> bool {
        if !self.macros.is_empty() {
            if let Some(key) = self.macro_key(n) {
                // A macro body may invoke the same line again (recursion), so the
                // arguments are copied rather than moved out.
                let args: Vec<Arg> = self.line_args(idx).to_vec();
                self.invoke_macro(&key, stmt_sp, &args, exp);
                return false;
            }
        }
        let mn = match self.mnems.get(n) {
            Some(m) => *m,
            None => match self.mnems.get(n.to_ascii_lowercase().as_str()) {
                Some(m) => *m,
                None => {
                    let mut d = Diagnostic::error(name, format!("unknown instruction `{n}`"))
                        .label("not an instruction, pseudo-instruction or macro");
                    let cands = INSTRUCTIONS
                        .iter()
                        .map(|d| d.mnemonic)
                        .chain(PSEUDOS.iter().map(|p| p.0))
                        .chain(self.macros.keys().map(|k| &**k));
                    if let Some(s) = suggest(n, cands) {
                        d = d.help(format!("did you mean `{s}`?"));
                    } else if let Some(s) = suggest(&format!(".{n}"), DIRECTIVES.iter().copied()) {
                        d = d.help(format!("directives start with a dot: did you mean `{s}`?"));
                    }
                    self.error(d, exp);
                    return true;
                }
            },
        };
        let sec = &self.secs[self.cur];
        if sec.kind == SectionKind::Bss {
            let d = Diagnostic::error(name, "instructions are not allowed in `.bss`")
                .label("`.bss` holds only zero-initialised space")
                .help("switch to `.text` before this instruction");
            self.error(d, exp);
            return true;
        }
        if sec.size % 4 != 0 {
            let d = Diagnostic::error(
                name,
                format!(
                    "instruction at misaligned offset {} in `{}`",
                    sec.size, sec.name
                ),
            )
            .label("instructions must start on a 4-byte boundary")
            .help("insert `.align 4` before it");
            self.error(d, exp);
            return true;
        }
        let words = match mn {
            Mn::Real(_) => 1,
            Mn::Pseudo(Pseudo::La) => 2,
            Mn::Pseudo(Pseudo::Li) => {
                let at = self.at();
                match self.line_args(idx).get(1) {
                    Some(Arg::Expr(e)) => match self.eval(e, at, false, 0) {
                        Ok(Val { v, sec: None }) if (-8192..=8191).contains(&v) => 1,
                        _ => 2,
                    },
                    _ => 1,
                }
            }
            Mn::Pseudo(_) => 1,
        };
        let at = self.at();
        let loc = self.loc(name, exp);
        if let Some(ws) = self.encode_early(mn, name, idx, at, words) {
            self.stats.instructions += words as u64;
            for k in 0..words as u32 {
                self.early_rows.push(LineRow {
                    addr: at.off + 4 * k,
                    file: loc.0,
                    line: loc.1,
                    col: loc.2,
                });
                self.early_secs.push(at.sec);
            }
            if self.grow(4 * words as u64, name, exp) {
                for (k, w) in ws.iter().take(words as usize).enumerate() {
                    self.write(at.sec, at.off + 4 * k as u32, &w.to_le_bytes());
                }
            }
            self.line_done = true;
            return true;
        }
        self.items.push(Item {
            kind: ItemKind::Instr(mn, words),
            line: idx,
            at,
            exp,
            loc,
        });
        self.stats.instructions += words as u64;
        self.grow(4 * words as u64, name, exp);
        true
    }

    /// Encode an instruction in pass 1 if every operand is already known (registers,
    /// names, constants defined before this line). `None` leaves it to pass 2, which then
    /// reports any error exactly as it would have.
    fn encode_early(
        &mut self,
        mn: Mn,
        name: Span,
        idx: u32,
        at: At,
        words: u8,
    ) -> Option<[u32; 2]> {
        let ok = match mn {
            Mn::Real(d) => !d
                .operands
                .iter()
                .any(|o| matches!(o.kind, OperandKind::PcRel { .. })),
            Mn::Pseudo(p) => matches!(
                p,
                Pseudo::Nop | Pseudo::Mv | Pseudo::Not | Pseudo::Neg | Pseudo::Ret | Pseudo::Li
            ),
        };
        if !ok {
            return None;
        }
        self.early = true;
        let r = self.encode(mn, name, self.line_args(idx), at, 0, words);
        self.early = false;
        r.ok()
    }

    fn macro_key(&self, n: &str) -> Option<Box<str>> {
        if self.macros.contains_key(n) {
            return Some(n.into());
        }
        let l = n.to_ascii_lowercase();
        self.macros.contains_key(l.as_str()).then(|| l.into())
    }

    /// Reserve `n` bytes in the current section (zeros for now).
    fn grow(&mut self, n: u64, sp: Span, exp: u32) -> bool {
        let sec = &mut self.secs[self.cur];
        sec.used = true;
        if sec.size + n > MAX_SECTION {
            let name = sec.name.clone();
            let d = Diagnostic::error(
                sp,
                format!("section `{name}` would exceed {} MiB", MAX_SECTION >> 20),
            )
            .label(format!("this adds {n} bytes"));
            self.error(d, exp);
            return false;
        }
        sec.size += n;
        if sec.kind != SectionKind::Bss {
            sec.data.resize(sec.size as usize, 0);
        }
        true
    }

    fn emit_bytes(&mut self, bytes: &[u8], sp: Span, exp: u32) {
        if self.grow(bytes.len() as u64, sp, exp) {
            let sec = &mut self.secs[self.cur];
            if sec.kind != SectionKind::Bss {
                let start = sec.data.len() - bytes.len();
                sec.data[start..].copy_from_slice(bytes);
            }
        }
    }

    // ------------------------------------------------------------------ macros and .rept

    fn define_macro(&mut self, src: u32, li: u32, to: u32, kw: Span, exp: u32) -> u32 {
        let Some(end) = self.find_end(
            src,
            li,
            to,
            |b| matches!(b, Block::Macro),
            |b| matches!(b, Block::Endm),
        ) else {
            let d = Diagnostic::error(kw, "unterminated macro definition")
                .label("this `.macro` has no matching `.endm`")
                .help("add `.endm` after the macro body");
            self.error(d, exp);
            return to;
        };
        // Hand-parse `.macro name [p1[=default]] [,] p2 ...` from raw tokens.
        let toks: Vec<RawToken> = self.line_tokens(src, li).to_vec();
        let k = toks.iter().position(|t| t.start == kw.start).unwrap_or(0);
        let rest = &toks[k + 1..];
        let tspan = |t: &RawToken| Span {
            src,
            start: t.start,
            end: t.end,
        };
        let Some(name_tok) = rest.first().filter(|t| t.kind == Some(RawTok::Ident)) else {
            let d = Diagnostic::error(
                rest.first().map(tspan).unwrap_or(kw),
                "expected a macro name after `.macro`",
            )
            .label("macro name missing");
            self.error(d, exp);
            return end + 1;
        };
        let name = self.tok_text(src, name_tok).to_string();
        let name_sp = tspan(name_tok);
        let mut params: Vec<(Box<str>, Option<String>)> = Vec::new();
        let mut j = 1;
        let mut bad = None;
        while j < rest.len() {
            let t = &rest[j];
            match t.kind {
                Some(RawTok::Comma) => j += 1,
                Some(RawTok::Ident) if !self.tok_text(src, t).starts_with('.') => {
                    let p = self.tok_text(src, t).to_string();
                    j += 1;
                    let mut def = None;
                    if rest.get(j).and_then(|t| t.kind) == Some(RawTok::Eq) {
                        if let Some(v) = rest.get(j + 1).filter(|t| t.kind != Some(RawTok::Comma)) {
                            def = Some(self.tok_text(src, v).to_string());
                            j += 2;
                        } else {
                            bad = Some(tspan(&rest[j]));
                            break;
                        }
                    }
                    if params.iter().any(|(q, _)| **q == *p) {
                        bad = Some(tspan(t));
                        break;
                    }
                    params.push((p.into(), def));
                }
                _ => {
                    bad = Some(tspan(t));
                    break;
                }
            }
        }
        if let Some(sp) = bad {
            let d = Diagnostic::error(sp, "invalid macro parameter list")
                .label("expected a parameter name (optionally `name=default`)")
                .help("write `.macro name p1, p2` and use the parameters as `\\p1`, `\\p2`");
            self.error(d, exp);
            return end + 1;
        }
        if DIRECTIVES.iter().any(|d| lower_eq(d, &name)) || name.starts_with('.') {
            let d = Diagnostic::error(name_sp, format!("`{name}` cannot be a macro name"))
                .label("directives cannot be redefined");
            self.error(d, exp);
            return end + 1;
        }
        let body = {
            let start = self.line_range(src, li + 1).map(|l| l.0).unwrap_or(0);
            let end_b = self.line_range(src, end).map(|l| l.0).unwrap_or(start);
            (start, end_b.max(start))
        };
        let has_backslash = self.sm.sources[src as usize]
            .text
            .get(body.0 as usize..body.1 as usize)
            .is_some_and(|t| t.contains('\\'));
        if let Some(m) = self.macros.get(name.as_str()) {
            let d = Diagnostic::error(name_sp, format!("macro `{name}` is already defined"))
                .label("redefined here")
                .with(m.span, "first defined here");
            self.error(d, exp);
            return end + 1;
        }
        self.macros.insert(
            name.clone().into(),
            Macro {
                name: name.into(),
                params,
                src,
                body: (li + 1, end),
                has_backslash,
                span: name_sp,
            },
        );
        let _ = body;
        end + 1
    }

    fn invoke_macro(&mut self, key: &str, site: Span, args: &[Arg], exp: u32) {
        let Some(m) = self.macros.get(key) else {
            return;
        };
        let (msrc, body, has_bs, mspan) = (m.src, m.body, m.has_backslash, m.span);
        let mname = m.name.clone();
        let params = m.params.clone();
        if args.len() > params.len() {
            let extra = args[params.len()].span().to(args[args.len() - 1].span());
            let d = Diagnostic::error(
                extra,
                format!(
                    "macro `{mname}` takes {}, found {}",
                    plural(params.len(), "argument"),
                    args.len()
                ),
            )
            .label("unexpected argument")
            .with(mspan, "macro defined here");
            self.error(d, exp);
            return;
        }
        let mut values: Vec<String> = Vec::with_capacity(params.len());
        for (i, (p, def)) in params.iter().enumerate() {
            match (args.get(i), def) {
                (Some(a), _) => values.push(self.text(a.span()).to_string()),
                (None, Some(d)) => values.push(d.clone()),
                (None, None) => {
                    let d = Diagnostic::error(
                        site,
                        format!(
                            "macro `{mname}` takes {}, found {}",
                            plural(params.len(), "argument"),
                            args.len()
                        ),
                    )
                    .label(format!("missing a value for `\\{p}`"))
                    .with(mspan, "macro defined here");
                    self.error(d, exp);
                    return;
                }
            }
        }
        if self.macro_depth >= MAX_NEST {
            let d = Diagnostic::error(site, format!("macro expansion nested more than {MAX_NEST} levels deep"))
                .label(format!("expanding `{mname}` here"))
                .note("a macro that invokes itself needs a condition that stops the recursion; Loom assembly has none, so recursion never ends");
            self.error(d, exp);
            return;
        }
        self.stats.macro_expansions += 1;
        let loc = self.loc(site, exp);
        self.expansions.push(Expansion {
            name: mname.clone(),
            site,
            parent: exp,
            loc,
        });
        let eid = (self.expansions.len() - 1) as u32;
        let counter = self.macro_counter;
        self.macro_counter += 1;
        self.macro_depth += 1;
        if !has_bs {
            self.run(msrc, body.0, body.1, eid);
        } else {
            let start = self.line_range(msrc, body.0).map(|l| l.0).unwrap_or(0);
            let end = if body.1 > body.0 {
                self.line_range(msrc, body.1 - 1)
                    .map(|l| l.1)
                    .unwrap_or(start)
            } else {
                start
            };
            let text = self.sm.sources[msrc as usize].text.clone();
            let body_text = text.get(start as usize..end as usize).unwrap_or("");
            let (out, segments) = substitute(body_text, start, &params, &values, counter);
            let name = format!("<macro {mname}>");
            let src = self.add_source(
                name,
                out.into(),
                Origin::Expansion {
                    def: msrc,
                    segments,
                },
                None,
            );
            let n = self.nlines[src as usize];
            self.run(src, 0, n, eid);
        }
        self.macro_depth -= 1;
    }

    fn rept(&mut self, src: u32, li: u32, to: u32, kw: Span, exp: u32) -> u32 {
        let Some(end) = self.find_end(
            src,
            li,
            to,
            |b| matches!(b, Block::Rept),
            |b| matches!(b, Block::Endr),
        ) else {
            let d = Diagnostic::error(kw, "unterminated `.rept`")
                .label("this `.rept` has no matching `.endr`")
                .help("add `.endr` after the repeated lines");
            self.error(d, exp);
            return to;
        };
        self.stats.lines += 1;
        self.rept_lines.insert((src, li));
        let Some(idx) = self.parse_line(src, li, exp) else {
            return end + 1;
        };
        let line = self.parsed[idx as usize].clone();
        self.seq += 1;
        for l in &line.labels {
            self.define_label(l, exp);
        }
        let args: &[Arg] = match &line.stmt {
            Some(Stmt::Op { args, .. }) => args,
            _ => &[],
        };
        let n = match args {
            [Arg::Expr(e)] => match self.const1(e, exp, "`.rept` count") {
                Some(n) => n,
                None => return end + 1,
            },
            _ => {
                let d = Diagnostic::error(
                    stmt_span(kw, args),
                    "`.rept` takes one argument, the repeat count",
                )
                .label(format!("found {}", plural(args.len(), "argument")));
                self.error(d, exp);
                return end + 1;
            }
        };
        let esp = args[0].span();
        if n < 0 {
            let d = Diagnostic::error(
                esp,
                format!("`.rept` count must not be negative, found {n}"),
            )
            .label("negative repeat count");
            self.error(d, exp);
            return end + 1;
        }
        if n > MAX_REPT {
            let d = Diagnostic::error(
                esp,
                format!("`.rept` count {n} is too large (at most {MAX_REPT})"),
            )
            .label("repeat count");
            self.error(d, exp);
            return end + 1;
        }
        if self.rept_depth >= MAX_NEST {
            let d = Diagnostic::error(
                kw,
                format!("`.rept` nested more than {MAX_NEST} levels deep"),
            )
            .label("too deep");
            self.error(d, exp);
            return end + 1;
        }
        self.rept_depth += 1;
        for _ in 0..n {
            self.run(src, li + 1, end, exp);
            if self.budget_reported {
                break;
            }
        }
        self.rept_depth -= 1;
        end + 1
    }

    // ------------------------------------------------------------------ directives (pass 1)

    fn directive(
        &mut self,
        src: u32,
        n: &str,
        name: Span,
        args: &[Arg],
        idx: u32,
        exp: u32,
    ) -> bool {
        let l = n.to_ascii_lowercase();
        let sp = stmt_span(name, args);
        match l.as_str() {
            ".text" | ".data" | ".rodata" | ".bss" => {
                if let Some(a) = args.first() {
                    self.bad_arg(
                        a.span(),
                        format!("`{l}` takes no arguments"),
                        "unexpected argument",
                        exp,
                    );
                }
                self.switch_section(&l);
            }
            ".section" => self.section_directive(name, args, exp),
            ".global" | ".globl" => {
                if args.is_empty() {
                    self.bad_arg(
                        sp,
                        format!("`{l}` needs at least one symbol name"),
                        "no symbol given",
                        exp,
                    );
                }
                for a in args {
                    match a {
                        Arg::Expr(Expr::Ident(s)) => {
                            let t = self.text(*s).to_string();
                            let id = self.sym_id(&t);
                            self.symtab[id as usize].global.get_or_insert(*s);
                        }
                        _ => self.bad_arg(
                            a.span(),
                            format!("`{l}` expects symbol names"),
                            "not a symbol name",
                            exp,
                        ),
                    }
                }
            }
            ".equ" | ".set" => match args {
                [Arg::Expr(Expr::Ident(s)), Arg::Expr(e)] => {
                    if l == ".set" {
                        self.set_symbol(*s, e, exp);
                    } else {
                        self.equ(*s, idx, exp);
                    }
                }
                _ => self.bad_arg(
                    sp,
                    format!("`{l}` takes a symbol name and a value: `{l} NAME, EXPR`"),
                    "malformed arguments",
                    exp,
                ),
            },
            ".byte" | ".half" | ".hword" | ".short" | ".word" | ".long" | ".int" => {
                let size = match l.as_str() {
                    ".byte" => 1,
                    ".half" | ".hword" | ".short" => 2,
                    _ => 4,
                };
                self.data_values(
                    n,
                    name,
                    args,
                    idx,
                    exp,
                    DataKind::Int(size),
                    size as u64 * args.len() as u64,
                    0,
                );
            }
            ".fill" => self.fill(name, args, idx, exp),
            ".zero" | ".space" | ".skip" => {
                let (cnt, fill) = match args {
                    [Arg::Expr(c)] => (self.const1(c, exp, "size"), Some(0)),
                    [Arg::Expr(c), Arg::Expr(f)] => (
                        self.const1(c, exp, "size"),
                        self.const1(f, exp, "fill value"),
                    ),
                    _ => {
                        self.bad_arg(
                            sp,
                            format!("`{l}` takes a size and an optional fill byte"),
                            "malformed arguments",
                            exp,
                        );
                        return true;
                    }
                };
                let (Some(cnt), Some(fill)) = (cnt, fill) else {
                    return true;
                };
                if !(0..=MAX_SECTION as i64).contains(&cnt) {
                    self.bad_arg(
                        args[0].span(),
                        format!("`{l}` size must be 0..={MAX_SECTION}, found {cnt}"),
                        "invalid size",
                        exp,
                    );
                    return true;
                }
                if !(-128..=255).contains(&fill) {
                    self.bad_arg(
                        args[1].span(),
                        format!("fill value {fill} does not fit in a byte (-128..=255)"),
                        "out of range",
                        exp,
                    );
                    return true;
                }
                if fill != 0 && self.secs[self.cur].kind == SectionKind::Bss {
                    self.bss_data(name, exp);
                    return true;
                }
                let bytes = vec![fill as u8; cnt as usize];
                self.emit_bytes(&bytes, name, exp);
            }
            ".align" | ".balign" | ".p2align" => self.align(&l, name, args, exp),
            ".ascii" | ".asciz" | ".string" => {
                if args.is_empty() {
                    self.bad_arg(
                        sp,
                        format!("`{l}` needs at least one string"),
                        "no string given",
                        exp,
                    );
                }
                if self.secs[self.cur].kind == SectionKind::Bss {
                    self.bss_data(name, exp);
                    return true;
                }
                let mut bytes = Vec::new();
                for a in args {
                    match a {
                        Arg::Str(s) => {
                            let t = self.text(*s);
                            let body = t.get(1..t.len().saturating_sub(1)).unwrap_or("");
                            let _ = lexer::unescape(body, &mut bytes);
                            if l != ".ascii" {
                                bytes.push(0);
                            }
                        }
                        _ => self.bad_arg(
                            a.span(),
                            format!("`{l}` expects string literals"),
                            "not a string",
                            exp,
                        ),
                    }
                }
                self.emit_bytes(&bytes, name, exp);
            }
            ".tile" | ".scales" => {
                let what = if l == ".tile" {
                    "precision"
                } else {
                    "scale width"
                };
                let Some((Arg::Expr(p), vals)) = args.split_first() else {
                    self.bad_arg(
                        sp,
                        format!("`{l}` needs a {what} (1..8) followed by values"),
                        "missing arguments",
                        exp,
                    );
                    return true;
                };
                let Some(prec) = self.const1(p, exp, what) else {
                    return true;
                };
                if !(1..=8).contains(&prec) {
                    self.bad_arg(
                        p.span(),
                        format!("{what} must be 1..8 bits, found {prec}"),
                        "invalid width",
                        exp,
                    );
                    return true;
                }
                if vals.is_empty() {
                    self.bad_arg(
                        sp,
                        format!("`{l}` needs at least one value after the {what}"),
                        "no values",
                        exp,
                    );
                    return true;
                }
                let size = numfmt::packed_len(vals.len(), prec as u32) as u64;
                let kind = if l == ".tile" {
                    DataKind::Tile(prec as u8)
                } else {
                    DataKind::Scales(prec as u8)
                };
                self.data_values(n, name, args, idx, exp, kind, size, 1);
            }
            ".lut" => {
                let k = args.len();
                if !(2..=256).contains(&k) || !k.is_power_of_two() {
                    let d = Diagnostic::error(sp, format!("`.lut` needs a power-of-two number of entries between 2 and 256, found {k}"))
                        .label(format!("{k} {} here", if k == 1 { "entry" } else { "entries" }))
                        .help(format!("a LUT for b-bit codes has 2^b entries; pad to {}", k.max(2).next_power_of_two().min(256)));
                    self.error(d, exp);
                    return true;
                }
                self.data_values(n, name, args, idx, exp, DataKind::Lut, k as u64, 0);
            }
            ".rle" => self.rle(name, args, exp),
            ".include" => {
                match args {
                    [Arg::Str(s)] => self.include(src, *s, sp, exp),
                    _ => self.bad_arg(
                        sp,
                        "`.include` takes one file name in double quotes",
                        "expected `.include \"file.s\"`",
                        exp,
                    ),
                }
                return false;
            }
            _ => {
                let mut d = Diagnostic::error(name, format!("unknown directive `{n}`"))
                    .label("not a directive");
                if let Some(s) = suggest(n, DIRECTIVES.iter().copied()) {
                    d = d.help(format!("did you mean `{s}`?"));
                } else {
                    d = d.note("see docs/ASSEMBLY.md for the list of directives");
                }
                self.error(d, exp);
            }
        }
        true
    }

    fn bad_arg(&mut self, sp: Span, msg: impl Into<String>, label: &str, exp: u32) {
        let d = Diagnostic::error(sp, msg).label(label);
        self.error(d, exp);
    }

    fn bss_data(&mut self, name: Span, exp: u32) {
        let d = Diagnostic::error(name, "initialised data is not allowed in `.bss`")
            .label("`.bss` holds only zero-initialised space")
            .help("use `.zero N` here, or put the data in `.data`/`.rodata`");
        self.error(d, exp);
    }

    #[allow(clippy::too_many_arguments)]
    fn data_values(
        &mut self,
        n: &str,
        name: Span,
        args: &[Arg],
        idx: u32,
        exp: u32,
        kind: DataKind,
        size: u64,
        skip: usize,
    ) {
        if args.len() <= skip {
            self.bad_arg(
                stmt_span(name, args),
                format!("`{n}` needs at least one value"),
                "no values given",
                exp,
            );
            return;
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        for a in &args[skip..] {
            if !matches!(a, Arg::Expr(_)) {
                self.bad_arg(
                    a.span(),
                    format!("`{n}` expects numeric expressions"),
                    "not a number",
                    exp,
                );
                return;
            }
        }
        let at = self.at();
        if let DataKind::Int(s) = kind {
            if s > 1 && at.off % s as u32 != 0 {
                let d = Diagnostic::warning(
                    name,
                    format!("`{n}` data at offset {} is not {s}-byte aligned", at.off),
                )
                .label("unaligned")
                .note("loads and stores of this width trap on unaligned addresses")
                .help(format!("insert `.align {s}` before it"));
                let d = self.with_expansion(d, exp);
                self.warnings.push(d);
            }
        }
        let loc = self.loc(name, exp);
        if self.grow(size, name, exp) {
            self.items.push(Item {
                kind: ItemKind::Data(kind),
                line: idx,
                at,
                exp,
                loc,
            });
        }
    }

    fn fill(&mut self, name: Span, args: &[Arg], idx: u32, exp: u32) {
        let sp = stmt_span(name, args);
        let exprs: Vec<&Expr> = args
            .iter()
            .filter_map(|a| if let Arg::Expr(e) = a { Some(e) } else { None })
            .collect();
        if exprs.len() != args.len() || args.is_empty() || args.len() > 3 {
            self.bad_arg(
                sp,
                "`.fill` takes `COUNT[, SIZE[, VALUE]]`",
                "malformed arguments",
                exp,
            );
            return;
        }
        let Some(cnt) = self.const1(exprs[0], exp, "`.fill` count") else {
            return;
        };
        let size = match exprs.get(1) {
            Some(e) => match self.const1(e, exp, "`.fill` size") {
                Some(s) => s,
                None => return,
            },
            None => 1,
        };
        if !matches!(size, 1 | 2 | 4) {
            self.bad_arg(
                exprs[1].span(),
                format!("`.fill` size must be 1, 2 or 4, found {size}"),
                "invalid size",
                exp,
            );
            return;
        }
        if !(0..=(MAX_SECTION as i64) / size).contains(&cnt) {
            self.bad_arg(
                exprs[0].span(),
                format!(
                    "`.fill` count must be 0..={}, found {cnt}",
                    MAX_SECTION as i64 / size
                ),
                "invalid count",
                exp,
            );
            return;
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            let zero = match exprs.get(2) {
                Some(e) => self.const1(e, exp, "`.fill` value") == Some(0),
                None => true,
            };
            if !zero {
                self.bss_data(name, exp);
                return;
            }
            self.grow((cnt * size) as u64, name, exp);
            return;
        }
        let at = self.at();
        let loc = self.loc(name, exp);
        if self.grow((cnt * size) as u64, name, exp) {
            self.items.push(Item {
                kind: ItemKind::Data(DataKind::Fill {
                    n: cnt as u32,
                    size: size as u8,
                }),
                line: idx,
                at,
                exp,
                loc,
            });
        }
    }

    fn align(&mut self, l: &str, name: Span, args: &[Arg], exp: u32) {
        let sp = stmt_span(name, args);
        let (a, fill) = match args {
            [Arg::Expr(a)] => (self.const1(a, exp, "alignment"), None),
            [Arg::Expr(a), Arg::Expr(f)] => (
                self.const1(a, exp, "alignment"),
                self.const1(f, exp, "fill value"),
            ),
            _ => {
                self.bad_arg(
                    sp,
                    format!("`{l}` takes an alignment and an optional fill byte"),
                    "malformed arguments",
                    exp,
                );
                return;
            }
        };
        let Some(a) = a else {
            return;
        };
        let bytes = if l == ".p2align" {
            if !(0..=16).contains(&a) {
                self.bad_arg(
                    args[0].span(),
                    format!("`.p2align` exponent must be 0..=16, found {a}"),
                    "invalid alignment",
                    exp,
                );
                return;
            }
            1i64 << a
        } else {
            if !(1..=65536).contains(&a) || (a & (a - 1)) != 0 {
                self.bad_arg(
                    args[0].span(),
                    format!("alignment must be a power of two between 1 and 65536, found {a}"),
                    "invalid alignment",
                    exp,
                );
                return;
            }
            a
        };
        if let Some(f) = fill {
            if !(-128..=255).contains(&f) {
                self.bad_arg(
                    args[1].span(),
                    format!("fill value {f} does not fit in a byte (-128..=255)"),
                    "out of range",
                    exp,
                );
                return;
            }
        }
        let sec = &mut self.secs[self.cur];
        sec.align = sec.align.max(bytes as u32);
        let pad = (bytes as u64 - sec.size % bytes as u64) % bytes as u64;
        if pad == 0 {
            return;
        }
        if sec.kind == SectionKind::Bss {
            self.grow(pad, name, exp);
            return;
        }
        let mut v = vec![fill.unwrap_or(0) as u8; pad as usize];
        if fill.is_none() && sec.kind == SectionKind::Text && sec.size % 4 == 0 {
            let nop = bitloom_isa::Instr::new(
                Opcode::Addi,
                &[Operand::Gpr(0), Operand::Gpr(0), Operand::Imm(0)],
            )
            .and_then(|i| i.encode())
            .unwrap_or(0);
            for w in v.chunks_exact_mut(4) {
                w.copy_from_slice(&nop.to_le_bytes());
            }
        }
        self.emit_bytes(&v, name, exp);
    }

    fn rle(&mut self, name: Span, args: &[Arg], exp: u32) {
        let sp = stmt_span(name, args);
        if args.len() < 3 || args.iter().any(|a| !matches!(a, Arg::Expr(_))) {
            self.bad_arg(
                sp,
                "`.rle` takes `PREC, RUNBITS, v, ...`",
                "malformed arguments",
                exp,
            );
            return;
        }
        let ex = |a: &Arg| match a {
            Arg::Expr(e) => e.clone(),
            _ => Expr::Num(0, a.span()),
        };
        let Some(prec) = self.const1(&ex(&args[0]), exp, "precision") else {
            return;
        };
        if !(1..=8).contains(&prec) {
            self.bad_arg(
                args[0].span(),
                format!("precision must be 1..8 bits, found {prec}"),
                "invalid precision",
                exp,
            );
            return;
        }
        let Some(run) = self.const1(&ex(&args[1]), exp, "run-length width") else {
            return;
        };
        if !(1..=8).contains(&run) {
            self.bad_arg(
                args[1].span(),
                format!("run-length field width must be 1..8 bits, found {run}"),
                "invalid width",
                exp,
            );
            return;
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        let mut codes = Vec::with_capacity(args.len() - 2);
        let mut ok = true;
        for a in &args[2..] {
            let Some(v) = self.const1(&ex(a), exp, "`.rle` value") else {
                ok = false;
                continue;
            };
            match self.code(v, prec as u32, a.span(), "precision", true) {
                Ok(c) => codes.push(c),
                Err(d) => {
                    self.error(d, exp);
                    ok = false;
                }
            }
        }
        if ok {
            let bytes = rle::encode(&codes, prec as u32, run as u32);
            self.emit_bytes(&bytes, name, exp);
        }
    }

    /// Check a code for `bits` bits: 0..2^bits-1, or (if `signed_ok`) negative down to
    /// -2^(bits-1), stored two's complement.
    fn code(
        &self,
        v: i64,
        bits: u32,
        sp: Span,
        what: &str,
        signed_ok: bool,
    ) -> Result<u8, Diagnostic> {
        let hi = (1i64 << bits) - 1;
        let lo = if signed_ok { -(1i64 << (bits - 1)) } else { 0 };
        if v < lo || v > hi {
            let range = if signed_ok {
                format!("0..={hi} (or {lo}..=-1 as two's complement)")
            } else {
                format!("0..={hi}")
            };
            return Err(
                Diagnostic::error(sp, format!("value {v} does not fit in {bits} bits"))
                    .label(format!("out of range for {what} {bits}"))
                    .note(format!("{bits}-bit codes must be {range}")),
            );
        }
        Ok((v as u64 & hi as u64) as u8)
    }

    fn switch_section(&mut self, name: &str) {
        let kind = match name {
            n if n.starts_with(".text") => SectionKind::Text,
            n if n.starts_with(".rodata") => SectionKind::Rodata,
            n if n.starts_with(".data") => SectionKind::Data,
            _ => SectionKind::Bss,
        };
        self.cur = match self.secs.iter().position(|s| s.name == name) {
            Some(i) => i,
            None => {
                if self.secs.len() >= 250 {
                    return;
                }
                self.secs.push(Sec {
                    name: name.into(),
                    kind,
                    data: Vec::new(),
                    size: 0,
                    base: 0,
                    align: if kind == SectionKind::Text { 4 } else { 1 },
                    used: false,
                });
                self.secs.len() - 1
            }
        };
    }

    fn section_directive(&mut self, name: Span, args: &[Arg], exp: u32) {
        let sname = match args.first() {
            Some(Arg::Expr(Expr::Ident(s))) => self.text(*s).to_string(),
            Some(Arg::Str(s)) => {
                let t = self.text(*s);
                t.get(1..t.len().saturating_sub(1))
                    .unwrap_or("")
                    .to_string()
            }
            _ => {
                self.bad_arg(
                    stmt_span(name, args),
                    "`.section` needs a section name",
                    "expected `.section NAME`",
                    exp,
                );
                return;
            }
        };
        let ok = [".text", ".rodata", ".data", ".bss"]
            .iter()
            .any(|p| sname == *p || sname.starts_with(&format!("{p}.")));
        if !ok {
            let d = Diagnostic::error(args[0].span(), format!("unknown section `{sname}`"))
                .label("section kind cannot be inferred from this name")
                .help("section names must be `.text`, `.rodata`, `.data` or `.bss`, optionally followed by `.suffix` (e.g. `.rodata.luts`)");
            self.error(d, exp);
            return;
        }
        if self.secs.len() >= 250 && !self.secs.iter().any(|s| s.name == sname) {
            self.bad_arg(
                args[0].span(),
                "too many sections (at most 250)",
                "one too many",
                exp,
            );
            return;
        }
        self.switch_section(&sname);
    }

    fn equ(&mut self, name: Span, idx: u32, exp: u32) {
        let n = self.text(name).to_string();
        if let Some(reason) = self.reserved_name(&n) {
            let d =
                Diagnostic::error(name, format!("`{n}` cannot be used as a symbol")).label(reason);
            self.error(d, exp);
            return;
        }
        let at = self.at();
        let id = self.sym_id(&n);
        let s = &mut self.symtab[id as usize];
        if let SymDef::Undef = s.def {
            s.def = SymDef::Equ { line: idx, at };
            s.span = Some(name);
        } else {
            let first = s.span;
            let mut d =
                Diagnostic::error(name, format!("duplicate symbol `{n}`")).label("redefined here");
            if let Some(f) = first {
                d = d.with(f, "first defined here");
            }
            d = d.help("use `.set` (or `name = value`) for symbols that change value");
            self.error(d, exp);
        }
    }

    fn include(&mut self, src: u32, s: Span, sp: Span, exp: u32) {
        let t = self.text(s);
        let mut bytes = Vec::new();
        let _ = lexer::unescape(
            t.get(1..t.len().saturating_sub(1)).unwrap_or(""),
            &mut bytes,
        );
        let rel = String::from_utf8_lossy(&bytes).into_owned();
        // Directory of the including file (for expansions: of the macro's file).
        let mut s0 = src;
        for _ in 0..256 {
            match self.sm.sources.get(s0 as usize).map(|x| &x.origin) {
                Some(Origin::Expansion { def, .. }) => s0 = *def,
                _ => break,
            }
        }
        let base_dir = self.paths[s0 as usize]
            .as_ref()
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .unwrap_or_default();
        let mut tried = vec![base_dir.join(&rel)];
        for d in &self.opts.include_dirs {
            tried.push(d.join(&rel));
        }
        let Some(path) = tried.iter().find(|p| p.is_file()).cloned() else {
            let mut d = Diagnostic::error(s, format!("include file not found: `{rel}`"))
                .label("no such file");
            let list: Vec<String> = tried.iter().map(|p| p.display().to_string()).collect();
            d = d.note(format!("looked for: {}", list.join(", ")));
            d = d.help("include paths are relative to the including file");
            self.error(d, exp);
            return;
        };
        let canon = std::fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
        if let Some(pos) = self.include_stack.iter().position(|(p, _)| *p == canon) {
            let mut chain: Vec<String> = self.include_stack[pos..]
                .iter()
                .map(|(p, _)| {
                    p.file_name()
                        .map(|f| f.to_string_lossy().into_owned())
                        .unwrap_or_default()
                })
                .collect();
            chain.push(
                canon
                    .file_name()
                    .map(|f| f.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            );
            let mut d = Diagnostic::error(
                s,
                format!("include cycle: `{rel}` is already being included"),
            )
            .label("this would include it again");
            for (_, site) in self.include_stack[pos + 1..].iter() {
                d = d.with(*site, "included from here");
            }
            d = d.note(format!("cycle: {}", chain.join(" -> ")));
            self.error(d, exp);
            return;
        }
        if self.include_stack.len() >= MAX_NEST {
            let d = Diagnostic::error(
                sp,
                format!("includes nested more than {MAX_NEST} levels deep"),
            )
            .label("too deep");
            self.error(d, exp);
            return;
        }
        let text = match std::fs::read(&path) {
            Ok(b) => match String::from_utf8(b) {
                Ok(t) => t,
                Err(e) => {
                    let d =
                        Diagnostic::error(s, format!("`{}` is not valid UTF-8", path.display()))
                            .label(format!(
                                "invalid byte at offset {}",
                                e.utf8_error().valid_up_to()
                            ));
                    self.error(d, exp);
                    return;
                }
            },
            Err(e) => {
                let d = Diagnostic::error(s, format!("cannot read `{}`: {e}", path.display()))
                    .label("included here");
                self.error(d, exp);
                return;
            }
        };
        let name = path.display().to_string();
        let nsrc = self.add_source(name, text.into(), Origin::File, Some(path));
        self.include_stack.push((canon, s));
        let n = self.nlines[nsrc as usize];
        self.run(nsrc, 0, n, exp);
        self.include_stack.pop();
    }

    // ------------------------------------------------------------------ evaluation

    /// A constant needed in pass 1 (counts, sizes, precisions). Reports and returns `None`
    /// when it is not a constant known at this point.
    fn const1(&mut self, e: &Expr, exp: u32, what: &str) -> Option<i64> {
        let at = self.at();
        match self.eval(e, at, false, 0) {
            Ok(Val { v, sec: None }) => Some(v),
            Ok(_) | Err(EvalErr::Reloc(_)) => {
                let d = Diagnostic::error(e.span(), format!("{what} must be a constant"))
                    .label("this depends on a label address, which is not known until the program is laid out");
                self.error(d, exp);
                None
            }
            Err(EvalErr::Undefined(sp)) => {
                let s = self.text(sp).to_string();
                let d = if self.syms.contains_key(s.as_str())
                    || sp != e.span()
                        && self
                            .text(sp)
                            .chars()
                            .next()
                            .is_some_and(|c| c.is_ascii_digit())
                {
                    Diagnostic::error(
                        sp,
                        format!("{what} must be known here, but `{s}` is defined later"),
                    )
                    .label("forward reference")
                    .help("define the constant before this line")
                } else {
                    self.unknown_symbol(sp)
                };
                self.error(d, exp);
                None
            }
            Err(EvalErr::Diag(d)) => {
                self.error(*d, exp);
                None
            }
        }
    }

    fn unknown_symbol(&self, sp: Span) -> Diagnostic {
        let s = self.text(sp);
        let mut d =
            Diagnostic::error(sp, format!("unknown symbol `{s}`")).label("not defined anywhere");
        if parse_gpr(s).is_some() || parse_tile(s).is_some() {
            d = d.note(format!(
                "`{s}` is a register; registers cannot be used in expressions"
            ));
        } else if csr::by_name(s).is_some() {
            d = d.note(format!("`{s}` is a configuration register; CSR names are only valid as `csrr`/`cfg`/`cfgi` operands"));
        } else if let Some(c) = suggest(
            s,
            self.symtab
                .iter()
                .filter(|x| !matches!(x.def, SymDef::Undef))
                .map(|x| &*x.name),
        ) {
            d = d.help(format!("did you mean `{c}`?"));
        }
        d
    }

    fn section_base(&self, sec: u8) -> i64 {
        self.secs
            .get(sec as usize)
            .map(|s| s.base as i64)
            .unwrap_or(0)
    }

    /// Evaluate an expression. Pass 1 (`final_ == false`): labels are section offsets and
    /// forward references are `Undefined`. Pass 2: everything is absolute.
    fn eval(&self, e: &Expr, at: At, final_: bool, depth: u32) -> Result<Val, EvalErr> {
        Ok(match e {
            Expr::Num(v, _) => Val::abs(*v),
            Expr::Paren(inner, _) => self.eval(inner, at, final_, depth)?,
            Expr::Dot(_) => self.label_val(at.sec, at.off, final_),
            Expr::Param(sp) => {
                let p = self.text(*sp);
                return Err(Diagnostic::error(*sp, format!("`{p}` is not a macro parameter here"))
                    .label("no parameter of this name")
                    .note("`\\name` is replaced only inside a macro body, by the argument for parameter `name`")
                    .into());
            }
            Expr::Local(n, fwd, sp) => {
                let defs = self.numlabels.get(n).map(Vec::as_slice).unwrap_or(&[]);
                let i = defs.partition_point(|d| d.0 <= at.seq);
                let hit = if *fwd {
                    defs.get(i)
                } else {
                    i.checked_sub(1).and_then(|j| defs.get(j))
                };
                match hit {
                    Some(&(_, sec, off)) => self.label_val(sec, off, final_),
                    None if !final_ => return Err(EvalErr::Undefined(*sp)),
                    None => {
                        let dir = if *fwd { "after" } else { "before" };
                        return Err(Diagnostic::error(
                            *sp,
                            format!("no local label `{n}:` {dir} this line"),
                        )
                        .label(format!(
                            "`{n}{}` refers to the {} `{n}:`",
                            if *fwd { 'f' } else { 'b' },
                            if *fwd { "next" } else { "previous" }
                        ))
                        .into());
                    }
                }
            }
            Expr::Ident(sp) => {
                let name = self.text(*sp);
                let Some(&id) = self.syms.get(name) else {
                    return Err(EvalErr::Undefined(*sp));
                };
                let s = &self.symtab[id as usize];
                match &s.def {
                    SymDef::Undef => return Err(EvalErr::Undefined(*sp)),
                    SymDef::Label { sec, off } => self.label_val(*sec, *off, final_),
                    SymDef::Value(v) => Val::abs(*v),
                    SymDef::Set(hist) => {
                        let i = hist.partition_point(|h| h.0 <= at.seq);
                        let (_, v) = hist[i.saturating_sub(1).min(hist.len() - 1)];
                        match v.sec {
                            Some(sec) if final_ => Val::abs(v.v + self.section_base(sec)),
                            _ => v,
                        }
                    }
                    SymDef::Equ { line, at: eat } => {
                        if depth >= MAX_SYM_DEPTH {
                            return Err(Diagnostic::error(*sp, format!("definition of `{name}` is circular or nested too deeply"))
                                .label(format!("evaluating `{name}` needs itself (or more than {MAX_SYM_DEPTH} nested definitions)"))
                                .into());
                        }
                        let Some(Stmt::Op { args, .. }) = &self.parsed[*line as usize].stmt else {
                            return Err(EvalErr::Undefined(*sp));
                        };
                        let Some(Arg::Expr(ex)) = args.get(1) else {
                            return Err(EvalErr::Undefined(*sp));
                        };
                        self.eval(ex, *eat, final_, depth + 1)?
                    }
                }
            }
            Expr::Un(op, inner, _) => {
                let v = self.eval(inner, at, final_, depth)?;
                match op {
                    UnOp::Plus => v,
                    _ if v.sec.is_some() => return Err(EvalErr::Reloc(e.span())),
                    UnOp::Neg => Val::abs(v.v.wrapping_neg()),
                    UnOp::Not => Val::abs(!v.v),
                }
            }
            Expr::Bin(op, ab, sp) => {
                let a = self.eval(&ab.0, at, final_, depth)?;
                let b = self.eval(&ab.1, at, final_, depth)?;
                match (op, a.sec, b.sec) {
                    (_, None, None) => {}
                    (BinOp::Add, Some(s), None) => {
                        return Ok(Val {
                            v: a.v.wrapping_add(b.v),
                            sec: Some(s),
                        })
                    }
                    (BinOp::Add, None, Some(s)) => {
                        return Ok(Val {
                            v: a.v.wrapping_add(b.v),
                            sec: Some(s),
                        })
                    }
                    (BinOp::Sub, Some(s), None) => {
                        return Ok(Val {
                            v: a.v.wrapping_sub(b.v),
                            sec: Some(s),
                        })
                    }
                    (BinOp::Sub, Some(s), Some(t)) if s == t => {
                        return Ok(Val::abs(a.v.wrapping_sub(b.v)))
                    }
                    _ => return Err(EvalErr::Reloc(*sp)),
                }
                let (x, y) = (a.v, b.v);
                Val::abs(match op {
                    BinOp::Add => x.wrapping_add(y),
                    BinOp::Sub => x.wrapping_sub(y),
                    BinOp::Mul => x.wrapping_mul(y),
                    BinOp::Div | BinOp::Rem => {
                        if y == 0 {
                            let what = if *op == BinOp::Div {
                                "division"
                            } else {
                                "remainder"
                            };
                            return Err(Diagnostic::error(
                                ab.1.span(),
                                format!("{what} by zero in expression"),
                            )
                            .label("this evaluates to 0")
                            .with(*sp, "in this expression")
                            .into());
                        }
                        if *op == BinOp::Div {
                            x.wrapping_div(y)
                        } else {
                            x.wrapping_rem(y)
                        }
                    }
                    BinOp::And => x & y,
                    BinOp::Or => x | y,
                    BinOp::Xor => x ^ y,
                    BinOp::Shl => {
                        if !(0..64).contains(&y) {
                            return Err(shift_err(ab.1.span(), y));
                        }
                        x.wrapping_shl(y as u32)
                    }
                    BinOp::Shr => {
                        if !(0..64).contains(&y) {
                            return Err(shift_err(ab.1.span(), y));
                        }
                        x >> y
                    }
                })
            }
        })
    }

    fn label_val(&self, sec: u8, off: u32, final_: bool) -> Val {
        if final_ {
            Val::abs(self.section_base(sec) + off as i64)
        } else {
            Val {
                v: off as i64,
                sec: Some(sec),
            }
        }
    }

    /// Evaluate in pass 2 to an absolute value, turning every failure into a diagnostic.
    fn value(&self, e: &Expr, at: At) -> Result<i64, Diagnostic> {
        if self.early {
            // Pass 1 (see `encode_early`): only constants known here; the message is unused.
            return match self.eval(e, at, false, 0) {
                Ok(Val { v, sec: None }) => Ok(v),
                _ => Err(Diagnostic::error(e.span(), "")),
            };
        }
        match self.eval(e, at, true, 0) {
            Ok(v) => Ok(v.v),
            Err(EvalErr::Undefined(sp)) => Err(self.unknown_symbol(sp)),
            Err(EvalErr::Reloc(sp)) => Err(Diagnostic::error(
                sp,
                "invalid use of an address in an expression",
            )
            .label("not representable")),
            Err(EvalErr::Diag(d)) => Err(*d),
        }
    }

    // ------------------------------------------------------------------ layout

    fn layout(&mut self) {
        let mut addr = bitloom_isa::TEXT_BASE as u64;
        for kind in [
            SectionKind::Text,
            SectionKind::Rodata,
            SectionKind::Data,
            SectionKind::Bss,
        ] {
            for s in self.secs.iter_mut().filter(|s| s.kind == kind) {
                let a = s.align.max(16) as u64;
                addr = addr.div_ceil(a) * a;
                s.base = addr.min(u32::MAX as u64) as u32;
                addr += s.size;
            }
        }
        if addr > u32::MAX as u64 {
            let d = Diagnostic::error(
                Span::default(),
                "program does not fit in the 32-bit address space",
            )
            .label("here");
            self.diags.push(d);
        }
        // Resolve `.equ` values now that sections have addresses.
        for i in 0..self.symtab.len() {
            if let SymDef::Equ { line, at } = self.symtab[i].def {
                let exp = self
                    .items
                    .iter()
                    .find(|it| it.line == line)
                    .map(|it| it.exp)
                    .unwrap_or(NONE);
                let Some(Arg::Expr(ex)) = self.line_args(line).get(1) else {
                    continue;
                };
                match self.value(ex, at) {
                    Ok(v) => self.symtab[i].def = SymDef::Value(v),
                    Err(d) => {
                        self.error(d, exp);
                        self.symtab[i].def = SymDef::Value(0);
                    }
                }
            }
        }
    }

    // ------------------------------------------------------------------ pass 2

    pub(crate) fn pass2(&mut self) {
        self.layout();
        let items = std::mem::take(&mut self.items);
        let mut line_rows = std::mem::take(&mut self.early_rows);
        for (r, &sec) in line_rows.iter_mut().zip(&self.early_secs) {
            r.addr = r.addr.wrapping_add(self.section_base(sec) as u32);
        }
        self.early_secs = Vec::new();
        line_rows.reserve((self.stats.instructions as usize).saturating_sub(line_rows.len()));
        for it in &items {
            let Some(Stmt::Op { name, args }) = &self.parsed[it.line as usize].stmt else {
                continue;
            };
            match it.kind {
                ItemKind::Instr(mn, words) => {
                    let pc = self.section_base(it.at.sec) as u32 + it.at.off;
                    match self.encode(mn, *name, args, it.at, pc, words) {
                        Ok(ws) => {
                            for (k, w) in ws.iter().take(words as usize).enumerate() {
                                self.write(it.at.sec, it.at.off + 4 * k as u32, &w.to_le_bytes());
                                line_rows.push(LineRow {
                                    addr: pc + 4 * k as u32,
                                    file: it.loc.0,
                                    line: it.loc.1,
                                    col: it.loc.2,
                                });
                            }
                        }
                        Err(ds) => {
                            for d in ds {
                                self.error(d, it.exp);
                            }
                        }
                    }
                }
                ItemKind::Data(k) => match self.data(k, args, it.at) {
                    Ok(out) => self.write(it.at.sec, it.at.off, &out),
                    Err(ds) => {
                        for d in ds {
                            self.error(d, it.exp);
                        }
                    }
                },
            }
        }
        // Every instruction word has its own address, so an unstable sort gives the same
        // order (without a merge buffer).
        line_rows.sort_unstable_by_key(|r| r.addr);
        self.items = items;
        self.line_rows = line_rows;
    }

    fn write(&mut self, sec: u8, off: u32, bytes: &[u8]) {
        if let Some(s) = self.secs.get_mut(sec as usize) {
            if let Some(dst) = s.data.get_mut(off as usize..off as usize + bytes.len()) {
                dst.copy_from_slice(bytes);
            }
        }
    }

    fn data(&self, k: DataKind, args: &[Arg], at: At) -> Result<Vec<u8>, Vec<Diagnostic>> {
        let mut errs = Vec::new();
        let mut out: Vec<u8> = Vec::new();
        let exprs = args
            .iter()
            .filter_map(|a| if let Arg::Expr(e) = a { Some(e) } else { None });
        match k {
            DataKind::Int(size) => {
                let (lo, hi) = match size {
                    1 => (-128i64, 255i64),
                    2 => (-32768, 65535),
                    _ => (i32::MIN as i64, u32::MAX as i64),
                };
                for e in exprs {
                    match self.value(e, at) {
                        Ok(v) if v < lo || v > hi => errs.push(
                            Diagnostic::error(
                                e.span(),
                                format!(
                                    "value {v} does not fit in {}",
                                    plural(size as usize, "byte")
                                ),
                            )
                            .label(format!("must be {lo}..={hi}")),
                        ),
                        Ok(v) => out.extend_from_slice(&(v as u32).to_le_bytes()[..size as usize]),
                        Err(d) => errs.push(d),
                    }
                }
            }
            DataKind::Fill { n, size } => {
                let v = match args.get(2) {
                    Some(Arg::Expr(e)) => match self.value(e, at) {
                        Ok(v) => v,
                        Err(d) => return Err(vec![d]),
                    },
                    _ => 0,
                };
                let (lo, hi) = match size {
                    1 => (-128i64, 255i64),
                    2 => (-32768, 65535),
                    _ => (i32::MIN as i64, u32::MAX as i64),
                };
                if v < lo || v > hi {
                    let sp = args.get(2).map(Arg::span).unwrap_or_default();
                    return Err(vec![Diagnostic::error(
                        sp,
                        format!(
                            "fill value {v} does not fit in {}",
                            plural(size as usize, "byte")
                        ),
                    )
                    .label(format!("must be {lo}..={hi}"))]);
                }
                let b = (v as u32).to_le_bytes();
                out.reserve(n as usize * size as usize);
                for _ in 0..n {
                    out.extend_from_slice(&b[..size as usize]);
                }
            }
            DataKind::Tile(p) | DataKind::Scales(p) => {
                let tile = matches!(k, DataKind::Tile(_));
                let mut codes = Vec::with_capacity(args.len());
                for e in exprs.skip(1) {
                    match self.value(e, at).and_then(|v| {
                        self.code(
                            v,
                            p as u32,
                            e.span(),
                            if tile { "precision" } else { "scale width" },
                            tile,
                        )
                    }) {
                        Ok(c) => codes.push(c),
                        Err(d) => errs.push(d),
                    }
                }
                out = numfmt::pack(&codes, p as u32);
            }
            DataKind::Lut => {
                for e in exprs {
                    match self.value(e, at) {
                        Ok(v) if !(-128..=255).contains(&v) => errs.push(
                            Diagnostic::error(
                                e.span(),
                                format!("LUT entry {v} does not fit in a byte"),
                            )
                            .label("must be -128..=255")
                            .note(
                                "LUT entries are signed 8-bit values (or 0..=255 written unsigned)",
                            ),
                        ),
                        Ok(v) => out.push(v as u8),
                        Err(d) => errs.push(d),
                    }
                }
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok(out)
    }

    // ------------------------------------------------------------------ instruction encoding

    fn encode(
        &self,
        mn: Mn,
        name: Span,
        args: &[Arg],
        at: At,
        pc: u32,
        words: u8,
    ) -> Result<[u32; 2], Vec<Diagnostic>> {
        match mn {
            Mn::Real(d) => {
                let (ops, n) = self.operands(d, d.mnemonic, name, args, at, pc)?;
                Ok([self.finish(d.opcode, &ops[..n], name)?, 0])
            }
            Mn::Pseudo(p) => self.pseudo(p, name, args, at, pc, words),
        }
    }

    fn finish(&self, op: Opcode, ops: &[Operand], name: Span) -> Result<u32, Vec<Diagnostic>> {
        let w = bitloom_isa::Instr::new(op, ops)
            .and_then(|i| i.encode())
            .map_err(|e| vec![Diagnostic::error(name, e.to_string()).label("cannot encode")])?;
        if let (Opcode::Cfgi, [Operand::Csr(c), Operand::Imm(v)]) = (op, ops) {
            self.check_cfgi(*c, *v, name);
        }
        Ok(w)
    }

    /// `cfgi` with a constant the CSR cannot hold traps at run time: say so now.
    fn check_cfgi(&self, num: u8, v: i32, name: Span) {
        let Some(c) = bitloom_isa::csr::by_num(num) else {
            return;
        };
        let why = if c.access == bitloom_isa::csr::Access::ReadOnly {
            format!("`{}` is read-only", c.name)
        } else if (v as u32) < c.range.0 || (v as u32) > c.range.1 {
            format!("`{}` accepts {}..={}", c.name, c.range.0, c.range.1)
        } else {
            return;
        };
        let d = Diagnostic::warning(
            name,
            format!("`cfgi {}, {v}` will trap when executed", c.name),
        )
        .label(why)
        .note("the CsrWrite trap stops the program at this instruction");
        self.encode_warnings.borrow_mut().push(d);
    }

    fn arity_err(
        &self,
        mnemonic: &str,
        syntax: &str,
        name: Span,
        args: &[Arg],
        want: usize,
    ) -> Vec<Diagnostic> {
        let sp = if args.len() > want {
            args[want].span().to(args[args.len() - 1].span())
        } else {
            match args.last() {
                Some(a) => a.span(),
                None => name,
            }
        };
        let label = if args.len() > want {
            format!("{} too many", plural(args.len() - want, "operand"))
        } else {
            format!("{} missing", plural(want - args.len(), "operand"))
        };
        vec![Diagnostic::error(
            sp,
            format!(
                "`{mnemonic}` takes {}, found {}",
                plural(want, "operand"),
                args.len()
            ),
        )
        .label(label)
        .help(format!("syntax: `{syntax}`"))]
    }

    fn operands(
        &self,
        d: &InstrDef,
        mnemonic: &str,
        name: Span,
        args: &[Arg],
        at: At,
        pc: u32,
    ) -> Result<([Operand; 5], usize), Vec<Diagnostic>> {
        if args.len() != d.operands.len() || args.len() > 5 {
            return Err(self.arity_err(mnemonic, &d.syntax(), name, args, d.operands.len()));
        }
        let mut ops = [Operand::Imm(0); 5];
        let mut errs = Vec::new();
        for (i, (spec, a)) in d.operands.iter().zip(args).enumerate() {
            match self.operand(spec.kind, spec.name, i + 1, d.mnemonic, a, at, pc) {
                Ok(o) => ops[i] = o,
                Err(e) => errs.push(e),
            }
        }
        if errs.is_empty() {
            Ok((ops, args.len()))
        } else {
            Err(errs)
        }
    }

    /// Describe what an argument is, for "expected X, found Y" messages.
    fn describe(&self, a: &Arg) -> String {
        match a {
            Arg::Str(_) => "a string".into(),
            Arg::Mem(..) => "a memory operand".into(),
            Arg::Expr(Expr::Ident(sp)) => {
                let t = self.text(*sp);
                if parse_gpr(t).is_some() {
                    format!("general register `{t}`")
                } else if parse_tile(t).is_some() {
                    format!("tile register `{t}`")
                } else if Space::from_name(t).is_some() {
                    format!("scratchpad `{t}`")
                } else if csr::by_name(t).is_some() {
                    format!("configuration register `{t}`")
                } else {
                    format!("`{t}`")
                }
            }
            Arg::Expr(_) => "an expression".into(),
        }
    }

    fn kind_err(
        &self,
        a: &Arg,
        idx: usize,
        opname: &str,
        mnemonic: &str,
        kind: OperandKind,
    ) -> Diagnostic {
        Diagnostic::error(
            a.span(),
            format!(
                "operand {idx} (`{opname}`) of `{mnemonic}` must be {}",
                kind.describe()
            ),
        )
        .label(format!("found {}", self.describe(a)))
    }

    fn reg_name_err(
        &self,
        sp: Span,
        t: &str,
        kind: OperandKind,
        idx: usize,
        opname: &str,
        mnemonic: &str,
    ) -> Diagnostic {
        let lt = t.to_ascii_lowercase();
        let (prefix, max, cands): (char, u32, Vec<String>) = match kind {
            OperandKind::Tile => ('t', 15, (0..16).map(|i| format!("t{i}")).collect()),
            _ => (
                'r',
                31,
                (0..32)
                    .map(|i| format!("r{i}"))
                    .chain(GPR_ALIASES.iter().map(|a| a.0.to_string()))
                    .collect(),
            ),
        };
        if lt.len() > 1 && lt.starts_with(prefix) && lt[1..].bytes().all(|b| b.is_ascii_digit()) {
            return Diagnostic::error(sp, format!("unknown register `{t}`")).label(format!(
                "{} registers are {prefix}0..{prefix}{max}",
                if prefix == 't' { "tile" } else { "general" }
            ));
        }
        let mut d = Diagnostic::error(sp, format!("unknown register `{t}`")).label(format!(
            "operand {idx} (`{opname}`) of `{mnemonic}` must be {}",
            kind.describe()
        ));
        if let Some(s) = suggest(t, cands.iter().map(String::as_str)) {
            d = d.help(format!("did you mean `{s}`?"));
        }
        d
    }

    #[allow(clippy::too_many_arguments)]
    fn operand(
        &self,
        kind: OperandKind,
        opname: &str,
        idx: usize,
        mnemonic: &str,
        a: &Arg,
        at: At,
        pc: u32,
    ) -> Result<Operand, Diagnostic> {
        match kind {
            OperandKind::Gpr | OperandKind::Tile => {
                let Arg::Expr(Expr::Ident(sp)) = a else {
                    return Err(self.kind_err(a, idx, opname, mnemonic, kind));
                };
                let t = self.text(*sp);
                let r = if kind == OperandKind::Gpr {
                    parse_gpr(t)
                } else {
                    parse_tile(t)
                };
                match r {
                    Some(n) if kind == OperandKind::Gpr => Ok(Operand::Gpr(n)),
                    Some(n) => Ok(Operand::Tile(n)),
                    None => {
                        let other = if kind == OperandKind::Gpr {
                            parse_tile(t).is_some()
                        } else {
                            parse_gpr(t).is_some()
                        };
                        if other
                            || Space::from_name(t).is_some()
                            || csr::by_name(t).is_some()
                            || self.syms.contains_key(t)
                        {
                            Err(self.kind_err(a, idx, opname, mnemonic, kind))
                        } else {
                            Err(self.reg_name_err(*sp, t, kind, idx, opname, mnemonic))
                        }
                    }
                }
            }
            OperandKind::Space => {
                if let Arg::Expr(Expr::Ident(sp)) = a {
                    let t = self.text(*sp);
                    if let Some(s) = Space::from_name(t) {
                        return Ok(Operand::Space(s));
                    }
                    if parse_gpr(t).is_none()
                        && parse_tile(t).is_none()
                        && !self.syms.contains_key(t)
                    {
                        let mut d = Diagnostic::error(*sp, format!("unknown scratchpad `{t}`"))
                            .label("expected `wsp`, `asp` or `acc`");
                        if let Some(s) = suggest(t, Space::ALL.iter().map(|s| s.name())) {
                            d = d.help(format!("did you mean `{s}`?"));
                        }
                        return Err(d);
                    }
                }
                Err(self.kind_err(a, idx, opname, mnemonic, kind))
            }
            OperandKind::Csr => {
                let Arg::Expr(e) = a else {
                    return Err(self.kind_err(a, idx, opname, mnemonic, kind));
                };
                if let Expr::Ident(sp) = e {
                    let t = self.text(*sp);
                    if let Some(c) = csr::by_name(t) {
                        return Ok(Operand::Csr(c.num));
                    }
                    if !self.syms.contains_key(t) {
                        if parse_gpr(t).is_some()
                            || parse_tile(t).is_some()
                            || Space::from_name(t).is_some()
                        {
                            return Err(self.kind_err(a, idx, opname, mnemonic, kind));
                        }
                        let mut d =
                            Diagnostic::error(*sp, format!("unknown configuration register `{t}`"))
                                .label("not a CSR name");
                        if let Some(s) = suggest(t, csr::CSRS.iter().map(|c| c.name)) {
                            d = d.help(format!("did you mean `{s}`?"));
                        } else {
                            let names: Vec<&str> = csr::CSRS.iter().map(|c| c.name).collect();
                            d = d.note(format!("CSRs: {}", names.join(", ")));
                        }
                        return Err(d);
                    }
                }
                let v = self.value(e, at)?;
                match u8::try_from(v).ok().and_then(csr::by_num) {
                    Some(c) => Ok(Operand::Csr(c.num)),
                    None => Err(Diagnostic::error(
                        e.span(),
                        format!("no configuration register has number {v}"),
                    )
                    .label("undefined CSR number")
                    .help("use a CSR name such as `wprec`; see docs/ISA.md for the list")),
                }
            }
            OperandKind::Prec => {
                let e = self.expr_arg(a, idx, opname, mnemonic, kind)?;
                let v = self.value(e, at)?;
                if !(1..=8).contains(&v) {
                    return Err(Diagnostic::error(
                        e.span(),
                        format!("precision {v} out of range for `{mnemonic}`"),
                    )
                    .label("must be 1..=8 bits"));
                }
                Ok(Operand::Prec(v as u8))
            }
            OperandKind::Imm { .. } => {
                let e = self.expr_arg(a, idx, opname, mnemonic, kind)?;
                let v = self.value(e, at)?;
                let (lo, hi) = kind.value_range();
                if v < lo || v > hi {
                    let w = kind.width();
                    let sign = if matches!(kind, OperandKind::Imm { signed: true, .. }) {
                        "signed"
                    } else {
                        "unsigned"
                    };
                    return Err(Diagnostic::error(
                        e.span(),
                        format!("immediate {v} out of range for `{mnemonic}`"),
                    )
                    .label(format!("must be {lo}..={hi}"))
                    .note(format!("`{opname}` is a {w}-bit {sign} field")));
                }
                Ok(Operand::Imm(v as i32))
            }
            OperandKind::PcRel { .. } => {
                let e = self.expr_arg(a, idx, opname, mnemonic, kind)?;
                if self.early {
                    // The pc is not known in pass 1.
                    return Err(Diagnostic::error(e.span(), ""));
                }
                let t = self.value(e, at)?;
                self.pcrel(t, pc, kind, e.span(), mnemonic)
                    .map(Operand::PcRel)
            }
            OperandKind::Mem { .. } => {
                let (disp, base, sp) = match a {
                    Arg::Mem(db, sp) => (Some(&db.0), &db.1, *sp),
                    Arg::Expr(Expr::Paren(inner, sp)) if matches!(**inner, Expr::Ident(_)) => {
                        (None, &**inner, *sp)
                    }
                    _ => {
                        return Err(self.kind_err(a, idx, opname, mnemonic, kind).help(format!(
                            "write `disp(reg)` or `(reg)`, e.g. `{mnemonic} ..., 8(sp)`"
                        )))
                    }
                };
                let base = match base {
                    Expr::Ident(bs) => match parse_gpr(self.text(*bs)) {
                        Some(r) => r,
                        None => {
                            let t = self.text(*bs);
                            return Err(if parse_tile(t).is_some() || self.syms.contains_key(t) {
                                Diagnostic::error(*bs, format!("base of a memory operand must be a general register, found `{t}`"))
                                    .label("not a general register")
                            } else {
                                self.reg_name_err(*bs, t, OperandKind::Gpr, idx, opname, mnemonic)
                            });
                        }
                    },
                    other => {
                        return Err(Diagnostic::error(
                            other.span(),
                            "base of a memory operand must be a general register",
                        )
                        .label("not a register")
                        .with(sp, "in this memory operand"))
                    }
                };
                let d = match disp {
                    Some(e) => {
                        let v = self.value(e, at)?;
                        let (lo, hi) = kind.value_range();
                        if v < lo || v > hi {
                            return Err(Diagnostic::error(e.span(), format!("displacement {v} out of range for `{mnemonic}`"))
                                .label(format!("must be {lo}..={hi}"))
                                .help("compute the address into a register first (e.g. with `la` or `addi`)"));
                        }
                        v as i32
                    }
                    None => 0,
                };
                Ok(Operand::Mem { disp: d, base })
            }
        }
    }

    fn expr_arg<'a>(
        &self,
        a: &'a Arg,
        idx: usize,
        opname: &str,
        mnemonic: &str,
        kind: OperandKind,
    ) -> Result<&'a Expr, Diagnostic> {
        match a {
            Arg::Expr(e) => {
                if let Expr::Ident(sp) = e {
                    let t = self.text(*sp);
                    // Cheap name checks first: most identifiers here are labels.
                    if (parse_gpr(t).is_some()
                        || parse_tile(t).is_some()
                        || Space::from_name(t).is_some())
                        && !self.syms.contains_key(t)
                    {
                        return Err(self.kind_err(a, idx, opname, mnemonic, kind));
                    }
                }
                Ok(e)
            }
            _ => Err(self.kind_err(a, idx, opname, mnemonic, kind)),
        }
    }

    fn pcrel(
        &self,
        target: i64,
        pc: u32,
        kind: OperandKind,
        sp: Span,
        mnemonic: &str,
    ) -> Result<i32, Diagnostic> {
        // Addresses wrap at 32 bits, like the machine's pc arithmetic.
        let off = if (i32::MIN as i64..=u32::MAX as i64).contains(&target) {
            (target as u32).wrapping_sub(pc) as i32 as i64
        } else {
            target - pc as i64
        };
        let (lo, hi) = kind.value_range();
        if off % 4 != 0 {
            return Err(Diagnostic::error(
                sp,
                format!("branch target 0x{target:x} is not 4-byte aligned"),
            )
            .label(format!("offset {off} from 0x{pc:x} is not a multiple of 4"))
            .note("instructions are 4 bytes; targets must be word-aligned"));
        }
        if off < lo || off > hi {
            return Err(Diagnostic::error(
                sp,
                format!("branch target out of range for `{mnemonic}`"),
            )
            .label(format!(
                "offset {off} bytes, reachable range is {lo}..={hi}"
            ))
            .help(if kind.width() < 19 {
                "invert the condition and branch over a `j` to the target (`j` reaches ±1 MiB)"
            } else {
                "load the address with `la` and jump with `jalr`"
            }));
        }
        Ok(off as i32)
    }

    fn pseudo(
        &self,
        p: Pseudo,
        name: Span,
        args: &[Arg],
        at: At,
        pc: u32,
        words: u8,
    ) -> Result<[u32; 2], Vec<Diagnostic>> {
        let (mn, syntax) = (p.row().0, p.row().2);
        if args.len() != p.arity() {
            return Err(self.arity_err(mn, syntax, name, args, p.arity()));
        }
        let gpr = |i: usize| {
            self.operand(
                OperandKind::Gpr,
                ["rd", "rs", "rs2"][i.min(2)],
                i + 1,
                mn,
                &args[i],
                at,
                pc,
            )
        };
        let rel = |i: usize, bits: u8| {
            self.operand(
                OperandKind::PcRel { bits },
                "target",
                i + 1,
                mn,
                &args[i],
                at,
                pc,
            )
        };
        let one = |op: Opcode,
                   ops: Vec<Result<Operand, Diagnostic>>|
         -> Result<[u32; 2], Vec<Diagnostic>> {
            let mut v = Vec::new();
            let mut errs = Vec::new();
            for o in ops {
                match o {
                    Ok(o) => v.push(o),
                    Err(e) => errs.push(e),
                }
            }
            if !errs.is_empty() {
                return Err(errs);
            }
            Ok([self.finish(op, &v, name)?, 0])
        };
        let r = |n: u8| Ok(Operand::Gpr(n));
        match p {
            Pseudo::Nop => one(Opcode::Addi, vec![r(0), r(0), Ok(Operand::Imm(0))]),
            Pseudo::Mv => one(Opcode::Addi, vec![gpr(0), gpr(1), Ok(Operand::Imm(0))]),
            Pseudo::Not => one(Opcode::Xori, vec![gpr(0), gpr(1), Ok(Operand::Imm(-1))]),
            Pseudo::Neg => one(Opcode::Sub, vec![gpr(0), r(0), gpr(1)]),
            Pseudo::J => one(Opcode::Jal, vec![r(0), rel(0, 19)]),
            Pseudo::Call => one(Opcode::Jal, vec![r(1), rel(0, 19)]),
            Pseudo::Ret => one(
                Opcode::Jalr,
                vec![r(0), Ok(Operand::Mem { disp: 0, base: 1 })],
            ),
            Pseudo::Beqz => one(Opcode::Beq, vec![gpr(0), r(0), rel(1, 14)]),
            Pseudo::Bnez => one(Opcode::Bne, vec![gpr(0), r(0), rel(1, 14)]),
            Pseudo::Bgt => one(Opcode::Blt, vec![gpr(1), gpr(0), rel(2, 14)]),
            Pseudo::Ble => one(Opcode::Bge, vec![gpr(1), gpr(0), rel(2, 14)]),
            Pseudo::Bgtu => one(Opcode::Bltu, vec![gpr(1), gpr(0), rel(2, 14)]),
            Pseudo::Bleu => one(Opcode::Bgeu, vec![gpr(1), gpr(0), rel(2, 14)]),
            Pseudo::Li | Pseudo::La => {
                let rd = gpr(0);
                let v = match &args[1] {
                    Arg::Expr(e) => {
                        if let (Pseudo::Li, Expr::Ident(sp)) = (p, e) {
                            let t = self.text(*sp);
                            if !self.syms.contains_key(t)
                                && (parse_gpr(t).is_some() || parse_tile(t).is_some())
                            {
                                return Err(vec![self
                                    .kind_err(
                                        &args[1],
                                        2,
                                        "imm",
                                        mn,
                                        OperandKind::Imm {
                                            bits: 32,
                                            signed: true,
                                        },
                                    )
                                    .help("to copy a register use `mv rd, rs`")]);
                            }
                        }
                        self.value(e, at).and_then(|v| {
                            if (i32::MIN as i64..=u32::MAX as i64).contains(&v) {
                                Ok(v)
                            } else {
                                Err(Diagnostic::error(
                                    e.span(),
                                    format!("immediate {v} out of range for `{mn}`"),
                                )
                                .label(format!("must be {}..={}", i32::MIN, u32::MAX))
                                .note("`li` loads a 32-bit value"))
                            }
                        })
                    }
                    a => Err(self.kind_err(
                        a,
                        2,
                        if p == Pseudo::Li { "imm" } else { "sym" },
                        mn,
                        OperandKind::Imm {
                            bits: 32,
                            signed: true,
                        },
                    )),
                };
                let (rd, v) = match (rd, v) {
                    (Ok(rd), Ok(v)) => (rd, v),
                    (a, b) => return Err(a.err().into_iter().chain(b.err()).collect()),
                };
                let Operand::Gpr(rdn) = rd else {
                    return Err(vec![]);
                };
                if words == 1 {
                    // Pass 1 found a 14-bit constant.
                    return Ok([
                        self.finish(
                            Opcode::Addi,
                            &[rd, Operand::Gpr(0), Operand::Imm(v as i32)],
                            name,
                        )?,
                        0,
                    ]);
                }
                let (hi, lo) = split_hi_lo(v);
                Ok([
                    self.finish(Opcode::Lui, &[rd, Operand::Imm(hi)], name)?,
                    self.finish(
                        Opcode::Addi,
                        &[rd, Operand::Gpr(rdn), Operand::Imm(lo)],
                        name,
                    )?,
                ])
            }
        }
    }

    // ------------------------------------------------------------------ output

    pub(crate) fn finish_output(mut self) -> Result<Output, Diagnostics> {
        // Undefined globals.
        for s in &self.symtab {
            if let (SymDef::Undef, Some(g)) = (&s.def, s.global) {
                let mut d =
                    Diagnostic::error(g, format!("global symbol `{}` is never defined", s.name))
                        .label("declared global here");
                if let Some(c) = suggest(
                    &s.name,
                    self.symtab
                        .iter()
                        .filter(|x| !matches!(x.def, SymDef::Undef))
                        .map(|x| &*x.name),
                ) {
                    d = d.help(format!("did you mean `{c}`?"));
                }
                self.diags.push(d);
            }
        }
        let mut warnings = std::mem::take(&mut self.warnings);
        warnings.append(self.encode_warnings.get_mut());
        if !self.diags.is_empty() {
            let mut list = std::mem::take(&mut self.diags);
            list.append(&mut warnings);
            let sm = &self.sm;
            list.sort_by_key(|d| {
                let s = sm.to_file(d.span);
                (s.src, s.start)
            });
            let max = self.opts.max_errors.max(1);
            if list.len() > max {
                let dropped = list.len() - max;
                list.truncate(max);
                if let Some(last) = list.last_mut() {
                    last.notes
                        .push(format!("{dropped} more diagnostics not shown"));
                }
            }
            return Err(Diagnostics {
                list,
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
                list: warnings,
                sources: self.sm,
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

fn shift_err(sp: Span, y: i64) -> EvalErr {
    Diagnostic::error(sp, format!("shift amount {y} out of range"))
        .label("must be 0..=63")
        .into()
}

/// Span from a statement's name to its last argument.
fn stmt_span(name: Span, args: &[Arg]) -> Span {
    match args.last() {
        Some(a) => name.to(a.span()),
        None => name,
    }
}

/// Substitute macro parameters in `body` (which starts at byte `base` of its buffer).
fn substitute(
    body: &str,
    base: u32,
    params: &[(Box<str>, Option<String>)],
    values: &[String],
    counter: u32,
) -> (String, Vec<Segment>) {
    let mut out = String::with_capacity(body.len() + 16);
    let mut segs = Vec::new();
    let b = body.as_bytes();
    let mut i = 0;
    let mut lit_start = 0;
    let flush = |out: &mut String, segs: &mut Vec<Segment>, from: usize, to: usize| {
        if to > from {
            segs.push(Segment {
                exp: out.len() as u32,
                len: (to - from) as u32,
                orig: base + from as u32,
                orig_len: (to - from) as u32,
                verbatim: true,
            });
            out.push_str(&body[from..to]);
        }
    };
    while i < b.len() {
        if b[i] != b'\\' {
            i += 1;
            continue;
        }
        let start = i;
        let (rep, end): (Option<String>, usize) = if b.get(i + 1) == Some(&b'@') {
            (Some(counter.to_string()), i + 2)
        } else if b.get(i + 1) == Some(&b'(') && b.get(i + 2) == Some(&b')') {
            (Some(String::new()), i + 3)
        } else {
            let mut j = i + 1;
            while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_') {
                j += 1;
            }
            let id = &body[i + 1..j];
            match params.iter().position(|(p, _)| **p == *id) {
                Some(k) if j > i + 1 => (values.get(k).cloned(), j),
                _ => (None, j.max(i + 1)),
            }
        };
        if let Some(r) = rep {
            flush(&mut out, &mut segs, lit_start, start);
            segs.push(Segment {
                exp: out.len() as u32,
                len: r.len() as u32,
                orig: base + start as u32,
                orig_len: (end - start) as u32,
                verbatim: false,
            });
            out.push_str(&r);
            lit_start = end;
        }
        i = end;
    }
    flush(&mut out, &mut segs, lit_start, b.len());
    out.push('\n');
    segs.push(Segment {
        exp: out.len() as u32 - 1,
        len: 1,
        orig: base + b.len() as u32,
        orig_len: 1,
        verbatim: true,
    });
    (out, segs)
}

fn lex_diag(e: LexError, sp: Span) -> Diagnostic {
    match e {
        LexError::BadChar(c) => {
            Diagnostic::error(sp, format!("unexpected character `{}`", c.escape_default()))
                .label("not valid in Loom assembly")
        }
        LexError::BadNumber(m) => Diagnostic::error(sp, format!("invalid numeric literal: {m}"))
            .label("malformed number")
            .help(
                "numbers are decimal, 0x hex, 0b binary or 0o octal, with optional `_` separators",
            ),
        LexError::UntermStr => Diagnostic::error(sp, "unterminated string literal")
            .label("string starts here and runs to the end of the line")
            .help("add the closing `\"`"),
        LexError::UntermChar => Diagnostic::error(sp, "unterminated character literal")
            .label("character literal starts here and runs to the end of the line")
            .help("add the closing `'`"),
        LexError::BadEscape(m, a, b) => Diagnostic::error(
            Span {
                src: sp.src,
                start: sp.start + a,
                end: (sp.start + b).min(sp.end),
            },
            m,
        )
        .label("invalid escape")
        .help("valid escapes: \\n \\t \\r \\0 \\\\ \\' \\\" \\a \\b \\f \\v \\e \\xHH"),
        LexError::BadChar2(m) => Diagnostic::error(sp, m).label("invalid character literal"),
    }
}

fn describe_expected(e: &str) -> String {
    match e {
        "\"ident\"" => "a name".into(),
        "\"num\"" => "a number".into(),
        "\"local\"" => "a local label reference".into(),
        "\"string\"" => "a string".into(),
        "\"char\"" => "a character".into(),
        "\"param\"" => "a macro parameter".into(),
        other => format!("`{}`", other.trim_matches('"')),
    }
}

fn parse_diag(
    e: lalrpop_util::ParseError<usize, Tok<'_>, LexError>,
    src: u32,
    line: Span,
) -> Diagnostic {
    use lalrpop_util::ParseError as P;
    let expected_list = |exp: &[String]| {
        let has = |t: &str| exp.iter().any(|e| e == t);
        if has("\"num\"") && has("\"ident\"") {
            return "an expression".to_string();
        }
        if has("\",\"") && has("\"+\"") {
            return "`,`, an operator or the end of the line".to_string();
        }
        let mut v: Vec<String> = exp.iter().map(|s| describe_expected(s)).collect();
        v.dedup();
        if v.len() > 6 {
            "an operand, an operator or the end of the line".to_string()
        } else {
            v.join(", ")
        }
    };
    match e {
        P::UnrecognizedToken {
            token: (l, t, r),
            expected,
        } => {
            let sp = Span::new(src, l, r);
            let mut d = Diagnostic::error(sp, format!("syntax error: unexpected {t}"));
            d = if expected.is_empty() {
                d.label("unexpected here")
            } else {
                d.label(format!("expected {}", expected_list(&expected)))
            };
            if t == Tok::Colon {
                d = d.help("a label is a name or number followed by `:` at the start of a line");
            }
            if matches!(t, Tok::Ident(_)) && expected.iter().any(|e| e == "\",\"") {
                d = d.help("separate operands with commas");
            }
            d
        }
        P::UnrecognizedEof { location, expected } => {
            let sp = Span::new(
                src,
                location.max(line.start as usize),
                location.max(line.start as usize),
            );
            Diagnostic::error(sp, "syntax error: unexpected end of line")
                .label(format!("expected {}", expected_list(&expected)))
        }
        P::ExtraToken { token: (l, t, r) } => Diagnostic::error(
            Span::new(src, l, r),
            format!("syntax error: unexpected {t}"),
        )
        .label("extra token"),
        P::InvalidToken { location } => Diagnostic::error(
            Span::new(src, location, location + 1),
            "syntax error: invalid token",
        )
        .label("here"),
        P::User { error } => lex_diag(error, line),
    }
}
