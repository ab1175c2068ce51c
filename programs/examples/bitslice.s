; bitslice.s -- Panacea-style bit-slice execution on asymmetric activations (seed 002).
;
; A 8 x 32 int8 weight tile times a 32 x 4 uint8 activation tile with zero-point
; 100. Most activation codes lie in 96..111, so with 4-bit slices their high-order slice is
; 6 -- the frequent non-zero slice value that asymmetric quantisation produces -- and a few
; are below 16 (zero HO slices). The same GEMM runs four times:
;   a. slice 4, sfreq 255 (the unit picks r = most frequent HO slice at run time)
;   b. slice 0 (plain bit-serial, no slicing)
;   c. slice 4, sfreq 0 (only zero slices skipped)
;   d. slice 3, sfreq 12 (HO = c >> 3; 96..103 -> 12)
; Skipping and compensation must be exact: every run equals the plain GEMM
; sum_k w * (a - zp) that the scalar core computes. Exit code 0 if so, else for element
; i = m * N + n: 1 + i (a vs reference), 33 + i (b vs a, accumulator words),
; 65 + i (c vs reference), 97 + i (d vs reference).

        .equ M, 8
        .equ K, 32
        .equ N, 4
        .equ AZP, 100
        .equ ACC_BYTES, M * N * 4

        .text
        .global _start
_start:
        cfgi    wprec, 8
        cfgi    wfmt, 0                 ; int8 weights
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint8 activations ...
        cfgi    azp, AZP                ; ... with a zero-point
        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7
        li      r6, K
        li      r7, N
        tdef    t1, asp, r5, r6, r7
        la      r10, w_tile
        ld.raw  t0, r10
        la      r10, a_tile
        ld.raw  t1, r10
        li      r6, M                   ; four accumulator tiles, one per run
        tdef    t2, acc, r5, r6, r7
        li      r5, ACC_BYTES
        tdef    t3, acc, r5, r6, r7
        li      r5, 2 * ACC_BYTES
        tdef    t4, acc, r5, r6, r7
        li      r5, 3 * ACC_BYTES
        tdef    t5, acc, r5, r6, r7
        tzero   t2
        tzero   t3
        tzero   t4
        tzero   t5

        cfgi    slice, 4                ; a. auto frequent slice
        cfgi    sfreq, 255
        bsmac   t2, t0, t1
        cfgi    slice, 0                ; b. no slicing
        bsmac   t3, t0, t1
        cfgi    slice, 4                ; c. zero slices only
        cfgi    sfreq, 0
        bsmac   t4, t0, t1
        cfgi    slice, 3                ; d. 3-bit slices, r = 12
        cfgi    sfreq, 12
        bsmac   t5, t0, t1
        la      r10, res_a
        st.raw  t2, r10
        la      r10, res_b
        st.raw  t3, r10
        la      r10, res_c
        st.raw  t4, r10
        la      r10, res_d
        st.raw  t5, r10

        call    gemm_ref                ; ref = W * (A - zp) on the scalar core
        la      r10, res_a
        la      r11, ref
        li      r12, 1
        call    compare
        bnez    r10, fail
        la      r10, res_b
        la      r11, res_a
        li      r12, 33
        call    compare
        bnez    r10, fail
        la      r10, res_c
        la      r11, ref
        li      r12, 65
        call    compare
        bnez    r10, fail
        la      r10, res_d
        la      r11, ref
        li      r12, 97
        call    compare
        bnez    r10, fail
        halt    r0
fail:
        halt    r10

; gemm_ref: ref[m][n] = sum_k w[m][k] * (a[k][n] - AZP) from the plain byte arrays.
; Clobbers r14..r22.
gemm_ref:
        la      r20, w_bytes
        la      r21, a_bytes
        la      r22, ref
        li      r14, 0                  ; m
1:      li      r15, 0                  ; n
2:      li      r16, 0                  ; sum
        li      r17, 0                  ; k
