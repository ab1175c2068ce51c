; A line continuation needs a next line.
        .data
        .byte 1, \
