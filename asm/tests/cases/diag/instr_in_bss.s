        .bss
buf:    .zero 16
        add r1, r2, r3
        .word 5
