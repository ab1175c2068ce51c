; Unbalanced conditionals: each is an error at its line, pointing at the opening `.if`.
        .data
        .else
        .endif
        .elseif 1
        .if 1
        .byte 1
        .else
        .byte 2
        .else
        .byte 3
        .endif
        .ifdef X
        .else
        .elseif 1
        .endif
        .if 1
        .if 0
        .byte 4
        .else
