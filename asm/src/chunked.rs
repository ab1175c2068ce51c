//! A vector stored in fixed-size chunks, for the assembler's large append-mostly tables
//! (parsed lines, pass-2 items, symbols, expansions, per-buffer records): growing it never copies what is already there and never
//! holds an old and a new buffer at once, so peak memory is what the elements need plus at
//! most one partly filled chunk — a doubling `Vec` can need three times that while it
//! reallocates.

use std::ops::{Index, IndexMut};

/// Elements per chunk.
const CHUNK: usize = 4096;

/// See the module documentation. Indexing is by position, as for a `Vec`.
#[derive(Debug)]
pub(crate) struct Chunked<T> {
    chunks: Vec<Vec<T>>,
    len: usize,
}

impl<T> Default for Chunked<T> {
    fn default() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Chunked<T> {
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn push(&mut self, v: T) {
        if self.len == self.chunks.len() * CHUNK {
            self.chunks.push(Vec::with_capacity(CHUNK));
        }
        self.chunks[self.len / CHUNK].push(v);
        self.len += 1;
    }

    /// Remove the last element. Emptied chunks stay allocated for the next pushes.
    pub(crate) fn pop(&mut self) -> Option<T> {
        let i = self.len.checked_sub(1)?;
        self.len = i;
        self.chunks[i / CHUNK].pop()
    }

    pub(crate) fn get(&self, i: usize) -> Option<&T> {
        if i < self.len {
            self.chunks[i / CHUNK].get(i % CHUNK)
        } else {
            None
        }
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &T> {
        self.chunks.iter().flatten()
    }
}

impl<'a, T> IntoIterator for &'a Chunked<T> {
    type Item = &'a T;
    type IntoIter = std::iter::Flatten<std::slice::Iter<'a, Vec<T>>>;

    fn into_iter(self) -> Self::IntoIter {
        self.chunks.iter().flatten()
    }
}

impl<T> Index<usize> for Chunked<T> {
    type Output = T;

    fn index(&self, i: usize) -> &T {
        assert!(
            i < self.len,
            "index {i} out of range ({} elements)",
            self.len
        );
        &self.chunks[i / CHUNK][i % CHUNK]
    }
}

impl<T> IndexMut<usize> for Chunked<T> {
    fn index_mut(&mut self, i: usize) -> &mut T {
        assert!(
            i < self.len,
            "index {i} out of range ({} elements)",
            self.len
        );
        &mut self.chunks[i / CHUNK][i % CHUNK]
    }
}

#[cfg(test)]
mod tests {
    use super::{Chunked, CHUNK};

    /// Pushes, pops and indexing agree with a `Vec` across chunk boundaries.
    #[test]
    fn behaves_like_a_vec() {
        let mut c = Chunked::default();
        let mut v = Vec::new();
        let mut x = 7u64;
        for step in 0..5 * CHUNK {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            if x >> 62 == 0 {
                assert_eq!(c.pop(), v.pop());
            } else {
                c.push(step);
                v.push(step);
            }
            assert_eq!(c.len(), v.len());
        }
        assert!(v.len() > 2 * CHUNK);
        for (i, e) in v.iter().enumerate() {
            assert_eq!(c[i], *e);
            assert_eq!(c.get(i), Some(e));
        }
        assert_eq!(c.get(v.len()), None);
        assert!((&c).into_iter().eq(v.iter()));
        assert!(c.iter().eq(v.iter()));
        c[CHUNK + 1] = 99;
        v[CHUNK + 1] = 99;
        assert_eq!(c[CHUNK + 1], 99);
        while let Some(e) = v.pop() {
            assert_eq!(c.pop(), Some(e));
        }
        assert_eq!((c.pop(), c.len()), (None, 0));
    }
}
