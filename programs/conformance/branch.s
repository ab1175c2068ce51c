; conformance/branch.s -- class `branch`: each conditional branch taken and not taken
; (signed vs unsigned), and the counted loop `dbnz` (including `dbnz r0`, never taken).
; r31 holds the number of the check in progress; `fail` halts with it.
        .include "include/conf.inc"
        .text
_start:
        li      r5, -1
        li      r6, 1
        li      r31, 1
        beq     r5, r5, 1f
        halt    r31
1:      li      r31, 2
        beq     r5, r6, fail
        li      r31, 3
        bne     r5, r6, 1f
        halt    r31
1:      li      r31, 4
        bne     r5, r5, fail
        li      r31, 5
        blt     r5, r6, 1f              ; -1 < 1 signed
        halt    r31
1:      li      r31, 6
        bltu    r5, r6, fail            ; 0xffffffff < 1 unsigned: no
        li      r31, 7
        bltu    r6, r5, 1f
        halt    r31
1:      li      r31, 8
        bge     r6, r5, 1f
        halt    r31
1:      li      r31, 9
        bge     r5, r6, fail
        li      r31, 10
        bgeu    r5, r6, 1f
        halt    r31
1:      li      r31, 11
        bgeu    r6, r5, fail
        li      r31, 12
        blt     r6, r5, fail
        ; dbnz: 5 iterations of +2
        li      r7, 5
        li      r8, 0
2:      addi    r8, r8, 2
        dbnz    r7, 2b
        check   r8, 10, 13
        check   r7, 0, 14
        li      r31, 15
        dbnz    r0, fail                ; r0 reads 0 after the discarded write
        pass
fail:   halt    r31
