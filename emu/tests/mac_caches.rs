//! The host-speed caches of the MAC path (decode tables memoised by format, precision,
//! zero-point, ck and LUT contents; lane-cost tables memoised by operand configuration;
//! reused buffers) must never change a result or a cycle count: results follow a LUT
//! rewritten by `set.lut`, a CSR changed between two `bsmac` on the same tiles, a tile
//! reloaded (raw, RLE, or through an aliasing tile), and a machine restored from a
//! snapshot or by undoing commits. Expected values are computed here by hand, and every run
//! is also in checked mode (recomputed by the independent `reference`).

mod emu_helpers;

use bitloom_emu::timing::MacCost;
use bitloom_emu::{Machine, TrapKind};
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::{csr, rle, Opcode, Space};
use emu_helpers::*;

/// Where the programs store accumulator results.
const OUT: u32 = 0x8_0000;

/// `c = w · a` for row-major 2×2 matrices.
fn matmul2(w: &[i32; 4], a: &[i32; 4]) -> [i32; 4] {
    [
        w[0] * a[0] + w[1] * a[2],
        w[0] * a[1] + w[1] * a[3],
        w[2] * a[0] + w[3] * a[2],
        w[2] * a[1] + w[3] * a[3],
    ]
}

/// The `i`-th 2×2 result stored at `OUT`.
fn result(m: &Machine, i: u32) -> [i32; 4] {
    let b = m.read_dram(OUT + 16 * i, 16).expect("result in DRAM");
    let mut r = [0; 4];
    for (v, w) in r.iter_mut().zip(b.chunks_exact(4)) {
        *v = i32::from_le_bytes([w[0], w[1], w[2], w[3]]);
    }
    r
}

/// Pack codes (the reference's packer).
fn pack(codes: &[u8], prec: u32) -> Vec<u8> {
    let c: Vec<u32> = codes.iter().map(|&x| x as u32).collect();
    bitloom_emu::reference::pack(&c, prec)
}

fn fmt(f: NumFmt) -> u32 {
    NumFmt::ALL.iter().position(|&x| x == f).expect("format") as u32
}

/// Tiles: t0 acc 2×2 at 0, t1 weights 2×2 at wsp 0, t2 activations 2×2 at asp 0.
fn tiles(p: &mut Prog) {
    p.tdef(0, Space::Acc, 0, 2, 2);
    p.tdef(1, Space::Wsp, 0, 2, 2);
    p.tdef(2, Space::Asp, 0, 2, 2);
}

/// `tzero t0; bsmac t0, t1, t2; st.raw t0 → OUT + 16·i`.
fn mac_store(p: &mut Prog, i: u32) {
    p.i(Opcode::Tzero, &[t(0)]);
    p.i(Opcode::Bsmac, &[t(0), t(1), t(2)]);
    p.st_raw(0, OUT + 16 * i);
}

const LUT_A: [i8; 4] = [0, 1, 2, 3];
const LUT_B: [i8; 4] = [5, -1, 7, 0];
const W_CODES: [u8; 4] = [1, 2, 3, 0];
const A_VALS: [i32; 4] = [1, 2, 3, 4];

/// LUT-format weights: a MAC with LUT A, `set.lut` B into the same LUT, the same MAC again,
/// then LUT A again.
fn lut_program() -> Prog {
    let mut p = Prog::new();
    let la = p.data(&LUT_A.map(|v| v as u8));
    let lb = p.data(&LUT_B.map(|v| v as u8));
    let wa = p.data(&pack(&W_CODES, 2));
    let aa = p.data(&A_VALS.map(|v| v as u8));
    p.cfgi(csr::WFMT, fmt(NumFmt::Lut))
        .cfgi(csr::WPREC, 2)
        .cfgi(csr::WLUT, 0)
        .cfgi(csr::AFMT, fmt(NumFmt::Int))
        .cfgi(csr::APREC, 8);
    tiles(&mut p);
    p.ld_raw(1, wa).ld_raw(2, aa);
    p.set_lut(0, la, 2);
    mac_store(&mut p, 0);
    p.set_lut(0, lb, 2);
    mac_store(&mut p, 1);
    p.set_lut(0, la, 2);
    mac_store(&mut p, 2);
    p.halt(0);
    p
}

fn lut_expect(lut: &[i8; 4]) -> [i32; 4] {
    matmul2(&W_CODES.map(|c| lut[c as usize] as i32), &A_VALS)
}

