; Two program-inserted breakpoints (`ebreak`): the debugger stops at each, resumes past
; it, and reverse execution replays through them.
_start:
        li      r1, 1
        ebreak
        li      r1, 2
        ebreak
        addi    r1, r1, 5
        halt    r1
