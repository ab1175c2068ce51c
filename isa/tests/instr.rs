//! `Instr` API edge cases: encoding an instruction whose operand list no longer fits its opcode
//! is an error (never a panic), and the `lui`/`addi` constant split.

use bitloom_isa::instr::split_hi_lo;
use bitloom_isa::{EncodeError, Instr, Opcode, Operand, INSTRUCTIONS};

/// One valid operand list per instruction: the low end of each field.
fn valid_operands(op: Opcode) -> Vec<Operand> {
    bitloom_isa::table::def(op)
        .operands
        .iter()
        .map(|o| match o.kind {
            bitloom_isa::OperandKind::Gpr => Operand::Gpr(1),
            bitloom_isa::OperandKind::Tile => Operand::Tile(1),
            bitloom_isa::OperandKind::Csr => Operand::Csr(0),
            bitloom_isa::OperandKind::Space => Operand::Space(bitloom_isa::Space::Acc),
            bitloom_isa::OperandKind::Prec => Operand::Prec(1),
            bitloom_isa::OperandKind::Imm { .. } => Operand::Imm(1),
            bitloom_isa::OperandKind::PcRel { .. } => Operand::PcRel(4),
            bitloom_isa::OperandKind::Mem { .. } => Operand::Mem { disp: 4, base: 1 },
        })
        .collect()
}

#[test]
fn replacing_the_opcode_of_an_instr_gives_an_encode_error_not_a_panic() {
    // `Instr::op` is public: every (built-for, replaced-by) pair of opcodes either encodes
    // (same operand shape) or reports arity/kind; none panics.
    let mut errors = 0;
    for from in INSTRUCTIONS {
        let built = Instr::new(from.opcode, &valid_operands(from.opcode)).unwrap();
        for to in INSTRUCTIONS {
            let mut i = built;
            i.op = to.opcode;
            let same_shape = from.operands.len() == to.operands.len()
                && from.operands.iter().zip(to.operands).all(|(a, b)| {
                    std::mem::discriminant(&a.kind) == std::mem::discriminant(&b.kind)
                });
            match i.encode() {
                Ok(_) => assert!(
                    same_shape,
                    "{} operands accepted for {}",
                    from.mnemonic, to.mnemonic
                ),
                Err(EncodeError::Arity { .. } | EncodeError::Kind { .. }) => {
                    assert!(!same_shape, "{} -> {}", from.mnemonic, to.mnemonic);
                    errors += 1;
                }
                // A range error would need a value too wide for the new field; these small
                // operands fit every field of their kind.
                Err(e) => panic!("{} -> {}: {e}", from.mnemonic, to.mnemonic),
            }
        }
    }
    assert!(errors > 1000, "{errors}");
}

#[test]
fn mismatch_errors_name_the_instruction_and_operand() {
    // A load's `disp(base)` operand where `add` wants a register: the case that used to hit
    // `unreachable!` in the encoder.
    let mut i = Instr::new(
        Opcode::Lw,
        &[Operand::Gpr(1), Operand::Mem { disp: 0, base: 2 }],
    )
    .unwrap();
    i.op = Opcode::Jalr;
    assert!(i.encode().is_ok(), "same shape");
    i.op = Opcode::Add;
    assert_eq!(
        i.encode(),
        Err(EncodeError::Arity {
            mnemonic: "add",
            expected: 3,
            found: 2
        })
    );
    i.op = Opcode::Csrr;
    let e = i.encode().unwrap_err();
    assert_eq!(
        e,
        EncodeError::Kind {
            mnemonic: "csrr",
            index: 2,
            expected: "a configuration register name"
        }
    );
    assert_eq!(
        e.to_string(),
        "operand 2 of `csrr` must be a configuration register name"
    );
    // The reverse direction: a register where a memory operand is expected.
    let mut i = Instr::new(Opcode::Auipc, &[Operand::Gpr(1), Operand::Imm(3)]).unwrap();
    i.op = Opcode::Lw;
    assert!(matches!(
        i.encode(),
        Err(EncodeError::Kind {
            mnemonic: "lw",
            index: 2,
            ..
        })
    ));
}

