//! Structural checks of the instruction and CSR tables, and encode/decode round trips.

use bitloom_isa::operand::{Operand, OperandKind};
use bitloom_isa::{csr, Instr, INSTRUCTIONS};
use proptest::prelude::*;
use std::collections::HashSet;

#[test]
fn opcodes_and_mnemonics_unique_and_fields_disjoint() {
    let mut ops = HashSet::new();
    let mut mns = HashSet::new();
    for d in INSTRUCTIONS {
        assert!(
            ops.insert(d.opcode as u8),
            "duplicate opcode {:?}",
            d.opcode
        );
        assert!(mns.insert(d.mnemonic), "duplicate mnemonic {}", d.mnemonic);
        assert_ne!(
            d.opcode as u8, 0,
            "opcode 0 is reserved so zeroed memory is illegal"
        );
        let mut used = 0xffu64;
        for o in d.operands {
            let mut fields = vec![(o.lo as u64, o.kind.width() as u64)];
            if let OperandKind::Mem { base_lo, .. } = o.kind {
                fields.push((base_lo as u64, 5));
            }
            for (lo, w) in fields {
                let m = ((1u64 << w) - 1) << lo;
                assert!(
                    lo + w <= 32,
                    "{}: field {} exceeds 32 bits",
                    d.mnemonic,
                    o.name
                );
                assert_eq!(used & m, 0, "{}: field {} overlaps", d.mnemonic, o.name);
                used |= m;
            }
        }
    }
}

#[test]
fn csr_numbers_and_names_unique_resets_in_range() {
    let mut nums = HashSet::new();
    let mut names = HashSet::new();
    for c in csr::CSRS {
        assert!(nums.insert(c.num));
        assert!(names.insert(c.name));
        assert!(c.reset >= c.range.0 && c.reset <= c.range.1, "{}", c.name);
    }
}

#[test]
fn all_zero_and_all_one_words_are_illegal() {
    assert!(Instr::decode(0).is_err());
    assert!(Instr::decode(u32::MAX).is_err());
}

fn arb_operand(kind: OperandKind) -> BoxedStrategy<Operand> {
    match kind {
        OperandKind::Gpr => (0u8..32).prop_map(Operand::Gpr).boxed(),
        OperandKind::Tile => (0u8..16).prop_map(Operand::Tile).boxed(),
        OperandKind::Csr => {
            prop::sample::select(csr::CSRS.iter().map(|c| c.num).collect::<Vec<_>>())
                .prop_map(Operand::Csr)
                .boxed()
        }
        OperandKind::Space => prop::sample::select(bitloom_isa::Space::ALL.to_vec())
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
                .prop_map(|v| Operand::PcRel(v as i32 * 4))
                .boxed()
        }
        OperandKind::Mem { .. } => {
            let (lo, hi) = kind.value_range();
            ((lo..=hi), 0u8..32)
                .prop_map(|(d, b)| Operand::Mem {
                    disp: d as i32,
                    base: b,
                })
                .boxed()
        }
    }
}

fn arb_instr() -> impl Strategy<Value = Instr> {
    prop::sample::select(INSTRUCTIONS.iter().collect::<Vec<_>>()).prop_flat_map(|d| {
        let ops: Vec<_> = d.operands.iter().map(|o| arb_operand(o.kind)).collect();
        ops.prop_map(move |v| Instr::new(d.opcode, &v).expect("generated operands match kinds"))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4096))]
    #[test]
    fn decode_encode_roundtrip(i in arb_instr()) {
        let w = i.encode().unwrap();
        prop_assert_eq!(Instr::decode(w).unwrap(), i);
    }

    #[test]
    fn decode_is_total_and_reencodes(w in any::<u32>()) {
        if let Ok(i) = Instr::decode(w) {
            prop_assert_eq!(i.encode().unwrap(), w);
        }
    }
}

#[test]
fn every_instruction_roundtrips_at_field_extremes() {
    for d in INSTRUCTIONS {
        for pick_hi in [false, true] {
            let ops: Vec<Operand> = d
                .operands
                .iter()
                .map(|o| {
                    let (lo, hi) = o.kind.value_range();
                    let v = if pick_hi { hi } else { lo };
                    match o.kind {
                        OperandKind::Gpr => Operand::Gpr(v as u8),
                        OperandKind::Tile => Operand::Tile(v as u8),
                        OperandKind::Csr => Operand::Csr(if pick_hi { csr::NNZ } else { 0 }),
                        OperandKind::Space => {
                            Operand::Space(bitloom_isa::Space::from_bits(v as u32).unwrap())
                        }
                        OperandKind::Prec => Operand::Prec(v as u8),
                        OperandKind::Imm { .. } => Operand::Imm(v as i32),
                        OperandKind::PcRel { .. } => Operand::PcRel(v as i32),
                        OperandKind::Mem { .. } => Operand::Mem {
                            disp: v as i32,
                            base: if pick_hi { 31 } else { 0 },
                        },
                    }
                })
                .collect();
            let i = Instr::new(d.opcode, &ops).unwrap();
            let w = i.encode().unwrap();
            assert_eq!(Instr::decode(w).unwrap(), i, "{}", d.mnemonic);
        }
    }
}

#[test]
fn out_of_range_immediate_is_an_error_naming_the_range() {
    let i = Instr::new(
        bitloom_isa::Opcode::Addi,
        &[Operand::Gpr(1), Operand::Gpr(2), Operand::Imm(9000)],
    )
    .unwrap();
    let e = i.encode().unwrap_err().to_string();
    assert!(e.contains("-8192..=8191"), "{e}");
}