#[test]
fn set_lut_between_two_macs_on_the_same_tiles() {
    for timing in [false, true] {
        let mut m = machine(&lut_program());
        m.checked = true;
        if timing {
            m.enable_timing();
        }
        assert_eq!(m.run_fast(100_000).expect("runs"), Some(0));
        assert_eq!(result(&m, 0), lut_expect(&LUT_A));
        assert_eq!(result(&m, 1), lut_expect(&LUT_B));
        assert_eq!(result(&m, 2), lut_expect(&LUT_A));
        assert_ne!(lut_expect(&LUT_A), lut_expect(&LUT_B));
    }
}

#[test]
fn ck_change_between_two_macs_changes_legality() {
    // Cluster weights, 4 bits: code 3 is magnitude 3 = 4 − 1, two signed terms: legal
    // with ck = 2, illegal with ck = 1. Same tiles, only the CSR changes.
    let w_codes = [3u8, 1, 0b1001, 2]; // 3, 1, −1, 2
    let mut p = Prog::new();
    let wa = p.data(&pack(&w_codes, 4));
    let aa = p.data(&A_VALS.map(|v| v as u8));
    p.cfgi(csr::WFMT, fmt(NumFmt::Cluster))
        .cfgi(csr::WPREC, 4)
        .cfgi(csr::CK, 2);
    tiles(&mut p);
    p.ld_raw(1, wa).ld_raw(2, aa);
    mac_store(&mut p, 0);
    p.cfgi(csr::CK, 1);
    mac_store(&mut p, 1);
    p.halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(result(&m, 0), matmul2(&[3, 1, -1, 2], &A_VALS));
    let err = res.expect_err("ck = 1 rejects code 3");
    assert!(
        matches!(
            err.kind,
            TrapKind::ClusterBits {
                tile: 1,
                element: 0,
                bits: 2,
                ck: 1,
                ..
            }
        ),
        "{err:?}"
    );
}

#[test]
fn zero_point_change_between_two_macs() {
    // uint activations; the zero-point is stamped by tdef: redefine the same tile.
    let a_codes = [4u8, 5, 6, 7];
    let w = [1, -2, 3, 4];
    let mut p = Prog::new();
    let wa = p.data(&w.map(|v: i32| v as u8));
    let aa = p.data(&a_codes);
    p.cfgi(csr::AFMT, fmt(NumFmt::Uint)).cfgi(csr::AZP, 0);
    tiles(&mut p);
    p.ld_raw(1, wa).ld_raw(2, aa);
    mac_store(&mut p, 0);
    p.cfgi(csr::AZP, 3);
    p.tdef(2, Space::Asp, 0, 2, 2);
    mac_store(&mut p, 1);
    p.halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res.expect("runs"), Some(0));
    assert_eq!(result(&m, 0), matmul2(&w, &a_codes.map(|c| c as i32)));
    assert_eq!(result(&m, 1), matmul2(&w, &a_codes.map(|c| c as i32 - 3)));
}

#[test]
fn tile_reloaded_between_macs_raw_rle_and_through_an_alias() {
    let w = [1, 2, 3, 4];
    let a1 = [1, 0, 0, 1];
    let a2 = [2, 3, -1, 5];
    let a3 = [0, 0, 7, 0];
    let a4 = [-3, 1, 1, 1];
    let mut p = Prog::new();
    let wa = p.data(&w.map(|v: i32| v as u8));
    let a1a = p.data(&a1.map(|v: i32| v as u8));
    let a2a = p.data(&a2.map(|v: i32| v as u8));
    let a3a = p.data(&rle::encode(&a3.map(|v: i32| v as u8), 8, 4));
    let a4a = p.data(&a4.map(|v: i32| v as u8));
    p.cfgi(csr::RLERUN, 4);
    tiles(&mut p);
    // t3 aliases t2's bytes in the activation scratchpad.
    p.tdef(3, Space::Asp, 0, 1, 4);
    p.ld_raw(1, wa).ld_raw(2, a1a);
    mac_store(&mut p, 0);
    p.ld_raw(2, a2a);
    mac_store(&mut p, 1);
    p.ld_rle(2, a3a);
    mac_store(&mut p, 2);
    p.ld_raw(3, a4a);
    mac_store(&mut p, 3);
    p.halt(0);
    for timing in [false, true] {
        let mut m = machine(&p);
        m.checked = true;
        if timing {
            m.enable_timing();
        }
        assert_eq!(m.run_fast(100_000).expect("runs"), Some(0));
        for (i, a) in [a1, a2, a3, a4].iter().enumerate() {
            assert_eq!(
                result(&m, i as u32),
                matmul2(&w, a),
                "MAC {i}, timing {timing}"
            );
        }
    }
}

