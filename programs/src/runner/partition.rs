//! Splitting a suite across CI jobs with no coordination, with cargo-nextest's meaning of
//! `--partition`: after filtering, `count:K/N` takes every N-th test starting at the K-th
//! (1-based) in name order; `hash:K/N` takes the tests whose name hashes to bucket K
//! (FNV-1a 64 of the name, mod N), so a test stays in its shard when others are added.
//! The N shards together run every test exactly once.

/// A partition of the suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// `count:K/N`.
    Count {
        /// Shard, 1-based.
        shard: u64,
        /// Number of shards.
        total: u64,
    },
    /// `hash:K/N`.
    Hash {
        /// Shard, 1-based.
        shard: u64,
        /// Number of shards.
        total: u64,
    },
}

impl std::str::FromStr for Partition {
    type Err = String;

    fn from_str(s: &str) -> Result<Partition, String> {
        let bad =
            || format!("invalid partition `{s}`: expected count:K/N or hash:K/N with 1 <= K <= N");
        let (kind, rest) = s.split_once(':').ok_or_else(bad)?;
        let (k, n) = rest.split_once('/').ok_or_else(bad)?;
        let shard: u64 = k.trim().parse().map_err(|_| bad())?;
        let total: u64 = n.trim().parse().map_err(|_| bad())?;
        if shard == 0 || total == 0 || shard > total {
            return Err(bad());
        }
        match kind {
            "count" => Ok(Partition::Count { shard, total }),
            "hash" => Ok(Partition::Hash { shard, total }),
            _ => Err(bad()),
        }
    }
}

/// FNV-1a, 64-bit: stable across platforms and releases.
pub fn fnv1a(s: &str) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in s.bytes() {
        h ^= b as u64;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

impl Partition {
    /// Whether the `index`-th test (0-based, in the filtered name order) named `name` is in
    /// this shard.
    pub fn contains(&self, index: usize, name: &str) -> bool {
        match *self {
            Partition::Count { shard, total } => (index as u64) % total == shard - 1,
            Partition::Hash { shard, total } => fnv1a(name) % total == shard - 1,
        }
    }

    /// Keep this shard's items; `name` gives an item's test name.
    pub fn select<T>(&self, items: Vec<T>, name: impl Fn(&T) -> &str) -> Vec<T> {
        items
            .into_iter()
            .enumerate()
            .filter(|(i, t)| self.contains(*i, name(t)))
            .map(|(_, t)| t)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse() {
        assert_eq!(
            "count:1/3".parse(),
            Ok(Partition::Count { shard: 1, total: 3 })
        );
        assert_eq!(
            "hash:3/3".parse(),
            Ok(Partition::Hash { shard: 3, total: 3 })
        );
        for bad in [
            "count:0/3",
            "count:4/3",
            "hash:1",
            "slice:1/2",
            "count:a/2",
            "count:1/0",
        ] {
            assert!(bad.parse::<Partition>().is_err(), "{bad}");
        }
    }

    #[test]
    fn shards_cover_exactly_once() {
        let names: Vec<String> = (0..100).map(|i| format!("t{i}")).collect();
        for kind in ["count", "hash"] {
            let mut seen = vec![0; names.len()];
            for k in 1..=7 {
                let p: Partition = format!("{kind}:{k}/7").parse().unwrap();
                for (i, _) in p.select(names.iter().enumerate().collect(), |t| t.1.as_str()) {
                    seen[i] += 1;
                }
            }
            assert!(seen.iter().all(|&c| c == 1), "{kind}: {seen:?}");
        }
    }
}
