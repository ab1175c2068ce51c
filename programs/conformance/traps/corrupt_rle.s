; conformance/traps/corrupt_rle.s -- trap kind CorruptRle: `ld.rle` of a stream that expands past the tile.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        cfgi    aprec, 8
        cfgi    rlerun, 4
        li      r5, 0
        li      r6, 1
        li      r7, 4
        tdef    t1, asp, r5, r6, r7     ; 4 elements
        la      r10, stream
bad:    ld.rle  t1, r10                 ; the stream expands to 8 elements
        li      r31, 1                  ; not reached
        halt    r31
        .rodata
        .align  4
stream: .rle    8, 4, 1, 2, 3, 4, 5, 6, 7, 8
