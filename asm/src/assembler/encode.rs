//! Pass 2: encode every instruction and data item left by pass 1 into the section buffers,
//! including the expansion of pseudo-instructions, and collect the line table.

use bitloom_isa::image::LineRow;
use bitloom_isa::table::def;
use bitloom_isa::{Opcode, Operand, OperandKind};

use crate::ast::{Arg, Expr, Stmt};
use crate::diag::Diagnostic;
use crate::lexer::{gpr as parse_gpr, tile as parse_tile};
use crate::pseudo::{split_hi_lo, Part, Pseudo};
use crate::source::Span;

use super::{Asm, At, ItemKind, Mn};

impl<'o> Asm<'o> {
    pub(crate) fn pass2(&mut self) {
        self.layout();
        let items = std::mem::take(&mut self.items);
        let mut line_rows = std::mem::take(&mut self.early_rows);
        for (r, &sec) in line_rows.iter_mut().zip(&self.early_secs) {
            r.addr = r.addr.wrapping_add(self.section_base(sec) as u32);
        }
        self.early_secs = Vec::new();
        line_rows.reserve((self.stats.instructions as usize).saturating_sub(line_rows.len()));
        for it in items.iter() {
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

    pub(super) fn encode(
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

    pub(super) fn finish(
        &self,
        op: Opcode,
        ops: &[Operand],
        name: Span,
    ) -> Result<u32, Vec<Diagnostic>> {
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

    pub(super) fn pseudo(
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
        let Some((op, parts)) = p.expansion() else {
            return self.li_la(p, name, args, at, pc, words);
        };
        // Operands come in the instruction's order and are read as its operand kinds; they
        // are named in messages by their place in the pseudo-instruction.
        let mut ops = Vec::with_capacity(parts.len());
        let mut errs = Vec::new();
        for (spec, part) in def(op).operands.iter().zip(parts) {
            let o = match *part {
                Part::Fixed(o) => Ok(o),
                Part::Arg(i) => {
                    let opname = match spec.kind {
                        OperandKind::PcRel { .. } => "target",
                        _ => ["rd", "rs", "rs2"][i.min(2)],
                    };
                    self.operand(spec.kind, opname, i + 1, mn, &args[i], at, pc)
                }
            };
            match o {
                Ok(o) => ops.push(o),
                Err(e) => errs.push(e),
            }
        }
        if !errs.is_empty() {
            return Err(errs);
        }
        Ok([self.finish(op, &ops, name)?, 0])
    }

    /// `li rd, imm` (one `addi` if pass 1 sized it as one word, else `lui` + `addi`) and
    /// `la rd, sym` (always `lui` + `addi`).
    fn li_la(
        &self,
        p: Pseudo,
        name: Span,
        args: &[Arg],
        at: At,
        pc: u32,
        words: u8,
    ) -> Result<[u32; 2], Vec<Diagnostic>> {
        let mn = p.row().0;
        // What `li`'s value operand is, for "must be an immediate" messages.
        const VALUE: OperandKind = OperandKind::Imm {
            bits: 32,
            signed: true,
        };
        let rd = self.operand(OperandKind::Gpr, "rd", 1, mn, &args[0], at, pc);
        let v = match &args[1] {
            Arg::Expr(e) => {
                if let (Pseudo::Li, Expr::Ident(sp)) = (p, e) {
                    let t = self.text(*sp);
                    if !self.syms.contains_key(t)
                        && (parse_gpr(t).is_some() || parse_tile(t).is_some())
                    {
                        return Err(vec![self
                            .kind_err(&args[1], 2, "imm", mn, VALUE)
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
            a => Err(self.kind_err(a, 2, if p == Pseudo::Li { "imm" } else { "sym" }, mn, VALUE)),
        };
        let (rd, v) = match (rd, v) {
            (Ok(rd), Ok(v)) => (rd, v),
            (a, b) => return Err(a.err().into_iter().chain(b.err()).collect()),
        };
        let Operand::Gpr(rdn) = rd else {
            return Err(vec![]);
        };
        if words == 1 {
            // Pass 1 found a constant in `addi`'s range (`li_short_range`).
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
