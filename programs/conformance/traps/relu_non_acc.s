; conformance/traps/relu_non_acc.s -- docs/ISA.md §9: `relu` (like `bias`/`bcorr`) on a
; non-`acc` tile traps TileMismatch.
        .text
_start:
        li      r5, 0
        li      r6, 2
        tdef    t0, asp, r5, r6, r6
bad:    relu    t0
        li      r31, 1                  ; not reached
        halt    r31
