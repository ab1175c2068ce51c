//! Round trips between the assembler and the ISA's printer: every instruction with random
//! operands, a whole generated program, and a never-panic check on random token soup.

use bitloom_asm::{assemble_str, gen, Options};
use bitloom_isa::operand::{Operand, OperandKind, Space};
use bitloom_isa::{csr, Instr, INSTRUCTIONS, TEXT_BASE};
use proptest::prelude::*;

fn arb_operand(kind: OperandKind) -> BoxedStrategy<Operand> {
    match kind {
        OperandKind::Gpr => (0u8..32).prop_map(Operand::Gpr).boxed(),
        OperandKind::Tile => (0u8..16).prop_map(Operand::Tile).boxed(),
        OperandKind::Csr => {
            prop::sample::select(csr::CSRS.iter().map(|c| c.num).collect::<Vec<_>>())
                .prop_map(Operand::Csr)
                .boxed()
        }
        OperandKind::Space => prop::sample::select(Space::ALL.to_vec())
            .prop_map(Operand::Space)
            .boxed(),
        OperandKind::Prec => (1u8..=8).prop_map(Operand::Prec).boxed(),
        OperandKind::Imm { .. } => {
            let (lo, hi) = kind.value_range();
            (lo..=hi).prop_map(|v| Operand::Imm(v as i32)).boxed()
        }
        OperandKind::PcRel { .. } => {
            let (lo, hi) = kind.value_range();
            (lo / 4..=hi / 4)
                .prop_map(|w| Operand::PcRel(w as i32 * 4))
                .boxed()
        }
        OperandKind::Mem { .. } => {
            let (lo, hi) = kind.value_range();
            (lo..=hi, 0u8..32)
                .prop_map(|(d, b)| Operand::Mem {
                    disp: d as i32,
                    base: b,
                })
                .boxed()
        }
    }
}

fn arb_instr() -> impl Strategy<Value = Instr> {
    (0..INSTRUCTIONS.len()).prop_flat_map(|i| {
        let d = &INSTRUCTIONS[i];
        let ops: Vec<_> = d.operands.iter().map(|o| arb_operand(o.kind)).collect();
        ops.prop_map(move |ops| Instr::new(d.opcode, &ops).expect("operands match the table"))
    })
}

