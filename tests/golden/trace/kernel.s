; Fixed program for the commit-log golden (tests/trace_golden.rs): one of each kind of trace
; item -- CSR writes, tile descriptors, contiguous, strided and RLE DMA both ways, a scalar
; store, a LUT, a MAC into an accumulator -- then a trap (a load outside DRAM).
        .text
_start:
        cfgi    wprec, 4
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint
        cfgi    azp, 3
        li      r5, 0
        li      r6, 2
        li      r7, 4
        tdef    t0, wsp, r5, r6, r7     ; 2x4 int4
        la      r10, w
        ld.raw  t0, r10
        li      r6, 4
        li      r7, 2
        tdef    t1, asp, r5, r6, r7     ; 4x2 uint8 zp 3
        cfgi    dstride, 4
        la      r10, a
        ld.raw  t1, r10                 ; rows 4 bytes apart
        cfgi    dstride, 0
        li      r6, 2
        li      r7, 2
        tdef    t2, acc, r5, r6, r7
        tzero   t2
        bsmac   t2, t0, t1
        la      r11, out
        st.raw  t2, r11
        st.rle  r12, t1, r11
        ld.rle  t1, r11
        la      r13, lut
        set.lut 1, r13, 2
        sw      r12, 0(r11)
        li      r14, 0x7ffffff0
        lw      r15, 0(r14)             ; outside DRAM: traps
        halt    r0

        .data
w:      .byte   0x21, 0x43, 0x65, 0x87
a:      .byte   1, 2, 0xee, 0xee, 3, 4, 0xee, 0xee, 5, 6, 0xee, 0xee, 7, 8, 0xee, 0xee
lut:    .byte   1, 2, 3, 4
out:    .space  64
