; conformance/post.s -- class `post`: bias, bcorr, relu, and rqnt in the three rounding
; modes, with saturation and a uint output zero-point. Outputs are compared by the
; expectation file (worked out by hand from docs/ISA.md §7).
        .text
_start:
        li      r5, 0
        li      r6, 1
        li      r7, 4
        tdef    t0, acc, r5, r6, r7     ; 1x4 accumulators
        la      r10, acc_in
        ld.raw  t0, r10
        li      r8, 64
        tdef    t1, acc, r8, r6, r6     ; bias 1x1
        la      r10, bias_v
        ld.raw  t1, r10
        li      r8, 80
        tdef    t2, acc, r8, r6, r6     ; bias correction 1x1
        la      r10, bcorr_v
        ld.raw  t2, r10
        li      r8, 96
        tdef    t3, acc, r8, r6, r6     ; per-channel multiplier 1x1
        la      r10, mult
        ld.raw  t3, r10
        bias    t0, t1                  ; [110, -40, 17, 7]
        bcorr   t0, t2                  ; [107, -43, 14, 4]
        la      r11, out_bc
        st.raw  t0, r11
        relu    t0                      ; [107, 0, 14, 4]
        la      r11, out_relu
        st.raw  t0, r11
        cfgi    wprec, 8
        cfgi    wfmt, 0
        tdef    t4, wsp, r5, r6, r7     ; int8 output 1x4
        cfgi    rshift, 2
        cfgi    rmode, 0                ; half up
        rqnt    t4, t0, t3
        la      r11, out_up
        st.raw  t4, r11
        cfgi    rmode, 2                ; half to even
        rqnt    t4, t0, t3
        la      r11, out_even
        st.raw  t4, r11
        cfgi    rmode, 1                ; floor
        rqnt    t4, t0, t3
        la      r11, out_floor
        st.raw  t4, r11
        cfgi    rshift, 0               ; saturate: 321 -> 127
        rqnt    t4, t0, t3
        la      r11, out_sat
        st.raw  t4, r11
        cfgi    aprec, 8
        cfgi    afmt, 1
        cfgi    azp, 5
        tdef    t5, asp, r5, r6, r7     ; uint8 output, zero-point 5
        cfgi    rshift, 1
        rqnt    t5, t0, t3              ; floor(p / 2) + 5
        la      r11, out_uint
        st.raw  t5, r11
        halt    zero

        .rodata
        .align  4
acc_in:  .word  100, -50, 7, -3
bias_v:  .word  10
bcorr_v: .word  3
mult:    .word  3
        .bss
        .align  4
out_bc:    .zero 16
out_relu:  .zero 16
out_up:    .zero 4
out_even:  .zero 4
out_floor: .zero 4
out_sat:   .zero 4
out_uint:  .zero 4
