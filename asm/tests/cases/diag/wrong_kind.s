        add r1, t2, r3
        bsmac t0, r1, t2
        lw r1, r2
        tdef t1, r2, r2, r3, r4
