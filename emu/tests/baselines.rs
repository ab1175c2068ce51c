//! Every MAC cost model held to its published per-group cycle formula on random tiles
//! (proptest), exactly: bit-parallel, Stripes, Bit Fusion, Pragmatic, Laconic and Loom with
//! static or compacted (zero-eliminated) passes, with binary and Booth (signed-digit) terms,
//! Pragmatic's one-cycle empty pass and its two-stage shifter (term positions scheduled cycle
//! by cycle), and both synchronisation modes — lock-step waves across the PE array and the lane
//! groups of a PE, and the decoupled idealisation. The formulas (docs/TIMING.md §4–5) are
//! computed here from scratch, output by output and pass by pass, not with the model's
//! vectorised sweeps.

use bitloom_emu::hw::{EmptyPass, HwConfig, MacModel, SyncMode, TermEncoding};
use bitloom_emu::timing::{MacCost, Timing, Unit};
use bitloom_emu::work::{MacWork, Work};
use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::Opcode;
use proptest::prelude::*;

/// Non-zero digits of the non-adjacent form of `m ≥ 0` (the digit loop, not a bit trick).
fn naf_digits(mut m: i64) -> u32 {
    let mut n = 0;
    while m != 0 {
        if m % 2 != 0 {
            m -= 2 - m.rem_euclid(4);
            n += 1;
        }
        m /= 2;
    }
    n
}

fn binary_ones(mut m: i64) -> u32 {
    let mut n = 0;
    while m > 0 {
        n += (m % 2) as u32;
        m /= 2;
    }
    n
}

/// The magnitude a serial lane works on: |value| for int, the code for uint (zp = 0).
fn magnitude(code: u8, fmt: NumFmt, prec: u32) -> i64 {
    let c = code as i64;
    match fmt {
        NumFmt::Int if c >= 1 << (prec - 1) => (c - (1 << prec)).abs(),
        _ => c,
    }
}

/// Positions of the terms of `m ≥ 0`, lowest first: binary ones, or NAF digits (digit loop).
fn term_positions(mut m: i64, booth: bool) -> Vec<u32> {
    let mut out = Vec::new();
    let mut pos = 0;
    while m != 0 {
        if m % 2 != 0 {
            out.push(pos);
            m -= if booth { 2 - m.rem_euclid(4) } else { 1 };
        }
        m /= 2;
        pos += 1;
    }
    out
}

/// Bit-Pragmatic's two-stage shifter, cycle by cycle: each lane is its list of pending term
/// positions (ascending); a cycle's common shift is the lowest pending position, and a lane
/// advances when its next term is at most `2^bits − 1` above it.
fn two_stage_cycles(mut lanes: Vec<Vec<u32>>, bits: u32) -> u32 {
    for l in lanes.iter_mut() {
        l.sort_unstable();
        l.reverse(); // pop() takes the lowest
    }
    let mut cycles = 0;
    while let Some(base) = lanes.iter().filter_map(|l| l.last().copied()).min() {
        for l in lanes.iter_mut() {
            if l.last().is_some_and(|&p| p < base + (1 << bits)) {
                l.pop();
            }
        }
        cycles += 1;
    }
    cycles
}

fn terms(code: u8, fmt: NumFmt, prec: u32, booth: bool) -> u32 {
    let m = magnitude(code, fmt, prec);
    if booth {
        naf_digits(m)
    } else {
        binary_ones(m)
    }
}

/// One random case.
#[derive(Clone, Debug)]
struct Case {
    model: MacModel,
    rows: u32,
    cols: u32,
    group: u32,
    slots: u32,
    overhead: f64,
    sync: SyncMode,
    terms: TermEncoding,
    empty: EmptyPass,
    /// Pragmatic's first-stage shifter bits (8: single stage).
    first_stage: u32,
    skip_bits: bool,
    /// Loom only: the zero eliminator (compacted passes).
    zero_elim: bool,
    m: usize,
    k: usize,
    n: usize,
    wprec: u32,
    aprec: u32,
    afmt: NumFmt,
    serial: u32,
    w: Vec<u8>,
    a: Vec<u8>,
}

