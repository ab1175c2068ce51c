//! Timing-model tests fed with hand-built `Work` records (no functional core needed):
//! paper trends, BitCluster balance, zero/slice skipping, DMA, every baseline formula,
//! overlap and dependencies, statistics JSON, the timeline, and config errors.

use bitloom_emu::hw::{HwConfig, MacModel, SyncMode};
use bitloom_emu::stats::Stats;
use bitloom_emu::timing::{Timing, Unit};
use bitloom_emu::trace;
use bitloom_emu::work::{DmaWork, MacWork, PostWork, Work};
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::{Class, Opcode, Space};

/// Deterministic xorshift generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `zero[c]`: the value of code c is zero (int/cluster: c == 0 or magnitude 0; uint: c == zp).
fn zeros(fmt: NumFmt, prec: u32, zp: u32) -> [bool; 256] {
    let mut z = [false; 256];
    let mask = (1u32 << prec) - 1;
    for (c, v) in z.iter_mut().enumerate() {
        let c = c as u32 & mask;
        *v = match fmt {
            NumFmt::Uint => c == zp,
            NumFmt::Cluster | NumFmt::Log => c & (mask >> 1) == 0,
            _ => c == 0,
        };
    }
    z
}

/// A bsmac work record with the reset CSRs (weight-serial, no slices, ck = 2).
#[allow(clippy::too_many_arguments)]
fn mac<'a>(
    m: usize,
    k: usize,
    n: usize,
    w: &'a [u8],
    a: &'a [u8],
    wprec: u32,
    aprec: u32,
    wfmt: NumFmt,
    afmt: NumFmt,
    wz: &'a [bool; 256],
    az: &'a [bool; 256],
) -> MacWork<'a> {
    MacWork {
        m,
        k,
        n,
        w,
        a,
        wprec,
        aprec,
        wfmt,
        afmt,
        wzero: wz,
        azero: az,
        serial: 0,
        slice: 0,
        sfreq: 0,
        ck: 2,
        vector_scaled: false,
        vlen: 64,
    }
}

/// One PE with `g` lanes in one group, no overhead, no fixed latency: cycles are exactly
/// the sum of pass maxima.
fn tiny(model: MacModel, g: u32) -> HwConfig {
    let mut hw = HwConfig::default();
    hw.mac.model = model;
    hw.mac.rows = 1;
    hw.mac.cols = 1;
    hw.mac.lanes = g;
    hw.mac.group = g;
    hw.mac.pass_overhead = 0.0;
    hw.mac.fixed_latency = 0;
    hw
}

/// MAC-unit cycles of one instruction on a fresh model.
fn mac_cycles(hw: &HwConfig, w: &MacWork<'_>) -> (u64, bitloom_emu::timing::MacCost) {
    let mut t = Timing::new(hw);
    t.account(0x1000, Opcode::Bsmac, &Work::Mac(*w));
    (t.counters().unit_busy[Unit::Mac as usize], *t.last_mac())
}

fn int_code(v: i32, p: u32) -> u8 {
    (v as u32 & ((1 << p) - 1)) as u8
}

#[test]
fn paper_trend_weight_precision_sweep() {
    // 64x256x64 GEMM, 30 % zero activations, non-zero weights, weight-serial; default array.
    let (m, k, n) = (64usize, 256usize, 64usize);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let a: Vec<u8> = (0..k * n)
        .map(|_| {
            if rng.below(100) < 30 {
                0
            } else {
                1 + rng.below(255) as u8
            }
        })
        .collect();
    let az = zeros(NumFmt::Int, 8, 0);
    for skip in [false, true] {
        let mut hw = HwConfig::default();
        hw.mac.zero_bit_skip = skip;
        let mut cycles = Vec::new();
        println!("zero_bit_skip = {skip}");
        for p in (1..=8u32).rev() {
            // Non-zero weights spread over the p-bit code space.
            let w: Vec<u8> = (0..m * k)
                .map(|_| 1 + rng.below((1 << p) - 1) as u8)
                .collect();
            let wz = zeros(NumFmt::Int, p, 0);
            let work = mac(m, k, n, &w, &a, p, 8, NumFmt::Int, NumFmt::Int, &wz, &az);
            let mut t = Timing::new(&hw);
            t.account(0x1000, Opcode::Bsmac, &Work::Mac(work));
            t.account(
                0x1004,
                Opcode::Halt,
                &Work::Scalar {
                    class: Class::System,
                    taken: false,
                },
            );
            let s = Stats::collect(&hw, Some(&t), 2, &[0; 12]);
            let c = t.counters().unit_busy[Unit::Mac as usize];
            println!(
                "  w{p}: {c:6} MAC cycles, {:.3} TOPS (dense-equivalent), {:.1} TOPS/W, lane util {:.2}",
                2.0 * (m * k * n) as f64 / (c as f64 / (hw.clock.freq_mhz * 1e6)) * 1e-12,
                s.tops_per_watt,
                s.mac.lane_utilisation
            );
            assert_eq!(
                t.counters().skip_zero_value,
                t.counters().macs - t.counters().macs_done
            );
            cycles.push(c);
        }
        // Fixed precision: strictly falling. Zero-bit skipping: never rising (2-bit and
        // 1-bit signed non-zero values both have exactly one effectual bit).
        for win in cycles.windows(2) {
            assert!(
                win[1] < win[0] || (skip && win[1] == win[0]),
                "cycles must fall with precision: {cycles:?}"
            );
        }
        let ratio = cycles[0] as f64 / cycles[7] as f64;
        println!("  8-bit / 1-bit throughput ratio: {ratio:.2} (seed 000: 5.55/0.87 = 6.4)");
        if skip {
            assert!(ratio > 3.0 && ratio < 6.5, "ratio {ratio}");
        } else {
            // Fixed-precision bit-serial: (8 + 0.3) / (1 + 0.3) = 6.38.
            assert!((ratio - 6.38).abs() < 0.3, "ratio {ratio}");
            let tops = |c: u64| 2.0 * (m * k * n) as f64 / (c as f64 / 310e6) * 1e-12;
            let (t8, t1) = (tops(cycles[0]), tops(cycles[7]));
            assert!((0.7..1.0).contains(&t8), "8-bit TOPS {t8}");
            assert!((4.5..6.0).contains(&t1), "1-bit TOPS {t1}");
        }
    }
}