fn text_bytes(src: &str) -> Vec<u8> {
    match assemble_str("rt.s", src, &Options::default()) {
        Ok(out) => out
            .image
            .section(".text")
            .map(|s| s.data.clone())
            .unwrap_or_default(),
        Err(d) => panic!("reassembly failed:\n{}\nsource:\n{src}", d.render(false)),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Random operands -> Instr::format -> assemble -> the same word.
    #[test]
    fn every_instruction_round_trips(i in arb_instr()) {
        let word = i.encode().expect("in-range operands encode");
        let text = i.format(TEXT_BASE, &|_| None);
        let bytes = text_bytes(&format!("\t{text}\n"));
        prop_assert_eq!(bytes, word.to_le_bytes().to_vec(), "{}", text);
    }
}

/// Every opcode at least once (proptest samples randomly; this is exhaustive over rows).
#[test]
fn each_row_round_trips_with_zero_like_operands() {
    for d in INSTRUCTIONS {
        let ops: Vec<Operand> = d
            .operands
            .iter()
            .map(|o| match o.kind {
                OperandKind::Gpr => Operand::Gpr(31),
                OperandKind::Tile => Operand::Tile(15),
                OperandKind::Csr => Operand::Csr(csr::CSRS[csr::CSRS.len() - 1].num),
                OperandKind::Space => Operand::Space(Space::Acc),
                OperandKind::Prec => Operand::Prec(8),
                OperandKind::Imm { .. } => Operand::Imm(o.kind.value_range().1 as i32),
                OperandKind::PcRel { .. } => Operand::PcRel(o.kind.value_range().0 as i32),
                OperandKind::Mem { .. } => Operand::Mem {
                    disp: o.kind.value_range().0 as i32,
                    base: 31,
                },
            })
            .collect();
        let i = Instr::new(d.opcode, &ops).unwrap();
        let text = i.format(TEXT_BASE, &|_| None);
        assert_eq!(
            text_bytes(&format!("{text}\n")),
            i.encode().unwrap().to_le_bytes(),
            "{text}"
        );
    }
}

/// Assemble a program, disassemble every word, reassemble: identical `.text`.
#[test]
fn whole_program_round_trips() {
    let src = gen::program(3000, 5);
    let out = assemble_str("gen.s", &src, &Options::default())
        .unwrap_or_else(|d| panic!("{}", d.render(false)));
    let text = out.image.section(".text").expect("program has code");
    assert_eq!(text.addr, TEXT_BASE);
    let mut listing = String::new();
    for (k, w) in text.data.chunks_exact(4).enumerate() {
        let word = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        let pc = text.addr + 4 * k as u32;
        let i = Instr::decode(word).unwrap_or_else(|e| panic!("0x{pc:x}: {e}"));
        listing.push('\t');
        listing.push_str(&i.format(pc, &|_| None));
        listing.push('\n');
    }
    assert_eq!(text_bytes(&listing), text.data);
}

const SOUP: &[&str] = &[
    "add",
    "addi",
    "lw",
    "sw",
    "beq",
    "j",
    "li",
    "la",
    "call",
    "ret",
    "bsmac",
    "tdef",
    "cfgi",
    "csrr",
    "ld.rle",
    "r1",
    "r31",
    "r99",
    "t3",
    "t16",
    "wsp",
    "acc",
    "wprec",
    "sp",
    "zero",
    "x",
    "lbl",
    "_start",
    ".L1",
    "1f",
    "1b",
    "0",
    "42",
    "-7",
    "0x",
    "0xffffffff",
    "99999999999999999999",
    "0b2",
    "'a'",
    "'\\q'",
    "'",
    "\"s\"",
    "\"\\x\"",
    "\"",
    ",",
    ":",
    "(",
    ")",
    "+",
    "-",
    "*",
    "/",
    "%",
    "<<",
    ">>",
    "&",
    "|",
    "^",
    "~",
    "=",
    ".",
    "\\p",
    "\\@",
    ".text",
    ".data",
    ".bss",
    ".rodata",
    ".section",
    ".byte",
    ".half",
    ".word",
    ".fill",
    ".zero",
    ".align",
    ".ascii",
    ".asciz",
    ".tile",
    ".rle",
    ".lut",
    ".scales",
    ".equ",
    ".set",
    ".global",
    ".macro",
    ".endm",
    ".rept",
    ".irp",
    ".irpc",
    ".endr",
    "\"",
    ".include",
    ".bogus",
    "m",
    "\n",
    "\n",
    "\n",
    ";",
    "#",
    "//",
    "\t",
    " ",
    "\u{e9}",
    "\u{0}",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random token soup never panics, and errors render.
    #[test]
    fn token_soup_never_panics(toks in prop::collection::vec(prop::sample::select(SOUP), 0..80)) {
        let src = toks.join(" ");
        if let Err(d) = assemble_str("soup.s", &src, &Options { listing: true, ..Options::default() }) {
            prop_assert!(d.error_count() > 0);
            let _ = d.render(false);
        }
    }
}

#[test]
fn deep_and_recursive_inputs_are_bounded() {
    let deep = format!(".word {}1{}\n", "(".repeat(5000), ")".repeat(5000));
    let unary = format!(".word {}1\n", "-".repeat(100_000));
    let chain = format!(".word 1{}\n", "+1".repeat(100_000));
    let rec = ".macro a\n a\n .endm\n a\n".to_string();
    let rept = ".rept 10000000\n.rept 10000000\nnop\n.endr\n.endr\n".to_string();
    let equ = (0..200)
        .map(|i| format!(".equ s{i}, s{} + 1\n", i + 1))
        .collect::<String>()
        + ".equ s200, 0\n.word s0\n";
    let opts = Options {
        max_lines: 200_000,
        ..Options::default()
    };
    let nested = ".rept 1\n".repeat(20_000) + &".endr\n".repeat(20_000);
    // Two iterations per level: 2^64 runs of the level past the nesting limit, were the
    // limits not to stop it.
    let nested_irpc = ".irpc c, 01\n".repeat(20_000) + &".endr\n".repeat(20_000);
    for src in [deep, unary, chain, rec, rept, equ, nested, nested_irpc] {
        let r = assemble_str("deep.s", &src, &opts);
        let d = r.expect_err("each of these is rejected");
        assert!(d.error_count() > 0);
        let _ = d.render(false);
    }
}
