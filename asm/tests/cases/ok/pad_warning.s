; A packed directive that ends mid-byte followed by another packed directive: a warning
; (three here), and the build still succeeds.
        .rodata
        .tile 4, 1, 2, 3                ; => 21 03
        .tile 4, 4, 5, 6                ; => 54 06
        ; warning: `.tile` ends mid-byte: 4 zero bits of padding before the next `.tile`
        .scales 6, 1                    ; => 01
        .byte 0                         ; => 00
        .rept 2
        .tile 2, 3                      ; the second repetition follows the first
        .endr                           ; => 03 03
        .byte 0                         ; => 00
        .tile 4, 1, 2, 3
; a label in between: intended
t:      .tile 4, 1, 2                   ; => 21 03 21
        .tile 4, 1
        .balign 1                       ; any statement in between: intended
        .tile 4, 1, 2                   ; => 01 21
        .tile 8, 1                      ; => 01
