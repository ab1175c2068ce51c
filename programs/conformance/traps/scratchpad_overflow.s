; conformance/traps/scratchpad_overflow.s -- trap kind ScratchpadOverflow: `tdef` of a tile whose bytes exceed its scratchpad.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 0x40000000          ; base far past the weight scratchpad
        li      r6, 1
        li      r7, 1
bad:    tdef    t0, wsp, r5, r6, r7
        li      r31, 1                  ; not reached
        halt    r31
