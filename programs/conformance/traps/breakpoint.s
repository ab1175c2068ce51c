; conformance/traps/breakpoint.s -- trap kind Breakpoint: `ebreak` in a plain run.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r6, 123
bad:    ebreak                          ; a trap outside the debugger
        li      r31, 1                  ; not reached
        halt    r31