3:      li      r18, K
        mul     r18, r14, r18
        add     r18, r18, r17
        add     r18, r18, r20
        lb      r18, 0(r18)             ; w[m][k]
        li      r19, N
        mul     r19, r17, r19
        add     r19, r19, r15
        add     r19, r19, r21
        lbu     r19, 0(r19)             ; a[k][n]
        addi    r19, r19, -AZP
        mul     r18, r18, r19
        add     r16, r16, r18
        addi    r17, r17, 1
        li      r18, K
        blt     r17, r18, 3b
        sw      r16, 0(r22)
        addi    r22, r22, 4
        addi    r15, r15, 1
        li      r18, N
        blt     r15, r18, 2b
        addi    r14, r14, 1
        li      r18, M
        blt     r14, r18, 1b
        ret

; compare: r10, r11 = two arrays of M * N words, r12 = failure code base;
; returns r10 = 0 if equal, else r12 + index of the first difference. Clobbers r13..r16.
compare:
        li      r13, 0
        li      r14, M * N
1:      lw      r15, 0(r10)
        lw      r16, 0(r11)
        bne     r15, r16, 2f
        addi    r10, r10, 4
        addi    r11, r11, 4
        addi    r13, r13, 1
        blt     r13, r14, 1b
        li      r10, 0
        ret
2:      add     r10, r12, r13
        ret

        .rodata
w_tile:                                 ; W packed as int8
        .tile   8, 110, -1, 8, -98, -101, 50, 53, -100, -101, -2, -54, -124, -77, -60, -98, -105
        .tile   8, -127, 55, 111, -123, 70, -105, -66, -19, 119, 23, -58, -61, -18, 97, -8, -116
        .tile   8, 33, 25, -63, -101, -68, -65, -99, 98, 102, 44, -68, -55, -63, 39, -103, 36
        .tile   8, -115, 49, 120, -122, 118, 123, -61, -81, 64, 112, -95, -57, -111, -55, -7, 60
        .tile   8, 97, -103, 67, 28, -92, 5, -30, 32, -28, 7, -3, -68, -30, 123, -3, 61
        .tile   8, -88, 99, -71, 72, 110, -52, 98, -44, -81, 115, -111, 8, 104, 99, 38, 86
        .tile   8, 71, -67, 73, 12, -115, -110, 85, 45, -14, -26, -51, -115, 115, -119, -80, -95
        .tile   8, -72, 1, 29, 47, -29, 47, 123, -63, -59, 29, -123, 44, -117, 50, -122, 2
        .tile   8, -72, -65, -29, -11, 119, -90, 21, 120, -75, -16, 4, 10, 98, -61, 62, -98
        .tile   8, -121, -29, 109, 72, -49, -18, 79, 84, 62, -123, -25, -46, 27, -3, 79, -98
        .tile   8, 106, -29, 124, -3, 46, -44, 84, -91, -70, 11, 20, 31, 60, 70, 108, 118
        .tile   8, 65, -67, 116, 10, 79, -40, 57, 113, -32, 50, 89, 114, -35, 126, -35, 31
        .tile   8, 68, 96, -30, 12, -113, -84, -75, -37, -66, 100, -43, 44, -108, 66, 62, -90
        .tile   8, -43, 57, -25, 33, 94, 20, 8, -103, -73, -102, -8, -85, 49, 68, -55, 92
        .tile   8, -25, 89, 99, 49, 80, 127, -79, -78, -8, -72, 99, -12, 127, -120, -87, -56
        .tile   8, 51, 32, 84, 20, 37, -56, -23, -70, -109, -128, 77, -53, 24, 119, -97, 119
a_tile:                                 ; A packed as uint8 codes
        .tile   8, 103, 102, 111, 108, 17, 109, 188, 3, 109, 103, 15, 108, 124, 167, 96, 104
        .tile   8, 14, 98, 100, 97, 98, 98, 107, 96, 111, 22, 12, 106, 106, 109, 99, 123
        .tile   8, 102, 108, 102, 109, 9, 110, 107, 96, 106, 102, 101, 109, 58, 2, 1, 109
        .tile   8, 109, 110, 99, 100, 106, 103, 111, 103, 102, 4, 2, 13, 97, 102, 106, 101
        .tile   8, 192, 235, 105, 109, 97, 9, 99, 10, 106, 50, 111, 100, 13, 12, 171, 96
        .tile   8, 225, 110, 108, 10, 110, 109, 48, 18, 30, 246, 107, 102, 99, 42, 9, 3
        .tile   8, 109, 106, 8, 98, 35, 102, 111, 101, 7, 106, 0, 104, 102, 101, 98, 109
        .tile   8, 111, 106, 102, 42, 96, 14, 15, 109, 45, 102, 106, 102, 102, 74, 108, 110
