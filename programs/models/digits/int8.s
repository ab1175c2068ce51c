; int8.s -- the digits MLP with int8 weights (symmetric, one scale per tensor).
;
; Layer 1: acc1 = W1 . x   (int8 weights x uint5 pixels), + b1, rqnt -> h (uint8, ReLU)
; Layer 2: acc2 = W2 . h   (int8 weights x uint8 hidden), + b2 -> logits (int32)
; Shapes, the scratchpad map and the macros are in digits.inc; the weight codes are
; `bitloom quant --format int --bits 8` output, the int32 vectors come from run.py.
        .include "digits.inc"

        .text
_start:
        load_input                      ; x, h, accumulators, biases, multipliers
        ; ---- layer 1 ----
        cfgi    wprec, 8
        cfgi    wfmt, 0                 ; int: two's complement codes
        deftile t0, wsp, 0, D1, D0
        ldraw   t0, w1_codes
        tzero   t2
        bsmac   t2, t0, t1              ; acc1[64 x 500] = W1 . x
        hidden_out                      ; h = relu(rqnt(acc1 + b1))
        ; ---- layer 2 ----
        deftile t5, wsp, 4096, D2, D1
        ldraw   t5, w2_codes
        tzero   t7
        bsmac   t7, t5, t6              ; acc2[10 x 500] = W2 . h
        logits_out                      ; + b2, store
        halt    zero

        .data
        .include "data/int8/params.inc" ; b1_acc, m1_acc, b2_acc, RSHIFT1
x_codes:  .npy  "data/x.npy", XPREC, D0, N
w1_codes: .npy  "data/int8/w1.npy", 8, D1, D0
w2_codes: .npy  "data/int8/w2.npy", 8, D2, D1
        logits_buffer
