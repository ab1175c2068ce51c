; A block comment that never ends is an error at its opening.
        .data
        .byte 1 /* closed */
        .byte 2 /* never
        .byte 3
