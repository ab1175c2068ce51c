; tiled_bug.s -- a sparse, K-tiled GEMM with a PLANTED BUG, for docs/DEBUGGING.md.
;
; C (4x8, int32) = W (4x32, int4, ~50 % zeros) x A (32x8, uint8, ~60 % zero codes, shipped
; run-length encoded). K is split into two K-tiles of 16: W tile k at wsp + k * W_STRIDE,
; A tile k at asp + k * A_STRIDE; both K-tiles are loaded first, then two bsmacs
; accumulate into t2. The scalar core recomputes C from plain byte copies of W and A and
; the program exits 0 iff every accumulator matches, else 1 + the first bad element.
;
; The bug: A_STRIDE was copied from the weights' stride formula, which counts int4 codes
; (two per byte); the activations are uint8, so the second A tile lands in the middle of
; the first one and its load overwrites half of it. The fix is in the comment below.

        .equ M, 4
        .equ KT, 16                     ; K per tile
        .equ N, 8
        .equ W_STRIDE, M * KT / 2       ; bytes of one int4 W tile
        .equ A_STRIDE, KT * N / 2       ; BUG: uint8 A tiles take KT * N bytes

        .text
        .global _start
_start:
        cfgi    wprec, 4
        cfgi    wfmt, 0                 ; int4 weights
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint8 activations
        cfgi    azp, 0                  ; zero-point 0: a zero code is a zero value
        cfgi    rlerun, 4

        ; --- K-tile 0: t0 = W[:, 0:16] (wsp), t1 = A[0:16, :] (asp) ---
        li      r5, 0
        li      r6, M
        li      r7, KT
        tdef    t0, wsp, r5, r6, r7
        li      r6, KT
        li      r7, N
        tdef    t1, asp, r5, r6, r7
        ; --- K-tile 1: t3 = W[:, 16:32], t4 = A[16:32, :] ---
        li      r5, W_STRIDE
        li      r6, M
        li      r7, KT
        tdef    t3, wsp, r5, r6, r7
        li      r5, A_STRIDE
        li      r6, KT
        li      r7, N
        tdef    t4, asp, r5, r6, r7
        ; --- accumulator ---
        li      r5, 0
        li      r6, M
        tdef    t2, acc, r5, r6, r7

        ; --- DMA both K-tiles in, then accumulate ---
        la      r10, w_tile0
        ld.raw  t0, r10
        la      r10, a_rle0
        ld.rle  t1, r10
        la      r10, w_tile1
        ld.raw  t3, r10
        la      r10, a_rle1
        ld.rle  t4, r10
        tzero   t2
        bsmac   t2, t0, t1
        bsmac   t2, t3, t4
        la      r10, result
        st.raw  t2, r10

        ; --- scalar reference: C[m][n] = sum_k w[m][k] * a[k][n], K = 32 ---
        la      r20, w_bytes
        la      r21, a_bytes
        la      r22, result
        li      r12, 0                  ; m
m_loop:
        li      r13, 0                  ; n
n_loop:
        li      r15, 0                  ; sum
        li      r14, 0                  ; k
k_loop:
        slli    r16, r12, 5             ; m * 32
        add     r16, r16, r14
        add     r16, r16, r20
        lb      r17, 0(r16)             ; w[m][k]
        slli    r16, r14, 3             ; k * 8
        add     r16, r16, r13
        add     r16, r16, r21
        lbu     r18, 0(r16)             ; a[k][n]
        mul     r17, r17, r18
        add     r15, r15, r17
        addi    r14, r14, 1
        li      r16, 32
        blt     r14, r16, k_loop
check:
        slli    r16, r12, 3
        add     r16, r16, r13           ; element index m * N + n
        slli    r17, r16, 2
        add     r17, r17, r22
        lw      r17, 0(r17)             ; the accelerator's C[m][n]
        bne     r17, r15, mismatch
        addi    r13, r13, 1
        li      r16, N
        blt     r13, r16, n_loop
        addi    r12, r12, 1
        li      r16, M
        blt     r12, r16, m_loop
        li      r1, 0
        halt    r1
mismatch:
        addi    r16, r16, 1
        halt    r16

        .rodata
        .align  4
w_tile0:                                ; W[:, 0:16] as packed int4
        .tile   4, 1, 0, 0, 6, 0, 1, 2, 0, -3, 1, 0, 0, -1, 0, 0, 0
        .tile   4, -4, 0, 2, 0, 6, -6, 0, 0, -4, 0, -1, 0, -6, 0, 3, -6
        .tile   4, 0, 7, -5, 6, 0, 0, -5, -3, 2, -3, -6, 2, 0, -2, 0, 2
        .tile   4, 0, 0, -5, 0, 0, 0, 0, 0, 0, 7, 0, 0, -1, -7, -3, 2
w_tile1:                                ; W[:, 16:32]
        .tile   4, -7, 0, -7, -4, 0, 0, 2, 0, 0, 0, 3, 3, 1, 0, 0, 0
        .tile   4, -7, 0, 0, -4, 0, 0, 0, 1, 1, 4, 0, -1, -1, 0, 6, 0
        .tile   4, 2, -1, -5, -4, 0, -4, 3, 0, -1, 0, 0, -6, 1, 0, 4, -1
        .tile   4, 0, -5, 0, 0, 0, 0, 0, -7, 0, -2, 0, 0, 3, -6, 0, -6
        .align  4
