        .align 3
        .fill 2, 3, 0
        .byte "text"
        .equ 5, 6
