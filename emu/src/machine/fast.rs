//! The fast loop for scalar code: the path `run_fast`/`run_until` take (functional, and with
//! the timing model, also while a timeline is recorded unless a scalar class takes zero
//! cycles there).
//!
//! It runs the predecoded [`FastOp`] table ([`super::blocks`]) one *straight-line run* at a
//! time: entering a run (at the start and after every branch or jump) checks the budget
//! and breakpoints for the whole run at once — its length is precomputed — and charges it
//! to the budget; the run's instructions then execute with no per-instruction budget,
//! breakpoint, pc or `Result` bookkeeping. Registers live in a local array (with a scratch
//! slot for writes to `r0`), the pc is derived from the table index, `instret` is
//! derived from the budget once at the end, and so is the ALU count (every other class is
//! counted by its handlers). Taken branches are counted so the timing model is charged for
//! the whole call at once ([`crate::timing::Timing::account_scalar_run`]; scalar
//! accounting only adds to the clock and counters) — or, with the timing model, up to
//! each accelerator instruction, which is accounted after the scalar work before it. A
//! timeline gets one scalar event per such span, which is what the per-instruction
//! intervals the general path records coalesce into.
//!
//! The handlers that touch only registers — ALU, multiply/divide, branches, jumps and the
//! fused ALU + `dbnz` pairs — run in a function of their own, [`run_regs`], which makes no
//! calls, so its loop state stays in host registers; it returns to [`Machine::fast_scalar`]
//! for each load or store (out-of-line DRAM accesses) and comes back for the rest of the
//! run. Its dispatch is one jump table over the 8-byte [`FastOp`]s.
//!
//! Accelerator instructions end their run and are executed here too, by the very function
//! the general path calls for them (`accel_step.rs`): the registers, pc, counters and timing
//! model are brought up to date first, so the instruction sees exactly the machine the
//! general path would give it, and a trap it raises stops the loop with the machine as
//! the general path leaves it. Running them here spares leaving and re-entering the loop
//! around each one (what small-tile GEMM loops do all the time).
//!
//! Anything else — a CSR or system instruction, a word outside the
//! predecoded text, any access that would trap (misaligned, out of range, a misaligned
//! jump target), a store into the text (self-modifying code, re-decoded by the general
//! path), a run longer than the budget left, or a run containing a breakpoint — *bails*:
//! the loop stops before that instruction, leaving the machine exactly as if every earlier
//! instruction had run on the general path, and the caller executes that one instruction
//! there. Traps, breakpoints, limits and self-modifying code are therefore handled by one
//! implementation only.
//!
//! Every scalar semantics here must equal [`Machine::exec`]'s; `emu/tests/fastloop.rs`
//! runs random scalar programs both ways and compares the whole state, counters and cycles.

use bitloom_isa::Class;

use super::blocks::{FastOp, Handler as H};
use super::{BreakMap, Machine};
use crate::commit::Commit;
use crate::mem::PagedMem;
use crate::trap::{Trap, TrapKind};

/// Why the fast loop stopped.
pub(super) enum FastExit {
    /// The budget is used up.
    Budget,
    /// About to execute a breakpoint address.
    Breakpoint(u32),
    /// The next instruction needs the general path (its breakpoint, if any, was checked or
    /// is to be skipped).
    Bail,
    /// An accelerator instruction trapped (the machine is as the general path leaves it).
    Trap(Trap),
}

const ALU: usize = Class::Alu as usize;
const MULDIV: usize = Class::MulDiv as usize;
const LOAD: usize = Class::Load as usize;
const STORE: usize = Class::Store as usize;
const BRANCH: usize = Class::Branch as usize;
const JUMP: usize = Class::Jump as usize;

