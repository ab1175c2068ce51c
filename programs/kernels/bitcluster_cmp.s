; bitcluster_cmp.s -- BitCluster (seed 004) against the same layer unclustered. The
; generator rounds every original int8 weight to the nearest value with at most ck = 2
; set bits (sign-magnitude cluster code); the kernel runs the cluster weights (every lane
; group costs exactly ck cycles) and then the original weights as int8 (zero-bit skipping
; costs the maximum effectual-bit count across each lane group), timing each GEMM between
; `sync`s. Results are checked against NumPy; `cyc` = [cluster, unclustered] MAC cycles is
; compared in the expectation.
        .include "include/k.inc"
        .equ    M, 32
        .equ    K, 128
        .equ    N, 32

        .text
_start:
        cfgi    ck, 2
        cfgi    wprec, 8
        cfgi    wfmt, 4                 ; cluster
        deftile t0, wsp, 0, M, K
        cfgi    wfmt, 0                 ; int
        deftile t1, wsp, 8192, M, K
        cfgi    aprec, 8
        deftile t2, asp, 0, K, N
        deftile t3, acc, 0, M, N
        ldraw   t0, w_cluster
        ldraw   t1, w_orig
        ldraw   t2, a_raw
        tzero   t3
        la      r20, cyc
        rdcycle r10
        bsmac   t3, t0, t2
        rdcycle r11
        sub     r11, r11, r10
        sw      r11, 0(r20)
        straw   t3, out_cluster
        tzero   t3
        rdcycle r10
        bsmac   t3, t1, t2
        rdcycle r11
        sub     r11, r11, r10
        sw      r11, 4(r20)
        straw   t3, out_orig
        halt    zero

        .include "data/bitcluster_cmp.inc"
        .bss
        .align  4
cyc:    .zero   8
out_cluster: .zero M * N * 4
out_orig: .zero M * N * 4
