; lut_2layer.s -- LUT-quantised two-layer network (seed 000's arbitrary quantisation):
; layer 1 has 4-bit weight codes into a 16-entry non-uniform codebook, layer 2 3-bit codes
; into an 8-entry one. The *same* LUT 0 is reprogrammed with `set.lut` between the layers
; (runtime reconfiguration). Layer 1 is requantised to int8 (`rqnt`, per-channel
; multipliers, shift 12) straight into the activation tile layer 2 reads.
        .include "include/k.inc"
        .equ    M1, 16
        .equ    K, 32
        .equ    N, 8
        .equ    M2, 8

        .text
_start:
        ; ---- layer 1: h = rqnt(lut_a[W1] . x) ----
        la      r10, lut_a
        set.lut 0, r10, 4               ; 16 entries
        cfgi    wprec, 4
        cfgi    wfmt, 3                 ; lut
        cfgi    wlut, 0
        cfgi    aprec, 8
        cfgi    afmt, 0
        deftile t0, wsp, 0, M1, K       ; W1 codes
        deftile t1, asp, 0, K, N        ; x int8
        deftile t2, acc, 0, M1, N
        deftile t3, acc, 4096, M1, 1    ; per-channel multipliers
        ldraw   t0, w1_codes
        ldraw   t1, x_in
        ldraw   t3, mult1
        tzero   t2
        bsmac   t2, t0, t1
        cfgi    rshift, 12
        cfgi    rmode, 0
        deftile t4, asp, 1024, M1, N    ; h, int8, in the activation scratchpad
        rqnt    t4, t2, t3
        straw   t4, hidden
        ; ---- layer 2: out = lut_b[W2] . h, LUT 0 reprogrammed ----
        la      r10, lut_b
        set.lut 0, r10, 3               ; 8 entries; waits for layer 1's MACs
        cfgi    wprec, 3
        deftile t5, wsp, 2048, M2, M1   ; W2 codes, 3-bit
        ldraw   t5, w2_codes
        deftile t6, acc, 8192, M2, N
        tzero   t6
        bsmac   t6, t5, t4
        straw   t6, out
        halt    zero

        .include "data/lut_2layer.inc"
        .bss
        .align  4
hidden: .zero   M1 * N
        .align  4
out:    .zero   M2 * N * 4
