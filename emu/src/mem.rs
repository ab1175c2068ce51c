//! Sparse paged byte memory, used for DRAM and the three scratchpads.
//!
//! Memory is split into 4 KiB pages allocated on first write; reads of untouched pages
//! return zero, so host memory use grows with what the program touches, not with the
//! configured size. The page table has two levels — a directory of chunks of 256 page
//! pointers (1 MiB each) — and both chunks and pages are reference-counted and copied on
//! write, so cloning a whole machine (the debugger's snapshots) copies one pointer per MiB
//! of address space; the first write after a clone copies the one chunk and page it
//! touches.
//!
//! Callers check ranges (`in_range`) before accessing; the accessors themselves never panic
//! on an out-of-range address (reads give 0, writes are dropped), so a missed check cannot
//! crash the emulator.

use triomphe::Arc;

/// log2 of the page size.
pub const PAGE_BITS: u32 = 12;
/// Page size in bytes.
pub const PAGE_SIZE: usize = 1 << PAGE_BITS;
const PAGE_MASK: u32 = (PAGE_SIZE as u32) - 1;

type Page = [u8; PAGE_SIZE];

/// Pages per directory chunk.
const CHUNK_PAGES: usize = 256;
type Chunk = [Option<Arc<Page>>; CHUNK_PAGES];

/// A chunk or page made this memory's own: `Arc::make_mut`, a copy first when a snapshot
/// shares it. `triomphe`'s `Arc` has no weak count, so the uniqueness check is one acquire
/// load (a plain `mov` on x86); `std`'s locks a `cmpxchg`, which cost about 15 % of a
/// 16³-tile GEMM, where every `ld.raw` writes two pages. (`Some` always; an `Option` for
/// the callers' `?` chains.)
#[inline(always)]
fn own<T: Clone>(a: &mut Arc<T>) -> Option<&mut T> {
    Some(Arc::make_mut(a))
}

/// A byte-addressed memory of a fixed size with lazily allocated pages.
#[derive(Clone, Debug)]
pub struct PagedMem {
    size: u32,
    npages: usize,
    dir: Vec<Option<Arc<Chunk>>>,
}

impl PagedMem {
    /// An all-zero memory of `size` bytes (no pages allocated).
    pub fn new(size: u32) -> PagedMem {
        let npages = (size as usize).div_ceil(PAGE_SIZE);
        PagedMem {
            size,
            npages,
            dir: vec![None; npages.div_ceil(CHUNK_PAGES)],
        }
    }

    /// Size in bytes.
    pub fn size(&self) -> u32 {
        self.size
    }

    /// Whether `addr .. addr + len` lies inside the memory.
    #[inline]
    pub fn in_range(&self, addr: u32, len: u64) -> bool {
        addr as u64 + len <= self.size as u64
    }

    /// Number of pages that have been written (host memory in use, in pages).
    pub fn touched_pages(&self) -> usize {
        self.dir
            .iter()
            .flatten()
            .map(|c| c.iter().filter(|p| p.is_some()).count())
            .sum()
    }

    /// The page with index `idx`, if allocated.
    #[inline]
    fn page_at(&self, idx: usize) -> Option<&Page> {
        self.dir
            .get(idx / CHUNK_PAGES)?
            .as_deref()?
            .get(idx % CHUNK_PAGES)?
            .as_deref()
    }

    /// Whether page `idx` exists in the memory but has never been written.
    fn untouched(&self, idx: usize) -> bool {
        idx < self.npages && self.page_at(idx).is_none()
    }

    #[inline]
    fn page(&self, addr: u32) -> Option<&Page> {
        self.page_at((addr >> PAGE_BITS) as usize)
    }

    /// The page holding `addr`, made this memory's own (allocated or copied as needed).
    #[inline]
    fn page_mut(&mut self, addr: u32) -> Option<&mut Page> {
        let idx = (addr >> PAGE_BITS) as usize;
        if idx >= self.npages {
            return None;
        }
        let chunk = self.dir.get_mut(idx / CHUNK_PAGES)?;
        let chunk = own(chunk.get_or_insert_with(|| Arc::new([const { None }; CHUNK_PAGES])))?;
        let slot = &mut chunk[idx % CHUNK_PAGES];
        own(slot.get_or_insert_with(|| Arc::new([0u8; PAGE_SIZE])))
    }

