//! Number formats of tile elements and the dense bit-packing of codes.
//!
//! A tile element is a *code* of `prec` bits (1..8); its format says what value the code
//! stands for (docs/ISA.md "Number formats"). Accumulator tiles hold 32-bit integers.

use std::fmt;

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
    /// BitCluster: sign + magnitude with at most `ck` non-zero magnitude bits.
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
