; .irp: the body once per value, with \name substituted (GNU semantics).
        .data
        .irp v, 1, 2, 3
        .byte \v * 2
        .endr                           ; => 02 04 06
        .irp r, 0x10, (1 + 2) * 3
        .byte \r
        .endr                           ; => 10 09
        .irp x
        .byte 7 \x                      ; no values: once, with \x empty
        .endr                           ; => 07
        .irp a, 1, 2
        .irp b, 10, 20
        .byte \a + \b
        .endr
        .endr                           ; => 0b 15 0c 16
        .macro twice v
        .irp k, 0, 1
        .half \v + \k
        .endr
        .endm
        .balign 2
        twice 0x100                     ; => 00 01 01 01
        .irp n, 1, 2
        .if \n == 2
        .byte 0x22
        .endif
        .endr                           ; => 22
        .irp x, 5
        .byte 1
        .endr                           ; => 01
