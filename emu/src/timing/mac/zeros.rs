//! Non-zero counts of a MAC's operand codes (weights per column k, activations per row k),
//! which choose the orientation and count the effectual pairs.
//!
//! The general count looks every code up in its format's 256-entry zero table. Most
//! formats have exactly one zero code (int, uint with its zero point, log) or none (a LUT
//! without a zero entry); then the count is a byte comparison that the compiler
//! vectorises. Which case a table is, is found by a scan of the table, remembered with a
//! copy of the table it was found for, so a changed table (a new format, precision, zero
//! point or LUT) is never mistaken for the last one.

/// Which codes of a zero table are zero.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Only {
    /// No code is zero.
    Nothing,
    /// Exactly this code is zero.
    One(u8),
    /// Two or more codes are zero.
    Many,
}

impl Only {
    fn of(table: &[bool; 256]) -> Only {
        let mut zeros = table.iter().enumerate().filter(|(_, &z)| z).map(|(c, _)| c);
        match (zeros.next(), zeros.next()) {
            (None, _) => Only::Nothing,
            (Some(c), None) => Only::One(c as u8),
            _ => Only::Many,
        }
    }
}

/// The last zero table seen for one operand and which case it is.
#[derive(Debug, Default)]
pub(super) struct Memo(Option<(Box<[bool; 256]>, Only)>);

impl Memo {
    fn only(&mut self, table: &[bool; 256]) -> Only {
        match &self.0 {
            Some((t, only)) if **t == *table => *only,
            _ => {
                let only = Only::of(table);
                self.0 = Some((Box::new(*table), only));
                only
            }
        }
    }
}

/// `out[k]` = the codes of column k (of `rows` rows of `k_` codes) that are not zero.
pub(super) fn per_column(
    codes: &[u8],
    (rows, k_): (usize, usize),
    zero: &[bool; 256],
    memo: &mut Memo,
    out: &mut Vec<u32>,
) {
    out.clear();
    out.resize(k_, 0);
    let rows = codes.chunks_exact(k_).take(rows);
    match memo.only(zero) {
        Only::Nothing => out.fill(rows.len() as u32),
        Only::One(z) => count_columns_ne(rows, z, out),
        Only::Many => {
            for row in rows {
                for (x, &c) in out.iter_mut().zip(row) {
                    *x += u32::from(!zero[c as usize]);
                }
            }
        }
    }
}

/// `out[k]` = the codes of row k (of `k_` rows of `n_` codes) that are not zero.
pub(super) fn per_row(
    codes: &[u8],
    (k_, n_): (usize, usize),
    zero: &[bool; 256],
    memo: &mut Memo,
    out: &mut Vec<u32>,
) {
    out.clear();
    let rows = codes.chunks_exact(n_.max(1)).take(k_);
    match memo.only(zero) {
        Only::Nothing => out.extend(rows.map(|r| r.len() as u32)),
        Only::One(z) => count_rows_ne(rows, z, out),
        Only::Many => {
            out.extend(rows.map(|r| r.iter().filter(|&&c| !zero[c as usize]).count() as u32))
        }
    }
}

/// Column sums of `c != z` over the rows (vertical byte compares).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2",
    "aarch64+neon"
))]
fn count_columns_ne<'a>(rows: impl Iterator<Item = &'a [u8]>, z: u8, out: &mut [u32]) {
    for row in rows {
        for (x, &c) in out.iter_mut().zip(row) {
            *x += u32::from(c != z);
        }
    }
}

/// Per row, the bytes that are not `z` (one dispatch for all rows: a small tile's row
/// costs less than a dispatch).
#[multiversion::multiversion(targets(
    "x86_64+avx512f+avx512bw+avx512vl",
    "x86_64+avx2",
    "aarch64+neon"
))]
fn count_rows_ne<'a>(rows: impl Iterator<Item = &'a [u8]>, z: u8, out: &mut Vec<u32>) {
    for r in rows {
        out.push(r.iter().map(|&c| u32::from(c != z)).sum());
    }
}

#[cfg(test)]
mod tests {
    //! The byte-compare counts against table lookups, over tables with no, one and many
    //! zero codes, and a memo that must notice a changed table.

    use super::*;
    use proptest::prelude::*;

    fn lookup_cols(codes: &[u8], (m, k): (usize, usize), zero: &[bool; 256]) -> Vec<u32> {
        (0..k)
            .map(|j| (0..m).filter(|&i| !zero[codes[i * k + j] as usize]).count() as u32)
            .collect()
    }

    fn lookup_rows(codes: &[u8], (k, n): (usize, usize), zero: &[bool; 256]) -> Vec<u32> {
        (0..k)
            .map(|j| (0..n).filter(|&c| !zero[codes[j * n + c] as usize]).count() as u32)
            .collect()
    }

    /// A zero table with `nz` zero codes (0, 1 or several), from `seed`.
    fn table(nz: usize, seed: u64) -> [bool; 256] {
        let mut t = [false; 256];
        for i in 0..nz {
            t[(seed as usize).wrapping_mul(31).wrapping_add(i * 97) % 256] = true;
        }
        t
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 300, .. ProptestConfig::default() })]

        #[test]
        fn counts_match_table_lookups(
            // Short rows (eight bytes at a time) and long ones (vector code); more than
            // 255 rows (the short column counters' flush).
            (m, k) in prop_oneof![
                (1usize..=20, 1usize..=20),
                (1usize..=300, 1usize..=40),
            ],
            nz in prop_oneof![Just(0usize), Just(1), 2usize..=40],
            seed in any::<u64>(), small in any::<bool>(),
            codes in proptest::collection::vec(any::<u8>(), 12_000),
        ) {
            let zero = table(nz, seed);
            // Make zero codes common: fold the codes onto a few values when `small`.
            let codes: Vec<u8> = codes[..m * k]
                .iter()
                .map(|&c| if small { (seed as u8).wrapping_mul(31).wrapping_add(c % 3 * 97) } else { c })
                .collect();
            // One memo across both tables: the second must not reuse the first's case.
            let mut memo = Memo::default();
            for z in [zero, table(nz.saturating_sub(1) ^ 1, seed ^ 7)] {
                let mut out = Vec::new();
                per_column(&codes, (m, k), &z, &mut memo, &mut out);
                prop_assert_eq!(&out, &lookup_cols(&codes, (m, k), &z));
                per_row(&codes, (m, k), &z, &mut memo, &mut out);
                prop_assert_eq!(&out, &lookup_rows(&codes, (m, k), &z));
            }
        }
    }
}
