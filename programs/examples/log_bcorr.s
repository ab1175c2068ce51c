; log_bcorr.s -- log weights (base sqrt 2), zero-point activations, bias, bias correction
; and requantisation (seed 001 ASLog, with the post-processing unit).
;
; W: 8 x 32 4-bit log codes (sign bit + 3-bit magnitude m; m = 0 is zero, else
; q = m - 1 and |w| = sqrt(2)^q with the multiplier-free half step x + (x >> 1));
; A: 32 x 4 uint8 codes with zero-point 120. The accelerator computes
;   acc = W * (A - zp) + bias - bcorr          (bsmac, bias, bcorr)
; then requantises acc into three uint8 output tiles (zero-point 64, rshift 8,
; per-channel multipliers):  rmode 0 (half up) + fused ReLU,  rmode 2 (half to even),
; rmode 1 (floor). The multipliers include 2^5..2^7, so exact ties occur.
;
; The scalar reference uses no shifts for the arithmetic: a log product is
; floor(x * t[q] / 2) with t = {2, 3, 4, 6, 8, 12, 16} (= 2 * 2^h, times 1.5 for odd q),
; i.e. floor(3 * x * 2^h / 2) for odd q, and the requantisation divides by 2^rshift with
; `div` and fixes up the remainder for each rounding mode.
; Exit code 0 if everything matches, else for element i = m * N + n: 1 + i (accumulator),
; 33 + i (rmode 0 + ReLU), 65 + i (rmode 2), 97 + i (rmode 1); 250: reference overflow.

        .equ M, 8
        .equ K, 32
        .equ N, 4
        .equ AZP, 120                ; activation zero-point
        .equ OZP, 64                 ; output zero-point
        .equ SH, 8                   ; requantisation shift
        .equ OUT, M * N                 ; bytes per output tile

        .text
        .global _start
_start:
        cfgi    wprec, 4
        cfgi    wfmt, 2                 ; log weights
        cfgi    logbase, 1              ; base sqrt(2)
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint activations ...
        cfgi    azp, AZP                ; ... with a zero-point

        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7     ; W
        li      r6, K
        li      r7, N
        tdef    t1, asp, r5, r6, r7     ; A
        li      r6, M
        tdef    t2, acc, r5, r6, r7     ; ACC (acc + 0)
        li      r7, 1
        li      r5, M * N * 4
        tdef    t4, acc, r5, r6, r7     ; bias, M x 1
        addi    r5, r5, M * 4
        tdef    t5, acc, r5, r6, r7     ; bias correction, M x 1
        addi    r5, r5, M * 4
        tdef    t6, acc, r5, r6, r7     ; per-channel multipliers, M x 1
        cfgi    azp, OZP                ; output tiles: uint8 with the output zero-point
        li      r5, 256
        li      r7, N
        tdef    t7, asp, r5, r6, r7
        addi    r5, r5, OUT
        tdef    t8, asp, r5, r6, r7
        addi    r5, r5, OUT
        tdef    t9, asp, r5, r6, r7

        la      r10, w_tile
        ld.raw  t0, r10
        la      r10, a_tile
        ld.raw  t1, r10
        la      r10, bias_words
        ld.raw  t4, r10
        la      r10, bcorr_words
        ld.raw  t5, r10
        la      r10, mult_words
        ld.raw  t6, r10

        tzero   t2
        bsmac   t2, t0, t1
        bias    t2, t4
        bcorr   t2, t5
        la      r10, acc_out
        st.raw  t2, r10

        cfgi    rshift, SH
        cfgi    rmode, 0                ; half up, fused ReLU
        cfgi    relu, 1
        rqnt    t7, t2, t6
        cfgi    rmode, 2                ; half to even
        cfgi    relu, 0
        rqnt    t8, t2, t6
        cfgi    rmode, 1                ; floor
        rqnt    t9, t2, t6
        la      r10, out_bytes
        st.raw  t7, r10
        addi    r10, r10, OUT
        st.raw  t8, r10
        addi    r10, r10, OUT
        st.raw  t9, r10

        ; --- scalar reference ---
        li      r20, 0                  ; element index i = m * N + n
        li      r21, 0                  ; m
