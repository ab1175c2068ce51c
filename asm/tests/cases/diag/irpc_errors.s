; `.irpc` errors.
        .data
        .irpc
        .endr
        .irpc 3, 4
        .endr
        .irpc x 12
        .endr
        .irpc s, "ab
        .endr
        .irpc y, 1
        .byte \y, \z
        .endr
        .irpc z, 1                      ; its `.endr` closes the inner `.irpc`
        .irpc c, 12
        .byte \c
        .endr