fn case() -> impl Strategy<Value = Case> {
    let geometry = (
        1u32..4,
        1u32..4,
        prop_oneof![Just(1u32), Just(2), Just(4)],
        1u32..4,
    );
    // Outputs per row and column: mostly small, sometimes past 16 and 32 (the model's
    // fixed-width sweeps) and into its general one.
    let outs = || prop_oneof![3 => 1usize..7, 1 => 14usize..40];
    let shape = (
        outs(),
        1usize..40,
        outs(),
        1u32..9,
        1u32..9,
        any::<bool>(),
        0u32..3,
    );
    case_of(geometry.boxed(), shape.boxed())
}

/// Cases shaped like tiled kernels: an array of up to 16×16 PEs with groups of up to 16
/// lanes, and tiles of up to 16×16 outputs whose reduction mostly fits one lane group (the
/// model's one-pass tile path) and sometimes does not.
fn tile_case() -> impl Strategy<Value = Case> {
    let geometry = (
        1u32..=16,
        1u32..=16,
        prop_oneof![Just(4u32), Just(8), Just(16)],
        1u32..4,
    );
    let shape = (
        1usize..=16,
        prop_oneof![3 => 1usize..=16, 1 => 17usize..40],
        1usize..=16,
        1u32..9,
        1u32..9,
        any::<bool>(),
        0u32..3,
    );
    case_of(geometry.boxed(), shape.boxed())
}

type Geometry = (u32, u32, u32, u32);
type Shape = (usize, usize, usize, u32, u32, bool, u32);

/// Random cases of every model and mode over the given array geometry (rows, columns,
/// group, lane groups per PE) and tile shape (m, k, n, weight and activation precision,
/// unsigned activations, serial operand).
fn case_of(
    geometry: BoxedStrategy<Geometry>,
    shape: BoxedStrategy<Shape>,
) -> impl Strategy<Value = Case> {
    let models = prop_oneof![
        Just(MacModel::BitParallel),
        Just(MacModel::Stripes),
        Just(MacModel::BitFusion),
        Just(MacModel::Pragmatic),
        Just(MacModel::Laconic),
        Just(MacModel::Loom),
    ];
    let modes = (
        prop_oneof![Just(0.0), Just(0.3), Just(1.0)],
        prop_oneof![Just(SyncMode::Lockstep), Just(SyncMode::Decoupled)],
        prop_oneof![
            Just(TermEncoding::Auto),
            Just(TermEncoding::Binary),
            Just(TermEncoding::Booth)
        ],
        prop_oneof![
            Just(EmptyPass::Auto),
            Just(EmptyPass::Skip),
            Just(EmptyPass::One)
        ],
        any::<bool>(),
        any::<bool>(),
        prop_oneof![Just(8u32), 0u32..4],
    );
    (models, geometry, modes, shape).prop_flat_map(
        |(model, (rows, cols, group, slots), modes, s)| {
            let (overhead, sync, terms, empty, skip_bits, ze, first_stage) = modes;
            let (m, k, n, wprec, aprec, uint, serial) = s;
            // A quarter of the codes zero, so empty passes and gated lanes happen.
            let code = |p: u32| prop_oneof![1 => Just(0u8), 3 => 0u8..=((1u32 << p) - 1) as u8];
            (
                proptest::collection::vec(code(wprec), m * k),
                proptest::collection::vec(code(aprec), k * n),
            )
                .prop_map(move |(w, a)| Case {
                    model,
                    rows,
                    cols,
                    group,
                    slots,
                    overhead,
                    sync,
                    terms,
                    empty,
                    first_stage,
                    skip_bits,
                    zero_elim: ze && model == MacModel::Loom,
                    m,
                    k,
                    n,
                    wprec,
                    aprec,
                    afmt: if uint { NumFmt::Uint } else { NumFmt::Int },
                    serial,
                    w,
                    a,
                })
        },
    )
}

