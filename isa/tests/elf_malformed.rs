//! Malformed ELF input: a table of hand-corrupted files, each refused with a specific error,
//! exhaustive truncation, and a bounded byte-mutation fuzz that only asks "no panic".

use std::sync::OnceLock;

use bitloom_isa::elf::{
    read_elf, read_elf_with, write_elf, ElfError, ImageError, LineTableError, ReadOptions,
};
use bitloom_isa::image::{Image, LineRow, LineTable, Section, SectionKind, Symbol, SymbolKind};
use bitloom_isa::{Instr, Opcode, Operand};
use proptest::prelude::*;

fn sample() -> Image {
    use Operand::*;
    let mut text = Vec::new();
    for (op, ops) in [
        (Opcode::Addi, vec![Gpr(1), Gpr(0), Imm(3)]),
        (Opcode::Dbnz, vec![Gpr(1), PcRel(0)]),
        (Opcode::Halt, vec![Gpr(0)]),
    ] {
        text.extend(
            Instr::new(op, &ops)
                .unwrap()
                .encode()
                .unwrap()
                .to_le_bytes(),
        );
    }
    let sym = |name: &str, value, kind, global, section| Symbol {
        name: name.into(),
        value,
        size: 4,
        kind,
        global,
        section,
    };
    Image {
        entry: 0x1000,
        sections: vec![
            Section {
                name: ".text".into(),
                kind: SectionKind::Text,
                addr: 0x1000,
                size: 12,
                data: text,
            },
            Section {
                name: ".rodata".into(),
                kind: SectionKind::Rodata,
                addr: 0x2000,
                size: 4,
                data: vec![1, 2, 3, 4],
            },
            Section {
                name: ".data".into(),
                kind: SectionKind::Data,
                addr: 0x3000,
                size: 4,
                data: vec![5, 6, 7, 8],
            },
            Section {
                name: ".bss".into(),
                kind: SectionKind::Bss,
                addr: 0x4000,
                size: 64,
                data: vec![],
            },
        ],
        symbols: vec![
            sym("lp", 0x1004, SymbolKind::Func, false, Some(0)),
            sym("_start", 0x1000, SymbolKind::Func, true, Some(0)),
            sym("word", 0x3000, SymbolKind::Object, true, Some(2)),
            sym("K", 7, SymbolKind::Absolute, true, None),
        ],
        lines: LineTable {
            files: vec!["a.s".into()],
            rows: vec![
                LineRow {
                    addr: 0x1000,
                    file: 0,
                    line: 1,
                    col: 1,
                },
                LineRow {
                    addr: 0x1004,
                    file: 0,
                    line: 2,
                    col: 1,
                },
            ],
        },
    }
}

fn valid() -> &'static [u8] {
    static BYTES: OnceLock<Vec<u8>> = OnceLock::new();
    BYTES.get_or_init(|| write_elf(&sample()).unwrap())
}

// --- tiny ELF32 field accessors for building corrupt files -----------------------------------

fn r16(b: &[u8], o: usize) -> u16 {
    u16::from_le_bytes([b[o], b[o + 1]])
}
fn r32(b: &[u8], o: usize) -> u32 {
    u32::from_le_bytes(b[o..o + 4].try_into().unwrap())
}
fn w16(b: &mut [u8], o: usize, v: u16) {
    b[o..o + 2].copy_from_slice(&v.to_le_bytes());
}
fn w32(b: &mut [u8], o: usize, v: u32) {
    b[o..o + 4].copy_from_slice(&v.to_le_bytes());
}
/// Offset of section header `i`.
fn sh(b: &[u8], i: usize) -> usize {
    r32(b, 32) as usize + 40 * i
}
/// Index of the section called `name`.
fn sec(b: &[u8], name: &str) -> usize {
    let shstr = sh(b, r16(b, 50) as usize);
    let base = r32(b, shstr + 16) as usize;
    (0..r16(b, 48) as usize)
        .find(|&i| {
            let off = base + r32(b, sh(b, i)) as usize;
            let end = off + b[off..].iter().position(|&c| c == 0).unwrap();
            &b[off..end] == name.as_bytes()
        })
        .unwrap_or_else(|| panic!("no section {name}"))
}
/// Offset of program header `i`.
fn ph(b: &[u8], i: usize) -> usize {
    r32(b, 28) as usize + 32 * i
}
/// Program header whose p_vaddr is `addr`.
fn ph_at(b: &[u8], addr: u32) -> usize {
    (0..r16(b, 44) as usize)
        .map(|i| ph(b, i))
        .find(|&o| r32(b, o + 8) == addr)
        .unwrap()
}
/// Offset of the symbol called `name` in `.symtab`.
fn symbol(b: &[u8], name: &str) -> usize {
    let st = sh(b, sec(b, ".symtab"));
    let strtab = r32(b, sh(b, r32(b, st + 24) as usize) + 16) as usize;
    let (off, size) = (r32(b, st + 16) as usize, r32(b, st + 20) as usize);
    (off..off + size)
        .step_by(16)
        .find(|&s| {
            let n = strtab + r32(b, s) as usize;
            b[n..].starts_with(name.as_bytes()) && b[n + name.len()] == 0
        })
        .unwrap()
}
/// File offset of the `.loom.lines` payload.
fn lines(b: &[u8]) -> usize {
    r32(b, sh(b, sec(b, ".loom.lines")) + 16) as usize
}

