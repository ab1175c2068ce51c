; conformance/store.s -- class `store`: sb/sh/sw write exactly their bytes, little-endian.
; The expectation file also compares the buffer byte by byte.
        .include "include/conf.inc"
        .text
_start:
        la      r5, buf
        li      r6, 0x12345678
        li      r7, -1
        sw      r6, 0(r5)
        sb      r6, 4(r5)               ; 0x78
        sh      r6, 6(r5)               ; 0x5678
        sb      r7, 8(r5)
        sh      r7, 10(r5)
        sb      r7, 1(r5)               ; overwrite one byte of the word
        lw      r8, 0(r5)
        check   r8, 0x1234ff78, 1
        lw      r8, 4(r5)
        check   r8, 0x56780078, 2
        lw      r8, 8(r5)
        check   r8, 0xffff00ff, 3
        lw      r8, 12(r5)
        check   r8, 0, 4
        pass

        .bss
        .align  4
buf:    .zero   16
