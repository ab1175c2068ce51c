; `.irp` errors.
        .data
        .irp
        .endr
        .irp 3, 4
        .endr
        .irp x 1, 2
        .endr
        .irp y, 1
        .byte \y, \z
        .endr
        .irp z, 1
        .byte 2
