//! Uniform quantisers: symmetric `int` (and the symmetric-scale machinery `log` and
//! `cluster` share) and asymmetric `uint` with a zero-point, including zero-point
//! manipulation for high-order-slice sparsity (seed 002, Panacea).
//!
//! Symmetric: `s = absmax / top` per channel (`top` the largest code value: 2^(N−1) − 1
//! for int, 1 for 1-bit int whose values are {−1, 0}), code = `quantize(x / s)`.
//! Asymmetric: `lo = min(min x, 0)`, `hi = max(max x, 0)`, `s = (hi − lo) / (2^N − 1)`,
//! `zp = clamp(round(−lo / s), 0, 2^N − 1)`, code = `quantize(x / s)` with that zero-point.

use bitloom_isa::numfmt::FormatSpec;

use crate::stats::{slice_stats, sqnr_db};
use crate::{channels, Error, Options, Quantized, ScaleRule, Tensor, Zpm};

/// Scale candidates of `--scale mse`: factors 0.5..=1 of the absmax scale in 32 steps.
const MSE_STEPS: u32 = 32;

/// Quantise with one symmetric scale per channel: `spec` maps `x / s` to codes and `top` is
/// the code value the largest magnitude maps to under `--scale absmax`.
pub(crate) fn symmetric(
    t: &Tensor,
    opts: &Options,
    q: &mut Quantized,
    spec: &FormatSpec,
    top: f64,
) -> Result<(), Error> {
    let (ch, axis) = channels(t, opts)?;
    let absmax = ch.fold(t.data(), 0.0f64, |a, x| a.max(x.abs()));
    let base: Vec<f64> = absmax
        .iter()
        .map(|&a| if a > 0.0 { a / top } else { 1.0 })
        .collect();
    let scales = match opts.scale {
        ScaleRule::Absmax => base,
        ScaleRule::Mse => {
            // err[c][j]: squared error of channel c with factor 0.5 + j / (2·MSE_STEPS).
            let n = MSE_STEPS as usize + 1;
            let factor = |j: usize| 0.5 + j as f64 / (2.0 * f64::from(MSE_STEPS));
            let mut err = vec![vec![0.0f64; n]; ch.count];
            for (i, &x) in t.data().iter().enumerate() {
                let c = ch.of(i);
                for (j, e) in err[c].iter_mut().enumerate() {
                    let s = base[c] * factor(j);
                    let v = spec.real(u32::from(spec.quantize(x / s)?))?;
                    *e += (x - v * s).powi(2);
                }
            }
            // Least error; ties keep the larger scale (less clipping).
            (0..ch.count)
                .map(|c| {
                    let mut best = n - 1;
                    for j in (0..n).rev() {
                        if err[c][j] < err[c][best] {
                            best = j;
                        }
                    }
                    base[c] * factor(best)
                })
                .collect()
        }
    };
    q.codes.reserve(t.len());
    for (i, &x) in t.data().iter().enumerate() {
        let s = scales[ch.of(i)];
        let c = spec.quantize(x / s)?;
        let v = spec.real(u32::from(c))?;
        q.codes.push(c);
        q.values.push(v);
        q.recon.push(v * s);
    }
    q.scales = scales;
    q.axis = axis;
    Ok(())
}

/// Symmetric two's complement `int`, 1..=8 bits.
pub fn int(t: &Tensor, opts: &Options, q: &mut Quantized) -> Result<(), Error> {
    let spec = FormatSpec::int(opts.bits)?;
    let top = f64::from(((1u32 << opts.bits) / 2).saturating_sub(1).max(1));
    symmetric(t, opts, q, &spec, top)
}

/// Codes, values and reconstruction.
type Coded = (Vec<u8>, Vec<f64>, Vec<f64>);

/// Codes, values and reconstruction of the asymmetric quantiser with per-channel scales
/// and zero-points.
fn uint_codes(
    t: &Tensor,
    bits: u32,
    ch: &crate::Channels,
    scales: &[f64],
    zps: &[u8],
) -> Result<Coded, Error> {
    let specs = zps
        .iter()
        .map(|&z| FormatSpec::uint(bits, z))
        .collect::<Result<Vec<_>, _>>()?;
    let mut codes = Vec::with_capacity(t.len());
    let mut vals = Vec::with_capacity(t.len());
    let mut recon = Vec::with_capacity(t.len());
    for (i, &x) in t.data().iter().enumerate() {
        let c = ch.of(i);
        let code = specs[c].quantize(x / scales[c])?;
        let v = f64::from(code) - f64::from(zps[c]);
        codes.push(code);
        vals.push(v);
        recon.push(v * scales[c]);
    }
    Ok((codes, vals, recon))
}

