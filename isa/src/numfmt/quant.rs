//! Real value → nearest code ([`FormatSpec::quantize`]), the rules of docs/ISA.md §5
//! "Quantisation":
//!
//! * nearest in the linear domain to the code's [`FormatSpec::real`] value (for log codes
//!   the multiplier the MAC implements, 1.5·2^h for odd q in base √2);
//! * saturating: values beyond the representable range (±∞ included) give the extreme code;
//! * ties: `int`, `uint`, `log` and `cluster` round half away from zero (to the larger
//!   magnitude); `lut` ties go to the lower code, and a value repeated in the LUT to its
//!   lowest code;
//! * zero is code 0 (never the −0 code of log and cluster); NaN is an error.
//!
//! Every candidate comparison is against the exact midpoint of two neighbouring values
//! (small integers or halves, so the midpoint is exact in `f64`), so no rounding error in a
//! distance can flip a decision. Only `lut` and `cluster` scan (at most 256 codes).

use super::spec::{pow2, FormatError, FormatSpec};
use super::{LogBase, NumFmt};

/// Pick between neighbours `lo < hi` (values `lv < hv`) for `x` in `[lv, hv]`: the nearer,
/// and `tie` at the midpoint.
fn nearer<T>(x: f64, (lo, lv): (T, f64), (hi, hv): (T, f64), tie: T) -> T {
    let mid = (lv + hv) / 2.0;
    if x < mid {
        lo
    } else if x > mid {
        hi
    } else {
        tie
    }
}

