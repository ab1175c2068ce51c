//! Statistics of a quantised tensor: SQNR against the float tensor, density, effectual bits
//! (with the lane-group imbalance BitCluster removes), high-order-slice sparsity as the
//! machine's bit-slice mode sees it (docs/ISA.md §6), and RLE size against raw.

use bitloom_isa::numfmt::packed_len;
use bitloom_isa::rle;
use serde::Serialize;

/// Signal-to-quantisation-noise ratio in dB, `10·log10(Σx² / Σ(x − x̂)²)`; `None` when
/// the reconstruction is exact (infinite SQNR) or the signal is all zero.
pub fn sqnr_db(x: &[f64], recon: &[f64]) -> Option<f64> {
    let sig: f64 = x.iter().map(|v| v * v).sum();
    let noise: f64 = x.iter().zip(recon).map(|(a, b)| (a - b).powi(2)).sum();
    if noise == 0.0 || sig == 0.0 {
        None
    } else {
        Some(10.0 * (sig / noise).log10())
    }
}

/// High-order slices of the codes: `HO = code >> s`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SliceStats {
    /// Slice width s.
    pub slice: u32,
    /// Most frequent HO value r (ties: the smallest), what `sfreq = 255` picks.
    pub r: u8,
    /// Fraction of HO slices equal to r: skipped by the bit-slice unit.
    pub skippable: f64,
    /// Fraction of HO slices equal to 0.
    pub zero: f64,
}

/// Slice statistics of codes with slice width `s` (all HO zero when the codes have ≤ s bits).
pub fn slice_stats(codes: &[u8], s: u32) -> SliceStats {
    let mut hist = [0u64; 256];
    for &c in codes {
        hist[usize::from(c >> s.min(7))] += 1;
    }
    let (r, &nr) = hist
        .iter()
        .enumerate()
        .max_by(|a, b| a.1.cmp(b.1).then(b.0.cmp(&a.0)))
        .unwrap_or((0, &0));
    let n = codes.len().max(1) as f64;
    SliceStats {
        slice: s,
        r: r as u8,
        skippable: nr as f64 / n,
        zero: hist[0] as f64 / n,
    }
}

/// Effectual (non-zero) bits of each weight's magnitude and their imbalance across lanes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EffectualBits {
    /// `histogram[b]`: elements with b effectual bits.
    pub histogram: Vec<u64>,
    /// Mean effectual bits per element.
    pub mean: f64,
    /// Largest.
    pub max: u32,
    /// Lanes per group.
    pub lane_group: usize,
    /// Mean over groups of consecutive elements of the group's largest count: the cycles
    /// per weight of a zero-bit-skipping (Bit-Pragmatic) lane group.
    pub mean_group_max: f64,
}

/// Effectual bits of integer magnitudes `|round(v)|`; non-integer log magnitudes (1.5·2^h)
/// count their two shift terms.
pub fn effectual_bits(values: &[f64], lane_group: usize) -> EffectualBits {
    let bits: Vec<u32> = values
        .iter()
        .map(|v| {
            let a = v.abs();
            if a.fract() != 0.0 {
                // 1.5: x + (x >> 1).
                (a * 2.0).round() as u64
            } else {
                a as u64
            }
            .count_ones()
        })
        .collect();
    let mut histogram = vec![0u64; 10];
    for &b in &bits {
        histogram[(b as usize).min(9)] += 1;
    }
    let groups: Vec<u32> = bits
        .chunks(lane_group.max(1))
        .map(|g| g.iter().copied().max().unwrap_or(0))
        .collect();
    let n = bits.len().max(1) as f64;
    EffectualBits {
        histogram,
        mean: bits.iter().map(|&b| f64::from(b)).sum::<f64>() / n,
        max: bits.iter().copied().max().unwrap_or(0),
        lane_group,
        mean_group_max: groups.iter().map(|&b| f64::from(b)).sum::<f64>()
            / groups.len().max(1) as f64,
    }
}

/// Raw versus RLE storage of the codes (docs/ISA.md §8).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RleStats {
    /// Run-field width r.
    pub run_bits: u32,
    /// Non-zero codes / codes (what `dchk` reports and RLE compresses).
    pub code_density: f64,
    /// Raw packed bytes.
    pub raw_bytes: usize,
    /// RLE stream bytes (header included).
    pub rle_bytes: usize,
    /// Density below which RLE wins, about b / (b + r).
    pub break_even_density: f64,
    /// RLE is smaller than raw for this tensor.
    pub worth_it: bool,
}

/// RLE statistics of `bits`-bit codes with run width `r`.
pub fn rle_stats(codes: &[u8], bits: u32, r: u32) -> RleStats {
    let raw = packed_len(codes.len(), bits);
    let rle_bytes = rle::encoded_len(codes, bits, r);
    RleStats {
        run_bits: r,
        code_density: code_density(codes),
        raw_bytes: raw,
        rle_bytes,
        break_even_density: f64::from(bits) / f64::from(bits + r),
        worth_it: rle_bytes < raw,
    }
}

/// Fraction of non-zero codes.
pub fn code_density(codes: &[u8]) -> f64 {
    codes.iter().filter(|&&c| c != 0).count() as f64 / codes.len().max(1) as f64
}

/// Fraction of non-zero values.
pub fn value_density(values: &[f64]) -> f64 {
    values.iter().filter(|&&v| v != 0.0).count() as f64 / values.len().max(1) as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqnr_by_hand() {
        // Σx² = 1 + 4 = 5, noise = 0.01 + 0.04 = 0.05 → 10·log10(100) = 20 dB.
        let s = sqnr_db(&[1.0, 2.0], &[1.1, 1.8]).unwrap();
        assert!((s - 20.0).abs() < 1e-9);
        assert_eq!(sqnr_db(&[1.0], &[1.0]), None);
    }

    #[test]
    fn slices_by_hand() {
        // Codes 0x05, 0x13, 0x17, 0x20: HO 0, 1, 1, 2 → r = 1 (2 of 4), zero 1 of 4.
        let s = slice_stats(&[0x05, 0x13, 0x17, 0x20], 4);
        assert_eq!((s.r, s.skippable, s.zero), (1, 0.5, 0.25));
    }

    #[test]
    fn effectual_bits_and_group_max() {
        // |7| = 3 bits, 1 = 1, 0 = 0, -6 = 2, 1.5 (log half step) = 2 terms.
        let e = effectual_bits(&[7.0, 1.0, 0.0, -6.0, 1.5], 2);
        assert_eq!(&e.histogram[..4], &[1, 1, 2, 1]);
        assert_eq!(e.max, 3);
        // Groups [7,1] → 3, [0,-6] → 2, [1.5] → 2: mean 7/3.
        assert!((e.mean_group_max - 7.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn rle_by_hand() {
        // 16 codes of 8 bits, one non-zero at the end: raw 16 bytes; RLE with r = 4: one
        // entry of run 15 + code: 4 + ceil(12/8) = 6 bytes.
        let mut c = vec![0u8; 16];
        c[15] = 9;
        let s = rle_stats(&c, 8, 4);
        assert_eq!((s.raw_bytes, s.rle_bytes, s.worth_it), (16, 6, true));
        assert!((s.break_even_density - 8.0 / 12.0).abs() < 1e-12);
    }
}
