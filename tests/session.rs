//! The session layer over every bundled example: byte-identical `--stats-json` against the
//! golden files, snapshots that restore exactly, change records complete enough to undo
//! every instruction, breakpoints, predicates, limits and cancel.
//!
//! Golden statistics were written by the binary before the session layer existed
//! (`tests/golden/stats/*.json`); regenerate them only after a deliberate timing change
//! with `BLESS=1 cargo test --test session`.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use bitloom_asm::load::load_program;
use bitloom_asm::Options;
use bitloom_emu::hw::HwConfig;
use bitloom_emu::session::{self, Control, MachineOptions, Stops};
use bitloom_emu::{Breakpoints, CompareOptions, Machine, StopReason};

const BUDGET: u64 = 20_000_000;

fn examples() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/examples");
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "s"))
        .collect();
    v.sort();
    assert!(v.len() >= 9, "bundled examples missing");
    v
}

fn stem(p: &Path) -> String {
    p.file_stem().unwrap().to_string_lossy().into_owned()
}

fn machine(p: &Path, timing: bool) -> Machine {
    let img = load_program(p, &Options::default()).unwrap().image;
    session::new_machine(
        &HwConfig::default(),
        &img,
        &MachineOptions {
            timing,
            checked: false,
        },
    )
    .unwrap()
}

fn same(a: &Machine, b: &Machine, what: &str) {
    let d = a.state_difference(b, CompareOptions { counters: true });
    assert!(d.is_none(), "{what}: {}", d.unwrap());
}

#[test]
fn stats_json_is_byte_identical_to_golden() {
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/stats");
    for p in examples() {
        let mut m = machine(&p, true);
        let report = bitloom_emu::run::run(&mut m, &mut Default::default());
        assert_eq!(
            report.outcome,
            bitloom_emu::run::Outcome::Exit(0),
            "{}",
            p.display()
        );
        let json = report.stats.to_json();
        let g = golden.join(format!("{}.json", stem(&p)));
        if std::env::var_os("BLESS").is_some() {
            std::fs::write(&g, &json).unwrap();
            continue;
        }
        let want = std::fs::read_to_string(&g).unwrap();
        assert!(
            json == want,
            "{}: --stats-json differs from {}",
            p.display(),
            g.display()
        );
    }
}

/// Total instructions of an example's run.
fn total_steps(p: &Path) -> u64 {
    let mut m = machine(p, true);
    let stop = session::run(
        &mut m,
        &mut Stops {
            max_steps: Some(BUDGET),
            ..Stops::default()
        },
    );
    assert_eq!(stop.reason, StopReason::Exited(0), "{}", p.display());
    stop.steps
}

fn run_steps(m: &mut Machine, n: u64) {
    let stop = session::run(
        m,
        &mut Stops {
            max_steps: Some(n),
            ..Stops::default()
        },
    );
    assert_eq!(stop.steps, n);
}

#[test]
fn snapshot_restores_exactly() {
    for p in examples() {
        let total = total_steps(&p);
        for n in [1, total / 3, total / 2, total - 1] {
            let mut a = machine(&p, true);
            run_steps(&mut a, n);
            let snap = a.clone();
            // Mutate past the snapshot, then restore it.
            session::run(&mut a, &mut Stops::default());
            assert!(a.exit.is_some());
            a = snap;
            let mut fresh = machine(&p, true);
            run_steps(&mut fresh, n);
            same(&a, &fresh, &format!("{} after {n} steps", p.display()));
            // And the restored machine finishes exactly like an uninterrupted run.
            session::run(&mut a, &mut Stops::default());
            session::run(&mut fresh, &mut Stops::default());
            same(&a, &fresh, &format!("{} finished from {n}", p.display()));
        }
    }
}

#[test]
fn change_records_undo_every_instruction() {
    // Every architectural write is recorded with its old value: undoing each step's
    // record restores the state before it (counters aside).
    for p in examples() {
        let mut m = machine(&p, false);
        let mut steps = 0u64;
        let mut writes = 0usize;
        loop {
            let before = m.clone();
            let step = m.step().unwrap();
            writes += step.commit.mem.len() + step.commit.csrs.len() + step.commit.tiles.len();
            let after = m.clone();
            step.commit.undo(&mut m);
            let d = m.state_difference(&before, CompareOptions { counters: false });
            assert!(
                d.is_none(),
                "{}: undo of step {steps} at 0x{:08x} ({}) left {}",
                p.display(),
                step.pc,
                step.instr.format(step.pc, &|_| None),
                d.unwrap()
            );
            // The record's new values are what the machine holds after the step.
            for w in &step.commit.mem {
                assert_eq!(after.mem(w.space).read_vec(w.addr, w.new.len()), w.new);
            }
            if let Some(g) = step.commit.gpr {
                assert_eq!(after.regs[g.reg as usize], g.new);
            }
            m = after;
            steps += 1;
            if step.halted.is_some() {
                break;
            }
        }
        assert!(writes > 0 && steps > 10, "{}", p.display());
    }
}

#[test]
fn dchk_records_all_three_csrs() {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("programs/examples/density_store.s");
    let mut m = machine(&p, false);
    let mut seen = false;
    while m.exit.is_none() {
        let s = m.step().unwrap();
        if s.instr.op == bitloom_isa::Opcode::Dchk {
            let names: Vec<u8> = s.commit.csrs.iter().map(|c| c.csr).collect();
            assert_eq!(
                names,
                vec![
                    bitloom_isa::csr::NNZ,
                    bitloom_isa::csr::DENSITY,
                    bitloom_isa::csr::DENSE
                ]
            );
            assert_eq!(s.commit.tiles.len(), 1);
            seen = true;
        }
    }
    assert!(seen, "density_store.s has no dchk");
}

