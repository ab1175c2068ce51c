        .rodata
        .tile 4, 1, 16, -9
        .tile 9, 1
        .scales 2, 4
