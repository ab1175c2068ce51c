; lut_codebook.s -- set-LUT with non-uniform codebooks, reprogrammed between tiles.
;
; Seed 000's arbitrary quantisation: weights are low-bit codes that index a LUT of signed
; 8-bit values. Three GEMMs (M x K x N = 4 x 16 x 4) against the same int8
; activation tile, with LUT 0 reprogrammed in between (runtime reconfiguration):
;   1. 4-bit codes W1, LUT 0 = codebook A (a non-uniform, Gaussian-quantile codebook);
;   2. 3-bit codes W2, LUT 0 = codebook B (8 entries; weight precision changed to 3 bits);
;   3. the same W1 tile, still in the scratchpad, LUT 0 = codebook C (an "arbitrary basis"
;      table: c -> sum_i alpha_i * (bit_i(c) ? 1 : -1)).
; The scalar core recomputes each GEMM from plain code bytes, looking every code up in the
; codebook bytes itself. Exit code 0 if all match, else 1 + i (GEMM 1), 33 + i (GEMM 2)
; or 65 + i (GEMM 3) for the first mismatching output element i = m * N + n.

        .equ M, 4
        .equ K, 16
        .equ N, 4

        .text
        .global _start
_start:
        cfgi    aprec, 8
        cfgi    afmt, 0                 ; int8 activations
        cfgi    wfmt, 3                 ; LUT-coded weights ...
        cfgi    wlut, 0                 ; ... through LUT 0
        cfgi    wprec, 4

        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7     ; W1: 4-bit LUT codes
        li      r6, K
        li      r7, N
        tdef    t1, asp, r5, r6, r7     ; A: int8
        li      r6, M
        tdef    t2, acc, r5, r6, r7     ; ACC
        la      r10, w1_tile
        ld.raw  t0, r10
        la      r10, a_tile
        ld.raw  t1, r10

        ; --- GEMM 1: codebook A ---
        la      r10, codebook_a
        set.lut 0, r10, 4
        tzero   t2
        bsmac   t2, t0, t1
        la      r10, result1
        st.raw  t2, r10

        ; --- GEMM 2: reprogram LUT 0 with an 8-entry codebook, 3-bit codes ---
        la      r10, codebook_b
        set.lut 0, r10, 3
        cfgi    wprec, 3
        li      r5, 64
        li      r6, M
        li      r7, K
        tdef    t3, wsp, r5, r6, r7     ; W2: 3-bit LUT codes at wsp+64
        la      r10, w2_tile
        ld.raw  t3, r10
        tzero   t2
        bsmac   t2, t3, t1
        la      r10, result2
        st.raw  t2, r10

        ; --- GEMM 3: same W1 tile (still in wsp), LUT 0 reprogrammed with codebook C ---
        la      r10, codebook_c
        set.lut 0, r10, 4
        tzero   t2
        bsmac   t2, t0, t1
        la      r10, result3
        st.raw  t2, r10

        ; --- scalar reference ---
        la      r10, w1_codes
        la      r11, codebook_a
        la      r12, result1
        li      r13, 1
        call    lut_gemm_ref
        bnez    r10, fail
        la      r10, w2_codes
        la      r11, codebook_b
        la      r12, result2
        li      r13, 33
        call    lut_gemm_ref
        bnez    r10, fail
        la      r10, w1_codes
        la      r11, codebook_c
        la      r12, result3
        li      r13, 65
        call    lut_gemm_ref
        bnez    r10, fail
        halt    r0                      ; exit 0: all three GEMMs match
fail:
        halt    r10

; lut_gemm_ref: recompute ref[m][n] = sum_k codebook[code[m][k]] * a[k][n] and compare
; it with the accelerator's words.
;   in:  r10 = code bytes (M x K), r11 = codebook bytes (signed), r12 = result words,
;        r13 = failure code base
;   out: r10 = 0 if every element matches, else r13 + index of the first mismatch
; Clobbers r14..r21.
lut_gemm_ref:
        la      r20, a_bytes
        li      r14, 0                  ; element index m * N + n
        li      r15, 0                  ; m
1:      li      r16, 0                  ; n
2:      li      r17, 0                  ; sum
        li      r18, 0                  ; k
3:      li      r19, K                  ; w = codebook[code[m][k]]
        mul     r19, r15, r19
        add     r19, r19, r18
        add     r19, r19, r10
        lbu     r19, 0(r19)
        add     r19, r19, r11
        lb      r21, 0(r19)
        li      r19, N                  ; x = a[k][n]
        mul     r19, r18, r19
        add     r19, r19, r16
        add     r19, r19, r20
        lb      r19, 0(r19)
        mul     r21, r21, r19
        add     r17, r17, r21
        addi    r18, r18, 1
        li      r19, K
        blt     r18, r19, 3b
        slli    r19, r14, 2             ; compare with the accelerator
        add     r19, r19, r12
        lw      r19, 0(r19)
        bne     r19, r17, 9f
        addi    r14, r14, 1
        addi    r16, r16, 1
        li      r19, N
        blt     r16, r19, 2b
        addi    r15, r15, 1
        li      r19, M
        blt     r15, r19, 1b
        li      r10, 0
        ret
