//! Bit-Pragmatic's two-stage shifter (docs/TIMING.md §5, `mac.first_stage_bits`).
//!
//! A Pragmatic lane group adds one term (oneffset) per lane per cycle. With a single-stage
//! shifter every lane may shift its term by any amount, so a pass lasts as long as the lane
//! with the most terms. The published design splits the shift in two: each cycle a common
//! second-stage shift is set to the lowest pending term position of the group, and each
//! lane's small first stage can add at most `2^L − 1` more, so only lanes whose next term
//! lies within `2^L` positions of that lowest one advance; the others wait a cycle. Terms are
//! taken from the least significant up. With `2^L` above every term position this is the
//! single-stage pass (the lane with the most terms), which is why `first_stage_bits ≥ 5`
//! takes the ordinary sweep in `mac_cost`.
//!
//! A lane's terms are the positions of its serial operand's binary ones or NAF digits
//! ([`term_mask`]); with both operands serial (`serial = 2`) the lane holds every pair of a
//! weight term i and an activation term j, at position i + j (a multiset).

use bitloom_isa::numfmt::{naf_mask, NumFmt};

use super::{emit, Geom, Lockstep, PassAcc, Shape, Totals};

/// Term positions of a code: bit i set for a term ±2^i. Same rules as
/// [`super::term_count`] (int: |value|, uint: the code, cluster: the magnitude field; binary
/// ones, or NAF digits with `booth`); a log code is one term and a lut code `prec` terms,
/// placed at the lowest positions (their bits are not shifted terms).
pub(super) fn term_mask(code: u8, fmt: NumFmt, prec: u32, booth: bool) -> u64 {
    let p = prec.clamp(1, 8);
    let c = code as u32 & ((1u32 << p) - 1);
    let magnitude = match fmt {
        NumFmt::Int => {
            let v = if (c >> (p - 1)) & 1 == 1 {
                c as i32 - (1i32 << p)
            } else {
                c as i32
            };
            v.unsigned_abs()
        }
        NumFmt::Uint => c,
        NumFmt::Cluster => c & ((1u32 << (p - 1)) - 1),
        NumFmt::Log => return u64::from(c & ((1u32 << (p - 1)) - 1) != 0),
        NumFmt::Lut => return (1u64 << p) - 1,
    };
    if booth {
        naf_mask(magnitude)
    } else {
        u64::from(magnitude)
    }
}

/// The pending terms of one lane: a multiset of positions below 32 (`mask` marks positions with a
/// non-zero count).
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Lane {
    mask: u64,
    count: [u8; 32],
}

impl Lane {
    /// One term at each set position of `m`.
    fn single(m: u64) -> Lane {
        let mut l = Lane {
            mask: m,
            count: [0; 32],
        };
        let mut r = m;
        while r != 0 {
            l.count[r.trailing_zeros() as usize] = 1;
            r &= r - 1;
        }
        l
    }

    /// Every pair of a term of `a` and a term of `b`, at the sum of their positions.
    fn product(a: u64, b: u64) -> Lane {
        let mut l = Lane::default();
        let mut ra = a;
        while ra != 0 {
            let i = ra.trailing_zeros();
            ra &= ra - 1;
            let mut rb = b;
            while rb != 0 {
                let j = rb.trailing_zeros();
                rb &= rb - 1;
                let p = ((i + j) as usize).min(31);
                l.count[p] += 1;
                l.mask |= 1 << p;
            }
        }
        l
    }

    /// Take the lowest pending term.
    fn pop(&mut self) {
        let p = self.mask.trailing_zeros() as usize;
        self.count[p] -= 1;
        if self.count[p] == 0 {
            self.mask &= !(1 << p);
        }
    }
}

/// Cycles of one pass of `lanes` under a first stage of `bits` bits: each cycle the lanes
/// whose lowest pending term lies within `2^bits` positions of the group's lowest pending
/// term take it. 0 when no lane has a term.
pub(super) fn pass_cycles(lanes: &mut [Lane], bits: u32) -> u32 {
    let reach = (1u64 << bits.min(6)) - 1;
    let mut cycles = 0;
    loop {
        let pending = lanes.iter().fold(0u64, |a, l| a | l.mask);
        if pending == 0 {
            return cycles;
        }
        let top = pending.trailing_zeros() as u64 + reach;
        for l in lanes.iter_mut() {
            if l.mask != 0 && l.mask.trailing_zeros() as u64 <= top {
                l.pop();
            }
        }
        cycles += 1;
    }
}

/// The two-stage configuration of one instruction: first-stage bits, which operand is
/// serial, and every code's term positions.
pub(super) struct TwoStage {
    pub(super) bits: u32,
    pub(super) shape: Shape,
    pub(super) wmask: [u64; 256],
    pub(super) amask: [u64; 256],
}

impl TwoStage {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn new(
        bits: u32,
        shape: Shape,
        wfmt: NumFmt,
        wprec: u32,
        afmt: NumFmt,
        aprec: u32,
        booth: bool,
    ) -> TwoStage {
        let mut wmask = [0u64; 256];
        let mut amask = [0u64; 256];
        for c in 0..256 {
            wmask[c] = term_mask(c as u8, wfmt, wprec, booth);
            amask[c] = term_mask(c as u8, afmt, aprec, booth);
        }
        TwoStage {
            bits,
            shape,
            wmask,
            amask,
        }
    }

