        .word 1f
        .word 2b
1:
