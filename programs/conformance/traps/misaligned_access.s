; conformance/traps/misaligned_access.s -- trap kind MisalignedAccess: a word load from an address that is not a multiple of 4; r6 unchanged (precise).
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 0x2001
        li      r6, 123
bad:    lw      r6, 0(r5)               ; word load from an odd address
        li      r31, 1                  ; not reached
        halt    r31
