        .rodata
        .lut 1, 2, 3
        .lut 1, 300
