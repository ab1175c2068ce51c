//! Source buffers (files and macro-expansion texts), spans into them, and the mapping of
//! expansion spans back to the file text they came from.

use std::rc::Rc;

/// A byte range in one source buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Span {
    /// Source buffer index.
    pub src: u32,
    /// Start byte offset.
    pub start: u32,
    /// End byte offset (exclusive).
    pub end: u32,
}

impl Span {
    /// Make a span from parser locations.
    pub fn new(src: u32, start: usize, end: usize) -> Span {
        Span {
            src,
            start: start as u32,
            end: end as u32,
        }
    }

    /// The span covering both `self` and `other` (same buffer assumed).
    pub fn to(self, other: Span) -> Span {
        Span {
            src: self.src,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One substitution in an expansion text: `len` bytes at `exp` replaced the `orig_len`
/// bytes at `orig` of the definition buffer (a parameter reference, `\@`, `\()`). Text
/// between substitutions was copied verbatim, so only substitutions are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Offset in the expansion text.
    pub exp: u32,
    /// Length in the expansion text.
    pub len: u32,
    /// Offset in the defining buffer.
    pub orig: u32,
    /// Length in the defining buffer.
    pub orig_len: u32,
}

/// Where a buffer came from.
#[derive(Clone, Debug)]
pub enum Origin {
    /// A file on disk (or a string given to `assemble_str`).
    File,
    /// The text of one macro expansion, built from buffer `def` by substitution.
    Expansion {
        /// Buffer holding the macro definition.
        def: u32,
        /// Offset in `def` of the expansion text's first byte.
        start: u32,
        /// The substitutions, sorted by `exp` (kept for the whole run: no spare room).
        segments: Box<[Segment]>,
    },
}

/// A source buffer.
#[derive(Clone, Debug)]
pub struct Source {
    /// Display name (the path as given).
    pub name: String,
    /// Full text.
    pub text: Rc<str>,
    /// Where it came from.
    pub origin: Origin,
    /// Byte offset of the start of every line (for line/column lookup).
    pub line_starts: Vec<u32>,
}

impl Source {
    /// Create a buffer and index its lines.
    pub fn new(name: String, text: Rc<str>, origin: Origin) -> Source {
        let mut line_starts = Vec::with_capacity(text.len() / 16 + 1);
        line_starts.push(0u32);
        // `match_indices` with a `char` pattern searches with memchr.
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i as u32 + 1));
        Source {
            name,
            text,
            origin,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, off: u32) -> (u32, u32) {
        let i = self.line_starts.partition_point(|&s| s <= off).max(1) - 1;
        let ls = self.line_starts[i] as usize;
        let end = (off as usize).min(self.text.len()).max(ls);
        let col = self
            .text
            .get(ls..end)
            .map(|t| t.chars().count())
            .unwrap_or(end - ls);
        (i as u32 + 1, col as u32 + 1)
    }
}

/// All buffers of one assembly run.
#[derive(Clone, Debug, Default)]
pub struct SourceMap {
    /// Buffers by index.
    pub sources: Vec<Source>,
}

impl SourceMap {
    /// Add a buffer, returning its index.
    pub fn add(&mut self, s: Source) -> u32 {
        self.sources.push(s);
        (self.sources.len() - 1) as u32
    }

    /// Map a span in any buffer to a span in a file buffer (following expansions back to
    /// the macro definition).
    pub fn to_file(&self, mut sp: Span) -> Span {
        for _ in 0..256 {
            let Some(src) = self.sources.get(sp.src as usize) else {
                return sp;
            };
            match &src.origin {
                Origin::File => return sp,
                Origin::Expansion {
                    def,
                    start: base,
                    segments,
                } => {
                    // Where byte `off` of the expansion came from, and whether it was copied
                    // (else it is part of a substitution, which maps to the whole reference:
                    // its first byte for a start, one past its last for an end).
                    let map = |off: u32, end: bool| -> (u32, bool) {
                        let i = segments.partition_point(|s| s.exp <= off);
                        let Some(s) = i.checked_sub(1).map(|i| &segments[i]) else {
                            return (base + off, true);
                        };
                        if off < s.exp + s.len {
                            (if end { s.orig + s.orig_len } else { s.orig }, false)
                        } else {
                            (s.orig + s.orig_len + (off - s.exp - s.len), true)
                        }
                    };
                    let start = map(sp.start, false).0;
                    let end = if sp.end > sp.start {
                        let (e, copied) = map(sp.end - 1, true);
                        e.max(start) + u32::from(copied)
                    } else {
                        start
                    };
                    sp = Span {
                        src: *def,
                        start,
                        end,
                    };
                }
            }
        }
        sp
    }
}
