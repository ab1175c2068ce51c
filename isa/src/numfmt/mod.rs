//! Number formats of tile elements: what a code means, and the dense bit-packing of codes.
//!
//! A tile element is a *code* of `prec` bits (1..8); its format says what value the code
//! stands for (docs/ISA.md §5 "Number formats and products"). Accumulator tiles hold 32-bit
//! integers.
//!
//! * [`NumFmt`]: the formats and their CSR encoding; [`LogBase`]: the `logbase` CSR.
//! * [`FormatSpec`] (in `spec`): one format at one precision with its parameters (zero-point,
//!   LUT contents, cluster k, log base): code → value ([`FormatSpec::decode`],
//!   [`FormatSpec::meaning`], [`FormatSpec::real`], [`FormatSpec::product`]) and exact
//!   value → code ([`FormatSpec::encode`]). This is the single definition: the emulator
//!   builds its decoding tables from it.
//! * `quant`: real value → nearest code ([`FormatSpec::quantize`]), with the rounding and
//!   saturation rules of docs/ISA.md §5 "Quantisation".
//! * [`pack`], [`unpack`]: dense LSB-first packing of codes (docs/ISA.md §4).
//!
//! ```
//! use bitloom_isa::numfmt::{FormatSpec, LogBase};
//!
//! let w = FormatSpec::log(4, LogBase::Sqrt2)?;
//! let c = w.quantize(2.7)?; // nearest real value: 3 = 1.5·2^1 (q = 3)
//! assert_eq!((c, w.real(c as u32)?), (0b0100, 3.0));
//! assert_eq!(w.product(c as u32, 5)?, 15); // (5 << 1) + ((5 << 1) >> 1)
//! let a = FormatSpec::uint(8, 128)?;
//! assert_eq!((a.encode(-1)?, a.decode(200)?), (127, 72));
//! # Ok::<(), bitloom_isa::numfmt::FormatError>(())
//! ```

use std::fmt;
use std::ops::RangeInclusive;

mod quant;
mod spec;

pub use spec::{FormatError, FormatParams, FormatSpec, LogTerm, Meaning};

/// Signed power-of-two terms of `n`: the number of non-zero digits of its non-adjacent form
/// (NAF), which is the fewest terms ±2^i that sum to `n` (7 = 8 − 1: 2 terms; 5 = 4 + 1: 2).
/// Never more than `n.count_ones()`. docs/ISA.md §5 (BitCluster codes) and docs/TIMING.md
/// (Booth terms) use it. Bit i of `n ^ 3n` marks a NAF digit at position i − 1.
pub fn naf_weight(n: u32) -> u32 {
    let n = u64::from(n);
    (n ^ (3 * n)).count_ones()
}

/// Positions of the non-zero digits of the non-adjacent form of `n`: bit i set when the NAF
/// has a digit ±2^i (7 = 8 − 1 → bits 3 and 0). `naf_mask(n).count_ones() == naf_weight(n)`.
/// Bit-Pragmatic's two-stage shifter model (docs/TIMING.md §5) schedules these positions.
pub fn naf_mask(n: u32) -> u64 {
    let n = u64::from(n);
    (n ^ (3 * n)) >> 1
}

/// Number format of a weight or activation code.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
pub enum NumFmt {
    /// Two's complement signed integer.
    Int = 0,
    /// Unsigned integer with a zero-point: value = code - zp.
    Uint = 1,
    /// Logarithmic: sign bit + exponent field; products are shifts (weights only).
    Log = 2,
    /// Index into a programmed look-up table of signed 8-bit values.
    Lut = 3,
    /// BitCluster: sign + magnitude whose magnitude is a sum of at most `ck` signed powers
    /// of two (its non-adjacent form has at most `ck` non-zero digits).
    Cluster = 4,
}

impl NumFmt {
    /// All formats in encoding order.
    pub const ALL: [NumFmt; 5] = [
        NumFmt::Int,
        NumFmt::Uint,
        NumFmt::Log,
        NumFmt::Lut,
        NumFmt::Cluster,
    ];

