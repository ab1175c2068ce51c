//! `Instr` API edge cases: encoding an instruction whose operand list no longer fits its opcode
//! is an error (never a panic).

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
