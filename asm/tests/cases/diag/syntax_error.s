        add r1, r2 r3
        lw r1, 4(r2
        .word 1 +
