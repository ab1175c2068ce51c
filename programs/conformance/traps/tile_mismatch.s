; conformance/traps/tile_mismatch.s -- trap kind TileMismatch: `bsmac` whose K dimensions disagree.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 0
        li      r6, 2
        li      r7, 3
        li      r8, 4
        tdef    t0, wsp, r5, r6, r7     ; W 2x3
        tdef    t1, asp, r5, r8, r6     ; A 4x2: K disagrees
        tdef    t2, acc, r5, r6, r6
bad:    bsmac   t2, t0, t1
        li      r31, 1                  ; not reached
        halt    r31
