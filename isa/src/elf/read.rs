//! [`read_elf`]: a Loom ELF32 executable back into an [`Image`], refusing anything malformed.
//!
//! `goblin` parses the fixed-size structures; every offset, size and count is checked here
//! before `goblin` sees it, so reading never panics and allocates no more than the file's own
//! bytes justify. [`read_elf_with`] runs one function per step, in the order in which their
//! errors take precedence:
//!
//! 1. `check_ident`: magic, class, byte order, identification version.
//! 2. `check_header`: machine, type, version, ISA version, header size.
//! 3. `program_headers`: the program header table lies in the file.
//! 4. `check_section_table`: the section header table exists and lies in the file (checked
//!    before the segments so that a truncated file, whose table is last, reports truncation).
//! 5. `check_segments`: every `PT_LOAD` lies in the file and in the 32-bit address space, and
//!    their memory sizes stay under [`ReadOptions::max_bytes`].
//! 6. `section_headers`, `section_names`: the headers parse, names resolve, bytes lie in the
//!    file.
//! 7. `loadable_sections`: allocated sections become image sections, each mapped by a segment.
//! 8. `symbols`: the symbol table.
//! 9. `line_table`: `.loom.lines`.
//! 10. [`validate_image`] on the assembled image.

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::{Header, ProgramHeader, SectionHeader, Sym};

use super::lines::decode_line_table;
use super::validate::validate_image;
use super::{
    ElfError, ElfSection, ImageError, LineTableError, ReadOptions, ADDR_SPACE, EF_LOOM_ISA_VERSION,
    EHDR_SIZE, ET_EXEC, LINES_SECTION, PHDR_SIZE, PT_LOAD, SHDR_SIZE, SHF_ALLOC, SHF_EXECINSTR,
    SHF_WRITE, SHN_ABS, SHN_LORESERVE, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, SHT_STRTAB, SHT_SYMTAB,
    STB_GLOBAL, STB_LOCAL, STB_WEAK, STT_FILE, STT_FUNC, STT_NOTYPE, STT_OBJECT, STT_SECTION,
    SYM_SIZE,
};
use crate::image::{Image, LineTable, Section, SectionKind, Symbol, SymbolKind};
use crate::EM_LOOM;

/// Read a Loom ELF executable with the default [`ReadOptions`].
pub fn read_elf(bytes: &[u8]) -> Result<Image, ElfError> {
    read_elf_with(bytes, &ReadOptions::default())
}

/// Read a Loom ELF executable, refusing anything malformed (see [`ElfError`]).
pub fn read_elf_with(bytes: &[u8], opts: &ReadOptions) -> Result<Image, ElfError> {
    check_ident(bytes)?;
    let h = check_header(bytes)?;
    let ctx = Ctx::new(Container::Little, Endian::Little);
    let phdrs = program_headers(bytes, &h, ctx)?;
    check_section_table(bytes, &h)?;
    check_segments(bytes, &phdrs, opts)?;
    let shdrs = section_headers(bytes, &h, ctx)?;
    let names = section_names(bytes, &h, &shdrs)?;
    let (sections, map) = loadable_sections(bytes, &shdrs, &names, &phdrs, opts)?;
    let symbols = symbols(bytes, &shdrs, &names, &map, &sections, ctx)?;
    let lines = line_table(bytes, &shdrs, &names)?;
    let img = Image {
        entry: to_u32(h.e_entry),
        sections,
        symbols,
        lines,
    };
    validate_image(&img)?;
    Ok(img)
}

/// The section header table of a Loom ELF file, as `objdump -h` lists it: every section
/// except the null one, in file order, with its name, type, flags, address, file offset,
/// size and alignment. Runs the reader's steps 1, 2, 4 and 6 (identification, header,
/// section table, names and contents in the file); it does not read the image, so call
/// [`read_elf`] too for the program itself.
pub fn read_section_headers(bytes: &[u8]) -> Result<Vec<ElfSection>, ElfError> {
    check_ident(bytes)?;
    let h = check_header(bytes)?;
    let ctx = Ctx::new(Container::Little, Endian::Little);
    check_section_table(bytes, &h)?;
    let shdrs = section_headers(bytes, &h, ctx)?;
    let names = section_names(bytes, &h, &shdrs)?;
    Ok(shdrs
        .iter()
        .zip(names)
        .skip(1)
        .map(|(sh, name)| ElfSection {
            name: name.to_string(),
            sh_type: sh.sh_type,
            flags: sh.sh_flags,
            addr: sh.sh_addr,
            offset: sh.sh_offset,
            size: sh.sh_size,
            align: sh.sh_addralign,
            contents: contents(bytes, sh).to_vec(),
        })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

fn parse_err(e: goblin::error::Error) -> ElfError {
    ElfError::Parse(e.to_string())
}

/// Check that `start..start+size` lies within the file.
fn need(bytes: &[u8], what: &'static str, start: u64, size: u64) -> Result<(), ElfError> {
    let len = bytes.len() as u64;
    match start.checked_add(size) {
        Some(end) if end <= len => Ok(()),
        end => Err(ElfError::Truncated {
            what,
            start,
            end: end.unwrap_or(u64::MAX),
            len,
        }),
    }
}

/// NUL-terminated UTF-8 string at `off` in `table`.
fn c_str(table: &[u8], off: u64) -> Option<&str> {
    let rest = table.get(usize::try_from(off).ok()?..)?;
    let n = rest.iter().position(|&b| b == 0)?;
    std::str::from_utf8(&rest[..n]).ok()
}

/// The file bytes of a non-NOBITS section whose range was already checked.
fn contents<'a>(bytes: &'a [u8], sh: &SectionHeader) -> &'a [u8] {
    if sh.sh_type == SHT_NOBITS {
        return &[];
    }
    let (Ok(start), Ok(size)) = (usize::try_from(sh.sh_offset), usize::try_from(sh.sh_size)) else {
        return &[];
    };
    start
        .checked_add(size)
        .and_then(|end| bytes.get(start..end))
        .unwrap_or(&[])
}

fn to_u32(v: u64) -> u32 {
    // ELF32 fields are 32-bit; goblin widens them to u64 without changing the value.
    u32::try_from(v).unwrap_or(u32::MAX)
}

// ---------------------------------------------------------------------------------------------
// Steps
// ---------------------------------------------------------------------------------------------

/// Step 1: `\x7fELF`, ELFCLASS32, little-endian, `EI_VERSION` 1.
fn check_ident(bytes: &[u8]) -> Result<(), ElfError> {
    if bytes.len() < 4 || bytes[..4] != *b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    need(bytes, "the ELF identification", 0, 16)?;
    if bytes[4] != 1 {
        return Err(ElfError::WrongClass { found: bytes[4] });
    }
    if bytes[5] != 1 {
        return Err(ElfError::WrongEndian { found: bytes[5] });
    }
    if bytes[6] != 1 {
        return Err(ElfError::BadVersion {
            field: "EI_VERSION",
            found: bytes[6].into(),
        });
    }
    Ok(())
}

/// Step 2: the file header is present and describes a Loom executable of our ISA version.
fn check_header(bytes: &[u8]) -> Result<Header, ElfError> {
    need(bytes, "the ELF header", 0, EHDR_SIZE)?;
    let h: Header = goblin::elf::Elf::parse_header(bytes).map_err(parse_err)?;
    if h.e_machine != EM_LOOM {
        return Err(ElfError::WrongMachine { found: h.e_machine });
    }
    if h.e_type != ET_EXEC {
        return Err(ElfError::WrongType { found: h.e_type });
    }
    if h.e_version != 1 {
        return Err(ElfError::BadVersion {
            field: "e_version",
            found: h.e_version,
        });
    }
    if h.e_flags != EF_LOOM_ISA_VERSION {
        return Err(ElfError::IsaVersion { found: h.e_flags });
    }
    if u64::from(h.e_ehsize) != EHDR_SIZE {
        return Err(ElfError::BadHeaderField {
            field: "e_ehsize",
            found: h.e_ehsize.into(),
            expected: EHDR_SIZE,
        });
    }
    Ok(h)
}

/// Step 3: the program header table (entry size, extent in the file), parsed.
fn program_headers(bytes: &[u8], h: &Header, ctx: Ctx) -> Result<Vec<ProgramHeader>, ElfError> {
    if h.e_phnum > 0 && u64::from(h.e_phentsize) != PHDR_SIZE {
        return Err(ElfError::BadHeaderField {
            field: "e_phentsize",
            found: h.e_phentsize.into(),
            expected: PHDR_SIZE,
        });
    }
    let phnum = u64::from(h.e_phnum);
    need(
        bytes,
        "the program header table",
        h.e_phoff,
        phnum * PHDR_SIZE,
    )?;
    ProgramHeader::parse(bytes, h.e_phoff as usize, h.e_phnum as usize, ctx).map_err(parse_err)
}

/// Step 4: a section header table exists, has the ELF32 entry size and lies in the file.
fn check_section_table(bytes: &[u8], h: &Header) -> Result<(), ElfError> {
    if h.e_shoff == 0 || h.e_shnum == 0 {
        return Err(ElfError::NoSections);
    }
    if u64::from(h.e_shentsize) != SHDR_SIZE {
        return Err(ElfError::BadHeaderField {
            field: "e_shentsize",
            found: h.e_shentsize.into(),
            expected: SHDR_SIZE,
        });
    }
    need(
        bytes,
        "the section header table",
        h.e_shoff,
        u64::from(h.e_shnum) * SHDR_SIZE,
    )
}

/// Step 5: every `PT_LOAD` segment's file bytes lie in the file, its file size does not
/// exceed its memory size, it ends inside the 32-bit address space, and the memory sizes of
/// all of them add up to at most `opts.max_bytes`.
fn check_segments(
    bytes: &[u8],
    phdrs: &[ProgramHeader],
    opts: &ReadOptions,
) -> Result<(), ElfError> {
    let len = bytes.len() as u64;
    let mut total_mem = 0u64;
    for (index, ph) in phdrs.iter().enumerate() {
        if ph.p_type != PT_LOAD {
            continue;
        }
        match ph.p_offset.checked_add(ph.p_filesz) {
            Some(end) if end <= len => {}
            end => {
                return Err(ElfError::SegmentOutsideFile {
                    index,
                    offset: ph.p_offset,
                    end: end.unwrap_or(u64::MAX),
                    len,
                })
            }
        }
        if ph.p_filesz > ph.p_memsz {
            return Err(ElfError::SegmentFileSize {
                index,
                filesz: ph.p_filesz,
                memsz: ph.p_memsz,
            });
        }
        if ph.p_vaddr.saturating_add(ph.p_memsz) > ADDR_SPACE {
            return Err(ElfError::SegmentOverflow {
                index,
                vaddr: ph.p_vaddr,
                memsz: ph.p_memsz,
            });
        }
        total_mem = total_mem.saturating_add(ph.p_memsz);
    }
    if total_mem > opts.max_bytes {
        return Err(ElfError::TooLarge {
            what: "sum of PT_LOAD memory sizes",
            total: total_mem,
            max: opts.max_bytes,
        });
    }
    Ok(())
}

/// Step 6a: the section headers (their table was checked by step 4).
fn section_headers(bytes: &[u8], h: &Header, ctx: Ctx) -> Result<Vec<SectionHeader>, ElfError> {
    let shnum = usize::from(h.e_shnum);
    let shdrs = SectionHeader::parse(bytes, h.e_shoff as usize, shnum, ctx).map_err(parse_err)?;
    if shdrs.len() != shnum {
        return Err(ElfError::Parse(format!(
            "expected {shnum} section headers, goblin returned {}",
            shdrs.len()
        )));
    }
    Ok(shdrs)
}

/// The bytes of section `index` (unless it is NOBITS or NULL) lie in the file.
fn check_in_file(
    bytes: &[u8],
    index: usize,
    name: &str,
    sh: &SectionHeader,
) -> Result<(), ElfError> {
    if sh.sh_type == SHT_NOBITS || sh.sh_type == 0 {
        return Ok(());
    }
    let len = bytes.len() as u64;
    match sh.sh_offset.checked_add(sh.sh_size) {
        Some(end) if end <= len => Ok(()),
        end => Err(ElfError::SectionOutsideFile {
            index,
            name: name.to_string(),
            offset: sh.sh_offset,
            end: end.unwrap_or(u64::MAX),
            len,
        }),
    }
}

/// Step 6b: the section name table is a valid index whose bytes lie in the file; every
/// section's name resolves in it, and every section's bytes lie in the file. Returns the
/// names by section index (`""` for the null section).
fn section_names<'a>(
    bytes: &'a [u8],
    h: &Header,
    shdrs: &[SectionHeader],
) -> Result<Vec<&'a str>, ElfError> {
    let shnum = shdrs.len();
    let shstrndx = usize::from(h.e_shstrndx);
    if shstrndx == 0 || shstrndx >= shnum {
        return Err(ElfError::BadShstrndx {
            index: h.e_shstrndx,
            count: shnum,
        });
    }
    check_in_file(bytes, shstrndx, ".shstrtab", &shdrs[shstrndx])?;
    let shstr = contents(bytes, &shdrs[shstrndx]);
    let mut names = Vec::with_capacity(shnum);
    for (index, sh) in shdrs.iter().enumerate() {
        let name = if index == 0 {
            ""
        } else {
            c_str(shstr, sh.sh_name as u64).ok_or(ElfError::BadName {
                what: "section",
                index,
                offset: sh.sh_name as u64,
            })?
        };
        check_in_file(bytes, index, name, sh)?;
        names.push(name);
    }
    Ok(names)
}

