//! The run-length-encoded tile stream (load-RLE / `st.rle` / the assembler's `.rle`).
//!
//! Layout (docs/ISA.md "RLE streams"): a 32-bit little-endian entry count `N`, then `N`
//! entries packed LSB-first into a bit stream, each entry a `r`-bit zero-run length followed
//! by a `b`-bit code. An entry expands to `run` zero codes followed by its code. A run longer
//! than `2^r - 1` zeros is split with entries whose code is 0. The stream must expand to
//! exactly the tile's element count.

/// Why an RLE stream is malformed. `offset` is the byte offset in the stream.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RleError {
    /// The stream ends before its header or before the entries the header announces.
    #[error("RLE stream truncated at byte offset {offset}: header announces {entries} entries of {entry_bits} bits, {available} bytes available")]
    Truncated {
        /// Byte offset where data ran out.
        offset: usize,
        /// Entries announced.
        entries: u64,
        /// Bits per entry.
        entry_bits: u32,
        /// Bytes available after the header.
        available: usize,
    },
    /// An entry expands past the end of the tile.
    #[error("RLE stream overruns the tile at byte offset {offset} (entry {entry}): {produced} of {expected} elements already produced, entry adds {adds}")]
    Overrun {
        /// Byte offset of the entry.
        offset: usize,
        /// Entry index.
        entry: usize,
        /// Elements produced before the entry.
        produced: usize,
        /// Elements in the tile.
        expected: usize,
        /// Elements this entry adds.
        adds: usize,
    },
    /// The stream ends with fewer elements than the tile holds.
    #[error("RLE stream too short at byte offset {offset}: expands to {produced} elements, tile has {expected}")]
    Underrun {
        /// Byte offset just after the last entry.
        offset: usize,
        /// Elements produced.
        produced: usize,
        /// Elements expected.
        expected: usize,
    },
}

/// Header size in bytes.
pub const HEADER_BYTES: usize = 4;

/// Encode `codes` (each `< 2^b`) with run width `r`. Returns the whole stream.
pub fn encode(codes: &[u8], b: u32, r: u32) -> Vec<u8> {
    let max_run = (1u32 << r) - 1;
    let mut entries: Vec<(u32, u8)> = Vec::new();
    let mut zeros = 0u32;
    let cm = ((1u32 << b) - 1) as u8;
    for &c in codes {
        let c = c & cm;
        if c == 0 {
            zeros += 1;
            continue;
        }
        while zeros > max_run {
            entries.push((max_run, 0));
            zeros -= max_run + 1;
        }
        entries.push((zeros, c));
        zeros = 0;
    }
    while zeros > 0 {
        let run = (zeros - 1).min(max_run);
        entries.push((run, 0));
        zeros -= run + 1;
    }
    let eb = (r + b) as usize;
    let mut out = vec![0u8; HEADER_BYTES + (entries.len() * eb).div_ceil(8)];
    out[..4].copy_from_slice(&(entries.len() as u32).to_le_bytes());
    let mut bit = 0usize;
    for (run, c) in entries {
        let v = (run as u64) | ((c as u64) << r);
        for i in 0..eb {
            if (v >> i) & 1 == 1 {
                let pos = bit + i;
                out[HEADER_BYTES + pos / 8] |= 1 << (pos % 8);
            }
        }
        bit += eb;
    }
    out
}

/// Encoded size in bytes of `codes` without building the stream.
pub fn encoded_len(codes: &[u8], b: u32, r: u32) -> usize {
    let max_run = (1u64 << r) - 1;
    let mut entries = 0u64;
    let mut zeros = 0u64;
    let cm = ((1u32 << b) - 1) as u8;
    for &c in codes {
        if c & cm == 0 {
            zeros += 1;
        } else {
            entries += zeros / (max_run + 1) + 1;
            zeros = 0;
        }
    }
    entries += zeros.div_ceil(max_run + 1);
    HEADER_BYTES + ((entries as usize) * (r + b) as usize).div_ceil(8)
}

/// Decode a stream into `out` (cleared first), expecting exactly `n` elements.
/// Returns the number of stream bytes consumed. Never allocates more than `n` elements,
/// whatever the header claims.
pub fn decode_into(
    stream: &[u8],
    b: u32,
    r: u32,
    n: usize,
    out: &mut Vec<u8>,
) -> Result<usize, RleError> {
    out.clear();
    let eb = (r + b) as usize;
    let Some(hdr) = stream.get(..HEADER_BYTES) else {
        return Err(RleError::Truncated {
            offset: stream.len(),
            entries: 0,
            entry_bits: eb as u32,
            available: 0,
        });
    };
    let entries = u32::from_le_bytes([hdr[0], hdr[1], hdr[2], hdr[3]]) as u64;
    let body = &stream[HEADER_BYTES..];
    let need_bits = entries * eb as u64;
    if need_bits > body.len() as u64 * 8 {
        return Err(RleError::Truncated {
            offset: stream.len(),
            entries,
            entry_bits: eb as u32,
            available: body.len(),
        });
    }
    out.reserve(n);
    let rm = (1u64 << r) - 1;
    let cm = (1u64 << b) - 1;
    for e in 0..entries as usize {
        let bit = e * eb;
        // Gather up to 16 bits starting at `bit`.
        let byte = bit / 8;
        let mut w = 0u64;
        for i in 0..3 {
            if let Some(&x) = body.get(byte + i) {
                w |= (x as u64) << (8 * i);
            }
        }
        let v = w >> (bit % 8);
        let run = (v & rm) as usize;
        let code = ((v >> r) & cm) as u8;
        if out.len() + run + 1 > n {
            return Err(RleError::Overrun {
                offset: HEADER_BYTES + byte,
                entry: e,
                produced: out.len(),
                expected: n,
                adds: run + 1,
            });
        }
        out.resize(out.len() + run, 0);
        out.push(code);
    }
    let used = HEADER_BYTES + (need_bits as usize).div_ceil(8);
    if out.len() != n {
        return Err(RleError::Underrun {
            offset: used,
            produced: out.len(),
            expected: n,
        });
    }
    Ok(used)
}
