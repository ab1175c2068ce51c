//! The unit timeline: an append-only log of [`TimelineEvent`]s kept in shared chunks, so
//! cloning a machine (a debugger snapshot) copies one pointer per chunk instead of the
//! whole log. Appending to a chunk that a snapshot shares copies that one chunk first.

use std::sync::Arc;

use super::{TimelineEvent, Unit};

/// Events per chunk.
const CHUNK: usize = 4096;

/// A bounded event log with copy-on-write chunks.
#[derive(Clone, Debug, Default)]
pub(crate) struct Timeline {
    chunks: Vec<Arc<Vec<TimelineEvent>>>,
    len: usize,
    /// Global index of the most recent scalar-unit event (for coalescing).
    last_scalar: Option<usize>,
}

impl Timeline {
    /// Number of events.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// Append an event.
    pub(crate) fn push(&mut self, e: TimelineEvent) {
        if self.chunks.last().is_none_or(|c| c.len() >= CHUNK) {
            self.chunks.push(Arc::new(Vec::with_capacity(CHUNK)));
        }
        if e.unit == Unit::Scalar {
            self.last_scalar = Some(self.len);
        }
        if let Some(c) = self.chunks.last_mut() {
            Arc::make_mut(c).push(e);
        }
        self.len += 1;
    }

    /// The most recent scalar-unit event, for in-place extension.
    pub(crate) fn last_scalar_mut(&mut self) -> Option<&mut TimelineEvent> {
        let i = self.last_scalar?;
        let c = self.chunks.get_mut(i / CHUNK)?;
        Arc::make_mut(c).get_mut(i % CHUNK)
    }

    /// Host bytes a clone allocates (the chunk list).
    pub(crate) fn clone_bytes(&self) -> usize {
        self.chunks.len() * std::mem::size_of::<Arc<Vec<TimelineEvent>>>()
    }

    /// All events in order.
    pub(crate) fn iter(&self) -> impl DoubleEndedIterator<Item = &TimelineEvent> {
        self.chunks.iter().flat_map(|c| c.iter())
    }

    /// The events as one vector.
    pub(crate) fn to_vec(&self) -> Vec<TimelineEvent> {
        self.iter().cloned().collect()
    }
}
