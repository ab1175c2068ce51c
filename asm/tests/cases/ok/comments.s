; Block comments: /* ... */ anywhere a space may go, possibly over several lines.
        .data
        .byte 1 /* one */, 2            ; => 01 02
        /* a comment
           .byte 0xee over
           several lines */ .byte 3     ; => 03
        .ascii "/* not a comment */"    ; => 2f 2a 20 6e 6f 74 20 61 20 63 6f 6d 6d 65 6e 74 20 2a 2f
        .byte '/' /* a char */          ; => 2f
        .byte 4 ; /* a line comment holds no block comment
        .byte 5 // /* nor does this one ; => 04 05
        /**/.byte/**/6/**/,/**/7         ; => 06 07
