//! The in-place paths of the accelerator (host speed only) must agree exactly with the
//! copying ones: 8-bit operand codes read where they lie in a scratchpad page, `bsmac`
//! adding straight into the accumulator page, `ld.raw` copying straight from the DRAM page,
//! and the memory's remembered "owned page" skipping the copy-on-write check.
//!
//! One program exercises them — accumulating `bsmac`s without `tzero`, a write to the
//! accumulator through an aliasing tile between two of them, a weight reload, tiles that
//! straddle a page boundary (so the copying paths run too) — and is run three ways: the
//! fast run (in-place paths), single steps with change records (copying paths), and checked
//! mode (copying paths, every MAC recomputed by `reference`). Results are also computed
//! here by hand. Snapshots taken between any two instructions must not see the original's
//! later in-place writes, and vice versa.

mod emu_helpers;

use bitloom_emu::Machine;
use bitloom_isa::{csr, Opcode, Space};
use emu_helpers::*;

/// Where the program stores its two accumulator tiles.
const OUT: u32 = 0x8_0000;
/// Tile side.
const N: usize = 8;
/// Accumulator tile t0 lies inside one acc page; t4 straddles the first page boundary.
const ACC0: u32 = 0x100;
const ACC4: u32 = 0x1000 - 128;
/// Weight tile t5 straddles the first wsp page boundary.
const WSP5: u32 = 0x1000 - 32;

fn mat(seed: u32) -> Vec<i8> {
    (0..N * N)
        .map(|i| ((i as u32 * 37 + seed * 101) % 255) as u8 as i8)
        .collect()
}

/// `acc += w · a` for row-major N×N matrices (wrapping, as the accumulators do).
fn mac(acc: &mut [i32], w: &[i8], a: &[i8]) {
    for m in 0..N {
        for n in 0..N {
            let s = (0..N).fold(0i32, |s, k| {
                s.wrapping_add(w[m * N + k] as i32 * a[k * N + n] as i32)
            });
            acc[m * N + n] = acc[m * N + n].wrapping_add(s);
        }
    }
}

fn bytes(v: &[i8]) -> Vec<u8> {
    v.iter().map(|&x| x as u8).collect()
}

/// The program and the two result tiles it must store.
fn program() -> (Prog, Vec<i32>, Vec<i32>) {
    let (w, a, w2, w5) = (mat(1), mat(2), mat(3), mat(4));
    let x: Vec<i32> = (0..16).map(|i| 1000 * i - 7000).collect();
    let mut p = Prog::new();
    let wa = p.data(&bytes(&w));
    let aa = p.data(&bytes(&a));
    let xa = p.data(&x.iter().flat_map(|v| v.to_le_bytes()).collect::<Vec<u8>>());
    // Pad so the next operand straddles a DRAM page boundary (the copying load path).
    let here = DATA + p.data.len() as u32;
    let pad = (0x1000 - (here + 32) % 0x1000) % 0x1000;
    p.data(&vec![0u8; pad as usize]);
    let w2a = p.data(&bytes(&w2));
    assert_eq!((w2a + 32) % 0x1000, 0, "w2 straddles a DRAM page");
    let w5a = p.data(&bytes(&w5));
    for (c, v) in [
        (csr::WPREC, 8),
        (csr::APREC, 8),
        (csr::WFMT, 0),
        (csr::AFMT, 0),
    ] {
        p.cfgi(c, v);
    }
    let n = N as u32;
    p.tdef(0, Space::Acc, ACC0, n, n);
    p.tdef(1, Space::Wsp, 0, n, n);
    p.tdef(2, Space::Asp, 0, n, n);
    p.tdef(3, Space::Acc, ACC0, 4, 4); // rows 0 and 1 of t0
    p.tdef(4, Space::Acc, ACC4, n, n);
    p.tdef(5, Space::Wsp, WSP5, n, n);
    p.ld_raw(1, wa).ld_raw(2, aa);
    let bsmac = |p: &mut Prog, c: u8, w: u8| {
        p.i(Opcode::Bsmac, &[t(c), t(w), t(2)]);
    };
    p.i(Opcode::Tzero, &[t(0)]);
    bsmac(&mut p, 0, 1); // into an untouched page: copied
    bsmac(&mut p, 0, 1); // in place
    p.ld_raw(3, xa); // rows 0, 1 of t0 overwritten through the alias
    bsmac(&mut p, 0, 1);
    p.ld_raw(1, w2a); // reload (straddling source)
    bsmac(&mut p, 0, 1);
    p.ld_raw(5, w5a);
    p.i(Opcode::Tzero, &[t(4)]);
    bsmac(&mut p, 4, 5); // straddling accumulator and weights
    bsmac(&mut p, 4, 1);
    p.st_raw(0, OUT).st_raw(4, OUT + 4 * n * n);
    p.halt(0);

    let mut c0 = vec![0i32; N * N];
    mac(&mut c0, &w, &a);
    mac(&mut c0, &w, &a);
    c0[..16].copy_from_slice(&x);
    mac(&mut c0, &w, &a);
    mac(&mut c0, &w2, &a);
    let mut c4 = vec![0i32; N * N];
    mac(&mut c4, &w5, &a);
    mac(&mut c4, &w2, &a);
    (p, c0, c4)
}

