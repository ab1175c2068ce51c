//! The functional fast loop for scalar code: the path `run_fast`/`run_until` take while no
//! timing model is attached.
//!
//! It executes the predecoded scalar instructions (ALU, multiply/divide, loads, stores,
//! branches, jumps) with none of the general path's per-instruction bookkeeping: no commit
//! sink, no timing hook, no `Result` per instruction, the retired count derived from the
//! budget once at the end and the class counts kept in a local array. Anything else — an
//! accelerator, CSR or system instruction, a word outside the predecoded text, and any
//! access that would trap (misaligned, out of range, a misaligned jump target) — *bails*:
//! the loop stops before that instruction, leaving the machine exactly as if every earlier
//! instruction had run on the general path, and the caller executes it there. Traps,
//! breakpoints and limits are therefore reported by one implementation only.
//!
//! Every scalar semantics here must equal [`Machine::exec`]'s; `emu/tests/fastloop.rs`
//! runs random scalar programs both ways (with and without a timing model, which forces
//! the general path) and compares the whole state.

use bitloom_isa::Opcode;

use super::{BreakMap, Machine};

/// Why the fast loop stopped.
pub(super) enum FastExit {
    /// The budget is used up.
    Budget,
    /// About to execute a breakpoint address.
    Breakpoint(u32),
    /// The next instruction needs the general path.
    Bail,
}

