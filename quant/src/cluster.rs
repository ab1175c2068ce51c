//! BitCluster weights (seed 004): every weight rounded to the nearest value made of at most
//! k signed power-of-two terms (±2^i), k chosen per layer (`--k K`, or `--k auto` for the
//! smallest k reaching an SQNR target).
//!
//! **"Exactly k" versus "at most k".** The paper gives every weight the same number k of
//! term *slots*, so every lane of a group takes exactly k cycles. docs/ISA.md's `cluster`
//! format is sign + magnitude whose magnitude's non-adjacent form has at most `ck` non-zero
//! digits (7 = 8 − 1 is two terms): a weight needing fewer than k terms (0, a power of two)
//! fills its remaining slots with zero terms, and the MAC charges `ck` cycles per lane group
//! whatever the weights' own term counts. Forcing exactly k non-zero terms would forbid 0 and
//! every power of two for no gain in cycles, so the quantiser picks the nearest value with at
//! most k terms (`FormatSpec::quantize` with `ck = k`) and the hardware cost is exactly k per
//! weight. The report's effectual-bit histogram counts *binary* 1-bits: what a
//! zero-bit-skipping (unclustered, binary) baseline would pay per weight and per lane group.

use bitloom_isa::numfmt::FormatSpec;

use crate::stats::sqnr_db;
use crate::uniform::symmetric;
use crate::{Error, KChoice, Options, Quantized, Tensor};

fn with_k(t: &Tensor, opts: &Options, base: &Quantized, k: u32) -> Result<Quantized, Error> {
    let spec = FormatSpec::cluster(opts.bits, k)?;
    let top = spec.range()?.1;
    let mut q = base.clone();
    symmetric(t, opts, &mut q, &spec, top)?;
    q.ck = Some(k);
    Ok(q)
}

/// Quantise `t` into cluster codes.
pub fn quantize(t: &Tensor, opts: &Options, q: &mut Quantized) -> Result<(), Error> {
    // Legal bits for the format first (2..=8), so k's message is about k.
    FormatSpec::cluster(opts.bits, 1)?;
    let kmax = opts.bits - 1;
    match opts.k {
        Some(KChoice::Fixed(k)) => {
            if !(1..=kmax).contains(&k) {
                return Err(Error::new(format!(
                    "--k must be in 1..={kmax} for {}-bit cluster codes ({kmax} magnitude bits), got {k}",
                    opts.bits
                )));
            }
            *q = with_k(t, opts, q, k)?;
        }
        Some(KChoice::Auto(target)) => {
            let mut tried = Vec::new();
            let mut chosen = None;
            for k in 1..=kmax {
                let c = with_k(t, opts, q, k)?;
                let s = sqnr_db(t.data(), &c.recon);
                tried.push((k, s));
                let last = k == kmax;
                if s.is_none_or(|s| s >= target) || last {
                    chosen = Some(c);
                    break;
                }
            }
            if let Some(c) = chosen {
                *q = c;
            }
            q.k_search = tried;
        }
        None => return Err(Error::new("--format cluster needs --k")),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::{quantize, Format, KChoice, Options, Tensor};

    fn opts(bits: u32, k: KChoice) -> Options {
        let mut o = Options::new(Format::Cluster, bits);
        o.k = Some(k);
        o
    }

    #[test]
    fn k2_5bit_by_hand() {
        // 5-bit, k = 2: magnitudes of ≤ 2 signed terms below 16: top = 15 = 16 − 1. absmax
        // 15 → s = 1. 7 = 8 − 1 stays; 11 (16 − 4 − 1, three terms) → 10 or 12 → tie → 12
        // (half away); 5 = 4 + 1 stays; 13 (16 − 4 + 1) → 12 or 14 → tie → 14;
        // -15 → sign | 15 = 0b11111.
        let x = Tensor::new(vec![6], vec![15.0, 7.0, 11.0, 5.0, 13.0, -15.0]).unwrap();
        let q = quantize(&x, &opts(5, KChoice::Fixed(2))).unwrap();
        assert_eq!(q.codes, vec![15, 7, 12, 5, 14, 0b11111]);
        assert_eq!(q.ck, Some(2));
    }

    #[test]
    fn k_range_and_auto() {
        let x = Tensor::new(vec![4], vec![1.0, 0.3, -0.7, 0.55]).unwrap();
        let e = quantize(&x, &opts(4, KChoice::Fixed(4))).unwrap_err();
        assert!(e.to_string().contains("1..=3"), "{e}");
        // A target no k reaches: the largest k is used and every k is listed.
        let q = quantize(&x, &opts(4, KChoice::Auto(200.0))).unwrap();
        assert_eq!(q.ck, Some(3));
        assert_eq!(q.k_search.len(), 3);
        // A target k = 1 already reaches.
        let q = quantize(&x, &opts(4, KChoice::Auto(-100.0))).unwrap();
        assert_eq!(q.ck, Some(1));
    }
}