#[test]
fn precision_asymmetry_is_cheaper() {
    // 2-bit x 8-bit costs less than 8 x 8 in every serial mode (fixed precision).
    let mut hw = tiny(MacModel::Loom, 4);
    hw.mac.zero_bit_skip = false;
    let (k, n) = (8, 1);
    let w = vec![1u8; k];
    let a = vec![3u8; k];
    let z = zeros(NumFmt::Int, 8, 0);
    for serial in 0..3 {
        let mut lo = mac(1, k, n, &w, &a, 2, 8, NumFmt::Int, NumFmt::Int, &z, &z);
        lo.serial = serial;
        lo.aprec = if serial == 1 { 2 } else { 8 };
        lo.wprec = if serial == 1 { 8 } else { 2 };
        let mut hi = lo;
        hi.wprec = 8;
        hi.aprec = 8;
        let (c_lo, _) = mac_cycles(&hw, &lo);
        let (c_hi, _) = mac_cycles(&hw, &hi);
        let expect_hi = 2 * if serial == 2 { 64 } else { 8 };
        let expect_lo = 2 * if serial == 2 { 16 } else { 2 };
        assert_eq!((c_lo, c_hi), (expect_lo, expect_hi), "serial {serial}");
    }
}

#[test]
fn bitcluster_balance() {
    // 1 PE, one group of 16 lanes, dense activations. Clustered weights (exactly 2
    // effectual bits) take k = 2 cycles per group; int weights with the same average of 2
    // effectual bits, unevenly spread, take the max per group.
    let g = 16usize;
    let hw = tiny(MacModel::Loom, g as u32);
    let k = 4 * g;
    let mut rng = Rng(42);
    // Cluster codes (8-bit sign-magnitude) with exactly two magnitude bits.
    let wc: Vec<u8> = (0..k)
        .map(|_| {
            let b1 = rng.below(7);
            let mut b2 = rng.below(7);
            while b2 == b1 {
                b2 = rng.below(7);
            }
            ((1u64 << b1) | (1u64 << b2)) as u8 | if rng.below(2) == 1 { 0x80 } else { 0 }
        })
        .collect();
    // Int weights averaging exactly 2 effectual bits per lane, unevenly spread: groups 0..2
    // have a 4-bit lane at most, group 3 a 5-bit lane.
    let pat_a: [u32; 16] = [1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 3, 3, 4, 4];
    let pat_b: [u32; 16] = [1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 4, 5];
    let wi: Vec<u8> = (0..4)
        .flat_map(|grp| if grp == 3 { pat_b } else { pat_a })
        .map(|b| int_code((1i32 << b) - 1, 8))
        .collect();
    let a = vec![1u8; k];
    let z8 = zeros(NumFmt::Int, 8, 0);
    let zc = zeros(NumFmt::Cluster, 8, 0);
    let cl = mac(
        1,
        k,
        1,
        &wc,
        &a,
        8,
        8,
        NumFmt::Cluster,
        NumFmt::Int,
        &zc,
        &z8,
    );
    let un = mac(1, k, 1, &wi, &a, 8, 8, NumFmt::Int, NumFmt::Int, &z8, &z8);
    let (c_cl, s_cl) = mac_cycles(&hw, &cl);
    let (c_un, s_un) = mac_cycles(&hw, &un);
    assert_eq!(c_cl, 4 * 2, "k cycles per lane group");
    // Hand computation: groups 0..2 max 4 bits, group 3 max 5 bits.
    assert_eq!(c_un, 4 + 4 + 4 + 5);
    assert_eq!(s_un.lane_bits, 2 * k as u64, "same average effectual bits");
    assert_eq!(s_cl.lane_bits, 2 * k as u64);
    assert_eq!(
        s_cl.lane_alloc, s_cl.lane_bits,
        "clustered lanes never idle"
    );
    let util_cl = s_cl.lane_bits as f64 / s_cl.lane_alloc as f64;
    let util_un = s_un.lane_bits as f64 / s_un.lane_alloc as f64;
    println!(
        "BitCluster (same average bits): speed-up {:.2}x, lane utilisation {:.0}% vs {:.0}% ({:.2}x)",
        c_un as f64 / c_cl as f64,
        100.0 * util_cl,
        100.0 * util_un,
        util_cl / util_un
    );
    // Ineffectual bits are counted as skipped: 8-bit nominal minus effectual bits.
    assert_eq!(s_un.skip_ineffectual_bits, 8 * k as u64 - s_un.lane_bits);
    assert_eq!(s_cl.skip_ineffectual_bits, (8 - 2) * k as u64);
}

