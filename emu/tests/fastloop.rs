//! The functional fast loop (emu/src/machine/fast.rs) against the general path.
//!
//! Random *scalar* programs — every ALU, multiply/divide, load, store, branch and jump of
//! the instruction table, with registers seeded to addresses inside the text and data so
//! that loads and stores mostly succeed, some misalign, some run off DRAM, and some
//! overwrite the program itself — run three ways: `run_fast` without a timing model (the
//! fast loop, bailing to the general path), `step()` one instruction at a time (the
//! general path with change records), and `run_until` with random breakpoints. The whole
//! state must agree: result or trap, pc, registers, CSRs, counters per class, DRAM.
//! Programs also read the `cycle` and `instret` CSRs (which the fast loop hands to the
//! general path) so counts must be exact mid-run, not only at the end.
//!
//! With the timing model the same programs run the fast loop (which charges the model once
//! per call) against stepping and against the general loop (forced by recording a
//! timeline), on hardware with random scalar latencies: cycles, every counter and the
//! statistics JSON must agree.

mod emu_helpers;

use bitloom_emu::hw::HwConfig;
use bitloom_emu::machine::FastStop;
use bitloom_emu::session::Breakpoints;
use bitloom_emu::stats::Stats;
use bitloom_emu::{Machine, Trap};
use bitloom_isa::operand::OperandKind;
use bitloom_isa::{csr, Class, Opcode, Operand, INSTRUCTIONS};
use emu_helpers::Rng;
use emu_helpers::*;
use proptest::prelude::*;

/// DRAM of the test machine: the data section at 64 KiB plus room to run off its end.
const DRAM: u32 = 80 << 10;

/// One random scalar instruction from a seed stream (now and then a read of the `cycle`
/// or `instret` CSR).
fn scalar_instr(rng: &mut Rng) -> u32 {
    if rng.below(16) == 0 {
        let c = if rng.below(2) == 0 {
            csr::CYCLE
        } else {
            csr::INSTRET
        };
        return enc(Opcode::Csrr, &[r(rng.below(8) as u8), Operand::Csr(c)]);
    }
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

/// The test machine on hardware whose scalar latencies come from `seed` (0..=5 cycles each,
/// so classes are told apart and zero latencies occur), with the timing model on.
fn timed(p: &Prog, seed: u64) -> Machine {
    let mut rng = Rng(seed | 1);
    let mut hw: HwConfig = hw();
    hw.mem.dram_bytes = DRAM;
    let s = &mut hw.scalar;
    for lat in [
        &mut s.alu,
        &mut s.muldiv,
        &mut s.load,
        &mut s.store,
        &mut s.branch,
        &mut s.jump,
        &mut s.config,
        &mut s.system,
        &mut s.taken_penalty,
    ] {
        *lat = rng.below(6) as u32;
    }
    let mut m = Machine::new(&hw, &p.image()).unwrap();
    m.enable_timing();
    m
}

/// Timing state equal: clock, every counter, and the statistics JSON.
fn same_timing(a: &Machine, b: &Machine) -> Result<(), TestCaseError> {
    let (ta, tb) = (a.timing.as_ref().unwrap(), b.timing.as_ref().unwrap());
    prop_assert_eq!(ta.now(), tb.now());
    prop_assert_eq!(ta.drained(), tb.drained());
    prop_assert_eq!(ta.counters(), tb.counters());
    let stats = |m: &Machine| {
        Stats::collect(m.hw(), m.timing.as_ref(), m.instret, &m.class_counts).to_json()
    };
    prop_assert_eq!(stats(a), stats(b));
    Ok(())
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
    fn timed_fast_loop_equals_general_path(seed in any::<u64>(), hw_seed in any::<u64>(), len in 1usize..40, budget in 1u64..400) {
        let p = program(seed, len);
        let mut fast = timed(&p, hw_seed);
        let mut slow = fast.clone();
        // Recording a timeline sends every instruction through the general loop.
        let mut general = fast.clone();
        general.timing.as_mut().unwrap().enable_timeline(1 << 16);
        let rf = fast.run_fast(budget);
        let rs = stepped(&mut slow, budget);
        let rg = general.run_fast(budget);
        prop_assert_eq!(&rf, &rs);
        prop_assert_eq!(&rf, &rg);
        same_state(&fast, &slow)?;
        same_state(&fast, &general)?;
        same_timing(&fast, &slow)?;
        same_timing(&fast, &general)?;
    }

    #[test]
    fn breakpoints_stop_where_stepping_says(seed in any::<u64>(), len in 1usize..40, bp in 0u32..48, timing in any::<bool>()) {
        let p = program(seed, len);
        let mut fast = if timing { timed(&p, seed >> 7) } else { tiny(&p) };
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
        if timing {
            same_timing(&fast, &slow)?;
        }
    }
}

/// A store that rewrites the next instruction of a loop is seen by the fast loop.
#[test]
fn self_modifying_store_is_seen() {
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
