; `.if` needs a value known at its line: a symbol defined later is an error (GNU as also
; rejects a non-constant `.if`); an undefined one is an unknown symbol.
        .data
        .if LATER
        .byte 1
        .endif
        .equ LATER, 1
        .if NOWHERE
        .endif
        .if 1, 2
        .endif
        .ifdef 3
        .endif
        .if 1
        .else junk
        .endif
        .if lbl
        .endif
lbl:    .byte 0
