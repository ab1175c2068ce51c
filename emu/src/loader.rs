//! Loading a program image into a fresh machine's DRAM (docs/ISA.md §2 "Reset", §10).
//!
//! The image is first checked with the ISA crate's structural validation (the same rules the
//! ELF reader and writer apply), then against the configured DRAM: every section must lie
//! inside DRAM and the entry point must be an aligned address inside the text section. Only
//! the bytes the image actually holds are copied; nothing is allocated from claimed sizes.

use bitloom_isa::elf::{validate_image, ImageError};
use bitloom_isa::image::{Image, SectionKind};

use crate::mem::PagedMem;

/// Why an image cannot be loaded.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    /// The image breaks a structural rule.
    #[error("invalid program image: {0}")]
    Image(#[from] ImageError),
    /// A section does not fit in the configured DRAM.
    #[error("section `{name}` at 0x{addr:08x} with size 0x{size:x} does not fit in DRAM (0x{dram:x} bytes; see hw.mem.dram_bytes)")]
    SectionOutsideDram {
        /// Section name.
        name: String,
        /// Load address.
        addr: u32,
        /// Size.
        size: u32,
        /// DRAM size.
        dram: u32,
    },
    /// The image has no text section containing the entry point.
    #[error("entry point 0x{entry:08x} is not inside a text section")]
    EntryNotInText {
        /// The entry point.
        entry: u32,
    },
    /// The entry point is not 4-byte aligned.
    #[error("entry point 0x{entry:08x} is not 4-byte aligned")]
    MisalignedEntry {
        /// The entry point.
        entry: u32,
    },
}

/// The predecodable text range found by [`load_into`]: `(base, bytes)`.
pub(crate) type TextRange = (u32, u32);

/// Validate `image` against a DRAM of `dram.size()` bytes and copy its sections in.
/// Returns the text section that holds the entry point.
pub(crate) fn load_into(image: &Image, dram: &mut PagedMem) -> Result<TextRange, LoadError> {
    validate_image(image)?;
    let size = dram.size();
    for s in &image.sections {
        if !dram.in_range(s.addr, s.size as u64) {
            return Err(LoadError::SectionOutsideDram {
                name: s.name.clone(),
                addr: s.addr,
                size: s.size,
                dram: size,
            });
        }
    }
    if !image.entry.is_multiple_of(4) {
        return Err(LoadError::MisalignedEntry { entry: image.entry });
    }
    let text = image
        .sections
        .iter()
        .find(|s| {
            s.kind == SectionKind::Text
                && s.addr <= image.entry
                && (image.entry as u64) < s.addr as u64 + s.size as u64
        })
        .ok_or(LoadError::EntryNotInText { entry: image.entry })?;
    for s in &image.sections {
        if s.kind != SectionKind::Bss {
            dram.write(s.addr, &s.data);
        }
    }
    Ok((text.addr & !3, text.size & !3))
}