fn words(m: &Machine, addr: u32) -> Vec<i32> {
    let b = m
        .read_dram(addr, 4 * (N * N) as u32)
        .expect("result in DRAM");
    b.chunks_exact(4)
        .map(|w| i32::from_le_bytes([w[0], w[1], w[2], w[3]]))
        .collect()
}

/// Everything architectural two runs must agree on.
fn assert_same(a: &Machine, b: &Machine, what: &str) {
    assert!(a.dram == b.dram, "{what}: DRAM");
    assert!(a.wsp == b.wsp, "{what}: wsp");
    assert!(a.asp == b.asp, "{what}: asp");
    assert!(a.acc == b.acc, "{what}: acc");
    assert_eq!(a.regs, b.regs, "{what}: registers");
    assert_eq!(a.tiles, b.tiles, "{what}: tile registers");
    assert_eq!(a.instret, b.instret, "{what}: instret");
    assert_eq!(a.cycle(), b.cycle(), "{what}: cycles");
    assert_eq!(a.exit, b.exit, "{what}: exit");
}

#[test]
fn fast_run_agrees_with_recorded_steps_and_checked_mode() {
    let (p, c0, c4) = program();
    for timing in [false, true] {
        let start = || {
            let mut m = machine(&p);
            if timing {
                m.enable_timing();
            }
            m
        };
        let mut fast = start();
        assert_eq!(fast.run_fast(100_000).expect("runs"), Some(0));
        assert_eq!(words(&fast, OUT), c0, "t0 (timing {timing})");
        assert_eq!(
            words(&fast, OUT + 4 * (N * N) as u32),
            c4,
            "t4 (timing {timing})"
        );

        let mut stepped = start();
        while stepped.exit.is_none() {
            stepped.step().expect("step");
        }
        assert_same(&fast, &stepped, "fast run vs recorded steps");

        let mut checked = start();
        checked.checked = true;
        assert_eq!(checked.run_fast(100_000).expect("checked run"), Some(0));
        assert_same(&fast, &checked, "fast run vs checked mode");
    }
}

#[test]
fn snapshots_between_in_place_writes_stay_apart() {
    let (p, ..) = program();
    let mut whole = machine(&p);
    assert_eq!(whole.run_fast(100_000).expect("runs"), Some(0));
    // Deep copies (a clone of a memory would share its pages, and clear what it owns).
    let all = |m: &bitloom_emu::mem::PagedMem| m.read_vec(0, m.size() as usize);
    let mems = |m: &Machine| (all(&m.dram), all(&m.wsp), all(&m.asp), all(&m.acc));
    for k in 0..whole.instret {
        let mut m = machine(&p);
        assert_eq!(m.run_fast(k).expect("prefix runs"), None);
        let mut snap = m.clone();
        let at_snap = mems(&snap);
        // The original runs on, writing in place: the snapshot must not see it.
        assert_eq!(m.run_fast(100_000).expect("rest runs"), Some(0));
        assert_same(&m, &whole, &format!("original after a snapshot at {k}"));
        let now = mems(&snap);
        assert!(now.0 == at_snap.0, "snapshot DRAM changed (at {k})");
        assert!(now.1 == at_snap.1, "snapshot wsp changed (at {k})");
        assert!(now.2 == at_snap.2, "snapshot asp changed (at {k})");
        assert!(now.3 == at_snap.3, "snapshot acc changed (at {k})");
        // The snapshot runs on: the original (finished) must not see its writes either.
        let done = mems(&m);
        assert_eq!(snap.run_fast(100_000).expect("snapshot runs"), Some(0));
        assert_same(&snap, &whole, &format!("snapshot at {k}"));
        let after = mems(&m);
        assert!(
            after.3 == done.3 && after.0 == done.0,
            "original changed (at {k})"
        );
    }
}
