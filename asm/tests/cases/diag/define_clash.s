; A symbol predefined with -D cannot be defined again in the source.
; define: N=4
        .data
        .equ N, 8
N:      .byte 1
        .set N, 2
        .ifndef N
        .equ N, 8                       ; the way to give a default: not an error
        .endif
        .byte N                         ; => 04
