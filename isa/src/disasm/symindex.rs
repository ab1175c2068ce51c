//! Symbol look-ups for the listings, precomputed once per image so that large programs stay
//! linear: block-heading labels per address, the symbol covering an address (for branch
//! targets and `<sym+0x8>` forms) and the label addresses of a section (block boundaries).

use std::collections::HashMap;

use crate::image::{Image, Section, Symbol, SymbolKind};

/// Symbol look-ups precomputed once per listing, so that large programs stay linear.
pub(crate) struct SymIndex<'a> {
    pub(crate) img: &'a Image,
    /// Block-heading label per (section, address): global before local, code before data,
    /// then table order.
    labels: HashMap<(usize, u32), &'a Symbol>,
    /// Non-absolute symbols sorted by (value, global), stable.
    sorted: Vec<&'a Symbol>,
}

impl<'a> SymIndex<'a> {
    pub(crate) fn new(img: &'a Image) -> Self {
        let rank = |s: &Symbol| (!s.global, s.kind != SymbolKind::Func);
        let mut labels: HashMap<(usize, u32), &Symbol> = HashMap::new();
        for s in img
            .symbols
            .iter()
            .filter(|s| s.kind != SymbolKind::Absolute)
        {
            let Some(sec) = s.section else { continue };
            labels
                .entry((sec, s.value))
                .and_modify(|cur| {
                    if rank(s) < rank(cur) {
                        *cur = s;
                    }
                })
                .or_insert(s);
        }
        let mut sorted: Vec<&Symbol> = img
            .symbols
            .iter()
            .filter(|s| s.kind != SymbolKind::Absolute)
            .collect();
        sorted.sort_by_key(|s| (s.value, s.global));
        SymIndex {
            img,
            labels,
            sorted,
        }
    }

    pub(crate) fn label_at(&self, sec: usize, addr: u32) -> Option<&'a Symbol> {
        self.labels.get(&(sec, addr)).copied()
    }

    /// For valid images the same answer as [`Image::symbolize`] (highest symbol at or below
    /// `addr` whose section covers `addr`; globals win ties, then later entries), found by
    /// binary search within the section that holds `addr`.
    pub(crate) fn symbolize(&self, addr: u32) -> Option<(&'a Symbol, u32)> {
        let sections = &self.img.sections;
        let holds =
            |sec: &Section| addr >= sec.addr && addr < sec.addr.saturating_add(sec.size.max(1));
        let floor = sections.iter().find(|sec| holds(sec))?.addr;
        let end = self.sorted.partition_point(|s| s.value <= addr);
        self.sorted[..end]
            .iter()
            .rev()
            .take_while(|s| s.value >= floor)
            .find(|s| s.section.and_then(|i| sections.get(i)).is_some_and(holds))
            .map(|s| (*s, addr - s.value))
    }

    /// `<sym+0x8>` / `<sym>` for an address, if a symbol covers it.
    pub(crate) fn sym_ref(&self, addr: u32) -> Option<String> {
        self.symbolize(addr).map(|(s, off)| {
            if off == 0 {
                format!("<{}>", s.name)
            } else {
                format!("<{}+0x{off:x}>", s.name)
            }
        })
    }
}

impl SymIndex<'_> {
    /// Addresses of the block-heading labels of section `si`, ascending.
    pub(crate) fn label_addrs(&self, si: usize) -> Vec<u32> {
        let mut v: Vec<u32> = self
            .labels
            .keys()
            .filter(|(s, _)| *s == si)
            .map(|&(_, a)| a)
            .collect();
        v.sort_unstable();
        v
    }

    /// The highest label of section `si` at or below `addr` (for a block starting inside a
    /// symbol, as `--start-address` can make it), with the offset from it.
    pub(crate) fn enclosing_label(&self, si: usize, addr: u32) -> Option<(&Symbol, u32)> {
        self.labels
            .iter()
            .filter(|((s, a), _)| *s == si && *a <= addr)
            .max_by_key(|((_, a), _)| *a)
            .map(|(&(_, a), sym)| (*sym, addr - a))
    }
}
#[cfg(test)]
mod tests {
    use super::*;
    use crate::image::SectionKind;

    /// The indexed look-up agrees with `Image::symbolize` at every address of a valid image.
    #[test]
    fn sym_index_matches_image_symbolize() {
        let sec = |name: &str, kind, addr, size: u32| Section {
            name: name.into(),
            kind,
            addr,
            size,
            data: if kind == SectionKind::Bss {
                vec![]
            } else {
                vec![0; size as usize]
            },
        };
        let sym = |name: &str, value, global, section| Symbol {
            name: name.into(),
            value,
            size: 0,
            kind: SymbolKind::Func,
            global,
            section: Some(section),
        };
        let img = Image {
            entry: 0x100,
            sections: vec![
                sec(".text", SectionKind::Text, 0x100, 0x20),
                sec(".data", SectionKind::Data, 0x120, 0x10),
                sec(".bss", SectionKind::Bss, 0x200, 0),
            ],
            symbols: vec![
                sym("a", 0x104, false, 0),
                sym("b", 0x104, true, 0),
                sym("c", 0x104, true, 0),
                sym("d", 0x110, false, 0),
                sym("text_end", 0x120, false, 0),
                sym("e", 0x124, false, 1),
                sym("z", 0x200, true, 2),
            ],
            lines: Default::default(),
        };
        let idx = SymIndex::new(&img);
        for addr in 0xf0..0x210 {
            let want = img.symbolize(addr).map(|(s, o)| (s.name.as_str(), o));
            let got = idx.symbolize(addr).map(|(s, o)| (s.name.as_str(), o));
            assert_eq!(got, want, "address 0x{addr:x}");
        }
    }
}
