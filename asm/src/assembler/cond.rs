//! Conditional assembly: `.if`/`.ifdef`/`.ifndef`/`.elseif`/`.else`/`.endif`. The line
//! driver keeps one stack of open conditionals per run of lines (a file, a macro body, a
//! `.rept`/`.irp`/`.irpc` iteration) and hands every conditional keyword here, also in
//! skipped regions, where nothing else is parsed but nesting is still tracked.

use crate::ast::{Arg, Expr};
use crate::diag::Diagnostic;
use crate::directive::Cond;
use crate::source::Span;

use super::{Asm, SymDef, MAX_COND_NEST};

/// Where a conditional is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum State {
    /// The current branch is assembled.
    Active,
    /// No branch taken yet: a later `.elseif`/`.else` may be.
    Pending,
    /// A branch was taken (or the condition was in error): the rest is skipped.
    Done,
    /// Opened inside a skipped region: skipped whole, only its nesting counts.
    Dead,
}

/// One open conditional.
#[derive(Clone, Copy, Debug)]
pub(super) struct CondFrame {
    /// The opening keyword (`.if`, `.ifdef`, `.ifndef`).
    open: Span,
    /// Its `.else`, once seen.
    else_at: Option<Span>,
    state: State,
}

/// Are lines at this point assembled?
pub(super) fn active(conds: &[CondFrame]) -> bool {
    conds.last().is_none_or(|c| c.state == State::Active)
}

const SAME_RUN: &str = "a conditional must end in the same file, macro body or \
                        `.rept`/`.irp`/`.irpc` body that opens it";

impl<'o> Asm<'o> {
    /// Handle conditional keyword `c` (at `kw`) on line `li` of `src`.
    pub(super) fn cond(
        &mut self,
        src: u32,
        li: u32,
        c: Cond,
        kw: Span,
        conds: &mut Vec<CondFrame>,
        exp: u32,
    ) {
        let was_active = active(conds);
        let kwt = self.text(kw).to_ascii_lowercase();
        if matches!(c, Cond::If | Cond::Ifdef | Cond::Ifndef) {
            if conds.len() >= MAX_COND_NEST {
                let d = Diagnostic::error(
                    kw,
                    format!("conditionals nested more than {MAX_COND_NEST} levels deep"),
                )
                .label("too deep")
                .note("assembly stops here");
                self.error(d, exp);
                self.halted = true;
                return;
            }
            let state = if !was_active {
                State::Dead
            } else {
                match self.condition(src, li, c, kw, exp) {
                    Some(true) => State::Active,
                    Some(false) => State::Pending,
                    None => State::Done,
                }
            };
            conds.push(CondFrame {
                open: kw,
                else_at: None,
                state,
            });
            return;
        }
        let Some(top) = conds.last().copied() else {
            let d = Diagnostic::error(kw, format!("`{kwt}` without a matching `.if`"))
                .label("no `.if` is open here")
                .note(SAME_RUN);
            self.error(d, exp);
            return;
        };
        let opener = self.text(top.open).to_ascii_lowercase();
        if c == Cond::Endif {
            if was_active {
                self.no_args(src, li, kw, exp);
            }
            conds.pop();
            return;
        }
        if let Some(e) = top.else_at {
            let d = Diagnostic::error(kw, format!("`{kwt}` after `.else`"))
                .label("the `.else` branch must be the last")
                .with(e, "`.else` is here")
                .with(top.open, format!("in this `{opener}`"));
            self.error(d, exp);
            if let Some(t) = conds.last_mut() {
                if t.state != State::Dead {
                    t.state = State::Done;
                }
            }
            return;
        }
        let state = match (c, top.state) {
            (_, State::Dead) => State::Dead,
            (_, State::Active) => {
                if c == Cond::Else {
                    self.no_args(src, li, kw, exp);
                }
                State::Done
            }
            (_, State::Done) => State::Done,
            (Cond::Else, State::Pending) => {
                self.no_args(src, li, kw, exp);
                State::Active
            }
            (_, State::Pending) => match self.condition(src, li, Cond::If, kw, exp) {
                Some(true) => State::Active,
                Some(false) => State::Pending,
                None => State::Done,
            },
        };
        if let Some(t) = conds.last_mut() {
            t.state = state;
            if c == Cond::Else {
                t.else_at = Some(kw);
            }
        }
    }

    /// Report every conditional still open at the end of a run of lines.
    pub(super) fn unclosed_conds(&mut self, conds: &[CondFrame], exp: u32) {
        for f in conds {
            let kwt = self.text(f.open).to_ascii_lowercase();
            let mut d = Diagnostic::error(f.open, format!("`{kwt}` without a matching `.endif`"))
                .label(format!("this `{kwt}` is never closed"));
            if let Some(e) = f.else_at {
                d = d.with(e, "its `.else`");
            }
            d = d
                .note(SAME_RUN)
                .help("add `.endif` where the conditional part ends");
            self.error(d, exp);
        }
    }

    /// Parse a conditional line (kept as a keyword line, so a revisit sees it again) and
    /// define its labels. `None` if it does not parse.
    fn cond_line(&mut self, src: u32, li: u32, exp: u32) -> Option<u32> {
        self.kw_lines.insert((src, li));
        let idx = self.parse_line(src, li, exp)?;
        for k in 0..self.parsed[idx as usize].labels.len() {
            let l = self.parsed[idx as usize].labels[k].clone();
            self.define_label(&l, exp);
        }
        Some(idx)
    }

    /// `.else`/`.endif` take no arguments.
    fn no_args(&mut self, src: u32, li: u32, kw: Span, exp: u32) {
        let Some(idx) = self.cond_line(src, li, exp) else {
            return;
        };
        if let Some(a) = self.parsed[idx as usize].args().first() {
            let sp = a.span();
            let kwt = self.text(kw).to_ascii_lowercase();
            self.bad_arg(
                sp,
                format!("`{kwt}` takes no arguments"),
                "unexpected argument",
                exp,
            );
        }
    }

    /// The condition of `.if EXPR`/`.elseif EXPR` (nonzero is true) or `.ifdef NAME`/
    /// `.ifndef NAME` (a symbol defined before this line); `None` after an error.
    fn condition(&mut self, src: u32, li: u32, c: Cond, kw: Span, exp: u32) -> Option<bool> {
        let idx = self.cond_line(src, li, exp)?;
        let kwt = self.text(kw).to_ascii_lowercase();
        let args = self.parsed[idx as usize].args().to_vec();
        match (c, args.as_slice()) {
            (Cond::If | Cond::Elseif, [Arg::Expr(e)]) => {
                let v = self.const1(e, exp, &format!("`{kwt}` condition"))?;
                Some(v != 0)
            }
            (Cond::Ifdef | Cond::Ifndef, [Arg::Expr(Expr::Ident(sp))]) => {
                let name = self.text(*sp);
                let defined = self
                    .syms
                    .get(name)
                    .is_some_and(|&i| !matches!(self.symtab[i as usize].def, SymDef::Undef));
                Some(defined == (c == Cond::Ifdef))
            }
            (Cond::Ifdef | Cond::Ifndef, _) => {
                let sp = super::stmt_span(kw, &args);
                self.bad_arg(
                    sp,
                    format!("`{kwt}` takes one symbol name"),
                    "expected `NAME`",
                    exp,
                );
                None
            }
            _ => {
                let sp = super::stmt_span(kw, &args);
                self.bad_arg(
                    sp,
                    format!("`{kwt}` takes one expression"),
                    format!("found {}", super::plural(args.len(), "argument")).as_str(),
                    exp,
                );
                None
            }
        }
    }
}