#[test]
fn a_memory_base_register_out_of_range_names_its_operand() {
    let i = Instr::new(
        Opcode::Sw,
        &[Operand::Gpr(1), Operand::Mem { disp: 0, base: 32 }],
    )
    .unwrap();
    assert_eq!(
        i.encode().unwrap_err().to_string(),
        "operand 2 of `sw` must be a base register r0..r31"
    );
}

// ---------------------------------------------------------------------------------------------
// split_hi_lo: the lui/addi constant split
// ---------------------------------------------------------------------------------------------

/// What `lui rd, hi; addi rd, rd, lo` leaves in `rd`, by way of the real encoder and decoder
/// and the table's semantics (`rd = imm << 13`, `rd = rs1 + sext(imm)`, wrapping).
fn lui_addi(hi: i32, lo: i32) -> u32 {
    let lui = Instr::new(Opcode::Lui, &[Operand::Gpr(5), Operand::Imm(hi)]).unwrap();
    let addi = Instr::new(
        Opcode::Addi,
        &[Operand::Gpr(5), Operand::Gpr(5), Operand::Imm(lo)],
    )
    .unwrap();
    let lui = Instr::decode(lui.encode().expect("hi fits the lui field")).unwrap();
    let addi = Instr::decode(addi.encode().expect("lo fits the addi field")).unwrap();
    let (Operand::Imm(h), Operand::Imm(l)) = (lui.operands()[1], addi.operands()[2]) else {
        panic!("immediates");
    };
    (h as u32).wrapping_shl(13).wrapping_add(l as u32)
}

fn check_split(v: u32) {
    let (hi, lo) = split_hi_lo(v);
    assert!((0..=0x7ffff).contains(&hi), "hi {hi:#x} of {v:#x}");
    assert!((-4096..=4095).contains(&lo), "lo {lo} of {v:#x}");
    assert_eq!(lui_addi(hi, lo), v, "{v:#x} = ({hi:#x}, {lo})");
    // docs/ISA.md §3's formula in signed 64-bit arithmetic (the assembler's former
    // definition) gives the same pair.
    let s = v as i32 as i64;
    let h = (s + 0x1000) >> 13;
    assert_eq!(
        (hi, lo),
        ((h & 0x7ffff) as i32, (s - (h << 13)) as i32),
        "{v:#x}"
    );
}

#[test]
fn split_hi_lo_edges() {
    for v in [
        0u32,
        1,
        0xfff,
        0x1000,
        0x1001,
        0x1fff,
        0x2000,
        0x2fff,
        0x3000,
        0x7fff_efff,
        0x7fff_f000,
        0x7fff_ffff,
        0x8000_0000,
        0x8000_0fff,
        0x8000_1000,
        0xffff_efff,
        0xffff_f000,
        0xffff_ffff,
    ] {
        check_split(v);
    }
    // Small constants need no upper part; the field extremes are reached.
    assert_eq!(split_hi_lo(0x0fff), (0, 0xfff));
    assert_eq!(split_hi_lo(0x1000), (1, -0x1000));
    assert_eq!(split_hi_lo(-1i32 as u32), (0, -1));
    assert_eq!(split_hi_lo(0xffff_efff), (0x7ffff, 0xfff));
}

#[test]
fn split_hi_lo_every_low_14_bits_with_carry_patterns() {
    // The split depends on the high bits only through the carry out of bit 12, so every
    // 14-bit low part under these high parts covers every case the carry can produce.
    for high in [0u32, 0x4000, 0x7fff_c000, 0x8000_0000, 0xffff_c000] {
        for low in 0..0x4000 {
            check_split(high | low);
        }
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(20_000))]
    #[test]
    fn split_hi_lo_rebuilds_every_value(v in proptest::prelude::any::<u32>()) {
        check_split(v);
    }
}

#[test]
fn display_prints_pc_relative_operands_as_if_at_address_zero() {
    let i = |off| Instr::new(Opcode::Jal, &[Operand::Gpr(1), Operand::PcRel(off)]).unwrap();
    assert_eq!(i(8).to_string(), "jal r1, 0x8");
    assert_eq!(i(-8).to_string(), "jal r1, 0xfffffff8");
    assert_eq!(i(-8).format(0x1000, &|_| None), "jal r1, 0xff8");
}
