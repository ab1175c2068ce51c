; conformance/tile.s -- class `tile`: tdef stamps precision/format from the CSRs, tzero,
; and density-check (`dchk`): rd, the nnz/density/dense CSRs, and the dthresh comparison.
        .include "include/conf.inc"
        .text
_start:
        cfgi    aprec, 4
        cfgi    afmt, 0
        li      r5, 0
        li      r6, 4
        li      r7, 8
        tdef    t1, asp, r5, r6, r7     ; 4x8 int4 activations: 16 bytes
        la      r10, a_data
        ld.raw  t1, r10
        dchk    r11, t1                 ; 8 non-zero codes of 32
        check   r11, 8, 1
        csrr    r12, nnz
        check   r12, 8, 2
        csrr    r12, density            ; floor(1000 * 8 / 32)
        check   r12, 250, 3
        csrr    r12, dense              ; 250 < dthresh 500
        check   r12, 0, 4
        cfgi    dthresh, 250            ; density >= dthresh -> dense
        dchk    r11, t1
        csrr    r12, dense
        check   r12, 1, 5
        tzero   t1
        dchk    r11, t1
        check   r11, 0, 6
        csrr    r12, density
        check   r12, 0, 7
        tdef    t2, acc, r5, r6, r6     ; 4x4 accumulators
        tzero   t2
        dchk    r11, t2
        check   r11, 0, 8
        pass

        .rodata
a_data: .tile   4, 1, 0, 0, 2, 0, 0, 0, 3
        .tile   4, 0, 0, 0, 0, 0, 0, 0, -1
        .tile   4, 4, 5, 6, 7, 0, 0, 0, 0
        .tile   4, 0, 0, 0, 0, 0, 0, 0, 0
