//! LUT / non-uniform codebook quantisation (seed 000): 2^N centroids (k-means or quantile)
//! in float, scaled into the LUT's signed 8-bit entries (`s = max|centroid| / 127`,
//! `entry = round(centroid / s)`), then each element takes the nearest entry's code
//! (`FormatSpec::lut(N, entries).quantize(x / s)`; ties to the lower code, repeated entries
//! to their lowest code). One LUT per tensor (the machine has four LUTs, not one per
//! channel).
//!
//! k-means is Lloyd's algorithm on the sorted values with prefix sums (each iteration costs
//! O(2^N · log n)), initialised at the quantile centroids, at most 100 iterations; an empty
//! cluster keeps its centroid. Deterministic.

use bitloom_isa::numfmt::FormatSpec;

use crate::{Error, LutMethod, Options, Quantized, Tensor};

/// Value at quantile `p` of sorted data (nearest rank).
fn quantile(sorted: &[f64], p: f64) -> f64 {
    let i = ((p * sorted.len() as f64).floor() as usize).min(sorted.len() - 1);
    sorted[i]
}

/// Centroids at the (i + ½)/k quantiles.
pub fn quantile_centroids(sorted: &[f64], k: usize) -> Vec<f64> {
    (0..k)
        .map(|i| quantile(sorted, (i as f64 + 0.5) / k as f64))
        .collect()
}

/// Lloyd's k-means in one dimension from the quantile centroids.
pub fn kmeans(sorted: &[f64], k: usize) -> Vec<f64> {
    let mut prefix = Vec::with_capacity(sorted.len() + 1);
    prefix.push(0.0);
    for &x in sorted {
        prefix.push(prefix.last().copied().unwrap_or(0.0) + x);
    }
    let mut c = quantile_centroids(sorted, k);
    for _ in 0..100 {
        // Boundaries: midpoints between consecutive (sorted) centroids.
        let mut next = c.clone();
        let mut start = 0;
        for j in 0..k {
            let end = if j + 1 < k {
                let mid = (c[j] + c[j + 1]) / 2.0;
                sorted.partition_point(|&x| x < mid).max(start)
            } else {
                sorted.len()
            };
            if end > start {
                next[j] = (prefix[end] - prefix[start]) / (end - start) as f64;
            }
            start = end;
        }
        next.sort_by(f64::total_cmp);
        if next == c {
            break;
        }
        c = next;
    }
    c
}

/// Quantise `t` into LUT codes with a codebook built by `opts.lut_method`.
pub fn quantize(t: &Tensor, opts: &Options, q: &mut Quantized) -> Result<(), Error> {
    FormatSpec::lut(opts.bits, &[0])?;
    let k = 1usize << opts.bits;
    let mut sorted = t.data().to_vec();
    sorted.sort_by(f64::total_cmp);
    let cents = match opts.lut_method {
        LutMethod::Kmeans => kmeans(&sorted, k),
        LutMethod::Quantile => quantile_centroids(&sorted, k),
    };
    let amax = cents.iter().fold(0.0f64, |a, c| a.max(c.abs()));
    let s = if amax > 0.0 { amax / 127.0 } else { 1.0 };
    let entries: Vec<i8> = cents
        .iter()
        .map(|c| (c / s).round().clamp(-128.0, 127.0) as i8)
        .collect();
    let spec = FormatSpec::lut(opts.bits, &entries)?;
    for &x in t.data() {
        let c = spec.quantize(x / s)?;
        let v = f64::from(entries[usize::from(c)]);
        q.codes.push(c);
        q.values.push(v);
        q.recon.push(v * s);
    }
    q.scales = vec![s];
    q.lut = entries;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{quantize as quant, Format, LutMethod, Options};

    #[test]
    fn kmeans_finds_two_clusters() {
        // Two tight groups around -1 and 3: the 1-bit codebook is their means.
        let v = [-1.1, -1.0, -0.9, 2.9, 3.0, 3.1];
        let c = kmeans(&v, 2);
        assert!(
            (c[0] + 1.0).abs() < 1e-12 && (c[1] - 3.0).abs() < 1e-12,
            "{c:?}"
        );
    }

    #[test]
    fn lut_1bit_by_hand() {
        // Centroids -1 and 3 → s = 3/127, entries round(-127/3) = -42 and 127.
        let x = Tensor::new(vec![6], vec![-1.1, -1.0, -0.9, 2.9, 3.0, 3.1]).unwrap();
        let q = quant(&x, &Options::new(Format::Lut, 1)).unwrap();
        assert_eq!(q.lut, vec![-42, 127]);
        assert_eq!(q.codes, vec![0, 0, 0, 1, 1, 1]);
        assert!((q.scales[0] - 3.0 / 127.0).abs() < 1e-12);
    }

    #[test]
    fn quantile_codebook_by_hand() {
        // 8 values 0..7, 2 bits: quantiles 1/8, 3/8, 5/8, 7/8 → ranks 1, 3, 5, 7.
        let v: Vec<f64> = (0..8).map(f64::from).collect();
        assert_eq!(quantile_centroids(&v, 4), vec![1.0, 3.0, 5.0, 7.0]);
        let x = Tensor::new(vec![8], v).unwrap();
        let mut o = Options::new(Format::Lut, 2);
        o.lut_method = LutMethod::Quantile;
        let q = quant(&x, &o).unwrap();
        // s = 7/127; entries round(127/7·{1,3,5,7}) = 18, 54, 91, 127.
        assert_eq!(q.lut, vec![18, 54, 91, 127]);
        // x·127/7: 2 → 36.29 > midpoint 36 → 54 (code 1); 4 → 72.57 > 72.5 → 91;
        // 6 → 108.86 < 109 → 91 (code 2).
        assert_eq!(q.codes, vec![0, 0, 1, 1, 2, 2, 2, 3]);
    }
}