impl Machine {
    /// Run scalar instructions until the budget `left` is used, a breakpoint in `map` is
    /// reached (not checked for the very first instruction when `resume`), or an
    /// instruction needs the general path. Returns the number retired and why it stopped.
    #[inline(never)]
    pub(super) fn fast_scalar<const BP: bool>(
        &mut self,
        left: u64,
        map: Option<&BreakMap>,
        resume: bool,
    ) -> (u64, FastExit) {
        let mut counts = [0u64; 16];
        let mut budget = left;
        let base = self.text_base;
        let mut pc = self.pc;
        // The predecoded index of `pc`; misaligned or outside the text it is out of range.
        let mut idx = pc.wrapping_sub(base).rotate_right(2) as usize;
        let mut skip_bp = resume;
        let exit = loop {
            if budget == 0 {
                break FastExit::Budget;
            }
            if BP && !skip_bp {
                if let Some(map) = map {
                    if map.hit(idx, pc) {
                        break FastExit::Breakpoint(pc);
                    }
                }
            }
            skip_bp = false;
            let op = match self.ops.get(idx) {
                Some(Some(op)) => *op,
                _ => break FastExit::Bail,
            };
            let [a, b, c] = [
                (op.f[0] & 31) as usize,
                (op.f[1] & 31) as usize,
                (op.f[2] & 31) as usize,
            ];
            let imm = op.imm as u32;
            let regs = &mut self.regs;
            // Straight-line code advances `idx`; control transfers set `jump`.
            let mut jump = None;
            macro_rules! w {
                ($v:expr) => {{
                    let v: u32 = $v;
                    regs[a] = v;
                    regs[0] = 0;
                }};
            }
            macro_rules! br {
                ($cond:expr) => {{
                    if $cond {
                        jump = Some(pc.wrapping_add(imm));
                    }
                }};
            }
            // A load or store address, or bail (the general path raises the exact trap).
            macro_rules! addr {
                ($size:expr) => {{
                    let x = regs[b].wrapping_add(imm);
                    if x & ($size as u32 - 1) != 0
                        || x as u64 + $size as u64 > self.dram.size() as u64
                    {
                        break FastExit::Bail;
                    }
                    x
                }};
            }
            match op.op {
                Opcode::Add => w!(regs[b].wrapping_add(regs[c])),
                Opcode::Sub => w!(regs[b].wrapping_sub(regs[c])),
                Opcode::And => w!(regs[b] & regs[c]),
                Opcode::Or => w!(regs[b] | regs[c]),
                Opcode::Xor => w!(regs[b] ^ regs[c]),
                Opcode::Sll => w!(regs[b] << (regs[c] & 31)),
                Opcode::Srl => w!(regs[b] >> (regs[c] & 31)),
                Opcode::Sra => w!(((regs[b] as i32) >> (regs[c] & 31)) as u32),
                Opcode::Slt => w!(((regs[b] as i32) < (regs[c] as i32)) as u32),
                Opcode::Sltu => w!((regs[b] < regs[c]) as u32),
                Opcode::Mul => w!(regs[b].wrapping_mul(regs[c])),
                Opcode::Mulh => {
                    w!(((regs[b] as i32 as i64 * regs[c] as i32 as i64) >> 32) as u32)
                }
                Opcode::Mulhu => w!(((regs[b] as u64 * regs[c] as u64) >> 32) as u32),
                Opcode::Div => {
                    let (x, y) = (regs[b] as i32, regs[c] as i32);
                    w!(if y == 0 {
                        u32::MAX
                    } else {
                        x.wrapping_div(y) as u32
                    })
                }
                Opcode::Divu => w!(regs[b].checked_div(regs[c]).unwrap_or(u32::MAX)),
                Opcode::Rem => {
                    let (x, y) = (regs[b] as i32, regs[c] as i32);
                    w!(if y == 0 {
                        x as u32
                    } else {
                        x.wrapping_rem(y) as u32
                    })
                }
                Opcode::Remu => {
                    let x = regs[b];
                    w!(x.checked_rem(regs[c]).unwrap_or(x))
                }
                Opcode::Addi => w!(regs[b].wrapping_add(imm)),
                Opcode::Andi => w!(regs[b] & imm),
                Opcode::Ori => w!(regs[b] | imm),
                Opcode::Xori => w!(regs[b] ^ imm),
                Opcode::Slti => w!(((regs[b] as i32) < op.imm) as u32),
                Opcode::Sltiu => w!((regs[b] < imm) as u32),
                Opcode::Slli => w!(regs[b] << (imm & 31)),
                Opcode::Srli => w!(regs[b] >> (imm & 31)),
                Opcode::Srai => w!(((regs[b] as i32) >> (imm & 31)) as u32),
                Opcode::Lui => w!(imm << 13),
                Opcode::Auipc => w!(pc.wrapping_add(imm << 13)),
                Opcode::Lb => {
                    let x = addr!(1);
                    w!(self.dram.read_u8(x) as i8 as i32 as u32)
                }
                Opcode::Lbu => {
                    let x = addr!(1);
                    w!(self.dram.read_u8(x) as u32)
                }
                Opcode::Lh => {
                    let x = addr!(2);
                    w!(self.dram.read_u16(x) as i16 as i32 as u32)
                }
                Opcode::Lhu => {
                    let x = addr!(2);
                    w!(self.dram.read_u16(x) as u32)
                }
                Opcode::Lw => {
                    let x = addr!(4);
                    w!(self.dram.read_u32(x))
                }
                Opcode::Sb | Opcode::Sh | Opcode::Sw => {
                    let size: u32 = match op.op {
                        Opcode::Sb => 1,
                        Opcode::Sh => 2,
                        _ => 4,
                    };
                    let x = addr!(size);
                    let v = regs[a];
                    match size {
                        1 => self.dram.write_u8(x, v as u8),
                        2 => self.dram.write_u16(x, v as u16),
                        _ => self.dram.write_u32(x, v),
                    }
                    // Keeps the predecoded text coherent (self-modifying code).
                    self.dram_written(x, size as u64);
                }
                Opcode::Beq => br!(regs[a] == regs[b]),
                Opcode::Bne => br!(regs[a] != regs[b]),
                Opcode::Blt => br!((regs[a] as i32) < (regs[b] as i32)),
                Opcode::Bge => br!((regs[a] as i32) >= (regs[b] as i32)),
                Opcode::Bltu => br!(regs[a] < regs[b]),
                Opcode::Bgeu => br!(regs[a] >= regs[b]),
                Opcode::Dbnz => {
                    w!(regs[a].wrapping_sub(1));
                    br!(regs[a] != 0)
                }
                Opcode::Jal => {
                    w!(pc.wrapping_add(4));
                    jump = Some(pc.wrapping_add(imm));
                }
                Opcode::Jalr => {
                    let t = regs[b].wrapping_add(imm);
                    if t % 4 != 0 {
                        break FastExit::Bail;
                    }
                    w!(pc.wrapping_add(4));
                    jump = Some(t);
                }
                // Everything else runs on the general path.
                Opcode::Csrr
                | Opcode::Cfg
                | Opcode::Cfgi
                | Opcode::Halt
                | Opcode::Ebreak
                | Opcode::Sync
                | Opcode::Tdef
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
                | Opcode::Rqnt => break FastExit::Bail,
            }
            counts[(op.class & 15) as usize] += 1;
            budget -= 1;
            match jump {
                None => {
                    idx += 1;
                    pc = pc.wrapping_add(4);
                }
                Some(t) => {
                    pc = t;
                    idx = t.wrapping_sub(base).rotate_right(2) as usize;
                }
            }
        };
        self.pc = pc;
        let done = left - budget;
        self.instret += done;
        for (total, n) in self.class_counts.iter_mut().zip(counts) {
            *total += n;
        }
        (done, exit)
    }
}
