//! API-level tests: generated programs, listings, line tables, symbols, diagnostics counts.

use bitloom_asm::{assemble_str, gen, Options};
use bitloom_isa::image::{SectionKind, SymbolKind};

#[test]
fn generated_program_assembles() {
    let src = gen::program(5000, 7);
    let out = match assemble_str("gen.s", &src, &Options::default()) {
        Ok(o) => o,
        Err(d) => panic!("{}", d.render(false)),
    };
    assert!(out.stats.lines >= 5000);
    assert!(out.stats.instructions > 3000);
    assert_eq!(out.image.lines.rows.len() as u64, out.stats.instructions);
    assert!(out.image.section(".data").is_some());
}

#[test]
fn symbols_sections_and_line_table() {
    let src = "\
        .equ N, 4
        .macro two
        nop
        nop
        .endm
        .global _start
        .text
_start: li r1, N
        two
.Lhidden:
        halt r0
        .data
tbl:    .word 1, 2
        .bss
buf:    .zero 8
";
    let out = assemble_str(
        "prog.s",
        src,
        &Options {
            listing: true,
            ..Options::default()
        },
    )
    .unwrap_or_else(|d| panic!("{}", d.render(false)));
    let img = &out.image;
    let sym = |n: &str| img.symbols.iter().find(|s| s.name == n);
    let start = sym("_start").expect("_start");
    assert_eq!(
        (start.kind, start.global, start.value),
        (SymbolKind::Func, true, 0x1000)
    );
    assert_eq!(start.size, 16);
    assert_eq!(sym("tbl").map(|s| s.kind), Some(SymbolKind::Object));
    assert_eq!(
        sym("N").map(|s| (s.kind, s.value, s.section)),
        Some((SymbolKind::Absolute, 4, None))
    );
    assert!(
        sym(".Lhidden").is_none(),
        ".L symbols stay local to the assembler"
    );
    assert_eq!(img.entry, 0x1000);
    let kinds: Vec<_> = img
        .sections
        .iter()
        .map(|s| (s.name.as_str(), s.kind, s.addr))
        .collect();
    assert_eq!(
        kinds,
        [
            (".text", SectionKind::Text, 0x1000),
            (".data", SectionKind::Data, 0x1010),
            (".bss", SectionKind::Bss, 0x1020)
        ]
    );
    assert_eq!(
        img.section(".bss").map(|s| (s.size, s.data.len())),
        Some((8, 0))
    );
    // Line table: one row per instruction; macro bodies map to the invocation line.
    let rows: Vec<_> = img
        .lines
        .rows
        .iter()
        .map(|r| (r.addr, r.line, r.col))
        .collect();
    assert_eq!(
        rows,
        [
            (0x1000, 8, 9),
            (0x1004, 9, 9),
            (0x1008, 9, 9),
            (0x100c, 11, 9)
        ]
    );
    assert_eq!(img.lines.files, ["prog.s"]);
    // Listing: line number, address, encoding, source.
    assert!(
        out.listing
            .contains("    8 00001000 20011000 _start: li r1, N"),
        "{}",
        out.listing
    );
}

#[test]
fn warnings_and_diagnostic_api() {
    let out = assemble_str("w.s", ".data\n.byte 1\n.word 2\n", &Options::default())
        .expect("warnings do not fail");
    assert_eq!(out.warnings.warning_count(), 1);
    assert!(out.warnings.render(false).contains("not 4-byte aligned"));
    let err = assemble_str("e.s", "ad r1, r2, r3\nj nowhere\n", &Options::default()).unwrap_err();
    assert_eq!(err.error_count(), 2);
    let (file, line, col) = err.location(&err.list[1]);
    assert_eq!((file.as_str(), line, col), ("e.s", 2, 3));
    assert!(err.render(true).contains("\u{1b}["), "colour when asked");
    assert!(!err.render(false).contains("\u{1b}["), "no colour when not");
    assert_eq!(err.to_string(), err.render(false));
}

