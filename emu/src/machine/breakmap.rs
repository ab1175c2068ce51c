//! Breakpoint lookup for the fast loop: a bitmap over the predecoded words, so checking
//! an address — or a whole straight-line run of them — costs a few bit tests.

use super::Machine;

/// Breakpoints of one machine's text as a bitmap over predecoded words (one test per
/// instruction in the fast loop) plus a list of addresses outside the text.
#[derive(Clone, Debug)]
pub struct BreakMap {
    bits: Vec<u64>,
    words: usize,
    other: Vec<u32>,
}

impl BreakMap {
    #[inline(always)]
    pub(super) fn hit(&self, idx: usize, pc: u32) -> bool {
        if idx < self.words {
            self.bits[idx / 64] & (1 << (idx % 64)) != 0
        } else {
            !self.other.is_empty() && self.other.contains(&pc)
        }
    }

    /// Whether any of the predecoded words `lo..hi` (`hi` at most one past the text: the
    /// address just after it) has a breakpoint; `base` is the text's address.
    #[inline(always)]
    pub(super) fn any_between(&self, lo: usize, hi: usize, base: u32) -> bool {
        let top = hi.min(self.words);
        let mut i = lo;
        while i < top {
            let w = self.bits[i / 64] >> (i % 64);
            if w != 0 {
                return i + (w.trailing_zeros() as usize) < top;
            }
            i = (i / 64 + 1) * 64;
        }
        hi > self.words
            && !self.other.is_empty()
            && self
                .other
                .contains(&base.wrapping_add(4 * self.words as u32))
    }
}

impl Machine {
    /// A breakpoint lookup structure for this machine's text: a bitmap over the predecoded
    /// words plus a list for addresses outside them.
    pub fn break_map(&self, bps: &crate::session::Breakpoints) -> BreakMap {
        let mut bits = vec![0u64; self.ops.len().div_ceil(64)];
        let mut other = Vec::new();
        for pc in bps.iter() {
            let idx = pc.wrapping_sub(self.text_base).rotate_right(2) as usize;
            if idx < self.ops.len() {
                bits[idx / 64] |= 1 << (idx % 64);
            } else {
                other.push(pc);
            }
        }
        BreakMap {
            bits,
            words: self.ops.len(),
            other,
        }
    }
}
