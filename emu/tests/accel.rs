//! Accelerator instructions, one by one, against hand-computed values and the reference:
//! tdef/tzero/dchk, ld/st raw and RLE, set.lut, bsmac (every format), vscale, bit-slice
//! mode, bias/bcorr/relu/rqnt, and every accelerator trap.

mod emu_helpers;

use bitloom_emu::reference;
use bitloom_emu::timing::Timing;
use bitloom_emu::{Storage, TrapKind};
use bitloom_isa::csr;
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::rle;
use bitloom_isa::{Opcode, Operand, Space};
use emu_helpers::*;

fn opnd(rows: u32, cols: u32, prec: u32, fmt: u32, codes: &[u8]) -> Opnd {
    Opnd {
        rows,
        cols,
        prec,
        fmt,
        zp: 0,
        lut: Vec::new(),
        codes: codes.to_vec(),
    }
}

fn case(w: Opnd, a: Opnd) -> MacCase {
    let acc = vec![0; (w.rows * a.cols) as usize];
    MacCase {
        w,
        a,
        acc,
        slice: 0,
        sfreq: 0,
        ck: 2,
        logbase: 0,
        vlen: 64,
        scales: None,
    }
}

/// Run a MAC case in checked mode; return the accumulator values.
fn run_case(c: &MacCase) -> Result<Vec<i32>, TrapKind> {
    let (m, res) = run(&c.program(), true);
    match res {
        Ok(Some(0)) => Ok(m.tile_values(0).expect("t0 defined")),
        Ok(other) => panic!("unexpected run result {other:?}"),
        Err(t) => Err(t.kind),
    }
}

#[test]
fn bsmac_int8_by_hand() {
    // W = [[1, -2], [3, 4]], A = [[5, 6, 7], [-8, 9, 10]]
    let w = opnd(2, 2, 8, 0, &[1, 0xfe, 3, 4]);
    let a = opnd(2, 3, 8, 0, &[5, 6, 7, 0xf8, 9, 10]);
    let mut c = case(w, a);
    c.acc = vec![100, 0, 0, 0, 0, -1];
    assert_eq!(
        run_case(&c).unwrap(),
        vec![100 + 21, 6 - 18, 7 - 20, 15 - 32, 18 + 36, 21 + 40 - 1]
    );
    assert_eq!(run_case(&c).unwrap(), c.expected().unwrap());
}

#[test]
fn bsmac_mixed_precision_and_uint_zero_point() {
    // 2-bit signed weights x 8-bit uint activations with zp 128.
    let w = opnd(1, 4, 2, 0, &[0b01, 0b11, 0b10, 0b00]); // 1, -1, -2, 0
    let mut a = opnd(4, 1, 8, 1, &[130, 120, 128, 255]);
    a.zp = 128; // values 2, -8, 0, 127
    let c = case(w, a);
    assert_eq!(run_case(&c).unwrap(), vec![2 + 8]);
}

#[test]
fn log_weights_base2_and_sqrt2() {
    // p = 4: code = s<<3 | m; q = m - 1.
    // codes: m=3 (q=2), m=2 (q=1), s|m=1 (q=0, negative), m=0 (zero)
    let w = opnd(1, 4, 4, 2, &[3, 2, 0b1001, 0b1000]);
    let a = opnd(4, 1, 8, 0, &[0xfd, 0xfd, 7, 100]); // -3, -3, 7, 100
    let mut c = case(w, a);
    // base 2: -3*4 + -3*2 - 7 + 0
    assert_eq!(run_case(&c).unwrap(), vec![-12 - 6 - 7]);
    c.logbase = 1;
    // base sqrt2: q=2 -> h=1, even: -3<<1 = -6; q=1 -> h=0, odd: -3 + (-3>>1) = -3 - 2 = -5;
    // q=0 -> -(7) ; zero.
    assert_eq!(run_case(&c).unwrap(), vec![-6 - 5 - 7]);
    assert_eq!(reference::log_prod(2, 4, -3, 1), -5);
}

