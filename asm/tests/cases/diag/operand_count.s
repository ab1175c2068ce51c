        add r1, r2
        halt r0, r1
        nop r1
