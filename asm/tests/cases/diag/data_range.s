        .byte 256, -129
        .half 70000