#[test]
fn bitcluster_vs_unclustered_default_array() {
    // Paper-style comparison on the default array: bell-shaped 8-bit int weights
    // (unclustered bit-serial with zero-bit skipping) vs. the same weights rounded to k = 2
    // signed power-of-two terms (BitCluster), 64x256x64 with dense activations.
    let (m, k, n) = (64usize, 256usize, 64usize);
    let mut rng = Rng(7);
    let vals: Vec<i32> = (0..m * k)
        .map(|_| {
            // Sum of uniforms: roughly Gaussian, sigma ~ 24.
            let s: i64 = (0..4).map(|_| rng.below(85) as i64).sum::<i64>() - 168;
            (s as i32).clamp(-127, 127)
        })
        .collect();
    let wi: Vec<u8> = vals.iter().map(|&v| int_code(v, 8)).collect();
    // The nearest value of at most k = 2 signed power-of-two terms (docs/ISA.md §5).
    let spec = bitloom_isa::numfmt::FormatSpec::cluster(8, 2).unwrap();
    let wc: Vec<u8> = vals
        .iter()
        .map(|&v| spec.quantize(f64::from(v)).unwrap())
        .collect();
    assert!(
        wc.iter().any(|&c| c & 0x7f == 7),
        "8 − 1 terms are representable"
    );
    let a: Vec<u8> = (0..k * n).map(|_| 1 + rng.below(255) as u8).collect();
    let z8 = zeros(NumFmt::Int, 8, 0);
    let zc = zeros(NumFmt::Cluster, 8, 0);
    let hw = HwConfig::default();
    let un = mac(m, k, n, &wi, &a, 8, 8, NumFmt::Int, NumFmt::Int, &z8, &z8);
    let cl = mac(
        m,
        k,
        n,
        &wc,
        &a,
        8,
        8,
        NumFmt::Cluster,
        NumFmt::Int,
        &zc,
        &z8,
    );
    for sync in [SyncMode::Lockstep, SyncMode::Decoupled] {
        let mut hw = hw.clone();
        hw.mac.sync = sync;
        let (c_un, s_un) = mac_cycles(&hw, &un);
        let (c_cl, s_cl) = mac_cycles(&hw, &cl);
        let u_un = s_un.lane_bits as f64 / s_un.lane_alloc as f64;
        let u_cl = s_cl.lane_bits as f64 / s_cl.lane_alloc as f64;
        println!(
            "BitCluster k=2 vs unclustered 8-bit ({sync:?}): speed-up {:.2}x, lane utilisation \
             {:.0}% vs {:.0}% ({:.2}x) (seed 004: 3.4x, 1.6x)",
            c_un as f64 / c_cl as f64,
            100.0 * u_cl,
            100.0 * u_un,
            u_cl / u_un
        );
        assert!(c_cl < c_un);
        assert!(u_cl > u_un);
        assert_eq!(
            s_cl.lockstep_idle, 0,
            "cluster lanes all cost k: nothing to wait for"
        );
        if sync == SyncMode::Lockstep {
            assert!(
                s_un.lockstep_idle > 0,
                "unclustered waves wait for their worst lane"
            );
        }
    }
}

#[test]
fn zero_value_skipping() {
    // K = 64, 16 lanes: 16 zero activations leave 48 effectual pairs = 3 passes of 8 bits.
    let mut hw = tiny(MacModel::Loom, 16);
    hw.mac.zero_bit_skip = false;
    let w = vec![int_code(-3, 8); 64];
    let a: Vec<u8> = (0..64).map(|i| if i % 4 == 0 { 0 } else { 5 }).collect();
    let z = zeros(NumFmt::Int, 8, 0);
    let work = mac(1, 64, 1, &w, &a, 8, 8, NumFmt::Int, NumFmt::Int, &z, &z);
    let (c, s) = mac_cycles(&hw, &work);
    assert_eq!(c, 3 * 8);
    assert_eq!(s.skip_zero_value, 16);
    assert_eq!(s.done, 48);
    // Zero weights are skipped as well (the pair needs both non-zero).
    let mut w2 = w.clone();
    for x in w2.iter_mut().take(16).skip(1).step_by(4) {
        *x = 0; // indices 1, 5, 9, 13: 4 more skipped pairs
    }
    let work2 = mac(1, 64, 1, &w2, &a, 8, 8, NumFmt::Int, NumFmt::Int, &z, &z);
    let (c2, s2) = mac_cycles(&hw, &work2);
    assert_eq!(s2.skip_zero_value, 20);
    assert_eq!(c2, 3 * 8); // 44 pairs: still 3 passes
                           // Without the zero eliminator every lane is occupied: 4 passes.
    hw.mac.zero_elim = false;
    let (c3, s3) = mac_cycles(&hw, &work);
    assert_eq!((c3, s3.skip_zero_value), (4 * 8, 0));
}

#[test]
fn bit_slice_skipping() {
    // uint activations, zp 0, slice 4: HO slices equal to r are skipped and compensated.
    let mut hw = tiny(MacModel::Loom, 4);
    hw.mac.zero_bit_skip = false;
    let k = 16;
    let w = vec![1u8; k];
    // HO slices: 8 x r=3, 4 x 0, 4 x 5.
    let mut a = Vec::new();
    a.extend(std::iter::repeat_n(0x31u8, 8));
    a.extend(std::iter::repeat_n(0x02u8, 4));
    a.extend(std::iter::repeat_n(0x57u8, 4));
    let wz = zeros(NumFmt::Int, 8, 0);
    let az = zeros(NumFmt::Uint, 8, 0);
    let mut work = mac(1, k, 1, &w, &a, 8, 8, NumFmt::Int, NumFmt::Uint, &wz, &az);
    work.slice = 4;
    work.serial = 1; // activation-serial: each slice pass costs its slice width (4 bits)
    work.sfreq = 3;
    let (c, s) = mac_cycles(&hw, &work);
    // LO: 16 dense slice products = 4 passes x 4; HO: 8 non-skipped = 2 passes x 4.
    assert_eq!(c, 4 * 4 + 2 * 4);
    assert_eq!(s.skip_compressed_slice, 8);
    assert_eq!(s.skip_zero_slice, 0);
    assert_eq!(s.done, 16);
    // r = 0: the zero HO slices are skipped instead (and the r=3 ones now cost).
    work.sfreq = 0;
    let (c0, s0) = mac_cycles(&hw, &work);
    assert_eq!(s0.skip_zero_slice, 4);
    assert_eq!(s0.skip_compressed_slice, 0);
    assert_eq!(c0, 4 * 4 + 3 * 4);
}

