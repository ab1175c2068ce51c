//! The fast loop's own predecoded form of the text: one [`FastOp`] per word, specialised
//! for host speed, plus the length of the straight-line run each word starts.
//!
//! A `FastOp` names a *handler* rather than an opcode: `lui` and `auipc` become a constant
//! load (their value is known once the address is), branch and `jal` targets are stored as
//! table indices (one outside the text makes the branch a bail), shift amounts are pre-masked, and a destination `r0` is redirected
//! to a scratch register slot (32) so the loop never has to re-zero `r0`; `dbnz r0`, which
//! can never branch, becomes a no-op of the branch class. Accelerator instructions are
//! [`Handler::Accel`]: the fast loop runs them through the same semantics the general path
//! calls (`machine/accel_step.rs`). Anything else the fast loop does not run (CSR and
//! system instructions, undecodable words) is [`Handler::Bail`].
//!
//! An ALU word followed by a `dbnz` gets a *fused* handler (a superinstruction: the
//! counted-loop tail in one dispatch) that also runs the `dbnz`, read from the next word,
//! which keeps its own plain form for code that jumps to it.
//!
//! A word's *run* ([`FastText::runs`]) is the number of instructions from it up to and
//! including the next *terminator* (a branch, a jump or a bail) — what the fast loop
//! executes without looking at its budget or breakpoints once it has checked them for the
//! whole run at its start. Fusing never changes runs: a pair ends its run, as its `dbnz`
//! does. One bail sentinel follows the last word, so running off the end of the text stops
//! at it.
//!
//! The table is rebuilt for exactly the words a DRAM write touches ([`Machine::redecode`],
//! the one place predecoded text changes); the runs of the words before them are
//! recomputed back to the previous terminator, and the word before them is re-fused.

use bitloom_isa::table::def;
use bitloom_isa::{Class, Opcode};

use super::Op;

/// What the fast loop does for one word. The class each handler counts under is
/// [`Handler::class`]; [`FastOp::from_op`] only builds a handler whose class equals the
/// instruction table's class for the opcode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(missing_docs)]
pub(crate) enum Handler {
    Add,
    Sub,
    And,
    Or,
    Xor,
    Sll,
    Srl,
    Sra,
    Slt,
    Sltu,
    Mul,
    Mulh,
    Mulhu,
    Div,
    Divu,
    Rem,
    Remu,
    Addi,
    Andi,
    Ori,
    Xori,
    Slti,
    Sltiu,
    Slli,
    Srli,
    Srai,
    /// `rd = imm` (`lui`, and `auipc` with its address folded in).
    Li,
    Lb,
    Lbu,
    Lh,
    Lhu,
    Lw,
    Sb,
    Sh,
    Sw,
    Beq,
    Bne,
    Blt,
    Bge,
    Bltu,
    Bgeu,
    Dbnz,
    /// `dbnz r0, …`: writes nothing, never branches.
    BranchNop,
    Jal,
    Jalr,
    /// Not run by the fast loop.
    Bail,
    /// An accelerator instruction (tile, DMA, MAC, post-processing): the fast loop runs its
    /// semantics function (`accel_step::accel_fn`) with the machine brought up to date.
    Accel,
    // Superinstructions: an ALU instruction followed by a `dbnz` (the word after it, whose
    // own `FastOp` is a plain [`Handler::Dbnz`] the fused handler reads): the tail of a
    // counted loop run with one dispatch. Set by [`FastText::finish`] only.
    AddDbnz,
    SubDbnz,
    AndDbnz,
    OrDbnz,
    XorDbnz,
    SllDbnz,
    SrlDbnz,
    SraDbnz,
    SltDbnz,
    SltuDbnz,
    AddiDbnz,
    AndiDbnz,
    OriDbnz,
    XoriDbnz,
    SltiDbnz,
    SltiuDbnz,
    SlliDbnz,
    SrliDbnz,
    SraiDbnz,
    LiDbnz,
}

