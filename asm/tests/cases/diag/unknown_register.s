        add r1, r32, r2
        add r1, zer0, r2
        bsmac t16, t1, t2
