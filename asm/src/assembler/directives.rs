//! Directives in pass 1: the dispatch on the directive table, and the directives that are
//! not data (sections, symbols, alignment, strings, includes). Data directives are in
//! `data.rs`.

use bitloom_isa::image::SectionKind;
use bitloom_isa::{numfmt, Opcode, Operand};

use crate::ast::{Arg, Expr};
use crate::diag::Diagnostic;
use crate::lexer::{self};
use crate::source::Span;

use super::{stmt_span, suggest, Asm, DataKind, Sec, DIRECTIVES, MAX_SECTION};

impl<'o> Asm<'o> {
    pub(super) fn directive(
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

    pub(super) fn bss_data(&mut self, name: Span, exp: u32) {
        let d = Diagnostic::error(name, "initialised data is not allowed in `.bss`")
            .label("`.bss` holds only zero-initialised space")
            .help("use `.zero N` here, or put the data in `.data`/`.rodata`");
        self.error(d, exp);
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
}