#[test]
fn lut_and_cluster_formats() {
    let mut w = opnd(1, 3, 2, 3, &[0, 1, 3]);
    w.lut = vec![-100, 50, 7, -1];
    let mut a = opnd(3, 1, 3, 3, &[7, 0, 2]);
    a.lut = vec![1, 2, 3, 4, 5, 6, 7, -8];
    let c = case(w, a);
    // -100*-8 + 50*1 + -1*3
    assert_eq!(run_case(&c).unwrap(), vec![800 + 50 - 3]);

    // cluster p=4: sign bit 3, magnitude 3 bits; ck = 2.
    let w = opnd(1, 3, 4, 4, &[0b0101, 0b1011, 0b0000]); // 5, -3, 0
    let a = opnd(3, 1, 8, 0, &[2, 3, 4]);
    let c = case(w, a);
    assert_eq!(run_case(&c).unwrap(), vec![10 - 9]);
    // 0b0111 = 7 = 8 − 1: two signed terms, legal with ck = 2 (signed-digit BitCluster).
    let mut sd = c.clone();
    sd.w.codes[2] = 0b0111;
    assert_eq!(run_case(&sd).unwrap(), vec![10 - 9 + 7 * 4]);
    // With ck = 1, 3 = 4 − 1 (two terms) traps.
    let mut bad = c.clone();
    bad.ck = 1;
    bad.w.codes[0] = 0b0011;
    assert!(matches!(
        run_case(&bad),
        Err(TrapKind::ClusterBits {
            tile: 1,
            element: 0,
            bits: 2,
            ck: 1,
            ..
        })
    ));
}

#[test]
fn lut_index_trap() {
    // LUT programmed with 2 bits (4 entries) but tile codes are 3 bits.
    let mut p = Prog::new();
    let la = p.data(&[1, 2, 3, 4]);
    let wa = p.data(&reference::pack(&[1, 5], 3));
    let aa = p.data(&[1, 1]);
    p.set_lut(0, la, 2)
        .cfgi(csr::WPREC, 3)
        .cfgi(csr::WFMT, 3)
        .tdef(1, Space::Wsp, 0, 1, 2)
        .ld_raw(1, wa)
        .tdef(2, Space::Asp, 0, 2, 1)
        .ld_raw(2, aa)
        .tdef(0, Space::Acc, 0, 1, 1)
        .i(Opcode::Bsmac, &[t(0), t(1), t(2)])
        .halt(0);
    let (m, res) = run(&p, false);
    assert!(matches!(
        res.unwrap_err().kind,
        TrapKind::LutIndex {
            tile: 1,
            element: 1,
            code: 5,
            lut: 0,
            len: 4
        }
    ));
    assert_eq!(m.lut(0).unwrap().len, 4);
    assert_eq!(&m.lut(0).unwrap().entries[..4], &[1, 2, 3, 4]);
    assert!(
        m.tile_values(1).is_err(),
        "tile_values reports the bad LUT code"
    );
}

#[test]
fn format_and_precision_traps() {
    let a8 = opnd(2, 1, 8, 0, &[1, 2]);
    // log weights need 2..=5 bits
    let c = case(opnd(1, 2, 6, 2, &[1, 2]), a8.clone());
    assert!(matches!(
        run_case(&c),
        Err(TrapKind::PrecisionRange {
            tile: 1,
            prec: 6,
            ..
        })
    ));
    let c = case(opnd(1, 2, 1, 2, &[1, 0]), a8.clone());
    assert!(matches!(run_case(&c), Err(TrapKind::PrecisionRange { .. })));
    // cluster needs >= 2 bits
    let c = case(opnd(1, 2, 1, 4, &[1, 0]), a8.clone());
    assert!(matches!(run_case(&c), Err(TrapKind::PrecisionRange { .. })));
    // log activations
    let c = case(opnd(1, 2, 8, 0, &[1, 2]), opnd(2, 1, 4, 2, &[1, 2]));
    assert!(matches!(run_case(&c), Err(TrapKind::FormatUnsupported(_))));
    // slicing needs uint activations
    let mut c = case(opnd(1, 2, 8, 0, &[1, 2]), a8);
    c.slice = 4;
    assert!(matches!(run_case(&c), Err(TrapKind::FormatUnsupported(_))));
}