/// The image section kind of an allocated section, from its type and flags.
fn section_kind(index: usize, name: &str, sh: &SectionHeader) -> Result<SectionKind, ElfError> {
    Ok(match sh.sh_type {
        SHT_NOBITS => SectionKind::Bss,
        SHT_PROGBITS if sh.sh_flags & SHF_EXECINSTR != 0 => SectionKind::Text,
        SHT_PROGBITS if sh.sh_flags & SHF_WRITE != 0 => SectionKind::Data,
        SHT_PROGBITS => SectionKind::Rodata,
        other => {
            return Err(ElfError::UnsupportedSection {
                index,
                name: name.to_string(),
                sh_type: other,
            })
        }
    })
}

/// Whether some `PT_LOAD` segment maps all of a non-empty section: its addresses lie in the
/// segment's file part (memory part for bss) at the matching file offset.
fn covered_by_segment(phdrs: &[ProgramHeader], kind: SectionKind, sh: &SectionHeader) -> bool {
    phdrs.iter().any(|ph| {
        let seg_end = if kind == SectionKind::Bss {
            ph.p_vaddr + ph.p_memsz
        } else {
            ph.p_vaddr + ph.p_filesz
        };
        ph.p_type == PT_LOAD
            && ph.p_vaddr <= sh.sh_addr
            && sh.sh_addr + sh.sh_size <= seg_end
            && (kind == SectionKind::Bss
                || i128::from(sh.sh_offset) - i128::from(ph.p_offset)
                    == i128::from(sh.sh_addr) - i128::from(ph.p_vaddr))
    })
}

/// Step 7: every allocated section becomes an image [`Section`] (PROGBITS or NOBITS only,
/// inside 32 bits, total size bounded, mapped by a segment). Returns the sections and, per
/// ELF section index, the image section index.
fn loadable_sections(
    bytes: &[u8],
    shdrs: &[SectionHeader],
    names: &[&str],
    phdrs: &[ProgramHeader],
    opts: &ReadOptions,
) -> Result<(Vec<Section>, Vec<Option<usize>>), ElfError> {
    let mut map: Vec<Option<usize>> = vec![None; shdrs.len()];
    let mut sections = Vec::new();
    let mut total_sec = 0u64;
    for (index, sh) in shdrs.iter().enumerate().skip(1) {
        if sh.sh_flags & SHF_ALLOC == 0 {
            continue;
        }
        let kind = section_kind(index, names[index], sh)?;
        if sh.sh_addr.saturating_add(sh.sh_size) > ADDR_SPACE {
            return Err(ImageError::AddressOverflow {
                name: names[index].to_string(),
                addr: sh.sh_addr,
                size: sh.sh_size,
            }
            .into());
        }
        total_sec = total_sec.saturating_add(sh.sh_size);
        if total_sec > opts.max_bytes {
            return Err(ElfError::TooLarge {
                what: "sum of allocated section sizes",
                total: total_sec,
                max: opts.max_bytes,
            });
        }
        if sh.sh_size > 0 && !covered_by_segment(phdrs, kind, sh) {
            return Err(ElfError::SectionNotLoaded {
                index,
                name: names[index].to_string(),
                addr: sh.sh_addr,
            });
        }
        map[index] = Some(sections.len());
        sections.push(Section {
            name: names[index].to_string(),
            kind,
            addr: to_u32(sh.sh_addr),
            size: to_u32(sh.sh_size),
            data: if kind == SectionKind::Bss {
                Vec::new()
            } else {
                contents(bytes, sh).to_vec()
            },
        });
    }
    Ok((sections, map))
}

/// The single `SHT_SYMTAB` section, if any, with its header checked (entry size, size, a
/// string-table link). Returns its header and its string table's bytes.
fn symtab<'a, 'h>(
    bytes: &'a [u8],
    shdrs: &'h [SectionHeader],
) -> Result<Option<(&'h SectionHeader, &'a [u8])>, ElfError> {
    let mut symtabs = shdrs
        .iter()
        .enumerate()
        .filter(|(_, sh)| sh.sh_type == SHT_SYMTAB);
    let symtab = symtabs.next();
    if symtabs.next().is_some() {
        return Err(ElfError::BadSymtab {
            reason: "more than one SHT_SYMTAB section".into(),
        });
    }
    let Some((st_index, st)) = symtab else {
        return Ok(None);
    };
    if st.sh_entsize != SYM_SIZE {
        return Err(ElfError::BadSymtab {
            reason: format!("sh_entsize is {}, expected {SYM_SIZE}", st.sh_entsize),
        });
    }
    if st.sh_size % SYM_SIZE != 0 {
        return Err(ElfError::BadSymtab {
            reason: format!(
                "size {} is not a multiple of the entry size {SYM_SIZE}",
                st.sh_size
            ),
        });
    }
    let link = st.sh_link as usize;
    if link == 0 || link >= shdrs.len() || shdrs[link].sh_type != SHT_STRTAB {
        return Err(ElfError::BadSymtab {
            reason: format!(
                "section {st_index} links to section {link}, which is not a string table"
            ),
        });
    }
    Ok(Some((st, contents(bytes, &shdrs[link]))))
}