#[test]
fn vscale_passes_restart_per_vector() {
    let mut hw = tiny(MacModel::Loom, 4);
    hw.mac.zero_bit_skip = false;
    hw.mac.vector_scale_cycles = 1;
    let w = vec![1u8; 20];
    let a = vec![1u8; 20];
    let z = zeros(NumFmt::Int, 4, 0);
    let mut work = mac(1, 20, 1, &w, &a, 4, 4, NumFmt::Int, NumFmt::Int, &z, &z);
    let (plain, _) = mac_cycles(&hw, &work);
    assert_eq!(plain, 5 * 4);
    work.vector_scaled = true;
    work.vlen = 10;
    // Two vectors of 10: 3 passes each, plus 1 scale cycle per vector.
    let (vs, _) = mac_cycles(&hw, &work);
    assert_eq!(vs, 6 * 4 + 2);
}

/// A small tile costed in one pass per output (K within one lane group and one vector),
/// and the same tile cut into two vectors, with vector-scale cycles and two lane groups per
/// PE, worked by hand (the formula proptest has no vector scaling).
#[test]
fn vscale_on_small_tiles_by_hand() {
    let mut hw = tiny(MacModel::Loom, 4);
    (hw.mac.rows, hw.mac.cols, hw.mac.lanes) = (2, 2, 8);
    hw.mac.pass_overhead = 0.5;
    hw.mac.vector_scale_cycles = 3;
    // Weight-serial, zero-bit skipping: a lane costs the set bits of |w|. Row 0: 1, 3, 0, 7
    // (1, 2, -, 3 bits); row 1: 2, 2, 1, 0 (1 bit each). Activations all 1. The weights are
    // the sparser operand: the eliminator drops their zeros.
    let w: Vec<u8> = [1, 3, 0, 7, 2, 2, 1, 0]
        .iter()
        .map(|&v| int_code(v, 4))
        .collect();
    let a = vec![1u8; 8];
    let z = zeros(NumFmt::Int, 4, 0);
    let mut work = mac(2, 4, 2, &w, &a, 4, 4, NumFmt::Int, NumFmt::Int, &z, &z);
    work.vector_scaled = true;
    let run = |work: &MacWork<'_>, sync: SyncMode| {
        let mut hw = hw.clone();
        hw.mac.sync = sync;
        mac_cycles(&hw, work).0
    };
    // One vector of 4: each output is one pass (row 0: 3 cycles, row 1: 1) on its own PE,
    // plus 0.5 overhead and 3 scale cycles. Decoupled: the busiest PE, 3 + 0.5 + 3 = 6.5,
    // shared by 2 lane groups: 3.25 -> 4. Lock-step: one wave of 3 + 0.5, and the scale
    // cycles shared by the lane groups, 1.5: 5.
    work.vlen = 4;
    assert_eq!(run(&work, SyncMode::Decoupled), 4);
    assert_eq!(run(&work, SyncMode::Lockstep), 5);
    // Two vectors of 2: row 0 passes 2 (1, 3 bits) and 3 (7; the 0 is dropped), row 1
    // passes 1 and 1; 6 scale cycles. Decoupled: (2 + 3) + 2 · 0.5 + 6 = 12, / 2 = 6.
    // Lock-step: both passes run in the first wave (two lane groups): 3 + 0.5, plus 6 / 2.
    work.vlen = 2;
    assert_eq!(run(&work, SyncMode::Decoupled), 6);
    assert_eq!(run(&work, SyncMode::Lockstep), 7);
}

