//! Reverse-execution history: checkpoints plus re-execution.
//!
//! A position in the run is the number of retired instructions (`instret`): the machine is
//! deterministic, so the state at a position is unique. The history keeps full machine
//! snapshots (cheap: pages, program and config are shared copy-on-write) at positions that
//! are multiples of an interval, starting with position 0. Going back to position `k`
//! restores the latest checkpoint at or before `k` and re-executes forward to `k`, at most
//! one interval of instructions.
//!
//! **Memory policy.** At most [`History::max_checkpoints`] snapshots are kept (default
//! 256). When that many exist, every other one is dropped and the interval doubles, so the
//! history always reaches back to the start of the run while memory stays bounded; the
//! price is a longer re-execution per reverse step. `set history-size N` additionally
//! forgets everything more than `N` instructions before the newest position; going back
//! past the oldest kept position is refused with a message naming it.

use std::collections::BTreeMap;

use bitloom_emu::Machine;

/// Default instructions between checkpoints.
pub const DEFAULT_INTERVAL: u64 = 16_384;
/// Default maximum number of checkpoints.
pub const DEFAULT_MAX: usize = 256;

/// Checkpoints of one run.
#[derive(Clone, Debug)]
pub struct History {
    checkpoints: BTreeMap<u64, Machine>,
    interval: u64,
    /// Snapshots kept at most.
    pub max_checkpoints: usize,
    /// Instructions of history kept (None: back to the start).
    pub limit: Option<u64>,
}

impl History {
    /// A history whose first checkpoint is `m` (normally the machine after reset).
    pub fn new(m: &Machine) -> History {
        let mut checkpoints = BTreeMap::new();
        checkpoints.insert(m.instret, m.clone());
        History {
            checkpoints,
            interval: DEFAULT_INTERVAL,
            max_checkpoints: DEFAULT_MAX,
            limit: None,
        }
    }

    /// Instructions between checkpoints now.
    pub fn interval(&self) -> u64 {
        self.interval
    }

    /// Number of checkpoints held.
    pub fn len(&self) -> usize {
        self.checkpoints.len()
    }

    /// Whether there are no checkpoints (never, after `new`).
    pub fn is_empty(&self) -> bool {
        self.checkpoints.is_empty()
    }

    /// Host bytes the checkpoints' own allocations take (shared pages not counted).
    pub fn bytes(&self) -> usize {
        self.checkpoints.values().map(Machine::clone_bytes).sum()
    }

    /// The oldest position that can be reached.
    pub fn oldest(&self) -> u64 {
        self.checkpoints.keys().next().copied().unwrap_or(0)
    }

    /// The next position after `instret` at which a checkpoint is due.
    pub fn next_due(&self, instret: u64) -> u64 {
        (instret / self.interval + 1) * self.interval
    }

    /// Record `m` if a checkpoint is due at its position (or `force`), then apply the
    /// memory policy.
    pub fn record(&mut self, m: &Machine, force: bool) {
        let at = m.instret;
        if !force && (!at.is_multiple_of(self.interval) || self.checkpoints.contains_key(&at)) {
            return;
        }
        self.checkpoints.insert(at, m.clone());
        if let Some(lim) = self.limit {
            let keep_from = at.saturating_sub(lim);
            // Keep the latest checkpoint at or before keep_from so keep_from stays reachable.
            let base = self
                .checkpoints
                .range(..=keep_from)
                .next_back()
                .map(|(k, _)| *k);
            if let Some(base) = base {
                self.checkpoints.retain(|k, _| *k >= base);
            }
        }
        while self.checkpoints.len() > self.max_checkpoints.max(2) {
            self.thin();
        }
    }

    /// Drop every other checkpoint (keeping the oldest and newest) and double the interval.
    fn thin(&mut self) {
        self.interval = self.interval.saturating_mul(2);
        let keys: Vec<u64> = self.checkpoints.keys().copied().collect();
        let (first, last) = (keys[0], keys[keys.len() - 1]);
        for (i, k) in keys.iter().enumerate() {
            if *k != first && *k != last && i % 2 == 1 {
                self.checkpoints.remove(k);
            }
        }
    }

    /// Forget every checkpoint after `instret` (the run diverged there: the user changed
    /// state), and checkpoint `m` at its position.
    pub fn diverge(&mut self, m: &Machine) {
        let at = m.instret;
        self.checkpoints.retain(|k, _| *k < at);
        self.checkpoints.insert(at, m.clone());
    }

    /// The latest checkpoint at or before `pos`.
    pub fn base(&self, pos: u64) -> Option<(u64, &Machine)> {
        self.checkpoints
            .range(..=pos)
            .next_back()
            .map(|(k, m)| (*k, m))
    }

    /// Checkpoint positions strictly before `pos`, newest first.
    pub fn before(&self, pos: u64) -> Vec<u64> {
        self.checkpoints
            .range(..pos)
            .rev()
            .map(|(k, _)| *k)
            .collect()
    }
}
