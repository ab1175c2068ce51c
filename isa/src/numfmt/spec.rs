//! What a code means in each number format (docs/ISA.md §5), without any emulator type:
//! [`FormatSpec`] is one format at one precision with the parameters it needs, and gives
//! code → value ([`FormatSpec::decode`], [`FormatSpec::meaning`], [`FormatSpec::real`],
//! [`FormatSpec::product`]) and exact value → code ([`FormatSpec::encode`]).
//!
//! Values are exact integers for every format except `log`, whose codes are shift recipes
//! ([`LogTerm`]): the MAC computes products by shifting, and base-√2 codes with odd `q`
//! add a floored half step, so their product with an odd activation is not `x · 1.5 · 2^h`
//! when `h = 0`. [`Meaning`] carries both kinds; [`FormatSpec::real`] gives the real value a
//! quantiser works with.
//!
//! No method panics: invalid precisions and parameters are rejected by the constructors,
//! and out-of-range or illegal codes give a [`FormatError`].

use super::{LogBase, NumFmt};

/// Why a format, code or value was rejected.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    /// The precision is not allowed for the format ([`NumFmt::precisions`]).
    #[error("{fmt} format needs a precision in {min}..={max} bits, got {prec}")]
    Precision {
        /// Format.
        fmt: NumFmt,
        /// Requested precision.
        prec: u32,
        /// Smallest allowed precision.
        min: u32,
        /// Largest allowed precision.
        max: u32,
    },
    /// Cluster `k` outside the CSR's range 1..=8.
    #[error("cluster k must be in 1..=8, got {ck}")]
    ClusterK {
        /// Requested k.
        ck: u32,
    },
    /// The code does not fit in the precision.
    #[error("code {code} does not fit in {prec} bits")]
    CodeRange {
        /// Code.
        code: u32,
        /// Precision.
        prec: u32,
    },
    /// lut-format code at or beyond the LUT's length (the MAC traps **LutIndex**).
    #[error("lut code {code} is beyond the LUT's {len} entries")]
    LutIndex {
        /// Code.
        code: u32,
        /// LUT length.
        len: usize,
    },
    /// cluster code whose magnitude needs more than `k` signed power-of-two terms (the MAC
    /// traps **ClusterBits**).
    #[error("cluster code {code} has {bits} signed terms, more than k = {ck}")]
    ClusterBits {
        /// Code.
        code: u32,
        /// Its magnitude's popcount.
        bits: u32,
        /// k.
        ck: u32,
    },
    /// A base-√2 log code with `q = 1` multiplies by 1.5 (with a floored half step): it has
    /// no integer value; use [`FormatSpec::meaning`] or [`FormatSpec::real`].
    #[error("log code {code} multiplies by 1.5 (floored half step): no integer value")]
    NotInteger {
        /// Code.
        code: u32,
    },
    /// The value has no code in this format.
    #[error("value {value} is not representable in {prec}-bit {fmt}")]
    NotRepresentable {
        /// Value.
        value: i64,
        /// Format.
        fmt: NumFmt,
        /// Precision.
        prec: u32,
    },
    /// NaN has no nearest code.
    #[error("cannot quantise NaN")]
    NaN,
    /// A lut format whose LUT has no entry usable at this precision has no codes at all.
    #[error("the LUT has no entries, so the lut format has no legal code")]
    EmptyLut,
}

/// Parameters of a format; each format reads only its own (the rest are ignored).
/// `Default` is the machine's reset configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatParams<'a> {
    /// `uint`: zero-point (CSR `wzp`/`azp`, 0..=255); value = code − zp.
    pub zp: u8,
    /// `lut`: the LUT's programmed entries (its length is the programmed length; codes at or
    /// beyond it are illegal). Only the first `2^prec` entries are reachable.
    pub lut: &'a [i8],
    /// `cluster`: signed terms k (CSR `ck`, 1..=8); codes whose magnitude needs more signed
    /// power-of-two terms (non-zero NAF digits) are illegal.
    pub ck: u32,
    /// `log`: base (CSR `logbase`).
    pub logbase: LogBase,
}