/// Asymmetric `uint` with a zero-point per channel, 1..=8 bits; with `--zpm`, the
/// zero-points are then shifted by the common amount d (|d| ≤ window) that maximises the
/// fraction of high-order slices equal to the tensor's most frequent HO value, among the
/// shifts that lose at most `zpm_max_loss` dB of SQNR to clipping (ties: the smaller |d|,
/// then the positive one).
pub fn uint(t: &Tensor, opts: &Options, q: &mut Quantized) -> Result<(), Error> {
    let (ch, axis) = channels(t, opts)?;
    let top = (1u32 << opts.bits) - 1;
    let lo = ch.fold(t.data(), 0.0f64, f64::min);
    let hi = ch.fold(t.data(), 0.0f64, f64::max);
    let scales: Vec<f64> = lo
        .iter()
        .zip(&hi)
        .map(
            |(&l, &h)| {
                if h > l {
                    (h - l) / f64::from(top)
                } else {
                    1.0
                }
            },
        )
        .collect();
    let zps: Vec<u8> = lo
        .iter()
        .zip(&scales)
        .map(|(&l, &s)| (-l / s).round().clamp(0.0, f64::from(top)) as u8)
        .collect();
    let (mut codes, mut vals, mut recon) = uint_codes(t, opts.bits, &ch, &scales, &zps)?;
    let mut final_zps = zps.clone();
    if opts.zpm {
        let before = slice_stats(&codes, opts.slice);
        let sqnr_before = sqnr_db(t.data(), &recon);
        let w = i64::from(opts.zpm_window.unwrap_or(1 << (opts.slice - 1)));
        let mut best: Option<(f64, i64)> = None;
        let mut order: Vec<i64> = (-w..=w).collect();
        order.sort_by_key(|d| (d.abs(), -d.signum()));
        for d in order {
            let z: Vec<u8> = zps
                .iter()
                .map(|&z| (i64::from(z) + d).clamp(0, i64::from(top)) as u8)
                .collect();
            let (c, _, r) = uint_codes(t, opts.bits, &ch, &scales, &z)?;
            // Shifting the zero-point moves the representable range: clipping costs SQNR.
            let loss = match (sqnr_before, sqnr_db(t.data(), &r)) {
                (Some(b), Some(a)) => b - a,
                (None, Some(_)) => f64::INFINITY,
                (_, None) => 0.0,
            };
            if loss > opts.zpm_max_loss {
                continue;
            }
            let f = slice_stats(&c, opts.slice).skippable;
            if best.is_none_or(|(b, _)| f > b) {
                best = Some((f, d));
            }
        }
        let d = best.map_or(0, |(_, d)| d);
        final_zps = zps
            .iter()
            .map(|&z| (i64::from(z) + d).clamp(0, i64::from(top)) as u8)
            .collect();
        (codes, vals, recon) = uint_codes(t, opts.bits, &ch, &scales, &final_zps)?;
        q.zpm = Some(Zpm {
            zp_before: zps,
            before,
            sqnr_before,
        });
    }
    q.codes = codes;
    q.values = vals;
    q.recon = recon;
    q.scales = scales;
    q.zero_points = final_zps;
    q.axis = axis;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{quantize, Format, Options, ScaleRule, Tensor};

    fn t(v: &[f64]) -> Tensor {
        Tensor::new(vec![v.len()], v.to_vec()).unwrap()
    }

    #[test]
    fn int4_per_tensor_by_hand() {
        // absmax 1.4, 4-bit: s = 1.4 / 7 = 0.2; 0.5/0.2 = 2.5 → 3 (half away), -1.4 → -7
        // (code 9), 0.29/0.2 = 1.45 → 1, 0.31 → 1.55 → 2.
        let q = quantize(&t(&[0.5, -1.4, 0.29, 0.31]), &Options::new(Format::Int, 4)).unwrap();
        assert_eq!(q.codes, vec![3, 9, 1, 2]);
        assert!((q.scales[0] - 0.2).abs() < 1e-12);
        assert_eq!(q.values, vec![3.0, -7.0, 1.0, 2.0]);
    }

    #[test]
    fn int_per_channel_by_hand() {
        // Rows [1, -0.5] and [10, 2.5] along axis 0, int 3: top 3 → scales 1/3, 10/3.
        // Row 0: 3, -1.5 → -2 (half away; code 6); row 1: 3, 0.75 → 1.
        let x = Tensor::new(vec![2, 2], vec![1.0, -0.5, 10.0, 2.5]).unwrap();
        let mut o = Options::new(Format::Int, 3);
        o.axis = Some(0);
        let q = quantize(&x, &o).unwrap();
        assert_eq!(q.codes, vec![3, 6, 3, 1]);
        assert!((q.scales[1] - 10.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn int1_is_minus_one_or_zero() {
        let q = quantize(&t(&[-2.0, -0.9, 0.4, 2.0]), &Options::new(Format::Int, 1)).unwrap();
        // s = 2: -1 → code 1, -0.45 → 0, 0.2 → 0, 1 → clamps to 0.
        assert_eq!(q.codes, vec![1, 0, 0, 0]);
    }

    #[test]
    fn uint_by_hand() {
        // lo = -1, hi = 3, 2-bit: s = 4/3, zp = round(0.75) = 1; codes: -1 → 0,
        // 0 → 1, 1 → 0.75 + 1 → 2 (1.75 rounds to 2), 3 → 3.
        let q = quantize(&t(&[-1.0, 0.0, 1.0, 3.0]), &Options::new(Format::Uint, 2)).unwrap();
        assert_eq!(q.zero_points, vec![1]);
        assert_eq!(q.codes, vec![0, 1, 2, 3]);
        assert!((q.scales[0] - 4.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn zero_point_manipulation_raises_ho_sparsity() {
        // Values near 0 with lo = -16, hi = 239 in 8 bits (s = 1, zp = 16): codes 16 ± 3
        // straddle the HO boundary 16 (HO 0 for 13..15, HO 1 for 16..19). A shift of +4
        // or more puts them all at HO 1; the smallest such shift is 4... but the extremes
        // move too, so count exactly: values -3..=3 plus one -16 and one 239.
        let mut v: Vec<f64> = (-3..=3).map(f64::from).collect();
        v.extend([-16.0, 239.0]);
        let mut o = Options::new(Format::Uint, 8);
        o.zpm = true;
        o.zpm_max_loss = f64::INFINITY;
        let q = quantize(&t(&v), &o).unwrap();
        let z = q.zpm.as_ref().unwrap();
        assert_eq!(z.zp_before, vec![16]);
        // Before: HO values 0,0,0,1,1,1,1 (near 0), 0 (code 0), 15 → HO 0 most frequent
        // with 4 of 9.
        assert_eq!(z.before.r, 0);
        assert!((z.before.skippable - 4.0 / 9.0).abs() < 1e-12);
        // After: shifting zp to 19 (d = +3) puts -3..=3 at codes 16..=22 (HO 1): 7 of 9.
        // d = -4 would put them at 9..=15 (HO 0) together with code 0 (-16 clamps to 0):
        // 8 of 9, so that wins.
        assert_eq!(q.zero_points, vec![12]);
        let after = crate::stats::slice_stats(&q.codes, 4);
        assert_eq!(after.r, 0);
        assert!((after.skippable - 8.0 / 9.0).abs() < 1e-12);
        // With the default 1 dB budget nothing moves: the codes were exact (infinite SQNR)
        // and every shift clips -16 (d < 0) or 239 (d > 0, code 255 + d).
        o.zpm_max_loss = 1.0;
        let q = quantize(&t(&v), &o).unwrap();
        assert_eq!(q.zero_points, vec![16]);
        assert!((crate::stats::slice_stats(&q.codes, 4).skippable - 4.0 / 9.0).abs() < 1e-12);
    }

    #[test]
    fn mse_scale_is_no_worse_than_absmax() {
        let v: Vec<f64> = (0..200)
            .map(|i| ((i * 37 % 101) as f64 - 50.0).powi(3))
            .collect();
        let x = t(&v);
        let a = quantize(&x, &Options::new(Format::Int, 4)).unwrap();
        let mut o = Options::new(Format::Int, 4);
        o.scale = ScaleRule::Mse;
        let m = quantize(&x, &o).unwrap();
        let err = |r: &[f64]| v.iter().zip(r).map(|(a, b)| (a - b).powi(2)).sum::<f64>();
        assert!(err(&m.recon) <= err(&a.recon));
    }
}
