; conformance/traps/tile_shape.s -- trap kind TileShape: `tdef` with 0 rows.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 0
        li      r6, 0                   ; zero rows
        li      r7, 4
bad:    tdef    t0, wsp, r5, r6, r7
        li      r31, 1                  ; not reached
        halt    r31
