; .irpc: the body once per character of the values, with \name replaced by that character
; (GNU semantics). Encodings worked out by hand from docs/ISA.md:
; addi rd, rs1, imm = 0x20 | rd << 8 | rs1 << 13 | imm << 18, so `addi r1, r1, N` is
; 0x00002120 + N * 0x40000, little-endian `20 21 (N*4) 00`.
        .text
_start: .irpc n, 0123456789
        addi r1, r1, \n
        .endr                           ; => 20 21 00 00  20 21 04 00  20 21 08 00  20 21 0c 00  20 21 10 00  20 21 14 00  20 21 18 00  20 21 1c 00  20 21 20 00  20 21 24 00
        ; The same with `.irp` written out: the same words.
        .irp n, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9
        addi r1, r1, \n
        .endr                           ; => 20 21 00 00  20 21 04 00  20 21 08 00  20 21 0c 00  20 21 10 00  20 21 14 00  20 21 18 00  20 21 1c 00  20 21 20 00  20 21 24 00
        .IRPC r, 23                     ; case-insensitive, like every directive
        addi r\r, r\r, 1
        .endr                           ; => 20 42 04 00  20 63 04 00
        halt r0                         ; => 58 00 00 00
        ; entry: 0x1000
        ; symbol: _start = 0x1000

        .data
        ; Blanks between characters are skipped; a trailing comment is not part of them.
        .irpc d, 4 5  6                 ; 7 8
        .byte \d
        .endr                           ; => 04 05 06
        ; Inside quotes, blanks are characters; the quotes are not.
        .irpc ch, "a b"
        .byte '\ch'
        .endr                           ; => 61 20 62
        ; A comma is a character like any other.
        .irpc ch, 1,2
        .byte '\ch'
        .endr                           ; => 31 2c 32
        ; Characters pasted into a number.
        .irpc d, 1f
        .byte 0x\d
        .endr                           ; => 01 0f
        ; No values: once, with the parameter empty (with or without the comma).
        .irpc x
        .byte 7 \x
        .endr                           ; => 07
        .irpc x,
        .byte 8 \x
        .endr                           ; => 08
        ; An empty quoted string has no characters: no iterations.
        .irpc x, ""
        .byte 9
        .endr                           ; =>
        ; Nesting: `.irpc` in `.irpc` (\a\b pastes two digits), in `.irp`, in `.rept`, and
        ; `.irp` and `.rept` in `.irpc`.
        .irpc a, 12
        .irpc b, 34
        .byte \a\b
        .endr
        .endr                           ; => 0d 0e 17 18
        .irp base, 0x10, 0x20
        .irpc k, 012
        .byte \base + \k
        .endr
        .endr                           ; => 10 11 12 20 21 22
        .set i, 0
        .rept 2
        .irpc k, 34
        .byte i * 16 + \k
        .endr
        .set i, i + 1
        .endr                           ; => 03 04 13 14
        .irpc a, 12
        .irp b, 0, 5
        .byte \a * 10 + \b
        .endr
        .endr                           ; => 0a 0f 14 19
        .irpc a, 79
        .rept 2
        .byte \a
        .endr
        .endr                           ; => 07 07 09 09
        ; In a macro, with the characters from an argument.
        .macro digits s
        .irpc d, \s
        .byte \d
        .endr
        .endm
        digits 531                      ; => 05 03 01
        ; `.if` inside the body, evaluated per character.
        .irpc n, 1234
        .if \n % 2 == 0
        .byte \n
        .endif
        .endr                           ; => 02 04
        ; A body without `\` runs the lines themselves, once per character.
        .irpc x, abc
        .byte 1
        .endr                           ; => 01 01 01
