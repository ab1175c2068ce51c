; dma.s -- raw vs run-length-compressed DMA of one activation tile, for `bitloom sweep`
; (programs/sweeps/rle_dma.toml). Not standalone: the sweep defines the parameters and the
; data labels.
;
; Parameters: ROWS, COLS (tile shape), PREC (code bits), RUNBITS (RLE run width),
; RLE (0: load `tile_raw` with ld.raw, 1: load `tile_rle` with ld.rle).
; Data labels: `tile_raw` (packed codes), `tile_rle` (the same codes as an RLE stream).
;
; Loads the tile, then checks the scratchpad contents are the same either way: it stores
; the loaded tile raw to `back` and compares it word by word with `tile_raw`; exit 0 iff
; they are equal (so a point with a wrong stream fails instead of reporting a number).

        .text
        .global _start
_start:
        cfgi    aprec, PREC
        cfgi    afmt, 0
        cfgi    rlerun, RUNBITS
        li      r5, 0
        li      r6, ROWS
        li      r7, COLS
        tdef    t1, asp, r5, r6, r7
        li      r1, RLE
        beqz    r1, raw
        la      r10, tile_rle
        ld.rle  t1, r10
        j       loaded
raw:
        la      r10, tile_raw
        ld.raw  t1, r10
loaded:
        la      r11, back
        st.raw  t1, r11
        sync
        la      r10, tile_raw
        li      r12, (ROWS * COLS * PREC + 31) / 32     ; words to compare
cmp:
        lw      r13, 0(r10)
        lw      r14, 0(r11)
        bne     r13, r14, fail
        addi    r10, r10, 4
        addi    r11, r11, 4
        dbnz    r12, cmp
        li      r1, 0
        halt    r1
fail:
        li      r1, 1
        halt    r1

        .bss
        .align  4
back:   .zero   (ROWS * COLS * PREC + 31) / 32 * 4