w_bytes:                                ; the same W, one byte each
        .byte   110, -1, 8, -98, -101, 50, 53, -100, -101, -2, -54, -124, -77, -60, -98, -105
        .byte   -127, 55, 111, -123, 70, -105, -66, -19, 119, 23, -58, -61, -18, 97, -8, -116
        .byte   33, 25, -63, -101, -68, -65, -99, 98, 102, 44, -68, -55, -63, 39, -103, 36
        .byte   -115, 49, 120, -122, 118, 123, -61, -81, 64, 112, -95, -57, -111, -55, -7, 60
        .byte   97, -103, 67, 28, -92, 5, -30, 32, -28, 7, -3, -68, -30, 123, -3, 61
        .byte   -88, 99, -71, 72, 110, -52, 98, -44, -81, 115, -111, 8, 104, 99, 38, 86
        .byte   71, -67, 73, 12, -115, -110, 85, 45, -14, -26, -51, -115, 115, -119, -80, -95
        .byte   -72, 1, 29, 47, -29, 47, 123, -63, -59, 29, -123, 44, -117, 50, -122, 2
        .byte   -72, -65, -29, -11, 119, -90, 21, 120, -75, -16, 4, 10, 98, -61, 62, -98
        .byte   -121, -29, 109, 72, -49, -18, 79, 84, 62, -123, -25, -46, 27, -3, 79, -98
        .byte   106, -29, 124, -3, 46, -44, 84, -91, -70, 11, 20, 31, 60, 70, 108, 118
        .byte   65, -67, 116, 10, 79, -40, 57, 113, -32, 50, 89, 114, -35, 126, -35, 31
        .byte   68, 96, -30, 12, -113, -84, -75, -37, -66, 100, -43, 44, -108, 66, 62, -90
        .byte   -43, 57, -25, 33, 94, 20, 8, -103, -73, -102, -8, -85, 49, 68, -55, 92
        .byte   -25, 89, 99, 49, 80, 127, -79, -78, -8, -72, 99, -12, 127, -120, -87, -56
        .byte   51, 32, 84, 20, 37, -56, -23, -70, -109, -128, 77, -53, 24, 119, -97, 119
a_bytes:                                ; the same A, one byte each
        .byte   103, 102, 111, 108, 17, 109, 188, 3, 109, 103, 15, 108, 124, 167, 96, 104
        .byte   14, 98, 100, 97, 98, 98, 107, 96, 111, 22, 12, 106, 106, 109, 99, 123
        .byte   102, 108, 102, 109, 9, 110, 107, 96, 106, 102, 101, 109, 58, 2, 1, 109
        .byte   109, 110, 99, 100, 106, 103, 111, 103, 102, 4, 2, 13, 97, 102, 106, 101
        .byte   192, 235, 105, 109, 97, 9, 99, 10, 106, 50, 111, 100, 13, 12, 171, 96
        .byte   225, 110, 108, 10, 110, 109, 48, 18, 30, 246, 107, 102, 99, 42, 9, 3
        .byte   109, 106, 8, 98, 35, 102, 111, 101, 7, 106, 0, 104, 102, 101, 98, 109
        .byte   111, 106, 102, 42, 96, 14, 15, 109, 45, 102, 106, 102, 102, 74, 108, 110

        .bss
        .align  4
res_a:  .zero   ACC_BYTES
res_b:  .zero   ACC_BYTES
res_c:  .zero   ACC_BYTES
res_d:  .zero   ACC_BYTES
ref:    .zero   ACC_BYTES