/// The formula: lane cost, static passes of G lanes, pass cost = max lane + overhead,
/// then lock-step waves or decoupled PEs. Milli-cycles throughout, rounded up once.
fn formula(c: &Case, fixed: u64) -> u64 {
    formula_full(c, fixed).cycles
}

/// What the formula predicts for one instruction.
struct Want {
    cycles: u64,
    /// Passes executed (cost > 0).
    passes: u64,
    /// Lane cycles they allocate (Σ pass cost × group).
    alloc: u64,
    /// Passes by cost (the last bucket holds 31 and more).
    hist: [u64; 32],
}

/// [`formula`]'s cycles, with the pass counters the model reports.
fn formula_full(c: &Case, fixed: u64) -> Want {
    let booth = matches!(
        (c.terms, c.model),
        (TermEncoding::Booth, _) | (TermEncoding::Auto, MacModel::Laconic)
    );
    let empty_one = matches!(
        (c.empty, c.model),
        (EmptyPass::One, _) | (EmptyPass::Auto, MacModel::Pragmatic | MacModel::Laconic)
    );
    let wt = |m: usize, k: usize| terms(c.w[m * c.k + k], NumFmt::Int, c.wprec, booth);
    let at = |k: usize, n: usize| terms(c.a[k * c.n + n], c.afmt, c.aprec, booth);
    let loom_side = |t: u32, p: u32| if c.skip_bits { t } else { p };
    let lane = |m: usize, k: usize, n: usize| -> u32 {
        match c.model {
            MacModel::BitParallel | MacModel::BitFusion => 1,
            MacModel::Stripes => c.aprec,
            MacModel::Laconic => wt(m, k) * at(k, n),
            MacModel::Pragmatic => match c.serial {
                0 => wt(m, k),
                1 => at(k, n),
                _ => wt(m, k) * at(k, n),
            },
            MacModel::Loom => {
                let (w, a) = (loom_side(wt(m, k), c.wprec), loom_side(at(k, n), c.aprec));
                match c.serial {
                    0 => w,
                    1 => a,
                    _ => w * a,
                }
            }
        }
    };
    let (g, ovh) = match c.model {
        MacModel::BitFusion => {
            let s = (8 / c.aprec.max(2)) * (8 / c.wprec.max(2));
            (c.group * s, 0)
        }
        MacModel::BitParallel => (c.group, 0),
        _ => (c.group, (c.overhead * 1000.0).round() as u64),
    };
    let g = g as usize;
    let wnz = |m: usize, k: usize| c.w[m * c.k + k] != 0;
    let anz = |k: usize, n: usize| c.a[k * c.n + n] != 0;
    // The zero eliminator compacts the sparser operand (ties: activations): the non-zero
    // activations of column n, or the non-zero weights of row m; a zero in the other
    // operand gates its lane (cost 0).
    let a_nnz = (0..c.k * c.n).filter(|&i| c.a[i] != 0).count();
    let w_nnz = (0..c.m * c.k).filter(|&i| c.w[i] != 0).count();
    let compact_a = a_nnz * c.m <= w_nnz * c.n;
    // The lanes (reduction indices) of output (m, n), in order, cut into passes of g.
    let lanes_of = |m: usize, n: usize| -> Vec<usize> {
        (0..c.k)
            .filter(|&k| match (c.zero_elim, compact_a) {
                (false, _) => true,
                (true, true) => anz(k, n),
                (true, false) => wnz(m, k),
            })
            .collect()
    };
    // Pass costs (cycles, without overhead) of output (m, n); 0 = skipped.
    let passes_of = |m: usize, n: usize| -> Vec<u64> {
        lanes_of(m, n)
            .chunks(g)
            .map(|ks| {
                let mx = if c.model == MacModel::Pragmatic {
                    // Term positions of each lane, scheduled by the two-stage shifter (a
                    // first stage of 8 bits reaches every position: the single stage).
                    let wp = |k: usize| {
                        term_positions(magnitude(c.w[m * c.k + k], NumFmt::Int, c.wprec), booth)
                    };
                    let ap = |k: usize| {
                        term_positions(magnitude(c.a[k * c.n + n], c.afmt, c.aprec), booth)
                    };
                    let lanes = ks
                        .iter()
                        .map(|&k| match c.serial {
                            0 => wp(k),
                            1 => ap(k),
                            _ => {
                                let (w, a) = (wp(k), ap(k));
                                w.iter()
                                    .flat_map(|i| a.iter().map(move |j| i + j))
                                    .collect()
                            }
                        })
                        .collect();
                    two_stage_cycles(lanes, c.first_stage) as u64
                } else {
                    ks.iter()
                        .map(|&k| {
                            let gated = c.zero_elim && !(wnz(m, k) && anz(k, n));
                            if gated {
                                0
                            } else {
                                lane(m, k, n)
                            }
                        })
                        .max()
                        .unwrap_or(0) as u64
                };
                if mx == 0 && empty_one {
                    1
                } else {
                    mx
                }
            })
            .collect()
    };
    let (mut passes, mut alloc, mut hist) = (0u64, 0u64, [0u64; 32]);
    for m in 0..c.m {
        for n in 0..c.n {
            for p in passes_of(m, n).into_iter().filter(|&p| p > 0) {
                passes += 1;
                alloc += p * g as u64;
                hist[(p as usize).min(31)] += 1;
            }
        }
    }
    let time = |x: u64| if x > 0 { x * 1000 + ovh } else { 0 };
    let slots = c.slots as usize;
    let (rows, cols) = (c.rows as usize, c.cols as usize);
    let milli = match c.sync {
        SyncMode::Decoupled => {
            let mut pe = vec![0u64; rows * cols];
            for m in 0..c.m {
                for n in 0..c.n {
                    pe[(m % rows) * cols + n % cols] +=
                        passes_of(m, n).into_iter().map(time).sum::<u64>();
                }
            }
            // The lane groups share a PE's passes perfectly.
            pe.into_iter().max().unwrap_or(0).div_ceil(slots as u64)
        }
        SyncMode::Lockstep => {
            let mut total = 0;
            for bm in 0..c.m.div_ceil(rows) {
                for bn in 0..c.n.div_ceil(cols) {
                    let block: Vec<Vec<u64>> = (bm * rows..((bm + 1) * rows).min(c.m))
                        .flat_map(|m| (bn * cols..((bn + 1) * cols).min(c.n)).map(move |n| (m, n)))
                        .map(|(m, n)| passes_of(m, n))
                        .collect();
                    let waves = block.iter().map(|p| p.len().div_ceil(slots)).max();
                    // Wave t: pass t·slots + s of every PE's output, s < slots.
                    for t in 0..waves.unwrap_or(0) {
                        let wave = block
                            .iter()
                            .flat_map(|p| p.iter().skip(t * slots).take(slots))
                            .copied()
                            .max()
                            .unwrap_or(0);
                        total += time(wave);
                    }
                }
            }
            total
        }
    };
    Want {
        cycles: fixed + milli.div_ceil(1000),
        passes,
        alloc,
        hist,
    }
}

