//! What one executed instruction did, as seen by the timing model, statistics and traces.
//!
//! The functional core (`machine`, `accel`) fills these in; `timing` turns them into cycles;
//! `trace` turns [`Commit`] into a commit log. Keeping this vocabulary separate lets the
//! timing model change without touching semantics, and vice versa.

use bitloom_isa::numfmt::NumFmt;
use bitloom_isa::{Class, Space};

pub use crate::commit::Commit;

/// A DMA transfer between DRAM and a scratchpad.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DmaWork {
    /// true: DRAM -> scratchpad.
    pub load: bool,
    /// Scratchpad touched.
    pub space: Space,
    /// Bytes crossing the DRAM interface (compressed size for RLE).
    pub dram_bytes: u64,
    /// Bytes written/read in the scratchpad (the expanded, packed tile).
    pub spad_bytes: u64,
    /// Elements of the tile.
    pub elements: u64,
    /// The transfer went through the RLE encoder/decoder.
    pub rle: bool,
    /// DRAM bursts: 1 for a contiguous transfer, one per row for a strided one.
    pub bursts: u64,
    /// Bytes of each burst when `bursts > 1` (a row); ignored otherwise.
    pub burst_bytes: u64,
}

/// Operands of one MAC-array instruction, as codes, for the data-dependent timing model.
/// Slices are row-major: `w` is M×K, `a` is K×N.
#[derive(Clone, Copy, Debug)]
pub struct MacWork<'a> {
    /// Rows of W / the accumulator.
    pub m: usize,
    /// Reduction length.
    pub k: usize,
    /// Columns of A / the accumulator.
    pub n: usize,
    /// Weight codes.
    pub w: &'a [u8],
    /// Activation codes.
    pub a: &'a [u8],
    /// Weight precision (bits).
    pub wprec: u32,
    /// Activation precision (bits).
    pub aprec: u32,
    /// Weight format.
    pub wfmt: NumFmt,
    /// Activation format.
    pub afmt: NumFmt,
    /// Value of each possible weight code is zero? (`wzero[c]`, 256 entries): accounts for
    /// zero-points and LUT contents.
    pub wzero: &'a [bool; 256],
    /// Same for activation codes.
    pub azero: &'a [bool; 256],
    /// Serialised operand (CSR `serial`).
    pub serial: u32,
    /// Bit-slice width (CSR `slice`, 0 = off).
    pub slice: u32,
    /// Frequent HO slice value actually used (after resolving `sfreq = 255`).
    pub sfreq: u32,
    /// Cluster effectual bits k (CSR `ck`).
    pub ck: u32,
    /// `vscale` (per-vector scaled) rather than `bsmac`.
    pub vector_scaled: bool,
    /// Vector length for `vscale`.
    pub vlen: usize,
}

/// Work of the post-processing unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PostWork {
    /// Elements processed.
    pub elements: u64,
    /// Scratchpad the result is written to (the output tile's).
    pub out_space: Space,
    /// Bytes written there (the output tile's packed size).
    pub out_bytes: u64,
}

/// The unit-level work of one instruction.
#[derive(Clone, Copy, Debug)]
pub enum Work<'a> {
    /// Scalar-core instruction of a class; `taken` for taken branches/jumps.
    Scalar {
        /// Class.
        class: Class,
        /// Control transfer taken.
        taken: bool,
    },
    /// DMA transfer.
    Dma(DmaWork),
    /// LUT programming (bytes read from DRAM).
    Lut {
        /// Bytes read.
        bytes: u64,
    },
    /// Tile bookkeeping (`tdef`, `tzero`, `dchk`) over `elements`.
    Tile {
        /// Elements touched (0 for `tdef`).
        elements: u64,
    },
    /// MAC array.
    Mac(MacWork<'a>),
    /// Post-processing.
    Post(PostWork),
    /// `sync`: wait for all units.
    Sync,
}
