; log4.s -- the digits MLP with 4-bit log weights, base sqrt(2), and bias correction
; (ASLog, seed 001).
;
; A 4-bit log code is a sign and a 3-bit field m: m = 0 is zero, otherwise q = m - 1 and the
; MAC multiplies by shifting: x << (q >> 1), plus half of that again when q is odd (the
; multiplier-free 1.5 step that approximates sqrt(2)). Weights are therefore
; +-{1, 1.5, 2, 3, 4, 6, 8} times a per-channel scale. Rounding every weight to that
; coarse grid biases each output channel by (W_q - W) . E[x]; `bitloom quant --calib`
; computes that term from calibration activations (in accumulator units: bcorr_acc.npy,
; copied into params.inc as bc1_acc/bc2_acc) and `bcorr` subtracts it.
        .include "digits.inc"

        .text
_start:
        load_input
        deftile t12, acc, ACC_VEC + 512, D1, 1   ; layer-1 bias correction
        deftile t13, acc, ACC_VEC + 832, D2, 1   ; layer-2 bias correction
        ldraw   t12, bc1_acc
        ldraw   t13, bc2_acc
        ; ---- layer 1 ----
        cfgi    wprec, 4
        cfgi    wfmt, 2                 ; log
        cfgi    logbase, 1              ; base sqrt(2)
        deftile t0, wsp, 0, D1, D0
        ldraw   t0, w1_codes
        tzero   t2
        bsmac   t2, t0, t1              ; acc1 = sum of shifted pixels
        bcorr   t2, t12                 ; remove the expected rounding error
        hidden_out
        ; ---- layer 2 ----
        deftile t5, wsp, 4096, D2, D1
        ldraw   t5, w2_codes
        tzero   t7
        bsmac   t7, t5, t6
        bcorr   t7, t13
        logits_out
        halt    zero

        .data
        .include "data/log4/params.inc"
x_codes:  .npy  "data/x.npy", XPREC, D0, N
w1_codes: .npy  "data/log4/w1.npy", 4, D1, D0
w2_codes: .npy  "data/log4/w2.npy", 4, D2, D1
        logits_buffer