impl Default for FormatParams<'_> {
    fn default() -> Self {
        FormatParams {
            zp: 0,
            lut: &[],
            ck: 2,
            logbase: LogBase::Two,
        }
    }
}

/// One number format at one precision, with its parameters: validated on construction, so
/// every method is total (errors, never panics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FormatSpec<'a> {
    fmt: NumFmt,
    prec: u32,
    params: FormatParams<'a>,
}

/// Shift recipe of a log code (docs/ISA.md §5 "Products"): the MAC computes
/// `y = (x << shift) + (half ? (x << shift) >> 1 : 0)` and negates it when `neg`; a code
/// whose magnitude field is 0 (`q = None`) has product 0.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct LogTerm {
    /// Sign bit (also set on the non-canonical −0 code).
    pub neg: bool,
    /// Exponent `q = m − 1`, or `None` for magnitude field `m = 0` (product 0).
    pub q: Option<u32>,
    /// Base.
    pub base: LogBase,
}

impl LogTerm {
    /// Left shift applied to the activation: `q` (base 2) or `h = q >> 1` (base √2); 0 for a
    /// zero code.
    pub fn shift(self) -> u32 {
        match (self.q, self.base) {
            (None, _) => 0,
            (Some(q), LogBase::Two) => q,
            (Some(q), LogBase::Sqrt2) => q >> 1,
        }
    }

    /// The half step `(x << h) >> 1` is added (base √2, odd `q`).
    pub fn half(self) -> bool {
        self.base == LogBase::Sqrt2 && self.q.is_some_and(|q| q & 1 == 1)
    }

    /// The product is 0 for every activation.
    pub fn is_zero(self) -> bool {
        self.q.is_none()
    }

    /// Product with activation value `x`, exactly as the MAC computes it (shifts and adds;
    /// wrapping on 32-bit overflow, which no legal operand reaches).
    pub fn product(self, x: i32) -> i32 {
        if self.is_zero() {
            return 0;
        }
        // Bits shifted past bit 31 are lost (a shift of 32 or more gives 0).
        let t = x.checked_shl(self.shift()).unwrap_or(0);
        let y = if self.half() {
            t.wrapping_add(t >> 1)
        } else {
            t
        };
        if self.neg {
            y.wrapping_neg()
        } else {
            y
        }
    }

    /// The integer `v` with `product(x) = x · v` for every `x`: ±2^q (base 2), ±2^h (base √2,
    /// even q), ±3·2^(h−1) (base √2, odd q, h ≥ 1), 0 for a zero code; `None` for base-√2
    /// `q = 1`, whose half step floors (`floor(1.5·x)`).
    pub fn multiplier(self) -> Option<i32> {
        let Some(q) = self.q else { return Some(0) };
        let pow = |e: u32| if e < 40 { Some(1i64 << e) } else { None };
        let m = match self.base {
            LogBase::Two => pow(q)?,
            LogBase::Sqrt2 => {
                let h = q >> 1;
                match (q & 1 == 1, h) {
                    (false, _) => pow(h)?,
                    (true, 0) => return None,
                    (true, h) => 3 * pow(h - 1)?,
                }
            }
        };
        i32::try_from(if self.neg { -m } else { m }).ok()
    }

    /// Real multiplier the MAC implements: ±2^q (base 2), ±2^h or ±1.5·2^h (base √2); 0.0
    /// for a zero code. Exact in `f64`. (For `q = 1` in base √2 the product floors:
    /// `floor(1.5·x)`; every other code's product is exactly `x · real()`.)
    pub fn real(self) -> f64 {
        let Some(q) = self.q else { return 0.0 };
        let m = match self.base {
            LogBase::Two => pow2(q),
            LogBase::Sqrt2 if q & 1 == 1 => 1.5 * pow2(q >> 1),
            LogBase::Sqrt2 => pow2(q >> 1),
        };
        if self.neg {
            -m
        } else {
            m
        }
    }

