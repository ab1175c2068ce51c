; Basic encodings: one instruction per marker.
        .text
_start: add r1, r2, r3      ; => 01 41 0c 00
        addi r1, r0, -1     ; => 20 01 fc ff
        nop
        lw r5, 8(sp)
        halt r0
        ; entry: 0x1000
        ; symbol: _start = 0x1000
