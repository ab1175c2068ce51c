; conformance/muldiv.s -- class `muldiv`: mul/mulh/mulhu and signed/unsigned division and
; remainder, including division by zero and INT_MIN / -1 (docs/ISA.md semantics lines).
        .include "include/conf.inc"
        .text
_start:
        li      r5, -7
        li      r6, 3
        mul     r7, r5, r6
        check   r7, -21, 1
        li      r8, 0x10000
        mul     r7, r8, r8              ; 2^32: low word 0
        check   r7, 0, 2
        mulh    r7, r8, r8              ; high word 1
        check   r7, 1, 3
        mulh    r7, r5, r6              ; -21: high word all ones
        check   r7, -1, 4
        mulhu   r7, r5, r6              ; 0xfffffff9 * 3 = 0x2_ffffffeb
        check   r7, 2, 5
        div     r7, r5, r6              ; truncates toward zero
        check   r7, -2, 6
        rem     r7, r5, r6              ; sign of the dividend
        check   r7, -1, 7
        divu    r7, r5, r6              ; 4294967289 / 3
        check   r7, 1431655763, 8
        remu    r7, r5, r6
        check   r7, 0, 9
        div     r7, r5, zero
        check   r7, -1, 10
        divu    r7, r5, zero
        check   r7, 0xffffffff, 11
        rem     r7, r5, zero
        check   r7, -7, 12
        remu    r7, r5, zero
        check   r7, 0xfffffff9, 13
        li      r9, 0x80000000
        li      r10, -1
        div     r7, r9, r10             ; overflow: INT_MIN
        check   r7, 0x80000000, 14
        rem     r7, r9, r10
        check   r7, 0, 15
        pass
