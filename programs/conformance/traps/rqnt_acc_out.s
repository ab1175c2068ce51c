; conformance/traps/rqnt_acc_out.s -- docs/ISA.md §9: an `rqnt` whose `tout` is an `acc`
; tile traps TileMismatch (a space error), not FormatUnsupported.
        .text
_start:
        li      r5, 0
        li      r6, 2
        li      r7, 1
        li      r8, 64
        tdef    t0, acc, r5, r6, r6     ; tacc 2x2
        tdef    t1, acc, r8, r6, r7     ; tm 2x1
        tdef    t2, acc, r8, r6, r6     ; tout in acc: illegal
bad:    rqnt    t2, t0, t1
        li      r31, 1                  ; not reached
        halt    r31
