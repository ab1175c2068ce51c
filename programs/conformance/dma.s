; conformance/dma.s -- class `dma`: ld.raw/st.raw round trip, ld.rle decoding (run field 4,
; trailing zeros), st.rle re-encoding with its byte count, and set.lut observed through a
; LUT-format weight tile in a bsmac (lut entries summed against activations of 1).
        .include "include/conf.inc"
        .text
_start:
        li      r5, 0
        li      r6, 2
        li      r7, 4
        cfgi    wprec, 8
        tdef    t0, wsp, r5, r6, r7     ; 2x4 int8
        la      r10, src
        ld.raw  t0, r10
        la      r11, out_raw
        st.raw  t0, r11
        cfgi    aprec, 8
        cfgi    rlerun, 4
        li      r6, 1
        li      r7, 8
        tdef    t1, asp, r5, r6, r7     ; 1x8 uint-coded activations from an RLE stream
        la      r10, rle_src
        ld.rle  t1, r10
        la      r11, out_dec
        st.raw  t1, r11
        la      r11, out_rle
        st.rle  r12, t1, r11            ; r12 = bytes written
        la      r13, rle_src
        la      r14, rle_end
        sub     r13, r14, r13
        checkr  r12, r13, 1             ; same length as the assembler's encoding
        ; set.lut: lut 1 gets 4 entries; 2-bit LUT-coded weights 0,1,2,3 x ones
        la      r10, lut_src
        set.lut 1, r10, 2
        cfgi    wprec, 2
        cfgi    wfmt, 3
        cfgi    wlut, 1
        li      r6, 1
        li      r7, 4
        tdef    t2, wsp, r5, r6, r7     ; 1x4 LUT codes
        la      r10, lut_codes
        ld.raw  t2, r10
        cfgi    aprec, 8
        cfgi    afmt, 0
        li      r6, 4
        li      r7, 1
        li      r8, 64
        tdef    t3, asp, r8, r6, r7     ; 4x1 ones
        la      r10, ones
        ld.raw  t3, r10
        li      r6, 1
        tdef    t4, acc, r5, r6, r6
        tzero   t4
        bsmac   t4, t2, t3
        la      r11, lut_sum
        st.raw  t4, r11
        lw      r15, 0(r11)
        check   r15, -30, 2             ; -5 + 3 + 100 - 128
        pass

        .rodata
src:      .byte   1, -2, 3, -4, 5, -6, 7, -128
rle_src:  .rle    8, 4, 0, 0, 5, 0, 0, 0, 0, 0
rle_end:
lut_src:  .byte   -5, 3, 100, -128
lut_codes: .tile  2, 0, 1, 2, 3
ones:     .byte   1, 1, 1, 1
        .bss
        .align  4
out_raw:  .zero   8
out_dec:  .zero   8
out_rle:  .zero   16
lut_sum:  .zero   4
