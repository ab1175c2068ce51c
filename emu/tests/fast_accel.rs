//! Accelerator instructions run inside the fast loop (emu/src/machine/accel_step.rs) against
//! the general path.
//!
//! Random programs mix scalar instructions with tile, DMA, MAC and post-processing
//! instructions on a few tiles (some aliasing each other, some straddling a scratchpad
//! page), strided and plain loads (some across a DRAM page boundary), RLE stores and loads, LUT programming, `dchk` and `st.rle`
//! writing registers, `csrr` of `cycle` and `instret` (so counts must be exact mid-run), and
//! now and then an accelerator store over the program's own text; the body loops a few
//! times. Each program runs `run_fast` (the fast loop), `step()` one instruction at a time
//! (the general path with change records, undone again to check the records) and `run_fast`
//! in checked mode (every accelerator result recomputed by `reference`), all with random
//! budgets, and with random breakpoints through `run_until`; with the timing model also
//! against the general loop (forced with `set_general_path_only`), half the time recording
//! a timeline (often a small one that fills up). The whole state must agree: result or
//! trap, pc, registers, CSRs, counters per class, tiles (their `nnz` included), LUTs, DRAM,
//! scratchpads, and the timing model's clock, counters, statistics, timeline events and
//! dropped count.

mod emu_helpers;

use bitloom_emu::machine::FastStop;
use bitloom_emu::session::Breakpoints;
use bitloom_emu::stats::Stats;
use bitloom_emu::{Machine, Trap};
use bitloom_isa::{csr, Opcode, Operand, Space};
use emu_helpers::Rng;
use emu_helpers::*;
use proptest::prelude::*;

/// DRAM of the test machine.
const DRAM: u32 = 1 << 20;
/// Where the program's accelerator stores go.
const OUT: u32 = 0x4_0000;

/// Registers: r1..r7 are the scalar instructions' (and `dchk`/`st.rle` results'); r8 the
/// data address, r9 the output address, r10 an address inside the text, r11 a load
/// address (data + a random offset), r12 the loop counter. `Prog::tdef`/`ld_raw` use
/// r27..r30.
fn scalar(rng: &mut Rng) -> u32 {
    let g = |rng: &mut Rng| r(rng.range(1, 7) as u8);
    match rng.below(10) {
        0 => enc(
            Opcode::Csrr,
            &[
                g(rng),
                Operand::Csr(if rng.below(2) == 0 {
                    csr::CYCLE
                } else {
                    csr::INSTRET
                }),
            ],
        ),
        1 => enc(Opcode::Add, &[g(rng), g(rng), g(rng)]),
        2 => enc(Opcode::Xor, &[g(rng), g(rng), g(rng)]),
        3 => enc(Opcode::Mul, &[g(rng), g(rng), g(rng)]),
        4 => enc(Opcode::Lw, &[g(rng), mem(4 * rng.below(16) as i32, 8)]),
        5 => enc(Opcode::Sb, &[g(rng), mem(rng.below(64) as i32, 9)]),
        // A short forward branch (skips an accelerator instruction or two).
        6 => enc(
            Opcode::Bne,
            &[g(rng), g(rng), rel(4 * rng.range(1, 4) as i32)],
        ),
        _ => enc(
            Opcode::Addi,
            &[g(rng), g(rng), imm(rng.below(64) as i32 - 32)],
        ),
    }
}

