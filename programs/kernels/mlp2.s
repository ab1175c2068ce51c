; mlp2.s -- a two-layer MLP (64 -> 32 -> 16, batch 8 as the N dimension) chaining layers
; through requantisation: y = W2 . relu(W1 . x + b1), quantised by the generator from a
; float model. Layer 1 accumulates int8 x uint8, adds the int32 bias, and `rqnt` scales
; per channel (multiplier m1, shift 16, half up) with fused ReLU straight into a uint8
; activation tile -- the input of layer 2, which requantises to int8 outputs.
; The expectation checks the exact integers (NumPy's integer pipeline) and the dequantised
; output against the float model by SQNR.
        .include "include/k.inc"
        .equ    B, 8
        .equ    D0, 64
        .equ    D1, 32
        .equ    D2, 16

        .text
_start:
        cfgi    rshift, 16
        cfgi    rmode, 0
        cfgi    wprec, 8
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint activations, zero-point 0
        deftile t0, wsp, 0, D1, D0      ; W1
        deftile t1, asp, 0, D0, B       ; x
        deftile t2, acc, 0, D1, B
        deftile t3, acc, 2048, D1, 1    ; b1
        deftile t4, acc, 2304, D1, 1    ; m1
        deftile t5, acc, 2560, D2, 1    ; m2
        ldraw   t0, w1_q
        ldraw   t1, x_q
        ldraw   t3, b1_q
        ldraw   t4, m1_q
        ldraw   t5, m2_q
        ; ---- layer 1 ----
        tzero   t2
        bsmac   t2, t0, t1
        bias    t2, t3
        cfgi    relu, 1
        deftile t6, asp, 1024, D1, B    ; h: uint8 (stamped from afmt/azp)
        rqnt    t6, t2, t4
        straw   t6, h_out
        ; ---- layer 2 ----
        cfgi    relu, 0
        deftile t7, wsp, 4096, D2, D1   ; W2
        ldraw   t7, w2_q
        deftile t8, acc, 4096, D2, B
        tzero   t8
        bsmac   t8, t7, t6
        deftile t9, wsp, 8192, D2, B    ; y: int8 (wfmt int)
        rqnt    t9, t8, t5
        straw   t9, y_out
        halt    zero

        .include "data/mlp2.inc"
        .bss
        .align  4
h_out:  .zero   D1 * B
        .align  4
y_out:  .zero   D2 * B
