; sparse_rle.s -- sparse GEMM from an RLE tile: 75 % of the activations are zero, so they
; ship as a run-length stream (`.rle 8, 4`: 8-bit codes, 4-bit runs). `ld.rle` expands it
; through the zero eliminator; the MAC array then skips every product with a zero
; operand. The expectation checks the result, the exact number of skipped products (both
; computed by NumPy) and that DRAM traffic was the compressed stream, not the raw tile.
        .include "include/k.inc"
        .equ    M, 32
        .equ    K, 64
        .equ    N, 32

        .text
_start:
        cfgi    wprec, 8
        cfgi    aprec, 8
        cfgi    rlerun, 4               ; stamped into t1 by its tdef
        deftile t0, wsp, 0, M, K
        deftile t1, asp, 0, K, N
        deftile t2, acc, 0, M, N
        ldraw   t0, w_raw
        ldrle   t1, a_rle
        tzero   t2
        bsmac   t2, t0, t1
        straw   t2, out
        halt    zero

        .include "data/sparse_rle.inc"
        .bss
        .align  4
out:    .zero   M * N * 4
