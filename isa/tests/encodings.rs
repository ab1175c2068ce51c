//! Hand-written encodings (in the style of customasm's tests): assembly text and the 32-bit
//! word it must encode to, written field by field from the layout in docs/ISA.md §11
//! (`name@lo:width`, opcode in bits 7..0, every other bit zero) and *not* computed with the
//! encoder. Each word is a binary literal grouped by field, most significant first, under a
//! comment naming the groups. A wrong bit position, a missing `- 1` on a precision or a
//! missing `/ 4` on a branch offset passes every round-trip test but fails here.
//!
//! Covered: every instruction of the accelerator classes (tile, dma, mac, post) and of
//! config, and at least one instruction of every other operand shape (checked below).

// The literals are grouped by instruction field, not by nibble: that is their point.
#![allow(clippy::unusual_byte_groupings)]

use bitloom_isa::operand::{parse_gpr, parse_tile, Operand, OperandKind, Space};
use bitloom_isa::table::by_mnemonic;
use bitloom_isa::{csr, Class, Instr, INSTRUCTIONS};
use std::collections::HashSet;

/// Address of every instruction below (branch targets are written as absolute addresses).
const PC: u32 = 0x1000;

#[rustfmt::skip]
const CASES: &[(&str, u32)] = &[
    // 0 | csr=dense | rd=5 | op=0x50
    ("csrr r5, dense", 0b00000000000_10000101_00101_01010000), // 0x0010a550
    // 0 | csr=wprec | rd=31 | op=0x50
    ("csrr r31, wprec", 0b00000000000_00000000_11111_01010000), // 0x00001f50
    // 0 | rs1=7 | csr=slice | op=0x51
    ("cfg slice, r7", 0b00000000000_00111_00001000_01010001), // 0x00070851
    // imm=750 | csr=dthresh | op=0x52
    ("cfgi dthresh, 750", 0b0000001011101110_00001101_01010010), // 0x02ee0d52
    // imm=4096 | csr=vlen | op=0x52
    ("cfgi vlen, 4096", 0b0001000000000000_00010000_01010010), // 0x10001052
    // 0 | rcols=6 | rrows=5 | rbase=4 | space=asp | td=3 | op=0x60
    ("tdef t3, asp, r4, r5, r6", 0b000_00110_00101_00100_01_0011_01100000), // 0x06291360
    // 0 | rcols=30 | rrows=1 | rbase=31 | space=acc | td=15 | op=0x60
    ("tdef t15, acc, r31, r1, r30", 0b000_11110_00001_11111_10_1111_01100000), // 0x1e0fef60
    // 0 | rcols=0 | rrows=0 | rbase=0 | space=wsp | td=0 | op=0x60
    ("tdef t0, wsp, r0, r0, r0", 0b000_00000_00000_00000_00_0000_01100000), // 0x00000060
    // 0 | td=9 | op=0x61
    ("tzero t9", 0b00000000000000000000_1001_01100001), // 0x00000961
    // 0 | ts=11 | rd=10 | op=0x62
    ("dchk r10, t11", 0b000000000000000_1011_01010_01100010), // 0x00016a62
    // 0 | rs1=20 | td=2 | op=0x68
    ("ld.raw t2, r20", 0b000000000000000_10100_0010_01101000), // 0x00014268
    // 0 | rs1=1 | td=14 | op=0x69
    ("ld.rle t14, r1", 0b000000000000000_00001_1110_01101001), // 0x00001e69
    // 0 | rs1=31 | ts=5 | op=0x6a
    ("st.raw t5, r31", 0b000000000000000_11111_0101_01101010), // 0x0001f56a
    // 0 | rs1=9 | ts=6 | rd=3 | op=0x6b
    ("st.rle r3, t6, r9", 0b0000000000_01001_0110_00011_01101011), // 0x0012c36b
    // 0 | bits=4-1 | rs1=12 | lut=2 | op=0x6c
    ("set.lut 2, r12, 4", 0b00000000000000_011_01100_10_01101100), // 0x0001b26c
    // 0 | bits=8-1 | rs1=31 | lut=3 | op=0x6c
    ("set.lut 3, r31, 8", 0b00000000000000_111_11111_11_01101100), // 0x0003ff6c
    // 0 | bits=1-1 | rs1=1 | lut=0 | op=0x6c
    ("set.lut 0, r1, 1", 0b00000000000000_000_00001_00_01101100), // 0x0000046c
    // 0 | ta=2 | tw=1 | tacc=0 | op=0x70
    ("bsmac t0, t1, t2", 0b000000000000_0010_0001_0000_01110000), // 0x00021070
    // 0 | ta=13 | tw=14 | tacc=15 | op=0x70
    ("bsmac t15, t14, t13", 0b000000000000_1101_1110_1111_01110000), // 0x000def70
    // 0 | tsa=12 | tsw=11 | ta=10 | tw=9 | tacc=8 | op=0x71
    ("vscale t8, t9, t10, t11, t12", 0b0000_1100_1011_1010_1001_1000_01110001), // 0x0cba9871
    // 0 | tb=5 | tacc=4 | op=0x78
    ("bias t4, t5", 0b0000000000000000_0101_0100_01111000), // 0x00005478
    // 0 | tb=6 | tacc=4 | op=0x79
    ("bcorr t4, t6", 0b0000000000000000_0110_0100_01111001), // 0x00006479
    // 0 | tacc=13 | op=0x7a
    ("relu t13", 0b00000000000000000000_1101_01111010), // 0x00000d7a
    // 0 | tm=3 | tacc=2 | tout=1 | op=0x7b
    ("rqnt t1, t2, t3", 0b000000000000_0011_0010_0001_01111011), // 0x0003217b
    // 0 | rs2=3 | rs1=2 | rd=1 | op=0x01
    ("add r1, r2, r3", 0b000000000_00011_00010_00001_00000001), // 0x000c4101
    // 0 | rs2=31 | rs1=0 | rd=31 | op=0x02
    ("sub r31, r0, r31", 0b000000000_11111_00000_11111_00000010), // 0x007c1f02
    // 0 | rs2=7 | rs1=8 | rd=9 | op=0x12
    ("mulhu r9, r8, r7", 0b000000000_00111_01000_01001_00010010), // 0x001d0912
    // imm=-1 | rs1=2 | rd=1 | op=0x20
    ("addi r1, r2, -1", 0b11111111111111_00010_00001_00100000), // 0xfffc4120
    // imm=8191 | rs1=0 | rd=3 | op=0x20
    ("addi r3, r0, 8191", 0b01111111111111_00000_00011_00100000), // 0x7ffc0320
    // imm=-8192 | rs1=4 | rd=3 | op=0x23
    ("xori r3, r4, -8192", 0b10000000000000_00100_00011_00100011), // 0x80008323
    // 0 | shamt=31 | rs1=5 | rd=4 | op=0x26
    ("slli r4, r5, 31", 0b000000000_11111_00101_00100_00100110), // 0x007ca426
    // imm=524287 | rd=6 | op=0x29
    ("lui r6, 524287", 0b1111111111111111111_00110_00101001), // 0xffffe629
    // imm=1 | rd=7 | op=0x2a
    ("auipc r7, 1", 0b0000000000000000001_00111_00101010), // 0x0000272a
    // disp=-4 | base=2 | rd=8 | op=0x34
    ("lw r8, -4(r2)", 0b11111111111100_00010_01000_00110100), // 0xfff04834
    // disp=100 | base=10 | rs2=9 | op=0x38
    ("sb r9, 100(r10)", 0b00000001100100_01010_01001_00111000), // 0x01914938
    // target=+16/4 | rs2=2 | rs1=1 | op=0x40
    ("beq r1, r2, 0x1010", 0b00000000000100_00010_00001_01000000), // 0x00104140
    // target=-8/4 | rs2=4 | rs1=3 | op=0x41
    ("bne r3, r4, 0xff8", 0b11111111111110_00100_00011_01000001), // 0xfff88341
    // target=-0x20/4 | rs=5 | op=0x46
    ("dbnz r5, 0xfe0", 0b1111111111111111000_00101_01000110), // 0xffff0546
    // target=+0x1000/4 | rd=1 | op=0x48
    ("jal r1, 0x2000", 0b0000000010000000000_00001_01001000), // 0x00800148
    // disp=0 | base=1 | rd=0 | op=0x49
    ("jalr r0, 0(r1)", 0b00000000000000_00001_00000_01001001), // 0x00002049
    // 0 | rs1=10 | op=0x58
    ("halt r10", 0b0000000000000000000_01010_01011000), // 0x00000a58
    // 0 | op=0x59
    ("ebreak", 0b000000000000000000000000_01011001), // 0x00000059
    // 0 | op=0x5a
    ("sync", 0b000000000000000000000000_01011010), // 0x0000005a
];

