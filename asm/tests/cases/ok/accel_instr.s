; Accelerator instructions with keyword operands.
        cfgi wprec, 4
        cfgi 0x01, 8
        csrr r1, cycle
        tdef t1, wsp, r2, r3, r4
        ld.rle t2, r5
        set.lut 1, r6, 4
        bsmac t0, t1, t2
        vscale t0, t1, t2, t3, t4
        dchk r7, t2
        jalr r0, (ra)
        sw r1, -4(sp)
        halt r1