impl Handler {
    /// The class the fast loop counts this handler under.
    pub(crate) const fn class(self) -> Class {
        use Handler::*;
        match self {
            Add | Sub | And | Or | Xor | Sll | Srl | Sra | Slt | Sltu | Addi | Andi | Ori
            | Xori | Slti | Sltiu | Slli | Srli | Srai | Li => Class::Alu,
            Mul | Mulh | Mulhu | Div | Divu | Rem | Remu => Class::MulDiv,
            Lb | Lbu | Lh | Lhu | Lw => Class::Load,
            Sb | Sh | Sw => Class::Store,
            Beq | Bne | Blt | Bge | Bltu | Bgeu | Dbnz | BranchNop => Class::Branch,
            Jal | Jalr => Class::Jump,
            // Not counted by the loop under this class: a bail runs on the general path, an
            // accelerator instruction is counted under its own class when it retires.
            Bail | Accel => Class::System,
            // A fused pair counts its first half here (its `dbnz` as a branch, separately).
            AddDbnz | SubDbnz | AndDbnz | OrDbnz | XorDbnz | SllDbnz | SrlDbnz | SraDbnz
            | SltDbnz | SltuDbnz | AddiDbnz | AndiDbnz | OriDbnz | XoriDbnz | SltiDbnz
            | SltiuDbnz | SlliDbnz | SrliDbnz | SraiDbnz | LiDbnz => Class::Alu,
        }
    }

    /// The pair `(alone, fused with a following dbnz)` of an ALU handler, from either form;
    /// `None` for a handler that is not fused.
    const fn pair(self) -> Option<(Handler, Handler)> {
        use Handler::*;
        Some(match self {
            Add | AddDbnz => (Add, AddDbnz),
            Sub | SubDbnz => (Sub, SubDbnz),
            And | AndDbnz => (And, AndDbnz),
            Or | OrDbnz => (Or, OrDbnz),
            Xor | XorDbnz => (Xor, XorDbnz),
            Sll | SllDbnz => (Sll, SllDbnz),
            Srl | SrlDbnz => (Srl, SrlDbnz),
            Sra | SraDbnz => (Sra, SraDbnz),
            Slt | SltDbnz => (Slt, SltDbnz),
            Sltu | SltuDbnz => (Sltu, SltuDbnz),
            Addi | AddiDbnz => (Addi, AddiDbnz),
            Andi | AndiDbnz => (Andi, AndiDbnz),
            Ori | OriDbnz => (Ori, OriDbnz),
            Xori | XoriDbnz => (Xori, XoriDbnz),
            Slti | SltiDbnz => (Slti, SltiDbnz),
            Sltiu | SltiuDbnz => (Sltiu, SltiuDbnz),
            Slli | SlliDbnz => (Slli, SlliDbnz),
            Srli | SrliDbnz => (Srli, SrliDbnz),
            Srai | SraiDbnz => (Srai, SraiDbnz),
            Li | LiDbnz => (Li, LiDbnz),
            Mul | Mulh | Mulhu | Div | Divu | Rem | Remu | Lb | Lbu | Lh | Lhu | Lw | Sb | Sh
            | Sw | Beq | Bne | Blt | Bge | Bltu | Bgeu | Dbnz | BranchNop | Jal | Jalr | Bail
            | Accel => return None,
        })
    }

    /// Whether a run of straight-line code ends at this handler.
    const fn terminates(self) -> bool {
        matches!(self.class(), Class::Branch | Class::Jump)
            || matches!(self, Handler::Bail | Handler::Accel)
    }
}

/// One predecoded word for the fast loop: registers already masked (a written `r0` is slot
/// 32), `imm` the immediate, displacement, constant or target index as the handler
/// needs it. Eight bytes, so the loop indexes the table with one scaled address.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FastOp {
    pub h: Handler,
    /// Destination (slot 32 for `r0`), or the first source of branches and stores.
    pub a: u8,
    /// Source register or memory base.
    pub b: u8,
    /// Second source register.
    pub c: u8,
    pub imm: u32,
}

/// The scratch slot that writes to `r0` go to.
pub(crate) const SINK: u8 = 32;

impl FastOp {
    /// The bail sentinel.
    pub(crate) const BAIL: FastOp = FastOp {
        h: Handler::Bail,
        a: 0,
        b: 0,
        c: 0,
        imm: 0,
    };

