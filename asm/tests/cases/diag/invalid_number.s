        .word 0x, 12ab, 0b102
        addi r1, r0, 0o9