m_loop:
        li      r22, 0                  ; n
n_loop:
        li      r23, 0                  ; acc
        li      r24, 0                  ; k
k_loop:
        li      r25, K                  ; code = w[m][k]
        mul     r25, r21, r25
        add     r25, r25, r24
        la      r26, w_codes
        add     r25, r25, r26
        lbu     r10, 0(r25)
        li      r25, N                  ; x = a[k][n] - AZP
        mul     r25, r24, r25
        add     r25, r25, r22
        la      r26, a_bytes
        add     r25, r25, r26
        lbu     r11, 0(r25)
        addi    r11, r11, -AZP
        call    logprod
        add     r23, r23, r10
        addi    r24, r24, 1
        li      r25, K
        blt     r24, r25, k_loop
        slli    r25, r21, 2             ; + bias[m] - bcorr[m]
        la      r26, bias_words
        add     r26, r26, r25
        lw      r26, 0(r26)
        add     r23, r23, r26
        la      r26, bcorr_words
        add     r26, r26, r25
        lw      r26, 0(r26)
        sub     r23, r23, r26
        la      r26, mult_words         ; r27 = multiplier[m]
        add     r26, r26, r25
        lw      r27, 0(r26)

        slli    r25, r20, 2             ; check the accumulator
        la      r26, acc_out
        add     r26, r26, r25
        lw      r26, 0(r26)
        addi    r10, r20, 1
        bne     r26, r23, fail

        la      r28, out_bytes          ; check the three requantised outputs
        add     r28, r28, r20
        mv      r10, r23
        mv      r11, r27
        li      r12, 0                  ; rmode 0
        li      r13, 1                  ; relu
        call    requant
        lbu     r26, 0(r28)
        addi    r29, r20, 33
        bne     r26, r10, fail_r29
        mv      r10, r23
        li      r12, 2                  ; rmode 2
        li      r13, 0
        call    requant
        lbu     r26, OUT(r28)
        addi    r29, r20, 65
        bne     r26, r10, fail_r29
        mv      r10, r23
        li      r12, 1                  ; rmode 1
        call    requant
        lbu     r26, 2 * OUT(r28)
        addi    r29, r20, 97
        bne     r26, r10, fail_r29

        addi    r20, r20, 1
        addi    r22, r22, 1
        li      r25, N
        blt     r22, r25, n_loop
        addi    r21, r21, 1
        li      r25, M
        blt     r21, r25, m_loop
        halt    r0
fail_r29:
        mv      r10, r29
fail:
        halt    r10

; logprod: product of a 4-bit base-sqrt(2) log weight and an activation value.
;   in: r10 = code (bit 3 sign, bits 2..0 magnitude m), r11 = x;  out: r10
;   |product| = floor(x * t[m - 1] / 2), t = 2 * sqrt(2)^q with the 1.5 half step
; Clobbers r14..r17.
logprod:
        andi    r14, r10, 7             ; m
        beqz    r14, 4f
        la      r15, two_steps
        add     r15, r15, r14
        lbu     r15, -1(r15)            ; t[q], q = m - 1
        mul     r15, r15, r11           ; 2y (exact)
        li      r16, 2
        div     r17, r15, r16           ; truncates toward zero ...
        mul     r16, r17, r16
        beq     r16, r15, 2f
        bge     r15, r0, 2f
        addi    r17, r17, -1            ; ... so step down for odd negatives: floor
2:      andi    r14, r10, 8             ; sign
        beqz    r14, 3f
        neg     r17, r17
3:      mv      r10, r17
        ret
4:      li      r10, 0
        ret

; requant: one element of rqnt into a uint8 tile with zero-point OZP and shift SH.
;   in: r10 = accumulator, r11 = multiplier, r12 = rmode, r13 = relu;  out: r10 = code
; Clobbers r14..r19.
requant:
        mul     r14, r10, r11           ; p = acc * mult (must fit in 32 bits here)
        mulh    r15, r10, r11
        srai    r16, r14, 31
        bne     r15, r16, 9f
        li      r15, 1 << SH
        div     r16, r14, r15           ; q = trunc(p / 2^SH)
        mul     r17, r16, r15
        sub     r17, r14, r17           ; rem (sign of p)
        bge     r17, r0, 1f
        addi    r16, r16, -1            ; floor(p / 2^SH)
        add     r17, r17, r15           ; rem in 0 .. 2^SH - 1
