; A .tile (or any statement) continues on the next line when its line ends with `\`:
; one directive, one packed run, however many lines it takes.
        .rodata
        .tile 4, 1, 2, 3, \
                 4, 5, \
                 6                      ; => 21 43 65
        .tile 4, 1, 2, 3                ; (no warning: the previous .tile ends on a byte)
        .byte 9                         ; => 21 03 09
        .tile 2, 1, 2, 3, 0, \
                 3, 2, 1, 0, \
                 1, 1, 1, 1             ; => 39 1b 55
        .scales 4, 1, \
                   2                    ; => 21