impl FormatSpec<'_> {
    /// Nearest code to the real value `x` under the rules of docs/ISA.md §5
    /// "Quantisation" (module `quant`): linear-domain nearest, saturating, ties half away
    /// from zero (lut: to the lower code); zero → code 0. Errors: NaN, and a lut format with
    /// no usable LUT entry.
    pub fn quantize(&self, x: f64) -> Result<u8, FormatError> {
        if x.is_nan() {
            return Err(FormatError::NaN);
        }
        match self.fmt() {
            NumFmt::Int => {
                let half = f64::from(self.code_space() / 2);
                let v = x.clamp(-half, half - 1.0).round() as i32;
                Ok((v as u32 & (self.code_space() - 1)) as u8)
            }
            NumFmt::Uint => {
                let zp = f64::from(self.params().zp);
                let top = f64::from(self.code_space() - 1);
                // Clamping to integers commutes with rounding to an integer.
                Ok((x.clamp(-zp, top - zp).round() + zp) as u8)
            }
            NumFmt::Lut => self.quantize_lut(x),
            NumFmt::Cluster => Ok(self.quantize_cluster(x)),
            NumFmt::Log => Ok(self.quantize_log(x)),
        }
    }

    /// [`FormatSpec::quantize`] of every element; the first error stops.
    pub fn quantize_all(&self, xs: &[f64]) -> Result<Vec<u8>, FormatError> {
        xs.iter().map(|&x| self.quantize(x)).collect()
    }

    /// Smallest and largest real value of a legal code. Error: a lut format with no usable
    /// LUT entry.
    pub fn range(&self) -> Result<(f64, f64), FormatError> {
        let half = f64::from(self.code_space() / 2);
        Ok(match self.fmt() {
            NumFmt::Int => (-half, half - 1.0),
            NumFmt::Uint => {
                let zp = f64::from(self.params().zp);
                (-zp, f64::from(self.code_space() - 1) - zp)
            }
            NumFmt::Lut => {
                let e = self.lut_entries();
                match (e.iter().min(), e.iter().max()) {
                    (Some(&lo), Some(&hi)) => (f64::from(lo), f64::from(hi)),
                    _ => return Err(FormatError::EmptyLut),
                }
            }
            NumFmt::Cluster => {
                let m = f64::from(self.cluster_max());
                (-m, m)
            }
            NumFmt::Log => {
                let m = self.log_mag(self.log_qmax());
                (-m, m)
            }
        })
    }

    /// lut: the largest entry ≤ x and the smallest ≥ x (each at its lowest code), then the
    /// nearer, ties to the lower code; one side missing means x is beyond the range.
    fn quantize_lut(&self, x: f64) -> Result<u8, FormatError> {
        let mut below: Option<(usize, f64)> = None;
        let mut above: Option<(usize, f64)> = None;
        for (c, &e) in self.lut_entries().iter().enumerate() {
            let v = f64::from(e);
            if v <= x && below.is_none_or(|(_, b)| v > b) {
                below = Some((c, v));
            }
            if v >= x && above.is_none_or(|(_, a)| v < a) {
                above = Some((c, v));
            }
        }
        let c = match (below, above) {
            (Some((lc, lv)), Some((hc, hv))) if lv < hv => {
                nearer(x, (lc, lv), (hc, hv), lc.min(hc))
            }
            (Some((c, _)), _) | (None, Some((c, _))) => c,
            (None, None) => return Err(FormatError::EmptyLut),
        };
        Ok(c as u8)
    }

    /// cluster: on the magnitude, the legal neighbours around |x| (magnitudes of at most k
    /// signed terms, at most the largest legal magnitude); a scan of at most 128 magnitudes.
    fn quantize_cluster(&self, x: f64) -> u8 {
        let k = self.params().ck;
        let max = self.cluster_max();
        let legal = |m: &u32| super::naf_weight(*m) <= k;
        let a = x.abs();
        let m = if a >= f64::from(max) {
            max
        } else {
            let n = a.floor() as u32; // < max ≤ 127
                                      // 0 is legal, so `lo` exists; `max` is legal and > a, so `hi` exists.
            let lo = (0..=n).rev().find(legal).unwrap_or(0);
            if f64::from(lo) == a {
                lo
            } else {
                let hi = (n + 1..=max).find(legal).unwrap_or(max);
                nearer(a, (lo, f64::from(lo)), (hi, f64::from(hi)), hi)
            }
        };
        self.sign_mag(x < 0.0, m)
    }

    /// Magnitude of log exponent `q` (the value [`super::LogTerm::real`] gives).
    fn log_mag(&self, q: u32) -> f64 {
        match self.params().logbase {
            LogBase::Two => pow2(q),
            LogBase::Sqrt2 if q & 1 == 1 => 1.5 * pow2(q >> 1),
            LogBase::Sqrt2 => pow2(q >> 1),
        }
    }

    /// log: on the magnitude, between 0 and 1 below 1; else within the octave
    /// `[2^e, 2^(e+1))` of |x|, whose grid is `2^e, 2^(e+1)` (base 2) or
    /// `2^e, 1.5·2^e, 2^(e+1)` (base √2). Returns the magnitude field `m = q + 1` (0: zero).
    fn quantize_log(&self, x: f64) -> u8 {
        let qmax = self.log_qmax();
        let a = x.abs();
        let m = if a >= self.log_mag(qmax) {
            qmax + 1
        } else if a < 1.0 {
            nearer(a, (0, 0.0), (1, 1.0), 1)
        } else {
            // 1 ≤ a < the largest magnitude ≤ 2^14, so e ≤ 13 and every neighbour exists.
            let mut e = 0;
            while pow2(e + 1) <= a {
                e += 1;
            }
            let (lo, hi) = match self.params().logbase {
                LogBase::Two => (e, e + 1),
                LogBase::Sqrt2 if a < 1.5 * pow2(e) => (2 * e, 2 * e + 1),
                LogBase::Sqrt2 => (2 * e + 1, 2 * e + 2),
            };
            let (lv, hv) = (self.log_mag(lo), self.log_mag(hi));
            nearer(a, (lo + 1, lv), (hi + 1, hv), hi + 1)
        };
        self.sign_mag(x < 0.0, m)
    }
}