    /// Page `idx`, made this memory's own, if it has been written (nothing is allocated or
    /// copied for a page that has not).
    #[inline]
    fn written_page_mut(&mut self, idx: usize) -> Option<&mut Page> {
        // One walk: the page is looked for in the chunk as it is (a shared chunk is not
        // copied for a page that was never written), then both are made this memory's own.
        let (c, i) = (idx / CHUNK_PAGES, idx % CHUNK_PAGES);
        let chunk = self.dir.get_mut(c)?.as_mut()?;
        chunk.get(i)?.as_ref()?;
        own(own(chunk)?.get_mut(i)?.as_mut()?)
    }

    /// The `len` bytes at `addr` as one slice, when they lie inside one page that has been
    /// written (so no copy is needed); `None` otherwise (then use [`PagedMem::read_to`]).
    #[inline]
    pub fn slice(&self, addr: u32, len: u64) -> Option<&[u8]> {
        let off = (addr & PAGE_MASK) as u64;
        if len == 0 || off + len > PAGE_SIZE as u64 || !self.in_range(addr, len) {
            return None;
        }
        let p = self.page(addr)?;
        Some(&p[off as usize..(off + len) as usize])
    }

    /// The `len` bytes at `addr` as one writable slice, when they lie inside one page that
    /// has been written (so writing through it allocates nothing new); `None` otherwise
    /// (then use [`PagedMem::write`]).
    #[inline]
    pub fn slice_mut(&mut self, addr: u32, len: u64) -> Option<&mut [u8]> {
        let off = (addr & PAGE_MASK) as u64;
        if len == 0 || off + len > PAGE_SIZE as u64 || !self.in_range(addr, len) {
            return None;
        }
        let p = self.written_page_mut((addr >> PAGE_BITS) as usize)?;
        Some(&mut p[off as usize..(off + len) as usize])
    }

    /// Read one byte.
    #[inline]
    pub fn read_u8(&self, addr: u32) -> u8 {
        match self.page(addr) {
            Some(p) => p[(addr & PAGE_MASK) as usize],
            None => 0,
        }
    }

    /// Read a little-endian half-word; `addr` must be 2-aligned.
    #[inline]
    pub fn read_u16(&self, addr: u32) -> u16 {
        match self.page(addr) {
            Some(p) => {
                let o = (addr & PAGE_MASK & !1) as usize;
                u16::from_le_bytes([p[o], p[o + 1]])
            }
            None => 0,
        }
    }

    /// Read a little-endian word; `addr` must be 4-aligned.
    #[inline]
    pub fn read_u32(&self, addr: u32) -> u32 {
        match self.page(addr) {
            Some(p) => {
                let o = (addr & PAGE_MASK & !3) as usize;
                u32::from_le_bytes([p[o], p[o + 1], p[o + 2], p[o + 3]])
            }
            None => 0,
        }
    }

    /// Write one byte.
    #[inline]
    pub fn write_u8(&mut self, addr: u32, v: u8) {
        if let Some(p) = self.page_mut(addr) {
            p[(addr & PAGE_MASK) as usize] = v;
        }
    }

