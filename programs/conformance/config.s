; conformance/config.s -- class `config`: CSR reset values, cfgi/cfg writes read back
; with csrr, instret counting, cycle monotonic, status CSRs at reset.
        .include "include/conf.inc"
        .text
_start:
        csrr    r5, wprec
        check   r5, 8, 1
        cfgi    wprec, 3
        csrr    r5, wprec
        check   r5, 3, 2
        li      r6, 700
        cfg     dthresh, r6
        csrr    r5, dthresh
        check   r5, 700, 3
        csrr    r5, vlen
        check   r5, 64, 4
        csrr    r5, ck
        check   r5, 2, 5
        csrr    r5, instret             ; count before this csrr retires
        csrr    r6, instret
        sub     r7, r6, r5
        check   r7, 1, 6
        csrr    r5, cycle
        nop
        csrr    r6, cycle
        sltu    r7, r5, r6
        check   r7, 1, 7
        csrr    r5, dense
        check   r5, 0, 8
        csrr    r5, rlerun
        check   r5, 4, 9
        pass