#[test]
fn tile_traps() {
    // shape 0
    let mut p = Prog::new();
    p.tdef(0, Space::Wsp, 0, 0, 4).halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::TileShape { .. }
    ));
    let mut p = Prog::new();
    p.tdef(0, Space::Wsp, 0, 65536, 1).halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::TileShape { .. }
    ));
    // overflow: 64 KiB wsp, 8-bit 256x257 does not fit
    let mut p = Prog::new();
    p.tdef(0, Space::Wsp, 0, 256, 257).halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::ScratchpadOverflow {
            tile: 0,
            space: Space::Wsp,
            bytes: 65792,
            size: 65536,
            ..
        }
    ));
    // exactly fits
    let mut p = Prog::new();
    p.tdef(0, Space::Wsp, 0, 256, 256)
        .tdef(1, Space::Acc, (256 << 10) - 4, 1, 1)
        .halt(0);
    assert_eq!(run(&p, false).1, Ok(Some(0)));
    // base near u32::MAX does not wrap
    let mut p = Prog::new();
    p.tdef(0, Space::Asp, 0xffff_ffff, 1, 1).halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::ScratchpadOverflow { .. }
    ));
    // undefined tile
    let mut p = Prog::new();
    p.i(Opcode::Relu, &[t(7)]).halt(0);
    assert_eq!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::UndefinedTile { tile: 7 }
    );
    // mismatched spaces and shapes
    let mut p = Prog::new();
    p.tdef(0, Space::Acc, 0, 2, 2)
        .tdef(1, Space::Wsp, 0, 2, 3)
        .tdef(2, Space::Asp, 0, 2, 2)
        .i(Opcode::Bsmac, &[t(0), t(1), t(2)])
        .halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::TileMismatch(_)
    ));
    let mut p = Prog::new();
    p.tdef(0, Space::Acc, 0, 2, 2)
        .tdef(1, Space::Wsp, 0, 2, 2)
        .i(Opcode::Bsmac, &[t(0), t(1), t(1)])
        .halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::TileMismatch(_)
    ));
    let mut p = Prog::new();
    p.tdef(0, Space::Wsp, 0, 2, 2)
        .i(Opcode::Relu, &[t(0)])
        .halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::TileMismatch(_)
    ));
}

#[test]
fn tdef_stamps_configuration() {
    let mut p = Prog::new();
    p.cfgi(csr::WPREC, 4)
        .cfgi(csr::WFMT, 1)
        .cfgi(csr::WZP, 7)
        .cfgi(csr::WLUT, 2)
        .cfgi(csr::RLERUN, 3)
        .cfgi(csr::APREC, 2)
        .tdef(3, Space::Wsp, 16, 5, 6)
        .tdef(4, Space::Asp, 0, 1, 1)
        .tdef(5, Space::Acc, 0, 2, 2)
        .cfgi(csr::WPREC, 8)
        .halt(0);
    let (m, res) = run(&p, false);
    assert_eq!(res, Ok(Some(0)));
    let t3 = m.tile(3).unwrap();
    assert_eq!(
        (t3.space, t3.base, t3.rows, t3.cols, t3.prec, t3.fmt, t3.zp, t3.lut, t3.rlerun),
        (Space::Wsp, 16, 5, 6, 4, NumFmt::Uint, 7, 2, 3)
    );
    assert_eq!(t3.storage, Storage::Raw);
    assert_eq!(t3.nnz, None);
    assert_eq!(t3.bytes(), 15);
    assert_eq!(m.tile(4).unwrap().prec, 2);
    let t5 = m.tile(5).unwrap();
    assert_eq!((t5.prec, t5.fmt, t5.bytes()), (32, NumFmt::Int, 16));
}