/// The last MAC's cost after running `p` with the timing model.
fn last_mac(p: &Prog) -> MacCost {
    let mut m = machine(p);
    m.enable_timing();
    assert_eq!(m.run_fast(100_000).expect("runs"), Some(0));
    *m.timing.as_ref().expect("timing on").last_mac()
}

#[test]
fn lane_costs_follow_csr_changes_between_macs() {
    // Cluster weights cost ck per lane, int activations their effectual bits at their
    // precision: a MAC after others with different ck / precision costs exactly what it
    // costs on a fresh machine.
    let w_codes = [1u8, 2, 0b1001, 4];
    let a_codes = [3u8, 0x81, 7, 0x7f];
    let prog = |steps: &[(u32, u32)]| {
        let mut p = Prog::new();
        let wa = p.data(&pack(&w_codes, 4));
        let aa = p.data(&a_codes);
        p.cfgi(csr::WFMT, fmt(NumFmt::Cluster))
            .cfgi(csr::WPREC, 4)
            .cfgi(csr::SERIAL, 2); // both operands serial: both sides' costs count
        for (i, &(ck, aprec)) in steps.iter().enumerate() {
            p.cfgi(csr::CK, ck).cfgi(csr::APREC, aprec);
            tiles(&mut p);
            p.ld_raw(1, wa).ld_raw(2, aa);
            mac_store(&mut p, i as u32);
        }
        p.halt(0);
        p
    };
    let configs = [(2, 8), (3, 8), (3, 6), (2, 8)];
    let fresh: Vec<MacCost> = configs.iter().map(|&c| last_mac(&prog(&[c]))).collect();
    assert_ne!(fresh[0].cycles, fresh[1].cycles, "ck must matter here");
    assert_ne!(
        fresh[1].lane_bits, fresh[2].lane_bits,
        "precision must matter"
    );
    for n in 1..=configs.len() {
        assert_eq!(
            last_mac(&prog(&configs[..n])),
            fresh[n - 1],
            "after {:?}",
            &configs[..n]
        );
    }
}

#[test]
fn snapshots_and_undo_do_not_carry_stale_tables() {
    let p = lut_program();
    let whole = {
        let mut m = machine(&p);
        m.enable_timing();
        assert_eq!(m.run_fast(100_000).expect("runs"), Some(0));
        m
    };
    let want: Vec<[i32; 4]> = (0..3).map(|i| result(&whole, i)).collect();
    // A snapshot at every instruction boundary, continued to the end, agrees with the
    // straight run in results and cycles.
    for k in 0..whole.instret {
        let mut m = machine(&p);
        m.enable_timing();
        m.checked = true;
        let _ = m.run_fast(k).expect("prefix runs");
        let mut snap = m.clone();
        assert_eq!(snap.run_fast(100_000).expect("rest runs"), Some(0));
        let got: Vec<[i32; 4]> = (0..3).map(|i| result(&snap, i)).collect();
        assert_eq!(got, want, "snapshot at {k}");
        assert_eq!(snap.cycle(), whole.cycle(), "snapshot at {k}");
        // The original continues identically after its snapshot was taken and used.
        assert_eq!(m.run_fast(100_000).expect("rest runs"), Some(0));
        assert_eq!(m.cycle(), whole.cycle(), "original after snapshot at {k}");
    }
    // Undo (what the debugger's commit log does) from the end back to each position, then
    // run forward again: the machine has seen both LUTs, the state says which one is live.
    let mut m = machine(&p);
    m.checked = true;
    let mut steps = Vec::new();
    while m.exit.is_none() {
        steps.push(m.step().expect("step"));
    }
    for k in (0..steps.len()).rev() {
        for s in steps[k..].iter().rev() {
            s.commit.undo(&mut m);
        }
        m.pc = steps[k].pc;
        m.exit = None;
        while m.exit.is_none() {
            m.step().expect("step after undo");
        }
        let got: Vec<[i32; 4]> = (0..3).map(|i| result(&m, i)).collect();
        assert_eq!(got, want, "undone back to step {k}");
    }
}
