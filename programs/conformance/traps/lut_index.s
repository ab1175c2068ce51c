; conformance/traps/lut_index.s -- trap kind LutIndex: a LUT-format code beyond the LUT's programmed length.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        la      r10, lut2
        set.lut 0, r10, 1               ; lut 0 has 2 entries
        cfgi    wprec, 2
        cfgi    wfmt, 3
        cfgi    wlut, 0
        li      r5, 0
        li      r6, 1
        li      r7, 2
        tdef    t0, wsp, r5, r6, r7     ; codes [1, 3]: 3 >= 2 entries
        la      r10, codes
        ld.raw  t0, r10
        tdef    t1, asp, r5, r7, r6
        tdef    t2, acc, r5, r6, r6
        tzero   t1
bad:    bsmac   t2, t0, t1
        li      r31, 1                  ; not reached
        halt    r31
        .rodata
lut2:   .byte   7, -7
codes:  .tile   2, 1, 3
