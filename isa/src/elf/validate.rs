//! [`validate_image`]: the rules every Loom executable satisfies, applied by the writer before
//! it writes and by the reader to what it read, so both accept exactly the same programs.

use super::lines::check_line_table;
use super::{ImageError, ADDR_SPACE};
use crate::image::{Image, SectionKind, SymbolKind};

/// Check the rules every Loom executable satisfies: sizes agree with data, sections fit in
/// 32 bits and do not overlap, text is word-aligned, the entry point is an aligned address in
/// a text section, symbols name existing sections and lie within them (one past the end is
/// allowed), names are non-empty without NUL, and the line table is consistent and sorted.
pub fn validate_image(img: &Image) -> Result<(), ImageError> {
    for (index, s) in img.sections.iter().enumerate() {
        if s.name.is_empty() || s.name.contains('\0') {
            return Err(ImageError::BadSectionName {
                index,
                name: s.name.clone(),
            });
        }
        let bss = s.kind == SectionKind::Bss;
        let expected = if bss { 0 } else { s.size as usize };
        if s.data.len() != expected {
            return Err(ImageError::SectionSize {
                name: s.name.clone(),
                size: s.size,
                len: s.data.len(),
                bss,
            });
        }
        if u64::from(s.addr) + u64::from(s.size) > ADDR_SPACE {
            return Err(ImageError::AddressOverflow {
                name: s.name.clone(),
                addr: s.addr.into(),
                size: s.size.into(),
            });
        }
        if s.kind == SectionKind::Text && (s.addr | s.size) & 3 != 0 {
            return Err(ImageError::MisalignedText {
                name: s.name.clone(),
                addr: s.addr,
                size: s.size,
            });
        }
    }
    let mut spans: Vec<(u64, u64, usize)> = img
        .sections
        .iter()
        .enumerate()
        .filter(|(_, s)| s.size > 0)
        .map(|(i, s)| (u64::from(s.addr), u64::from(s.addr) + u64::from(s.size), i))
        .collect();
    spans.sort_unstable();
    for w in spans.windows(2) {
        let (a, b) = (w[0], w[1]);
        if b.0 < a.1 {
            return Err(ImageError::Overlap {
                first: img.sections[a.2].name.clone(),
                first_start: a.0,
                first_end: a.1,
                second: img.sections[b.2].name.clone(),
                second_start: b.0,
                second_end: b.1,
            });
        }
    }
    let entry_ok = img.sections.iter().any(|s| {
        s.kind == SectionKind::Text
            && img.entry >= s.addr
            && u64::from(img.entry) < u64::from(s.addr) + u64::from(s.size)
    });
    if !entry_ok {
        return Err(ImageError::EntryNotInText { entry: img.entry });
    }
    if img.entry & 3 != 0 {
        return Err(ImageError::MisalignedEntry { entry: img.entry });
    }
    for (index, sym) in img.symbols.iter().enumerate() {
        if sym.name.is_empty() || sym.name.contains('\0') {
            return Err(ImageError::BadSymbolName {
                index,
                name: sym.name.clone(),
            });
        }
        let absolute = sym.kind == SymbolKind::Absolute;
        match (absolute, sym.section) {
            (true, None) => {}
            (false, Some(i)) => {
                let Some(sec) = img.sections.get(i) else {
                    return Err(ImageError::SymbolSection {
                        name: sym.name.clone(),
                        section: i,
                        count: img.sections.len(),
                    });
                };
                let end = u64::from(sec.addr) + u64::from(sec.size);
                if sym.value < sec.addr || u64::from(sym.value) > end {
                    return Err(ImageError::SymbolOutsideSection {
                        name: sym.name.clone(),
                        value: sym.value,
                        section: sec.name.clone(),
                        start: sec.addr,
                        end,
                    });
                }
            }
            _ => {
                return Err(ImageError::SymbolKind {
                    name: sym.name.clone(),
                    absolute,
                })
            }
        }
    }
    check_line_table(&img.lines)?;
    Ok(())
}
