//! Directives in pass 1: the dispatch on the directive table (`crate::directive`), and the
//! directives that are not data: sections, symbols, space, alignment, strings, includes. Data
//! directives are in `data.rs`.

use bitloom_isa::image::SectionKind;

use crate::ast::{Arg, Expr};
use crate::diag::Diagnostic;
use crate::directive::{self, Kind};
use crate::lexer;
use crate::pseudo::Pseudo;
use crate::source::Span;

use super::{stmt_span, suggest, Asm, DataKind, Sec, MAX_SECTION};

impl<'o> Asm<'o> {
    /// Process directive `n` (the name as written). Returns `false` for `.include`, whose
    /// bytes come from other lines (see [`Asm::statement`]).
    pub(super) fn directive(
        &mut self,
        src: u32,
        n: &str,
        name: Span,
        args: &[Arg],
        idx: u32,
        exp: u32,
    ) -> bool {
        let Some(dir) = directive::lookup(n) else {
            self.unknown_directive(n, name, exp);
            return true;
        };
        // The name in lower case, for messages.
        let l = dir.name;
        let sp = stmt_span(name, args);
        match dir.kind {
            Kind::Section(kind) => {
                if let Some(a) = args.first() {
                    self.bad_arg(
                        a.span(),
                        format!("`{l}` takes no arguments"),
                        "unexpected argument",
                        exp,
                    );
                }
                self.switch_section(l, kind);
            }
            Kind::NamedSection => self.section_directive(name, args, exp),
            Kind::Global => self.global(l, sp, args, exp),
            Kind::Equ | Kind::Set => match args {
                [Arg::Expr(Expr::Ident(s)), Arg::Expr(e)] => {
                    if dir.kind == Kind::Set {
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
            Kind::Int(size) => self.data_values(
                n,
                name,
                args,
                idx,
                exp,
                DataKind::Int(size),
                size as u64 * args.len() as u64,
                0,
            ),
            Kind::Fill => self.fill(name, args, idx, exp),
            Kind::Zero => self.zero(l, name, args, exp),
            Kind::Align { pow2 } => self.align(l, pow2, name, args, exp),
            Kind::Ascii { nul } => self.ascii(l, nul, name, args, exp),
            Kind::Tile | Kind::Scales => {
                self.packed_codes(l, dir.kind == Kind::Tile, n, name, args, idx, exp)
            }
            Kind::Lut => self.lut(n, name, args, idx, exp),
            Kind::Rle => self.rle(name, args, exp),
            Kind::Incbin => self.incbin(src, name, args, exp),
            Kind::Npy => self.npy(src, name, args, exp),
            Kind::Include => {
                match args {
                    [Arg::Str(s)] => {
                        self.include(src, *s, sp, exp);
                        // Nothing later needs the `.include` line itself: let the line
                        // driver drop its parse (a million includes, a million parses).
                        self.line_done = true;
                    }
                    _ => self.bad_arg(
                        sp,
                        "`.include` takes one file name in double quotes",
                        "expected `.include \"file.s\"`",
                        exp,
                    ),
                }
                return false;
            }
            Kind::Err | Kind::Warning => self.message(l, dir.kind == Kind::Err, sp, args, exp),
            // Never reached: the line driver takes block and conditional keywords before
            // lines are parsed.
            Kind::Block(_) | Kind::Cond(_) => self.unknown_directive(n, name, exp),
        }
        // Directives done in pass 1 leave nothing that refers to their parsed line (those
        // that do: `.equ`, and data left to pass 2, which keep `idx` in an item or symbol).
        if matches!(
            dir.kind,
            Kind::Section(_)
                | Kind::NamedSection
                | Kind::Global
                | Kind::Set
                | Kind::Zero
                | Kind::Align { .. }
                | Kind::Ascii { .. }
                | Kind::Rle
                | Kind::Incbin
                | Kind::Npy
                | Kind::Err
                | Kind::Warning
        ) {
            self.line_done = true;
        }
        true
    }

    /// `.err`/`.error ["message"]` (an error at this line) and `.warning ["message"]`.
    fn message(&mut self, l: &str, error: bool, sp: Span, args: &[Arg], exp: u32) {
        let msg = match args {
            [] => format!("`{l}` reached"),
            [Arg::Str(s)] => {
                let mut bytes = Vec::new();
                let _ = lexer::unescape(self.str_body(*s), &mut bytes);
                String::from_utf8_lossy(&bytes).into_owned()
            }
            _ => {
                self.bad_arg(
                    sp,
                    format!("`{l}` takes an optional message in double quotes"),
                    "expected `\"message\"`",
                    exp,
                );
                return;
            }
        };
        if error {
            let d = Diagnostic::error(sp, msg)
                .label(format!("`{l}` in an assembled part of the source"));
            self.error(d, exp);
        } else {
            let d = Diagnostic::warning(sp, msg).label(format!("from `{l}`"));
            let d = self.with_expansion(d, exp);
            self.warnings.push(d);
        }
    }

    fn unknown_directive(&mut self, n: &str, name: Span, exp: u32) {
        let mut d =
            Diagnostic::error(name, format!("unknown directive `{n}`")).label("not a directive");
        if let Some(s) = suggest(n, directive::names()) {
            d = d.help(format!("did you mean `{s}`?"));
        } else {
            d = d.note("see docs/ASSEMBLY.md for the list of directives");
        }
        self.error(d, exp);
    }

    pub(super) fn bss_data(&mut self, name: Span, exp: u32) {
        let d = Diagnostic::error(name, "initialised data is not allowed in `.bss`")
            .label("`.bss` holds only zero-initialised space")
            .help("use `.zero N` here, or put the data in `.data`/`.rodata`");
        self.error(d, exp);
    }

    /// Is `f` a fill byte (-128..=255)? Reports it if not.
    fn fill_byte_ok(&mut self, f: i64, sp: Span, exp: u32) -> bool {
        if (-128..=255).contains(&f) {
            return true;
        }
        self.bad_arg(
            sp,
            format!("fill value {f} does not fit in a byte (-128..=255)"),
            "out of range",
            exp,
        );
        false
    }

    /// `.global`/`.globl NAME, ...`.
    fn global(&mut self, l: &str, sp: Span, args: &[Arg], exp: u32) {
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

    /// `.zero`/`.space`/`.skip SIZE[, FILL]`.
    fn zero(&mut self, l: &str, name: Span, args: &[Arg], exp: u32) {
        let (cnt, fill) = match args {
            [Arg::Expr(c)] => (self.const1(c, exp, "size"), Some(0)),
            [Arg::Expr(c), Arg::Expr(f)] => (
                self.const1(c, exp, "size"),
                self.const1(f, exp, "fill value"),
            ),
            _ => {
                self.bad_arg(
                    stmt_span(name, args),
                    format!("`{l}` takes a size and an optional fill byte"),
                    "malformed arguments",
                    exp,
                );
                return;
            }
        };
        let (Some(cnt), Some(fill)) = (cnt, fill) else {
            return;
        };
        if !(0..=MAX_SECTION as i64).contains(&cnt) {
            self.bad_arg(
                args[0].span(),
                format!("`{l}` size must be 0..={MAX_SECTION}, found {cnt}"),
                "invalid size",
                exp,
            );
            return;
        }
        // 0 (also the default when no fill is given) always fits.
        if fill != 0 && !self.fill_byte_ok(fill, args[1].span(), exp) {
            return;
        }
        if fill != 0 && self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        let bytes = vec![fill as u8; cnt as usize];
        self.emit_bytes(&bytes, name, exp);
    }

    /// `.align`/`.balign N[, FILL]` or `.p2align K[, FILL]` (`pow2`).
    fn align(&mut self, l: &str, pow2: bool, name: Span, args: &[Arg], exp: u32) {
        let (a, fill) = match args {
            [Arg::Expr(a)] => (self.const1(a, exp, "alignment"), None),
            [Arg::Expr(a), Arg::Expr(f)] => (
                self.const1(a, exp, "alignment"),
                self.const1(f, exp, "fill value"),
            ),
            _ => {
                self.bad_arg(
                    stmt_span(name, args),
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
        let bytes = if pow2 {
            if !(0..=16).contains(&a) {
                self.bad_arg(
                    args[0].span(),
                    format!("`{l}` exponent must be 0..=16, found {a}"),
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
            if !self.fill_byte_ok(f, args[1].span(), exp) {
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
        if fill.is_none() && sec.kind == SectionKind::Text && sec.size.is_multiple_of(4) {
            let nop = self
                .pseudo(Pseudo::Nop, name, &[], self.at(), 0, 1)
                .map_or(0, |w| w[0]);
            for w in v.chunks_exact_mut(4) {
                w.copy_from_slice(&nop.to_le_bytes());
            }
        }
        self.emit_bytes(&v, name, exp);
    }

    /// `.ascii` or (`nul`) `.asciz`/`.string` `"s", ...`.
    fn ascii(&mut self, l: &str, nul: bool, name: Span, args: &[Arg], exp: u32) {
        if args.is_empty() {
            self.bad_arg(
                stmt_span(name, args),
                format!("`{l}` needs at least one string"),
                "no string given",
                exp,
            );
        }
        if self.secs[self.cur].kind == SectionKind::Bss {
            self.bss_data(name, exp);
            return;
        }
        let mut bytes = Vec::new();
        for a in args {
            match a {
                Arg::Str(s) => {
                    let _ = lexer::unescape(self.str_body(*s), &mut bytes);
                    if nul {
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

    /// Make the section called `name` (of `kind`) current, creating it if needed.
    fn switch_section(&mut self, name: &str, kind: SectionKind) {
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
                    unaligned_at: None,
                });
                self.secs.len() - 1
            }
        };
    }

    /// `.section NAME` (a name or a string).
    fn section_directive(&mut self, name: Span, args: &[Arg], exp: u32) {
        let sname = match args.first() {
            Some(Arg::Expr(Expr::Ident(s))) => self.text(*s).to_string(),
            Some(Arg::Str(s)) => self.str_body(*s).to_string(),
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
        let Some(kind) = directive::section_kind(&sname) else {
            let d = Diagnostic::error(args[0].span(), format!("unknown section `{sname}`"))
                .label("section kind cannot be inferred from this name")
                .help("section names must be `.text`, `.rodata`, `.data` or `.bss`, optionally followed by `.suffix` (e.g. `.rodata.luts`)");
            self.error(d, exp);
            return;
        };
        if self.secs.len() >= 250 && !self.secs.iter().any(|s| s.name == sname) {
            self.bad_arg(
                args[0].span(),
                "too many sections (at most 250)",
                "one too many",
                exp,
            );
            return;
        }
        self.switch_section(&sname, kind);
    }
}
