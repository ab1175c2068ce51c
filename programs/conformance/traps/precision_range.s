; conformance/traps/precision_range.s -- trap kind PrecisionRange: 8-bit log weights (log allows 2..5 bits), checked where used.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        cfgi    wprec, 8
        cfgi    wfmt, 2                 ; log needs 2..5 bits
        li      r5, 0
        li      r6, 1
        tdef    t0, wsp, r5, r6, r6
        tdef    t1, asp, r5, r6, r6
        tdef    t2, acc, r5, r6, r6
bad:    bsmac   t2, t0, t1
        li      r31, 1                  ; not reached
        halt    r31