/// A random program (see the module comment); `iters` passes over the body.
fn program(seed: u64, len: usize) -> Prog {
    let mut rng = Rng(seed | 1);
    let mut p = Prog::new();
    // Whole zero words half the time (so accumulator tiles have zeros to count too).
    let data: Vec<u8> = (0..256)
        .flat_map(|_| {
            let zero = rng.below(2) == 0;
            (0..4)
                .map(|_| match rng.below(4) {
                    _ if zero => 0,
                    0 => 0,
                    _ => rng.next() as u8,
                })
                .collect::<Vec<u8>>()
        })
        .collect();
    // The data straddles a DRAM page boundary, so some loads cross it (the buffered path).
    p.data(&[0u8; 0xe00]);
    let da = p.data(&data);
    let lut: Vec<u8> = (0..16).map(|_| rng.next() as u8).collect();
    let la = p.data(&lut);
    let precs = [8, 4, 2, 8];
    let wprec = precs[rng.below(4) as usize];
    let aprec = precs[rng.below(4) as usize];
    p.cfgi(csr::WPREC, wprec).cfgi(csr::APREC, aprec);
    p.cfgi(csr::WFMT, 0).cfgi(csr::AFMT, 0);
    p.cfgi(csr::RLERUN, rng.range(1, 5) as u32);
    if rng.below(3) == 0 {
        p.cfgi(csr::WFMT, 1)
            .cfgi(csr::WZP, rng.below(1 << wprec) as u32);
    }
    let (m, k, n) = (
        rng.range(1, 9) as u32,
        rng.range(1, 9) as u32,
        rng.range(1, 9) as u32,
    );
    p.tdef(0, Space::Wsp, 0, m, k);
    p.tdef(1, Space::Asp, 0, k, n);
    p.tdef(2, Space::Acc, 0, m, n);
    // t3 aliases t0's bytes (or straddles the first wsp page); t4 aliases t2 or straddles.
    let b3 = if rng.below(2) == 0 {
        rng.below(4) as u32
    } else {
        0x1000 - 8
    };
    p.tdef(3, Space::Wsp, b3, m, k);
    let b4 = if rng.below(2) == 0 {
        4 * rng.below(4) as u32
    } else {
        0x1000 - 16
    };
    p.tdef(4, Space::Acc, b4, m, n);
    // t5: a bias column for t2 and t4.
    p.tdef(5, Space::Acc, 0x2000, m, 1);
    for reg in 1..8u8 {
        p.li(reg, rng.below(40) as u32);
    }
    p.li(8, da)
        .li(9, OUT)
        .li(10, TEXT + 4 * rng.below(64) as u32);
    p.li(11, da + rng.below(256) as u32);
    p.li(12, rng.range(1, 4) as u32);
    let body = p.here();
    let tile = |rng: &mut Rng| t(rng.below(6) as u8);
    for _ in 0..len {
        match rng.below(16) {
            0..=4 => {
                let w = scalar(&mut rng);
                p.word(w);
            }
            5 => {
                // A new load address: data plus an offset.
                p.i(Opcode::Addi, &[r(11), r(8), imm(rng.below(512) as i32)]);
            }
            6 | 7 => {
                let td = tile(&mut rng);
                p.i(Opcode::LdRaw, &[td, r(11)]);
            }
            8 => {
                // bsmac on the consistent tiles, or on aliases (maybe a shape trap).
                let ops = if rng.below(8) == 0 {
                    [tile(&mut rng), tile(&mut rng), tile(&mut rng)]
                } else {
                    [
                        t(2 + 2 * rng.below(2) as u8),
                        t(3 * rng.below(2) as u8),
                        t(1),
                    ]
                };
                p.i(Opcode::Bsmac, &ops);
            }
            9 => {
                let (rd, ts) = (r(rng.range(1, 7) as u8), tile(&mut rng));
                p.i(Opcode::Dchk, &[rd, ts]);
            }
            10 => {
                let td = tile(&mut rng);
                p.i(Opcode::Tzero, &[td]);
            }
            11 => {
                // Stores: to the output area, now and then over the program's text.
                let base = if rng.below(8) == 0 { r(10) } else { r(9) };
                let ts = tile(&mut rng);
                p.i(Opcode::StRaw, &[ts, base]);
            }
            12 => {
                // An RLE store, then (maybe) its load back into another tile.
                let ts = t(rng.below(2) as u8 * 3);
                p.i(Opcode::StRle, &[r(rng.range(1, 7) as u8), ts, r(9)]);
                if rng.below(2) == 0 {
                    let td = t(3 * rng.below(2) as u8);
                    p.i(Opcode::LdRle, &[td, r(9)]);
                }
            }
            13 => {
                let acc = t(2 + 2 * rng.below(2) as u8);
                if rng.below(2) == 0 {
                    p.i(Opcode::Relu, &[acc]);
                } else {
                    p.i(Opcode::Bias, &[acc, t(5)]);
                }
            }
            14 => {
                p.i(
                    Opcode::SetLut,
                    &[imm(rng.below(4) as i32), r(8), Operand::Prec(4)],
                );
                let _ = la;
            }
            _ => {
                // Strided loads for a while, or plain again.
                // (40 bytes or more: longer than any row, so no overlap trap.)
                let s = [0, 0, 40, 64][rng.below(4) as usize];
                p.cfgi(csr::DSTRIDE, s);
            }
        }
    }
    let back = 4 * (body as i32 - p.here() as i32);
    p.i(Opcode::Dbnz, &[r(12), rel(back)]);
    p.halt(1);
    p
}

fn machine_for(p: &Prog, timing: Option<u64>) -> Machine {
    let mut hw = hw();
    hw.mem.dram_bytes = DRAM;
    if let Some(seed) = timing {
        let mut rng = Rng(seed | 1);
        let s = &mut hw.scalar;
        for lat in [
            &mut s.alu,
            &mut s.load,
            &mut s.store,
            &mut s.branch,
            &mut s.tile,
            &mut s.accel_issue,
            &mut s.taken_penalty,
        ] {
            *lat = rng.below(6) as u32;
        }
    }
    let mut m = Machine::new(&hw, &p.image()).unwrap();
    if timing.is_some() {
        m.enable_timing();
    }
    m
}