#[test]
fn dchk_tzero_and_shared_bytes() {
    let mut p = Prog::new();
    // 3 codes of 3 bits = 9 bits; byte 1 bits 1..7 belong to whatever follows.
    let da = p.data(&reference::pack(&[0, 5, 0], 3));
    let mut tail = reference::pack(&[0, 5, 0], 3);
    tail[1] |= 0xfe; // bits past the tile
    let tb = p.data(&tail);
    p.cfgi(csr::APREC, 3)
        .cfgi(csr::DTHRESH, 300)
        .tdef(1, Space::Asp, 0, 1, 3)
        .ld_raw(1, da)
        .i(Opcode::Dchk, &[r(5), t(1)])
        .i(Opcode::Csrr, &[r(6), Operand::Csr(csr::DENSITY)])
        .i(Opcode::Csrr, &[r(7), Operand::Csr(csr::DENSE)])
        .i(Opcode::Csrr, &[r(8), Operand::Csr(csr::NNZ)])
        .ld_raw(1, tb)
        .i(Opcode::Tzero, &[t(1)])
        .i(Opcode::Dchk, &[r(9), t(1)])
        .i(Opcode::Csrr, &[r(10), Operand::Csr(csr::DENSE)])
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    assert_eq!((m.regs[5], m.regs[6], m.regs[7], m.regs[8]), (1, 333, 1, 1));
    assert_eq!((m.regs[9], m.regs[10]), (0, 0));
    assert_eq!(m.tile(1).unwrap().nnz, Some(0));
    assert_eq!(
        m.asp.read_vec(0, 2),
        vec![0, 0xfe],
        "tzero keeps the bits past the tile"
    );
}

#[test]
fn raw_round_trip_and_acc_words() {
    let mut p = Prog::new();
    let codes = [1u32, 0, 3, 2, 0, 1, 1];
    let src = p.data(&reference::pack(&codes, 2));
    let acc: Vec<u8> = [-5i32, 7].iter().flat_map(|v| v.to_le_bytes()).collect();
    let asrc = p.data(&acc);
    p.cfgi(csr::WPREC, 2)
        .tdef(1, Space::Wsp, 3, 7, 1)
        .ld_raw(1, src)
        .st_raw(1, 0x8000)
        .tdef(2, Space::Acc, 8, 1, 2)
        .ld_raw(2, asrc)
        .st_raw(2, 0x8100)
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    assert_eq!(m.read_dram(0x8000, 2).unwrap(), reference::pack(&codes, 2));
    assert_eq!(m.read_dram(0x8100, 8).unwrap(), acc);
    assert_eq!(m.tile(1).unwrap().nnz, Some(5));
    assert_eq!(m.tile_values(1).unwrap(), vec![1, 0, -1, -2, 0, 1, 1]);
    assert_eq!(m.tile_values(2).unwrap(), vec![-5, 7]);
    assert_eq!(m.tile(2).unwrap().nnz, Some(2));
    // DMA outside DRAM
    let mut p = Prog::new();
    p.tdef(1, Space::Wsp, 0, 4, 4)
        .ld_raw(1, hw().mem.dram_bytes - 8)
        .halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::OutOfRange { .. }
    ));
}

#[test]
fn rle_round_trip() {
    let codes: Vec<u8> = (0..200)
        .map(|i| if i % 7 == 0 { (i % 13 + 1) as u8 } else { 0 })
        .collect();
    let mut p = Prog::new();
    let src = p.data(&codes);
    p.cfgi(csr::RLERUN, 3)
        .tdef(1, Space::Asp, 0, 10, 20)
        .ld_raw(1, src)
        .st_rle(5, 1, 0x9000)
        .tdef(2, Space::Asp, 512, 10, 20)
        .ld_rle(2, 0x9000)
        .st_raw(2, 0xa000)
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    let stream = rle::encode(&codes, 8, 3);
    assert_eq!(m.regs[5] as usize, stream.len());
    assert_eq!(m.read_dram(0x9000, stream.len() as u32).unwrap(), stream);
    assert_eq!(m.read_dram(0xa000, 200).unwrap(), codes);
    let t2 = m.tile(2).unwrap();
    assert_eq!(t2.storage, Storage::Rle);
    assert_eq!(
        t2.nnz,
        Some(codes.iter().filter(|&&c| c != 0).count() as u64)
    );
    // st.rle of an accumulator tile
    let mut p = Prog::new();
    p.tdef(1, Space::Acc, 0, 1, 1).st_rle(5, 1, 0x9000).halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::FormatUnsupported(_)
    ));
}

