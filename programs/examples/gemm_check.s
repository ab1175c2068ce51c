; gemm_check.s -- a self-checking Loom kernel (bundled example).
;
; An 8x16 int4 weight tile times a 16x8 uint8 activation tile (zero-point 3, ~40 % zero
; codes, shipped run-length encoded) on the MAC array, then the same GEMM computed by the
; scalar core from plain byte arrays. Exit code 0 when every accumulator matches, else
; 1 + the index of the first mismatch.

        .equ M, 8
        .equ K, 16
        .equ N, 8
        .equ AZP, 3

        .text
        .global _start
_start:
        ; --- configure operand formats: int4 weights, uint8 activations with zero-point ---
        cfgi    wprec, 4
        cfgi    wfmt, 0                 ; int
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint (zero-point)
        cfgi    azp, AZP
        cfgi    rlerun, 4

        ; --- define tiles: t0 = W (wsp), t1 = A (asp), t2 = ACC ---
        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7
        li      r6, K
        li      r7, N
        tdef    t1, asp, r5, r6, r7
        li      r6, M
        tdef    t2, acc, r5, r6, r7

        ; --- DMA in, density check, MAC, DMA out ---
        la      r10, w_tile
        ld.raw  t0, r10
        la      r10, a_rle
        ld.rle  t1, r10
        dchk    r11, t1                 ; r11 = non-zero activation codes
        tzero   t2
        bsmac   t2, t0, t1
        la      r10, result
        st.raw  t2, r10

        ; --- scalar reference: ref[m][n] = sum_k w[m][k] * (a[k][n] - AZP) ---
        la      r20, w_bytes            ; r20 -> weights, row-major, one byte each
        la      r21, a_bytes            ; r21 -> activations
        la      r22, result             ; r22 -> accelerator result (words)
        li      r12, 0                  ; m
m_loop:
        li      r13, 0                  ; n
n_loop:
        li      r15, 0                  ; sum
        li      r14, 0                  ; k
k_loop:
        li      r16, K
        mul     r16, r12, r16
        add     r16, r16, r14
        add     r16, r16, r20
        lb      r17, 0(r16)             ; w[m][k] (signed)
        li      r16, N
        mul     r16, r14, r16
        add     r16, r16, r13
        add     r16, r16, r21
        lbu     r18, 0(r16)             ; a[k][n] (unsigned code)
        addi    r18, r18, -AZP
        mul     r17, r17, r18
        add     r15, r15, r17
        addi    r14, r14, 1
        li      r16, K
        blt     r14, r16, k_loop
        ; compare with the accelerator's accumulator
        li      r16, N
        mul     r16, r12, r16
        add     r16, r16, r13           ; element index
        slli    r17, r16, 2
        add     r17, r17, r22
        lw      r17, 0(r17)
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
w_tile:                                 ; W as packed int4 codes
        .tile   4, 2, -4, 4, -7, -6, -5, 3, -7, -2, -7, -6, 5, 5, -6, -1, -6
        .tile   4, 5, -7, -5, -1, -7, 4, -7, -1, -7, -4, 1, 5, -4, -5, 1, -3
        .tile   4, -5, -2, 3, -5, -6, -7, -2, 7, 5, 2, 6, 6, 3, 1, -1, -3
        .tile   4, -1, -6, 1, 7, 2, 6, 1, -6, -5, 5, -3, 2, -4, 7, 5, -7
        .tile   4, -6, 2, 2, 3, 7, 6, -6, -6, 0, 7, -6, -7, 1, 6, 1, 4
        .tile   4, 3, -8, 6, 3, -3, -5, 7, -7, -2, 1, -4, -1, 4, 4, 7, -6
        .tile   4, -3, 6, 4, 0, -4, 5, 0, 5, 3, 4, -1, -4, -6, -3, -4, -1
        .tile   4, -1, -8, 7, -3, 0, 1, -8, -4, 5, 3, 2, -4, -7, 6, 4, 4
        .align  4
a_rle:                                  ; A run-length encoded (8-bit codes, 4-bit runs)
        .rle    8, 4, 0, 0, 31, 0, 225, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 0, 0, 0, 0, 238, 159, 0, 0, 0, 0, 82, 105, 185, 0, 13, 152, 46, 133, 85, 0, 0, 168, 99, 205, 116, 0, 14, 143, 99, 176, 178, 186, 0, 0, 172, 0, 0, 176, 43, 61, 102, 91, 170, 0, 202, 43, 87, 14, 0, 74, 242, 179, 0, 10, 0, 52, 71, 99, 108, 0, 0, 166, 0, 67, 0, 234, 215, 66, 9, 93, 76, 0, 61, 166, 247, 54, 29, 0, 0, 231, 32, 102, 231, 244, 126, 132, 103, 70, 200, 37, 219, 0, 62, 79, 187, 0, 239, 0, 203, 83, 114, 0, 206, 0, 0, 0, 9, 0, 9, 0, 151, 32, 0
w_bytes:                                ; the same W, one signed byte per element
        .byte   2, -4, 4, -7, -6, -5, 3, -7, -2, -7, -6, 5, 5, -6, -1, -6
        .byte   5, -7, -5, -1, -7, 4, -7, -1, -7, -4, 1, 5, -4, -5, 1, -3
        .byte   -5, -2, 3, -5, -6, -7, -2, 7, 5, 2, 6, 6, 3, 1, -1, -3
        .byte   -1, -6, 1, 7, 2, 6, 1, -6, -5, 5, -3, 2, -4, 7, 5, -7
        .byte   -6, 2, 2, 3, 7, 6, -6, -6, 0, 7, -6, -7, 1, 6, 1, 4
        .byte   3, -8, 6, 3, -3, -5, 7, -7, -2, 1, -4, -1, 4, 4, 7, -6
        .byte   -3, 6, 4, 0, -4, 5, 0, 5, 3, 4, -1, -4, -6, -3, -4, -1
        .byte   -1, -8, 7, -3, 0, 1, -8, -4, 5, 3, 2, -4, -7, 6, 4, 4
a_bytes:                                ; the same A, one byte per element
        .byte   0, 0, 31, 0, 225, 0, 0, 0
        .byte   0, 0, 0, 0, 0, 192, 0, 0
        .byte   0, 0, 0, 238, 159, 0, 0, 0
        .byte   0, 82, 105, 185, 0, 13, 152, 46
        .byte   133, 85, 0, 0, 168, 99, 205, 116
        .byte   0, 14, 143, 99, 176, 178, 186, 0
        .byte   0, 172, 0, 0, 176, 43, 61, 102
        .byte   91, 170, 0, 202, 43, 87, 14, 0
        .byte   74, 242, 179, 0, 10, 0, 52, 71
        .byte   99, 108, 0, 0, 166, 0, 67, 0
        .byte   234, 215, 66, 9, 93, 76, 0, 61
        .byte   166, 247, 54, 29, 0, 0, 231, 32
        .byte   102, 231, 244, 126, 132, 103, 70, 200
        .byte   37, 219, 0, 62, 79, 187, 0, 239
        .byte   0, 203, 83, 114, 0, 206, 0, 0
        .byte   0, 9, 0, 9, 0, 151, 32, 0

        .bss
        .align  4
result: .zero   M * N * 4
