; trap.s -- a misaligned load traps after a few instructions (for the debugger's tests:
; the stop at the faulting instruction, inspecting state there, reverse execution from it).
        .text
        .global _start
_start:
        li      r5, 0x2001              ; not word-aligned
        li      r6, 7
        addi    r6, r6, 1
        lw      r7, 0(r5)               ; traps: misaligned load
        halt    r7