/// Load `stream` at `addr` and ld.rle it into a 4x4 tile of 4-bit codes with r = 4.
fn ld_rle_stream(stream: &[u8], at_end: bool) -> (Result<Option<u32>, bitloom_emu::Trap>, usize) {
    let mut p = Prog::new();
    let dram = hw().mem.dram_bytes;
    let addr = if at_end {
        dram - stream.len() as u32
    } else {
        0x9000
    };
    p.cfgi(csr::APREC, 4)
        .tdef(1, Space::Asp, 0, 4, 4)
        .ld_rle(1, addr)
        .halt(0);
    let mut m = machine(&p);
    m.checked = true;
    m.write_dram(addr, stream).unwrap();
    let res = m.run_fast(1000);
    // The reference sees the stream as all of DRAM from addr on.
    let full = m.read_dram(addr, dram - addr).unwrap();
    let off = match reference::rle_decode(&full, 4, 4, 16) {
        Ok(_) => usize::MAX,
        Err(o) => o,
    };
    (res, off)
}

#[test]
fn corrupt_rle_streams_trap_with_offset() {
    let good = rle::encode(&[0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9], 4, 4);
    let (res, off) = ld_rle_stream(&good, false);
    assert_eq!((res, off), (Ok(Some(0)), usize::MAX));
    let cases: Vec<(Vec<u8>, bool)> = vec![
        // header only, at the end of DRAM, claiming entries
        (vec![2, 0, 0, 0], true),
        // header cut short by the end of DRAM
        (vec![2, 0], true),
        // too many entries (each entry adds >= 1 element)
        (rle::encode(&[1; 17], 4, 4), false),
        // too few
        (rle::encode(&[1; 15], 4, 4), false),
        // huge header claim
        (vec![0xff, 0xff, 0xff, 0xff, 0x12], false),
        (vec![0xff, 0xff, 0xff, 0xff, 0x12], true),
    ];
    for (stream, at_end) in cases {
        let (res, off) = ld_rle_stream(&stream, at_end);
        match res {
            Err(t) => match t.kind {
                TrapKind::CorruptRle { offset, .. } => {
                    assert_eq!(offset, off, "stream {stream:02x?} at_end {at_end}")
                }
                k => panic!("unexpected trap {k}"),
            },
            Ok(r) => panic!("stream {stream:02x?} should trap, got {r:?}"),
        }
    }
}

#[test]
fn vscale_by_hand() {
    // K = 3, vlen = 2 -> V = 2 vectors: {k0, k1}, {k2}
    let w = opnd(1, 3, 8, 0, &[1, 2, 3]);
    let a = opnd(3, 2, 8, 0, &[1, 10, 1, 10, 1, 10]);
    let mut c = case(w, a);
    c.vlen = 2;
    let sw = opnd(1, 2, 4, 0, &[2, 15]); // read unsigned
    let sa = opnd(2, 2, 4, 0, &[1, 3, 5, 7]);
    c.scales = Some((sw, sa));
    // n=0: 2*1*(1+2) + 15*5*3 = 6 + 225; n=1: 2*3*(10+20) + 15*7*30 = 180 + 3150
    assert_eq!(run_case(&c).unwrap(), vec![231, 3330]);
    assert_eq!(c.expected().unwrap(), vec![231, 3330]);
    let mut bad = c.clone();
    bad.vlen = 1; // V = 3, but the scale tiles have 2 vectors
    assert!(matches!(run_case(&bad), Err(TrapKind::TileMismatch(_))));
}

#[test]
fn bit_slice_matches_plain_gemm() {
    let mut rng = Rng(7);
    for s in 1..=7 {
        for sfreq in [0, 3, 255] {
            let w = random_opnd(&mut rng, 5, 33, 0, 8, 2);
            let mut a = random_opnd(&mut rng, 33, 4, 1, 8, 2);
            // pile the HO slices onto a frequent value
            for c in a.codes.iter_mut() {
                if rng.below(2) == 0 {
                    *c = (*c & ((1 << s) - 1)) | (3 << s);
                }
            }
            let mut plain = case(w, a);
            plain.acc = (0..20).map(|i| i * 1000 - 7).collect();
            let mut sliced = plain.clone();
            sliced.slice = s;
            sliced.sfreq = sfreq;
            let want = plain.expected().unwrap();
            assert_eq!(run_case(&plain).unwrap(), want);
            assert_eq!(run_case(&sliced).unwrap(), want, "s={s} sfreq={sfreq}");
        }
    }
}