fn hw_of(c: &Case) -> HwConfig {
    let mut hw = HwConfig::default();
    hw.mac.model = c.model;
    hw.mac.rows = c.rows;
    hw.mac.cols = c.cols;
    hw.mac.group = c.group;
    hw.mac.lanes = c.group * c.slots;
    hw.mac.pass_overhead = c.overhead;
    hw.mac.sync = c.sync;
    hw.mac.terms = c.terms;
    hw.mac.empty_pass = c.empty;
    hw.mac.first_stage_bits = c.first_stage;
    hw.mac.zero_elim = c.zero_elim; // baselines ignore it: static passes
    hw.mac.zero_bit_skip = c.skip_bits;
    hw.mac.fixed_latency = 3;
    hw
}

fn zeros(fmt: NumFmt, prec: u32) -> [bool; 256] {
    let mut z = [false; 256];
    for (c, v) in z.iter_mut().enumerate() {
        *v = match fmt {
            NumFmt::Int | NumFmt::Uint => c & ((1 << prec) - 1) == 0,
            _ => unreachable!("int and uint only"),
        };
    }
    z
}

fn model_cycles(c: &Case) -> (u64, u64) {
    let t = model_run(c);
    (
        t.counters().unit_busy[Unit::Mac as usize],
        t.last_mac().lockstep_idle,
    )
}

