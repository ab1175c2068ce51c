; int4.s -- the digits MLP with int4 weights, one scale per output channel.
;
; The kernel is int8.s with wprec = 4: the per-channel scales never reach the MAC array.
; They live in the requantisation multipliers m1 (layer 1) and in run.py's dequantisation
; of the logits (layer 2), so the same bsmac serves per-tensor and per-channel scaling.
; Shapes, the scratchpad map and the macros are in digits.inc.
        .include "digits.inc"

        .text
_start:
        load_input
        ; ---- layer 1 ----
        cfgi    wprec, 4                ; 4-bit two's complement codes, -8..7
        cfgi    wfmt, 0
        deftile t0, wsp, 0, D1, D0
        ldraw   t0, w1_codes
        tzero   t2
        bsmac   t2, t0, t1              ; acc1 = W1 . x
        hidden_out                      ; h = relu(rqnt(acc1 + b1))
        ; ---- layer 2 ----
        deftile t5, wsp, 4096, D2, D1
        ldraw   t5, w2_codes
        tzero   t7
        bsmac   t7, t5, t6              ; acc2 = W2 . h
        logits_out
        halt    zero

        .data
        .include "data/int4/params.inc"
x_codes:  .npy  "data/x.npy", XPREC, D0, N
w1_codes: .npy  "data/int4/w1.npy", 4, D1, D0
w2_codes: .npy  "data/int4/w2.npy", 4, D2, D1
        logits_buffer