type Check = fn(&ElfError) -> bool;
type Case = (&'static str, Box<dyn Fn(&mut Vec<u8>)>, Check);

#[test]
fn table_of_malformed_files() {
    let cases: Vec<Case> = vec![
        ("class 64", Box::new(|b| b[4] = 2), |e| {
            matches!(e, ElfError::WrongClass { found: 2 })
        }),
        ("class none", Box::new(|b| b[4] = 0), |e| {
            matches!(e, ElfError::WrongClass { found: 0 })
        }),
        ("big endian", Box::new(|b| b[5] = 2), |e| {
            matches!(e, ElfError::WrongEndian { found: 2 })
        }),
        ("ident version", Box::new(|b| b[6] = 0), |e| {
            matches!(
                e,
                ElfError::BadVersion {
                    field: "EI_VERSION",
                    ..
                }
            )
        }),
        ("machine x86-64", Box::new(|b| w16(b, 18, 62)), |e| {
            matches!(e, ElfError::WrongMachine { found: 62 })
        }),
        ("type REL", Box::new(|b| w16(b, 16, 1)), |e| {
            matches!(e, ElfError::WrongType { found: 1 })
        }),
        ("type DYN", Box::new(|b| w16(b, 16, 3)), |e| {
            matches!(e, ElfError::WrongType { found: 3 })
        }),
        ("e_version", Box::new(|b| w32(b, 20, 0)), |e| {
            matches!(
                e,
                ElfError::BadVersion {
                    field: "e_version",
                    found: 0
                }
            )
        }),
        ("isa version", Box::new(|b| w32(b, 36, 2)), |e| {
            matches!(e, ElfError::IsaVersion { found: 2 })
        }),
        ("e_ehsize", Box::new(|b| w16(b, 40, 64)), |e| {
            matches!(
                e,
                ElfError::BadHeaderField {
                    field: "e_ehsize",
                    ..
                }
            )
        }),
        ("e_phentsize", Box::new(|b| w16(b, 42, 56)), |e| {
            matches!(
                e,
                ElfError::BadHeaderField {
                    field: "e_phentsize",
                    ..
                }
            )
        }),
        ("e_shentsize", Box::new(|b| w16(b, 46, 64)), |e| {
            matches!(
                e,
                ElfError::BadHeaderField {
                    field: "e_shentsize",
                    ..
                }
            )
        }),
        (
            "phoff past EOF",
            Box::new(|b| {
                let l = b.len() as u32;
                w32(b, 28, l)
            }),
            |e| matches!(e, ElfError::Truncated { .. }),
        ),
        ("phnum huge", Box::new(|b| w16(b, 44, 0xffff)), |e| {
            matches!(e, ElfError::Truncated { .. })
        }),
        (
            "shoff past EOF",
            Box::new(|b| w32(b, 32, 0xffff_fff0)),
            |e| matches!(e, ElfError::Truncated { .. }),
        ),
        ("shnum huge", Box::new(|b| w16(b, 48, 0xfff0)), |e| {
            matches!(e, ElfError::Truncated { .. })
        }),
        ("no sections", Box::new(|b| w32(b, 32, 0)), |e| {
            matches!(e, ElfError::NoSections)
        }),
        ("shstrndx out of range", Box::new(|b| w16(b, 50, 99)), |e| {
            matches!(e, ElfError::BadShstrndx { index: 99, .. })
        }),
        (
            "section name offset",
            Box::new(|b| {
                let o = sh(b, 1);
                w32(b, o, 0x7fff)
            }),
            |e| {
                matches!(
                    e,
                    ElfError::BadName {
                        what: "section",
                        index: 1,
                        ..
                    }
                )
            },
        ),
        (
            "section offset past EOF",
            Box::new(|b| {
                let l = b.len() as u32;
                let o = sh(b, sec(b, ".data"));
                w32(b, o + 16, l + 100)
            }),
            |e| matches!(e, ElfError::SectionOutsideFile { .. }),
        ),
        (
            "section size huge",
            Box::new(|b| {
                let o = sh(b, sec(b, ".loom.lines"));
                w32(b, o + 20, 0xffff_fff0)
            }),
            |e| matches!(e, ElfError::SectionOutsideFile { .. }),
        ),
        (
            "segment past EOF",
            Box::new(|b| {
                let o = ph_at(b, 0x1000);
                w32(b, o + 4, 0xffff_0000)
            }),
            |e| matches!(e, ElfError::SegmentOutsideFile { index: 0, .. }),
        ),
        (
            "filesz > memsz",
            Box::new(|b| {
                let o = ph_at(b, 0x2000);
                w32(b, o + 20, 1)
            }),
            |e| matches!(e, ElfError::SegmentFileSize { .. }),
        ),
        (
            "segment overflow",
            Box::new(|b| {
                let o = ph_at(b, 0x4000);
                w32(b, o + 8, 0xffff_fff0)
            }),
            |e| matches!(e, ElfError::SegmentOverflow { .. }),
        ),
        (
            "4 GiB bss",
            Box::new(|b| {
                let o = ph_at(b, 0x4000);
                w32(b, o + 20, 0xffff_0000);
                w32(b, o + 8, 0);
                let s = sh(b, sec(b, ".bss"));
                w32(b, s + 12, 0);
                w32(b, s + 20, 0xffff_0000);
            }),
            |e| matches!(e, ElfError::TooLarge { .. }),
        ),
        (
            "section not in a segment",
            Box::new(|b| {
                let o = ph_at(b, 0x1000);
                w32(b, o + 8, 0x8000)
            }),
            |e| matches!(e, ElfError::SectionNotLoaded { index: 1, .. }),
        ),
        (
            "segment maps other bytes",
            Box::new(|b| {
                let o = ph_at(b, 0x2000);
                let off = r32(b, o + 4);
                w32(b, o + 4, off - 4)
            }),
            |e| matches!(e, ElfError::SectionNotLoaded { .. }),
        ),
        (
            "overlapping sections",
            Box::new(|b| {
                let o = ph_at(b, 0x3000);
                w32(b, o + 8, 0x1008);
                let s = sh(b, sec(b, ".data"));
                w32(b, s + 12, 0x1008);
            }),
            |e| matches!(e, ElfError::Invalid(ImageError::Overlap { .. })),
        ),
        (
            "section address overflow",
            Box::new(|b| {
                let s = sh(b, sec(b, ".bss"));
                w32(b, s + 12, 0xffff_fff0)
            }),
            |e| matches!(e, ElfError::Invalid(ImageError::AddressOverflow { .. })),
        ),
        (
            "unsupported alloc type",
            Box::new(|b| {
                let s = sh(b, sec(b, ".rodata"));
                w32(b, s + 4, 7)
            }),
            |e| matches!(e, ElfError::UnsupportedSection { sh_type: 7, .. }),
        ),
        ("entry in data", Box::new(|b| w32(b, 24, 0x3000)), |e| {
            matches!(
                e,
                ElfError::Invalid(ImageError::EntryNotInText { entry: 0x3000 })
            )
        }),
        (
            "entry nowhere",
            Box::new(|b| w32(b, 24, 0xdead_0000)),
            |e| matches!(e, ElfError::Invalid(ImageError::EntryNotInText { .. })),
        ),
        ("entry misaligned", Box::new(|b| w32(b, 24, 0x1002)), |e| {
            matches!(
                e,
                ElfError::Invalid(ImageError::MisalignedEntry { entry: 0x1002 })
            )
        }),
        (
            "text misaligned",
            Box::new(|b| {
                let o = ph_at(b, 0x1000);
                w32(b, o + 8, 0x1002);
                let s = sh(b, sec(b, ".text"));
                w32(b, s + 12, 0x1002);
            }),
            |e| {
                matches!(
                    e,
                    ElfError::Invalid(ImageError::MisalignedText { addr: 0x1002, .. })
                )
            },
        ),
        (
            "symbol section missing",
            Box::new(|b| {
                let s = symbol(b, "_start");
                w16(b, s + 14, 40)
            }),
            |e| matches!(e, ElfError::BadSymbolSection { shndx: 40, .. }),
        ),
        (
            "symbol section not loadable",
            Box::new(|b| {
                let t = sec(b, ".symtab") as u16;
                let s = symbol(b, "word");
                w16(b, s + 14, t)
            }),
            |e| matches!(e, ElfError::BadSymbolSection { .. }),
        ),
        (
            "symbol section reserved",
            Box::new(|b| {
                let s = symbol(b, "word");
                w16(b, s + 14, 0xfff2)
            }),
            |e| matches!(e, ElfError::BadSymbolSection { shndx: 0xfff2, .. }),
        ),
        (
            "symbol undefined",
            Box::new(|b| {
                let s = symbol(b, "lp");
                w16(b, s + 14, 0)
            }),
            |e| matches!(e, ElfError::UndefinedSymbol { .. }),
        ),
        (
            "symbol outside section",
            Box::new(|b| {
                let s = symbol(b, "word");
                w32(b, s + 4, 0x3100)
            }),
            |e| {
                matches!(
                    e,
                    ElfError::Invalid(ImageError::SymbolOutsideSection { .. })
                )
            },
        ),
        (
            "symbol name offset",
            Box::new(|b| {
                let s = symbol(b, "word");
                w32(b, s, 0x10000)
            }),
            |e| matches!(e, ElfError::BadName { what: "symbol", .. }),
        ),
        (
            "symbol type TLS",
            Box::new(|b| {
                let s = symbol(b, "word");
                b[s + 12] = 0x16
            }),
            |e| {
                matches!(
                    e,
                    ElfError::UnsupportedSymbol {
                        what: "type",
                        value: 6,
                        ..
                    }
                )
            },
        ),
        (
            "symtab entsize",
            Box::new(|b| {
                let s = sh(b, sec(b, ".symtab"));
                w32(b, s + 36, 0)
            }),
            |e| matches!(e, ElfError::BadSymtab { .. }),
        ),
        (
            "symtab link",
            Box::new(|b| {
                let s = sh(b, sec(b, ".symtab"));
                w32(b, s + 24, 1)
            }),
            |e| matches!(e, ElfError::BadSymtab { .. }),
        ),
        (
            "lines magic",
            Box::new(|b| {
                let l = lines(b);
                b[l] = b'X'
            }),
            |e| matches!(e, ElfError::Lines(LineTableError::BadMagic { .. })),
        ),
        (
            "lines version",
            Box::new(|b| {
                let l = lines(b);
                w32(b, l + 4, 2)
            }),
            |e| matches!(e, ElfError::Lines(LineTableError::Version(2))),
        ),
        (
            "lines truncated",
            Box::new(|b| {
                let s = sh(b, sec(b, ".loom.lines"));
                let n = r32(b, s + 20);
                w32(b, s + 20, n - 3)
            }),
            |e| {
                matches!(
                    e,
                    ElfError::Lines(LineTableError::Truncated { what: "rows", .. })
                )
            },
        ),
        (
            "lines file count",
            Box::new(|b| {
                let l = lines(b);
                w32(b, l + 8, 0xffff_ffff)
            }),
            |e| matches!(e, ElfError::Lines(LineTableError::Truncated { .. })),
        ),
        (
            "lines row count",
            Box::new(|b| {
                let l = lines(b);
                w32(b, l + 16, 0x1000_0000)
            }),
            |e| {
                matches!(
                    e,
                    ElfError::Lines(LineTableError::Truncated { what: "rows", .. })
                )
            },
        ),
        (
            "lines file index",
            Box::new(|b| {
                let l = lines(b);
                w32(b, l + 20 + 4, 5)
            }),
            |e| {
                matches!(
                    e,
                    ElfError::Lines(LineTableError::FileIndex {
                        row: 0,
                        file: 5,
                        files: 1
                    })
                )
            },
        ),
        (
            "lines unsorted",
            Box::new(|b| {
                let l = lines(b);
                w32(b, l + 20, 0x2000)
            }),
            |e| matches!(e, ElfError::Lines(LineTableError::Unsorted { row: 1, .. })),
        ),
        (
            "lines trailing",
            Box::new(|b| {
                let s = sh(b, sec(b, ".loom.lines"));
                let n = r32(b, s + 20);
                w32(b, s + 20, n + 2)
            }),
            |e| matches!(e, ElfError::Lines(LineTableError::Trailing { count: 2 })),
        ),
    ];
    for (what, corrupt, check) in cases {
        let mut b = valid().to_vec();
        corrupt(&mut b);
        match read_elf(&b) {
            Err(e) => {
                assert!(check(&e), "{what}: unexpected error {e:?} ({e})");
                println!("{what:>28}: {e}");
                assert!(!e.to_string().is_empty());
            }
            Ok(_) => panic!("{what}: corrupt file was accepted"),
        }
    }
}

#[test]
fn not_elf() {
    for b in [
        &b""[..],
        b"\x7fEL",
        b"MZ\x90\0",
        b"\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0",
    ] {
        assert_eq!(read_elf(b), Err(ElfError::NotElf));
    }
}

#[test]
fn machine_error_message() {
    let mut b = valid().to_vec();
    w16(&mut b, 18, 243);
    let msg = read_elf(&b).unwrap_err().to_string();
    assert_eq!(
        msg,
        "wrong machine: expected 0x4c4d (Loom), found 0x00f3 (EM_RISCV)"
    );
    b[4] = 2;
    let msg = read_elf(&b).unwrap_err().to_string();
    assert!(
        msg.contains("32-bit") && msg.contains("ELFCLASS64"),
        "{msg}"
    );
}

#[test]
fn every_truncation_is_refused() {
    let b = valid();
    for n in 0..b.len() {
        match read_elf(&b[..n]) {
            Err(ElfError::NotElf) => assert!(n < 4, "cut at {n}"),
            Err(ElfError::Truncated { len, .. }) => assert_eq!(len, n as u64),
            other => panic!("cut at {n}: {other:?}"),
        }
    }
}

#[test]
fn memory_limit_is_checked_before_reading_sections() {
    let mut b = valid().to_vec();
    let o = ph_at(&b, 0x4000);
    w32(&mut b, o + 20, 0x8000_0000);
    let err = read_elf_with(&b, &ReadOptions { max_bytes: 1 << 20 }).unwrap_err();
    assert!(
        matches!(
            err,
            ElfError::TooLarge {
                what: "sum of PT_LOAD memory sizes",
                ..
            }
        ),
        "{err:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, failure_persistence: None, ..ProptestConfig::default() })]

    /// Random byte overwrites (biased towards the headers) and truncation never panic, and
    /// anything accepted can be written back and read again.
    #[test]
    fn mutated_files_never_panic(
        muts in prop::collection::vec((0u8..3, any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in prop::option::weighted(0.2, any::<prop::sample::Index>()),
    ) {
        let mut b = valid().to_vec();
        let shoff = r32(&b, 32) as usize;
        for (region, at, v) in muts {
            let i = match region {
                0 => at.index(52 + 32 * 4),
                1 => shoff + at.index(b.len() - shoff),
                _ => at.index(b.len()),
            };
            b[i] = v;
        }
        if let Some(cut) = cut {
            b.truncate(cut.index(b.len()));
        }
        if let Ok(img) = read_elf(&b) {
            let again = write_elf(&img).expect("accepted images are writable");
            let mut canon = img.clone();
            canon.symbols = img.symbols.iter().filter(|s| !s.global).chain(img.symbols.iter().filter(|s| s.global)).cloned().collect();
            prop_assert_eq!(read_elf(&again).unwrap(), canon);
            let file = bitloom_isa::disasm::ObjFile::from_elf(&img, &b).expect("a readable file has a section table");
            let all = bitloom_isa::disasm::ObjdumpOptions {
                file_header: true,
                headers: true,
                symbols: true,
                contents: true,
                disassemble: bitloom_isa::disasm::Disassemble::All,
                line_numbers: true,
                ..Default::default()
            };
            let _ = bitloom_isa::disasm::objdump(&file, &all);
            let _ = bitloom_isa::disasm::disassemble_to_source(&img);
        }
    }

    /// Arbitrary bytes behind a valid ELF32 LE identification never panic.
    #[test]
    fn random_bytes_never_panic(tail in prop::collection::vec(any::<u8>(), 0..400)) {
        let mut b = b"\x7fELF\x01\x01\x01\0\0\0\0\0\0\0\0\0".to_vec();
        b.extend(tail);
        let _ = read_elf(&b);
    }
}