    /// Nominal real value of the code, ±base^q (±√2^q in base √2), which `real` approximates
    /// by 1.5·2^h for odd q; 0.0 for a zero code.
    pub fn nominal(self) -> f64 {
        let Some(q) = self.q else { return 0.0 };
        let m = match self.base {
            LogBase::Two => pow2(q),
            LogBase::Sqrt2 if q & 1 == 1 => pow2(q >> 1) * std::f64::consts::SQRT_2,
            LogBase::Sqrt2 => pow2(q >> 1),
        };
        if self.neg {
            -m
        } else {
            m
        }
    }
}

/// `2^e` as `f64`, exact (infinite beyond the `f64` range).
pub(super) fn pow2(e: u32) -> f64 {
    if e > 1023 {
        f64::INFINITY
    } else {
        f64::from_bits((u64::from(e) + 1023) << 52)
    }
}

/// What a code means: an integer value, or a log shift recipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Meaning {
    /// `int`, `uint`, `lut`, `cluster`: the value (fits in 9 signed bits); the MAC multiplies.
    Value(i32),
    /// `log`: the shift recipe.
    Log(LogTerm),
}

impl Meaning {
    /// Product with activation value `x`, as the MAC computes it (wrapping).
    pub fn product(self, x: i32) -> i32 {
        match self {
            Meaning::Value(v) => v.wrapping_mul(x),
            Meaning::Log(t) => t.product(x),
        }
    }

    /// Real value ([`LogTerm::real`] for log codes).
    pub fn real(self) -> f64 {
        match self {
            Meaning::Value(v) => f64::from(v),
            Meaning::Log(t) => t.real(),
        }
    }

    /// The product is 0 for every activation.
    pub fn is_zero(self) -> bool {
        match self {
            Meaning::Value(v) => v == 0,
            Meaning::Log(t) => t.is_zero(),
        }
    }
}

impl<'a> FormatSpec<'a> {
    /// A format at precision `prec` with parameters `params`. Fails if `prec` is outside
    /// [`NumFmt::precisions`] or (cluster) `params.ck` is outside 1..=8.
    pub fn new(fmt: NumFmt, prec: u32, params: FormatParams<'a>) -> Result<Self, FormatError> {
        let r = fmt.precisions();
        if !r.contains(&prec) {
            return Err(FormatError::Precision {
                fmt,
                prec,
                min: *r.start(),
                max: *r.end(),
            });
        }
        if fmt == NumFmt::Cluster && !(1..=8).contains(&params.ck) {
            return Err(FormatError::ClusterK { ck: params.ck });
        }
        Ok(FormatSpec { fmt, prec, params })
    }

    /// Two's complement `prec`-bit integers (1..=8).
    pub fn int(prec: u32) -> Result<Self, FormatError> {
        Self::new(NumFmt::Int, prec, FormatParams::default())
    }

    /// Unsigned `prec`-bit codes (1..=8) with zero-point `zp`: value = code − zp.
    pub fn uint(prec: u32, zp: u8) -> Result<Self, FormatError> {
        let params = FormatParams {
            zp,
            ..FormatParams::default()
        };
        Self::new(NumFmt::Uint, prec, params)
    }

    /// Sign + exponent log codes of `prec` bits (2..=5) in base `base`.
    pub fn log(prec: u32, base: LogBase) -> Result<Self, FormatError> {
        let params = FormatParams {
            logbase: base,
            ..FormatParams::default()
        };
        Self::new(NumFmt::Log, prec, params)
    }

    /// Indices (`prec` bits, 1..=8) into a LUT with the programmed entries `entries`.
    pub fn lut(prec: u32, entries: &'a [i8]) -> Result<Self, FormatError> {
        let params = FormatParams {
            lut: entries,
            ..FormatParams::default()
        };
        Self::new(NumFmt::Lut, prec, params)
    }

    /// Sign-magnitude BitCluster codes of `prec` bits (2..=8) whose magnitude is a sum of at
    /// most `ck` (1..=8) signed powers of two.
    pub fn cluster(prec: u32, ck: u32) -> Result<Self, FormatError> {
        let params = FormatParams {
            ck,
            ..FormatParams::default()
        };
        Self::new(NumFmt::Cluster, prec, params)
    }

    /// Format.
    pub fn fmt(&self) -> NumFmt {
        self.fmt
    }

