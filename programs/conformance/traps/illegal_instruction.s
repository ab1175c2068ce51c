; conformance/traps/illegal_instruction.s -- trap kind IllegalInstruction: an all-zero word (opcode 0) traps; r6 keeps its value.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r6, 123
bad:    .word   0                       ; opcode 0 is never defined
        li      r31, 1                  ; not reached
        halt    r31