/// Every pc the program executes, in order (an independent count by single-stepping).
fn pcs(p: &Path) -> Vec<u32> {
    let mut m = machine(p, true);
    let mut v = Vec::new();
    while m.exit.is_none() {
        v.push(m.pc);
        m.step().unwrap();
    }
    v
}

#[test]
fn breakpoints_stop_before_each_visit() {
    for p in examples() {
        let trace = pcs(&p);
        // A pc visited several times (a loop head), or the most visited one.
        let mut counts = std::collections::HashMap::new();
        for &pc in &trace {
            *counts.entry(pc).or_insert(0u64) += 1;
        }
        let (&bp, &visits) = counts
            .iter()
            .filter(|(pc, _)| **pc != trace[0])
            .max_by_key(|(pc, n)| (**n, std::cmp::Reverse(**pc)))
            .unwrap();
        let bps: Breakpoints = [bp].into_iter().collect();
        {
            let mut m = machine(&p, true);
            let mut hits = 0;
            loop {
                let stop = session::run(
                    &mut m,
                    &mut Stops {
                        breakpoints: Some(&bps),
                        ..Stops::default()
                    },
                );
                match stop.reason {
                    StopReason::Breakpoint(pc) => {
                        assert_eq!(pc, bp);
                        assert_eq!(m.pc, bp);
                        // Stopped before executing: instret is the index of that visit.
                        assert_eq!(trace[m.instret as usize], bp);
                        hits += 1;
                    }
                    StopReason::Exited(0) => break,
                    other => panic!("{}: {other:?}", p.display()),
                }
            }
            assert_eq!(hits, visits, "{} bp 0x{bp:08x}", p.display());
        }
    }
}

#[test]
fn predicate_step_limit_and_cancel() {
    let p = &examples()[0];
    let trace = pcs(p);
    // Predicate: stop after the 5th retired instruction writing a register.
    let mut m = machine(p, true);
    let mut seen = 0;
    let mut pred = |_: &Machine, s: &bitloom_emu::Step| {
        if s.commit.gpr.is_some() {
            seen += 1;
        }
        if seen == 5 {
            Control::Stop
        } else {
            Control::Continue
        }
    };
    let stop = session::run(
        &mut m,
        &mut Stops {
            on_step: Some(&mut pred),
            ..Stops::default()
        },
    );
    assert_eq!(stop.reason, StopReason::Predicate);
    assert_eq!(m.pc, trace[stop.steps as usize]);

    // Step limits are exact in both loops.
    for n in [1, 7, 4097, 5000] {
        let mut m = machine(p, true);
        let stop = session::run(
            &mut m,
            &mut Stops {
                max_steps: Some(n),
                ..Stops::default()
            },
        );
        assert_eq!(stop.reason, StopReason::StepLimit(n));
        assert_eq!(m.pc, trace[n as usize]);
    }

    // A raised cancel flag stops before anything runs.
    let flag = Arc::new(AtomicBool::new(true));
    let mut m = machine(p, true);
    let stop = session::run(
        &mut m,
        &mut Stops {
            cancel: Some(flag),
            ..Stops::default()
        },
    );
    assert_eq!(stop.reason, StopReason::Cancelled);
    assert_eq!(stop.steps, 0);
}

#[test]
fn machine_keeps_its_hardware_config() {
    let mut hw = HwConfig::default();
    hw.mac.rows = 8;
    let p = &examples()[0];
    let img = load_program(p, &Options::default()).unwrap().image;
    let m = session::new_machine(&hw, &img, &MachineOptions::default()).unwrap();
    assert_eq!(m.hw().mac.rows, 8);
    assert!(m.timing.is_none());
    let m = session::new_machine(
        &hw,
        &img,
        &MachineOptions {
            timing: true,
            checked: true,
        },
    )
    .unwrap();
    assert_eq!(m.timing.as_ref().unwrap().hw().mac.rows, 8);
    assert!(m.checked);
}

#[test]
fn pass_histogram_counts_every_pass() {
    // The MAC cost's per-pass histogram (what `info mac` shows) accounts for every pass,
    // and its cycle-weighted sum is the allocated lane cycles divided by the group size.
    let mut macs = 0;
    for p in examples() {
        let mut m = machine(&p, true);
        while m.exit.is_none() {
            let s = m.step().unwrap();
            if s.instr.def().class == bitloom_isa::Class::Mac {
                let c = *m.timing.as_ref().unwrap().last_mac();
                let n: u64 = c.pass_hist.iter().sum();
                assert_eq!(n, c.passes, "{} at 0x{:x}", p.display(), s.pc);
                if c.pass_hist[c.pass_hist.len() - 1] == 0 {
                    let weighted: u64 = c
                        .pass_hist
                        .iter()
                        .enumerate()
                        .map(|(cy, k)| cy as u64 * k)
                        .sum();
                    assert_eq!(
                        weighted * m.hw().mac.group as u64,
                        c.lane_alloc,
                        "{} at 0x{:x}",
                        p.display(),
                        s.pc
                    );
                }
                macs += 1;
            }
        }
    }
    assert!(macs >= 9, "examples execute MAC instructions");
}
