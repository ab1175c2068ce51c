; conformance/jump.s -- class `jump`: jal/jalr link values, jalr with a displacement,
; call/ret through ra, and `j` (jal r0).
        .include "include/conf.inc"
        .text
_start:
        li      r10, 0
        call    sub1
        check   r10, 42, 1
        la      r5, sub2
        jalr    ra, 0(r5)
        check   r10, 43, 2
        li      r10, 0
        la      r5, sub2 - 8
        jalr    ra, 8(r5)               ; target = r5 + 8
        check   r10, 43, 3
here:   jal     r6, 1f                  ; r6 = here + 4
1:      la      r7, here
        addi    r7, r7, 4
        checkr  r6, r7, 4
        j       1f
        li      r31, 5
        halt    r31
1:      pass

sub1:   li      r10, 42
        ret
sub2:   li      r10, 43
        ret
