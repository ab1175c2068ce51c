; cluster2.s -- the digits MLP with BitCluster weights, k = 2 (seed 004).
;
; Codes are 8-bit sign-magnitude whose 7-bit magnitude has at most ck = 2 set bits
; (e.g. 96 = 0b1100000, 5 = 0b101, 64, 0); the machine traps ClusterBits on any other
; code. Every lane group of the bit-serial array then finishes a weight in exactly 2
; cycles, where int8 weights cost the largest effectual-bit count in the group.
        .include "digits.inc"

        .text
_start:
        load_input
        ; ---- layer 1 ----
        cfgi    ck, 2
        cfgi    wprec, 8
        cfgi    wfmt, 4                 ; cluster
        deftile t0, wsp, 0, D1, D0
        ldraw   t0, w1_codes
        tzero   t2
        bsmac   t2, t0, t1
        hidden_out
        ; ---- layer 2 ----
        deftile t5, wsp, 4096, D2, D1
        ldraw   t5, w2_codes
        tzero   t7
        bsmac   t7, t5, t6
        logits_out
        halt    zero

        .data
        .include "data/cluster2/params.inc"
x_codes:  .npy  "data/x.npy", XPREC, D0, N
w1_codes: .npy  "data/cluster2/w1.npy", 8, D1, D0
w2_codes: .npy  "data/cluster2/w2.npy", 8, D2, D1
        logits_buffer