/// Step one instruction at a time on the general path with change records, up to
/// `budget`; each record is undone on a copy and must give back the state before it.
fn stepped(m: &mut Machine, budget: u64, undo_check: bool) -> Result<Option<u32>, Trap> {
    for _ in 0..budget {
        let before = undo_check.then(|| m.clone());
        let s = m.step()?;
        if let Some(before) = before {
            let mut back = m.clone();
            s.commit.undo(&mut back);
            // (The pc is not part of the record: the debugger puts it back itself.)
            back.pc = before.pc;
            assert_same(&back, &before, false).expect("undo restores the state");
        }
        if let Some(code) = s.halted {
            return Ok(Some(code));
        }
    }
    Ok(None)
}

fn assert_same(a: &Machine, b: &Machine, counters: bool) -> Result<(), TestCaseError> {
    prop_assert_eq!(a.pc, b.pc);
    prop_assert_eq!(a.regs, b.regs);
    if counters {
        prop_assert_eq!(a.instret, b.instret);
        prop_assert_eq!(a.class_counts, b.class_counts);
        prop_assert_eq!(a.exit, b.exit);
    }
    prop_assert_eq!(a.csrs, b.csrs);
    prop_assert_eq!(a.tiles, b.tiles);
    prop_assert_eq!(a.luts, b.luts);
    prop_assert!(
        a.dram == b.dram,
        "DRAM differs at {:?}",
        a.dram.first_difference(&b.dram)
    );
    prop_assert!(
        a.wsp == b.wsp,
        "wsp differs at {:?}",
        a.wsp.first_difference(&b.wsp)
    );
    prop_assert!(
        a.asp == b.asp,
        "asp differs at {:?}",
        a.asp.first_difference(&b.asp)
    );
    prop_assert!(
        a.acc == b.acc,
        "acc differs at {:?}",
        a.acc.first_difference(&b.acc)
    );
    if let (Some(ta), Some(tb)) = (&a.timing, &b.timing) {
        prop_assert_eq!(ta.now(), tb.now());
        prop_assert_eq!(ta.drained(), tb.drained());
        prop_assert_eq!(ta.counters(), tb.counters());
        let stats = |m: &Machine| {
            Stats::collect(m.hw(), m.timing.as_ref(), m.instret, &m.class_counts).to_json()
        };
        prop_assert_eq!(stats(a), stats(b));
        prop_assert_eq!(ta.timeline(), tb.timeline());
        prop_assert_eq!(ta.timeline_dropped(), tb.timeline_dropped());
    }
    Ok(())
}