/// Parse one line of assembly by the table's operand *kinds* (no bit positions involved):
/// registers, tiles, CSR names, scratchpads, decimal numbers, absolute hex targets, `disp(rN)`.
fn parse(text: &str) -> Instr {
    let (mn, rest) = text.split_once(' ').unwrap_or((text, ""));
    let d = by_mnemonic(mn).unwrap_or_else(|| panic!("unknown mnemonic in `{text}`"));
    let args: Vec<&str> = if rest.is_empty() {
        vec![]
    } else {
        rest.split(", ").collect()
    };
    assert_eq!(args.len(), d.operands.len(), "`{text}`: operand count");
    let ops: Vec<Operand> = d
        .operands
        .iter()
        .zip(&args)
        .map(|(o, a)| {
            let what = format!("`{text}`: bad operand `{a}` for {:?}", o.kind);
            let num = |s: &str| s.parse::<i32>().expect(&what);
            match o.kind {
                OperandKind::Gpr => Operand::Gpr(parse_gpr(a).expect(&what)),
                OperandKind::Tile => Operand::Tile(parse_tile(a).expect(&what)),
                OperandKind::Csr => Operand::Csr(csr::by_name(a).expect(&what).num),
                OperandKind::Space => Operand::Space(Space::from_name(a).expect(&what)),
                OperandKind::Prec => Operand::Prec(num(a) as u8),
                OperandKind::Imm { .. } => Operand::Imm(num(a)),
                OperandKind::PcRel { .. } => {
                    let hex = a.strip_prefix("0x").expect(&what);
                    let target = u32::from_str_radix(hex, 16).expect(&what);
                    Operand::PcRel(target.wrapping_sub(PC) as i32)
                }
                OperandKind::Mem { .. } => {
                    let (disp, base) = a
                        .strip_suffix(')')
                        .and_then(|s| s.split_once('('))
                        .expect(&what);
                    Operand::Mem {
                        disp: num(disp),
                        base: parse_gpr(base).expect(&what),
                    }
                }
            }
        })
        .collect();
    Instr::new(d.opcode, &ops).unwrap_or_else(|e| panic!("`{text}`: {e}"))
}

