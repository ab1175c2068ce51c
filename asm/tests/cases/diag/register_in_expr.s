        .word r1 + 1
        .byte \x
