; conformance/traps/priority_weight_codes.s -- docs/ISA.md §9 trap priority: when both the
; weight tile (a cluster code with 2 signed terms > ck = 1) and the activation tile (a LUT
; code past the LUT's length) hold illegal codes, the weight tile's trap wins: ClusterBits.
        .text
_start:
        la      r10, lut
        set.lut 0, r10, 1               ; LUT 0: 2 entries
        cfgi    ck, 1
        cfgi    wprec, 4
        cfgi    wfmt, 4                 ; cluster
        cfgi    aprec, 2
        cfgi    afmt, 3                 ; lut
        li      r5, 0
        li      r6, 1
        li      r7, 2
        tdef    t0, wsp, r5, r6, r7     ; W 1x2
        la      r10, wcodes
        ld.raw  t0, r10
        tdef    t1, asp, r5, r7, r6     ; A 2x1
        la      r10, acodes
        ld.raw  t1, r10
        tdef    t2, acc, r5, r6, r6
bad:    bsmac   t2, t0, t1
        li      r31, 1                  ; not reached
        halt    r31
        .rodata
lut:    .byte   1, 2
wcodes: .tile   4, 1, 3                 ; 3 = 4 - 1: two signed terms > ck = 1
acodes: .tile   2, 0, 3                 ; 3 >= LUT length 2