/// `run_fast` in pieces of `slice` instructions up to `budget` (so the loop is left and
/// re-entered at arbitrary points, accelerator instructions included).
fn fast_in_slices(m: &mut Machine, budget: u64, slice: u64) -> Result<Option<u32>, Trap> {
    let mut left = budget;
    while left > 0 {
        let n = slice.min(left);
        if let Some(code) = m.run_fast(n)? {
            return Ok(Some(code));
        }
        left -= n;
    }
    Ok(None)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn fast_accel_equals_stepping_and_checked_mode(seed in any::<u64>(), len in 1usize..24, budget in 1u64..500, slice in 1u64..600) {
        let p = program(seed, len);
        let mut fast = machine_for(&p, None);
        let mut slow = fast.clone();
        let mut checked = fast.clone();
        checked.checked = true;
        let rf = fast_in_slices(&mut fast, budget, slice);
        let rs = stepped(&mut slow, budget, seed % 4 == 0);
        let rc = checked.run_fast(budget);
        prop_assert_eq!(&rf, &rs);
        prop_assert_eq!(&rf, &rc);
        assert_same(&fast, &slow, true)?;
        assert_same(&fast, &checked, true)?;
    }

    #[test]
    fn timed_fast_accel_equals_general_path(seed in any::<u64>(), hw_seed in any::<u64>(), len in 1usize..24, budget in 1u64..500) {
        let p = program(seed, len);
        let mut fast = machine_for(&p, Some(hw_seed));
        // Half the time with a timeline on all three (a small one fills up).
        if seed % 2 == 0 {
            let limit = if seed % 8 == 0 { 1 << 16 } else { (seed >> 16) as usize % 40 };
            fast.timing.as_mut().unwrap().enable_timeline(limit);
        }
        let mut slow = fast.clone();
        let mut general = fast.clone();
        general.set_general_path_only(true);
        let rf = fast.run_fast(budget);
        let rs = stepped(&mut slow, budget, false);
        let rg = general.run_fast(budget);
        prop_assert_eq!(&rf, &rs);
        prop_assert_eq!(&rf, &rg);
        assert_same(&fast, &slow, true)?;
        assert_same(&fast, &general, true)?;
    }

    #[test]
    fn fast_accel_stops_at_breakpoints(seed in any::<u64>(), len in 1usize..24, bp in 0u32..160, timing in any::<bool>()) {
        let p = program(seed, len);
        let mut fast = machine_for(&p, timing.then_some(seed >> 9));
        let mut slow = fast.clone();
        let target = TEXT + 4 * bp;
        let mut bps = Breakpoints::default();
        bps.insert(target);
        let map = fast.break_map(&bps);
        let rf = fast.run_until(2000, &map, false);
        let mut rs: Result<FastStop, Trap> = Ok(FastStop::Budget);
        for _ in 0..2000 {
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
        assert_same(&fast, &slow, true)?;
        if rf == Ok(FastStop::Breakpoint(target)) {
            // Resuming executes the instruction at the breakpoint, then runs on.
            let rf2 = fast.run_until(50, &map, true);
            let rs2 = stepped(&mut slow, 1, false).and_then(|h| match h {
                Some(code) => Ok(FastStop::Halted(code)),
                None => {
                    let mut r = Ok(FastStop::Budget);
                    for _ in 1..50 {
                        if slow.pc == target {
                            r = Ok(FastStop::Breakpoint(target));
                            break;
                        }
                        if let Some(code) = slow.step()?.halted {
                            r = Ok(FastStop::Halted(code));
                            break;
                        }
                    }
                    r
                }
            });
            prop_assert_eq!(rf2, rs2);
            assert_same(&fast, &slow, true)?;
        }
    }
}

/// The programs do what they are for: most run accelerator instructions for a while
/// before halting or trapping (a generator whose programs all trapped at once would test
/// little).
#[test]
fn programs_mostly_run_accelerator_work() {
    let mut long = 0;
    for seed in 0..64u64 {
        let mut m = machine_for(&program(seed * 7919, 20), None);
        let _ = m.run_fast(5000);
        let accel: u64 = m.class_counts[8..].iter().sum();
        if accel >= 10 {
            long += 1;
        }
    }
    assert!(
        long >= 32,
        "only {long} of 64 programs ran 10+ accelerator instructions"
    );
}

/// A deferred count must be made before another instruction overwrites the tile's bytes:
/// an accumulator tile loaded with zeros, then a `bsmac` into a tile aliasing it, a second
/// load into an aliasing weight tile, and a `tzero` of an aliasing tile — each tile's
/// `nnz` is what its load counted, whichever way the program runs.
#[test]
fn deferred_counts_survive_aliasing_writes() {
    let mut p = Prog::new();
    let zeros = p.data(&[0u8; 64]);
    let ones = p.data(&[1u8; 64]);
    p.cfgi(csr::WPREC, 8).cfgi(csr::APREC, 8);
    p.tdef(0, Space::Wsp, 0, 2, 2).tdef(1, Space::Asp, 0, 2, 2);
    p.tdef(2, Space::Acc, 0, 2, 2).tdef(3, Space::Acc, 0, 2, 2);
    p.tdef(4, Space::Wsp, 2, 2, 2).tdef(5, Space::Asp, 0, 2, 2);
    p.ld_raw(3, zeros).ld_raw(0, ones).ld_raw(1, ones);
    p.i(Opcode::Bsmac, &[t(2), t(0), t(1)]);
    // t4 overlaps t0's last two bytes: t0's count (4) must have been made before.
    p.ld_raw(4, zeros);
    p.ld_raw(5, ones);
    p.i(Opcode::Tzero, &[t(1)]);
    p.halt(0);
    let want = [Some(4), None, None, Some(0), Some(0), Some(4)];
    let mut fast = machine_for(&p, None);
    let mut slow = fast.clone();
    assert_eq!(fast.run_fast(1000), Ok(Some(0)));
    assert_eq!(stepped(&mut slow, 1000, true), Ok(Some(0)));
    let nnz = |m: &Machine| (0..6).map(|i| m.tile(i).unwrap().nnz).collect::<Vec<_>>();
    // t1 was zeroed (nnz 0), t2 was written by bsmac (unknown).
    let mut expected = want.to_vec();
    expected[1] = Some(0);
    assert_eq!(nnz(&slow), expected);
    assert_eq!(nnz(&fast), expected);
}
