; conformance/traps/cluster_bits.s -- trap kind ClusterBits: a cluster code with more effectual bits than `ck`.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        cfgi    ck, 1
        cfgi    wprec, 4
        cfgi    wfmt, 4                 ; cluster, sign-magnitude
        li      r5, 0
        li      r6, 1
        li      r7, 2
        tdef    t0, wsp, r5, r6, r7
        la      r10, codes
        ld.raw  t0, r10
        tdef    t1, asp, r5, r7, r6
        tdef    t2, acc, r5, r6, r6
        tzero   t1
bad:    bsmac   t2, t0, t1
        li      r31, 1                  ; not reached
        halt    r31
        .rodata
codes:  .tile   4, 2, 3                 ; 3 = 0b011 has 2 effectual bits > ck = 1
