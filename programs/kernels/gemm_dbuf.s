; gemm_dbuf.s -- dense int8 GEMM, C[64x64] = W[64x256] . A[256x64], tiled over K in four
; chunks of 64 with double buffering: while the MAC array multiplies chunk c, the DMA
; engine already loads chunk c+1 into the other pair of tile registers.
;
; How the overlap works (docs/TIMING.md §1): each tile register has a ready time. A load
; into t1/t3 does not depend on the bsmac reading t0/t2, so it runs on the DMA engine in
; parallel. A load into t0 must wait until the bsmac that reads t0 is done (no
; write-after-read hazard), which is exactly when the other buffer's bsmac can start.
; The expectation checks the result (NumPy) and that the run took less than the DMA and
; MAC busy times added up, i.e. that they overlapped.
        .include "include/k.inc"
        .equ    M, 64
        .equ    K, 256
        .equ    N, 64
        .equ    KT, 64                  ; K per chunk
        .equ    WBLK, M * KT            ; bytes of one W chunk (int8)
        .equ    ABLK, KT * N            ; bytes of one A chunk

        .text
_start:
        cfgi    wprec, 8
        cfgi    aprec, 8                ; int8 x int8 (formats reset to int)
        deftile t0, wsp, 0, M, KT       ; W buffer 0
        deftile t1, wsp, WBLK, M, KT    ; W buffer 1
        deftile t2, asp, 0, KT, N       ; A buffer 0
        deftile t3, asp, ABLK, KT, N    ; A buffer 1
        deftile t4, acc, 0, M, N
        tzero   t4
        la      r10, w_blocks           ; r10 -> next W chunk
        la      r11, a_rows             ; r11 -> next A chunk (rows of A are contiguous)
        li      r20, WBLK
        li      r21, ABLK
        ld.raw  t0, r10                 ; chunk 0 into buffer 0
        ld.raw  t2, r11
        add     r10, r10, r20
        add     r11, r11, r21
        li      r12, K / KT / 2         ; pairs of chunks
pair:
        ld.raw  t1, r10                 ; prefetch the odd chunk into buffer 1 ...
        ld.raw  t3, r11
        add     r10, r10, r20
        add     r11, r11, r21
        bsmac   t4, t0, t2              ; ... while the even chunk is multiplied
        addi    r12, r12, -1
        beqz    r12, last
        ld.raw  t0, r10                 ; prefetch the next even chunk into buffer 0
        ld.raw  t2, r11
        add     r10, r10, r20
        add     r11, r11, r21
        bsmac   t4, t1, t3
        j       pair
last:
        bsmac   t4, t1, t3
        straw   t4, out
        halt    zero

        .include "data/gemm_dbuf.inc"
        .bss
        .align  4
out:    .zero   M * N * 4
