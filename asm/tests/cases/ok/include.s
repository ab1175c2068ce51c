; .include is relative to the including file.
        .include "inc/consts.inc"   ; => 20 01 1c 00
        addi r2, r0, ANSWER         ; => 20 02 a8 00
