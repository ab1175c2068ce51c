//! [`write_elf`]: an [`Image`] as a Loom ELF32 executable, built with the `object` crate's
//! two-phase (reserve, then write) low-level ELF writer.

use object::elf as oe;
use object::write::elf::{
    FileHeader as OFileHeader, ProgramHeader as OProgramHeader, SectionHeader as OSectionHeader,
    Sym as OSym, Writer,
};

use super::lines::encode_line_table;
use super::validate::validate_image;
use super::{
    ElfWriteError, ImageError, EF_LOOM_ISA_VERSION, LINES_SECTION, SHF_ALLOC, SHF_EXECINSTR,
    SHF_WRITE, SHT_LOOM_LINES, SHT_NOBITS, SHT_PROGBITS,
};
use crate::image::{Image, SectionKind, Symbol, SymbolKind};
use crate::EM_LOOM;

fn section_flags(kind: SectionKind) -> u64 {
    match kind {
        SectionKind::Text => SHF_ALLOC | SHF_EXECINSTR,
        SectionKind::Rodata => SHF_ALLOC,
        SectionKind::Data | SectionKind::Bss => SHF_ALLOC | SHF_WRITE,
    }
}

fn segment_flags(kind: SectionKind) -> oe::ProgramFlags {
    match kind {
        SectionKind::Text => oe::PF_R | oe::PF_X,
        SectionKind::Rodata => oe::PF_R,
        SectionKind::Data | SectionKind::Bss => oe::PF_R | oe::PF_W,
    }
}

/// Largest power of two up to 4 that divides `addr` (used for `sh_addralign`).
fn natural_align(addr: u32) -> u64 {
    if addr & 3 == 0 {
        4
    } else if addr & 1 == 0 {
        2
    } else {
        1
    }
}

