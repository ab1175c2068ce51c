//! The functional fast loop (emu/src/machine/fast.rs) against the general path.
//!
//! Random *scalar* programs — every ALU, multiply/divide, load, store, branch and jump of
//! the instruction table, with registers seeded to addresses inside the text and data so
//! that loads and stores mostly succeed, some misalign, some run off DRAM, and some
//! overwrite the program itself — run three ways: `run_fast` without a timing model (the
//! fast loop, bailing to the general path), `step()` one instruction at a time (the
//! general path with change records), and `run_until` with random breakpoints. The whole
//! state must agree: result or trap, pc, registers, CSRs, counters per class, DRAM.

mod emu_helpers;

use bitloom_emu::machine::FastStop;
use bitloom_emu::session::Breakpoints;
use bitloom_emu::{Machine, Trap};
use bitloom_isa::operand::OperandKind;
use bitloom_isa::{Class, Operand, INSTRUCTIONS};
use emu_helpers::Rng;
use emu_helpers::*;
use proptest::prelude::*;

/// DRAM of the test machine: the data section at 64 KiB plus room to run off its end.
const DRAM: u32 = 80 << 10;

/// One random scalar instruction from a seed stream.
fn scalar_instr(rng: &mut Rng) -> u32 {
    let defs: Vec<_> = INSTRUCTIONS
        .iter()
        .filter(|d| {
            matches!(
                d.class,
                Class::Alu
                    | Class::MulDiv
                    | Class::Load
                    | Class::Store
                    | Class::Branch
                    | Class::Jump
            )
        })
        .collect();
    let d = defs[rng.below(defs.len() as u64) as usize];
    let ops: Vec<Operand> = d
        .operands
        .iter()
        .map(|o| match o.kind {
            // Few registers, so instructions feed each other.
            OperandKind::Gpr => r(rng.below(8) as u8),
            OperandKind::Imm { bits, signed } => {
                let v = match rng.below(4) {
                    0 => rng.below(1 << bits.min(20)) as i32,
                    _ => rng.below(64) as i32,
                };
                let v = if signed && bits > 1 && rng.below(2) == 0 {
                    -v
                } else {
                    v
                };
                let (lo, hi) = if signed {
                    (-(1i64 << (bits - 1)), (1i64 << (bits - 1)) - 1)
                } else {
                    (0, (1i64 << bits) - 1)
                };
                imm((v as i64).clamp(lo, hi) as i32)
            }
            // Short jumps, forwards and backwards (loops), occasionally misaligned bases.
            OperandKind::PcRel { .. } => rel(4 * (rng.below(9) as i32 - 4)),
            OperandKind::Mem { .. } => mem(rng.below(48) as i32 - 8, rng.below(8) as u8),
            OperandKind::Tile | OperandKind::Csr | OperandKind::Space | OperandKind::Prec => {
                unreachable!("scalar instructions have none")
            }
        })
        .collect();
    enc(d.opcode, &ops)
}

/// A random scalar program: registers r1..r7 seeded with text, data and edge addresses,
/// then `len` random instructions, then `halt r1`.
fn program(seed: u64, len: usize) -> Prog {
    let mut rng = Rng(seed | 1);
    let mut p = Prog::new();
    p.data(&[0x5a; 64]);
    for reg in 1..8u8 {
        let v = match rng.below(5) {
            0 => TEXT + 4 * rng.below(24) as u32,
            1 => DATA + rng.below(64) as u32,
            2 => rng.below(40) as u32,
            3 => DRAM - rng.below(8) as u32,
            _ => rng.next() as u32,
        };
        p.li(reg, v);
    }
    for _ in 0..len {
        let w = scalar_instr(&mut rng);
        p.word(w);
    }
    p.halt(1);
    p
}

fn tiny(p: &Prog) -> Machine {
    let mut hw = hw();
    hw.mem.dram_bytes = DRAM;
    Machine::new(&hw, &p.image()).unwrap()
}

/// Step one instruction at a time on the general path, up to `budget`.
fn stepped(m: &mut Machine, budget: u64) -> Result<Option<u32>, Trap> {
    for _ in 0..budget {
        if let Some(code) = m.step()?.halted {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

fn same_state(a: &Machine, b: &Machine) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.pc, b.pc);
    prop_assert_eq!(a.regs, b.regs);
    prop_assert_eq!(a.instret, b.instret);
    prop_assert_eq!(a.class_counts, b.class_counts);
    prop_assert_eq!(a.csrs, b.csrs);
    prop_assert_eq!(a.exit, b.exit);
    prop_assert_eq!(a.read_dram(0, DRAM).ok(), b.read_dram(0, DRAM).ok());
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, .. ProptestConfig::default() })]

    #[test]
    fn fast_loop_equals_general_path(seed in any::<u64>(), len in 1usize..40, budget in 1u64..400) {
        let p = program(seed, len);
        let mut fast = tiny(&p);
        let mut slow = fast.clone();
        let rf = fast.run_fast(budget);
        let rs = stepped(&mut slow, budget);
        prop_assert_eq!(&rf, &rs);
        same_state(&fast, &slow)?;
    }

    #[test]
    fn breakpoints_stop_where_stepping_says(seed in any::<u64>(), len in 1usize..40, bp in 0u32..48) {
        let p = program(seed, len);
        let mut fast = tiny(&p);
        let mut slow = fast.clone();
        let target = TEXT + 4 * bp;
        let mut bps = Breakpoints::default();
        bps.insert(target);
        let map = fast.break_map(&bps);
        let rf = fast.run_until(300, &map, false);
        // Reference: step until the pc is the breakpoint, a halt, a trap or the budget.
        let mut rs: Result<FastStop, Trap> = Ok(FastStop::Budget);
        for _ in 0..300 {
            if slow.pc == target {
                rs = Ok(FastStop::Breakpoint(target));
                break;
            }
            match slow.step() {
                Ok(s) => if let Some(code) = s.halted { rs = Ok(FastStop::Halted(code)); break; },
                Err(t) => { rs = Err(t); break; }
            }
        }
        prop_assert_eq!(&rf, &rs);
        same_state(&fast, &slow)?;
        // Resuming from the breakpoint executes it and goes on exactly as stepping does.
        if rf == Ok(FastStop::Breakpoint(target)) {
            let rf2 = fast.run_until(1, &map, true);
            let rs2 = slow.step().map(|s| match s.halted {
                Some(code) => FastStop::Halted(code),
                None => FastStop::Budget,
            });
            prop_assert_eq!(rf2, rs2);
            same_state(&fast, &slow)?;
        }
    }
}

/// A store that rewrites the next instruction of a loop is seen by the fast loop.
#[test]
fn self_modifying_store_is_seen() {
    use bitloom_isa::Opcode;
    let mut p = Prog::new();
    // r3 = the word of `addi r5, r5, 100`, stored over the `addi r5, r5, 1` below.
    let patched = enc(Opcode::Addi, &[r(5), r(5), imm(100)]);
    p.li(3, patched);
    let target = TEXT + 32; // past the li/li/sw below (at most 5 words)
    p.li(4, target);
    p.i(Opcode::Sw, &[r(3), mem(0, 4)]);
    while p.here() < target {
        p.i(Opcode::Addi, &[r(0), r(0), imm(0)]);
    }
    p.i(Opcode::Addi, &[r(5), r(5), imm(1)]);
    p.halt(5);
    let mut m = tiny(&p);
    assert_eq!(m.run_fast(1000), Ok(Some(100)));
}