#[test]
fn baseline_formulas() {
    // One PE, one group of 4 lanes, K = 8 (two static passes), M = N = 1, no overhead.
    let w: Vec<u8> = [3, 1, 0, 7, 2, 5, 1, 0]
        .iter()
        .map(|&v| int_code(v, 4))
        .collect();
    let a: Vec<u8> = [1, 15, 4, 0, 6, 3, 0, 2].to_vec();
    let wz = zeros(NumFmt::Int, 4, 0);
    let az = zeros(NumFmt::Uint, 4, 0);
    let base = mac(1, 8, 1, &w, &a, 4, 4, NumFmt::Int, NumFmt::Uint, &wz, &az);
    let run = |model: MacModel, serial: u32| {
        let mut wk = base;
        wk.serial = serial;
        mac_cycles(&tiny(model, 4), &wk).0
    };
    // Bit-parallel: 1 cycle per pass, whatever the bits: 2 passes.
    assert_eq!(run(MacModel::BitParallel, 0), 2);
    // Stripes: activation precision per pass: 2 x 4.
    assert_eq!(run(MacModel::Stripes, 0), 8);
    // Pragmatic, activation-serial: max popcount(a) per group: max(1,4,1,0)=4, max(2,2,0,1)=2.
    assert_eq!(run(MacModel::Pragmatic, 1), 4 + 2);
    // Pragmatic, weight-serial: max popcount(|w|): max(2,1,0,3)=3, max(1,2,1,0)=2.
    assert_eq!(run(MacModel::Pragmatic, 0), 3 + 2);
    // Laconic (Booth terms by default, as published): max terms(a)·terms(w) with
    // w terms 3→2, 1→1, 0→0, 7→2 (8−1) | 2→1, 5→2, 1→1, 0→0 and a terms 1→1, 15→2 (16−1),
    // 4→1, 0→0 | 6→2 (8−2), 3→2, 0→0, 2→1: group 0: 2·1, 1·2, 0·1, 2·0 → 2; group 1: 1·2,
    // 2·2, 1·0, 0·1 → 4.
    assert_eq!(run(MacModel::Laconic, 0), 2 + 4);
    // With binary terms: group 0: 1·2, 4·1, 1·0, 0·3 → 4; group 1: 2·1, 2·2, 0·1, 1·0 → 4.
    let mut bin = tiny(MacModel::Laconic, 4);
    bin.mac.terms = bitloom_emu::hw::TermEncoding::Binary;
    assert_eq!(mac_cycles(&bin, &base).0, 4 + 4);
    // Pragmatic charges an all-zero pass one cycle: weights 0 in the second pass.
    let wz2: Vec<u8> = [3, 1, 0, 7, 0, 0, 0, 0]
        .iter()
        .map(|&v| int_code(v, 4))
        .collect();
    let mut zero_pass = base;
    zero_pass.w = &wz2;
    assert_eq!(
        mac_cycles(&tiny(MacModel::Pragmatic, 4), &zero_pass).0,
        3 + 1
    );
    let mut skip = tiny(MacModel::Pragmatic, 4);
    skip.mac.empty_pass = bitloom_emu::hw::EmptyPass::Skip;
    assert_eq!(mac_cycles(&skip, &zero_pass).0, 3);
    // Loom, weight-serial, zero eliminator on the activations (as sparse as the weights:
    // ties go to activations), zero-bit skipping: the non-zero activations k = 0,1,2,4 | 5,7
    // form two passes; zero weights (k = 2, 7) gate their lanes: max(2,1,0,1) + max(2,0).
    assert_eq!(run(MacModel::Loom, 0), 2 + 2);
    // With sparser weights the eliminator compacts the weights instead: w = 0 at k = 2, 3,
    // 6, 7 leaves k = 0,1,4,5 (all with non-zero activations) in one pass: max(2,1,1,2).
    let w2: Vec<u8> = [3, 1, 0, 0, 2, 5, 0, 0]
        .iter()
        .map(|&v| int_code(v, 4))
        .collect();
    let mut sparse_w = base;
    sparse_w.w = &w2;
    assert_eq!(mac_cycles(&tiny(MacModel::Loom, 4), &sparse_w).0, 2);
    // Bit Fusion: Pa = Pw = 4 → ⌊8/4⌋·⌊8/4⌋ = 4 products per lane: one pass of 16 lanes.
    assert_eq!(run(MacModel::BitFusion, 0), 1);
    let mut big = base;
    let (w64, a64) = (vec![1u8; 64], vec![1u8; 64]);
    big.k = 64;
    big.w = &w64;
    big.a = &a64;
    big.wprec = 2;
    big.aprec = 3;
    // Pa = 3 → 2, Pw = 2 → 4: speed-up 8, 32 products per pass → 2 passes.
    assert_eq!(mac_cycles(&tiny(MacModel::BitFusion, 4), &big).0, 2);
    // With the 0.3 pass overhead Stripes costs 2 x 4.3 = 8.6 → 9 cycles.
    let mut hw = tiny(MacModel::Stripes, 4);
    hw.mac.pass_overhead = 0.3;
    assert_eq!(mac_cycles(&hw, &base).0, 9);
}

#[test]
fn pe_mapping_and_groups() {
    // 2x2 PEs, 8 lanes in 2 groups of 4: 4x4 outputs, K = 16, fixed 4-bit weights.
    let mut hw = tiny(MacModel::Loom, 4);
    hw.mac.rows = 2;
    hw.mac.cols = 2;
    hw.mac.lanes = 8;
    hw.mac.zero_bit_skip = false;
    let w = vec![1u8; 4 * 16];
    let a = vec![1u8; 16 * 4];
    let z = zeros(NumFmt::Int, 4, 0);
    let work = mac(4, 16, 4, &w, &a, 4, 4, NumFmt::Int, NumFmt::Int, &z, &z);
    // Each PE: 4 outputs x 4 passes x 4 bits = 64 group-cycles over 2 groups = 32.
    assert_eq!(mac_cycles(&hw, &work).0, 32);
}

fn ld(td: u8, bytes: u64, elements: u64, rle: bool, dram: u64) -> (Opcode, [u8; 5], DmaWork) {
    (
        if rle { Opcode::LdRle } else { Opcode::LdRaw },
        [td, 1, 0, 0, 0],
        DmaWork {
            load: true,
            space: Space::Asp,
            dram_bytes: dram,
            spad_bytes: bytes,
            elements,
            rle,
            bursts: 1,
            burst_bytes: 0,
        },
    )
}

#[test]
fn dma_raw_vs_rle() {
    let hw = HwConfig::default();
    // Raw 2048 8-bit elements: 100 + 2048/16.
    let mut t = Timing::new(&hw);
    let (op, f, d) = ld(1, 2048, 2048, false, 2048);
    t.account_ops(0x1000, op, &f, &Work::Dma(d));
    assert_eq!(t.counters().unit_busy[Unit::Dma as usize], 100 + 128);
    // RLE with 600 compressed bytes: limited by decoding 2048 elements at 32/cycle.
    let mut t2 = Timing::new(&hw);
    let (op, f, d) = ld(1, 2048, 2048, true, 600);
    t2.account_ops(0x1000, op, &f, &Work::Dma(d));
    assert_eq!(t2.counters().unit_busy[Unit::Dma as usize], 100 + 64);
    assert_eq!(t2.counters().dram_read, 600);
    assert_eq!(t2.counters().spad_written[Space::Asp as usize], 2048);
    assert_eq!(t2.counters().rle_elements, 2048);
    // st.rle: encode-limited, and the core waits for the byte count.
    let mut t3 = Timing::new(&hw);
    let d = DmaWork {
        load: false,
        space: Space::Wsp,
        dram_bytes: 300,
        spad_bytes: 1024,
        elements: 1024,
        rle: true,
        bursts: 1,
        burst_bytes: 0,
    };
    t3.account_ops(0x1000, Opcode::StRle, &[5, 2, 1, 0, 0], &Work::Dma(d));
    assert_eq!(t3.counters().unit_busy[Unit::Dma as usize], 100 + 1024 / 16);
    assert_eq!(t3.now(), 1 + 100 + 64);
    assert_eq!(t3.counters().dram_written, 300);
}