#[test]
fn missing_file_is_a_diagnostic() {
    let err = bitloom_asm::assemble_file(
        std::path::Path::new("/nonexistent/x.s"),
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(err.error_count(), 1);
    assert!(err.render(false).contains("cannot read"));
}

/// The example kernels shipped in programs/examples assemble.
#[test]
fn example_programs_assemble() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../programs/examples");
    let Ok(rd) = std::fs::read_dir(&dir) else {
        return;
    };
    let mut failures = String::new();
    for e in rd.flatten() {
        let p = e.path();
        if p.extension().is_some_and(|x| x == "s") {
            if let Err(d) = bitloom_asm::assemble_file(&p, &Options::default()) {
                failures.push_str(&d.render(false));
            }
        }
    }
    assert!(failures.is_empty(), "{failures}");
}

#[test]
fn cfgi_that_would_trap_is_a_warning() {
    let src = "_start: cfgi wprec, 9\n cfgi cycle, 1\n cfgi wprec, 4\n halt r0\n";
    let out = assemble_str("w.s", src, &Options::default()).expect("warnings do not fail");
    assert_eq!(out.warnings.warning_count(), 2);
    let text = out.warnings.render(false);
    assert!(text.contains("`cfgi wprec, 9` will trap"), "{text}");
    assert!(text.contains("`wprec` accepts 1..=8"), "{text}");
    assert!(text.contains("`cycle` is read-only"), "{text}");
    assert!(text.contains("w.s:1:9"), "{text}");
    // The words are still emitted: a riscv-tests-style program may test the trap on purpose.
    assert_eq!(out.stats.instructions, 4);
}

/// The expansion budget: `.rept` iterations count even with an empty body, expanded bytes
/// bound exponential macros, and the error cap stops assembly (issue 13).
#[test]
fn expansion_budget_and_error_cap() {
    let opts = Options {
        max_lines: 10_000,
        max_expansion_bytes: 100_000,
        max_errors: 5,
        ..Options::default()
    };
    let err = |src: &str| match assemble_str("b.s", src, &opts) {
        Ok(_) => panic!("assembled: {src}"),
        Err(d) => d,
    };
    let d = err(".rept 100000\n.rept 100000\n.endr\n.endr\n_start: halt r0\n");
    assert_eq!(d.error_count(), 1);
    assert!(d.list[0].message.contains("more than 10000 statements"));
    assert_eq!(d.location(&d.list[0]).1, 2, "at the inner `.rept`");
    let mut src = String::new();
    for k in 0..30 {
        src.push_str(&format!(".macro m{k}\n m{0}\n m{0}\n.endm\n", k + 1));
    }
    src.push_str(".macro m30\n.endm\n_start: m0\n halt r0\n");
    let opts_lines = Options {
        max_lines: u64::MAX,
        ..opts.clone()
    };
    let d = assemble_str("b.s", &src, &opts_lines).unwrap_err();
    assert_eq!(d.error_count(), 1);
    assert!(
        d.list[0].message.contains("more than 100000 bytes"),
        "{}",
        d.list[0].message
    );
    let d = err(&"bogus\n".repeat(100_000));
    assert_eq!(d.error_count(), 5);
    assert!(d.render(false).contains("assembly stopped after 5 errors"));
    // Long text is cut in messages and snippets.
    let d = err(&format!("{} r1\n", "y".repeat(100_000)));
    let r = d.render(false);
    assert!(r.len() < 5_000, "{} bytes", r.len());
    assert!(r.contains("bytes long; not shown"));
}

