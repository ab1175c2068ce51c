//! Symbols in pass 1: labels (named and numeric), `.equ`, `.set`/`=`, names that cannot be
//! symbols, and the "unknown symbol" diagnostic.

use bitloom_isa::{csr, Space};

use crate::ast::{Expr, Label};
use crate::diag::Diagnostic;
use crate::lexer::{gpr as parse_gpr, tile as parse_tile};
use crate::source::Span;

use super::{suggest, Asm, EvalErr, Sym, SymDef};

impl<'o> Asm<'o> {
    pub(super) fn define_label(&mut self, l: &Label, exp: u32) {
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
                if !self.name_ok(*sp, &name, "label", exp) {
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
                        match first {
                            Some(f) => d = d.with(f, "first defined here"),
                            None => d = predefined(d, &name),
                        }
                        d = d.help("labels are global to the program; use a numeric local label (`1:` with `1b`/`1f`) for repeated names");
                        self.error(d, exp);
                    }
                }
            }
        }
    }

    /// Can `name` (at `sp`) be a symbol? Reports why not ("cannot be used as a {what}").
    fn name_ok(&mut self, sp: Span, name: &str, what: &str, exp: u32) -> bool {
        let Some(reason) = self.reserved_name(name) else {
            return true;
        };
        let d = Diagnostic::error(sp, format!("`{name}` cannot be used as a {what}")).label(reason);
        self.error(d, exp);
        false
    }

    /// Why `name` cannot be a symbol (registers, keywords), if it cannot.
    pub(super) fn reserved_name(&self, name: &str) -> Option<&'static str> {
        reserved_name(name)
    }

    pub(super) fn sym_id(&mut self, name: &str) -> u32 {
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

    pub(super) fn set_symbol(&mut self, name: Span, expr: &Expr, exp: u32) {
        let n = self.text(name).to_string();
        if !self.name_ok(name, &n, "symbol", exp) {
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
                match first {
                    Some(f) => d = d.with(f, "defined here"),
                    None => d = predefined(d, &n),
                }
                self.error(d, exp);
            }
        }
    }

    pub(super) fn equ(&mut self, name: Span, idx: u32, exp: u32) {
        let n = self.text(name).to_string();
        if !self.name_ok(name, &n, "symbol", exp) {
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
            match first {
                Some(f) => {
                    d = d
                        .with(f, "first defined here")
                        .help("use `.set` (or `name = value`) for symbols that change value")
                }
                None => d = predefined(d, &n),
            }
            self.error(d, exp);
        }
    }

    pub(super) fn unknown_symbol(&self, sp: Span) -> Diagnostic {
        let s = self.text(sp);
        let mut d = Diagnostic::error(sp, format!("unknown symbol `{s}`"))
            .label(super::UNKNOWN_SYMBOL_LABEL);
        if parse_gpr(s).is_some() || parse_tile(s).is_some() {
            d = d.note(format!(
                "`{s}` is a register; registers cannot be used in expressions"
            ));
        } else if csr::by_name(s).is_some() {
            d = d.note(format!("`{s}` is a configuration register; CSR names are only valid as `csrr`/`cfg`/`cfgi` operands"));
        } else if let Some(c) = self.suggest_symbol(s) {
            d = d.help(format!("did you mean `{c}`?"));
        }
        d
    }

    /// The defined symbol whose name is closest to `name`, if one is close.
    pub(super) fn suggest_symbol(&self, name: &str) -> Option<&str> {
        suggest(
            name,
            self.symtab
                .iter()
                .filter(|x| !matches!(x.def, SymDef::Undef))
                .map(|x| &*x.name),
        )
    }
}

/// The note on a redefinition of a symbol predefined with `-D` (the only symbols that are
/// defined without a place in the source).
fn predefined(d: Diagnostic, name: &str) -> Diagnostic {
    d.note(format!(
        "`{name}` is predefined on the command line (`-D {name}`)"
    ))
    .help(format!(
        "to give it a default in the source, guard the definition with `.ifndef {name}` … `.endif`"
    ))
}

/// Why `name` cannot be a symbol (registers, keywords), if it cannot.
pub(crate) fn reserved_name(name: &str) -> Option<&'static str> {
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