#[test]
fn post_processing() {
    let mut p = Prog::new();
    let acc: Vec<u8> = [i32::MAX, -3, 10, -20]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let b: Vec<u8> = [1i32, 5].iter().flat_map(|v| v.to_le_bytes()).collect();
    let (aa, ba) = (p.data(&acc), p.data(&b));
    p.tdef(0, Space::Acc, 0, 2, 2)
        .ld_raw(0, aa)
        .tdef(1, Space::Acc, 64, 2, 1)
        .ld_raw(1, ba)
        .i(Opcode::Bias, &[t(0), t(1)])
        .st_raw(0, 0x9000)
        .i(Opcode::Bcorr, &[t(0), t(1)])
        .i(Opcode::Bcorr, &[t(0), t(1)])
        .st_raw(0, 0x9010)
        .i(Opcode::Relu, &[t(0)])
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    let words = |a: u32| -> Vec<i32> {
        m.read_dram(a, 16)
            .unwrap()
            .chunks(4)
            .map(|c| i32::from_le_bytes([c[0], c[1], c[2], c[3]]))
            .collect()
    };
    assert_eq!(words(0x9000), vec![i32::MIN, -2, 15, -15]);
    assert_eq!(words(0x9010), vec![i32::MAX - 1, -4, 5, -25]);
    assert_eq!(m.tile_values(0).unwrap(), vec![i32::MAX - 1, 0, 5, 0]);
}

/// rqnt of one accumulator value with multiplier `mult` into `fmt`/`prec`.
#[allow(clippy::too_many_arguments)]
fn rqnt1(acc: i32, mult: i32, fmt: u32, prec: u32, zp: u32, sh: u32, rmode: u32, relu: u32) -> u32 {
    let mut p = Prog::new();
    let a = p.data(&acc.to_le_bytes());
    let mu = p.data(&mult.to_le_bytes());
    p.cfgi(csr::APREC, prec)
        .cfgi(csr::AFMT, fmt)
        .cfgi(csr::AZP, zp)
        .cfgi(csr::RSHIFT, sh)
        .cfgi(csr::RMODE, rmode)
        .cfgi(csr::RELU, relu)
        .tdef(0, Space::Acc, 0, 1, 1)
        .ld_raw(0, a)
        .tdef(1, Space::Acc, 16, 1, 1)
        .ld_raw(1, mu)
        .tdef(2, Space::Asp, 0, 1, 1)
        .i(Opcode::Rqnt, &[t(2), t(0), t(1)])
        .halt(0);
    let (m, res) = run(&p, true);
    assert_eq!(res, Ok(Some(0)));
    m.tile_codes(2).unwrap()[0] as u32
}

