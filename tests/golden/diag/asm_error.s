; One assembler error with a secondary label and a help line (tests/diagnostics.rs).
_start: nop
loop:   addi r1, r1, 1
loop:   j    loop
