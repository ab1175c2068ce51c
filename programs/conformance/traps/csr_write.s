; conformance/traps/csr_write.s -- trap kind CsrWrite: a CSR write outside the register's range.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 9
bad:    cfg     wprec, r5               ; wprec is 1..8
        li      r31, 1                  ; not reached
        halt    r31
