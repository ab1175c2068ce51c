//! What an instruction about to execute reads — for `rwatch` and `awatch`.
//!
//! Registers and tiles come from the instruction table's operand roles. CSRs are read
//! explicitly by `csrr` and implicitly by the instructions whose semantics consult the
//! configuration (`tdef` stamps precision/format/zero-point/LUT/run width, MACs read the
//! serial/slice/cluster/log/vector CSRs, `rqnt` its shift/rounding/ReLU, `dchk` the
//! threshold). DRAM reads are scalar loads, `ld.raw`, `ld.rle` (the stream's longest
//! possible extent for the tile: it may over-approximate) and `set.lut`.

use bitloom_emu::Machine;
use bitloom_isa::{csr, Instr, Opcode, Operand, Space};

use crate::engine::Target;

/// CSRs an instruction reads implicitly.
fn implicit_csrs(op: Opcode, space: Option<Space>) -> &'static [u8] {
    match op {
        Opcode::Tdef => match space {
            Some(Space::Wsp) => &[csr::WPREC, csr::WFMT, csr::WZP, csr::WLUT, csr::RLERUN],
            Some(Space::Asp) => &[csr::APREC, csr::AFMT, csr::AZP, csr::ALUT, csr::RLERUN],
            _ => &[csr::RLERUN],
        },
        Opcode::Bsmac | Opcode::Vscale => &[
            csr::SERIAL,
            csr::SLICE,
            csr::SFREQ,
            csr::CK,
            csr::LOGBASE,
            csr::VLEN,
        ],
        Opcode::Rqnt => &[csr::RSHIFT, csr::RMODE, csr::RELU],
        Opcode::Dchk => &[csr::DTHRESH],
        _ => &[],
    }
}

/// DRAM range the instruction reads, if any.
fn dram_read(m: &Machine, i: &Instr) -> Option<(u32, u64)> {
    let ops = i.operands();
    let reg = |r: u8| m.regs[(r & 31) as usize];
    let tile = |t: u8| m.tile(t).copied();
    match (i.op, ops) {
        (Opcode::Lb | Opcode::Lbu, [_, Operand::Mem { disp, base }]) => {
            Some((reg(*base).wrapping_add(*disp as u32), 1))
        }
        (Opcode::Lh | Opcode::Lhu, [_, Operand::Mem { disp, base }]) => {
            Some((reg(*base).wrapping_add(*disp as u32), 2))
        }
        (Opcode::Lw, [_, Operand::Mem { disp, base }]) => {
            Some((reg(*base).wrapping_add(*disp as u32), 4))
        }
        (Opcode::LdRaw, [Operand::Tile(t), Operand::Gpr(r)]) => tile(*t).map(|td| {
            // A strided load (`dstride`) reads rows `dstride` apart.
            let stride = m.csr(csr::DSTRIDE).unwrap_or(0) as u64;
            let row = (td.cols as u64 * td.prec as u64).div_ceil(8);
            let span = if stride == 0 {
                td.bytes()
            } else {
                (td.rows as u64 - 1) * stride + row
            };
            (reg(*r), span)
        }),
        (Opcode::LdRle, [Operand::Tile(t), Operand::Gpr(r)]) => tile(*t).map(|td| {
            let bits = td.elements() * (td.prec as u64 + td.rlerun as u64);
            (reg(*r), 4 + bits.div_ceil(8))
        }),
        (Opcode::SetLut, [_, Operand::Gpr(r), Operand::Prec(p)]) => {
            Some((reg(*r), 1u64 << (*p as u32).clamp(1, 8)))
        }
        _ => None,
    }
}

/// Whether executing `i` in state `m` reads `t`.
pub fn reads(m: &Machine, i: &Instr, t: &Target) -> bool {
    match *t {
        Target::Reg(r) => r != 0 && i.gpr_reads_writes().0 & (1 << r) != 0,
        Target::Csr(n) => {
            let explicit = i.op == Opcode::Csrr && i.operands().contains(&Operand::Csr(n));
            let space = i.operands().iter().find_map(|o| match o {
                Operand::Space(s) => Some(*s),
                _ => None,
            });
            explicit || implicit_csrs(i.op, space).contains(&n)
        }
        Target::Mem { addr, len } => dram_read(m, i).is_some_and(|(a, n)| {
            (addr as u64) < a as u64 + n && (a as u64) < addr as u64 + len as u64
        }),
        Target::Tile(n) => i.tile_reads_writes().0 & (1 << n) != 0,
    }
}
