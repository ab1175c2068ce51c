//! Fast code → value decoding for the MAC array (docs/ISA.md §5), built once per operand
//! per instruction as 256-entry tables, so the inner loops never look at formats.
//!
//! * [`ValueTable`]: for `int`, `uint`, `lut` and `cluster` codes, the element value (all fit
//!   in 9 signed bits) plus which codes are legal (LUT length, cluster popcount) and which
//!   are zero.
//! * [`LogTable`]: for `log` weight codes, the shift `h`, the half-step flag and the sign, so
//!   products are computed with shifts only (multiplier-free), plus the equivalent linear
//!   multiplier where one exists (everything except base-√2 codes with `q = 1`).

use bitloom_isa::numfmt::NumFmt;

use crate::machine::{Lut, Tile};

/// Values of every code of a non-log operand.
#[derive(Clone, Debug)]
pub struct ValueTable {
    /// `val[c]`: value of code `c` (0 for illegal or out-of-precision codes).
    pub val: [i16; 256],
    /// `ok[c]`: code `c` is legal (inside the LUT, within the cluster popcount).
    pub ok: [bool; 256],
    /// `zero[c]`: code `c` is legal and its value is zero.
    pub zero: [bool; 256],
}

/// Why a code is illegal.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BadCode {
    /// lut-format code beyond the programmed length.
    Lut,
    /// cluster code with more than `ck` effectual bits.
    Cluster,
}

impl ValueTable {
    /// Build the table for a tile of format `fmt` (not `Log`) with precision `prec`.
    pub fn new(tile: &Tile, lut: &Lut, ck: u32) -> ValueTable {
        let p = tile.prec.clamp(1, 8);
        let n = 1usize << p;
        let mut t = ValueTable {
            val: [0; 256],
            ok: [false; 256],
            zero: [false; 256],
        };
        for c in 0..n {
            let (v, ok) = match tile.fmt {
                NumFmt::Int => {
                    let v = if c >> (p - 1) & 1 == 1 {
                        c as i32 - n as i32
                    } else {
                        c as i32
                    };
                    (v, true)
                }
                NumFmt::Uint => (c as i32 - tile.zp as i32, true),
                NumFmt::Lut => {
                    if (c as u32) < lut.len {
                        (lut.entries[c] as i32, true)
                    } else {
                        (0, false)
                    }
                }
                NumFmt::Cluster => {
                    let half = n >> 1;
                    let m = (c & (half - 1)) as i32;
                    let ok = (m as u32).count_ones() <= ck;
                    (if c & half != 0 { -m } else { m }, ok)
                }
                NumFmt::Log => (0, false),
            };
            t.val[c] = v as i16;
            t.ok[c] = ok;
            t.zero[c] = ok && v == 0;
        }
        t
    }

    /// First illegal code in `codes`: (element index, code, cause).
    pub fn first_bad(&self, codes: &[u8], fmt: NumFmt) -> Option<(usize, u8, BadCode)> {
        if !matches!(fmt, NumFmt::Lut | NumFmt::Cluster) {
            return None;
        }
        let i = codes.iter().position(|&c| !self.ok[c as usize])?;
        let cause = if fmt == NumFmt::Lut {
            BadCode::Lut
        } else {
            BadCode::Cluster
        };
        Some((i, codes[i], cause))
    }

    /// Decode codes to values.
    pub fn decode(&self, codes: &[u8], out: &mut Vec<i16>) {
        out.clear();
        out.extend(codes.iter().map(|&c| self.val[c as usize]));
    }
}

/// Shift-and-add recipe of every log weight code.
#[derive(Clone, Debug)]
pub struct LogTable {
    /// `shift[c]`: h (base √2) or q (base 2).
    pub shift: [u8; 256],
    /// `half[c]`: add the half step `(x << h) >> 1` (base √2, odd q).
    pub half: [bool; 256],
    /// `neg[c]`: negate the product.
    pub neg: [bool; 256],
    /// `zero[c]`: the product is 0 (magnitude 0).
    pub zero: [bool; 256],
    /// Linear multiplier of code `c` when the product is `x · mult` for every x (None for
    /// base-√2 codes with q = 1, whose half step floors).
    pub mult: [Option<i32>; 256],
}

impl LogTable {
    /// Build the recipe for `prec`-bit log codes (2..=5) and `logbase` (0: 2, 1: √2).
    pub fn new(prec: u32, logbase: u32) -> LogTable {
        let p = prec.clamp(2, 8);
        let n = 1usize << p;
        let half_bit = n >> 1;
        let mut t = LogTable {
            shift: [0; 256],
            half: [false; 256],
            neg: [false; 256],
            zero: [false; 256],
            mult: [Some(0); 256],
        };
        for c in 0..n {
            let m = c & (half_bit - 1);
            let neg = c & half_bit != 0;
            t.neg[c] = neg;
            if m == 0 {
                t.zero[c] = true;
                continue;
            }
            let q = (m - 1) as u32;
            let sign = if neg { -1 } else { 1 };
            if logbase == 0 {
                t.shift[c] = q as u8;
                t.mult[c] = Some(sign << q);
            } else {
                let h = q >> 1;
                t.shift[c] = h as u8;
                t.half[c] = q & 1 == 1;
                t.mult[c] = match (q & 1 == 1, h) {
                    (false, _) => Some(sign << h),
                    // (x << h) + ((x << h) >> 1) = 3x·2^(h-1) exactly when h >= 1.
                    (true, h) if h >= 1 => Some(sign * (3 << (h - 1))),
                    (true, _) => None,
                };
            }
        }
        t
    }

    /// Product of code `c` with activation value `x`, by shifts only.
    #[inline(always)]
    pub fn prod(&self, c: u8, x: i32) -> i32 {
        let c = c as usize;
        if self.zero[c] {
            return 0;
        }
        let t = x << self.shift[c];
        let y = if self.half[c] { t + (t >> 1) } else { t };
        if self.neg[c] {
            -y
        } else {
            y
        }
    }
}
