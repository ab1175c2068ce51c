; Accelerator data directives.
        .rodata
        .tile 4, 1, 2, 3, -1        ; => 21 f3
        .tile 8, 255, -128          ; => ff 80
        .tile 2, 1, 2, 3, 0, 1      ; => 39 01
        .scales 3, 7, 1             ; => 0f
        .lut -3, -1, 1, 3           ; => fd ff 01 03
        .rle 4, 3, 0, 0, 5, 0       ; => 02 00 00 00 2a 00
