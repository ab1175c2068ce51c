//! Per-code lane-cost tables of the MAC timing model ([`Side`]: the serial cost of every
//! 256 codes of one operand, and its nominal cost) and their memo ([`SideCache`]), so a
//! table is built once per distinct operand configuration rather than per instruction.

use bitloom_isa::numfmt::{naf_weight, NumFmt};

use super::term_count;

/// Serial cost of one operand per lane, and its nominal (no skipping) cost.
#[derive(Clone, Copy, Debug)]
pub(super) struct Side {
    pub(super) table: [u8; 256],
    pub(super) nominal: u32,
}

impl Side {
    /// Loom: cluster → ck, log → 1 (a shift), lut → code bits, int/uint → effectual bits when
    /// zero-bit skipping is on, else the precision.
    pub(super) fn loom(fmt: NumFmt, prec: u32, ck: u32, skip: bool, booth: bool) -> Side {
        let mut table = [0u8; 256];
        let nominal = match fmt {
            NumFmt::Log => 1,
            _ => prec,
        };
        for (c, t) in table.iter_mut().enumerate() {
            *t = match fmt {
                NumFmt::Cluster => ck.min(8),
                NumFmt::Log => 1,
                NumFmt::Lut => prec,
                NumFmt::Int | NumFmt::Uint => {
                    if skip {
                        term_count(c as u8, fmt, prec, booth)
                    } else {
                        prec
                    }
                }
            } as u8;
        }
        Side { table, nominal }
    }

    /// Zero-bit skipping baselines: terms of every code.
    pub(super) fn effectual(fmt: NumFmt, prec: u32, booth: bool) -> Side {
        let mut table = [0u8; 256];
        for (c, t) in table.iter_mut().enumerate() {
            *t = term_count(c as u8, fmt, prec, booth) as u8;
        }
        Side {
            table,
            nominal: prec,
        }
    }

    /// The same cost for every code.
    pub(super) fn uniform(cost: u32) -> Side {
        Side {
            table: [cost.min(255) as u8; 256],
            nominal: cost,
        }
    }

    /// A bit-slice of uint codes: `lo` slices (code & (2^s − 1)) or `hi` slices (code >> s).
    pub(super) fn slice(s: u32, prec: u32, hi: bool, skip: bool, booth: bool) -> Side {
        let bits = if hi {
            prec.saturating_sub(s)
        } else {
            s.min(prec)
        };
        let mut table = [0u8; 256];
        for (c, t) in table.iter_mut().enumerate() {
            let v = if hi {
                (c as u32) >> s
            } else {
                c as u32 & ((1u32 << s) - 1)
            };
            *t = match (skip, booth) {
                (false, _) => bits,
                (true, false) => v.count_ones(),
                (true, true) => naf_weight(v),
            } as u8;
        }
        Side {
            table,
            nominal: bits,
        }
    }
}

/// Everything a 256-entry [`Side`] table depends on, so it is built once per distinct
/// operand configuration instead of once per instruction (the tables are pure functions
/// of these parameters: a cached table can never be stale).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum SideKey {
    /// [`Side::loom`]: format, precision, ck, zero-bit skipping, Booth.
    Loom(NumFmt, u32, u32, bool, bool),
    /// [`Side::effectual`]: format, precision, Booth.
    Effectual(NumFmt, u32, bool),
    /// [`Side::slice`]: slice width, precision, high half, skipping, Booth.
    Slice(u32, u32, bool, bool, bool),
    /// [`Side::uniform`]: the cost of every code.
    Uniform(u32),
}

impl SideKey {
    /// The table of this key.
    fn build(self) -> Side {
        match self {
            SideKey::Loom(fmt, prec, ck, skip, booth) => Side::loom(fmt, prec, ck, skip, booth),
            SideKey::Effectual(fmt, prec, booth) => Side::effectual(fmt, prec, booth),
            SideKey::Slice(sl, prec, hi, skip, booth) => Side::slice(sl, prec, hi, skip, booth),
            SideKey::Uniform(cost) => Side::uniform(cost),
        }
    }
}

/// Memoised [`Side`] tables (a few recent keys).
#[derive(Debug, Default)]
pub(super) struct SideCache {
    entries: Vec<(SideKey, Side)>,
    next: usize,
}

/// [`SideCache`] entries kept.
const SIDE_ENTRIES: usize = 8;

impl SideCache {
    /// Builds the tables of `keys` that are not cached, evicting none of `keys` (at most
    /// [`SIDE_ENTRIES`] of them), so [`SideCache::find`] then finds each.
    pub(super) fn prepare(&mut self, keys: &[SideKey]) {
        debug_assert!(keys.len() <= SIDE_ENTRIES);
        for &key in keys {
            if self.entries.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let side = key.build();
            if self.entries.len() < SIDE_ENTRIES {
                self.entries.push((key, side));
            } else {
                // The next slot round robin that holds none of this instruction's keys.
                loop {
                    self.next = (self.next + 1) % SIDE_ENTRIES;
                    if !keys.contains(&self.entries[self.next].0) {
                        break;
                    }
                }
                self.entries[self.next] = (key, side);
            }
        }
    }

    /// The table of a key given to the last [`SideCache::prepare`] (by reference: a table
    /// is 256 bytes, and copying two per instruction showed in profiles). A key that was
    /// not prepared gets its table built here, uncached.
    pub(super) fn find(&self, key: SideKey) -> std::borrow::Cow<'_, Side> {
        match self.entries.iter().find(|(k, _)| *k == key) {
            Some((_, side)) => std::borrow::Cow::Borrowed(side),
            None => std::borrow::Cow::Owned(key.build()),
        }
    }
}
