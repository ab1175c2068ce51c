_start: beq r1, r2, far
        .zero 40000
far:    halt r0
