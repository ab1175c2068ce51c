; conformance/system.s -- class `system`: `sync` has no architectural effect; `halt rs1`
; stops with exit code rs1 (checked by the expectation file: 77). `ebreak` is in
; traps/breakpoint.s.
        .text
_start:
        li      r5, 77
        sync
        halt    r5
        li      r5, 1                   ; never reached
        halt    r5