9:      add     r10, r13, r14
        ret

        .rodata
codebook_a:                             ; 16 non-uniform levels (Gaussian quantiles)
        .lut    -127, -86, -62, -45, -32, -21, -12, -4, 4, 12, 21, 32, 45, 62, 86, 127
codebook_b:                             ; 8 levels for 3-bit codes
        .lut    -100, -40, -12, -2, 3, 15, 44, 110
codebook_c:                             ; arbitrary basis: alpha = [40, 20, 9, 3]
        .lut    -72, 8, -32, 48, -54, 26, -14, 66, -66, 14, -26, 54, -48, 32, -8, 72
w1_tile:                                ; W1 packed as 4-bit codes
        .tile   4, 1, 6, 2, 12, 5, 13, 11, 12, 6, 1, 0, 15, 6, 4, 0, 3
        .tile   4, 13, 4, 3, 8, 13, 2, 12, 2, 9, 11, 5, 12, 1, 4, 3, 6
        .tile   4, 0, 13, 10, 6, 4, 14, 6, 1, 1, 11, 13, 5, 3, 11, 6, 1
        .tile   4, 2, 7, 11, 15, 0, 14, 1, 4, 4, 3, 15, 8, 8, 3, 0, 7
w2_tile:                                ; W2 packed as 3-bit codes
        .tile   3, 1, 7, 3, 5, 1, 1, 5, 5, 7, 0, 7, 4, 5, 7, 6, 4
        .tile   3, 5, 3, 1, 4, 2, 2, 1, 3, 4, 4, 1, 1, 1, 1, 1, 3
        .tile   3, 1, 3, 7, 6, 1, 7, 0, 3, 5, 0, 1, 1, 7, 3, 3, 7
        .tile   3, 2, 2, 1, 5, 4, 4, 7, 1, 7, 1, 4, 4, 6, 7, 0, 2
a_tile:                                 ; A packed as int8
        .tile   8, -64, 9, -19, 59, 119, -48, 0, 0, 0, -127, 103, 1, -125, 100, 0, -42
        .tile   8, 0, 73, -65, 87, 88, 55, -67, -4, 99, -126, -76, -37, 0, 0, 0, 49
        .tile   8, -25, -93, 25, -112, -35, 120, -42, 23, 118, 21, 78, -25, -36, -68, -76, 35
        .tile   8, 124, -4, 0, -90, -85, 0, 97, -116, 35, 83, -18, -29, 99, 14, -45, 11
w1_codes:                               ; the same W1 codes, one byte each
        .byte   1, 6, 2, 12, 5, 13, 11, 12, 6, 1, 0, 15, 6, 4, 0, 3
        .byte   13, 4, 3, 8, 13, 2, 12, 2, 9, 11, 5, 12, 1, 4, 3, 6
        .byte   0, 13, 10, 6, 4, 14, 6, 1, 1, 11, 13, 5, 3, 11, 6, 1
        .byte   2, 7, 11, 15, 0, 14, 1, 4, 4, 3, 15, 8, 8, 3, 0, 7
w2_codes:                               ; the same W2 codes, one byte each
        .byte   1, 7, 3, 5, 1, 1, 5, 5, 7, 0, 7, 4, 5, 7, 6, 4
        .byte   5, 3, 1, 4, 2, 2, 1, 3, 4, 4, 1, 1, 1, 1, 1, 3
        .byte   1, 3, 7, 6, 1, 7, 0, 3, 5, 0, 1, 1, 7, 3, 3, 7
        .byte   2, 2, 1, 5, 4, 4, 7, 1, 7, 1, 4, 4, 6, 7, 0, 2
a_bytes:                                ; the same A, one byte each
        .byte   -64, 9, -19, 59, 119, -48, 0, 0, 0, -127, 103, 1, -125, 100, 0, -42
        .byte   0, 73, -65, 87, 88, 55, -67, -4, 99, -126, -76, -37, 0, 0, 0, 49
        .byte   -25, -93, 25, -112, -35, 120, -42, 23, 118, 21, 78, -25, -36, -68, -76, 35
        .byte   124, -4, 0, -90, -85, 0, 97, -116, 35, 83, -18, -29, 99, 14, -45, 11

        .bss
        .align  4
result1: .zero  M * N * 4
result2: .zero  M * N * 4
result3: .zero  M * N * 4