/// Step 8: the symbol table's named `NOTYPE`/`OBJECT`/`FUNC` symbols (section and file
/// symbols and unnamed ones are skipped), each absolute or defined in a loadable section.
fn symbols(
    bytes: &[u8],
    shdrs: &[SectionHeader],
    names: &[&str],
    map: &[Option<usize>],
    sections: &[Section],
    ctx: Ctx,
) -> Result<Vec<Symbol>, ElfError> {
    let mut symbols = Vec::new();
    let Some((st, strtab)) = symtab(bytes, shdrs)? else {
        return Ok(symbols);
    };
    let count = (st.sh_size / SYM_SIZE) as usize;
    let syms = Sym::parse(bytes, st.sh_offset as usize, count, ctx).map_err(parse_err)?;
    for (index, s) in syms.iter().enumerate().skip(1) {
        let st_type = s.st_type();
        if st_type == STT_SECTION || st_type == STT_FILE {
            continue;
        }
        let name = c_str(strtab, s.st_name as u64).ok_or(ElfError::BadName {
            what: "symbol",
            index,
            offset: s.st_name as u64,
        })?;
        if name.is_empty() {
            continue;
        }
        symbols.push(symbol(index, name, s, names, map, sections)?);
    }
    Ok(symbols)
}

/// One named symbol of step 8: type and binding supported, section index absolute or a
/// loadable section.
fn symbol(
    index: usize,
    name: &str,
    s: &Sym,
    names: &[&str],
    map: &[Option<usize>],
    sections: &[Section],
) -> Result<Symbol, ElfError> {
    let st_type = s.st_type();
    let unsupported = |what, value| ElfError::UnsupportedSymbol {
        index,
        name: name.to_string(),
        what,
        value,
    };
    if !matches!(st_type, STT_NOTYPE | STT_OBJECT | STT_FUNC) {
        return Err(unsupported("type", st_type));
    }
    let global = match s.st_bind() {
        STB_LOCAL => false,
        STB_GLOBAL | STB_WEAK => true,
        b => return Err(unsupported("binding", b)),
    };
    let bad_section = |reason: String| ElfError::BadSymbolSection {
        index,
        name: name.to_string(),
        shndx: s.st_shndx,
        reason,
    };
    let shnum = names.len();
    let (kind, section) = match s.st_shndx {
        SHN_UNDEF => {
            return Err(ElfError::UndefinedSymbol {
                index,
                name: name.to_string(),
            })
        }
        SHN_ABS => (SymbolKind::Absolute, None),
        i if i >= SHN_LORESERVE => {
            return Err(bad_section(format!(
                "is a reserved index (0x{i:04x}) Loom does not use"
            )))
        }
        i if i >= shnum => {
            return Err(bad_section(format!(
                "does not exist (the file has {shnum} sections)"
            )))
        }
        i => {
            let Some(sec) = map[i] else {
                return Err(bad_section(format!(
                    "is not a loadable section (`{}`)",
                    names[i]
                )));
            };
            let kind = match st_type {
                STT_FUNC => SymbolKind::Func,
                STT_OBJECT => SymbolKind::Object,
                _ if sections[sec].kind == SectionKind::Text => SymbolKind::Func,
                _ => SymbolKind::Object,
            };
            (kind, Some(sec))
        }
    };
    Ok(Symbol {
        name: name.to_string(),
        value: to_u32(s.st_value),
        size: to_u32(s.st_size),
        kind,
        global,
        section,
    })
}

/// Step 9: the `.loom.lines` section decoded, or an empty table if there is none.
fn line_table(
    bytes: &[u8],
    shdrs: &[SectionHeader],
    names: &[&str],
) -> Result<LineTable, ElfError> {
    Ok(
        match shdrs
            .iter()
            .enumerate()
            .find(|(i, _)| names[*i] == LINES_SECTION)
        {
            Some((_, sh)) if sh.sh_type == SHT_NOBITS => {
                return Err(LineTableError::BadMagic { found: Vec::new() }.into())
            }
            Some((_, sh)) => decode_line_table(contents(bytes, sh))?,
            None => LineTable::default(),
        },
    )
}
