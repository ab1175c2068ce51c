; Pseudo-instructions and their expansions.
_start:
        nop                 ; => 20 00 00 00
        mv r3, r4           ; => 20 83 00 00
        li r1, 42           ; => 20 01 a8 00
        li r1, 0x12345678   ; => 29 61 34 12 20 21 e0 d9
        not r2, r3          ; => 23 62 fc ff
        neg r2, r3          ; => 02 02 0c 00
loop:   beqz r1, loop       ; => 40 01 00 00
        bgt r1, r2, loop    ; => 42 22 fc ff
        j loop              ; => 48 c0 ff ff
        call loop           ; => 48 a1 ff ff
        ret                 ; => 49 20 00 00
        la r5, data         ; => 29 25 00 00 20 a5 00 c1
        .data
data:   .word 1
