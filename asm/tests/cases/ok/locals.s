; Numeric local labels and .L local symbols.
_start:
1:      addi r1, r1, -1     ; => 20 21 fc ff
        bnez r1, 1b         ; => 41 01 fc ff
        beqz r1, 1f         ; => 40 01 04 00
1:      j 1b                ; => 48 00 00 00
1:      j .Lend             ; => 48 20 00 00
.Lend:  halt r0
