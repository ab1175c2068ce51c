; vsq4.s -- the digits MLP with VSQ weights (per-vector scaled quantisation, seed 003).
;
; Each output row of W splits into 64 / 16 = 4 vectors of 16 weights. A vector holds int4
; codes and one 4-bit unsigned integer scale s_q; `vscale` multiplies each vector's dot
; product by s_q (weights) times the activation vector's scale, and the coarse float
; per-channel scale gamma goes into the requantisation multiplier m1 (layer 1) or run.py's
; dequantisation of the logits (layer 2). Activations here are not vector-scaled: their
; scale tile is all ones (1-bit codes of 1).
;
;   acc[m][n] = sum_v sw[m][v] * sa[v][n] * sum_{k in vector v} W[m][k] * x[k][n]
        .include "digits.inc"
        .equ    VLEN, 16
        .equ    V, D0 / VLEN            ; vectors per row (both layers have K = 64)

        .text
_start:
        load_input
        cfgi    vlen, VLEN
        ; activation vector scales: V x N tile of 1-bit unsigned codes, all 1
        cfgi    aprec, 1
        deftile t10, asp, 65536, V, N
        ldraw   t10, sa_ones
        ; ---- layer 1 ----
        cfgi    wfmt, 0                 ; int codes ...
        cfgi    wprec, 4                ; ... of 4 bits
        deftile t0, wsp, 0, D1, D0
        ldraw   t0, w1_codes
        deftile t9, wsp, 8192, D1, V    ; per-vector weight scales (4-bit, read unsigned)
        ldraw   t9, w1_scales
        tzero   t2
        vscale  t2, t0, t1, t9, t10     ; acc1 = sum_v s_q[m][v] * (W1 . x over vector v)
        hidden_out
        ; ---- layer 2 ----
        deftile t5, wsp, 4096, D2, D1
        ldraw   t5, w2_codes
        deftile t11, wsp, 12288, D2, V
        ldraw   t11, w2_scales
        tzero   t7
        vscale  t7, t5, t6, t11, t10
        logits_out
        halt    zero

        .data
        .include "data/vsq4/params.inc"
x_codes:   .npy "data/x.npy", XPREC, D0, N
w1_codes:  .npy "data/vsq4/w1.npy", 4, D1, D0
w1_scales: .npy "data/vsq4/vs1.npy", 4, D1, V
w2_codes:  .npy "data/vsq4/w2.npy", 4, D2, D1
w2_scales: .npy "data/vsq4/vs2.npy", 4, D2, V
sa_ones:   .fill (V * N + 7) / 8, 1, 0xff
        logits_buffer
