        beq r1, r2, 0x1002
