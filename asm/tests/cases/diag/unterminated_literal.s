        .ascii "abc
        .byte 'x
