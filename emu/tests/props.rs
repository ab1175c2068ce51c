//! Property tests: every weight format × activation format × precision pair for `bsmac`,
//! `vscale` and bit-slice execution against the reference; `rqnt` in every rounding mode;
//! RLE round trips and corrupt streams; random instruction words never panic and `step`
//! agrees with `run_fast`.

mod emu_helpers;

use bitloom_emu::hw::HwConfig;
use bitloom_emu::reference;
use bitloom_emu::{Machine, TrapKind};
use bitloom_isa::csr;
use bitloom_isa::image::{Image, Section, SectionKind};
use bitloom_isa::rle;
use bitloom_isa::{Opcode, Space, INSTRUCTIONS};
use emu_helpers::{hw, machine, random_opnd, run, t, MacCase, Prog, Rng, TEXT};
use proptest::prelude::*;

/// The trap the spec requires for this format/precision combination, if any.
fn required_trap(c: &MacCase) -> Option<&'static str> {
    let (w, a) = (&c.w, &c.a);
    if w.fmt == 2 && !(2..=5).contains(&w.prec) || w.fmt == 4 && w.prec < 2 {
        return Some("precision");
    }
    if a.fmt == 2 {
        return Some("format");
    }
    if a.fmt == 4 && a.prec < 2 {
        return Some("precision");
    }
    if c.slice > 0 && a.fmt != 1 {
        return Some("format");
    }
    None
}

fn check_case(c: &MacCase) -> Result<(), String> {
    let (m, res) = run(&c.program(), true);
    match (required_trap(c), res) {
        (None, Ok(Some(0))) => {
            let got = m.tile_values(0).map_err(|t| t.to_string())?;
            let want = c.expected()?;
            if got != want {
                return Err(format!("got {got:?}, want {want:?}"));
            }
            Ok(())
        }
        (Some("precision"), Err(t)) if matches!(t.kind, TrapKind::PrecisionRange { .. }) => Ok(()),
        (Some("format"), Err(t)) if matches!(t.kind, TrapKind::FormatUnsupported(_)) => Ok(()),
        (want, got) => Err(format!("expected trap {want:?}, got {got:?}")),
    }
}

fn random_case(rng: &mut Rng, wfmt: u32, afmt: u32, wp: u32, ap: u32, maxdim: u64) -> MacCase {
    let (m, k, mut n) = (
        rng.range(1, maxdim) as u32,
        rng.range(1, 3 * maxdim) as u32,
        rng.range(1, maxdim) as u32,
    );
    if maxdim > 8 && rng.below(4) == 0 {
        n = rng.range(32, 72) as u32; // exercise the register-blocked kernels
    }
    let ck = rng.range(1, 8) as u32;
    MacCase {
        w: random_opnd(rng, m, k, wfmt, wp, ck),
        a: random_opnd(rng, k, n, afmt, ap, ck),
        acc: (0..m * n).map(|_| rng.next() as i32).collect(),
        slice: 0,
        sfreq: 0,
        ck,
        logbase: rng.below(2) as u32,
        vlen: 64,
        scales: None,
    }
}

fn add_scales(rng: &mut Rng, c: &mut MacCase) {
    let k = c.w.cols;
    c.vlen = rng.range(1, k as u64) as u32;
    let v = k.div_ceil(c.vlen);
    let (sp_w, sp_a) = (rng.range(1, 8) as u32, rng.range(1, 8) as u32);
    let fw = rng.below(5) as u32;
    let fa = rng.below(5) as u32;
    let mut sw = random_opnd(rng, c.w.rows, v, 0, sp_w, 8);
    sw.fmt = fw; // scales are read as unsigned codes whatever their format
    let mut sa = random_opnd(rng, v, c.a.cols, 0, sp_a, 8);
    sa.fmt = fa;
    c.scales = Some((sw, sa));
}

fn add_slice(rng: &mut Rng, c: &mut MacCase) {
    c.slice = rng.range(1, 7) as u32;
    c.sfreq = match rng.below(3) {
        0 => 0,
        1 => 255,
        _ => rng.below(255) as u32,
    };
}

