//! The expectation file `NAME.expect.toml` beside a program `NAME.s`: its schema, parsing
//! (unknown keys are errors, every error names `file:line:col`) and validation into an
//! [`Expect`] whose references (symbols, registers, CSRs, `.npy` files, hardware configs)
//! are resolved as far as they can be before the program runs. docs/TESTING.md is the
//! user-facing description of the format.

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use bitloom_asm::Define;
use bitloom_emu::hw::HwConfig;
use serde::Deserialize;
use toml::Spanned;

use super::expr::Expr;
use super::npy;
use super::variant::{self, RawVariant, Variant};

/// Byte range in an expectation file.
pub type Span = Range<usize>;

/// The text of an expectation file, to turn spans into `file:line:col`.
#[derive(Clone, Debug)]
pub struct SrcFile {
    /// The file.
    pub path: PathBuf,
    /// Its contents.
    pub text: Arc<str>,
}

impl SrcFile {
    /// `file:line:col` of a byte offset (1-based line and column, columns in characters).
    pub fn loc(&self, offset: usize) -> String {
        let off = offset.min(self.text.len());
        let before = self.text.get(..off).unwrap_or("");
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!("{}:{line}:{col}", self.path.display())
    }

    /// An error message located at `span`.
    pub fn err(&self, span: &Span, msg: impl std::fmt::Display) -> ExpectError {
        ExpectError(format!("{}: {msg}", self.loc(span.start)))
    }
}

/// A bad expectation file (the message names the place).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ExpectError(pub String);

// ---------------------------------------------------------------------------------------
// Raw schema (what serde reads)

#[derive(Clone, Copy, Debug, Deserialize)]
#[serde(untagged)]
enum Num {
    I(i64),
    F(f64),
}