/// What the fast loop carries between its register loop and its memory accesses.
pub(super) struct Core {
    /// Slots 0..32 are the registers (slot 0 is never written), 32 takes writes to r0;
    /// 256 entries so a `u8` index needs no bounds check. Kept between calls
    /// ([`super::accel_step::RegScratch`]): slots past 32 are never written and stay 0,
    /// slot 32 is only ever written, so nothing in it is read.
    pub regs: Box<[u32; 256]>,
    /// Instructions retired per class since the last settle, except ALU (derived) and taken
    /// branches.
    pub counts: [u64; 12],
    pub branch_taken: u64,
    /// Instructions left to charge (runs are charged when entered).
    pub budget: u64,
    /// Instructions of this call already in `instret` and the class counts.
    pub settled: u64,
    /// Address of the first scalar instruction not yet settled (the start of the scalar
    /// event a timeline records for them).
    pub span_pc: u32,
}

/// Where the loop stopped.
enum Stop {
    /// A run could not be entered at this table index.
    Enter(usize),
    /// A run could not be entered at this address (from `jalr` or the start).
    EnterPc(u32),
    /// The instruction at this index needs the general path.
    Bail(usize),
    /// The accelerator instruction at this index trapped.
    Trap(usize, Box<TrapKind>),
}

/// Why the register loop returned.
enum Leave {
    Stop(Stop),
    /// The load, store or accelerator instruction at this index is next (its run is
    /// entered and charged).
    Out(usize),
}

/// Whether [`run_regs`] leaves before the handler `h` (for [`Machine::fast_scalar`]).
#[inline(always)]
fn handled_here(h: H) -> bool {
    matches!(
        h,
        H::Accel | H::Lb | H::Lbu | H::Lh | H::Lhu | H::Lw | H::Sb | H::Sh | H::Sw
    )
}

/// Whether the straight-line run at table index `idx` can be entered with `budget` left
/// and no breakpoint in it (its first word's unless `skip`); if so it is charged.
#[inline(always)]
fn enter<const BP: bool>(
    runs: &[u32],
    budget: &mut u64,
    map: Option<&BreakMap>,
    base: u32,
    idx: usize,
    skip: bool,
) -> bool {
    match runs.get(idx) {
        Some(&run)
            if *budget >= run as u64
                && !(BP
                    && map.is_some_and(|m| {
                        (!skip && m.hit(idx, base.wrapping_add((idx as u32) << 2)))
                            || m.any_between(idx + 1, idx + run as usize, base)
                    })) =>
        {
            *budget -= run as u64;
            true
        }
        _ => false,
    }
}

/// The table index of address `t` (out of range if misaligned or outside the text).
#[inline(always)]
fn index(t: u32, base: u32) -> usize {
    t.wrapping_sub(base).rotate_right(2) as usize
}

