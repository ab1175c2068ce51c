; `.warning` prints a warning at its line; the build succeeds.
        .data
        .warning "tile size is not a multiple of 64; falling back to the slow path"
        .if 0
        .warning "not reached"
        .endif
        .byte 1                         ; => 01
