        .equ NIL, 0
        .word 10 / NIL
        addi r1, r1, 7 % (2 - 2)