impl Machine {
    /// Run scalar instructions from `self.pc` until the budget `left` is used, a breakpoint
    /// in `map` is reached (not checked for the very first instruction when `resume`), or
    /// an instruction needs the general path. Accelerator instructions run here too, each
    /// through the semantics the general path calls, with the machine brought up to date
    /// first (`accel_step.rs`); `sink` is their (non-recording) change record. Returns the
    /// number retired and why it stopped. Counters (and the timing model, if any) are
    /// brought up to date.
    #[inline(never)]
    pub(super) fn fast_scalar<const BP: bool>(
        &mut self,
        left: u64,
        map: Option<&BreakMap>,
        resume: bool,
        sink: &mut Commit,
    ) -> (u64, FastExit) {
        let mut core = Core {
            regs: self.scratch.take(),
            counts: [0; 12],
            branch_taken: 0,
            budget: left,
            settled: 0,
            span_pc: self.pc,
        };
        core.regs[..32].copy_from_slice(&self.regs);
        let base = self.text_base;
        let dram_size = self.dram.size() as u64;
        // The predecoded text (stores into it bail; the sentinel is not text).
        let text_lo = base as u64;
        let text_hi = text_lo + 4 * self.fops.words() as u64;
        let stop = 'run: {
            let i0 = index(self.pc, base);
            if !enter::<BP>(&self.fops.runs, &mut core.budget, map, base, i0, resume) {
                break 'run Stop::EnterPc(self.pc);
            }
            let mut i = i0;
            loop {
                // (The tables are borrowed afresh after every instruction run here: an
                // accelerator store into the text re-decodes them.)
                let (fops, runs): (&[FastOp], &[u32]) = (&self.fops.ops, &self.fops.runs);
                // The register loop, unless the word at `i` is one for here already (an
                // accelerator instruction right after another, as in tile loops).
                let mut f = fops[i];
                if !handled_here(f.h) {
                    i = match run_regs::<BP>(&mut core, fops, runs, map, base, i) {
                        Leave::Stop(stop) => break 'run stop,
                        Leave::Out(i) => i,
                    };
                    f = fops[i];
                }
                if f.h == H::Accel {
                    match self.accel_step(&mut core, i, left, sink) {
                        Ok(true) => {}
                        Ok(false) => break 'run Stop::Bail(i),
                        Err(k) => break 'run Stop::Trap(i, k),
                    }
                    // It ended its run: enter the next one (with the tables as they are now).
                    i += 1;
                    if !enter::<BP>(&self.fops.runs, &mut core.budget, map, base, i, false) {
                        break 'run Stop::Enter(i);
                    }
                    continue;
                }
                // The load or store at `i`; the register loop goes on after it (in the
                // same run: memory accesses do not end runs).
                let dram = &mut self.dram;
                let regs = &mut core.regs;
                let (a, b, imm) = (f.a as usize, f.b as usize, f.imm);
                // A load or store address, or bail (the general path raises the exact trap).
                macro_rules! addr {
                    ($size:expr) => {{
                        let x = regs[b].wrapping_add(imm);
                        if x & ($size as u32 - 1) != 0 || x as u64 + $size as u64 > dram_size {
                            break 'run Stop::Bail(i);
                        }
                        x
                    }};
                }
                macro_rules! load {
                    ($v:expr) => {{
                        regs[a] = $v;
                        core.counts[LOAD] += 1;
                    }};
                }
                macro_rules! store {
                    ($size:expr, $write:ident, $t:ty) => {{
                        let x = addr!($size);
                        // Self-modifying code: the general path stores and re-decodes.
                        if (x as u64) < text_hi && x as u64 + $size > text_lo {
                            break 'run Stop::Bail(i);
                        }
                        $write(dram, x, regs[a] as $t);
                        core.counts[STORE] += 1;
                    }};
                }
                match f.h {
                    H::Lb => load!(read_u8(dram, addr!(1)) as i8 as i32 as u32),
                    H::Lbu => load!(read_u8(dram, addr!(1)) as u32),
                    H::Lh => load!(read_u16(dram, addr!(2)) as i16 as i32 as u32),
                    H::Lhu => load!(read_u16(dram, addr!(2)) as u32),
                    H::Lw => load!(read_u32(dram, addr!(4))),
                    H::Sb => store!(1, write_u8, u8),
                    H::Sh => store!(2, write_u16, u16),
                    H::Sw => store!(4, write_u32, u32),
                    // The register loop leaves only at a load, a store or an accelerator
                    // instruction; were it ever to leave elsewhere, the general path would
                    // run that word.
                    _ => break 'run Stop::Bail(i),
                }
                i += 1;
            }
        };
        let pc_out = match stop {
            Stop::Bail(i) | Stop::Enter(i) | Stop::Trap(i, _) => base.wrapping_add((i as u32) << 2),
            Stop::EnterPc(pc) => pc,
        };
        let exit = match stop {
            Stop::Bail(i) => {
                // The rest of its run was charged but not run.
                core.budget += self.fops.runs[i] as u64;
                FastExit::Bail
            }
            Stop::Trap(i, k) => {
                // The trapping instruction ends its run: that one was charged, not retired.
                core.budget += self.fops.runs[i] as u64;
                FastExit::Trap(self.trap_at(pc_out, *k))
            }
            // A run could not be entered: in the general path's order, the budget, a
            // breakpoint, else the general path executes this one instruction.
            _ if core.budget == 0 => FastExit::Budget,
            _ if BP
                && map.is_some_and(|m| {
                    // Only the first run's start has budget == left.
                    !(resume && core.budget == left) && m.hit(index(pc_out, base), pc_out)
                }) =>
            {
                FastExit::Breakpoint(pc_out)
            }
            _ => FastExit::Bail,
        };
        self.regs.copy_from_slice(&core.regs[..32]);
        self.pc = pc_out;
        let done = left - core.budget;
        self.settle(&mut core, done);
        self.scratch.put(core.regs);
        (done, exit)
    }

    /// Bring `instret`, the class counts and the timing model up to date with the first
    /// `upto` instructions of this call (of which `core.settled` already are): the scalar
    /// ones counted in `core` — untaken branches in `counts[BRANCH]`, every class counted
    /// there but ALU, which is what remains.
    pub(super) fn settle(&mut self, core: &mut Core, upto: u64) {
        if upto == core.settled {
            // Nothing ran since the last settle (back-to-back accelerator instructions, as
            // in tile loops): no counts to add.
            return;
        }
        let mut counts = core.counts;
        counts[BRANCH] += core.branch_taken;
        let scalar = upto - core.settled;
        counts[ALU] = scalar - counts.iter().sum::<u64>();
        self.instret += scalar;
        for (total, n) in self.class_counts.iter_mut().zip(counts) {
            *total += n;
        }
        if let Some(t) = self.timing.as_mut() {
            let mut taken = [0u64; 12];
            taken[BRANCH] = core.branch_taken;
            taken[JUMP] = counts[JUMP];
            t.account_scalar_run(&counts, &taken, core.span_pc);
        }
        core.counts = [0; 12];
        core.branch_taken = 0;
        core.settled = upto;
    }
}

