        .macro pair a, b
        .byte \a, \b
        .endm
        .data
        pair 1, 2, 3
        pair 1
