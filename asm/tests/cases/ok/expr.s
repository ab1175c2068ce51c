; Expressions: C precedence, all literal forms, `.`, label arithmetic, .equ/.set/=.
        .equ TEN, 10
        .set X, 3
        Y = X * 2 + 1           ; 7
        .data
        .byte 1 + 2 * 3, (1 + 2) * 3, 7 / 2, 7 % 4, -1        ; => 07 09 03 03 ff
        .byte 1 << 4 | 1, 0xf0 >> 4, 6 & 3, 6 ^ 3, ~0 & 0x7f  ; => 11 0f 02 05 7f
        .byte 0b1010, 0o17, 1_0, 'a', '\n', '\x41', '\''       ; => 0a 0f 0a 61 0a 41 27
        .byte TEN, X, Y, -TEN & 0xff                           ; => 0a 03 07 f6
        .half 0x1234, -2                                       ; => 34 12 fe ff
start:  .word end - start, .                                   ; => 08 00 00 00 19 10 00 00
end:
        .set X, X + 1
        .byte X                                                ; => 04
        .word FWD                                              ; => 2a 00 00 00
        .equ FWD, 42
        ; symbol: TEN = 10
        ; symbol: start = 0x1019
