; conformance/alu.s -- class `alu`: register-register and immediate arithmetic, logic,
; shifts (amount masked to 5 bits), comparisons, lui/auipc, writes to r0 discarded.
; Exit code = number of the first failing check (0: all passed).
        .include "include/conf.inc"
        .text
_start:
        li      r5, 7
        li      r6, -3
        add     r7, r5, r6
        check   r7, 4, 1
        sub     r7, r6, r5
        check   r7, -10, 2
        li      r8, 0x7fffffff
        addi    r7, r8, 1               ; wraps
        check   r7, 0x80000000, 3
        li      r9, 0xf0f0
        li      r10, 0x0ff0
        and     r7, r9, r10
        check   r7, 0x00f0, 4
        or      r7, r9, r10
        check   r7, 0xfff0, 5
        xor     r7, r9, r10
        check   r7, 0xff00, 6
        li      r11, 33                 ; shift amounts use the low 5 bits: 33 -> 1
        sll     r7, r5, r11
        check   r7, 14, 7
        srl     r7, r6, r11
        check   r7, 0x7ffffffe, 8
        sra     r7, r6, r11
        check   r7, -2, 9
        slt     r7, r6, r5              ; -3 < 7 signed
        check   r7, 1, 10
        sltu    r7, r6, r5              ; 0xfffffffd < 7 unsigned? no
        check   r7, 0, 11
        addi    r7, r5, -8
        check   r7, -1, 12
        andi    r7, r9, 0xff
        check   r7, 0xf0, 13
        ori     r7, r5, 0x100
        check   r7, 0x107, 14
        xori    r7, r5, -1              ; not
        check   r7, -8, 15
        slti    r7, r6, -2
        check   r7, 1, 16
        sltiu   r7, r5, -1              ; 7 < 0xffffffff
        check   r7, 1, 17
        slli    r7, r5, 31
        check   r7, 0x80000000, 18
        srli    r7, r6, 28
        check   r7, 0xf, 19
        srai    r7, r6, 28
        check   r7, -1, 20
        lui     r7, 3                   ; 3 << 13
        check   r7, 24576, 21
here:   auipc   r7, 1                   ; pc + 8192
        la      r12, here
        li      r13, 8192
        add     r12, r12, r13
        checkr  r7, r12, 22
        add     r0, r5, r5              ; discarded
        check   r0, 0, 23
        pass