    /// Precision in bits.
    pub fn prec(&self) -> u32 {
        self.prec
    }

    /// Parameters.
    pub fn params(&self) -> FormatParams<'a> {
        self.params
    }

    /// Number of `prec`-bit codes, legal or not: `2^prec`.
    pub fn code_space(&self) -> u32 {
        1 << self.prec
    }

    /// The sign bit of sign-magnitude codes (log, cluster): `2^(prec-1)`.
    fn sign_bit(&self) -> u32 {
        1 << (self.prec - 1)
    }

    /// The LUT entries reachable at this precision.
    pub(super) fn lut_entries(&self) -> &'a [i8] {
        let n = self.params.lut.len().min(self.code_space() as usize);
        &self.params.lut[..n]
    }

    /// `code` as a legal code: it fits in `prec` bits, is inside the LUT (lut) and its
    /// magnitude has at most k signed terms (cluster).
    pub fn check(&self, code: u32) -> Result<u8, FormatError> {
        if code >= self.code_space() {
            return Err(FormatError::CodeRange {
                code,
                prec: self.prec,
            });
        }
        match self.fmt {
            NumFmt::Lut if code as usize >= self.params.lut.len() => Err(FormatError::LutIndex {
                code,
                len: self.params.lut.len(),
            }),
            NumFmt::Cluster => {
                let bits = super::naf_weight(code & (self.sign_bit() - 1));
                if bits > self.params.ck {
                    Err(FormatError::ClusterBits {
                        code,
                        bits,
                        ck: self.params.ck,
                    })
                } else {
                    Ok(code as u8)
                }
            }
            _ => Ok(code as u8),
        }
    }

    /// Every legal code, ascending.
    pub fn codes(&self) -> impl Iterator<Item = u8> + '_ {
        (0..self.code_space()).filter_map(|c| self.check(c).ok())
    }

    /// What legal code `code` means (docs/ISA.md §5).
    pub fn meaning(&self, code: u32) -> Result<Meaning, FormatError> {
        let c = self.check(code)? as u32;
        let p = self.prec;
        Ok(match self.fmt {
            NumFmt::Int => Meaning::Value(if c >> (p - 1) & 1 == 1 {
                c as i32 - (1i32 << p)
            } else {
                c as i32
            }),
            NumFmt::Uint => Meaning::Value(c as i32 - i32::from(self.params.zp)),
            NumFmt::Lut => Meaning::Value(i32::from(self.params.lut[c as usize])),
            NumFmt::Cluster => {
                let m = (c & (self.sign_bit() - 1)) as i32;
                Meaning::Value(if c & self.sign_bit() != 0 { -m } else { m })
            }
            NumFmt::Log => {
                let m = c & (self.sign_bit() - 1);
                Meaning::Log(LogTerm {
                    neg: c & self.sign_bit() != 0,
                    q: m.checked_sub(1),
                    base: self.params.logbase,
                })
            }
        })
    }

    /// Integer value of legal code `code`: `val(c)` of docs/ISA.md §5, and for log codes the
    /// linear multiplier ([`LogTerm::multiplier`]; base-√2 `q = 1` codes give
    /// [`FormatError::NotInteger`]).
    pub fn decode(&self, code: u32) -> Result<i32, FormatError> {
        match self.meaning(code)? {
            Meaning::Value(v) => Ok(v),
            Meaning::Log(t) => t.multiplier().ok_or(FormatError::NotInteger { code }),
        }
    }

    /// Real value of legal code `code` ([`Meaning::real`]): the integer value, or for log
    /// codes the multiplier the MAC implements (1.5·2^h for odd q in base √2).
    pub fn real(&self, code: u32) -> Result<f64, FormatError> {
        self.meaning(code).map(Meaning::real)
    }

    /// Product of legal code `code` (as a weight) with activation value `x`, as the MAC
    /// computes it (wrapping).
    pub fn product(&self, code: u32, x: i32) -> Result<i32, FormatError> {
        self.meaning(code).map(|m| m.product(x))
    }

    /// Whether legal code `code` is the canonical code of its value, i.e. what
    /// [`FormatSpec::encode`] and [`FormatSpec::quantize`] return for it. Non-canonical:
    /// the −0 codes of log and cluster (sign bit set, magnitude 0) and lut codes whose entry
    /// repeats an entry at a lower code.
    pub fn is_canonical(&self, code: u32) -> Result<bool, FormatError> {
        let c = self.check(code)? as u32;
        Ok(match self.fmt {
            NumFmt::Int | NumFmt::Uint => true,
            NumFmt::Log | NumFmt::Cluster => c != self.sign_bit(),
            NumFmt::Lut => {
                let e = self.params.lut;
                !e[..c as usize].contains(&e[c as usize])
            }
        })
    }

    fn not_representable(&self, value: i64) -> FormatError {
        FormatError::NotRepresentable {
            value,
            fmt: self.fmt,
            prec: self.prec,
        }
    }

    /// Canonical code whose [`FormatSpec::decode`] is exactly `value`, or
    /// [`FormatError::NotRepresentable`]. Zero encodes as code 0 in log and cluster (not
    /// −0); a value repeated in the LUT encodes as its lowest code. The base-√2 `q = 1` log
    /// code (1.5) has no integer value; [`FormatSpec::quantize`]`(±1.5)` gives it.
    pub fn encode(&self, value: i32) -> Result<u8, FormatError> {
        let bad = || self.not_representable(i64::from(value));
        let p = self.prec;
        let code = match self.fmt {
            NumFmt::Int => {
                let half = 1i32 << (p - 1);
                if !(-half..half).contains(&value) {
                    return Err(bad());
                }
                (value as u32) & (self.code_space() - 1)
            }
            NumFmt::Uint => {
                let c = i64::from(value) + i64::from(self.params.zp);
                if !(0..i64::from(self.code_space())).contains(&c) {
                    return Err(bad());
                }
                c as u32
            }
            NumFmt::Lut => {
                let c = self
                    .lut_entries()
                    .iter()
                    .position(|&e| i32::from(e) == value);
                c.ok_or_else(bad)? as u32
            }
            NumFmt::Cluster => {
                let m = value.unsigned_abs();
                if m >= self.sign_bit() || super::naf_weight(m) > self.params.ck {
                    return Err(bad());
                }
                return Ok(self.sign_mag(value < 0, m));
            }
            NumFmt::Log => {
                if value == 0 {
                    return Ok(0);
                }
                let v = value.unsigned_abs();
                let q = match self.params.logbase {
                    LogBase::Two if v.is_power_of_two() => v.trailing_zeros(),
                    LogBase::Sqrt2 if v.is_power_of_two() => 2 * v.trailing_zeros(),
                    // 3·2^(h-1), h >= 1: q = 2h + 1.
                    LogBase::Sqrt2 if v.is_multiple_of(3) && (v / 3).is_power_of_two() => {
                        2 * (v / 3).trailing_zeros() + 3
                    }
                    _ => return Err(bad()),
                };
                if q > self.log_qmax() {
                    return Err(bad());
                }
                return Ok(self.sign_mag(value < 0, q + 1));
            }
        };
        Ok(code as u8)
    }

    /// Largest log exponent: `q = m − 1` with `m = 2^(prec-1) − 1`.
    pub(super) fn log_qmax(&self) -> u32 {
        self.sign_bit() - 2
    }

    /// Largest cluster magnitude: the largest `prec − 1`-bit magnitude with at most `k`
    /// signed terms (`2^(prec-1) − 1` once k ≥ 2, since it is `2^(prec-1) − 2^0`).
    pub(super) fn cluster_max(&self) -> u32 {
        (0..self.sign_bit())
            .rev()
            .find(|&m| super::naf_weight(m) <= self.params.ck)
            .unwrap_or(0)
    }

    /// Code of sign `neg` and magnitude field `m` (log, cluster); zero is always code 0.
    pub(super) fn sign_mag(&self, neg: bool, m: u32) -> u8 {
        if neg && m != 0 {
            (self.sign_bit() | m) as u8
        } else {
            m as u8
        }
    }
}
