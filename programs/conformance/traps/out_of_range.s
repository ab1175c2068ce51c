; conformance/traps/out_of_range.s -- trap kind OutOfRange: a load beyond the end of DRAM; r6 unchanged (precise).
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 0xfffffff0
        li      r6, 123
bad:    lw      r6, 0(r5)               ; far beyond dram_bytes
        li      r31, 1                  ; not reached
        halt    r31
