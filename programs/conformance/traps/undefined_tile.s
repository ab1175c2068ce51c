; conformance/traps/undefined_tile.s -- trap kind UndefinedTile: use of a tile register never defined by `tdef`.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
bad:    tzero   t9                      ; t9 was never defined
        li      r31, 1                  ; not reached
        halt    r31