a_rle0:                                 ; A[0:16, :] run-length encoded (8-bit codes, 4-bit runs)
        .rle    8, 4, 140, 12, 0, 0, 0, 0, 0, 176, 0, 220, 0, 0, 0, 0, 0, 150, 19, 164, 66, 0, 0, 189, 0, 0, 0, 0, 0, 0, 23, 0, 179, 200, 0, 0, 3, 37, 0, 44, 0, 239, 0, 0, 171, 163, 0, 0, 0, 0, 150, 0, 35, 0, 0, 0, 0, 0, 44, 121, 55, 0, 134, 0, 215, 0, 0, 213, 224, 0, 0, 91, 203, 0, 0, 0, 197, 0, 37, 0, 0, 28, 0, 0, 0, 0, 0, 122, 183, 121, 0, 58, 89, 0, 0, 0, 0, 218, 0, 0, 239, 0, 116, 0, 0, 0, 146, 0, 0, 0, 84, 0, 185, 0, 0, 0, 63, 0, 0, 0, 0, 0, 233, 0, 130, 113, 108, 0, 0, 208
        .align  4
a_rle1:                                 ; A[16:32, :]
        .rle    8, 4, 0, 0, 137, 202, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 132, 0, 0, 98, 0, 0, 0, 37, 0, 0, 0, 138, 2, 0, 249, 235, 0, 0, 0, 0, 0, 138, 0, 0, 0, 0, 127, 112, 0, 0, 0, 0, 108, 0, 0, 200, 0, 40, 176, 186, 159, 0, 0, 0, 0, 0, 0, 0, 0, 163, 0, 0, 53, 0, 0, 56, 0, 0, 0, 190, 0, 47, 81, 0, 200, 0, 0, 62, 23, 25, 0, 0, 0, 0, 161, 0, 52, 0, 211, 0, 130, 0, 176, 0, 0, 0, 196, 0, 0, 0, 48, 45, 0, 0, 0, 16, 175, 0, 0, 120, 0, 54, 0, 180, 52, 117, 95, 0, 43
w_bytes:                                ; W, one signed byte per element, row-major
        .byte   1, 0, 0, 6, 0, 1, 2, 0, -3, 1, 0, 0, -1, 0, 0, 0, -7, 0, -7, -4, 0, 0, 2, 0, 0, 0, 3, 3, 1, 0, 0, 0
        .byte   -4, 0, 2, 0, 6, -6, 0, 0, -4, 0, -1, 0, -6, 0, 3, -6, -7, 0, 0, -4, 0, 0, 0, 1, 1, 4, 0, -1, -1, 0, 6, 0
        .byte   0, 7, -5, 6, 0, 0, -5, -3, 2, -3, -6, 2, 0, -2, 0, 2, 2, -1, -5, -4, 0, -4, 3, 0, -1, 0, 0, -6, 1, 0, 4, -1
        .byte   0, 0, -5, 0, 0, 0, 0, 0, 0, 7, 0, 0, -1, -7, -3, 2, 0, -5, 0, 0, 0, 0, 0, -7, 0, -2, 0, 0, 3, -6, 0, -6
a_bytes:                                ; A, one byte per element, row-major
        .byte   140, 12, 0, 0, 0, 0, 0, 176
        .byte   0, 220, 0, 0, 0, 0, 0, 150
        .byte   19, 164, 66, 0, 0, 189, 0, 0
        .byte   0, 0, 0, 0, 23, 0, 179, 200
        .byte   0, 0, 3, 37, 0, 44, 0, 239
        .byte   0, 0, 171, 163, 0, 0, 0, 0
        .byte   150, 0, 35, 0, 0, 0, 0, 0
        .byte   44, 121, 55, 0, 134, 0, 215, 0
        .byte   0, 213, 224, 0, 0, 91, 203, 0
        .byte   0, 0, 197, 0, 37, 0, 0, 28
        .byte   0, 0, 0, 0, 0, 122, 183, 121
        .byte   0, 58, 89, 0, 0, 0, 0, 218
        .byte   0, 0, 239, 0, 116, 0, 0, 0
        .byte   146, 0, 0, 0, 84, 0, 185, 0
        .byte   0, 0, 63, 0, 0, 0, 0, 0
        .byte   233, 0, 130, 113, 108, 0, 0, 208
        .byte   0, 0, 137, 202, 0, 0, 0, 0
        .byte   0, 0, 0, 0, 0, 0, 0, 0
        .byte   0, 0, 0, 132, 0, 0, 98, 0
        .byte   0, 0, 37, 0, 0, 0, 138, 2
        .byte   0, 249, 235, 0, 0, 0, 0, 0
        .byte   138, 0, 0, 0, 0, 127, 112, 0
        .byte   0, 0, 0, 108, 0, 0, 200, 0
        .byte   40, 176, 186, 159, 0, 0, 0, 0
        .byte   0, 0, 0, 0, 163, 0, 0, 53
        .byte   0, 0, 56, 0, 0, 0, 190, 0
        .byte   47, 81, 0, 200, 0, 0, 62, 23
        .byte   25, 0, 0, 0, 0, 161, 0, 52
        .byte   0, 211, 0, 130, 0, 176, 0, 0
        .byte   0, 196, 0, 0, 0, 48, 45, 0
        .byte   0, 0, 16, 175, 0, 0, 120, 0
        .byte   54, 0, 180, 52, 117, 95, 0, 43

        .bss
        .align  4
result: .zero   M * N * 4
