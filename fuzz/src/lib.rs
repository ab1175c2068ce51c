//! Shared helpers for the fuzz targets.

use bitloom_emu::hw::HwConfig;
use bitloom_isa::image::{Image, LineTable, Section, SectionKind};
use bitloom_isa::TEXT_BASE;

/// A small machine so runs are fast: 1 MiB DRAM, 64 KiB scratchpads.
pub fn small_hw() -> HwConfig {
    let mut hw = HwConfig::default();
    hw.mem.dram_bytes = 1 << 20;
    hw.mem.wsp_bytes = 64 << 10;
    hw.mem.asp_bytes = 64 << 10;
    hw.mem.acc_bytes = 64 << 10;
    hw
}

/// `emu_exec` input layout: `[u16 LE text word count][text words][data bytes]`. The data
/// section starts at the first 16-byte boundary after `.text`, as the assembler lays out an
/// example's `.rodata`/`.data`, so seeds made from assembled examples run unchanged.
pub fn exec_image(bytes: &[u8]) -> Option<Image> {
    let (hdr, rest) = bytes.split_first_chunk::<2>()?;
    let words = (u16::from_le_bytes(*hdr) as usize).min(rest.len() / 4);
    let (text, data) = rest.split_at(words * 4);
    if text.is_empty() {
        return None;
    }
    let data_addr = (TEXT_BASE + text.len() as u32).next_multiple_of(16);
    let data = &data[..data.len().min(256 << 10)];
    let mut sections = vec![Section {
        name: ".text".into(),
        kind: SectionKind::Text,
        addr: TEXT_BASE,
        size: text.len() as u32,
        data: text.to_vec(),
    }];
    if !data.is_empty() {
        sections.push(Section {
            name: ".data".into(),
            kind: SectionKind::Data,
            addr: data_addr,
            size: data.len() as u32,
            data: data.to_vec(),
        });
    }
    Some(Image {
        entry: TEXT_BASE,
        sections,
        symbols: vec![],
        lines: LineTable::default(),
    })
}

/// Encode an image's `.text` and following data into the `emu_exec` layout.
pub fn exec_seed(img: &Image) -> Option<Vec<u8>> {
    let text = img.sections.iter().find(|s| s.kind == SectionKind::Text)?;
    let mut out = ((text.data.len() / 4) as u16).to_le_bytes().to_vec();
    out.extend_from_slice(&text.data);
    let data_addr = (text.addr + text.data.len() as u32).next_multiple_of(16);
    let mut data = Vec::new();
    for s in img.sections.iter().filter(|s| s.kind != SectionKind::Text) {
        if s.data.is_empty() || s.addr < data_addr {
            continue;
        }
        let off = (s.addr - data_addr) as usize;
        data.resize(off, 0);
        data.extend_from_slice(&s.data);
    }
    out.extend(data);
    Some(out)
}
