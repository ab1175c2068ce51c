; conformance/dma_strided.s -- strided (2-D) DMA: with CSR `dstride` set, `ld.raw` reads
; tile row r from rs1 + r*dstride and `st.raw` writes it there (docs/ISA.md §8 "Strided
; DMA"). Cuts a 3x4 int8 tile out of a 6x8 row-major matrix at (row 2, column 3), stores it
; into a 3x5-byte-stride window of a 0xee-filled buffer, and checks every byte with scalar
; loads: the tile's bytes where they belong, the gaps between rows untouched. Then a 4-bit
; tile (2 codes per byte) cut at column 2 (a byte boundary) checks sub-byte rows.
        .include "include/conf.inc"
        .equ    COLS, 8                 ; matrix row length in bytes (int8)
        .text
_start:
        cfgi    wprec, 8
        li      r5, 0
        li      r6, 3
        li      r7, 4
        tdef    t0, wsp, r5, r6, r7     ; 3x4 int8
        cfgi    dstride, COLS
        la      r10, mat + 2*COLS + 3   ; element (2, 3)
        ld.raw  t0, r10
        cfgi    dstride, 5
        la      r11, win
        st.raw  t0, r11
        ; window row r, column c == mat[2 + r][3 + c] = 10*(2+r) + (3+c)
        li      r20, 0                  ; r
1:      li      r21, 0                  ; c
2:      li      r22, 5
        mul     r23, r20, r22
        add     r23, r23, r21
        la      r24, win
        add     r24, r24, r23
        lbu     r25, 0(r24)             ; stored byte
        addi    r26, r20, 2
        li      r22, 10
        mul     r26, r26, r22
        add     r26, r26, r21
        addi    r26, r26, 3             ; expected 10*(2+r) + 3 + c
        checkr  r25, r26, 1
        addi    r21, r21, 1
        li      r22, 4
        blt     r21, r22, 2b
        ; the fifth byte of each window row is untouched
        la      r24, win
        li      r22, 5
        mul     r23, r20, r22
        add     r24, r24, r23
        lbu     r25, 4(r24)
        check   r25, 0xee, 2
        addi    r20, r20, 1
        li      r22, 3
        blt     r20, r22, 1b
        ; 4-bit codes: a 2x4 tile at column 2 of an 8-column nibble matrix (4 bytes a row)
        cfgi    aprec, 4
        li      r6, 2
        li      r7, 4
        tdef    t1, asp, r5, r6, r7
        cfgi    dstride, 4
        la      r10, nib + 4 + 1        ; row 1, column 2 (byte 1 of the row)
        ld.raw  t1, r10
        cfgi    dstride, 0
        la      r11, nib_out
        st.raw  t1, r11                 ; contiguous: 8 codes = 4 bytes
        la      r12, nib_out
        lw      r13, 0(r12)
        check   r13, 0xdcba5432, 3      ; row1 cols 2..5 = 2,3,4,5; row2 = a,b,c,d
        pass

        .data
mat:                                    ; mat[r][c] = 10*r + c
        .byte   0, 1, 2, 3, 4, 5, 6, 7
        .byte   10, 11, 12, 13, 14, 15, 16, 17
        .byte   20, 21, 22, 23, 24, 25, 26, 27
        .byte   30, 31, 32, 33, 34, 35, 36, 37
        .byte   40, 41, 42, 43, 44, 45, 46, 47
        .byte   50, 51, 52, 53, 54, 55, 56, 57
win:    .fill   16, 1, 0xee
nib:                                    ; 3 rows of 8 nibbles, LSB-first: row r col c
        .byte   0x10, 0x32, 0x54, 0x76  ; row 0: 0 1 2 3 4 5 6 7
        .byte   0x10, 0x32, 0x54, 0x76  ; row 1: 0 1 2 3 4 5 6 7
        .byte   0x98, 0xba, 0xdc, 0xfe  ; row 2: 8 9 a b c d e f
nib_out: .word  0
