        .macro m
        nop
        .endm
        .endm
        .endr
