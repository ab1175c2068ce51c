//! Strided (2-D) DMA: `ld.raw`/`st.raw` with CSR `dstride` (docs/ISA.md §5 "Strided DMA").
//! Expectations are computed here element by element from a matrix of codes, not with the
//! emulator's packing helpers.

mod emu_helpers;

use bitloom_isa::csr;
use bitloom_isa::Space;
use emu_helpers::*;

/// A matrix of `rows × cols` codes of `prec` bits, stored row by row with each row starting
/// at a byte boundary `stride` bytes apart, LSB-first within the row.
fn matrix_bytes(codes: &[Vec<u8>], prec: u32, stride: usize) -> Vec<u8> {
    let mut out = vec![0u8; stride * codes.len()];
    for (r, row) in codes.iter().enumerate() {
        for (c, &code) in row.iter().enumerate() {
            for b in 0..prec as usize {
                let bit = (code >> b) & 1;
                let pos = c * prec as usize + b;
                out[r * stride + pos / 8] |= bit << (pos % 8);
            }
        }
    }
    out
}

fn codes(rows: usize, cols: usize, prec: u32, seed: u64) -> Vec<Vec<u8>> {
    let mut rng = Rng(seed);
    (0..rows)
        .map(|_| {
            (0..cols)
                .map(|_| (rng.next() % (1 << prec)) as u8)
                .collect()
        })
        .collect()
}

#[test]
fn strided_load_cuts_a_sub_tile_out_of_a_matrix() {
    // A 6×10 matrix of 3-bit codes (30 bits per row, stored in 4-byte rows, stride 5),
    // and a 4×7 tile cut out of it at row 1, column 0 ... columns must start on a byte, so
    // the tile takes whole rows of the sub-matrix starting at row 1.
    for (prec, cols, stride) in [(3u32, 7usize, 5usize), (4, 6, 3), (8, 5, 9), (1, 13, 2)] {
        let rows = 4usize;
        let full = codes(6, cols, prec, 7 + prec as u64);
        let mut p = Prog::new();
        let base = p.data(&matrix_bytes(&full, prec, stride));
        let csr_prec = csr::APREC;
        p.cfgi(csr_prec, prec)
            .cfgi(csr::DSTRIDE, stride as u32)
            .tdef(1, Space::Asp, 0, rows as u32, cols as u32)
            .ld_raw(1, base + stride as u32)
            .halt(0);
        for checked in [false, true] {
            let (m, res) = run(&p, checked);
            assert_eq!(res, Ok(Some(0)), "prec {prec} cols {cols}");
            let got = m.tile_codes(1).unwrap();
            let want: Vec<u8> = full[1..1 + rows].iter().flatten().copied().collect();
            assert_eq!(got, want, "prec {prec} cols {cols} stride {stride}");
        }
    }
}

#[test]
fn strided_store_scatters_rows_and_keeps_neighbouring_bits() {
    // Store a 3×5 tile of 4-bit codes (20 bits = 2.5 bytes per row) with stride 4 over a
    // region pre-filled with 0xff: the upper nibble of each row's third byte and the fourth
    // byte stay 0xff.
    let prec = 4;
    let tile = codes(3, 5, prec, 42);
    let mut p = Prog::new();
    let src = p.data(&matrix_bytes(&tile, prec, 3)); // contiguous-per-row source, stride 3
    let dst = p.data(&[0xffu8; 16]);
    p.cfgi(csr::WPREC, prec)
        .cfgi(csr::DSTRIDE, 3)
        .tdef(2, Space::Wsp, 0, 3, 5)
        .ld_raw(2, src)
        .cfgi(csr::DSTRIDE, 4)
        .st_raw(2, dst)
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    let mut want = vec![0xffu8; 16];
    let rows = matrix_bytes(&tile, prec, 4);
    for r in 0..3 {
        want[r * 4] = rows[r * 4];
        want[r * 4 + 1] = rows[r * 4 + 1];
        want[r * 4 + 2] = (rows[r * 4 + 2] & 0x0f) | 0xf0;
    }
    assert_eq!(m.read_dram(dst, 16).unwrap(), want);
}

#[test]
fn strided_accumulator_rows_round_trip() {
    let vals: Vec<i32> = (0..6).map(|i| i * 1000 - 2500).collect();
    let mut src = vec![0u8; 2 * 20];
    for r in 0..2 {
        for c in 0..3 {
            src[r * 20 + c * 4..r * 20 + c * 4 + 4].copy_from_slice(&vals[r * 3 + c].to_le_bytes());
        }
    }
    let mut p = Prog::new();
    let a = p.data(&src);
    let out = p.data(&[0u8; 40]);
    p.cfgi(csr::DSTRIDE, 20)
        .tdef(3, Space::Acc, 0, 2, 3)
        .ld_raw(3, a)
        .st_raw(3, out)
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    assert_eq!(m.tile_values(3).unwrap(), vals);
    assert_eq!(m.read_dram(out, 40).unwrap(), src);
}

#[test]
fn strided_traps_are_precise() {
    // Stride smaller than a row.
    let mut p = Prog::new();
    p.cfgi(csr::APREC, 8)
        .cfgi(csr::DSTRIDE, 3)
        .tdef(1, Space::Asp, 0, 2, 4)
        .ld_raw(1, 0x2000)
        .halt(0);
    let e = run(&p, false).1.unwrap_err();
    assert!(
        matches!(&e.kind, bitloom_emu::TrapKind::FormatUnsupported(m) if m.contains("dstride 3")),
        "{e:?}"
    );
    // The last row past the end of DRAM: OutOfRange, and nothing written.
    let end = hw().mem.dram_bytes;
    let mut p = Prog::new();
    p.cfgi(csr::APREC, 8)
        .cfgi(csr::DSTRIDE, 64)
        .tdef(1, Space::Asp, 0, 4, 4)
        .st_raw(1, end - 3 * 64 - 2)
        .halt(0);
    let (m, res) = run(&p, false);
    assert!(matches!(
        res.unwrap_err().kind,
        bitloom_emu::TrapKind::OutOfRange { .. }
    ),);
    assert!(m
        .read_dram(end - 3 * 64 - 2, 3 * 64 + 2)
        .unwrap()
        .iter()
        .all(|&b| b == 0));
}

#[test]
fn strided_transfers_cost_a_burst_per_row() {
    // Same bytes moved; the strided load pays each row's partial bus beat.
    let run_cycles = |stride: u32| {
        let mut p = Prog::new();
        let a = p.data(&[1u8; 4096]);
        p.cfgi(csr::APREC, 8)
            .cfgi(csr::DSTRIDE, stride)
            .tdef(1, Space::Asp, 0, 16, 20)
            .ld_raw(1, a)
            .i(bitloom_isa::Opcode::Sync, &[])
            .halt(0);
        let mut m = machine(&p);
        m.enable_timing();
        assert_eq!(m.run_fast(10_000), Ok(Some(0)));
        let t = m.timing.as_ref().unwrap();
        (
            t.counters().unit_busy[bitloom_emu::timing::Unit::Dma as usize],
            t.counters().dram_read,
        )
    };
    let (contiguous, bytes0) = run_cycles(0);
    let (strided, bytes1) = run_cycles(32);
    assert_eq!(bytes0, 320);
    assert_eq!(bytes1, 320);
    let bpc = hw().mem.dram_bytes_per_cycle as u64;
    // 16 rows of 20 bytes: 16·ceil(20/bpc) transfer cycles instead of ceil(320/bpc).
    assert_eq!(
        strided - contiguous,
        16 * 20u64.div_ceil(bpc) - 320u64.div_ceil(bpc)
    );
}