/// The model's whole cost record of the case's instruction.
fn model_cost(c: &Case) -> MacCost {
    *model_run_detail(c, true).last_mac()
}

/// The timing model after the case's one instruction.
fn model_run(c: &Case) -> Timing {
    model_run_detail(c, false)
}

/// [`model_run`], with the pass histogram kept when `detail`.
fn model_run_detail(c: &Case, detail: bool) -> Timing {
    let (wz, az) = (zeros(NumFmt::Int, c.wprec), zeros(c.afmt, c.aprec));
    let work = MacWork {
        m: c.m,
        k: c.k,
        n: c.n,
        w: &c.w,
        a: &c.a,
        wprec: c.wprec,
        aprec: c.aprec,
        wfmt: NumFmt::Int,
        afmt: c.afmt,
        wzero: &wz,
        azero: &az,
        serial: c.serial,
        slice: 0,
        sfreq: 0,
        ck: 2,
        vector_scaled: false,
        vlen: 64,
    };
    let mut t = Timing::new(&hw_of(c));
    t.set_mac_detail(detail);
    t.account(0x1000, Opcode::Bsmac, &Work::Mac(work));
    t
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(600))]

    #[test]
    fn every_model_matches_its_formula(c in case()) {
        check_case(&c)?;
    }

    #[test]
    fn tiled_kernel_shapes_match_the_formula(c in tile_case()) {
        check_case(&c)?;
    }
}

/// The model's cycles and lock-step idle cycles against the formula.
fn check_case(c: &Case) -> Result<(), TestCaseError> {
    let (got, idle) = model_cycles(c);
    let want = formula_full(c, 3);
    prop_assert_eq!(got, want.cycles, "{:?}", c);
    let cost = model_cost(c);
    prop_assert_eq!(
        (cost.passes, cost.lane_alloc),
        (want.passes, want.alloc),
        "passes, lane cycles"
    );
    prop_assert_eq!(cost.pass_hist, want.hist, "passes by cost");
    // The idle cycles are exactly what lock-step costs over the idealisation.
    let mut ideal = c.clone();
    ideal.sync = SyncMode::Decoupled;
    let want_idle = match c.sync {
        SyncMode::Lockstep => formula(c, 3) - formula(&ideal, 3),
        SyncMode::Decoupled => 0,
    };
    prop_assert_eq!(idle, want_idle);
    Ok(())
}

/// One Pragmatic output of two reduction steps on one PE with binary terms, no overhead,
/// skipped empty passes and a single-stage shifter: the hand-worked cases below.
fn two_step_case(group: u32, slots: u32, serial: u32, w: [u8; 2], a: [u8; 2]) -> Case {
    Case {
        model: MacModel::Pragmatic,
        rows: 1,
        cols: 1,
        group,
        slots,
        overhead: 0.0,
        sync: SyncMode::Lockstep,
        terms: TermEncoding::Binary,
        empty: EmptyPass::Skip,
        first_stage: 8,
        skip_bits: true,
        zero_elim: false,
        m: 1,
        k: 2,
        n: 1,
        wprec: 8,
        aprec: 8,
        afmt: NumFmt::Int,
        serial,
        w: w.to_vec(),
        a: a.to_vec(),
    }
}

