//! Bias correction (seed 001): per output channel o of a weight `W[o, i]` (2-D, channels
//! along axis 0), the expected error the quantised weights add to the layer's output,
//! `b[o] = Σ_i (W_q[o, i] − W[o, i]) · E[x_i]`, with `E[x_i]` the mean of calibration
//! activations (`[samples, K]`, or `[K]` already averaged). The kernel subtracts it
//! (`bcorr tacc, tb`). In accumulator units — the accumulator holds
//! `Σ val(w)·val(a)` with `W ≈ scale_w[o]·val(w)` and `x ≈ act_scale·val(a)` —
//! it is `round(b[o] / (scale_w[o] · act_scale))` (int32, shape `[O, 1]`).

use crate::{Error, Quantized, Tensor};

/// Compute bias correction for `w` (already quantised into `q`) from `calib`.
pub fn apply(
    w: &Tensor,
    calib: &Tensor,
    act_scale: Option<f64>,
    q: &mut Quantized,
) -> Result<(), Error> {
    if w.shape().len() != 2 {
        return Err(Error::new(format!(
            "--calib needs a 2-D weight [out, in], got shape {}",
            crate::npy::shape_str(w.shape())
        )));
    }
    let (o, k) = (w.shape()[0], w.shape()[1]);
    let ck = *calib.shape().last().unwrap_or(&0);
    if ck != k || calib.shape().len() > 2 {
        return Err(Error::new(format!(
            "--calib has shape {}, need [samples, {k}] or [{k}] to match the weight's {k} inputs",
            crate::npy::shape_str(calib.shape())
        )));
    }
    let samples = calib.len() / k;
    let mut mean = vec![0.0f64; k];
    for (i, &x) in calib.data().iter().enumerate() {
        mean[i % k] += x;
    }
    for m in &mut mean {
        *m /= samples as f64;
    }
    let b: Vec<f64> = (0..o)
        .map(|r| {
            (0..k)
                .map(|i| (q.recon[r * k + i] - w.data()[r * k + i]) * mean[i])
                .sum()
        })
        .collect();
    if let Some(sa) = act_scale {
        // Per-channel weight scale; vsq's γ·s_q varies within a row, so only formats with
        // one scale per output channel (or per tensor) have a single accumulator unit.
        if q.vscale.is_some() {
            return Err(Error::new(
                "--act-scale with --format vsq: the accumulator unit varies per vector; \
                 use bcorr.npy (real units) and fold it yourself",
            ));
        }
        if q.axis.is_some_and(|a| a != 0) {
            return Err(Error::new(
                "--act-scale needs per-tensor or --axis 0 (per output channel) weight scales",
            ));
        }
        let acc = b
            .iter()
            .enumerate()
            .map(|(r, &v)| {
                let sw = if q.scales.len() == 1 { q.scales[0] } else { q.scales[r] };
                let a = (v / (sw * sa)).round();
                if a.abs() > f64::from(i32::MAX) {
                    Err(Error::new(format!(
                        "bias correction of channel {r} ({a} accumulator units) does not fit in int32"
                    )))
                } else {
                    Ok(a as i32)
                }
            })
            .collect::<Result<Vec<_>, _>>()?;
        q.bcorr_acc = Some(acc);
    }
    q.bcorr = Some(b);
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{quantize, Format, Options, Tensor};

    #[test]
    fn bias_correction_by_hand() {
        // W = [[4, 1.2], [-2, 0.9]] in 4-bit base-2 log per channel (axis 0):
        // row 0: s = 4/64, 1.2/s = 19.2 → 16 → 1.0 (error -0.2), 4 exact;
        // row 1: s = 2/64, 0.9/s = 28.8 → 32 → 1.0 (error +0.1), -2 exact.
        // E[x] = [1, 3] (calib rows [0, 2] and [2, 4]): b = [-0.6, 0.3].
        let w = Tensor::new(vec![2, 2], vec![4.0, 1.2, -2.0, 0.9]).unwrap();
        let calib = Tensor::new(vec![2, 2], vec![0.0, 2.0, 2.0, 4.0]).unwrap();
        let mut o = Options::new(Format::Log, 4);
        o.axis = Some(0);
        o.calib = Some(calib);
        o.act_scale = Some(0.5);
        let q = quantize(&w, &o).unwrap();
        let b = q.bcorr.unwrap();
        assert!(
            (b[0] + 0.6).abs() < 1e-9 && (b[1] - 0.3).abs() < 1e-9,
            "{b:?}"
        );
        // Accumulator units: -0.6 / (1/16 · 0.5) = -19.2 → -19; 0.3 / (1/32 · 0.5) = 19.2 → 19.
        assert_eq!(q.bcorr_acc.unwrap(), vec![-19, 19]);
    }

    #[test]
    fn calib_shape_must_match() {
        let w = Tensor::new(vec![2, 2], vec![1.0; 4]).unwrap();
        let mut o = Options::new(Format::Int, 8);
        o.calib = Some(Tensor::new(vec![3], vec![1.0; 3]).unwrap());
        let e = quantize(&w, &o).unwrap_err().to_string();
        assert!(e.contains("[samples, 2]"), "{e}");
    }
}
