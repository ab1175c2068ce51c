        .macro load_imm reg, val
        addi \reg, r0, \val
        .endm
        load_imm r1, 100000
