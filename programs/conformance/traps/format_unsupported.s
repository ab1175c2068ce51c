; conformance/traps/format_unsupported.s -- trap kind FormatUnsupported: `st.rle` of an accumulator tile.
; The expectation file requires exactly this trap at `bad`. Traps are precise: the
; trapping instruction changes nothing, and nothing after it runs.
        .text
_start:
        li      r5, 0
        li      r6, 2
        tdef    t2, acc, r5, r6, r6
        la      r10, buf
bad:    st.rle  r11, t2, r10            ; accumulators cannot be RLE-encoded
        li      r31, 1                  ; not reached
        halt    r31
        .bss
buf:    .zero   64