1:      li      r18, 1 << (SH - 1)      ; half
        li      r19, 1
        beq     r12, r19, 5f            ; rmode 1: floor
        beqz    r12, 2f
        blt     r18, r17, 4f            ; rmode 2: rem > half -> up
        bne     r17, r18, 5f            ;          rem < half -> stay
        andi    r19, r16, 1             ;          tie: up if q is odd
        beqz    r19, 5f
        j       4f
2:      blt     r17, r18, 5f            ; rmode 0: rem >= half -> up
4:      addi    r16, r16, 1
5:      addi    r16, r16, OZP
        beqz    r13, 6f                 ; ReLU clamps at the zero-point
        li      r19, OZP
        bge     r16, r19, 6f
        mv      r16, r19
6:      bge     r16, r0, 7f             ; saturate to 0 .. 255
        li      r16, 0
7:      li      r19, 255
        bge     r19, r16, 8f
        mv      r16, r19
8:      mv      r10, r16
        ret
9:      li      r10, 250
        halt    r10

        .rodata
        .align  4
bias_words:                             ; per-channel bias
        .word   -123, 169, 198, 341, 457, 513, -587, 464
bcorr_words:                            ; per-channel bias correction (W_q - W) * E[x]
        .word   -66, -9, -83, 28, -92, 81, -50, -35
mult_words:                             ; per-channel requantisation multipliers
        .word   64, 32, 128, 48, 96, 40, 24, 80
two_steps:                              ; 2 * sqrt(2)^q as multiplier-free ASLog computes it
        .byte   2, 3, 4, 6, 8, 12, 16
w_tile:                                 ; W packed as 4-bit log codes
        .tile   4, 0, 10, 3, 8, 9, 0, 3, 8, 9, 2, 1, 10, 11, 11, 0, 15, 0, 5, 12, 11, 12, 1, 14, 0, 8, 11, 14, 0, 10, 8, 12, 11
        .tile   4, 14, 1, 3, 9, 12, 13, 15, 13, 2, 4, 6, 5, 1, 9, 4, 5, 7, 10, 8, 0, 7, 1, 2, 7, 10, 10, 10, 13, 0, 4, 2, 0
        .tile   4, 6, 1, 14, 10, 15, 13, 14, 12, 8, 11, 0, 15, 3, 9, 7, 4, 11, 11, 9, 4, 7, 7, 3, 11, 9, 6, 13, 7, 5, 5, 12, 7
        .tile   4, 15, 7, 14, 11, 4, 11, 10, 7, 0, 6, 5, 5, 11, 0, 11, 12, 15, 5, 11, 12, 4, 2, 1, 15, 10, 6, 14, 0, 13, 8, 0, 4
        .tile   4, 9, 9, 4, 11, 10, 6, 8, 9, 8, 1, 14, 5, 12, 2, 13, 0, 15, 0, 5, 1, 7, 2, 11, 2, 8, 5, 4, 11, 0, 14, 6, 11
        .tile   4, 9, 0, 7, 8, 8, 1, 4, 5, 1, 7, 5, 0, 3, 14, 13, 7, 8, 2, 2, 0, 4, 14, 11, 4, 12, 1, 4, 6, 4, 7, 3, 2
        .tile   4, 12, 15, 11, 5, 2, 9, 1, 13, 13, 1, 13, 3, 14, 13, 12, 10, 15, 4, 2, 10, 10, 6, 5, 12, 1, 6, 5, 13, 11, 3, 7, 4
        .tile   4, 1, 5, 14, 11, 3, 12, 5, 5, 8, 1, 1, 14, 10, 14, 13, 6, 10, 10, 12, 13, 3, 1, 4, 1, 3, 4, 14, 10, 9, 12, 8, 7