#[test]
fn overlap_and_dependencies() {
    let hw = HwConfig::default();
    let z = zeros(NumFmt::Int, 8, 0);
    let w = vec![1u8; 16 * 64];
    let a = vec![1u8; 64 * 16];
    let work = mac(16, 64, 16, &w, &a, 8, 8, NumFmt::Int, NumFmt::Int, &z, &z);
    let bs = |t: &mut Timing, pc: u32, acc: u8, tw: u8, ta: u8| {
        t.account_ops(pc, Opcode::Bsmac, &[acc, tw, ta, 0, 0], &Work::Mac(work));
    };
    // Independent: load t1 while the MAC uses t2, t3 -> t4.
    let mut t = Timing::new(&hw);
    t.enable_timeline(100);
    let (op, f, d) = ld(1, 4096, 4096, false, 4096);
    t.account_ops(0x1000, op, &f, &Work::Dma(d));
    bs(&mut t, 0x1004, 4, 2, 3);
    let ev = |t: &Timing, u: Unit| t.timeline().iter().find(|e| e.unit == u).cloned().unwrap();
    let (dma, macv) = (ev(&t, Unit::Dma), ev(&t, Unit::Mac));
    assert!(
        macv.start < dma.start + dma.dur,
        "independent MAC overlaps the DMA"
    );
    // Dependent: the MAC reads t1 (being loaded): it starts when the load ends.
    let mut t = Timing::new(&hw);
    t.enable_timeline(100);
    t.account_ops(0x1000, op, &f, &Work::Dma(d));
    bs(&mut t, 0x1004, 4, 2, 1);
    let (dma, macv) = (ev(&t, Unit::Dma), ev(&t, Unit::Mac));
    assert_eq!(macv.start, dma.start + dma.dur);
    // The scalar core is not blocked by either: it issued two commands.
    assert_eq!(t.now(), 2);
    // Write-after-read: a load into t2 waits for the MAC reading t2.
    t.account_ops(0x1008, op, &[2, 1, 0, 0, 0], &Work::Dma(d));
    let loads: Vec<_> = t
        .timeline()
        .iter()
        .filter(|e| e.unit == Unit::Dma)
        .cloned()
        .collect();
    assert_eq!(loads[1].start, macv.start + macv.dur);
    // Post-processing of t4 waits for the MAC writing it; sync drains everything.
    t.account_ops(
        0x100c,
        Opcode::Relu,
        &[4, 0, 0, 0, 0],
        &Work::Post(PostWork {
            elements: 256,
            out_space: Space::Acc,
            out_bytes: 1024,
        }),
    );
    let post = ev(&t, Unit::Post);
    assert_eq!(post.start, macv.start + macv.dur);
    let busy_until = t.drained();
    assert!(busy_until > t.now());
    t.account(0x1010, Opcode::Sync, &Work::Sync);
    assert_eq!(t.now(), busy_until + hw.scalar.system as u64);
    assert!(t.counters().stall_sync > 0);
    // Without operand fields (account), accelerator ops serialise conservatively.
    let mut t = Timing::new(&hw);
    t.enable_timeline(100);
    t.account(0x1000, op, &Work::Dma(d));
    t.account(0x1004, Opcode::Bsmac, &Work::Mac(work));
    let (dma, macv) = (ev(&t, Unit::Dma), ev(&t, Unit::Mac));
    assert_eq!(macv.start, dma.start + dma.dur);
}

#[test]
fn queue_depth_and_blocking_ops() {
    let mut hw = HwConfig::default();
    hw.scalar.queue_depth = 2;
    let mut t = Timing::new(&hw);
    let (op, _, d) = ld(1, 4096, 4096, false, 4096);
    for i in 0..4u8 {
        t.account_ops(0x1000, op, &[i, 1, 0, 0, 0], &Work::Dma(d));
    }
    // Third command waits for the first to start... the fourth for the second.
    assert!(t.counters().stall_queue > 0);
    // dchk blocks the core until its tile is loaded and swept.
    let before = t.now();
    t.account_ops(
        0x1010,
        Opcode::Dchk,
        &[5, 3, 0, 0, 0],
        &Work::Tile { elements: 640 },
    );
    assert!(t.now() > before + 10);
    assert!(t.counters().stall_wait > 0);
    // halt drains every unit.
    t.account(
        0x1014,
        Opcode::Halt,
        &Work::Scalar {
            class: Class::System,
            taken: false,
        },
    );
    assert_eq!(t.now(), t.drained());
}

