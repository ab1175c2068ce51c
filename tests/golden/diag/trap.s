; Assembles without a warning, then traps at run time (tests/diagnostics.rs).
_start: li   r1, 0x1002
        lw   r2, 0(r1)          ; misaligned: 0x1002 is not a multiple of 4
        halt r0
