; conformance/mac.s -- class `mac`: bsmac (int8 x int8, accumulating twice), uint
; activations with a zero-point, log weights in base 2 and base sqrt(2), and vscale with
; vlen 2 over K = 3 (a short last vector). Results are stored and compared by the
; expectation file (values worked out by hand from docs/ISA.md §5-6).
        .text
_start:
        li      r0, 0
        li      r5, 0
        ; --- bsmac int8: W 2x3, A 3x2, twice ---
        li      r6, 2
        li      r7, 3
        tdef    t0, wsp, r5, r6, r7
        li      r8, 64
        tdef    t1, asp, r8, r7, r6
        tdef    t2, acc, r5, r6, r6
        la      r10, w23
        ld.raw  t0, r10
        la      r10, a32
        ld.raw  t1, r10
        tzero   t2
        bsmac   t2, t0, t1
        bsmac   t2, t0, t1
        la      r11, out_int
        st.raw  t2, r11
        ; --- vscale: vlen 2 -> vectors {k0,k1}, {k2}; 4-bit unsigned scales ---
        cfgi    vlen, 2
        cfgi    wprec, 4
        cfgi    aprec, 4
        li      r9, 32
        tdef    t3, wsp, r9, r6, r6     ; tsw 2x2
        li      r9, 128
        tdef    t4, asp, r9, r6, r6     ; tsa 2x2
        la      r10, sw
        ld.raw  t3, r10
        la      r10, sa
        ld.raw  t4, r10
        li      r9, 64
        tdef    t5, acc, r9, r6, r6
        tzero   t5
        vscale  t5, t0, t1, t3, t4      ; t0/t1 keep their int8 descriptors
        la      r11, out_vs
        st.raw  t5, r11
        ; --- uint activations, zero-point 10: W 1x2 int8 [3, 4], A codes [12, 7] ---
        cfgi    wprec, 8
        cfgi    aprec, 8
        cfgi    afmt, 1
        cfgi    azp, 10
        li      r6, 1
        li      r7, 2
        li      r9, 160
        tdef    t6, wsp, r9, r6, r7
        li      r9, 192
        tdef    t7, asp, r9, r7, r6
        li      r9, 128
        tdef    t8, acc, r9, r6, r6
        la      r10, w_u
        ld.raw  t6, r10
        la      r10, a_u
        ld.raw  t7, r10
        tzero   t8
        bsmac   t8, t6, t7
        la      r11, out_zp
        st.raw  t8, r11
        ; --- log weights (4-bit: sign bit 3, m = bits 2..0, q = m - 1), A int8 [5, 7] ---
        cfgi    afmt, 0
        cfgi    azp, 0
        cfgi    wprec, 4
        cfgi    wfmt, 2
        cfgi    logbase, 0
        li      r9, 192
        tdef    t7, asp, r9, r7, r6     ; re-define: a tile keeps the format of its tdef
        li      r9, 200
        tdef    t9, wsp, r9, r6, r7     ; [+4x, -1x]
        la      r10, w_log
        ld.raw  t9, r10
        la      r10, a_log
        ld.raw  t7, r10
        tzero   t8
        bsmac   t8, t9, t7
        la      r11, out_log2
        st.raw  t8, r11
        cfgi    logbase, 1              ; base sqrt(2): q = 3 -> (x << 1) + ((x << 1) >> 1)
        li      r7, 1
        tdef    t10, wsp, r9, r6, r7    ; first code only: m = 4
        li      r9, 224
        tdef    t11, asp, r9, r7, r7
        la      r10, a_five
        ld.raw  t11, r10
        tzero   t8
        la      r10, w_log_s
        ld.raw  t10, r10
        bsmac   t8, t10, t11
        la      r11, out_logs
        st.raw  t8, r11
        halt    zero

        .rodata
w23:    .byte   1, 2, 3, -1, 0, 2
a32:    .byte   1, -1, 2, 0, 3, 5
sw:     .tile   4, 1, 2, 3, 1
sa:     .tile   4, 2, 1, 1, 3
w_u:    .byte   3, 4
a_u:    .byte   12, 7
w_log:  .tile   4, 3, 9                 ; m=3 -> x<<2; sign+m=1 -> -(x<<0)
a_log:  .byte   5, 7
w_log_s: .tile  4, 4, 0
a_five: .byte   5
        .bss
        .align  4
out_int:  .zero 16
out_vs:   .zero 16
out_zp:   .zero 4
out_log2: .zero 4
out_logs: .zero 4
