; A conditional must end in the body that opens it: a macro body here.
        .data
        .macro m
        .if 1
        .byte 1
        .endm
        m
        .endif