/// The register loop: runs from table index `i` (a run already entered and charged) every
/// handler that touches only registers, entering runs as it branches and jumps, until a
/// load or store is next or it stops.
#[inline(never)]
fn run_regs<const BP: bool>(
    core: &mut Core,
    fops: &[FastOp],
    runs: &[u32],
    map: Option<&BreakMap>,
    base: u32,
    mut i: usize,
) -> Leave {
    // (Equal lengths, so one bounds check on a branch target covers both tables.)
    let runs = &runs[..fops.len()];
    // (The counts stay in `core`: copying them in and out would cost every load and store.)
    let (regs, counts): (&mut [u32; 256], _) = (&mut core.regs, &mut core.counts);
    let mut branch_taken = core.branch_taken;
    let mut budget = core.budget;
    let leave = 'run: loop {
        let f = &fops[i];
        let (a, b, c, imm) = (f.a as usize, f.b as usize, f.c as usize, f.imm);
        // Leave before this instruction (the rest of its run is not charged).
        macro_rules! bail {
            () => {{
                break 'run Leave::Stop(Stop::Bail(i));
            }};
        }
        macro_rules! next_pc {
            () => {
                base.wrapping_add((i as u32 + 1) << 2)
            };
        }
        // Go on at table index `$i` (in range, as branch targets are).
        macro_rules! jump {
            ($i:expr) => {{
                let next: usize = $i;
                if !enter::<BP>(runs, &mut budget, map, base, next, false) {
                    break 'run Leave::Stop(Stop::Enter(next));
                }
                i = next;
                continue;
            }};
        }
        // Go on at the target of a conditional branch (an index in the table).
        macro_rules! taken {
            () => {
                taken!(imm)
            };
            ($target:expr) => {{
                let target = $target as usize;
                if !BP && budget >= runs[target] as u64 {
                    let run = runs[target] as u64;
                    budget -= run;
                    i = target;
                    continue;
                }
                jump!(target)
            }};
        }
        macro_rules! alu {
            ($class:expr, $v:expr) => {{
                let v: u32 = $v;
                regs[a] = v;
                // ALU instructions are counted at the end, as the rest.
                if $class != ALU {
                    counts[$class] += 1;
                }
                i += 1;
            }};
        }
        // An ALU result, then the `dbnz` of the next word (a fused pair).
        macro_rules! alu_dbnz {
            ($v:expr) => {{
                alu!(ALU, $v);
                let g = &fops[i];
                let r = g.a as usize;
                let v = regs[r].wrapping_sub(1);
                regs[r] = v;
                if v != 0 {
                    branch_taken += 1;
                    taken!(g.imm)
                }
                counts[BRANCH] += 1;
                jump!(i + 1)
            }};
        }
        macro_rules! br {
            ($cond:expr) => {{
                if $cond {
                    branch_taken += 1;
                    taken!()
                }
                counts[BRANCH] += 1;
                jump!(i + 1)
            }};
        }
        match f.h {
            H::Add => alu!(ALU, regs[b].wrapping_add(regs[c])),
            H::Sub => alu!(ALU, regs[b].wrapping_sub(regs[c])),
            H::And => alu!(ALU, regs[b] & regs[c]),
            H::Or => alu!(ALU, regs[b] | regs[c]),
            H::Xor => alu!(ALU, regs[b] ^ regs[c]),
            H::Sll => alu!(ALU, regs[b] << (regs[c] & 31)),
            H::Srl => alu!(ALU, regs[b] >> (regs[c] & 31)),
            H::Sra => alu!(ALU, ((regs[b] as i32) >> (regs[c] & 31)) as u32),
            H::Slt => alu!(ALU, ((regs[b] as i32) < (regs[c] as i32)) as u32),
            H::Sltu => alu!(ALU, (regs[b] < regs[c]) as u32),
            H::Addi => alu!(ALU, regs[b].wrapping_add(imm)),
            H::Andi => alu!(ALU, regs[b] & imm),
            H::Ori => alu!(ALU, regs[b] | imm),
            H::Xori => alu!(ALU, regs[b] ^ imm),
            H::Slti => alu!(ALU, ((regs[b] as i32) < imm as i32) as u32),
            H::Sltiu => alu!(ALU, (regs[b] < imm) as u32),
            H::Slli => alu!(ALU, regs[b] << imm),
            H::Srli => alu!(ALU, regs[b] >> imm),
            H::Srai => alu!(ALU, ((regs[b] as i32) >> imm) as u32),
            H::Li => alu!(ALU, imm),
            H::Mul => alu!(MULDIV, regs[b].wrapping_mul(regs[c])),
            H::Mulh => alu!(
                MULDIV,
                ((regs[b] as i32 as i64 * regs[c] as i32 as i64) >> 32) as u32
            ),
            H::Mulhu => alu!(MULDIV, ((regs[b] as u64 * regs[c] as u64) >> 32) as u32),
            H::Div => {
                let (x, y) = (regs[b] as i32, regs[c] as i32);
                alu!(
                    MULDIV,
                    if y == 0 {
                        u32::MAX
                    } else {
                        x.wrapping_div(y) as u32
                    }
                )
            }
            H::Divu => alu!(MULDIV, regs[b].checked_div(regs[c]).unwrap_or(u32::MAX)),
            H::Rem => {
                let (x, y) = (regs[b] as i32, regs[c] as i32);
                alu!(
                    MULDIV,
                    if y == 0 {
                        x as u32
                    } else {
                        x.wrapping_rem(y) as u32
                    }
                )
            }
            H::Remu => {
                let x = regs[b];
                alu!(MULDIV, x.checked_rem(regs[c]).unwrap_or(x))
            }
            // (Exactly the handlers of `handled_here`.)
            H::Lb | H::Lbu | H::Lh | H::Lhu | H::Lw | H::Sb | H::Sh | H::Sw | H::Accel => {
                break 'run Leave::Out(i)
            }
            H::Beq => br!(regs[a] == regs[b]),
            H::Bne => br!(regs[a] != regs[b]),
            H::Blt => br!((regs[a] as i32) < (regs[b] as i32)),
            H::Bge => br!((regs[a] as i32) >= (regs[b] as i32)),
            H::Bltu => br!(regs[a] < regs[b]),
            H::Bgeu => br!(regs[a] >= regs[b]),
            H::Dbnz => {
                let v = regs[a].wrapping_sub(1);
                regs[a] = v;
                br!(v != 0)
            }
            H::BranchNop => br!(false),
            H::Jal => {
                regs[a] = next_pc!();
                counts[JUMP] += 1;
                jump!(imm as usize)
            }
            H::Jalr => {
                let t = regs[b].wrapping_add(imm);
                if t % 4 != 0 {
                    bail!()
                }
                regs[a] = next_pc!();
                counts[JUMP] += 1;
                let next = index(t, base);
                if !enter::<BP>(runs, &mut budget, map, base, next, false) {
                    break 'run Leave::Stop(Stop::EnterPc(t));
                }
                i = next;
                continue;
            }
            H::Bail => bail!(),
            H::AddDbnz => alu_dbnz!(regs[b].wrapping_add(regs[c])),
            H::SubDbnz => alu_dbnz!(regs[b].wrapping_sub(regs[c])),
            H::AndDbnz => alu_dbnz!(regs[b] & regs[c]),
            H::OrDbnz => alu_dbnz!(regs[b] | regs[c]),
            H::XorDbnz => alu_dbnz!(regs[b] ^ regs[c]),
            H::SllDbnz => alu_dbnz!(regs[b] << (regs[c] & 31)),
            H::SrlDbnz => alu_dbnz!(regs[b] >> (regs[c] & 31)),
            H::SraDbnz => alu_dbnz!(((regs[b] as i32) >> (regs[c] & 31)) as u32),
            H::SltDbnz => alu_dbnz!(((regs[b] as i32) < (regs[c] as i32)) as u32),
            H::SltuDbnz => alu_dbnz!((regs[b] < regs[c]) as u32),
            H::AddiDbnz => alu_dbnz!(regs[b].wrapping_add(imm)),
            H::AndiDbnz => alu_dbnz!(regs[b] & imm),
            H::OriDbnz => alu_dbnz!(regs[b] | imm),
            H::XoriDbnz => alu_dbnz!(regs[b] ^ imm),
            H::SltiDbnz => alu_dbnz!(((regs[b] as i32) < imm as i32) as u32),
            H::SltiuDbnz => alu_dbnz!((regs[b] < imm) as u32),
            H::SlliDbnz => alu_dbnz!(regs[b] << imm),
            H::SrliDbnz => alu_dbnz!(regs[b] >> imm),
            H::SraiDbnz => alu_dbnz!(((regs[b] as i32) >> imm) as u32),
            H::LiDbnz => alu_dbnz!(imm),
        }
    };
    core.branch_taken = branch_taken;
    core.budget = budget;
    leave
}

// DRAM accesses out of line: they keep the interpreter loop small (fewer registers live
// across it), and cost a call only for loads and stores.
#[inline(never)]
fn read_u8(dram: &PagedMem, x: u32) -> u8 {
    dram.read_u8(x)
}
#[inline(never)]
fn read_u16(dram: &PagedMem, x: u32) -> u16 {
    dram.read_u16(x)
}
#[inline(never)]
fn read_u32(dram: &PagedMem, x: u32) -> u32 {
    dram.read_u32(x)
}
#[inline(never)]
fn write_u8(dram: &mut PagedMem, x: u32, v: u8) {
    dram.write_u8(x, v)
}
#[inline(never)]
fn write_u16(dram: &mut PagedMem, x: u32, v: u16) {
    dram.write_u16(x, v)
}
#[inline(never)]
fn write_u32(dram: &mut PagedMem, x: u32, v: u32) {
    dram.write_u32(x, v)
}
