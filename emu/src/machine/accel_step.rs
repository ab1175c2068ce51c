//! Accelerator instructions inside the fast loop (`fast.rs`): which semantics function
//! each opcode has, and running one with the machine brought up to date, exactly as the
//! general path (`Machine::exec`) would.
//!
//! Also the fast loop's register scratch ([`RegScratch`]), kept between calls so entering
//! the loop does not clear a fresh 1 KiB array every time (small-tile GEMM loops enter it
//! once per tile step).

use bitloom_isa::Opcode;

use super::fast::Core;
use super::lazy_nnz::Writes;
use super::{AccelFn, Machine};
use crate::commit::Commit;
use crate::trap::TrapKind;

/// An accelerator instruction (`accel/*`): its semantics function, the same one
/// [`Machine::exec`] calls, and which scratchpad bytes it may write (for the deferred
/// non-zero counts, `lazy_nnz.rs`). `None` for the scalar, CSR and system instructions.
/// The one table of both: a new opcode needs one line here.
#[inline(always)]
pub(super) fn accel_spec(op: Opcode) -> Option<(AccelFn, Writes)> {
    Some(match op {
        Opcode::Tdef => (Machine::op_tdef, Writes::Nothing),
        Opcode::Tzero => (Machine::op_tzero, Writes::Tile),
        Opcode::Dchk => (Machine::op_dchk, Writes::Nothing),
        Opcode::LdRaw => (Machine::op_ld_raw, Writes::Nothing),
        Opcode::LdRle => (Machine::op_ld_rle, Writes::Tile),
        Opcode::StRaw => (Machine::op_st_raw, Writes::Nothing),
        Opcode::StRle => (Machine::op_st_rle, Writes::Nothing),
        Opcode::SetLut => (Machine::op_set_lut, Writes::Nothing),
        Opcode::Bsmac => (Machine::op_bsmac, Writes::Acc),
        Opcode::Vscale => (Machine::op_vscale, Writes::Acc),
        Opcode::Bias => (Machine::op_bias, Writes::Acc),
        Opcode::Bcorr => (Machine::op_bias, Writes::Acc),
        Opcode::Relu => (Machine::op_relu, Writes::Acc),
        Opcode::Rqnt => (Machine::op_rqnt, Writes::Any),
        Opcode::Add
        | Opcode::Sub
        | Opcode::And
        | Opcode::Or
        | Opcode::Xor
        | Opcode::Sll
        | Opcode::Srl
        | Opcode::Sra
        | Opcode::Slt
        | Opcode::Sltu
        | Opcode::Mul
        | Opcode::Mulh
        | Opcode::Mulhu
        | Opcode::Div
        | Opcode::Divu
        | Opcode::Rem
        | Opcode::Remu
        | Opcode::Addi
        | Opcode::Andi
        | Opcode::Ori
        | Opcode::Xori
        | Opcode::Slti
        | Opcode::Sltiu
        | Opcode::Slli
        | Opcode::Srli
        | Opcode::Srai
        | Opcode::Lui
        | Opcode::Auipc
        | Opcode::Lb
        | Opcode::Lbu
        | Opcode::Lh
        | Opcode::Lhu
        | Opcode::Lw
        | Opcode::Sb
        | Opcode::Sh
        | Opcode::Sw
        | Opcode::Beq
        | Opcode::Bne
        | Opcode::Blt
        | Opcode::Bge
        | Opcode::Bltu
        | Opcode::Bgeu
        | Opcode::Dbnz
        | Opcode::Jal
        | Opcode::Jalr
        | Opcode::Csrr
        | Opcode::Cfg
        | Opcode::Cfgi
        | Opcode::Halt
        | Opcode::Ebreak
        | Opcode::Sync => return None,
    })
}

/// The semantics function of an accelerator instruction ([`accel_spec`]).
#[inline(always)]
pub(super) fn accel_fn(op: Opcode) -> Option<AccelFn> {
    accel_spec(op).map(|(f, _)| f)
}

/// Whether accelerator instruction `op` writes a general register: `dchk` and `st.rle`
/// (checked against the instruction table's operand roles by a test below).
#[inline(always)]
fn writes_gpr(op: Opcode) -> bool {
    op == Opcode::Dchk || op == Opcode::StRle
}

impl Machine {
    /// Run the accelerator instruction at table index `i` for the fast loop, whose
    /// registers and counts are in `core` (this call charged it `left` instructions at
    /// the start). First the machine is made what the general path would see: registers
    /// and pc in place, and with the timing model the scalar work before it accounted
    /// (accounting order is part of the timing result); then its semantics run with
    /// `sink` (not recording) and, on success, it retires. `Ok(false)` when the word is
    /// not an accelerator instruction after all (the general path runs it); `Err` is its
    /// trap, with nothing retired.
    #[inline(never)]
    pub(super) fn accel_step(
        &mut self,
        core: &mut Core,
        i: usize,
        left: u64,
        sink: &mut Commit,
    ) -> Result<bool, Box<TrapKind>> {
        let Some(Some(op)) = self.ops.get(i).copied() else {
            return Ok(false);
        };
        let Some(f) = accel_fn(op.op) else {
            return Ok(false);
        };
        let pc = self.text_base.wrapping_add((i as u32) << 2);
        if self.timing.is_some() {
            // Everything charged so far but this instruction (which ends its run) retired.
            self.settle(core, left - core.budget - 1);
        }
        self.regs.copy_from_slice(&core.regs[..32]);
        self.pc = pc;
        // What `exec_accel` does, without its call.
        self.settle_nnz_before(op.op, &op.f);
        f(self, pc, &op, sink).map_err(Box::new)?;
        if writes_gpr(op.op) {
            core.regs[..32].copy_from_slice(&self.regs);
        }
        self.retire(op.class);
        core.settled += 1;
        // The scalar work after it starts at the next word (accelerator instructions do
        // not branch).
        core.span_pc = pc.wrapping_add(4);
        Ok(true)
    }
}

/// Where a machine keeps the fast loop's register array between calls: allocated on first
/// use; a clone (a debugger snapshot) starts without one. It carries no machine state: the
/// loop copies the registers in on entry and out on exit.
#[derive(Debug, Default)]
pub(crate) struct RegScratch(Option<Box<[u32; 256]>>);

impl RegScratch {
    /// Take the array for one call of the fast loop.
    pub(super) fn take(&mut self) -> Box<[u32; 256]> {
        self.0.take().unwrap_or_else(|| Box::new([0; 256]))
    }

    /// Give it back for the next call.
    pub(super) fn put(&mut self, regs: Box<[u32; 256]>) {
        self.0 = Some(regs);
    }
}

impl Clone for RegScratch {
    /// A clone starts without the array (nothing in it is state).
    fn clone(&self) -> RegScratch {
        RegScratch(None)
    }
}

#[cfg(test)]
mod tests {
    use bitloom_isa::operand::OperandKind;
    use bitloom_isa::INSTRUCTIONS;

    use super::{accel_fn, writes_gpr};

    /// The accelerator instructions whose register results the fast loop copies back are
    /// exactly those the instruction table says write a general register.
    #[test]
    fn register_writers_match_the_table() {
        for d in INSTRUCTIONS {
            if accel_fn(d.opcode).is_none() {
                continue;
            }
            let table = d
                .operands
                .iter()
                .any(|o| o.kind == OperandKind::Gpr && o.role.writes());
            assert_eq!(writes_gpr(d.opcode), table, "{}", d.mnemonic);
        }
    }
}
