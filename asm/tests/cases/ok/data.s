; Data directives, alignment and strings.
        .data
        .ascii "ab"             ; => 61 62
        .asciz "c\t"            ; => 63 09 00
        .string "\"q\""         ; => 22 71 22 00
        .align 4                ; => 00 00 00
        .fill 2, 2, 0x0102      ; => 02 01 02 01
        .zero 3                 ; => 00 00 00
        .space 1, 0xee          ; => ee
        .p2align 3              ; => 00 00 00 00
        .word 0xffffffff, -1    ; => ff ff ff ff ff ff ff ff
        .bss
buf:    .zero 64
        .section .rodata.luts
tab:    .byte 1                 ; => 01
        ; symbol: buf = 0x1030