    fn lane(&self, wc: u8, ac: u8) -> Lane {
        match self.shape {
            Shape::W => Lane::single(self.wmask[wc as usize]),
            Shape::A => Lane::single(self.amask[ac as usize]),
            Shape::WA => Lane::product(self.wmask[wc as usize], self.amask[ac as usize]),
        }
    }

    fn terms(&self, wc: u8, ac: u8) -> u64 {
        let (w, a) = (
            self.wmask[wc as usize].count_ones() as u64,
            self.amask[ac as usize].count_ones() as u64,
        );
        match self.shape {
            Shape::W => w,
            Shape::A => a,
            Shape::WA => w * a,
        }
    }

    /// The static passes of column `col` (its activation codes, indexed by k) for the `v`
    /// outputs of rows 0..v (weights `w`, row-major with `k_` per row), as
    /// [`super::sweep`] does for the single-stage shifter: `idx` lists the lanes' k in order,
    /// a pass holds `geo.g` of them within one vector segment.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sweep(
        &self,
        geo: Geom,
        w: &[u8],
        k_: usize,
        col: &[u8],
        idx: &[u32],
        lanes: &mut Vec<Lane>,
        vmax: &mut [u8],
        acc: &mut PassAcc,
        t: &mut Totals,
        mut ls: Option<&mut Lockstep>,
    ) {
        let v = vmax.len();
        let mut start = 0;
        while start < idx.len() {
            let seg = idx[start] as usize / geo.seg;
            let mut end = start + 1;
            while end < idx.len() && end - start < geo.g && idx[end] as usize / geo.seg == seg {
                end += 1;
            }
            let ks = &idx[start..end];
            if self.shape == Shape::A {
                lanes.clear();
                lanes.extend(ks.iter().map(|&k| self.lane(0, col[k as usize])));
                let c = pass_cycles(lanes, self.bits).min(255) as u8;
                vmax.fill(c);
                let bits: u64 = ks.iter().map(|&k| self.terms(0, col[k as usize])).sum();
                t.lane_bits += bits * v as u64;
            } else {
                for (j, mx) in vmax.iter_mut().enumerate() {
                    let row = &w[j * k_..(j + 1) * k_];
                    lanes.clear();
                    lanes.extend(
                        ks.iter()
                            .map(|&k| self.lane(row[k as usize], col[k as usize])),
                    );
                    *mx = pass_cycles(lanes, self.bits).min(255) as u8;
                    t.lane_bits += ks
                        .iter()
                        .map(|&k| self.terms(row[k as usize], col[k as usize]))
                        .sum::<u64>();
                }
            }
            emit(geo, vmax, acc, t, &mut ls);
            start = end;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lanes(ms: &[u64]) -> Vec<Lane> {
        ms.iter().map(|&m| Lane::single(m)).collect()
    }

    #[test]
    fn far_apart_terms_wait() {
        // Terms at 2^0 and 2^4: a 1-bit first stage reaches 2^0..2^1, so the second lane
        // waits a cycle; a full shifter takes both at once.
        assert_eq!(pass_cycles(&mut lanes(&[0b1, 0b1_0000]), 1), 2);
        assert_eq!(pass_cycles(&mut lanes(&[0b1, 0b1_0000]), 3), 1);
        // {0, 4} and {1}: cycle 1 takes 0 and 1, cycle 2 takes 4.
        assert_eq!(pass_cycles(&mut lanes(&[0b1_0001, 0b10]), 1), 2);
        // A 0-bit first stage: only lanes at the common position advance.
        assert_eq!(pass_cycles(&mut lanes(&[0b11, 0b10, 0b100]), 0), 3);
        assert_eq!(pass_cycles(&mut lanes(&[0, 0]), 0), 0);
    }

    #[test]
    fn wide_first_stage_is_the_single_stage_pass() {
        for a in 0..=255u64 {
            for b in [0u64, 1, 0x55, 0x80, 0xff] {
                let want = a.count_ones().max(b.count_ones());
                assert_eq!(pass_cycles(&mut lanes(&[a, b]), 5), want);
            }
        }
        // Products: 3 × 3 has terms at 0, 1, 1, 2: four cycles with any shifter.
        let mut p = vec![Lane::product(0b11, 0b11)];
        assert_eq!(pass_cycles(&mut p, 0), 4);
    }

    #[test]
    fn masks_agree_with_term_counts() {
        for fmt in [
            NumFmt::Int,
            NumFmt::Uint,
            NumFmt::Cluster,
            NumFmt::Log,
            NumFmt::Lut,
        ] {
            for prec in 1..=8 {
                for c in 0..=255u8 {
                    for booth in [false, true] {
                        assert_eq!(
                            term_mask(c, fmt, prec, booth).count_ones(),
                            super::super::term_count(c, fmt, prec, booth),
                            "{fmt:?} {prec} {c} {booth}"
                        );
                    }
                }
            }
        }
    }
}
