//! Expression evaluation: pass-1 values (section offsets, forward references left open),
//! pass-2 absolute values, and the constants directives need while the program is read.

use crate::arith::{self, ArithErr};
use crate::ast::{Arg, BinOp, Expr, Stmt, UnOp};
use crate::diag::Diagnostic;
use crate::source::Span;

use super::{Asm, At, EvalErr, SymDef, Val, MAX_SYM_DEPTH};

impl<'o> Asm<'o> {
    /// A constant needed in pass 1 (counts, sizes, precisions). Reports and returns `None`
    /// when it is not a constant known at this point.
    pub(super) fn const1(&mut self, e: &Expr, exp: u32, what: &str) -> Option<i64> {
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
                    // Not seen yet: it may still be defined further down; `finish_output`
                    // turns this into the forward-reference error if it is.
                    let i = self.diags.len();
                    self.error(self.unknown_symbol(sp), exp);
                    if self.diags.len() > i {
                        self.maybe_forward.push((i, s, what.to_string()));
                    }
                    return None;
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

    pub(super) fn section_base(&self, sec: u8) -> i64 {
        self.secs
            .get(sec as usize)
            .map(|s| s.base as i64)
            .unwrap_or(0)
    }

    /// Evaluate an expression. Pass 1 (`final_ == false`): labels are section offsets and
    /// forward references are `Undefined`. Pass 2: everything is absolute.
    pub(super) fn eval(&self, e: &Expr, at: At, final_: bool, depth: u32) -> Result<Val, EvalErr> {
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
                    _ => Val::abs(
                        arith::unary(*op, v.v)
                            .map_err(|_| EvalErr::from(overflow_err(e.span())))?,
                    ),
                }
            }
            Expr::Bin(op, ab, sp) => {
                let a = self.eval(&ab.0, at, final_, depth)?;
                let b = self.eval(&ab.1, at, final_, depth)?;
                match (op, a.sec, b.sec) {
                    (_, None, None) => {}
                    (BinOp::Add, Some(s), None) | (BinOp::Add, None, Some(s)) => {
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
                match arith::binary(*op, a.v, b.v) {
                    Ok(v) => Val::abs(v),
                    Err(ArithErr::Overflow) => return Err(overflow_err(*sp).into()),
                    Err(ArithErr::Shift(y)) => return Err(shift_err(ab.1.span(), y)),
                    Err(ArithErr::DivZero { div }) => {
                        let what = if div { "division" } else { "remainder" };
                        return Err(Diagnostic::error(
                            ab.1.span(),
                            format!("{what} by zero in expression"),
                        )
                        .label("this evaluates to 0")
                        .with(*sp, "in this expression")
                        .into());
                    }
                }
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
    pub(super) fn value(&self, e: &Expr, at: At) -> Result<i64, Diagnostic> {
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
}

fn shift_err(sp: Span, y: i64) -> EvalErr {
    Diagnostic::error(sp, format!("shift amount {y} out of range"))
        .label("must be 0..=63")
        .into()
}

/// A 64-bit overflow in an expression (values are signed 64-bit; nothing wraps silently).
fn overflow_err(sp: Span) -> Diagnostic {
    Diagnostic::error(sp, "expression overflows 64 bits")
        .label("the result does not fit in a signed 64-bit value")
}
