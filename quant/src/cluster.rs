//! BitCluster weights (seed 004): every weight rounded to the nearest value whose magnitude
//! has at most k set bits, k chosen per layer (`--k K`, or `--k auto` for the smallest k
//! reaching an SQNR target).
//!
//! **"Exactly k" versus "at most k".** The paper gives every weight the same number k of
//! effectual-bit *slots*, so every lane of a group takes exactly k cycles. docs/ISA.md's
//! `cluster` format is sign + magnitude with `popcount ≤ ck`: a weight needing fewer than k
//! bits (0, a power of two) fills its remaining slots with zero terms, and the MAC charges
//! `ck` cycles per lane group whatever the weights' own popcounts. Forcing exactly k *set*
//! bits would forbid 0 and every small value for no gain in cycles, so the quantiser picks
//! the nearest value with at most k bits (`FormatSpec::quantize` with `ck = k`) and the
//! hardware cost is exactly k per weight. The report's effectual-bit histogram shows how
//! many weights use fewer than k, and the lane-group maximum a zero-bit-skipping baseline
//! would pay.

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
        // 5-bit, k = 2: magnitudes with ≤ 2 bits below 16: top = 0b1100 = 12. absmax 12
        // → s = 1. 7 → neighbours 6 and 8, tie-free: 7 is 1 from both → tie → 8 (half away);
        // 11 → 10 or 12 → tie → 12; 5 → 5 (two bits); -12 → sign | 12 = 0b11100.
        let x = Tensor::new(vec![5], vec![12.0, 7.0, 11.0, 5.0, -12.0]).unwrap();
        let q = quantize(&x, &opts(5, KChoice::Fixed(2))).unwrap();
        assert_eq!(q.codes, vec![12, 8, 12, 5, 0b11100]);
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
