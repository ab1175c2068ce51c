; gemm_strided.s -- int8 GEMM C[128x128] = W[128x128] . A[128x128] straight from row-major
; matrices with strided DMA (docs/ISA.md §8 "Strided DMA"). The expectation pins 2 KiB
; weight/activation and 4 KiB accumulator scratchpads, so no operand fits: the kernel
; walks 32x32 output tiles, and for each K step cuts a 32x32 tile out of W and out of A
; with `dstride` = the matrix row length, accumulates `bsmac`, then writes the 32x32
; int32 result tile into row-major C with `dstride` = C's row length in bytes. No
; pre-blocking of the data: W, A and C are plain row-major arrays (.npy files).
        .include "include/k.inc"
        .equ    M, 128
        .equ    K, 128
        .equ    N, 128
        .equ    T, 32                   ; tile edge
        .equ    NT, M / T               ; tiles per dimension (M = K = N)

        .text
_start:
        cfgi    wprec, 8
        cfgi    aprec, 8
        deftile t0, wsp, 0, T, T        ; W tile
        deftile t1, asp, 0, T, T        ; A tile
        deftile t2, acc, 0, T, T        ; C tile (4 KiB of int32)
        li      r20, T                  ; step along a row: one tile of int8 columns
        li      r21, T * K              ; step down W: T rows of K bytes
        li      r22, T * N              ; step down A: T rows of N bytes
        li      r23, 4 * T              ; step along a C row: T int32 columns
        li      r24, 4 * T * N          ; step down C: T rows of 4N bytes
        la      r10, w                  ; W row block (mi)
        la      r17, c                  ; C row block (mi)
        li      r11, NT
mi_loop:
        la      r13, a                  ; A column block (ni)
        addi    r18, r17, 0             ; C tile (mi, ni)
        li      r12, NT
ni_loop:
        tzero   t2
        addi    r14, r10, 0             ; W tile (mi, ki)
        addi    r15, r13, 0             ; A tile (ki, ni)
        cfgi    dstride, K              ; operand rows are K (= N) bytes apart
        li      r16, NT
ki_loop:
        ld.raw  t0, r14
        ld.raw  t1, r15
        bsmac   t2, t0, t1
        add     r14, r14, r20           ; next W tile to the right
        add     r15, r15, r22           ; next A tile down
        dbnz    r16, ki_loop
        cfgi    dstride, 4 * N          ; C rows are 4N bytes apart
        st.raw  t2, r18
        add     r18, r18, r23
        add     r13, r13, r20           ; next A column block
        dbnz    r12, ni_loop
        add     r10, r10, r21           ; next W row block
        add     r17, r17, r24           ; next C row block
        dbnz    r11, mi_loop
        halt    zero

        .data
w:      .npy    "data/gemm_strided.w.npy", 8, M, K
a:      .npy    "data/gemm_strided.a.npy", 8, K, N
        .bss
        .align  4
c:      .zero   M * N * 4