    /// Format from its CSR encoding.
    pub fn from_code(v: u32) -> Option<NumFmt> {
        NumFmt::ALL.get(v as usize).copied()
    }

    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            NumFmt::Int => "int",
            NumFmt::Uint => "uint",
            NumFmt::Log => "log",
            NumFmt::Lut => "lut",
            NumFmt::Cluster => "cluster",
        }
    }

    /// Parse a name (case-insensitive), as used by the assembler's `.equ`-style constants.
    pub fn from_name(s: &str) -> Option<NumFmt> {
        NumFmt::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
    }

    /// Precisions (code widths in bits) the format allows: 1..=8, except `log` (2..=5) and
    /// `cluster` (2..=8). Other precisions trap **PrecisionRange** in a MAC.
    pub fn precisions(self) -> RangeInclusive<u32> {
        match self {
            NumFmt::Log => 2..=5,
            NumFmt::Cluster => 2..=8,
            NumFmt::Int | NumFmt::Uint | NumFmt::Lut => 1..=8,
        }
    }
}

/// Base of the `log` format (CSR `logbase`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LogBase {
    /// Base 2: magnitude `2^q` (CSR value 0).
    #[default]
    Two = 0,
    /// Base √2: magnitude `2^h` for even `q = 2h`, `1.5 · 2^h` for odd `q = 2h + 1` (the
    /// multiplier-free approximation of √2^q; CSR value 1).
    Sqrt2 = 1,
}

impl LogBase {
    /// Base from its CSR value (0 or 1).
    pub fn from_csr(v: u32) -> Option<LogBase> {
        match v {
            0 => Some(LogBase::Two),
            1 => Some(LogBase::Sqrt2),
            _ => None,
        }
    }

    /// CSR value.
    pub fn csr(self) -> u32 {
        self as u32
    }
}

impl fmt::Display for LogBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LogBase::Two => "2",
            LogBase::Sqrt2 => "sqrt2",
        })
    }
}

impl fmt::Display for NumFmt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Bytes needed to hold `n` codes of `prec` bits packed densely.
pub fn packed_len(n: usize, prec: u32) -> usize {
    (n * prec as usize).div_ceil(8)
}

/// Pack codes densely: code `i` occupies bits `i*prec .. (i+1)*prec` of a little-endian
/// bit stream (LSB-first within each byte). Codes are masked to `prec` bits.
pub fn pack(codes: &[u8], prec: u32) -> Vec<u8> {
    let mut out = vec![0u8; packed_len(codes.len(), prec)];
    if prec == 8 {
        out.copy_from_slice(codes);
        return out;
    }
    let m = (1u32 << prec) - 1;
    let mut bit = 0usize;
    for &c in codes {
        let v = (c as u32 & m) << (bit % 8);
        out[bit / 8] |= v as u8;
        if bit % 8 + prec as usize > 8 {
            out[bit / 8 + 1] |= (v >> 8) as u8;
        }
        bit += prec as usize;
    }
    out
}

/// Unpack `n` codes of `prec` bits from `bytes` into `out` (cleared first).
/// Returns `false` when `bytes` is too short.
pub fn unpack_into(bytes: &[u8], prec: u32, n: usize, out: &mut Vec<u8>) -> bool {
    out.clear();
    if bytes.len() < packed_len(n, prec) {
        return false;
    }
    if prec == 8 {
        out.extend_from_slice(&bytes[..n]);
        return true;
    }
    out.reserve(n);
    let m = (1u16 << prec) - 1;
    let mut bit = 0usize;
    for _ in 0..n {
        let lo = bytes[bit / 8] as u16;
        let hi = if bit % 8 + prec as usize > 8 {
            bytes[bit / 8 + 1] as u16
        } else {
            0
        };
        out.push((((lo | (hi << 8)) >> (bit % 8)) & m) as u8);
        bit += prec as usize;
    }
    true
}

/// Unpack `n` codes of `prec` bits; `None` when `bytes` is too short.
pub fn unpack(bytes: &[u8], prec: u32, n: usize) -> Option<Vec<u8>> {
    let mut v = Vec::new();
    unpack_into(bytes, prec, n, &mut v).then_some(v)
}