#[test]
fn rqnt_rounding_modes() {
    // 5 * 1 >> 1 = 2.5: half up 3, floor 2, even 2; 7 >> 1 = 3.5: 4, 3, 4
    assert_eq!(rqnt1(5, 1, 0, 8, 0, 1, 0, 0), 3);
    assert_eq!(rqnt1(5, 1, 0, 8, 0, 1, 1, 0), 2);
    assert_eq!(rqnt1(5, 1, 0, 8, 0, 1, 2, 0), 2);
    assert_eq!(rqnt1(7, 1, 0, 8, 0, 1, 2, 0), 4);
    // -2.5: half up -2, floor -3, even -2 (codes mod 256)
    assert_eq!(rqnt1(-5, 1, 0, 8, 0, 1, 0, 0), 0xfe);
    assert_eq!(rqnt1(-5, 1, 0, 8, 0, 1, 1, 0), 0xfd);
    assert_eq!(rqnt1(-5, 1, 0, 8, 0, 1, 2, 0), 0xfe);
    // saturation, zero-point, relu
    assert_eq!(rqnt1(1000, 1, 0, 4, 0, 0, 0, 0), 7);
    assert_eq!(rqnt1(-1000, 1, 0, 4, 0, 0, 0, 0), 8); // -8 as a 4-bit code
    assert_eq!(rqnt1(-3, 1, 1, 8, 10, 0, 0, 0), 7);
    assert_eq!(rqnt1(-3, 1, 1, 8, 10, 0, 0, 1), 10);
    assert_eq!(rqnt1(-30, 1, 1, 8, 10, 0, 0, 0), 0);
    assert_eq!(rqnt1(i32::MIN, i32::MIN, 1, 8, 0, 62, 0, 0), 1);
    assert_eq!(rqnt1(i32::MIN, i32::MAX, 0, 8, 0, 62, 2, 0), 0xff); // -0.9999995 -> -1
                                                                    // output format must be int or uint
    let mut p = Prog::new();
    p.cfgi(csr::AFMT, 3)
        .tdef(0, Space::Acc, 0, 1, 1)
        .tdef(1, Space::Acc, 16, 1, 1)
        .tdef(2, Space::Asp, 0, 1, 1)
        .i(Opcode::Rqnt, &[t(2), t(0), t(1)])
        .halt(0);
    assert!(matches!(
        run(&p, false).1.unwrap_err().kind,
        TrapKind::FormatUnsupported(_)
    ));
}

/// docs/ISA.md §12: `rqnt` adds its output tile's zero-point, stamped from `azp` (asp) or
/// `wzp` (wsp) when the tile was defined; the CSRs' values at `rqnt` time do not matter, and
/// an int output tile adds none even when a zero-point was stamped into it.
#[test]
fn rqnt_zero_point_is_the_output_tiles_stamped_one() {
    let rq = |space: Space, fmt: u32, zp_at_tdef: u32, zp_at_rqnt: u32| {
        let mut p = Prog::new();
        let a = p.data(&(-3i32).to_le_bytes());
        let mu = p.data(&1i32.to_le_bytes());
        let (fcsr, zcsr, pcsr) = match space {
            Space::Wsp => (csr::WFMT, csr::WZP, csr::WPREC),
            _ => (csr::AFMT, csr::AZP, csr::APREC),
        };
        p.cfgi(pcsr, 8)
            .cfgi(fcsr, fmt)
            .cfgi(zcsr, zp_at_tdef)
            .tdef(0, Space::Acc, 0, 1, 1)
            .ld_raw(0, a)
            .tdef(1, Space::Acc, 16, 1, 1)
            .ld_raw(1, mu)
            .tdef(2, space, 0, 1, 1)
            .cfgi(zcsr, zp_at_rqnt)
            .cfgi(csr::AZP, zp_at_rqnt)
            .cfgi(csr::WZP, zp_at_rqnt)
            .i(Opcode::Rqnt, &[t(2), t(0), t(1)])
            .halt(0);
        let (m, res) = run(&p, true);
        assert_eq!(res, Ok(Some(0)));
        m.tile_codes(2).unwrap()[0] as u32
    };
    // uint: -3 + 10 (stamped) = 7, whatever azp/wzp hold at rqnt.
    assert_eq!(rq(Space::Asp, 1, 10, 200), 7);
    assert_eq!(rq(Space::Asp, 1, 10, 0), 7);
    assert_eq!(rq(Space::Wsp, 1, 10, 200), 7);
    // int: no zero-point, even with one stamped: -3 as an 8-bit code.
    assert_eq!(rq(Space::Asp, 0, 10, 10), 0xfd);
    assert_eq!(rq(Space::Wsp, 0, 10, 10), 0xfd);
}

#[test]
fn timing_model_is_fed() {
    let w = opnd(2, 2, 8, 0, &[1, 2, 3, 4]);
    let a = opnd(2, 2, 8, 0, &[1, 0, 0, 1]);
    let prog = case(w, a).program();
    let mut m = machine(&prog);
    m.timing = Some(Timing::new(&hw()));
    assert_eq!(m.run_fast(10_000), Ok(Some(0)));
    assert_eq!(m.cycle(), m.timing.as_ref().unwrap().now());
    assert!(m.cycle() > 0);
    assert_eq!(m.tile_values(0).unwrap(), vec![1, 2, 3, 4]);
}

