; panacea.s -- Panacea-style asymmetric bit-slice GEMM (seed 002). Activations are uint8
; with zero-point 128 and pile up around it, so their high 4-bit slice (HO = x >> 4) is
; mostly one value r. With `slice = 4` and `sfreq = 255` the MAC array finds r at run time,
; skips every HO slice equal to r and adds the exact compensation r . sum(w): the result
; equals the plain GEMM (computed again with slicing off and compared by the expectation,
; both against NumPy).
        .include "include/k.inc"
        .equ    M, 16
        .equ    K, 64
        .equ    N, 16

        .text
_start:
        cfgi    wprec, 8
        cfgi    aprec, 8
        cfgi    afmt, 1
        cfgi    azp, 128
        deftile t0, wsp, 0, M, K
        deftile t1, asp, 0, K, N
        deftile t2, acc, 0, M, N
        ldraw   t0, w_raw
        ldraw   t1, x_raw
        cfgi    slice, 4
        cfgi    sfreq, 255              ; pick the most frequent HO value per tile
        tzero   t2
        bsmac   t2, t0, t1
        straw   t2, out_slice
        cfgi    slice, 0                ; plain execution of the same GEMM
        tzero   t2
        bsmac   t2, t0, t1
        straw   t2, out_plain
        halt    zero

        .include "data/panacea.inc"
        .bss
        .align  4
out_slice: .zero M * N * 4
out_plain: .zero M * N * 4
