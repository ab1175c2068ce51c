        addi r1, r0, 9000
        slli r2, r2, 32
        cfgi wprec, 70000