#[test]
fn scalar_latencies_and_lut_dependency() {
    let hw = HwConfig::default();
    let mut t = Timing::new(&hw);
    t.account(
        0,
        Opcode::Add,
        &Work::Scalar {
            class: Class::Alu,
            taken: false,
        },
    );
    t.account(
        4,
        Opcode::Mul,
        &Work::Scalar {
            class: Class::MulDiv,
            taken: false,
        },
    );
    t.account(
        8,
        Opcode::Bne,
        &Work::Scalar {
            class: Class::Branch,
            taken: true,
        },
    );
    t.account(
        12,
        Opcode::Bne,
        &Work::Scalar {
            class: Class::Branch,
            taken: false,
        },
    );
    assert_eq!(t.now(), 1 + 4 + (1 + 2) + 1);
    // A LUT-format MAC waits for set.lut.
    t.enable_timeline(100);
    t.account_ops(
        16,
        Opcode::SetLut,
        &[1, 4, 0, 0, 0],
        &Work::Lut { bytes: 16 },
    );
    let z = zeros(NumFmt::Lut, 4, 0);
    let (w, a) = (vec![1u8; 64], vec![1u8; 64]);
    let work = mac(8, 8, 8, &w, &a, 4, 4, NumFmt::Lut, NumFmt::Int, &z, &z);
    t.account_ops(20, Opcode::Bsmac, &[4, 2, 3, 0, 0], &Work::Mac(work));
    let lut = t
        .timeline()
        .iter()
        .find(|e| e.name == "set.lut")
        .cloned()
        .unwrap();
    let m = t
        .timeline()
        .iter()
        .find(|e| e.name == "bsmac")
        .cloned()
        .unwrap();
    assert_eq!(m.start, lut.start + lut.dur);
}

fn sample_timing() -> (HwConfig, Timing) {
    let hw = HwConfig::default();
    let mut t = Timing::new(&hw);
    t.enable_timeline(1000);
    let z = zeros(NumFmt::Int, 8, 0);
    let w = vec![1u8; 16 * 64];
    let a: Vec<u8> = (0..64 * 16).map(|i| (i % 3) as u8).collect();
    let work = mac(16, 64, 16, &w, &a, 8, 8, NumFmt::Int, NumFmt::Int, &z, &z);
    t.account(
        0,
        Opcode::Addi,
        &Work::Scalar {
            class: Class::Alu,
            taken: false,
        },
    );
    let (op, f, d) = ld(1, 1024, 1024, false, 1024);
    t.account_ops(4, op, &f, &Work::Dma(d));
    t.account_ops(8, Opcode::Bsmac, &[4, 2, 1, 0, 0], &Work::Mac(work));
    t.account_ops(
        12,
        Opcode::Bias,
        &[4, 5, 0, 0, 0],
        &Work::Post(PostWork {
            elements: 256,
            out_space: Space::Acc,
            out_bytes: 1024,
        }),
    );
    t.account(
        16,
        Opcode::Halt,
        &Work::Scalar {
            class: Class::System,
            taken: false,
        },
    );
    (hw, t)
}

#[test]
fn stats_json_round_trip() {
    let (hw, t) = sample_timing();
    let mut classes = [0u64; 12];
    for (c, n) in [
        (Class::Alu, 1),
        (Class::Dma, 1),
        (Class::Mac, 1),
        (Class::Post, 1),
        (Class::System, 1),
    ] {
        classes[c as usize] = n;
    }
    let s = Stats::collect(&hw, Some(&t), 5, &classes);
    let v: serde_json::Value = serde_json::from_str(&s.to_json()).unwrap();
    assert_eq!(v["cycles"], t.drained());
    assert_eq!(v["instructions"], 5);
    for unit in ["scalar", "dma", "mac", "post"] {
        assert!(
            v["units"][unit]["busy_cycles"].as_u64().unwrap() > 0,
            "{unit}"
        );
        assert!(v["units"][unit]["utilisation"].is_number());
    }
    assert_eq!(v["classes"]["mac"]["count"], 1);
    assert!(v["classes"]["mac"]["cycles"].as_u64().unwrap() > 0);
    assert_eq!(v["mac"]["macs"], 16 * 64 * 16);
    let skipped = &v["mac"]["skipped"];
    for k in [
        "zero_value",
        "zero_slice",
        "compressed_slice",
        "ineffectual_bit",
    ] {
        assert!(skipped[k].is_u64(), "{k}");
    }
    assert!(skipped["zero_value"].as_u64().unwrap() > 0);
    for k in [
        "dram_read",
        "dram_written",
        "wsp_read",
        "asp_written",
        "acc_read",
        "acc_written",
    ] {
        assert!(v["bytes"][k].is_u64(), "{k}");
    }
    assert_eq!(v["bytes"]["dram_read"], 1024);
    assert!(v["energy"]["total_uj"].as_f64().unwrap() > 0.0);
    assert!(v["tops"].as_f64().unwrap() > 0.0);
    assert!(v["tops_per_watt"].as_f64().unwrap() > 0.0);
    let h = s.human();
    for needle in [
        "cycles",
        "instructions",
        "mac busy",
        "MACs done",
        "skipped: zero value",
        "OPS/W", // TOPS/W, or GOPS/W for small runs
        "DRAM bytes read",
    ] {
        assert!(h.contains(needle), "human summary lacks {needle}:\n{h}");
    }
    println!("{h}");
    // Without the timing model: cycles = instructions.
    let f = Stats::collect(&hw, None, 7, &classes);
    assert_eq!((f.cycles, f.timing), (7, false));
}

#[test]
fn timeline_chrome_json() {
    let (_, t) = sample_timing();
    let text = {
        let mut buf = Vec::new();
        bitloom_emu::timeline_json::write_chrome_trace(
            &mut buf,
            &t.timeline(),
            t.timeline_dropped(),
        )
        .unwrap();
        String::from_utf8(buf).unwrap()
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v["otherData"]["schema"],
        bitloom_emu::timeline_json::TIMELINE_SCHEMA
    );
    let evs = v["traceEvents"].as_array().unwrap();
    for (tid, name) in [(1, "scalar"), (2, "dma"), (3, "mac"), (4, "post")] {
        assert!(
            evs.iter()
                .any(|e| e["ph"] == "M" && e["tid"] == tid && e["args"]["name"] == name),
            "thread name for {name}"
        );
        assert!(
            evs.iter()
                .any(|e| e["ph"] == "X" && e["tid"] == tid && e["dur"].as_u64().unwrap() > 0),
            "events on {name}"
        );
    }
    for e in evs.iter().filter(|e| e["ph"] == "X") {
        for k in ["name", "cat", "ts", "dur", "pid", "tid"] {
            assert!(!e[k].is_null(), "{k} in {e}");
        }
    }
}

