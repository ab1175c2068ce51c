_start:
        ad r1, r2, r3
        bsmc t0, t1, t2
