//! Fast code → value decoding for the MAC array (docs/ISA.md §5) as 256-entry tables, so
//! the inner loops never look at formats; memoised by everything they depend on
//! (`TableCache`), so a MAC does not rebuild them.
//!
//! The tables are filled from `bitloom_isa::numfmt::FormatSpec`, the single definition of
//! what a code means; this module only lays the answers out for the kernels.
//!
//! * [`ValueTable`]: for `int`, `uint`, `lut` and `cluster` codes, the element value (all fit
//!   in 9 signed bits) plus which codes are legal (LUT length, cluster popcount) and which
//!   are zero.
//! * [`LogTable`]: for `log` weight codes, the shift `h`, the half-step flag and the sign, so
//!   products are computed with shifts only (multiplier-free), plus the equivalent linear
//!   multiplier where one exists (everything except base-√2 codes with `q = 1`).

use bitloom_isa::numfmt::{FormatParams, FormatSpec, LogBase, Meaning, NumFmt};

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
    /// Facts about the whole table, computed once when it is built (see [`TableFacts`]).
    facts: TableFacts,
}

/// Whole-table facts the MAC path would otherwise rescan all 256 entries for on every
/// instruction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct TableFacts {
    /// Every value fits in `i8`.
    fits_i8: bool,
    /// Every code is legal and its value is the code read as `i8` (8-bit `int`), so
    /// decoding is a reinterpretation of the bytes.
    identity_i8: bool,
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
    /// Build the table for a tile of format `fmt` (not `Log`) with precision `prec`, LUT
    /// `lut` (lut format) and cluster k `ck`.
    ///
    /// Combinations the ISA rejects (a precision outside the format's range, `ck` outside
    /// 1..=8, a zero-point above 255) never reach a MAC: it traps **PrecisionRange** or
    /// **FormatUnsupported** first, and the CSR ranges exclude the others. For them every
    /// code below `2^prec` has value 0 and is legal, except that log codes are illegal (they
    /// have no standalone value). That keeps `Machine::tile_values` of a 1-bit cluster tile
    /// showing zeros, as before.
    pub fn new(tile: &Tile, lut: &Lut, ck: u32) -> ValueTable {
        let p = tile.prec.clamp(1, 8);
        let zp = u8::try_from(tile.zp);
        let params = FormatParams {
            zp: zp.unwrap_or(0),
            lut: &lut.entries[..(lut.len as usize).min(256)],
            ck,
            logbase: LogBase::Two,
        };
        match FormatSpec::new(tile.fmt, p, params) {
            Ok(spec) if zp.is_ok() || tile.fmt != NumFmt::Uint => ValueTable::from_spec(&spec),
            _ => {
                let mut t = ValueTable::empty();
                if tile.fmt != NumFmt::Log {
                    let n = 1usize << p;
                    t.ok[..n].fill(true);
                    t.zero[..n].fill(true);
                }
                t.finish()
            }
        }
    }

    /// The table of a format: legal codes with their values (log codes, which have no
    /// standalone value, are all illegal here; see [`LogTable`]).
    pub fn from_spec(spec: &FormatSpec) -> ValueTable {
        let mut t = ValueTable::empty();
        for c in spec.codes() {
            if let Ok(Meaning::Value(v)) = spec.meaning(c as u32) {
                let c = c as usize;
                t.val[c] = v as i16;
                t.ok[c] = true;
                t.zero[c] = v == 0;
            }
        }
        t.finish()
    }

    fn empty() -> ValueTable {
        ValueTable {
            val: [0; 256],
            ok: [false; 256],
            zero: [false; 256],
            facts: TableFacts::default(),
        }
    }

    /// Compute the whole-table facts (last step of every constructor).
    fn finish(mut self) -> ValueTable {
        self.facts = TableFacts {
            fits_i8: self.val.iter().all(|&v| i8::try_from(v).is_ok()),
            identity_i8: (0..256).all(|c| self.ok[c] && self.val[c] == c as u8 as i8 as i16),
        };
        self
    }

    /// Every value fits in `i8`.
    pub fn fits_i8(&self) -> bool {
        self.facts.fits_i8
    }

    /// Every code is valid and its value is the code read as an `i8` (signed 8-bit
    /// integers): the codes are their own values.
    pub fn is_identity_i8(&self) -> bool {
        self.facts.identity_i8
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
        if self.facts.identity_i8 {
            out.extend(codes.iter().map(|&c| c as i8 as i16));
        } else {
            out.extend(codes.iter().map(|&c| self.val[c as usize]));
        }
    }

    /// Decode codes to `i8` values; only meaningful when [`ValueTable::fits_i8`].
    pub fn decode_i8(&self, codes: &[u8], out: &mut Vec<i8>) {
        out.clear();
        if self.facts.identity_i8 {
            out.extend(codes.iter().map(|&c| c as i8));
        } else {
            out.extend(codes.iter().map(|&c| self.val[c as usize] as i8));
        }
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
    /// Build the recipe for `prec`-bit log codes (2..=5) and `logbase` (0: 2, else √2).
    /// Other precisions never reach a MAC (it traps **PrecisionRange** first); their table
    /// gives every product 0.
    pub fn new(prec: u32, logbase: u32) -> LogTable {
        let base = if logbase == 0 {
            LogBase::Two
        } else {
            LogBase::Sqrt2
        };
        match FormatSpec::log(prec, base) {
            Ok(spec) => LogTable::from_spec(&spec),
            Err(_) => {
                let mut t = LogTable::empty();
                t.zero = [true; 256];
                t
            }
        }
    }

    /// The recipe of a log format (codes beyond `2^prec`, and every code of a non-log
    /// format, keep shift 0 and multiplier 0 and are not marked zero).
    pub fn from_spec(spec: &FormatSpec) -> LogTable {
        let mut t = LogTable::empty();
        for c in spec.codes() {
            if let Ok(Meaning::Log(term)) = spec.meaning(c as u32) {
                let c = c as usize;
                t.shift[c] = term.shift() as u8;
                t.half[c] = term.half();
                t.neg[c] = term.neg;
                t.zero[c] = term.is_zero();
                t.mult[c] = term.multiplier();
            }
        }
        t
    }

    fn empty() -> LogTable {
        LogTable {
            shift: [0; 256],
            half: [false; 256],
            neg: [false; 256],
            zero: [false; 256],
            mult: [Some(0); 256],
        }
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

/// What a [`ValueTable`] depends on: format, precision, zero-point, cluster `ck`, and for
/// the LUT format the table's contents.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ValKey {
    fmt: NumFmt,
    prec: u32,
    zp: u32,
    ck: u32,
    lut: Option<Box<crate::machine::Lut>>,
}

impl ValKey {
    /// Whether this key is the one of `tile` with `lut` and `ck` (compared in place: the
    /// LUT is only looked at for the lut format, and never copied).
    fn matches(&self, tile: &Tile, lut: &Lut, ck: u32) -> bool {
        self.fmt == tile.fmt
            && self.prec == tile.prec
            && self.zp == tile.zp
            && self.ck == ck
            && match &self.lut {
                None => tile.fmt != NumFmt::Lut,
                Some(l) => tile.fmt == NumFmt::Lut && **l == *lut,
            }
    }
}

/// Decode tables memoised by everything they depend on, so a MAC on small tiles does not
/// rebuild 256-entry tables per operand. A key holds the LUT contents themselves (not a
/// LUT number), so reprogramming a LUT can never return a stale table. Holds a few recent
/// entries; not architectural state.
#[derive(Clone, Debug, Default)]
pub(crate) struct TableCache {
    vals: Vec<(ValKey, std::sync::Arc<ValueTable>)>,
    logs: Vec<((u32, u32), std::sync::Arc<LogTable>)>,
    next: usize,
}

/// Entries kept per kind.
const CACHE_ENTRIES: usize = 8;

impl TableCache {
    /// Index of the value table of `tile` (see [`ValueTable::new`]), built if missing;
    /// never evicts the entry at index `keep`, so two operands' tables can be held at once.
    /// Read it with [`TableCache::value_at`] (a borrow, no reference count touched).
    pub(crate) fn value_index(
        &mut self,
        tile: &Tile,
        lut: &crate::machine::Lut,
        ck: u32,
        keep: Option<usize>,
    ) -> usize {
        if let Some(i) = self.vals.iter().position(|(k, _)| k.matches(tile, lut, ck)) {
            return i;
        }
        let key = ValKey {
            fmt: tile.fmt,
            prec: tile.prec,
            zp: tile.zp,
            ck,
            lut: (tile.fmt == NumFmt::Lut).then(|| Box::new(*lut)),
        };
        let t = std::sync::Arc::new(ValueTable::new(tile, lut, ck));
        if self.vals.len() < CACHE_ENTRIES {
            self.vals.push((key, t));
            return self.vals.len() - 1;
        }
        self.next = (self.next + 1) % CACHE_ENTRIES;
        if Some(self.next) == keep {
            self.next = (self.next + 1) % CACHE_ENTRIES;
        }
        self.vals[self.next] = (key, t);
        self.next
    }

    /// The value table at an index [`TableCache::value_index`] gave (valid until the next
    /// `value_index`).
    pub(crate) fn value_at(&self, i: usize) -> &ValueTable {
        &self.vals[i].1
    }

    /// Index of the log table of a precision and base (see [`LogTable::new`]), built if
    /// missing. Read it with [`TableCache::log_at`].
    pub(crate) fn log_index(&mut self, prec: u32, logbase: u32) -> usize {
        if let Some(i) = self.logs.iter().position(|(k, _)| *k == (prec, logbase)) {
            return i;
        }
        let t = std::sync::Arc::new(LogTable::new(prec, logbase));
        if self.logs.len() >= CACHE_ENTRIES {
            self.logs.remove(0);
        }
        self.logs.push(((prec, logbase), t));
        self.logs.len() - 1
    }

    /// The log table at an index [`TableCache::log_index`] gave (valid until the next
    /// `log_index`).
    pub(crate) fn log_at(&self, i: usize) -> &LogTable {
        &self.logs[i].1
    }
}
