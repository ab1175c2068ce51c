; density_store.s -- density-check picks the storage format at run time (seeds 000, 002).
;
; Two 16 x 16 int8 activation tiles, one sparse (~18 % non-zero, with a 40-element
; zero run that needs RLE escape entries) and one dense (~88 %). For each, `dchk` counts
; the non-zeros and sets `dense` (threshold 667 per mille = b/(b+r) for b = 8, r = 4:
; below it RLE is the smaller format); the program branches on `dense` to store the tile
; with `st.rle` or `st.raw` (macro store_by_density), then reloads it with the matching
; load and compares the bytes with the original data in a scalar loop.
; Checked: dchk's count, the nnz/density/dense CSRs against a scalar count; the sparse tile
; goes the RLE way, its stream is smaller than the raw tile and its length matches the
; stream header (4 + ceil(entries * 12 / 8)); the dense tile goes the raw way and its RLE
; encoding would indeed not be smaller; both reloads reproduce the original bytes.
; Exit code 0 if all pass, else the number of the failed check (1..9 sparse, 11..16 dense).

        .equ R, 16
        .equ C, 16
        .equ ELEMS, R * C
        .equ TILE_BYTES, ELEMS          ; int8: one byte per element
        .equ RUNBITS, 4
        .equ DTHRESH, 667

; expect_eq x, y, code: halt with exit code `code` unless registers x and y are equal.
        .macro expect_eq x, y, code
        beq     \x, \y, .Lok\@
        li      r10, \code
        halt    r10
.Lok\@:
        .endm

; store_by_density tile, buf: density-check `tile` and store it at `buf` in the format
; the density calls for. Out: r11 = non-zero count (dchk rd), r12 = dense flag,
; r13 = bytes written. Macro labels are made unique per expansion with `\@`.
        .macro store_by_density tile, buf
        dchk    r11, \tile
        csrr    r12, dense
        la      r10, \buf
        bnez    r12, .Lraw\@
        st.rle  r13, \tile, r10         ; sparse: run-length encoded
        j       .Ldone\@
.Lraw\@:
        st.raw  \tile, r10              ; dense: raw
        li      r13, TILE_BYTES
.Ldone\@:
        .endm

        .text
        .global _start
_start:
        cfgi    aprec, 8
        cfgi    afmt, 0
        cfgi    rlerun, RUNBITS
        cfgi    dthresh, DTHRESH
        li      r6, R
        li      r7, C
        li      r5, 0
        tdef    t0, asp, r5, r6, r7     ; sparse tile
        li      r5, TILE_BYTES
        tdef    t1, asp, r5, r6, r7     ; dense tile
        li      r5, 2 * TILE_BYTES
        tdef    t2, asp, r5, r6, r7     ; reload target
        la      r10, sparse_data
        ld.raw  t0, r10
        la      r10, dense_data
        ld.raw  t1, r10

        ; ---------------- sparse tile ----------------
        store_by_density t0, buf_sparse
        la      r10, sparse_data
        call    count_nz                ; r10 = scalar non-zero count
        mv      r20, r10
        expect_eq r11, r20, 1           ; dchk rd
        csrr    r14, nnz
        expect_eq r14, r20, 2           ; nnz CSR
        call    density_of              ; r15 = floor(1000 * n / ELEMS), r16 = dense?
        csrr    r14, density
        expect_eq r14, r15, 3           ; density CSR
        expect_eq r12, r16, 4           ; dense CSR
        expect_eq r12, r0, 5            ; so it took the RLE path
        li      r14, TILE_BYTES
        li      r10, 6
        bge     r13, r14, fail          ; RLE stream smaller than the raw tile
        la      r10, buf_sparse         ; length = 4 + ceil(entries * (8 + r) / 8)
        lw      r14, 0(r10)
        li      r15, 8 + RUNBITS
        mul     r14, r14, r15
        addi    r14, r14, 7
        srli    r14, r14, 3
        addi    r14, r14, 4
        expect_eq r13, r14, 7
        la      r10, buf_sparse         ; reload through the zero eliminator
        ld.rle  t2, r10
        la      r10, check_buf
        st.raw  t2, r10
        la      r11, sparse_data
        call    bytes_equal
        expect_eq r10, r0, 8
        dchk    r14, t2
        expect_eq r14, r20, 9

        ; ---------------- dense tile ----------------
        store_by_density t1, buf_dense
        la      r10, dense_data
        call    count_nz
        mv      r20, r10
        expect_eq r11, r20, 11
        call    density_of
        csrr    r14, density
        expect_eq r14, r15, 12
        expect_eq r12, r16, 13
        li      r14, 1
        expect_eq r12, r14, 14          ; raw path
        la      r10, buf_dense
        ld.raw  t2, r10
        la      r10, check_buf
        st.raw  t2, r10
        la      r11, dense_data
        call    bytes_equal
        expect_eq r10, r0, 15
        la      r10, buf_scratch        ; RLE would not have been smaller
        st.rle  r13, t1, r10
        li      r14, TILE_BYTES
        li      r10, 16
        blt     r13, r14, fail
        halt    r0
fail:
        halt    r10

