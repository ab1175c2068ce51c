; Macros with parameters, defaults, unique labels, and .rept.
        .macro inc reg, by=1
        addi \reg, \reg, \by
        .endm
        .macro spin n
loop\@: addi \n, \n, -1
        bnez \n, loop\@
        .endm
_start:
        inc r1              ; => 20 21 04 00
        inc r2, 5           ; => 20 42 14 00
        spin r3             ; => 20 63 fc ff 41 03 fc ff
        spin r3             ; => 20 63 fc ff 41 03 fc ff
        .rept 3
        nop
        .endr               ; => 20 00 00 00 20 00 00 00 20 00 00 00
        .set i, 0
        .data
        .rept 4
        .byte i
        .set i, i + 1
        .endr               ; => 00 01 02 03
