//! Disassembler: golden objdump listings of a hand-built image, symbolisation and illegal
//! words, source interleaving, and the re-assemblable source form.

use std::path::PathBuf;

use bitloom_isa::disasm::{disassemble_to_source, objdump, Disassemble, ObjFile, ObjdumpOptions};
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

/// Options with the file name every golden listing uses.
fn opts() -> ObjdumpOptions {
    ObjdumpOptions {
        file_name: "kernel.elf".into(),
        ..Default::default()
    }
}

/// The listing of the test image, laid out as the ELF writer writes it.
fn dump(o: &ObjdumpOptions) -> String {
    let img = image();
    objdump(&ObjFile::from_image(&img).unwrap(), o)
}

/// One golden listing per GNU switch (and a few combinations), of the same small program.
#[test]
fn objdump_golden_per_switch() {
    let cases: Vec<(&str, ObjdumpOptions)> = vec![
        (
            "f",
            ObjdumpOptions {
                file_header: true,
                ..opts()
            },
        ),
        (
            "h",
            ObjdumpOptions {
                headers: true,
                ..opts()
            },
        ),
        (
            "t",
            ObjdumpOptions {
                symbols: true,
                ..opts()
            },
        ),
        (
            "s",
            ObjdumpOptions {
                contents: true,
                ..opts()
            },
        ),
        (
            "d",
            ObjdumpOptions {
                disassemble: Disassemble::Code,
                ..opts()
            },
        ),
        (
            "D",
            ObjdumpOptions {
                disassemble: Disassemble::All,
                ..opts()
            },
        ),
        (
            "l",
            ObjdumpOptions {
                disassemble: Disassemble::Code,
                line_numbers: true,
                ..opts()
            },
        ),
        (
            "j_data",
            ObjdumpOptions {
                headers: true,
                symbols: true,
                contents: true,
                disassemble: Disassemble::All,
                sections: vec![".data".into()],
                ..opts()
            },
        ),
        (
            "range",
            ObjdumpOptions {
                contents: true,
                disassemble: Disassemble::All,
                start_address: Some(0x100c),
                stop_address: Some(0x2008),
                ..opts()
            },
        ),
        (
            "fhtsd",
            ObjdumpOptions {
                file_header: true,
                headers: true,
                symbols: true,
                contents: true,
                disassemble: Disassemble::Code,
                ..opts()
            },
        ),
    ];
    for (name, o) in cases {
        golden(&format!("objdump_{name}.txt"), &dump(&o));
    }
}

#[test]
fn objdump_golden_with_source() {
    let dir = std::env::temp_dir().join(format!("bitloom-disasm-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src: String = (1..=14)
        .map(|i| format!("    ; source line {i}\n"))
        .collect();
    std::fs::write(dir.join("kernel.s"), src).unwrap();
    let o = ObjdumpOptions {
        disassemble: Disassemble::Code,
        source: true,
        source_dir: Some(dir.clone()),
        ..opts()
    };
    let out = dump(&o);
    let both = dump(&ObjdumpOptions {
        line_numbers: true,
        ..o
    });
    let _ = std::fs::remove_dir_all(&dir);
    golden("objdump_S.txt", &out);
    golden("objdump_S_l.txt", &both);
    // GNU's context rule: the first source line (3) comes with lines 1 and 2 before it.
    assert!(out.contains("; source line 1\n    ; source line 2\n    ; source line 3\n"));
}

#[test]
fn missing_source_is_skipped() {
    let o = ObjdumpOptions {
        disassemble: Disassemble::Code,
        source: true,
        source_dir: Some("/nonexistent/dir".into()),
        ..opts()
    };
    let with = dump(&o);
    let without = dump(&ObjdumpOptions { source: false, ..o });
    assert_eq!(with, without);
}

#[test]
fn branch_targets_are_addresses_with_symbols() {
    let out = dump(&ObjdumpOptions {
        disassemble: Disassemble::Code,
        ..opts()
    });
    let line = out.lines().find(|l| l.contains("dbnz")).unwrap();
    assert!(line.ends_with("\tdbnz\tr1, 0x1008 <loop>"), "{line}");
    let line = out.lines().find(|l| l.contains("bne")).unwrap();
    assert!(line.ends_with("\tbne\tr2, r0, 0x100c <loop+0x4>"), "{line}");
    let line = out.lines().find(|l| l.contains(".word")).unwrap();
    assert_eq!(
        line,
        "    1024:\tffffffff \t.word\t0xffffffff\t; illegal: opcode 0xff is not defined"
    );
}

#[test]
fn disassembly_lists_only_code_unless_all() {
    let d = dump(&ObjdumpOptions {
        disassemble: Disassemble::Code,
        ..opts()
    });
    assert!(d.contains("Disassembly of section .text:"));
    assert!(!d.contains(".rodata"), "{d}");
    let all = dump(&ObjdumpOptions {
        disassemble: Disassemble::All,
        ..opts()
    });
    for s in [".text", ".rodata", ".data", ".loom.lines"] {
        assert!(all.contains(&format!("Disassembly of section {s}:")), "{s}");
    }
    assert!(!all.contains("section .bss"), "bss has no contents");
}

#[test]
fn zero_runs_collapse_unless_z() {
    let mut img = image();
    img.sections[1].data = vec![0; 32];
    img.sections[1].data[20] = 1;
    img.sections[1].size = 32;
    img.symbols.retain(|s| s.section != Some(1));
    let file = ObjFile::from_image(&img).unwrap();
    let o = ObjdumpOptions {
        disassemble: Disassemble::All,
        sections: vec![".rodata".into()],
        ..opts()
    };
    let out = objdump(&file, &o);
    // 20 zero bytes: the run is cut to a multiple of 4 (20), then the word with the 1, then
    // a trailing run of 8 zeros.
    let body: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("00002000"))
        .collect();
    assert_eq!(
        body,
        [
            "00002000 <.rodata>:",
            "\t...",
            "    2014:\t00000001 \tadd\tr0, r0, r0",
            "\t...",
        ],
        "{out}"
    );
    let z = objdump(&file, &ObjdumpOptions { zeroes: true, ..o });
    assert_eq!(z.lines().filter(|l| l.contains(":\t")).count(), 8, "{z}");
}

#[test]
fn objdump_of_a_read_back_file_matches() {
    // Read from the file, the listing is the same as for the image laid out in memory.
    let img = image();
    let bytes = write_elf(&img).unwrap();
    let back = read_elf(&bytes).unwrap();
    let all = ObjdumpOptions {
        file_header: true,
        headers: true,
        symbols: true,
        contents: true,
        disassemble: Disassemble::All,
        ..opts()
    };
    assert_eq!(
        objdump(&ObjFile::from_elf(&back, &bytes).unwrap(), &all),
        objdump(&ObjFile::from_image(&img).unwrap(), &all)
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
