//! Per-vector scaled quantisation (seed 003, VSQ): N-bit int values, an M-bit unsigned
//! integer scale per vector of V elements, and a coarse float scale γ per channel folded
//! into the requantisation multiplier (`vscale`, docs/ISA.md §6).
//!
//! For a matrix with vectors along `--vector-axis` (1: the K columns of an M×K weight,
//! γ per row; 0: the K rows of a K×N activation, γ per tensor):
//! `s_fp = absmax(vector) / (2^(N−1) − 1)`, `γ = max s_fp / (2^M − 1)` over the channel,
//! `s_q = clamp(round(s_fp / γ), 1, 2^M − 1)` (`--vsq-round up`: ceil, never clipping;
//! an all-zero vector gets `s_q = 0`), code = `int_N.quantize(x / (s_q·γ))`, real value
//! `γ · s_q · val(code)`. Storage ≈ N + M/V bits per element.

use bitloom_isa::numfmt::FormatSpec;

use crate::{Error, Options, Quantized, Tensor, VectorScales, VsqRound};

/// Quantise `t` (1-D as one row, or 2-D) into VSQ codes and scales.
pub fn quantize(t: &Tensor, opts: &Options, q: &mut Quantized) -> Result<(), Error> {
    if t.shape().len() > 2 {
        return Err(Error::new(format!(
            "--format vsq needs a 1-D or 2-D tensor, got {} dimensions (reshape to 2-D first)",
            t.shape().len()
        )));
    }
    let spec = FormatSpec::int(opts.bits)?;
    let (rows, cols) = t.as_matrix();
    let va = opts.vector_axis;
    if va == 0 && t.shape().len() == 1 {
        return Err(Error::new(
            "--vector-axis 0 needs a 2-D tensor (K×N activations)",
        ));
    }
    let v = opts.vlen;
    let (nch, nvec, shape) = if va == 1 {
        let nvec = cols.div_ceil(v);
        (rows, nvec, [rows, nvec])
    } else {
        let nvec = rows.div_ceil(v);
        (1, nvec, [nvec, cols])
    };
    // Element (r, c) → (channel, scale index).
    let place = |i: usize| {
        let (r, c) = (i / cols, i % cols);
        if va == 1 {
            (r, r * nvec + c / v)
        } else {
            (0, (r / v) * cols + c)
        }
    };
    let qmax = f64::from(((1u32 << opts.bits) / 2).saturating_sub(1).max(1));
    let smax = f64::from((1u32 << opts.scale_bits) - 1);
    let mut absmax = vec![0.0f64; shape[0] * shape[1]];
    for (i, &x) in t.data().iter().enumerate() {
        let (_, j) = place(i);
        absmax[j] = absmax[j].max(x.abs());
    }
    // Largest vector absmax per channel: γ = chmax / qmax / smax, and s_fp / γ is computed
    // as absmax · smax / chmax so the largest vector's ratio is exactly smax.
    let mut chmax = vec![0.0f64; nch];
    for i in 0..t.len() {
        let (ch, j) = place(i);
        chmax[ch] = chmax[ch].max(absmax[j]);
    }
    let gamma: Vec<f64> = chmax
        .iter()
        .map(|&m| if m > 0.0 { m / qmax / smax } else { 1.0 })
        .collect();
    let mut sq = vec![0u8; absmax.len()];
    for i in 0..t.len() {
        let (ch, j) = place(i);
        if absmax[j] == 0.0 {
            continue;
        }
        let r = absmax[j] * smax / chmax[ch];
        let r = match opts.vsq_round {
            VsqRound::Nearest => r.round(),
            VsqRound::Up => r.ceil(),
        };
        sq[j] = r.clamp(1.0, smax) as u8;
    }
    for (i, &x) in t.data().iter().enumerate() {
        let (ch, j) = place(i);
        let step = f64::from(sq[j]) * gamma[ch];
        let c = if sq[j] == 0 {
            0
        } else {
            spec.quantize(x / step)?
        };
        let val = f64::from(spec.decode(u32::from(c))?);
        q.codes.push(c);
        q.values.push(val);
        q.recon.push(val * step);
    }
    q.scales = gamma;
    q.axis = (va == 1).then_some(0);
    q.vscale = Some(VectorScales {
        shape,
        codes: sq,
        bits: opts.scale_bits,
    });
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{quantize, Format, Options, Tensor, VsqRound};

    #[test]
    fn two_vectors_by_hand() {
        // One row, V = 2, N = 4 (qmax 7), M = 2 (smax 3): vectors [7, -3.5] and [1.4, 0.7].
        // s_fp = 1 and 0.2; γ = 1/3; s_q = round(3) = 3, round(0.6) = 1.
        // Vector 0: step 1 → 7, -3.5 → -4 (half away; code 12). Vector 1: step 1/3 →
        // 4.2 → 4, 2.1 → 2.
        let x = Tensor::new(vec![1, 4], vec![7.0, -3.5, 1.4, 0.7]).unwrap();
        let mut o = Options::new(Format::Vsq, 4);
        o.vlen = 2;
        o.scale_bits = 2;
        let q = quantize(&x, &o).unwrap();
        let vs = q.vscale.as_ref().unwrap();
        assert_eq!((vs.shape, vs.codes.clone()), ([1, 2], vec![3, 1]));
        assert!((q.scales[0] - 1.0 / 3.0).abs() < 1e-12);
        assert_eq!(q.codes, vec![7, 12, 4, 2]);
        // Rounding up: 0.6 → 1 as well; 3 stays 3.
        o.vsq_round = VsqRound::Up;
        assert_eq!(quantize(&x, &o).unwrap().vscale.unwrap().codes, vec![3, 1]);
    }

    #[test]
    fn activations_along_axis0() {
        // K×N = 4×1, V = 2: vectors [2, 1] and [0, 0] (all zero: s_q 0, codes 0).
        let x = Tensor::new(vec![4, 1], vec![2.0, 1.0, 0.0, 0.0]).unwrap();
        let mut o = Options::new(Format::Vsq, 4);
        o.vlen = 2;
        o.vector_axis = 0;
        let q = quantize(&x, &o).unwrap();
        let vs = q.vscale.unwrap();
        assert_eq!((vs.shape, vs.codes), ([2, 1], vec![15, 0]));
        assert_eq!(q.codes[2..], [0, 0]);
    }
}
