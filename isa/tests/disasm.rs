//! Disassembler: golden objdump listings of a hand-built image, symbolisation and illegal
//! words, source interleaving, and the re-assemblable source form.

use std::path::PathBuf;

use bitloom_isa::disasm::{disassemble_to_source, objdump, ObjdumpOptions};
use bitloom_isa::elf::{read_elf, write_elf};
use bitloom_isa::image::{Image, LineRow, LineTable, Section, SectionKind, SymbolKind};
use bitloom_isa::{Opcode, Operand};

mod common;
use common::{sym, word};

/// A small kernel: a loop, a call, a tile op, an illegal word, data and bss.
fn image() -> Image {
    use Operand::*;
    let mut text = Vec::new();
    // 0x1000 _start
    text.extend(word(Opcode::Addi, &[Gpr(1), Gpr(0), Imm(4)]));
    text.extend(word(Opcode::Lui, &[Gpr(3), Imm(1)]));
    // 0x1008 loop
    text.extend(word(Opcode::Lw, &[Gpr(4), Mem { disp: 0, base: 3 }]));
    text.extend(word(Opcode::Add, &[Gpr(2), Gpr(2), Gpr(4)]));
    text.extend(word(Opcode::Addi, &[Gpr(3), Gpr(3), Imm(4)]));
    text.extend(word(Opcode::Dbnz, &[Gpr(1), PcRel(-12)]));
    text.extend(word(Opcode::Jal, &[Gpr(1), PcRel(16)]));
    text.extend(word(Opcode::Bne, &[Gpr(2), Gpr(0), PcRel(-16)]));
    text.extend(word(
        Opcode::Tdef,
        &[
            Tile(1),
            Space(bitloom_isa::Space::Wsp),
            Gpr(5),
            Gpr(6),
            Gpr(7),
        ],
    ));
    text.extend(0xffff_ffffu32.to_le_bytes());
    // 0x1028 done
    text.extend(word(Opcode::Halt, &[Gpr(2)]));
    let rodata = b"Loom says hi!\0\x01\x02\x03\x04\x05\x06\x07\x08\x7f\x80".to_vec();
    Image {
        entry: 0x1000,
        sections: vec![
            Section {
                name: ".text".into(),
                kind: SectionKind::Text,
                addr: 0x1000,
                size: text.len() as u32,
                data: text,
            },
            Section {
                name: ".rodata".into(),
                kind: SectionKind::Rodata,
                addr: 0x2000,
                size: rodata.len() as u32,
                data: rodata,
            },
            Section {
                name: ".data".into(),
                kind: SectionKind::Data,
                addr: 0x2100,
                size: 8,
                data: vec![1, 0, 0, 0, 2, 0, 0, 0],
            },
            Section {
                name: ".bss".into(),
                kind: SectionKind::Bss,
                addr: 0x3000,
                size: 64,
                data: vec![],
            },
        ],
        symbols: vec![
            sym("_start", 0x1000, 0x2c, SymbolKind::Func, true, Some(0)),
            sym("loop", 0x1008, 0, SymbolKind::Func, false, Some(0)),
            sym("done", 0x1028, 0, SymbolKind::Func, false, Some(0)),
            sym("greeting", 0x2000, 14, SymbolKind::Object, true, Some(1)),
            sym("pair", 0x2100, 8, SymbolKind::Object, false, Some(2)),
            sym("scratch", 0x3000, 64, SymbolKind::Object, true, Some(3)),
            sym("COUNT", 4, 0, SymbolKind::Absolute, true, None),
        ],
        lines: LineTable {
            files: vec!["kernel.s".into()],
            rows: (0..11)
                .map(|i| LineRow {
                    addr: 0x1000 + 4 * i,
                    file: 0,
                    line: 3 + i,
                    col: 5,
                })
                .collect(),
        },
    }
}

/// Compare with a golden file; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (run with UPDATE_GOLDEN=1 to create it)",
            path.display()
        )
    });
    assert!(
        expected == actual,
        "{} differs from the golden file:\n--- expected\n{expected}\n--- actual\n{actual}",
        path.display()
    );
}

#[test]
fn objdump_golden() {
    let opts = ObjdumpOptions {
        file_name: Some("kernel.elf".into()),
        symbols: true,
        ..Default::default()
    };
    golden("objdump_basic.txt", &objdump(&image(), &opts));
}

#[test]
fn objdump_golden_with_source() {
    let dir = std::env::temp_dir().join(format!("bitloom-disasm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src: String = (1..=14)
        .map(|i| format!("    ; source line {i}\n"))
        .collect();
    std::fs::write(dir.join("kernel.s"), src).unwrap();
    let opts = ObjdumpOptions {
        source: true,
        line_numbers: true,
        source_dir: Some(dir.clone()),
        contents: false,
        ..Default::default()
    };
    let out = objdump(&image(), &opts);
    let _ = std::fs::remove_dir_all(&dir);
    golden("objdump_source.txt", &out);
}

#[test]
fn missing_source_is_skipped() {
    let opts = ObjdumpOptions {
        source: true,
        source_dir: Some("/nonexistent/dir".into()),
        ..Default::default()
    };
    let with = objdump(&image(), &opts);
    let without = objdump(&image(), &ObjdumpOptions::default());
    assert_eq!(with, without);
}

#[test]
fn branch_targets_are_addresses_with_symbolic_comments() {
    let out = objdump(&image(), &ObjdumpOptions::default());
    let line = out.lines().find(|l| l.contains("dbnz")).unwrap();
    assert!(
        line.contains("dbnz r1, 0x1008") && line.ends_with("; <loop>"),
        "{line}"
    );
    let line = out.lines().find(|l| l.contains("bne")).unwrap();
    assert!(
        line.contains("bne r2, r0, 0x100c") && line.ends_with("; <loop+0x4>"),
        "{line}"
    );
    let line = out.lines().find(|l| l.contains(".word")).unwrap();
    assert!(
        line.contains(".word 0xffffffff") && line.contains("; illegal: opcode 0xff is not defined"),
        "{line}"
    );
}

#[test]
fn objdump_of_a_read_back_file_matches() {
    // The listing depends only on the image, so an ELF round trip gives the same text
    // (symbols come back locals-first, which does not change block headers or comments).
    let img = image();
    let back = read_elf(&write_elf(&img).unwrap()).unwrap();
    assert_eq!(
        objdump(&back, &ObjdumpOptions::default()),
        objdump(&img, &ObjdumpOptions::default())
    );
}

#[test]
fn source_golden() {
    golden("source_basic.s", &disassemble_to_source(&image()));
}

#[test]
fn source_writes_targets_relative_to_labels() {
    let s = disassemble_to_source(&image());
    assert!(s.contains("    dbnz r1, loop\n"), "{s}");
    assert!(s.contains("    jal r1, done\n"), "{s}");
    assert!(s.contains("    bne r2, r0, loop+0x4\n"), "{s}");
    assert!(s.contains("    .equ COUNT, 0x4\n"), "{s}");
    assert!(s.contains("    .space 64\n"), "{s}");
}

#[test]
fn source_lists_every_decodable_word_as_an_instruction() {
    // Re-assembly itself is tested by the assembler crate; here: 11 words, 1 illegal.
    let s = disassemble_to_source(&image());
    let n = s
        .lines()
        .filter(|l| {
            l.starts_with("    ")
                && bitloom_isa::table::by_mnemonic(l.trim().split(' ').next().unwrap()).is_some()
        })
        .count();
    assert_eq!(n, 10);
}