/// Write `img` as a Loom ELF32 executable (layout in docs/OBJECT.md).
///
/// The image is checked with [`validate_image`] first. Symbols are written local ones first
/// (as ELF requires), each group in image order; [`read_elf`](super::read_elf) returns them in file order.
pub fn write_elf(img: &Image) -> Result<Vec<u8>, ElfWriteError> {
    validate_image(img)?;
    let lines = encode_line_table(&img.lines).map_err(ImageError::from)?;
    let obj_err = |e: object::write::Error| ElfWriteError::Object(e.to_string());

    let mut buf = Vec::new();
    let mut w = Writer::new(object::Endianness::Little, false, &mut buf);

    // Phase 1: reserve file ranges, section indices and strings.
    w.reserve_file_header();
    let loads: Vec<usize> = (0..img.sections.len())
        .filter(|&i| img.sections[i].size > 0)
        .collect();
    w.reserve_program_headers(loads.len() as u32);

    let mut sec_names = Vec::with_capacity(img.sections.len());
    let mut sec_index = Vec::with_capacity(img.sections.len());
    for s in &img.sections {
        sec_names.push(w.add_section_name(s.name.as_bytes()));
        sec_index.push(w.reserve_section_index());
    }
    let lines_name = w.add_section_name(LINES_SECTION.as_bytes());
    w.reserve_section_index();
    w.reserve_symtab_section_index();
    w.reserve_strtab_section_index();
    w.reserve_shstrtab_section_index();

    // Section data: file offset congruent to the address modulo 4 (p_align = 4).
    let mut offsets = Vec::with_capacity(img.sections.len());
    for s in &img.sections {
        let cur = w.reserved_len();
        let off = cur + (u64::from(s.addr).wrapping_sub(cur) & 3);
        if s.kind != SectionKind::Bss {
            w.reserve_until(off);
            w.reserve(s.data.len() as u64, 1);
        }
        offsets.push(off);
    }
    let lines_off = w.reserve(lines.len() as u64, 1);

    let order: Vec<&Symbol> = img
        .symbols
        .iter()
        .filter(|s| !s.global)
        .chain(img.symbols.iter().filter(|s| s.global))
        .collect();
    let num_local = 1 + img.symbols.iter().filter(|s| !s.global).count() as u32;
    w.reserve_null_symbol_index();
    let mut sym_names = Vec::with_capacity(order.len());
    for s in &order {
        sym_names.push(w.add_string(s.name.as_bytes()));
        w.reserve_symbol_index(s.section.map(|i| sec_index[i]));
    }
    w.reserve_symtab();
    w.reserve_strtab().map_err(obj_err)?;
    w.reserve_shstrtab().map_err(obj_err)?;
    w.reserve_section_headers();

    // Phase 2: write everything in the same order.
    w.write_file_header(&OFileHeader {
        os_abi: oe::ELFOSABI_NONE,
        abi_version: 0,
        e_type: oe::ET_EXEC,
        e_machine: oe::Machine(EM_LOOM),
        e_entry: img.entry.into(),
        e_flags: oe::FileFlags(EF_LOOM_ISA_VERSION),
    })
    .map_err(obj_err)?;
    w.write_align_program_headers();
    for &i in &loads {
        let s = &img.sections[i];
        w.write_program_header(&OProgramHeader {
            p_type: oe::PT_LOAD,
            p_flags: segment_flags(s.kind),
            p_offset: offsets[i],
            p_vaddr: s.addr.into(),
            p_paddr: s.addr.into(),
            p_filesz: if s.kind == SectionKind::Bss {
                0
            } else {
                s.size.into()
            },
            p_memsz: s.size.into(),
            p_align: 4,
        });
    }
    for (i, s) in img.sections.iter().enumerate() {
        if s.kind != SectionKind::Bss {
            w.pad_until(offsets[i]);
            w.write(&s.data);
        }
    }
    w.pad_until(lines_off);
    w.write(&lines);

    w.write_null_symbol();
    for (s, name) in order.iter().zip(&sym_names) {
        let st_type = match s.kind {
            SymbolKind::Func => oe::STT_FUNC,
            SymbolKind::Object => oe::STT_OBJECT,
            SymbolKind::Absolute => oe::STT_NOTYPE,
        };
        let bind = if s.global {
            oe::STB_GLOBAL
        } else {
            oe::STB_LOCAL
        };
        w.write_symbol(&OSym {
            section: s.section.map(|i| sec_index[i].0),
            st_name: w.string_offset(Some(*name)),
            st_info: oe::SymbolInfo::new(bind, st_type),
            st_other: oe::SymbolOther(0),
            st_shndx: if s.section.is_some() {
                oe::SHN_UNDEF
            } else {
                oe::SHN_ABS
            },
            st_value: s.value.into(),
            st_size: s.size.into(),
        });
    }
    w.write_strtab();
    w.write_shstrtab();

    w.write_null_section_header();
    for (i, s) in img.sections.iter().enumerate() {
        let bss = s.kind == SectionKind::Bss;
        w.write_section_header(&OSectionHeader {
            sh_name: w.section_name_offset(Some(sec_names[i])),
            sh_type: oe::SectionType(if bss { SHT_NOBITS } else { SHT_PROGBITS }),
            sh_flags: oe::SectionFlags(section_flags(s.kind)),
            sh_addr: s.addr.into(),
            sh_offset: offsets[i],
            sh_size: s.size.into(),
            sh_link: 0,
            sh_info: 0,
            sh_addralign: natural_align(s.addr),
            sh_entsize: 0,
        });
    }
    w.write_section_header(&OSectionHeader {
        sh_name: w.section_name_offset(Some(lines_name)),
        sh_type: oe::SectionType(SHT_LOOM_LINES),
        sh_flags: oe::SectionFlags(0),
        sh_addr: 0,
        sh_offset: lines_off,
        sh_size: lines.len() as u64,
        sh_link: 0,
        sh_info: 0,
        sh_addralign: 1,
        sh_entsize: 0,
    });
    w.write_symtab_section_header(num_local);
    w.write_strtab_section_header();
    w.write_shstrtab_section_header();
    drop(w);
    Ok(buf)
}