/// The example: one output whose two passes cost 7 and 1, on one PE with two lane
/// groups: lock-step hardware needs 7 cycles, the idealisation 4.
#[test]
fn lane_groups_share_a_pass_in_lockstep() {
    let c = two_step_case(1, 2, 0, [0x7f, 0x01], [1, 1]);
    assert_eq!(model_cycles(&c), (3 + 7, 3));
    let mut d = c.clone();
    d.sync = SyncMode::Decoupled;
    assert_eq!(model_cycles(&d), (3 + 4, 0));
    // Booth: 127 = 128 − 1 is two terms, not seven.
    let mut b = c.clone();
    b.terms = TermEncoding::Booth;
    assert_eq!(model_cycles(&b).0, 3 + 2);
}

/// Pragmatic's two-stage shifter by hand: one pass of two lanes holding 1 = 2^0 and
/// 16 = 2^4. A single-stage shifter takes both terms in one cycle; a 2-bit first stage
/// reaches 2^0..2^3 from the common shift, so the second lane waits: 2 cycles. Lanes 3
/// (2^0 + 2^1) and 2 (2^1): 2 cycles either way.
#[test]
fn two_stage_shifter_makes_far_terms_wait() {
    let c = two_step_case(2, 1, 1, [1, 1], [1, 16]);
    assert_eq!(model_cycles(&c).0, 3 + 1);
    let two = Case {
        first_stage: 2,
        ..c.clone()
    };
    assert_eq!(model_cycles(&two).0, 3 + 2);
    let near = Case {
        a: vec![3, 2],
        ..two.clone()
    };
    assert_eq!(model_cycles(&near).0, 3 + 2);
}

/// Long reductions: thousands of passes per output, whose per-output pass totals pass
/// 16 bits (the random cases have at most 40 passes), for narrow and wide outputs, both pass orientations (sparse weights or sparse activations
/// under the zero eliminator) and every serial operand, against the formula.
#[test]
fn long_reductions_match_the_formula() {
    // A fixed xorshift stream of codes: a third zero (activations only, unless the weights
    // are made sparse below), a third 0x77 (six terms: with both operands serial such a
    // pass costs 36, and a few thousand passes pass 65,535 cycles).
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut code = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if x.is_multiple_of(3) {
            0
        } else if x % 3 == 1 {
            0x77
        } else {
            (x >> 8) as u8
        }
    };
    for (m, n) in [(3, 5), (16, 2), (2, 16), (20, 3), (40, 20)] {
        for serial in 0..3 {
            for sparse_w in [false, true] {
                let k = 5000;
                let mut w: Vec<u8> = (0..m * k).map(|_| code().max(0x77)).collect();
                let a: Vec<u8> = (0..k * n).map(|_| code()).collect();
                if sparse_w {
                    // Mostly zero weights: the eliminator compacts along them.
                    for (i, c) in w.iter_mut().enumerate() {
                        if i % 5 != 0 {
                            *c = 0;
                        }
                    }
                }
                let mut c = two_step_case(1, 2, serial, [0, 0], [0, 0]);
                c.model = MacModel::Loom;
                c.zero_elim = true;
                c.rows = 2;
                c.cols = 3;
                c.overhead = 0.3;
                c.empty = EmptyPass::Auto;
                c.terms = TermEncoding::Binary;
                (c.m, c.k, c.n, c.w, c.a) = (m, k, n, w, a);
                let (got, idle) = model_cycles(&c);
                assert_eq!(got, formula(&c, 3), "m {m} n {n} serial {serial}");
                let mut ideal = c.clone();
                ideal.sync = SyncMode::Decoupled;
                assert_eq!(idle, formula(&c, 3) - formula(&ideal, 3));
            }
        }
    }
}
