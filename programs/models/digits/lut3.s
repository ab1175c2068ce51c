; lut3.s -- the digits MLP with 3-bit LUT weights (a non-uniform codebook, seed 000).
;
; `bitloom quant --format lut` clusters each layer's weights into 8 values (k-means) and
; writes them as int8 LUT entries; a weight is a 3-bit index into its layer's LUT. The MAC
; reads the entry of each code, so the arithmetic is int8 x activation, while the weights
; cost 3 bits in memory and 3 bit-serial cycles. Layer 1 uses LUT 0, layer 2 LUT 1.
        .include "digits.inc"

        .text
_start:
        load_input
        la      r10, lut1
        set.lut 0, r10, 3               ; LUT 0 <- 2^3 signed bytes
        la      r10, lut2
        set.lut 1, r10, 3
        ; ---- layer 1 ----
        cfgi    wprec, 3
        cfgi    wfmt, 3                 ; lut
        cfgi    wlut, 0
        deftile t0, wsp, 0, D1, D0
        ldraw   t0, w1_codes
        tzero   t2
        bsmac   t2, t0, t1              ; acc1 = LUT0[W1] . x
        hidden_out
        ; ---- layer 2 ----
        cfgi    wlut, 1
        deftile t5, wsp, 4096, D2, D1
        ldraw   t5, w2_codes
        tzero   t7
        bsmac   t7, t5, t6              ; acc2 = LUT1[W2] . h
        logits_out
        halt    zero

        .data
        .include "data/lut3/params.inc"
lut1:     .npy  "data/lut3/lut1.npy", 8
lut2:     .npy  "data/lut3/lut2.npy", 8
x_codes:  .npy  "data/x.npy", XPREC, D0, N
w1_codes: .npy  "data/lut3/w1.npy", 3, D1, D0
w2_codes: .npy  "data/lut3/w2.npy", 3, D2, D1
        logits_buffer
