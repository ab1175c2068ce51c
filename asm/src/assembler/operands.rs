//! Instruction operands: turning assembly arguments into `Operand`s by the instruction
//! table's operand kinds, with range checks and the "expected X, found Y" diagnostics.

use bitloom_isa::operand::GPR_ALIASES;
use bitloom_isa::{csr, InstrDef, Operand, OperandKind, Space};

use crate::ast::{Arg, Expr};
use crate::diag::Diagnostic;
use crate::lexer::{gpr as parse_gpr, tile as parse_tile};
use crate::pseudo::jump_target_kind;
use crate::source::Span;

use super::{plural, suggest, Asm, At, Val};

impl<'o> Asm<'o> {
    pub(super) fn arity_err(
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

    pub(super) fn operands(
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

    pub(super) fn kind_err(
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
    pub(super) fn operand(
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
                        if self.reserved_name(t).is_some() {
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
                    // Pass 1 knows offsets in sections, not addresses: a target already
                    // defined in the instruction's own section is encoded now (`pc` is the
                    // instruction's offset, and the distance is what layout keeps);
                    // anything else is left to pass 2.
                    return match self.eval(e, at, false, 0) {
                        Ok(Val { v, sec: Some(s) }) if s == at.sec => self
                            .pcrel(v, pc, kind, e.span(), mnemonic)
                            .map(Operand::PcRel),
                        _ => Err(Diagnostic::error(e.span(), "")),
                    };
                }
                let t = self.value(e, at)?;
                self.pcrel(t, pc, kind, e.span(), mnemonic)
                    .map(Operand::PcRel)
            }
            OperandKind::Mem { .. } => {
                let (disp, base, sp) = match a {
                    Arg::Mem(m) => (Some(&m.0), &m.1, m.2),
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
                    if self.reserved_name(t).is_some() && !self.syms.contains_key(t) {
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
            .help(if kind.width() < jump_target_kind().width() {
                "invert the condition and branch over a `j` to the target (`j` reaches ±1 MiB)"
            } else {
                "load the address with `la` and jump with `jalr`"
            }));
        }
        Ok(off as i32)
    }
}