    /// An accelerator instruction (its operands are read from the `Op` table).
    pub(crate) const ACCEL: FastOp = FastOp {
        h: Handler::Accel,
        a: 0,
        b: 0,
        c: 0,
        imm: 0,
    };

    /// The fast form of `op` at address `pc` of the text at `base`, `words` long (fused
    /// with a following `dbnz` later, by [`FastText::finish`]).
    pub(crate) fn from_op(op: &Op, pc: u32, base: u32, words: usize) -> FastOp {
        use Handler as H;
        let reg = |i: usize| op.f[i] & 31;
        let dest = if reg(0) == 0 { SINK } else { reg(0) };
        let imm = op.imm as u32;
        // A branch or `jal` target as a table index (at most the sentinel's); a target
        // outside the text leaves the branch to the general path.
        let t = pc.wrapping_add(imm).wrapping_sub(base).rotate_right(2);
        if matches!(def(op.op).class, Class::Branch | Class::Jump)
            && op.op != Opcode::Jalr
            && t as usize > words
        {
            return FastOp::BAIL;
        }
        let target = t;
        // (handler, a, b, c, imm)
        let (h, a, b, c, imm) = match op.op {
            Opcode::Add => (H::Add, dest, reg(1), reg(2), 0),
            Opcode::Sub => (H::Sub, dest, reg(1), reg(2), 0),
            Opcode::And => (H::And, dest, reg(1), reg(2), 0),
            Opcode::Or => (H::Or, dest, reg(1), reg(2), 0),
            Opcode::Xor => (H::Xor, dest, reg(1), reg(2), 0),
            Opcode::Sll => (H::Sll, dest, reg(1), reg(2), 0),
            Opcode::Srl => (H::Srl, dest, reg(1), reg(2), 0),
            Opcode::Sra => (H::Sra, dest, reg(1), reg(2), 0),
            Opcode::Slt => (H::Slt, dest, reg(1), reg(2), 0),
            Opcode::Sltu => (H::Sltu, dest, reg(1), reg(2), 0),
            Opcode::Mul => (H::Mul, dest, reg(1), reg(2), 0),
            Opcode::Mulh => (H::Mulh, dest, reg(1), reg(2), 0),
            Opcode::Mulhu => (H::Mulhu, dest, reg(1), reg(2), 0),
            Opcode::Div => (H::Div, dest, reg(1), reg(2), 0),
            Opcode::Divu => (H::Divu, dest, reg(1), reg(2), 0),
            Opcode::Rem => (H::Rem, dest, reg(1), reg(2), 0),
            Opcode::Remu => (H::Remu, dest, reg(1), reg(2), 0),
            Opcode::Addi => (H::Addi, dest, reg(1), 0, imm),
            Opcode::Andi => (H::Andi, dest, reg(1), 0, imm),
            Opcode::Ori => (H::Ori, dest, reg(1), 0, imm),
            Opcode::Xori => (H::Xori, dest, reg(1), 0, imm),
            Opcode::Slti => (H::Slti, dest, reg(1), 0, imm),
            Opcode::Sltiu => (H::Sltiu, dest, reg(1), 0, imm),
            Opcode::Slli => (H::Slli, dest, reg(1), 0, imm & 31),
            Opcode::Srli => (H::Srli, dest, reg(1), 0, imm & 31),
            Opcode::Srai => (H::Srai, dest, reg(1), 0, imm & 31),
            Opcode::Lui => (H::Li, dest, 0, 0, imm << 13),
            Opcode::Auipc => (H::Li, dest, 0, 0, pc.wrapping_add(imm << 13)),
            Opcode::Lb => (H::Lb, dest, reg(1), 0, imm),
            Opcode::Lbu => (H::Lbu, dest, reg(1), 0, imm),
            Opcode::Lh => (H::Lh, dest, reg(1), 0, imm),
            Opcode::Lhu => (H::Lhu, dest, reg(1), 0, imm),
            Opcode::Lw => (H::Lw, dest, reg(1), 0, imm),
            // Stores read their first register.
            Opcode::Sb => (H::Sb, reg(0), reg(1), 0, imm),
            Opcode::Sh => (H::Sh, reg(0), reg(1), 0, imm),
            Opcode::Sw => (H::Sw, reg(0), reg(1), 0, imm),
            Opcode::Beq => (H::Beq, reg(0), reg(1), 0, target),
            Opcode::Bne => (H::Bne, reg(0), reg(1), 0, target),
            Opcode::Blt => (H::Blt, reg(0), reg(1), 0, target),
            Opcode::Bge => (H::Bge, reg(0), reg(1), 0, target),
            Opcode::Bltu => (H::Bltu, reg(0), reg(1), 0, target),
            Opcode::Bgeu => (H::Bgeu, reg(0), reg(1), 0, target),
            Opcode::Dbnz if reg(0) == 0 => (H::BranchNop, 0, 0, 0, 0),
            Opcode::Dbnz => (H::Dbnz, reg(0), 0, 0, target),
            Opcode::Jal => (H::Jal, dest, 0, 0, target),
            Opcode::Jalr => (H::Jalr, dest, reg(1), 0, imm),
            Opcode::Csrr
            | Opcode::Cfg
            | Opcode::Cfgi
            | Opcode::Halt
            | Opcode::Ebreak
            | Opcode::Sync => return FastOp::BAIL,
            Opcode::Tdef
            | Opcode::Tzero
            | Opcode::Dchk
            | Opcode::LdRaw
            | Opcode::LdRle
            | Opcode::StRaw
            | Opcode::StRle
            | Opcode::SetLut
            | Opcode::Bsmac
            | Opcode::Vscale
            | Opcode::Bias
            | Opcode::Bcorr
            | Opcode::Relu
            | Opcode::Rqnt => return FastOp::ACCEL,
        };
        // The loop counts each handler under its own class: should the table ever move an
        // opcode to another class, the word runs on the general path instead.
        if h.class() as u8 != op.class {
            return FastOp::BAIL;
        }
        FastOp { h, a, b, c, imm }
    }
}

