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
//! per call) against stepping and against the general loop (forced with
//! `set_general_path_only`), on hardware with random scalar latencies: cycles, every
//! counter and the statistics JSON must agree; and with a timeline (often a small one that
//! fills up), its events and dropped count too.

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
    instr_of(rng, |c| {
        matches!(
            c,
            Class::Alu | Class::MulDiv | Class::Load | Class::Store | Class::Branch | Class::Jump
        )
    })
}

/// One random instruction of a class `keep` accepts, with random operands.
fn instr_of(rng: &mut Rng, keep: impl Fn(Class) -> bool) -> u32 {
    let defs: Vec<_> = INSTRUCTIONS.iter().filter(|d| keep(d.class)).collect();
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

/// A random program dense in *fused pairs* (an ALU instruction right before a `dbnz`, which
/// the fast loop runs as one superinstruction): small loop counters in r1..r5, pairs
/// branching a few words back or forward, random scalar instructions between them, and
/// stores (`sw r6, 0(r7)`) that rewrite either half of some pair with an ALU word, a
/// `dbnz` or any scalar word — so pairs are split, re-formed and re-targeted while loops
/// run through them, before and after the pairs run. Random budgets stop inside pairs;
/// breakpoints land on either half.
fn fused_program(seed: u64, len: usize) -> (Prog, Vec<u32>) {
    let mut rng = Rng(seed | 1);
    let mut p = Prog::new();
    p.data(&[0x5a; 64]);
    for reg in 1..6u8 {
        p.li(reg, rng.range(1, 5) as u32);
    }
    let alu = |rng: &mut Rng| instr_of(rng, |c| c == Class::Alu);
    // dbnz on r0..r5 (r0: never branches, so never fused), -4..=+2 words away.
    let dbnz = |rng: &mut Rng| {
        let off = rng.below(7) as i32 - 4;
        enc(Opcode::Dbnz, &[r(rng.below(6) as u8), rel(4 * off)])
    };
    // Addresses of the ALU halves of the pairs, and where each store's `li r7` is (its
    // target, a pair before or after it, is filled in once every pair is placed).
    let (mut pairs, mut stores) = (Vec::new(), Vec::new());
    for _ in 0..len {
        match rng.below(8) {
            0..=3 => {
                pairs.push(p.here());
                let (w, d) = (alu(&mut rng), dbnz(&mut rng));
                p.word(w).word(d);
            }
            4 => {
                let w = match rng.below(3) {
                    0 => alu(&mut rng),
                    1 => dbnz(&mut rng),
                    _ => scalar_instr(&mut rng),
                };
                p.li(6, w);
                stores.push(p.text.len());
                p.li(7, 0).i(Opcode::Sw, &[r(6), mem(0, 7)]);
            }
            _ => {
                let w = scalar_instr(&mut rng);
                p.word(w);
            }
        }
    }
    for at in stores {
        let target = match pairs.len() {
            0 => TEXT,
            n => pairs[rng.below(n as u64) as usize] + 4 * rng.below(2) as u32,
        };
        let li = Prog::new().li(7, target).text.clone();
        p.text[at..at + 2].copy_from_slice(&li);
    }
    p.halt(1);
    (p, pairs)
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
    prop_assert_eq!(ta.timeline(), tb.timeline());
    prop_assert_eq!(ta.timeline_dropped(), tb.timeline_dropped());
    Ok(())
}

/// A timeline limit drawn from `seed`: mostly small (the timeline fills and later events
/// are dropped), sometimes ample.
fn timeline_limit(seed: u64) -> usize {
    match seed % 4 {
        0 => 1 << 16,
        _ => (seed >> 8) as usize % 24,
    }
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
        let mut general = fast.clone();
        general.set_general_path_only(true);
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

    /// With a timeline: the fast loop's one scalar event per run (or the general path,
    /// where a scalar class takes zero cycles) against per-instruction events, also when
    /// the timeline fills up.
    #[test]
    fn timeline_fast_loop_equals_general_path(seed in any::<u64>(), hw_seed in any::<u64>(), len in 1usize..40, budget in 1u64..400, limit in any::<u64>()) {
        let p = program(seed, len);
        let mut fast = timed(&p, hw_seed);
        fast.timing.as_mut().unwrap().enable_timeline(timeline_limit(limit));
        let mut general = fast.clone();
        general.set_general_path_only(true);
        let mut slow = fast.clone();
        let rf = fast.run_fast(budget);
        let rg = general.run_fast(budget);
        let rs = stepped(&mut slow, budget);
        prop_assert_eq!(&rf, &rg);
        prop_assert_eq!(&rf, &rs);
        same_state(&fast, &general)?;
        same_timing(&fast, &general)?;
        same_timing(&fast, &slow)?;
    }

    #[test]
    fn breakpoints_stop_where_stepping_says(seed in any::<u64>(), len in 1usize..40, bp in 0u32..48, timing in any::<bool>()) {
        let p = program(seed, len);
        let m = if timing { timed(&p, seed >> 7) } else { tiny(&p) };
        breakpoint_as_stepping(m, TEXT + 4 * bp, timing)?;
    }

    #[test]
    fn fused_pairs_equal_general_path(seed in any::<u64>(), hw_seed in any::<u64>(), len in 1usize..30, budget in 1u64..600) {
        let (p, _) = fused_program(seed, len);
        for mut fast in [tiny(&p), timed(&p, hw_seed)] {
            let mut slow = fast.clone();
            let rf = fast.run_fast(budget);
            let rs = stepped(&mut slow, budget);
            prop_assert_eq!(&rf, &rs);
            same_state(&fast, &slow)?;
            if fast.timing.is_some() {
                same_timing(&fast, &slow)?;
            }
        }
    }

    #[test]
    fn fused_pairs_stop_at_breakpoints(seed in any::<u64>(), len in 1usize..30, pick in any::<u64>(), half in 0u32..2, timing in any::<bool>()) {
        let (p, pairs) = fused_program(seed, len);
        // A breakpoint on the ALU half or the `dbnz` half of a pair (else anywhere).
        let target = match pairs.len() {
            0 => TEXT + 4 * (pick % 48) as u32,
            n => pairs[(pick % n as u64) as usize] + 4 * half,
        };
        let m = if timing { timed(&p, seed >> 7) } else { tiny(&p) };
        breakpoint_as_stepping(m, target, timing)?;
    }
}

/// `run_until` with one breakpoint at `target` stops where stepping says (at it, a halt, a
/// trap or the budget) in the same state, and resuming from it executes it as a step does.
fn breakpoint_as_stepping(
    mut fast: Machine,
    target: u32,
    timing: bool,
) -> Result<(), TestCaseError> {
    let mut slow = fast.clone();
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
            Ok(s) => {
                if let Some(code) = s.halted {
                    rs = Ok(FastStop::Halted(code));
                    break;
                }
            }
            Err(t) => {
                rs = Err(t);
                break;
            }
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
    Ok(())
}

/// The benchmark's loop shape (`xor`, `add`, `addi` + `dbnz` fused): the fast loop stopped
/// by every budget from 1 to past the end — so at each word of the loop, between the
/// halves of the pair included — and resumed in slices of every size, equals stepping;
/// and with a breakpoint on each word in turn it stops there as stepping does.
#[test]
fn loop_tail_pair_splits_at_every_budget_and_breakpoint() {
    let mut p = Prog::new();
    p.li(5, 4);
    let top = p.here();
    p.i(Opcode::Xor, &[r(7), r(7), r(6)]);
    p.i(Opcode::Add, &[r(6), r(6), r(5)]);
    p.i(Opcode::Addi, &[r(8), r(8), imm(3)]);
    p.i(Opcode::Dbnz, &[r(5), rel(-12)]);
    p.i(Opcode::Add, &[r(1), r(8), r(7)]);
    p.halt(1);
    // Independent expectation: the same loop in Rust.
    let (mut r5, mut r6, mut r7, mut r8) = (4u32, 0u32, 0u32, 0u32);
    loop {
        r7 ^= r6;
        r6 = r6.wrapping_add(r5);
        r8 += 3;
        r5 -= 1;
        if r5 == 0 {
            break;
        }
    }
    let total = {
        let mut m = tiny(&p);
        assert_eq!(m.run_fast(1000), Ok(Some(r8.wrapping_add(r7))));
        assert_eq!((m.regs[6], m.regs[7], m.regs[8]), (r6, r7, r8));
        m.instret
    };
    for timing in [false, true] {
        let fresh = || if timing { timed(&p, 11) } else { tiny(&p) };
        for budget in 1..=total + 1 {
            let mut fast = fresh();
            let mut slow = fast.clone();
            assert_eq!(
                fast.run_fast(budget),
                stepped(&mut slow, budget),
                "budget {budget}"
            );
            same_state(&fast, &slow).unwrap();
            if timing {
                same_timing(&fast, &slow).unwrap();
            }
        }
        for slice in 1..=6 {
            let mut fast = fresh();
            let mut slow = fast.clone();
            loop {
                let (rf, rs) = (fast.run_fast(slice), stepped(&mut slow, slice));
                assert_eq!(rf, rs, "slices of {slice}");
                same_state(&fast, &slow).unwrap();
                if rf != Ok(None) {
                    break;
                }
            }
            if timing {
                same_timing(&fast, &slow).unwrap();
            }
        }
        for word in 0..4 {
            breakpoint_as_stepping(fresh(), top + 4 * word, timing).unwrap();
        }
    }
}

/// A store that rewrites the `dbnz` half of a fused pair while the loop runs: the pair must
/// come apart (the new word runs, the old `dbnz` no longer does), and a store that puts a
/// `dbnz` back after an ALU word forms a working pair again.
#[test]
fn store_over_second_half_of_fused_pair() {
    let mut p = Prog::new();
    // r1: the loop counter; r5: which iteration stores; r6/r7: the new word and its address.
    p.li(1, 5).li(5, 2);
    p.li(6, enc(Opcode::Addi, &[r(9), r(9), imm(7)]));
    let d = TEXT + 0x40;
    p.li(7, d);
    let top = d - 12;
    while p.here() < top {
        p.i(Opcode::Addi, &[r(0), r(0), imm(0)]);
    }
    // Iteration 1 skips the store (r5: 2 -> 1); iteration 2 stores (r5: 1 -> 0).
    p.i(Opcode::Dbnz, &[r(5), rel(8)]);
    p.i(Opcode::Sw, &[r(6), mem(0, 7)]);
    p.i(Opcode::Addi, &[r(8), r(8), imm(1)]); // fused with the dbnz below until the store
    assert_eq!(p.here(), d);
    p.i(Opcode::Dbnz, &[r(1), rel(top as i32 - d as i32)]);
    p.halt(8);
    let mut fast = tiny(&p);
    let mut slow = fast.clone();
    // Two passes of the pair; the second runs `addi r9` instead of its dbnz and falls out.
    assert_eq!(fast.run_fast(1000), Ok(Some(2)));
    assert_eq!((fast.regs[1], fast.regs[9]), (4, 7));
    assert_eq!(stepped(&mut slow, 1000), Ok(Some(2)));
    same_state(&fast, &slow).unwrap();

    // The other way: the follower becomes a dbnz (r1 = 3 passes) after the first pass.
    let top = d - 12;
    let word = enc(Opcode::Dbnz, &[r(1), rel(top as i32 - d as i32)]);
    let mut p = Prog::new();
    p.li(1, 3).li(5, 1).li(6, word).li(7, d);
    while p.here() < top {
        p.i(Opcode::Addi, &[r(0), r(0), imm(0)]);
    }
    p.i(Opcode::Dbnz, &[r(5), rel(8)]); // pass 1: r5 1 -> 0, falls to the store
    p.i(Opcode::Sw, &[r(6), mem(0, 7)]);
    p.i(Opcode::Addi, &[r(8), r(8), imm(1)]);
    assert_eq!(p.here(), d);
    p.i(Opcode::Addi, &[r(9), r(9), imm(7)]);
    p.halt(8);
    let mut fast = tiny(&p);
    let mut slow = fast.clone();
    // Pass 1 stores the dbnz (r1: 3 -> 2, back); pass 2 (r5 wrapped, branches over the
    // store) and pass 3 loop through the new pair; then it falls out with r8 = 3.
    assert_eq!(fast.run_fast(1000), Ok(Some(3)));
    assert_eq!((fast.regs[1], fast.regs[9]), (0, 0));
    assert_eq!(stepped(&mut slow, 1000), Ok(Some(3)));
    same_state(&fast, &slow).unwrap();
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
