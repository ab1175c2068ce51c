; Several errors are reported in one run, in source order.
        ad r1, r2, r3
        addi r1, r0, 99999
        .wrod 1
        add r1, r2
        j missing
