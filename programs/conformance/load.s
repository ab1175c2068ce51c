; conformance/load.s -- class `load`: byte/half/word loads, sign and zero extension,
; negative displacements.
        .include "include/conf.inc"
        .text
_start:
        la      r5, data
        lb      r7, 0(r5)
        check   r7, -128, 1
        lbu     r7, 0(r5)
        check   r7, 128, 2
        lb      r7, 1(r5)
        check   r7, 127, 3
        lh      r7, 2(r5)               ; bytes ff 01
        check   r7, 0x01ff, 4
        lh      r7, 4(r5)               ; 0x8001 sign-extended
        check   r7, 0xffff8001, 5
        lhu     r7, 4(r5)
        check   r7, 0x8001, 6
        lw      r7, 8(r5)
        check   r7, 0xdeadbeef, 7
        addi    r6, r5, 12
        lw      r7, -4(r6)
        check   r7, 0xdeadbeef, 8
        pass

        .data
        .align  4
data:   .byte   0x80, 0x7f, 0xff, 0x01
        .half   0x8001, 0
        .word   0xdeadbeef