/// 64-bit patterns in hex are accepted; overflow in expressions is an error (issue 13).
#[test]
fn sixty_four_bit_literals_and_overflow() {
    let ok = assemble_str(
        "l.s",
        "_start: .equ A, 0xffffffffffffffff\n.equ B, 0x8000000000000000\n li r1, A\n li r2, (B >> 63) + 2\n halt r0\n",
        &Options::default(),
    );
    assert!(ok.is_ok(), "{}", ok.unwrap_err().render(false));
    for src in [
        "_start: li r1, 0x7fffffffffffffff*2+4\n halt r0\n",
        "_start: li r1, 0x7fffffffffffffff+1\n halt r0\n",
        "_start: li r1, -(0x8000000000000000)\n halt r0\n",
        "_start: li r1, 0x8000000000000000 / -1\n halt r0\n",
    ] {
        let d = assemble_str("o.s", src, &Options::default()).unwrap_err();
        assert!(
            d.render(false).contains("expression overflows 64 bits"),
            "{src}: {}",
            d.render(false)
        );
    }
    let d = assemble_str(
        "d.s",
        "_start: li r1, 9223372036854775808\n",
        &Options::default(),
    )
    .unwrap_err();
    assert!(d.render(false).contains("does not fit in 64 bits"));
}

/// What the ELF writer would refuse is an assembly error at the source (issue 13).
#[test]
fn writer_rules_are_checked_at_the_source() {
    let loc = |src: &str| {
        let d = assemble_str("w.s", src, &Options::default()).unwrap_err();
        let (_, l, c) = d.location(&d.list[0]);
        (d.list[0].message.clone(), l, c)
    };
    let (m, l, c) = loc("_start: nop\n .byte 1\n");
    assert!(m.contains("4-byte boundary"), "{m}");
    assert_eq!((l, c), (2, 2));
    let (m, l, _) = loc("nop\n.data\n_start: .word 1\n");
    assert!(m.contains("entry point `_start` is in `.data`"), "{m}");
    assert_eq!(l, 3);
    // Re-aligned before the end: fine.
    assert!(assemble_str(
        "w.s",
        "_start: halt r0\n .byte 1\n .align 4\n",
        &Options::default()
    )
    .is_ok());
}

/// A missing include is one error, not a cascade of unknown symbols (issue 13).
#[test]
fn missing_include_does_not_cascade() {
    let d = assemble_str(
        "/nonexistent-dir/mi.s",
        ".include \"missing.inc\"\n_start: li r1, A\n li r2, B\n mymac r1\n halt r0\n",
        &Options::default(),
    )
    .unwrap_err();
    assert_eq!(d.error_count(), 1, "{}", d.render(false));
    let r = d.render(false);
    assert!(r.contains("include file not found"), "{r}");
    assert!(
        r.contains("3 later unknown symbol or instruction error(s) not shown"),
        "{r}"
    );
}

/// CR-only line endings get one clear error (issue 13); CRLF is fine.
#[test]
fn cr_only_line_endings() {
    let d = assemble_str("cr.s", "_start: nop\r halt r0\r", &Options::default()).unwrap_err();
    assert_eq!(d.error_count(), 1);
    assert!(d.list[0].message.contains("CR-only line endings"));
    assert_eq!(d.location(&d.list[0]).2, 12);
    assert!(assemble_str("crlf.s", "_start: nop\r\n halt r0\r\n", &Options::default()).is_ok());
}

/// A constant used before its definition where it must be known says so (issue 13).
#[test]
fn forward_constant_is_named_as_such() {
    let src = "_start:\n.rept N\nnop\n.endr\n.zero M\n.align A\nhalt r0\n.equ N, 3\n.equ M, 4\n.equ A, 4\n";
    let d = assemble_str("fw.s", src, &Options::default()).unwrap_err();
    assert_eq!(d.error_count(), 3, "{}", d.render(false));
    for e in &d.list {
        assert!(e.message.contains("is defined later"), "{}", e.message);
    }
    // Really undefined: still "unknown symbol".
    let d = assemble_str(
        "u.s",
        "_start:\n.rept Q\n.endr\nhalt r0\n",
        &Options::default(),
    )
    .unwrap_err();
    assert!(d.list[0].message.contains("unknown symbol `Q`"));
}