/// The fast loop's table: one [`FastOp`] per word of the text plus the bail sentinel, and
/// the length of the straight-line run each starts (apart, so an op stays 8 bytes; the
/// loop reads a run only when it enters one).
#[derive(Clone, Debug)]
pub(crate) struct FastText {
    pub ops: Box<[FastOp]>,
    /// `runs[i]`: instructions from word `i` up to and including the next terminator (≥ 1).
    pub runs: Box<[u32]>,
}

impl FastText {
    /// A table for `words` words, all bails (to be filled by [`FastText::set`]).
    pub(crate) fn new(words: usize) -> FastText {
        FastText {
            ops: vec![FastOp::BAIL; words + 1].into(),
            runs: vec![1; words + 1].into(),
        }
    }

    /// Number of words (without the sentinel).
    pub(crate) fn words(&self) -> usize {
        self.ops.len() - 1
    }

    /// After words `start..end` were set: recompute the runs that may have changed and the
    /// fused pairs.
    pub(crate) fn finish(&mut self, start: usize, end: usize) {
        fill_runs(&self.ops, &mut self.runs, start, end);
        fuse_pairs(&mut self.ops, start.saturating_sub(1), end);
    }
}

/// Recompute `runs` for the words `..end` whose run may have changed because words
/// `start..end` did: those words, and the ones before them back to the previous terminator.
/// `ops` ends with the bail sentinel, so `end < ops.len()`.
fn fill_runs(ops: &[FastOp], runs: &mut [u32], start: usize, end: usize) {
    let mut i = end;
    while i > 0 {
        i -= 1;
        let run = if ops[i].h.terminates() {
            1
        } else {
            runs[i + 1].saturating_add(1)
        };
        if i < start && run == runs[i] {
            // Unchanged here, so unchanged for every earlier word.
            break;
        }
        runs[i] = run;
    }
}

/// Give each ALU word of `start..end` its fused handler if the next word is a `dbnz`, its
/// plain one otherwise. (The last word is the bail sentinel, so a fused word always has a
/// follower.)
fn fuse_pairs(ops: &mut [FastOp], start: usize, end: usize) {
    for i in start..end.min(ops.len() - 1) {
        if let Some((alone, fused)) = ops[i].h.pair() {
            ops[i].h = if ops[i + 1].h == Handler::Dbnz {
                fused
            } else {
                alone
            };
        }
    }
}
