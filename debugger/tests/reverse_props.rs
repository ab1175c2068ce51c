//! Reverse execution is exact, on every bundled example (a deterministic sweep of
//! positions and counts from a fixed-seed generator):
//!
//! - from a position k, `reverse-stepi N` then `stepi N` gives back the identical machine
//!   (registers, CSRs, tiles, LUTs, DRAM, scratchpads, pc, instret, cycles and timing
//!   counters: `state_difference` with counters);
//! - `reverse-continue` with a watchpoint stops where the value last changed: at the
//!   position of the last instruction before k that changed it, found independently by a
//!   forward single-step scan of a fresh machine (or at the start of history if none).

mod common;

use bitloom_debugger::engine::{Event, Target, WatchKind};
use bitloom_emu::CompareOptions;

/// A small fixed-seed generator (xorshift), so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// Retired instructions of a whole run.
fn length(program: &str) -> u64 {
    let mut d = common::debugger(program, true);
    let ev = d.forward(None, false, &mut |_, _| false, false);
    assert!(matches!(ev, Event::Exited(0)), "{program}: {ev:?}");
    d.m.instret
}

#[test]
fn reverse_stepi_then_stepi_is_identity() {
    let mut rng = Rng(0x5eed_1234_abcd_0001);
    for program in common::examples() {
        let total = length(&program);
        let mut s = common::session(&program, true);
        // Run to the end so the history holds checkpoints across the whole run.
        s.execute("run");
        for _ in 0..6 {
            let k = 1 + rng.below(total - 1);
            // Go to k exactly (the engine's own positioning), then the commands.
            s.dbg.goto(k).expect("goto");
            assert_eq!(s.dbg.m.instret, k);
            let before = s.dbg.m.clone();
            // N up to k, sometimes crossing a checkpoint (interval 16384).
            let n = match rng.below(3) {
                0 => 1 + rng.below(8),
                1 => 1 + rng.below(300),
                _ => 1 + rng.below(k.min(20_000)),
            }
            .min(k);
            let out = s.execute(&format!("reverse-stepi {n}"));
            assert_eq!(
                s.dbg.m.instret,
                k - n,
                "{program}: reverse-stepi {n} from {k}: {out}"
            );
            let out = s.execute(&format!("stepi {n}"));
            assert_eq!(
                s.dbg.m.instret, k,
                "{program}: stepi {n} back to {k}: {out}"
            );
            if let Some(d) = s
                .dbg
                .m
                .state_difference(&before, CompareOptions { counters: true })
            {
                panic!("{program}: reverse-stepi {n} then stepi {n} from #{k} differs: {d}");
            }
        }
    }
}

/// What a watch target reads as in a machine (for the independent scan).
fn value(m: &bitloom_emu::Machine, t: &Target) -> Vec<u8> {
    match *t {
        Target::Reg(r) => m.regs[r as usize].to_le_bytes().to_vec(),
        Target::Csr(c) => m.csr(c).unwrap_or(0).to_le_bytes().to_vec(),
        Target::Mem { addr, len } => m.read_dram(addr, len).expect("in DRAM"),
        Target::Tile(_) => unreachable!("not used here"),
    }
}

#[test]
fn reverse_continue_stops_where_the_watched_value_last_changed() {
    let mut rng = Rng(0xfeed_0bad_cafe_0002);
    let csrs = [
        bitloom_isa::csr::WPREC,
        bitloom_isa::csr::APREC,
        bitloom_isa::csr::NNZ,
        bitloom_isa::csr::WFMT,
    ];
    let mut checked_changes = 0;
    for program in common::examples() {
        let total = length(&program);
        for round in 0..8 {
            let k = 1 + rng.below(total - 1);
            // Independent forward scan from reset: the position (instret before the
            // instruction) of the last change of each candidate before k.
            let fresh = common::debugger(&program, true);
            let mut m = fresh.m.clone();
            let sp_word = Target::Mem {
                addr: m.regs[2] - 4,
                len: 4,
            };
            let target = match round % 3 {
                0 => Target::Reg(1 + rng.below(31) as u8),
                1 => Target::Csr(csrs[rng.below(csrs.len() as u64) as usize]),
                _ => sp_word,
            };
            let mut last_change = None;
            while m.instret < k {
                let before = value(&m, &target);
                let at = m.instret;
                m.step().expect("the examples do not trap");
                if value(&m, &target) != before {
                    last_change = Some(at);
                }
            }
            // The debugger: at k, watch the target, reverse-continue.
            let mut s = common::session(&program, true);
            s.dbg.forward(Some(k), false, &mut |_, _| false, false);
            assert_eq!(s.dbg.m.instret, k);
            s.dbg.add_watch(WatchKind::Write, target, "target");
            let ev = s.dbg.reverse_continue().expect("reverse-continue");
            match last_change {
                Some(j) => {
                    checked_changes += 1;
                    assert!(
                        matches!(ev, Event::Watch { read: false, .. }),
                        "{program}: {target:?} from #{k}: expected a watch stop at #{j}, got {ev:?}"
                    );
                    assert_eq!(
                        s.dbg.m.instret, j,
                        "{program}: {target:?} from #{k}: stopped at #{} instead of #{j}",
                        s.dbg.m.instret
                    );
                    // Stopped before the changing instruction: stepping it changes the value.
                    let v0 = value(&s.dbg.m, &target);
                    s.dbg.forward(Some(1), false, &mut |_, _| false, false);
                    assert_ne!(v0, value(&s.dbg.m, &target), "{program}: no change at #{j}");
                }
                None => {
                    assert_eq!(ev, Event::HistoryStart, "{program}: {target:?} from #{k}");
                    assert_eq!(s.dbg.m.instret, 0);
                }
            }
        }
    }
    assert!(
        checked_changes >= 20,
        "too few changes exercised: {checked_changes}"
    );
}