impl Num {
    fn f(self) -> f64 {
        match self {
            Num::I(i) => i as f64,
            Num::F(f) => f,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    description: Option<String>,
    exit: Option<Spanned<i64>>,
    #[serde(default)]
    needs: Vec<Spanned<String>>,
    checked: Option<bool>,
    max_steps: Option<Spanned<u64>>,
    timeout: Option<Spanned<Num>>,
    #[serde(default)]
    defsym: BTreeMap<String, Spanned<RawDefine>>,
    hw: Option<Spanned<RawHw>>,
    trap: Option<RawTrap>,
    #[serde(default)]
    regs: BTreeMap<String, Spanned<i64>>,
    #[serde(default)]
    csrs: BTreeMap<String, Spanned<i64>>,
    #[serde(default)]
    mem: Vec<Spanned<RawArray>>,
    #[serde(default)]
    tile: Vec<Spanned<RawArray>>,
    cycles: Option<Spanned<RawBound>>,
    #[serde(default)]
    stats: BTreeMap<String, Spanned<RawBound>>,
    #[serde(default, rename = "assert")]
    asserts: Vec<RawAssert>,
    #[serde(default)]
    variant: Vec<Spanned<RawVariant>>,
}

/// A `[defsym]` value: an integer, or a string holding an expression of literals.
#[derive(Deserialize)]
#[serde(untagged)]
pub(super) enum RawDefine {
    Int(i64),
    Expr(String),
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawHw {
    File(String),
    Inline(toml::Table),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTrap {
    kind: Spanned<String>,
    symbol: Option<Spanned<String>>,
    line: Option<u32>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum RawTileRef {
    Num(u8),
    Name(String),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArray {
    symbol: Option<Spanned<String>>,
    addr: Option<u32>,
    tile: Option<Spanned<RawTileRef>>,
    offset: Option<i64>,
    #[serde(rename = "type")]
    ty: Option<Spanned<String>>,
    count: Option<usize>,
    shape: Option<Vec<usize>>,
    values: Option<Spanned<Vec<Num>>>,
    npy: Option<Spanned<String>>,
    max_abs: Option<Num>,
    sqnr_db: Option<Num>,
    scale: Option<Num>,
    zero_point: Option<Num>,
    codes: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBound {
    min: Option<Num>,
    max: Option<Num>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAssert {
    expr: Spanned<String>,
    message: Option<String>,
    perf: Option<bool>,
}

// ---------------------------------------------------------------------------------------
// Validated form

/// An expected trap.
#[derive(Clone, Debug)]
pub struct TrapExpect {
    /// Trap kind name as in docs/ISA.md §9 (`LutIndex`, ...).
    pub kind: String,
    /// Where it is written.
    pub kind_span: Span,
    /// The trapping instruction's address: a symbol with an optional `+offset`.
    pub symbol: Option<(String, u32, Span)>,
    /// The trapping instruction's source line (in the program's own file).
    pub line: Option<u32>,
}

/// Where an array expectation reads its values.
#[derive(Clone, Debug)]
pub enum Place {
    /// DRAM at a symbol plus a byte offset.
    Symbol {
        /// Symbol name.
        name: String,
        /// Byte offset added to it.
        offset: i64,
        /// Where the name is written.
        span: Span,
    },
    /// DRAM at an absolute address.
    Addr(u32),
    /// Tile register `t<n>` at the end of the run.
    Tile(u8),
}

/// Element type of a DRAM region.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Elem {
    /// Signed byte.
    I8,
    /// Unsigned byte.
    U8,
    /// Signed 16-bit little-endian.
    I16,
    /// Unsigned 16-bit little-endian.
    U16,
    /// Signed 32-bit little-endian.
    I32,
    /// Unsigned 32-bit little-endian.
    U32,
}

impl Elem {
    fn parse(s: &str) -> Option<Elem> {
        Some(match s {
            "i8" => Elem::I8,
            "u8" => Elem::U8,
            "i16" => Elem::I16,
            "u16" => Elem::U16,
            "i32" => Elem::I32,
            "u32" => Elem::U32,
            _ => return None,
        })
    }

    /// Bytes per element.
    pub fn size(self) -> usize {
        match self {
            Elem::I8 | Elem::U8 => 1,
            Elem::I16 | Elem::U16 => 2,
            Elem::I32 | Elem::U32 => 4,
        }
    }

    /// Name as written in the file.
    pub fn name(self) -> &'static str {
        match self {
            Elem::I8 => "i8",
            Elem::U8 => "u8",
            Elem::I16 => "i16",
            Elem::U16 => "u16",
            Elem::I32 => "i32",
            Elem::U32 => "u32",
        }
    }

    /// Decode little-endian bytes.
    pub fn decode(self, b: &[u8]) -> Vec<i64> {
        let n = self.size();
        b.chunks_exact(n)
            .map(|c| match self {
                Elem::I8 => c[0] as i8 as i64,
                Elem::U8 => c[0] as i64,
                Elem::I16 => i16::from_le_bytes([c[0], c[1]]) as i64,
                Elem::U16 => u16::from_le_bytes([c[0], c[1]]) as i64,
                Elem::I32 => i32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
                Elem::U32 => u32::from_le_bytes([c[0], c[1], c[2], c[3]]) as i64,
            })
            .collect()
    }
}

/// Where the expected values come from.
#[derive(Clone, Debug)]
pub enum Source {
    /// `values = [...]` in the file.
    Inline,
    /// A `.npy` file (resolved path).
    Npy(PathBuf),
}

/// A `[[mem]]` or `[[tile]]` expectation.
#[derive(Clone, Debug)]
pub struct ArrayExpect {
    /// `("mem", i)` or `("tile", i)`: its table in the file (for messages and `--update`).
    pub table: (&'static str, usize),
    /// What is compared.
    pub place: Place,
    /// Element type (DRAM regions).
    pub elem: Elem,
    /// Tiles: compare the raw codes instead of the decoded values.
    pub codes: bool,
    /// Shape for element indices (`[m][n]`), from `shape`, the `.npy` or the tile.
    pub shape: Option<Vec<usize>>,
    /// Expected values.
    pub expected: Vec<f64>,
    /// Whether every expected value is an integer (exact comparisons can be updated).
    pub integer: bool,
    /// Where they come from.
    pub source: Source,
    /// Largest allowed |dequantised actual − expected|.
    pub max_abs: Option<f64>,
    /// Smallest allowed SQNR in dB of the dequantised actual against the expected values.
    pub sqnr_db: Option<f64>,
    /// Dequantisation: actual values are compared as `(v − zero_point) · scale`.
    pub scale: f64,
    /// See `scale`.
    pub zero_point: f64,
    /// Where the table is written.
    pub span: Span,
}

impl ArrayExpect {
    /// Whether actual values are dequantised before comparing.
    pub fn dequantised(&self) -> bool {
        self.scale != 1.0 || self.zero_point != 0.0
    }

    /// A short name: `mem[0] (result)` / `tile[1] (t2)`.
    pub fn label(&self) -> String {
        let what = match &self.place {
            Place::Symbol { name, offset, .. } if *offset != 0 => format!("{name}+{offset}"),
            Place::Symbol { name, .. } => name.clone(),
            Place::Addr(a) => format!("0x{a:08x}"),
            Place::Tile(t) => format!("t{t}{}", if self.codes { " codes" } else { "" }),
        };
        format!("{}[{}] ({what})", self.table.0, self.table.1)
    }
}

/// A `min`/`max` bound.
#[derive(Clone, Debug)]
pub struct Bound {
    /// Lower bound (inclusive).
    pub min: Option<f64>,
    /// Upper bound (inclusive).
    pub max: Option<f64>,
    /// Where it is written.
    pub span: Span,
}

impl Bound {
    /// Whether `v` is within the bound.
    pub fn holds(&self, v: f64) -> bool {
        self.min.is_none_or(|m| v >= m) && self.max.is_none_or(|m| v <= m)
    }

    /// `>= a`, `<= b` or `in a..=b`.
    pub fn describe(&self) -> String {
        match (self.min, self.max) {
            (Some(a), Some(b)) => format!("{a} ..= {b}"),
            (Some(a), None) => format!(">= {a}"),
            (None, Some(b)) => format!("<= {b}"),
            (None, None) => "anything".into(),
        }
    }
}

/// An `[[assert]]` relation.
#[derive(Clone, Debug)]
pub struct Assert {
    /// The parsed expression.
    pub expr: Expr,
    /// Its text.
    pub text: String,
    /// Optional explanation printed on failure.
    pub message: Option<String>,
    /// A performance relation: not checked without the timing model or on a `--hw` config.
    pub perf: bool,
    /// Where it is written.
    pub span: Span,
}

/// A hardware configuration a test pins.
#[derive(Clone, Debug)]
pub struct PinnedHw {
    /// The configuration.
    pub config: Arc<HwConfig>,
    /// Where it came from (a file, or "inline").
    pub origin: String,
}

/// A validated expectation file.
#[derive(Clone, Debug)]
pub struct Expect {
    /// The file.
    pub file: SrcFile,
    /// Free text.
    pub description: Option<String>,
    /// Expected exit code (default 0 unless a trap is expected).
    pub exit: Option<u32>,
    /// Needs the timing model (`needs = ["timing"]`).
    pub needs_timing: bool,
    /// Always run in checked mode.
    pub checked: bool,
    /// Step budget of this test.
    pub max_steps: Option<u64>,
    /// Wall-clock limit of this test.
    pub timeout: Option<Duration>,
    /// Symbols the program is assembled with (`[defsym]`, as `-D NAME=VALUE`), by name.
    pub defines: Vec<Define>,
    /// Hardware the test needs.
    pub hw: Option<PinnedHw>,
    /// Expected trap.
    pub trap: Option<TrapExpect>,
    /// Expected registers: (name as written, number, value, span).
    pub regs: Vec<(String, u8, u32, Span)>,
    /// Expected CSRs: (name, number, value, span).
    pub csrs: Vec<(String, u8, u32, Span)>,
    /// Memory and tile expectations.
    pub arrays: Vec<ArrayExpect>,
    /// Bound on total cycles.
    pub cycles: Option<Bound>,
    /// Bounds on statistics, by dotted path into the `--stats-json` record.
    pub stats: Vec<(String, Bound)>,
    /// Relations.
    pub asserts: Vec<Assert>,
    /// `[[variant]]`s: the program runs once per variant (none: once).
    pub variants: Vec<Variant>,
}

/// Largest expectation file read (a bigger one, or a device such as `/dev/zero` behind
/// the name, is an error, not a read without end).
pub const MAX_EXPECT_BYTES: u64 = 64 << 20;

/// The text of an expectation file, at most [`MAX_EXPECT_BYTES`] of UTF-8.
pub fn read_text(path: &Path) -> Result<String, String> {
    bitloom_isa::srcfile::read_text_capped(path, MAX_EXPECT_BYTES)
}

fn to_u32(v: i64) -> Option<u32> {
    if (i32::MIN as i64..=u32::MAX as i64).contains(&v) {
        Some(v as u32)
    } else {
        None
    }
}

/// Split `name+off` / `name-off` / `name`.
pub fn split_symbol(s: &str) -> Option<(String, i64)> {
    let s = s.trim();
    let cut = s.find(['+', '-']);
    let (name, off) = match cut {
        Some(i) => {
            let off = parse_int(s[i + 1..].trim())?;
            (s[..i].trim(), if &s[i..=i] == "-" { -off } else { off })
        }
        None => (s, 0),
    };
    let ok = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == '.')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.$".contains(c));
    ok.then(|| (name.to_string(), off))
}

fn parse_int(s: &str) -> Option<i64> {
    let s = s.replace('_', "");
    if let Some(h) = s.strip_prefix("0x") {
        i64::from_str_radix(h, 16).ok()
    } else {
        s.parse().ok()
    }
}

/// Trap kind names accepted in `[trap] kind` (docs/ISA.md §9 plus the runner's own).
pub const TRAP_KINDS: &[&str] = &[
    "IllegalInstruction",
    "Breakpoint",
    "MisalignedAccess",
    "OutOfRange",
    "ScratchpadOverflow",
    "UndefinedTile",
    "TileMismatch",
    "TileShape",
    "CorruptRle",
    "LutIndex",
    "ClusterBits",
    "PrecisionRange",
    "FormatUnsupported",
    "CsrWrite",
    "CheckMismatch",
    "CycleLimit",
];

impl Expect {
    /// Read and validate `path`. Relative paths inside (`npy`, `hw`) are relative to it.
    pub fn load(path: &Path) -> Result<Expect, ExpectError> {
        let text = read_text(path)
            .map_err(|e| ExpectError(format!("{}: cannot read: {e}", path.display())))?;
        Expect::parse(path, &text)
    }

    /// Parse and validate the text of `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Expect, ExpectError> {
        let file = SrcFile {
            path: path.to_path_buf(),
            text: Arc::from(text),
        };
        let raw: Raw = toml::from_str(text).map_err(|e| {
            let at = e.span().map_or(0, |s| s.start);
            file.err(&(at..at), e.message().trim_end())
        })?;
        let dir = path.parent().unwrap_or(Path::new("."));
        let mut out = Expect {
            file: file.clone(),
            description: raw.description,
            exit: None,
            needs_timing: false,
            checked: raw.checked.unwrap_or(false),
            max_steps: None,
            timeout: None,
            defines: Vec::new(),
            hw: None,
            trap: None,
            regs: Vec::new(),
            csrs: Vec::new(),
            arrays: Vec::new(),
            cycles: None,
            stats: Vec::new(),
            asserts: Vec::new(),
            variants: Vec::new(),
        };
        if let Some(e) = raw.exit {
            let v = *e.get_ref();
            if !(0..=u32::MAX as i64).contains(&v) {
                return Err(file.err(&e.span(), "exit must be 0..=4294967295"));
            }
            out.exit = Some(v as u32);
        }
        for n in raw.needs {
            match n.get_ref().as_str() {
                "timing" => out.needs_timing = true,
                other => {
                    return Err(file.err(
                        &n.span(),
                        format!("unknown need `{other}` (known: \"timing\")"),
                    ))
                }
            }
        }
        if let Some(s) = raw.max_steps {
            if *s.get_ref() == 0 {
                return Err(file.err(&s.span(), "max_steps must be at least 1"));
            }
            out.max_steps = Some(*s.get_ref());
        }
        if let Some(t) = raw.timeout {
            let v = t.get_ref().f();
            if !(v > 0.0 && v < 1e7) {
                return Err(file.err(&t.span(), "timeout must be a positive number of seconds"));
            }
            out.timeout = Some(Duration::from_secs_f64(v));
        }
        out.defines = defsym_table(&file, raw.defsym, "[defsym]")?;
        if let Some(h) = raw.hw {
            let span = h.span();
            out.hw = Some(match h.into_inner() {
                RawHw::File(f) if f.starts_with(bitloom_emu::hw::PRESET_PREFIX) => {
                    let c = HwConfig::resolve(&f).map_err(|e| file.err(&span, e))?;
                    PinnedHw {
                        config: Arc::new(c),
                        origin: f,
                    }
                }
                RawHw::File(f) => {
                    let p = dir.join(&f);
                    let c = HwConfig::load(&p).map_err(|e| file.err(&span, e))?;
                    PinnedHw {
                        config: Arc::new(c),
                        origin: p.display().to_string(),
                    }
                }
                RawHw::Inline(t) => {
                    let s = toml::to_string(&t).map_err(|e| file.err(&span, e))?;
                    let c = HwConfig::parse(&s).map_err(|e| {
                        file.err(
                            &span,
                            e.to_string().replace("<string>: ", "inline [hw] table: "),
                        )
                    })?;
                    PinnedHw {
                        config: Arc::new(c),
                        origin: "inline [hw] table".into(),
                    }
                }
            });
        }
        if let Some(t) = raw.trap {
            let kind = t.kind.get_ref().clone();
            if !TRAP_KINDS.contains(&kind.as_str()) {
                return Err(file.err(
                    &t.kind.span(),
                    format!(
                        "unknown trap kind `{kind}` (one of: {})",
                        TRAP_KINDS.join(", ")
                    ),
                ));
            }
            let symbol = match t.symbol {
                Some(s) => {
                    let (name, off) = split_symbol(s.get_ref()).ok_or_else(|| {
                        file.err(&s.span(), "expected `symbol` or `symbol+offset`")
                    })?;
                    Some((name, off as u32, s.span()))
                }
                None => None,
            };
            if out.exit.is_some() {
                return Err(file.err(
                    &t.kind.span(),
                    "a test expects either an exit code or a trap, not both",
                ));
            }
            out.trap = Some(TrapExpect {
                kind,
                kind_span: t.kind.span(),
                symbol,
                line: t.line,
            });
        }
        out.variants = variant::validate(&file, raw.variant, out.trap.is_some())?;
        for (name, v) in raw.regs {
            let r = bitloom_isa::operand::parse_gpr(&name).ok_or_else(|| {
                file.err(
                    &v.span(),
                    format!("`{name}` is not a register (r0..r31, zero, ra, sp, fp)"),
                )
            })?;
            let val = to_u32(*v.get_ref())
                .ok_or_else(|| file.err(&v.span(), "register values are 32-bit"))?;
            out.regs.push((name, r, val, v.span()));
        }
        for (name, v) in raw.csrs {
            let d = bitloom_isa::csr::by_name(&name).ok_or_else(|| {
                file.err(
                    &v.span(),
                    format!("`{name}` is not a CSR (see docs/ISA.md §12)"),
                )
            })?;
            let val =
                to_u32(*v.get_ref()).ok_or_else(|| file.err(&v.span(), "CSR values are 32-bit"))?;
            out.csrs.push((name, d.num, val, v.span()));
        }
        for (i, a) in raw.mem.into_iter().enumerate() {
            out.arrays.push(array(&file, dir, "mem", i, a)?);
        }
        for (i, a) in raw.tile.into_iter().enumerate() {
            out.arrays.push(array(&file, dir, "tile", i, a)?);
        }
        if let Some(b) = raw.cycles {
            out.cycles = Some(bound(&file, b)?);
        }
        for (k, b) in raw.stats {
            if k.is_empty() || k.split('.').any(str::is_empty) {
                return Err(file.err(&b.span(), format!("`{k}` is not a dotted statistics path")));
            }
            out.stats.push((k, bound(&file, b)?));
        }
        for a in raw.asserts {
            let span = a.expr.span();
            let text = a.expr.get_ref().clone();
            // Offset of the string's contents: after the opening quote(s).
            let quote = file.text.get(span.start..).map_or(1, |s| {
                if s.starts_with("\"\"\"") || s.starts_with("'''") {
                    3
                } else {
                    1
                }
            });
            let expr = Expr::parse(&text).map_err(|(at, msg)| {
                file.err(
                    &(span.start + quote + at..span.end),
                    format!("in assert: {msg}"),
                )
            })?;
            out.asserts.push(Assert {
                expr,
                text,
                message: a.message,
                perf: a.perf.unwrap_or(false),
                span,
            });
        }
        Ok(out)
    }
}

/// A table of symbols (`[defsym]`, a variant's `defsym`) as assembler defines; `what`
/// names it in messages.
pub(super) fn defsym_table(
    file: &SrcFile,
    table: BTreeMap<String, Spanned<RawDefine>>,
    what: &str,
) -> Result<Vec<Define>, ExpectError> {
    let mut out = Vec::new();
    for (name, v) in table {
        let span = v.span();
        let d = match v.into_inner() {
            RawDefine::Int(value) => Define::parse(&name).map(|d| Define { value, ..d }),
            RawDefine::Expr(e) => Define::parse(&format!("{name}={e}")),
        };
        out.push(d.map_err(|e| file.err(&span, format!("{what} {name}: {e}")))?);
    }
    Ok(out)
}

fn bound(file: &SrcFile, b: Spanned<RawBound>) -> Result<Bound, ExpectError> {
    let span = b.span();
    let r = b.into_inner();
    if r.min.is_none() && r.max.is_none() {
        return Err(file.err(&span, "a bound needs `min`, `max` or both"));
    }
    Ok(Bound {
        min: r.min.map(Num::f),
        max: r.max.map(Num::f),
        span,
    })
}

fn array(
    file: &SrcFile,
    dir: &Path,
    table: &'static str,
    idx: usize,
    a: Spanned<RawArray>,
) -> Result<ArrayExpect, ExpectError> {
    let span = a.span();
    let a = a.into_inner();
    let place = if table == "tile" {
        if a.symbol.is_some() || a.addr.is_some() || a.offset.is_some() || a.ty.is_some() {
            return Err(file.err(
                &span,
                "[[tile]] takes `tile`, not `symbol`/`addr`/`offset`/`type`",
            ));
        }
        let t = a
            .tile
            .as_ref()
            .ok_or_else(|| file.err(&span, "[[tile]] needs `tile = N` (or \"tN\")"))?;
        let n = match t.get_ref() {
            RawTileRef::Num(n) => Some(*n).filter(|n| *n < 16),
            RawTileRef::Name(s) => bitloom_isa::operand::parse_tile(s),
        };
        Place::Tile(
            n.ok_or_else(|| file.err(&t.span(), "tile register must be 0..15 or \"t0\"..\"t15\""))?,
        )
    } else {
        if a.tile.is_some() || a.codes.is_some() {
            return Err(file.err(
                &span,
                "[[mem]] takes `symbol` or `addr`, not `tile`/`codes`",
            ));
        }
        match (&a.symbol, a.addr) {
            (Some(s), None) => {
                let (name, off) = split_symbol(s.get_ref())
                    .ok_or_else(|| file.err(&s.span(), "expected `symbol` or `symbol+offset`"))?;
                Place::Symbol {
                    name,
                    offset: off + a.offset.unwrap_or(0),
                    span: s.span(),
                }
            }
            (None, Some(addr)) => Place::Addr((addr as i64 + a.offset.unwrap_or(0)) as u32),
            _ => return Err(file.err(&span, "[[mem]] needs exactly one of `symbol` and `addr`")),
        }
    };
    let elem = match &a.ty {
        Some(t) => Elem::parse(t.get_ref())
            .ok_or_else(|| file.err(&t.span(), "type must be one of i8, u8, i16, u16, i32, u32"))?,
        None => Elem::I32,
    };
    let (expected, integer, source, npy_shape) = match (&a.values, &a.npy) {
        (Some(v), None) => {
            let integer = v.get_ref().iter().all(|n| matches!(n, Num::I(_)));
            (
                v.get_ref().iter().map(|n| n.f()).collect::<Vec<f64>>(),
                integer,
                Source::Inline,
                None,
            )
        }
        (None, Some(p)) => {
            let path = dir.join(p.get_ref());
            let arr = npy::read(&path).map_err(|e| file.err(&p.span(), e))?;
            (arr.data, arr.integer, Source::Npy(path), Some(arr.shape))
        }
        _ => {
            return Err(file.err(
                &span,
                format!("[[{table}]] needs exactly one of `values` and `npy`"),
            ))
        }
    };
    if let Some(c) = a.count {
        if c != expected.len() {
            return Err(file.err(
                &span,
                format!(
                    "count = {c} but {} expected values are given",
                    expected.len()
                ),
            ));
        }
    }
    if expected.is_empty() {
        return Err(file.err(&span, "no expected values"));
    }
    let shape = a.shape.clone().or(npy_shape.filter(|s| s.len() > 1));
    if let Some(s) = &shape {
        if s.iter().product::<usize>() != expected.len() {
            return Err(file.err(
                &span,
                format!("shape {s:?} does not hold {} values", expected.len()),
            ));
        }
    }
    let num = |n: Option<Num>, what: &str| -> Result<Option<f64>, ExpectError> {
        match n.map(Num::f) {
            Some(v) if !v.is_finite() => Err(file.err(&span, format!("{what} must be finite"))),
            v => Ok(v),
        }
    };
    let max_abs = num(a.max_abs, "max_abs")?;
    if max_abs.is_some_and(|v| v < 0.0) {
        return Err(file.err(&span, "max_abs must be >= 0"));
    }
    let sqnr_db = num(a.sqnr_db, "sqnr_db")?;
    let scale = num(a.scale, "scale")?.unwrap_or(1.0);
    let zero_point = num(a.zero_point, "zero_point")?.unwrap_or(0.0);
    if !integer && max_abs.is_none() && sqnr_db.is_none() {
        return Err(file.err(
            &span,
            "float expected values need a tolerance: `max_abs` and/or `sqnr_db`",
        ));
    }
    Ok(ArrayExpect {
        table: (table, idx),
        place,
        elem,
        codes: a.codes.unwrap_or(false),
        shape,
        expected,
        integer,
        source,
        max_abs,
        sqnr_db,
        scale,
        zero_point,
        span,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Expect, ExpectError> {
        Expect::parse(Path::new("t.expect.toml"), s)
    }

    #[test]
    fn full_file_parses() {
        let e = parse(
            r#"
description = "x"
exit = 3
needs = ["timing"]
max_steps = 1000
timeout = 2.5
[defsym]
N = -3
W = "1 << 4"
[regs]
r5 = -1
sp = 0x100
[csrs]
nnz = 4
[[mem]]
symbol = "out+4"
type = "u8"
values = [1, 2, 3, 4]
shape = [2, 2]
[[tile]]
tile = "t3"
values = [1.0, 2.5]
max_abs = 0.5
[cycles]
max = 1000
[stats]
"mac.lane_utilisation" = { min = 0.9 }
[[assert]]
expr = "mem.a[1] * 2 < cycles"
"#,
        )
        .unwrap();
        assert_eq!(e.exit, Some(3));
        assert!(e.needs_timing);
        let defs: Vec<(&str, i64)> = e
            .defines
            .iter()
            .map(|d| (d.name.as_str(), d.value))
            .collect();
        assert_eq!(defs, [("N", -3), ("W", 16)]);
        assert_eq!(e.regs[0].1, 5);
        assert_eq!(e.regs[0].2, u32::MAX);
        assert_eq!(e.regs[1].1, 2);
        assert_eq!(e.csrs[0].1, bitloom_isa::csr::NNZ);
        match &e.arrays[0].place {
            Place::Symbol { name, offset, .. } => assert_eq!((name.as_str(), *offset), ("out", 4)),
            p => panic!("{p:?}"),
        }
        assert_eq!(e.arrays[0].elem, Elem::U8);
        assert!(matches!(e.arrays[1].place, Place::Tile(3)));
        assert!(!e.arrays[1].integer);
        assert_eq!(e.cycles.as_ref().unwrap().max, Some(1000.0));
        assert_eq!(e.stats[0].0, "mac.lane_utilisation");
        assert_eq!(e.timeout, Some(Duration::from_millis(2500)));
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = parse("exit = 0\n[regs]\nr99 = 1\n").unwrap_err();
        assert!(e.0.starts_with("t.expect.toml:3:7:"), "{e}");
        assert!(e.0.contains("not a register"), "{e}");

        let e = parse("exit = 0\nbogus = 1\n").unwrap_err();
        assert!(e.0.starts_with("t.expect.toml:2:1:"), "{e}");
        assert!(e.0.contains("unknown field"), "{e}");

        let e = parse("[trap]\nkind = \"Lutindex\"\n").unwrap_err();
        assert!(e.0.starts_with("t.expect.toml:2:8:"), "{e}");

        let e = parse("[[assert]]\nexpr = \"r5 < < 3\"\n").unwrap_err();
        assert!(e.0.starts_with("t.expect.toml:2:14:"), "{e}");

        let e = parse("[[mem]]\nsymbol = \"x\"\nvalues = [1.5]\n").unwrap_err();
        assert!(e.0.contains("tolerance"), "{e}");

        let e = parse("exit = 1\n[trap]\nkind = \"LutIndex\"\n").unwrap_err();
        assert!(e.0.contains("not both"), "{e}");

        let e = parse("[[mem]]\nsymbol = \"x\"\nnpy = \"missing.npy\"\n").unwrap_err();
        assert!(e.0.starts_with("t.expect.toml:3:7:"), "{e}");
    }

    #[test]
    fn inline_hw_overrides_defaults() {
        let e = parse("[hw.mem]\nwsp_bytes = 4096\n").unwrap();
        let hw = e.hw.unwrap();
        assert_eq!(hw.config.mem.wsp_bytes, 4096);
        let e = parse("[hw.mem]\nwsp_byte = 4096\n").unwrap_err();
        assert!(e.0.contains("wsp_byte"), "{e}");
    }

    #[test]
    fn symbols_with_offsets() {
        assert_eq!(split_symbol("a+4"), Some(("a".into(), 4)));
        assert_eq!(split_symbol(" a - 0x10 "), Some(("a".into(), -16)));
        assert_eq!(split_symbol("+4"), None);
        assert_eq!(split_symbol("a+b"), None);
    }
}
