; log_bcorr_gemm.s -- ASLog-style layer (seed 001): 4-bit base-sqrt(2) log weights (products
; are shifts, the half step x + (x >> 1)), uint8 activations with zero-point 20, then the
; post-processing chain: bias, per-channel bias correction (bcorr subtracts the expected
; quantisation error (W_q - W) . E[x]), and requantisation with per-channel scales
; (multipliers), shift 10, half-to-even rounding, fused ReLU, to uint8 with zero-point 10.
        .include "include/k.inc"
        .equ    M, 16
        .equ    K, 48
        .equ    N, 8

        .text
_start:
        cfgi    wprec, 4
        cfgi    wfmt, 2                 ; log
        cfgi    logbase, 1              ; base sqrt(2)
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint
        cfgi    azp, 20
        deftile t0, wsp, 0, M, K
        deftile t1, asp, 0, K, N
        deftile t2, acc, 0, M, N
        deftile t3, acc, 1024, M, 1     ; bias
        deftile t4, acc, 1088, M, 1     ; bias correction
        deftile t5, acc, 1152, M, 1     ; per-channel scales
        ldraw   t0, w_log
        ldraw   t1, x_codes
        ldraw   t3, bias_v
        ldraw   t4, bcorr_v
        ldraw   t5, scale_v
        tzero   t2
        bsmac   t2, t0, t1
        bias    t2, t3
        bcorr   t2, t4
        straw   t2, acc_out
        cfgi    azp, 10                 ; output zero-point, stamped into t6
        cfgi    rshift, 10
        cfgi    rmode, 2                ; half to even
        cfgi    relu, 1
        deftile t6, asp, 512, M, N
        rqnt    t6, t2, t5
        straw   t6, y_out
        halt    zero

        .include "data/log_bcorr_gemm.inc"
        .bss
        .align  4
acc_out: .zero  M * N * 4
y_out:  .zero   M * N