#[test]
fn hand_written_words_encode_decode_and_print() {
    for &(text, word) in CASES {
        let i = parse(text);
        assert_eq!(
            i.encode(),
            Ok(word),
            "`{text}`: encoder gives {:#010x?}, expected {word:#010x}",
            i.encode()
        );
        assert_eq!(
            Instr::decode(word),
            Ok(i),
            "`{text}` ({word:#010x}): decode"
        );
        assert_eq!(i.format(PC, &|_| None), text, "{word:#010x}: print");
    }
}

/// The operand kinds of an instruction, as a comparable shape (`rd, rs1, imm14` etc.).
fn shape(d: &bitloom_isa::InstrDef) -> Vec<OperandKind> {
    d.operands.iter().map(|o| o.kind).collect()
}

#[test]
fn cases_cover_every_accelerator_and_config_instruction_and_every_operand_shape() {
    let covered: HashSet<&str> = CASES
        .iter()
        .map(|(t, _)| t.split(' ').next().unwrap())
        .collect();
    let shapes: Vec<Vec<OperandKind>> = covered
        .iter()
        .map(|m| shape(by_mnemonic(m).unwrap()))
        .collect();
    for d in INSTRUCTIONS {
        let accel = matches!(
            d.class,
            Class::Tile | Class::Dma | Class::Mac | Class::Post | Class::Config
        );
        if accel {
            assert!(
                covered.contains(d.mnemonic),
                "no hand-written word for `{}`",
                d.mnemonic
            );
        } else {
            assert!(
                shapes.contains(&shape(d)),
                "no hand-written word with the operand shape of `{}` ({:?})",
                d.mnemonic,
                shape(d)
            );
        }
    }
}

#[test]
fn every_hand_written_word_sets_only_documented_bits() {
    // The reserved bits of each word are zero by construction; flipping any one of them makes
    // the word illegal (so the literals above cannot hide a stray bit in a reserved gap).
    for &(text, word) in CASES {
        let used = parse(text).def().used_bits();
        for bit in (0..32).filter(|b| used & (1 << b) == 0) {
            assert!(
                Instr::decode(word | (1 << bit)).is_err(),
                "`{text}`: reserved bit {bit} accepted"
            );
        }
    }
}