a_tile:                                 ; A packed as uint8 codes
        .tile   8, 49, 124, 120, 123, 133, 133, 105, 143, 109, 139, 120, 216, 118, 101, 121, 73
        .tile   8, 59, 147, 149, 110, 108, 168, 179, 90, 120, 190, 106, 131, 91, 143, 134, 127
        .tile   8, 49, 132, 100, 125, 82, 121, 130, 90, 98, 152, 139, 120, 164, 93, 79, 81
        .tile   8, 135, 102, 20, 96, 194, 175, 120, 157, 107, 120, 118, 73, 157, 132, 99, 109
        .tile   8, 120, 131, 126, 100, 79, 120, 116, 149, 97, 120, 108, 120, 126, 130, 124, 181
        .tile   8, 105, 122, 120, 156, 55, 120, 120, 105, 120, 95, 91, 86, 125, 84, 120, 155
        .tile   8, 80, 137, 108, 62, 83, 124, 137, 87, 145, 121, 120, 67, 157, 150, 207, 154
        .tile   8, 136, 120, 128, 200, 120, 147, 107, 120, 112, 129, 148, 112, 68, 120, 136, 104
w_codes:                                ; the same W codes, one byte each
        .byte   0, 10, 3, 8, 9, 0, 3, 8, 9, 2, 1, 10, 11, 11, 0, 15, 0, 5, 12, 11, 12, 1, 14, 0, 8, 11, 14, 0, 10, 8, 12, 11
        .byte   14, 1, 3, 9, 12, 13, 15, 13, 2, 4, 6, 5, 1, 9, 4, 5, 7, 10, 8, 0, 7, 1, 2, 7, 10, 10, 10, 13, 0, 4, 2, 0
        .byte   6, 1, 14, 10, 15, 13, 14, 12, 8, 11, 0, 15, 3, 9, 7, 4, 11, 11, 9, 4, 7, 7, 3, 11, 9, 6, 13, 7, 5, 5, 12, 7
        .byte   15, 7, 14, 11, 4, 11, 10, 7, 0, 6, 5, 5, 11, 0, 11, 12, 15, 5, 11, 12, 4, 2, 1, 15, 10, 6, 14, 0, 13, 8, 0, 4
        .byte   9, 9, 4, 11, 10, 6, 8, 9, 8, 1, 14, 5, 12, 2, 13, 0, 15, 0, 5, 1, 7, 2, 11, 2, 8, 5, 4, 11, 0, 14, 6, 11
        .byte   9, 0, 7, 8, 8, 1, 4, 5, 1, 7, 5, 0, 3, 14, 13, 7, 8, 2, 2, 0, 4, 14, 11, 4, 12, 1, 4, 6, 4, 7, 3, 2
        .byte   12, 15, 11, 5, 2, 9, 1, 13, 13, 1, 13, 3, 14, 13, 12, 10, 15, 4, 2, 10, 10, 6, 5, 12, 1, 6, 5, 13, 11, 3, 7, 4
        .byte   1, 5, 14, 11, 3, 12, 5, 5, 8, 1, 1, 14, 10, 14, 13, 6, 10, 10, 12, 13, 3, 1, 4, 1, 3, 4, 14, 10, 9, 12, 8, 7
a_bytes:                                ; the same A codes, one byte each
        .byte   49, 124, 120, 123, 133, 133, 105, 143, 109, 139, 120, 216, 118, 101, 121, 73
        .byte   59, 147, 149, 110, 108, 168, 179, 90, 120, 190, 106, 131, 91, 143, 134, 127
        .byte   49, 132, 100, 125, 82, 121, 130, 90, 98, 152, 139, 120, 164, 93, 79, 81
        .byte   135, 102, 20, 96, 194, 175, 120, 157, 107, 120, 118, 73, 157, 132, 99, 109
        .byte   120, 131, 126, 100, 79, 120, 116, 149, 97, 120, 108, 120, 126, 130, 124, 181
        .byte   105, 122, 120, 156, 55, 120, 120, 105, 120, 95, 91, 86, 125, 84, 120, 155
        .byte   80, 137, 108, 62, 83, 124, 137, 87, 145, 121, 120, 67, 157, 150, 207, 154
        .byte   136, 120, 128, 200, 120, 147, 107, 120, 112, 129, 148, 112, 68, 120, 136, 104

        .bss
        .align  4
acc_out:   .zero  M * N * 4
out_bytes: .zero  3 * OUT