    /// Write a little-endian half-word; `addr` must be 2-aligned.
    #[inline]
    pub fn write_u16(&mut self, addr: u32, v: u16) {
        if let Some(p) = self.page_mut(addr) {
            let o = (addr & PAGE_MASK & !1) as usize;
            p[o..o + 2].copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Write a little-endian word; `addr` must be 4-aligned.
    #[inline]
    pub fn write_u32(&mut self, addr: u32, v: u32) {
        if let Some(p) = self.page_mut(addr) {
            let o = (addr & PAGE_MASK & !3) as usize;
            p[o..o + 4].copy_from_slice(&v.to_le_bytes());
        }
    }

    /// Copy `out.len()` bytes starting at `addr` into `out` (bytes past the end read 0).
    pub fn read(&self, addr: u32, out: &mut [u8]) {
        let mut a = addr as u64;
        let mut done = 0usize;
        while done < out.len() {
            let off = (a as usize) & (PAGE_SIZE - 1);
            let n = (PAGE_SIZE - off).min(out.len() - done);
            let dst = &mut out[done..done + n];
            match self.page_at((a >> PAGE_BITS) as usize) {
                Some(p) => dst.copy_from_slice(&p[off..off + n]),
                None => dst.fill(0),
            }
            done += n;
            a += n as u64;
        }
    }

    /// Replace the contents of `out` with the `len` bytes starting at `addr` (bytes past
    /// the end read 0); reuses `out`'s allocation and never zero-fills what it then copies.
    pub fn read_to(&self, addr: u32, len: usize, out: &mut Vec<u8>) {
        out.clear();
        out.reserve(len);
        let mut a = addr as u64;
        while out.len() < len {
            let off = (a as usize) & (PAGE_SIZE - 1);
            let n = (PAGE_SIZE - off).min(len - out.len());
            match self.page_at((a >> PAGE_BITS) as usize) {
                Some(p) => out.extend_from_slice(&p[off..off + n]),
                None => out.resize(out.len() + n, 0),
            }
            a += n as u64;
        }
    }

    /// Read `len` bytes starting at `addr` into a new vector.
    pub fn read_vec(&self, addr: u32, len: usize) -> Vec<u8> {
        let mut v = vec![0u8; len];
        self.read(addr, &mut v);
        v
    }

    /// Write `data` at `addr`. Zero bytes destined for untouched pages allocate nothing.
    pub fn write(&mut self, addr: u32, data: &[u8]) {
        // One page already written (a tile load, most often): a single walk.
        let off = (addr & PAGE_MASK) as usize;
        if off + data.len() <= PAGE_SIZE {
            if let Some(p) = self.written_page_mut((addr >> PAGE_BITS) as usize) {
                p[off..off + data.len()].copy_from_slice(data);
                return;
            }
        }
        let mut a = addr as u64;
        let mut done = 0usize;
        while done < data.len() {
            let off = (a as usize) & (PAGE_SIZE - 1);
            let n = (PAGE_SIZE - off).min(data.len() - done);
            let src = &data[done..done + n];
            let idx = (a >> PAGE_BITS) as usize;
            if !(self.untouched(idx) && src.iter().all(|&b| b == 0)) {
                if let Some(p) = self.page_mut(a as u32) {
                    p[off..off + n].copy_from_slice(src);
                }
            }
            done += n;
            a += n as u64;
        }
    }

    /// Set `len` bytes starting at `addr` to `byte`.
    pub fn fill(&mut self, addr: u32, len: u64, byte: u8) {
        let mut a = addr as u64;
        let end = addr as u64 + len;
        while a < end {
            let off = (a as usize) & (PAGE_SIZE - 1);
            let n = ((PAGE_SIZE - off) as u64).min(end - a) as usize;
            let idx = (a >> PAGE_BITS) as usize;
            if !(self.untouched(idx) && byte == 0) {
                if let Some(p) = self.page_mut(a as u32) {
                    p[off..off + n].fill(byte);
                }
            }
            a += n as u64;
        }
    }
}

impl PagedMem {
    /// Bytes of host memory a clone of this memory allocates (its page table; the pages
    /// themselves are shared until written).
    pub fn clone_bytes(&self) -> usize {
        self.dir.len() * std::mem::size_of::<Option<Arc<Chunk>>>()
    }

    /// The first address at which `self` and `other` differ (untouched pages read as
    /// zero), or `None` when equal. Memories of different sizes differ at their common
    /// end.
    pub fn first_difference(&self, other: &PagedMem) -> Option<u32> {
        if self.size != other.size {
            return Some(self.size.min(other.size));
        }
        let zero = [0u8; PAGE_SIZE];
        for i in 0..self.npages {
            let (ca, cb) = (&self.dir[i / CHUNK_PAGES], &other.dir[i / CHUNK_PAGES]);
            if let (Some(x), Some(y)) = (ca, cb) {
                if Arc::ptr_eq(x, y) {
                    continue;
                }
            }
            let (pa, pb) = (self.page_at(i), other.page_at(i));
            let (pa, pb): (&Page, &Page) = match (pa, pb) {
                (None, None) => continue,
                (Some(x), Some(y)) if std::ptr::eq(x, y) => continue,
                (x, y) => (x.unwrap_or(&zero), y.unwrap_or(&zero)),
            };
            if let Some(off) = pa.iter().zip(pb.iter()).position(|(x, y)| x != y) {
                return Some((i * PAGE_SIZE + off) as u32);
            }
        }
        None
    }
}

impl PartialEq for PagedMem {
    fn eq(&self, other: &PagedMem) -> bool {
        self.first_difference(other).is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `read_to` gives exactly the bytes `read` gives, across page boundaries, untouched
    /// pages and the end of memory, whatever `out` held before.
    #[test]
    fn read_to_agrees_with_read() {
        let size = 5 * PAGE_SIZE as u32 + 100;
        let mut m = PagedMem::new(size);
        // Pages 0, 2 and the partial last page written; 1 and 3 untouched.
        for (i, a) in (0..PAGE_SIZE as u32)
            .chain(2 * PAGE_SIZE as u32..size)
            .enumerate()
        {
            m.write_u8(a, (i % 251) as u8 + 1);
        }
        let mut out = vec![0xaa; 7];
        for addr in [0, 1, 4095, 4096, 8191, 12_000, size - 3, size] {
            for len in [0usize, 1, 5, 4097, 9000] {
                m.read_to(addr, len, &mut out);
                let mut want = vec![0u8; len];
                m.read(addr, &mut want);
                assert_eq!(out, want, "addr {addr} len {len}");
            }
        }
    }

    /// A clone shares pages; a write on either side afterwards (to a page each had
    /// written before the clone) never shows on the other, however often they alternate
    /// and whichever side is cloned again.
    #[test]
    fn clones_stay_apart_after_writes() {
        let mut a = PagedMem::new(3 * PAGE_SIZE as u32);
        a.write_u32(8, 1); // page 0 written by `a` alone
        let mut b = a.clone();
        a.write_u32(8, 2);
        assert_eq!((a.read_u32(8), b.read_u32(8)), (2, 1));
        b.write_u32(8, 3); // now by `b` alone
        let c = b.clone();
        b.write(8, &[4, 0, 0, 0]);
        assert_eq!((a.read_u32(8), b.read_u32(8), c.read_u32(8)), (2, 4, 3));
        // Through the in-place accessor too.
        let d = a.clone();
        if let Some(s) = a.slice_mut(8, 4) {
            s.copy_from_slice(&5u32.to_le_bytes());
        }
        assert_eq!((a.read_u32(8), d.read_u32(8)), (5, 2));
        // Another page, then back: still private.
        a.write_u8(PAGE_SIZE as u32 + 1, 9);
        let e = a.clone();
        a.write_u32(8, 6);
        assert_eq!((a.read_u32(8), e.read_u32(8), d.read_u32(8)), (6, 5, 2));
    }

    /// `slice` and `slice_mut` give exactly the bytes `read` gives, only inside one written
    /// page, and `slice_mut` never allocates a page.
    #[test]
    fn slices_stay_inside_one_written_page() {
        let size = 3 * PAGE_SIZE as u32;
        let mut m = PagedMem::new(size);
        for a in 0..PAGE_SIZE as u32 {
            m.write_u8(a, (a % 251) as u8 + 1);
        }
        let ps = PAGE_SIZE as u32;
        for (addr, len, some) in [
            (0, 16, true),
            (ps - 16, 16, true),
            (ps - 16, 17, false), // crosses into page 1
            (ps, 4, false),       // page 1 never written
            (5, 0, false),
            (size - 4, 8, false), // past the end
        ] {
            let want = m.read_vec(addr, len as usize);
            assert_eq!(m.slice(addr, len).is_some(), some, "slice {addr} {len}");
            if let Some(s) = m.slice(addr, len) {
                assert_eq!(s, &want[..]);
            }
            let touched = m.touched_pages();
            assert_eq!(
                m.slice_mut(addr, len).is_some(),
                some,
                "slice_mut {addr} {len}"
            );
            if let Some(s) = m.slice_mut(addr, len) {
                assert_eq!(s, &want[..]);
            }
            assert_eq!(m.touched_pages(), touched);
        }
    }
}
