; conformance/cluster_signed.s -- docs/ISA.md §4-§5: signed-digit BitCluster codes and when
; `ck` is read. Cluster weights 7 (= 8 - 1) and -15 (= -(16 - 1)) have two signed terms:
; illegal under a popcount rule, legal with ck = 2. The tile is defined while ck = 1; the
; `bsmac` runs after `cfgi ck, 2` and succeeds, because `ck` is read by the MAC, not
; stamped by `tdef`. The accumulator tile sits at the unaligned acc byte offset 2.
; Exit 0 iff acc = 7*3 + (-15)*2 = -9.
        .text
_start:
        cfgi    ck, 1
        cfgi    wprec, 5
        cfgi    wfmt, 4                 ; cluster, 5 bits: sign bit 4
        li      r5, 0
        li      r6, 1
        li      r7, 2
        tdef    t0, wsp, r5, r6, r7     ; W 1x2
        la      r10, wcodes
        ld.raw  t0, r10
        tdef    t1, asp, r5, r7, r6     ; A 2x1 (int8)
        la      r10, acodes
        ld.raw  t1, r10
        li      r8, 2
        tdef    t2, acc, r8, r6, r6     ; acc at byte 2: no alignment needed
        tzero   t2
        cfgi    ck, 2                   ; read by the bsmac below
        bsmac   t2, t0, t1
        la      r11, out
        st.raw  t2, r11
        lbu     r12, 0(r11)             ; -9 = 0xfffffff7, bytes f7 ff ff ff
        lbu     r13, 3(r11)
        li      r14, 0xf7
        bne     r12, r14, fail
        li      r14, 0xff
        bne     r13, r14, fail
        halt    r0
fail:   li      r31, 1
        halt    r31
        .rodata
wcodes: .tile   5, 7, 0x1f              ; 7; sign | 15 = -15
acodes: .byte   3, 2
        .data
out:    .word   0
