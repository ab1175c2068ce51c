; vsq_tiled.s -- VSQ 4-bit GEMM with per-vector scales (seed 003): int4 W[32x512] and
; A[512x32], every 64-element vector of K carrying a 6-bit unsigned scale for weights
; (per row) and activations (per column). The expectation pins a hardware configuration
; with 2 KiB weight and activation scratchpads, so the 8 KiB operands do not fit: the
; kernel walks K in chunks of 64 (one vector), loading W, A and both scale tiles per chunk
; and accumulating `vscale` into one accumulator tile.
        .include "include/k.inc"
        .equ    M, 32
        .equ    K, 512
        .equ    N, 32
        .equ    KT, 64                  ; K per chunk: one 64-element vector
        .equ    WCH, M * KT / 2         ; bytes of a W chunk (4-bit): 1024
        .equ    ACH, KT * N / 2         ; bytes of an A chunk: 1024
        .equ    SCH, 32 * 6 / 8         ; bytes of a 32-entry 6-bit scale chunk: 24

        .text
_start:
        cfgi    vlen, 64
        cfgi    wprec, 4
        cfgi    aprec, 4
        deftile t0, wsp, 0, M, KT       ; W chunk, int4
        deftile t1, asp, 0, KT, N       ; A chunk, int4
        deftile t4, acc, 0, M, N
        cfgi    wprec, 6                ; scales: 6-bit codes, read as unsigned integers
        cfgi    aprec, 6
        deftile t2, wsp, WCH, M, 1      ; weight scales of this chunk (one per row)
        deftile t3, asp, ACH, 1, N      ; activation scales (one per column)
        tzero   t4
        la      r10, w_chunks
        la      r11, a_chunks
        la      r12, sw_chunks
        la      r13, sa_chunks
        li      r14, K / KT
        li      r15, WCH
        li      r16, ACH
chunk:
        ld.raw  t0, r10
        ld.raw  t1, r11
        ld.raw  t2, r12
        ld.raw  t3, r13
        vscale  t4, t0, t1, t2, t3      ; acc += sw[m] * sa[n] * (W_chunk . A_chunk)
        add     r10, r10, r15
        add     r11, r11, r16
        addi    r12, r12, SCH
        addi    r13, r13, SCH
        dbnz    r14, chunk
        straw   t4, out
        halt    zero

        .include "data/vsq_tiled.inc"
        .bss
        .align  4
out:    .zero   M * N * 4