/// Every weight format × activation format × precision pair, on random tiles: bsmac,
/// vscale and (for uint activations) bit-slice execution equal the reference.
#[test]
fn every_format_and_precision_pair() {
    let mut rng = Rng(0x1234_5678);
    let mut checked = 0;
    for wfmt in 0..5 {
        for afmt in 0..5 {
            for wp in 1..=8 {
                for ap in 1..=8 {
                    let c = random_case(&mut rng, wfmt, afmt, wp, ap, 4);
                    let tag = format!("wfmt {wfmt} afmt {afmt} wp {wp} ap {ap}");
                    check_case(&c).unwrap_or_else(|e| panic!("bsmac {tag}: {e}"));
                    let mut v = c.clone();
                    add_scales(&mut rng, &mut v);
                    check_case(&v).unwrap_or_else(|e| panic!("vscale {tag}: {e}"));
                    if afmt == 1 {
                        for base in [c, v] {
                            let mut s = base;
                            add_slice(&mut rng, &mut s);
                            check_case(&s).unwrap_or_else(|e| {
                                panic!("sliced {tag} s={} r={}: {e}", s.slice, s.sfreq)
                            });
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(checked, 5 * 5 * 64);
}

fn prog_words(words: &[u32]) -> Image {
    let text: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    Image {
        entry: TEXT,
        sections: vec![Section {
            name: ".text".into(),
            kind: SectionKind::Text,
            addr: TEXT,
            size: text.len() as u32,
            data: text,
        }],
        symbols: Vec::new(),
        lines: Default::default(),
    }
}

fn tiny_hw() -> HwConfig {
    let mut h = HwConfig::default();
    h.mem.dram_bytes = 64 << 10;
    h.mem.wsp_bytes = 4 << 10;
    h.mem.asp_bytes = 4 << 10;
    h.mem.acc_bytes = 4 << 10;
    h
}

/// A mostly decodable instruction word: a defined opcode with random operand bits.
fn word_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![
        4 => (0..INSTRUCTIONS.len(), any::<u32>()).prop_map(|(i, bits)| {
            let d = &INSTRUCTIONS[i];
            (bits & d.used_bits() & !0xff) | d.opcode as u32
        }),
        1 => any::<u32>(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    /// Larger random shapes for any format pair.
    #[test]
    fn random_macs_match_reference(
        wfmt in 0u32..5, afmt in 0u32..5, wp in 1u32..=8, ap in 1u32..=8,
        seed in any::<u64>(), vs in any::<bool>(), sl in any::<bool>()
    ) {
        let mut rng = Rng(seed | 1);
        let mut c = random_case(&mut rng, wfmt, afmt, wp, ap, 9);
        if vs {
            add_scales(&mut rng, &mut c);
        }
        if sl {
            add_slice(&mut rng, &mut c);
        }
        prop_assert_eq!(check_case(&c), Ok(()));
    }

    /// rqnt in every rounding mode, with and without fused ReLU, into int and uint.
    #[test]
    fn rqnt_matches_reference(
        acc in prop::collection::vec(any::<i32>(), 1..12),
        mults in prop::collection::vec(any::<i32>(), 3),
        fmt in 0u32..2, prec in 1u32..=8, zp in 0u32..256, sh in 0u32..=62,
        rmode in 0u32..3, relu in 0u32..2, small in any::<bool>()
    ) {
        let rows = 3u32;
        let cols = (acc.len() as u32).div_ceil(rows);
        let mut accv: Vec<i32> = (0..rows * cols).map(|i| acc[i as usize % acc.len()]).collect();
        let mut mults = mults;
        if small {
            // keep values near the rounding boundary
            accv.iter_mut().for_each(|v| *v %= 1 << 12);
            mults.iter_mut().for_each(|v| *v %= 1 << 8);
        }
        let sh = if small { sh % 12 } else { sh };
        let mut p = Prog::new();
        let ab: Vec<u8> = accv.iter().flat_map(|v| v.to_le_bytes()).collect();
        let mb: Vec<u8> = mults.iter().flat_map(|v| v.to_le_bytes()).collect();
        let (aa, ma) = (p.data(&ab), p.data(&mb));
        p.cfgi(csr::WPREC, prec).cfgi(csr::WFMT, fmt).cfgi(csr::WZP, zp)
            .cfgi(csr::RSHIFT, sh).cfgi(csr::RMODE, rmode).cfgi(csr::RELU, relu)
            .tdef(0, Space::Acc, 0, rows, cols).ld_raw(0, aa)
            .tdef(1, Space::Acc, 1024, rows, 1).ld_raw(1, ma)
            .tdef(2, Space::Wsp, 5, rows, cols)
            .i(Opcode::Rqnt, &[t(2), t(0), t(1)])
            .halt(0);
        let (m, res) = run(&p, true);
        prop_assert_eq!(res, Ok(Some(0)));
        let got: Vec<u32> = m.tile_codes(2).unwrap().iter().map(|&c| c as u32).collect();
        let want = reference::rqnt(&accv, &mults, rows as usize, cols as usize, &reference::RqntCfg {
            fmt, prec, zp: zp as i64, rshift: sh, rmode, relu: relu == 1,
        });
        prop_assert_eq!(got, want);
    }

    /// st.rle then ld.rle reproduces the tile, and the stream is the reference encoding.
    #[test]
    fn rle_round_trips(
        prec in 1u32..=8, run_w in 1u32..=8, n in 1usize..300, density in 0u64..=4, seed in any::<u64>()
    ) {
        let mut rng = Rng(seed | 1);
        let codes: Vec<u8> = (0..n)
            .map(|_| if rng.below(4) < density { rng.below(1 << prec) as u8 } else { 0 })
            .collect();
        let mut p = Prog::new();
        let cu: Vec<u32> = codes.iter().map(|&c| c as u32).collect();
        let src = p.data(&reference::pack(&cu, prec));
        p.cfgi(csr::APREC, prec).cfgi(csr::RLERUN, run_w)
            .tdef(1, Space::Asp, 0, 1, n as u32).ld_raw(1, src)
            .st_rle(5, 1, 0x8000)
            .tdef(2, Space::Asp, 2048, n as u32, 1).ld_rle(2, 0x8000)
            .halt(0);
        let (m, res) = run(&p, true);
        prop_assert_eq!(res, Ok(Some(0)));
        let stream = reference::rle_encode(&cu, prec, run_w);
        prop_assert_eq!(m.regs[5] as usize, stream.len());
        prop_assert_eq!(m.read_dram(0x8000, stream.len() as u32).unwrap(), stream);
        prop_assert_eq!(m.tile_codes(2).unwrap(), codes);
        prop_assert_eq!(rle::encoded_len(&m.tile_codes(1).unwrap(), prec, run_w), m.regs[5] as usize);
    }

    /// Arbitrary (mostly corrupt) streams: ld.rle never panics, and either succeeds like the
    /// reference or traps CorruptRle at the reference's byte offset.
    #[test]
    fn corrupt_rle_never_panics(
        prec in 1u32..=8, run_w in 1u32..=8, rows in 1u32..20, cols in 1u32..20,
        entries in 0u32..60, body in prop::collection::vec(any::<u8>(), 0..80),
        huge in any::<bool>(), at_end in any::<bool>()
    ) {
        let n = entries.wrapping_add(if huge { 0xfff0_0000 } else { 0 });
        let mut stream = n.to_le_bytes().to_vec();
        stream.extend_from_slice(&body);
        let h = hw();
        let dram = h.mem.dram_bytes;
        let addr = if at_end { dram - stream.len() as u32 } else { 0x9000 };
        let mut p = Prog::new();
        p.cfgi(csr::APREC, prec).cfgi(csr::RLERUN, run_w)
            .tdef(1, Space::Asp, 0, rows, cols).ld_rle(1, addr).halt(0);
        let mut m = machine(&p);
        m.checked = true;
        m.write_dram(addr, &stream).unwrap();
        let res = m.run_fast(100);
        let full = m.read_dram(addr, dram - addr).unwrap();
        match reference::rle_decode(&full, prec, run_w, (rows * cols) as usize) {
            Ok(codes) => {
                prop_assert_eq!(res, Ok(Some(0)));
                let got: Vec<u32> = m.tile_codes(1).unwrap().iter().map(|&c| c as u32).collect();
                prop_assert_eq!(got, codes);
            }
            Err(off) => {
                let kind = res.unwrap_err().kind;
                prop_assert!(
                    matches!(kind, TrapKind::CorruptRle { offset, .. } if offset == off),
                    "{} (reference offset {})", kind, off
                );
            }
        }
    }

    /// Random instruction words: every outcome is Ok or a trap (never a panic), checked
    /// mode never disagrees, and step-by-step execution equals run_fast.
    #[test]
    fn random_words_never_panic(words in prop::collection::vec(word_strategy(), 1..48)) {
        let img = prog_words(&words);
        let mut a = Machine::new(&tiny_hw(), &img).unwrap();
        a.checked = true;
        let mut b = a.clone();
        let fast = a.run_fast(300);
        let mut slow = Ok(None);
        for _ in 0..300 {
            match b.step() {
                Ok(s) => if let Some(code) = s.halted { slow = Ok(Some(code)); break; },
                Err(t) => { slow = Err(t); break; }
            }
        }
        if let Err(t) = &fast {
            prop_assert!(!matches!(t.kind, TrapKind::CheckMismatch { .. }), "{}", t);
        }
        prop_assert_eq!(&fast, &slow);
        prop_assert_eq!(a.regs, b.regs);
        prop_assert_eq!(a.pc, b.pc);
        prop_assert_eq!(a.instret, b.instret);
        prop_assert_eq!(a.tiles, b.tiles);
        prop_assert_eq!(a.csrs, b.csrs);
    }
}