#[test]
fn default_toml_is_the_default() {
    // emu/hw/default.toml is exactly the documented rendering of the defaults (so its
    // comments come from hw_doc::FIELDS); BLESS=1 rewrites it.
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/hw/default.toml");
    let text = HwConfig::default().to_documented_toml();
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(path, &text).unwrap();
    }
    assert_eq!(HwConfig::load(path).unwrap(), HwConfig::default());
    assert_eq!(
        std::fs::read_to_string(path).unwrap(),
        text,
        "run with BLESS=1"
    );
}

#[test]
fn documented_toml_and_json_round_trip() {
    // A configuration different from the default in every section.
    let mut hw = HwConfig::default();
    hw.clock.freq_mhz = 1234.5;
    hw.mem.dram_bytes = 1 << 20;
    hw.rle.encode_elems_per_cycle = 3;
    hw.mac.model = MacModel::Laconic;
    hw.mac.lanes = 48;
    hw.mac.pass_overhead = 0.125;
    hw.mac.zero_elim = false;
    hw.post.latency = 9;
    hw.tile.elems_per_cycle = 7;
    hw.scalar.queue_depth = 64;
    hw.energy.static_mw = 0.0;
    hw.validate().unwrap();
    let text = hw.to_documented_toml();
    assert_eq!(HwConfig::parse(&text).unwrap(), hw, "{text}");
    assert!(text.contains("# Accelerator clock: converts cycles into seconds for TOPS, power and energy. Unit: MHz.\nfreq_mhz = 1234.5\n"), "{text}");
    let back: HwConfig = serde_json::from_str(&hw.to_json()).unwrap();
    assert_eq!(back, hw);
}

#[test]
fn config_errors_are_clear() {
    let e = HwConfig::parse("[mac]\nrowz = 4\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("rowz") && e.contains("line 2"), "{e}");
    let e = HwConfig::parse("[macc]\nrows = 4\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("macc"), "{e}");
    let e = HwConfig::parse("[mac]\nmodel = \"eyeriss\"\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("eyeriss"), "{e}");
    let e = HwConfig::parse("[mac]\nlanes = 30\ngroup = 16\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("mac.lanes"), "{e}");
    let e = HwConfig::parse("[clock]\nfreq_mhz = 0.0\n")
        .unwrap_err()
        .to_string();
    assert!(e.contains("clock.freq_mhz"), "{e}");
    let e = HwConfig::load("/nonexistent/hw.toml")
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("/nonexistent/hw.toml") && e.contains("cannot read"),
        "{e}"
    );
    // A file's errors name the file.
    let dir = std::env::temp_dir().join(format!("bitloom-hw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join("bad.toml");
    std::fs::write(&p, "[post]\nelems = 3\n").unwrap();
    let e = HwConfig::load(&p).unwrap_err().to_string();
    assert!(e.contains("bad.toml") && e.contains("elems"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
    // A partial file fills in the defaults.
    let hw = HwConfig::parse("[mac]\nmodel = \"pragmatic\"\n").unwrap();
    assert_eq!(hw.mac.model, MacModel::Pragmatic);
    assert_eq!(hw.mac.rows, HwConfig::default().mac.rows);
}

#[test]
fn commit_log_line() {
    use bitloom_emu::commit::{
        Commit, CsrWrite, LutWrite, MemSpace, MemWrite, RegWrite, TileWrite,
    };
    use bitloom_emu::Lut;
    use bitloom_isa::{Instr, Operand};
    let i = Instr::new(
        Opcode::Addi,
        &[Operand::Gpr(4), Operand::Gpr(4), Operand::Imm(1)],
    )
    .unwrap();
    let word = i.encode().unwrap();
    let c = Commit {
        gpr: Some(RegWrite {
            reg: 4,
            old: 4,
            new: 5,
        }),
        ..Commit::default()
    };
    let line = trace::commit_line(17, 0x1008, word, &i, &c, &|_| None);
    assert!(
        line.starts_with("[        17] core   0: 0x00001008 (0x"),
        "{line}"
    );
    assert!(line.contains("addi r4, r4, 1"), "{line}");
    assert!(line.ends_with("r4 0x00000005"), "{line}");
    let c2 = Commit {
        csrs: vec![CsrWrite {
            csr: 0,
            old: 8,
            new: 4,
        }],
        mem: vec![
            MemWrite {
                space: MemSpace::Dram,
                addr: 0x2000,
                old: vec![0; 16],
                new: vec![1; 16],
            },
            // Scratchpad writes are shown as their tile, not as a range.
            MemWrite {
                space: MemSpace::Wsp,
                addr: 0,
                old: vec![0; 4],
                new: vec![1; 4],
            },
        ],
        tiles: vec![
            TileWrite {
                tile: 3,
                old: None,
                new: None,
            },
            TileWrite {
                tile: 3,
                old: None,
                new: None,
            },
        ],
        luts: vec![LutWrite {
            lut: 1,
            old: Box::default(),
            new: Box::new(Lut::default()),
        }],
        ..Commit::default()
    };
    assert_eq!(
        trace::commit_writes(&c2),
        "csr wprec 0x00000008 -> 0x00000004  mem 0x00002000 +16  tile t3 {undefined}  lut 1 {len=0}"
    );
}
