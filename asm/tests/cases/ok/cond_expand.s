; Conditionals inside macros, .rept and .include, and around .macro definitions.
        .data
        .macro pick n
        .if \n < 2
        .byte 0xa0 + \n
        .else
        .byte 0xb0 + \n
        .endif
        .endm
        pick 1                          ; => a1
        pick 5                          ; => b5
        .set i, 0
        .rept 4
        .if i & 1
        .byte i
        .endif
        .set i, i + 1
        .endr                           ; => 01 03
        .equ USE_INC, 1
        .if USE_INC
        .include "inc/cond.inc"         ; => c1
        .endif
        .if 0
        .macro pick2                    ; a definition in a skipped region is not made
        .byte 0xee
        .endm
        .else
        .macro pick2
        .byte 0xc2
        .endm
        .endif
        pick2                           ; => c2
        .if 1
        .rept 2
        .byte 0xc3
        .endr
        .endif                          ; => c3 c3
        .if 0
        .include "inc/does_not_exist.inc" ; a skipped .include is not read
        .irp x, 1, 2                    ; nor is a skipped .irp expanded
        .byte \x
        .endr
        .endif
        .ifdef USE_INC /* a block comment hides an .endif:
        .endif
        */
        .byte 0xc4                      ; => c4
        .endif
