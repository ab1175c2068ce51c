//! Log weights (seed 001, ASLog): sign + exponent codes of 2..=5 bits, base 2 or base √2
//! (the machine's √2 step is 1.5·2^h, docs/ISA.md §5). A per-channel scale maps the
//! largest magnitude to the largest real code value (`--scale mse` searches below it);
//! each weight then takes the code whose *real* value (what the MAC multiplies by) is
//! nearest in the linear domain (`FormatSpec::quantize`). Bias correction
//! ([`crate::bcorr`]) is the usual companion.

use bitloom_isa::numfmt::FormatSpec;

use crate::uniform::symmetric;
use crate::{Error, Options, Quantized, Tensor};

/// Quantise `t` into log codes.
pub fn quantize(t: &Tensor, opts: &Options, q: &mut Quantized) -> Result<(), Error> {
    let spec = FormatSpec::log(opts.bits, opts.log_base)?;
    let top = spec.range()?.1;
    symmetric(t, opts, q, &spec, top)
}

#[cfg(test)]
mod tests {
    use crate::{quantize, Format, Options, Tensor};
    use bitloom_isa::numfmt::LogBase;

    #[test]
    fn base2_4bit_by_hand() {
        // 4-bit base 2: magnitudes 1..=64 (q = 0..=6, m = q + 1). absmax 64 → s = 1.
        // 3 → tie between 2 and 4 → 4 (q 2, m 3); 0.4 → 0; -0.6 → -1 (sign | m 1 =
        // 0b1001); -2.9 → -2 (q 1 → 0b1010).
        let x = Tensor::new(vec![5], vec![64.0, 3.0, 0.4, -0.6, -2.9]).unwrap();
        let q = quantize(&x, &Options::new(Format::Log, 4)).unwrap();
        assert_eq!(q.scales, vec![1.0]);
        assert_eq!(q.codes, vec![7, 3, 0, 0b1001, 0b1010]);
        assert_eq!(q.values, vec![64.0, 4.0, 0.0, -1.0, -2.0]);
    }

    #[test]
    fn sqrt2_uses_one_and_a_half_steps() {
        // 3-bit base √2: q = 0..2 → magnitudes 1, 1.5, 2. absmax 2 → s = 1.
        // 1.3 → nearer 1.5 (q 1, m 2); 1.75 → tie between 1.5 and 2 → 2 (m 3).
        let x = Tensor::new(vec![3], vec![2.0, 1.3, -1.75]).unwrap();
        let mut o = Options::new(Format::Log, 3);
        o.log_base = LogBase::Sqrt2;
        let q = quantize(&x, &o).unwrap();
        assert_eq!(q.codes, vec![3, 2, 0b111]);
        assert_eq!(q.values, vec![2.0, 1.5, -2.0]);
    }

    #[test]
    fn log_bits_are_checked() {
        let x = Tensor::new(vec![1], vec![1.0]).unwrap();
        let e = quantize(&x, &Options::new(Format::Log, 6)).unwrap_err();
        assert!(e.to_string().contains("2..=5"), "{e}");
    }
}
