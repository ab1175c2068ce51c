//! The MAC kernels on the fast path (not checked mode, no change records, so the
//! accumulator tile is updated in place where it can be) against the reference, over random
//! shapes that include the fixed-width small-tile kernels (8 and 16 wide), the sizes around
//! them (7, 9, 15, 17, 33) and every operand format and precision, with dense and sparse
//! (many zero) weights and random, wrapping accumulators.

mod emu_helpers;

use emu_helpers::{random_opnd, run, MacCase, Rng};
use proptest::prelude::*;

/// Dimensions worth covering: the kernel widths, their neighbours and small odd sizes.
const DIMS: [u32; 13] = [1, 2, 3, 7, 8, 9, 15, 16, 17, 24, 32, 33, 40];

/// Weight precisions the spec accepts for a weight format (log: 2..=5, cluster: >= 2).
fn weight_prec_ok(fmt: u32, p: u32) -> bool {
    match fmt {
        2 => (2..=5).contains(&p),
        4 => p >= 2,
        _ => true,
    }
}

/// Activation formats and precisions the spec accepts (no log activations; cluster >= 2).
fn act_prec_ok(fmt: u32, p: u32) -> bool {
    match fmt {
        2 => false,
        4 => p >= 2,
        _ => true,
    }
}

#[allow(clippy::too_many_arguments)]
fn case(
    rng: &mut Rng,
    (m, k, n): (u32, u32, u32),
    (wfmt, wp): (u32, u32),
    (afmt, ap): (u32, u32),
    sparse: bool,
) -> MacCase {
    let ck = rng.range(1, 8) as u32;
    let mut w = random_opnd(rng, m, k, wfmt, wp, ck);
    if sparse && wfmt == 0 {
        // int codes: 0 is the value 0. Zero whole pairs and single weights.
        for i in 0..w.codes.len() {
            if rng.below(3) == 0 {
                w.codes[i] = 0;
                if i % 2 == 0 && rng.below(2) == 0 {
                    if let Some(c) = w.codes.get_mut(i + 1) {
                        *c = 0;
                    }
                }
            }
        }
    }
    MacCase {
        w,
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

/// Run the case on the fast path and in checked mode; both must give the reference result.
fn check(c: &MacCase) -> Result<(), String> {
    let want = c.expected()?;
    for checked in [false, true] {
        let (m, res) = run(&c.program(), checked);
        match res {
            Ok(Some(0)) => {}
            other => return Err(format!("checked={checked}: run ended with {other:?}")),
        }
        let got = m.tile_values(0).map_err(|t| t.to_string())?;
        if got != want {
            let at = got.iter().zip(&want).position(|(g, w)| g != w);
            return Err(format!(
                "checked={checked}: first difference at element {at:?}: got {:?}, want {:?}",
                at.map(|i| got[i]),
                at.map(|i| want[i])
            ));
        }
    }
    Ok(())
}

/// Every weight × activation format pair at 8-bit and a low precision, on the small-tile
/// shapes themselves (8³, 16³, and 8 or 16 wide with other m and k).
#[test]
fn small_tile_shapes_every_format() {
    let mut rng = Rng(0x5eed_0f88_1600);
    let shapes = [
        (8, 8, 8),
        (16, 16, 16),
        (3, 7, 8),
        (9, 17, 16),
        (16, 1, 8),
        (1, 33, 16),
        (8, 9, 8),
        (15, 15, 16),
    ];
    let mut ran = 0;
    for wfmt in 0..5 {
        for afmt in 0..5 {
            for (wp, ap) in [(8, 8), (4, 3), (2, 8), (8, 2)] {
                if !weight_prec_ok(wfmt, wp) || !act_prec_ok(afmt, ap) {
                    continue;
                }
                for &shape in &shapes {
                    for sparse in [false, true] {
                        let c = case(&mut rng, shape, (wfmt, wp), (afmt, ap), sparse);
                        check(&c).unwrap_or_else(|e| {
                            panic!(
                                "shape {shape:?} w {wfmt}/{wp} a {afmt}/{ap} sparse {sparse}: {e}"
                            )
                        });
                        ran += 1;
                    }
                }
            }
        }
    }
    // 4 weight formats x 4 activation formats x the precision pairs they accept.
    assert!(ran > 400, "only {ran} cases ran");
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 192, .. ProptestConfig::default() })]

    /// Random shapes drawn from the interesting dimensions, any accepted format pair.
    #[test]
    fn random_shapes_match_reference(
        mi in 0usize..DIMS.len(), ki in 0usize..DIMS.len(), ni in 0usize..DIMS.len(),
        wfmt in 0u32..5, afmt in 0u32..5, wp in 1u32..=8, ap in 1u32..=8,
        sparse in any::<bool>(), seed in any::<u64>(),
    ) {
        prop_assume!(weight_prec_ok(wfmt, wp) && act_prec_ok(afmt, ap));
        let mut rng = Rng(seed | 1);
        let c = case(&mut rng, (DIMS[mi], DIMS[ki], DIMS[ni]), (wfmt, wp), (afmt, ap), sparse);
        prop_assert_eq!(check(&c), Ok(()));
    }
}