; count_nz: r10 = address of ELEMS bytes -> r10 = number of non-zero bytes. Clobbers r14..r16.
count_nz:
        li      r14, 0
        li      r15, ELEMS
1:      lbu     r16, 0(r10)
        beqz    r16, 2f
        addi    r14, r14, 1
2:      addi    r10, r10, 1
        dbnz    r15, 1b
        mv      r10, r14
        ret

; density_of: r20 = non-zero count -> r15 = floor(1000 * r20 / ELEMS),
; r16 = (r15 >= DTHRESH). Clobbers r14.
density_of:
        li      r14, 1000
        mul     r15, r20, r14
        li      r14, ELEMS
        divu    r15, r15, r14
        li      r14, DTHRESH
        slt     r16, r15, r14
        xori    r16, r16, 1
        ret

; bytes_equal: compare TILE_BYTES bytes at r10 and r11 -> r10 = 0 if equal, else 1.
; Clobbers r14..r16.
bytes_equal:
        li      r14, TILE_BYTES
1:      lbu     r15, 0(r10)
        lbu     r16, 0(r11)
        bne     r15, r16, 2f
        addi    r10, r10, 1
        addi    r11, r11, 1
        dbnz    r14, 1b
        li      r10, 0
        ret
2:      li      r10, 1
        ret

        .rodata
sparse_data:                            ; int8, ~18 % non-zero
        .tile   8, 67, -119, 0, 0, 0, 0, -60, 0, 0, 81, 0, 0, 0, 0, 0, 0
        .tile   8, 0, 0, 0, -60, 57, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .tile   8, 0, -59, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, -110, 0
        .tile   8, 0, 0, 50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .tile   8, 0, 0, 0, 0, 0, 0, 0, 0, 30, 0, 23, 0, -96, 0, 111, 0
        .tile   8, 0, 0, 0, 120, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 102
        .tile   8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .tile   8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .tile   8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 57
        .tile   8, 0, 0, -62, 0, 0, 46, 89, 0, 0, 0, 0, 0, 0, 56, 0, 0
        .tile   8, 0, 0, 0, 49, 0, 118, -15, 0, -60, 0, 0, 0, -111, 0, -116, -114
        .tile   8, 0, 0, 0, 47, 0, 0, 0, 47, 0, 0, 0, 0, 89, 0, 0, 0
        .tile   8, 0, 0, 0, 0, 0, 0, 72, 0, 0, 0, 0, 0, 0, 0, 0, 0
        .tile   8, 93, 0, 0, 0, 0, -46, 0, 0, 0, 18, 0, 0, 0, 0, 0, 0
        .tile   8, -16, 0, -24, 0, 67, 0, 91, -75, 0, 0, 0, 0, 0, 0, 0, 0
        .tile   8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0
dense_data:                             ; int8, ~88 % non-zero
        .tile   8, -22, -21, -61, -57, -42, 0, 108, -84, -89, 87, -43, 69, 0, -20, -106, -74
        .tile   8, 84, -11, -60, -19, -52, 56, 84, -29, 103, -43, 0, -106, 118, -118, -95, 85
        .tile   8, -122, -9, 120, -99, -21, 80, 80, -67, 80, 84, -96, 94, -105, -69, 0, -80
        .tile   8, 50, 90, 44, 9, 20, -94, 50, 0, -33, -17, 0, 77, 16, 35, 0, -100
        .tile   8, 0, 104, -58, 86, -3, -16, -32, 96, 32, -50, 9, 50, 0, -66, -65, 6
        .tile   8, 116, 0, -52, -51, 0, -37, -75, 0, -120, -86, 0, 85, 0, -64, 23, 69
        .tile   8, 1, 48, 23, 14, 72, -35, 90, 71, 113, -115, -88, 0, 72, 18, 42, 5
        .tile   8, 0, 76, -112, 89, 125, -99, -5, 69, 0, -74, 44, -70, -77, 0, -83, 8
        .tile   8, -21, 31, -106, 110, 44, 0, -85, -12, 0, 116, 87, -116, -127, 78, 85, 107
        .tile   8, -63, -124, 96, -32, 92, -21, 110, -90, -71, 0, 120, 0, 0, -28, -62, -85
        .tile   8, -107, -64, -120, -21, -93, 0, 38, 33, -12, 116, -15, -52, 0, 5, 119, 120
        .tile   8, -42, 116, 89, -12, -67, -37, 4, 0, 93, 110, 88, -24, -76, -68, 22, -115
        .tile   8, 0, 0, -35, 0, -86, 85, 69, 95, 126, 84, 100, 12, 33, 0, -3, 79
        .tile   8, -26, -89, 27, -30, -128, 9, 72, -51, 0, 37, -79, 79, 7, 0, 0, -32
        .tile   8, 47, -104, -71, 119, -64, 13, -94, -52, -74, -71, 33, 26, -48, -5, 49, 0
        .tile   8, 0, -126, 0, 43, 95, 73, 108, -15, -12, 81, -50, -77, 22, -58, -128, 97

        .bss
        .align  4
buf_sparse:  .zero  4 + ELEMS * 2       ; room for the worst-case RLE stream
buf_dense:   .zero  4 + ELEMS * 2
buf_scratch: .zero  4 + ELEMS * 2
check_buf:   .zero  TILE_BYTES