#[test]
fn wide_tiles_use_blocked_kernels() {
    // N = 70: two register blocks of 32 plus a remainder of 6, for every kernel.
    let mut rng = Rng(11);
    for (wfmt, wp, afmt, ap, slice, logbase) in [
        (0, 8, 0, 8, 0, 0),
        (0, 3, 1, 8, 0, 0),
        (2, 4, 0, 8, 0, 0),
        (2, 5, 1, 8, 0, 1),
        (2, 4, 3, 6, 0, 1),
        (0, 8, 1, 8, 4, 0),
        (2, 4, 1, 7, 3, 0),
        (3, 5, 1, 8, 2, 0),
    ] {
        let mut c = case(
            random_opnd(&mut rng, 3, 20, wfmt, wp, 2),
            random_opnd(&mut rng, 20, 70, afmt, ap, 2),
        );
        c.acc = (0..210).map(|_| rng.next() as i32).collect();
        c.slice = slice;
        c.sfreq = 255;
        c.logbase = logbase;
        assert_eq!(
            run_case(&c).unwrap(),
            c.expected().unwrap(),
            "wfmt {wfmt} afmt {afmt} slice {slice}"
        );
        let mut v = c.clone();
        v.vlen = 7;
        v.scales = Some((
            random_opnd(&mut rng, 3, 3, 0, 4, 8),
            random_opnd(&mut rng, 3, 70, 0, 3, 8),
        ));
        assert_eq!(run_case(&v).unwrap(), v.expected().unwrap());
    }
}

/// Regression: `rqnt` into a weight-scratchpad tile counts its bytes as weight-scratchpad
/// writes (it used to count them as activation-scratchpad bytes), at the output tile's
/// packed size.
#[test]
fn rqnt_counts_bytes_in_the_output_tiles_scratchpad() {
    for (space, prec) in [(Space::Wsp, 8u32), (Space::Asp, 8), (Space::Wsp, 4)] {
        let mut p = Prog::new();
        let a = p.data(&[0u8; 4 * 6]);
        let mu = p.data(&1i32.to_le_bytes().repeat(2));
        let prec_csr = if space == Space::Wsp {
            csr::WPREC
        } else {
            csr::APREC
        };
        p.cfgi(prec_csr, prec)
            .tdef(0, Space::Acc, 0, 2, 3)
            .ld_raw(0, a)
            .tdef(1, Space::Acc, 64, 2, 1)
            .ld_raw(1, mu)
            .tdef(2, space, 0, 2, 3)
            .i(Opcode::Rqnt, &[t(2), t(0), t(1)])
            .halt(0);
        let mut m = machine(&p);
        m.enable_timing();
        assert_eq!(m.run_fast(1000), Ok(Some(0)));
        let c = m.timing.as_ref().unwrap().counters();
        let written = (6 * prec as u64).div_ceil(8);
        assert_eq!(c.spad_written[space as usize], written, "{space} {prec}");
        let other = if space == Space::Wsp {
            Space::Asp
        } else {
            Space::Wsp
        };
        assert_eq!(c.spad_written[other as usize], 0, "{space} {prec}");
    }
}

/// Regression: `ld.rle` with `rs1` exactly at the end of DRAM is OutOfRange (docs/ISA.md
/// §8), not CorruptRle; one byte before the end it is a truncated stream.
#[test]
fn ld_rle_at_end_of_dram_is_out_of_range() {
    let end = hw().mem.dram_bytes;
    let mut p = Prog::new();
    p.tdef(1, Space::Wsp, 0, 4, 4).ld_rle(1, end).halt(0);
    let e = run(&p, false).1.unwrap_err();
    assert!(matches!(e.kind, TrapKind::OutOfRange { .. }), "{e:?}");
    let mut p = Prog::new();
    p.tdef(1, Space::Wsp, 0, 4, 4).ld_rle(1, end - 1).halt(0);
    let e = run(&p, false).1.unwrap_err();
    assert!(matches!(e.kind, TrapKind::CorruptRle { .. }), "{e:?}");
}
