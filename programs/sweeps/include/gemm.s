; gemm.s -- one GEMM layer for `bitloom sweep` (programs/sweeps/*.toml, docs/SWEEP.md).
; Not standalone: the sweep defines the parameters and the data labels.
;
; Parameters (each an `.equ` set by the sweep for every point):
;   M, K, N          layer shape: W is M x K, A is K x N, the result M x N
;   WPREC, WFMT, CK  weight precision, format code (0 int, 1 uint, 4 cluster) and
;                    BitCluster k, written to the wprec/wfmt/ck CSRs
;   APREC, AFMT      activation precision and format
;   SERIAL           serialised operand (0 weights, 1 activations, 2 both)
; Data labels: `weights` (M x K codes, packed), `acts` (K x N codes, packed).
;
; Loads both tiles, runs one bsmac and halts with 0. The sweep reads the MAC array's
; busy cycles and work from the run's statistics.

        .text
        .global _start
_start:
        cfgi    wprec, WPREC
        cfgi    wfmt, WFMT
        cfgi    ck, CK
        cfgi    aprec, APREC
        cfgi    afmt, AFMT
        cfgi    serial, SERIAL
        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7
        li      r6, K
        li      r7, N
        tdef    t1, asp, r5, r6, r7
        li      r6, M
        li      r7, N
        tdef    t2, acc, r5, r6, r7
        la      r10, weights
        ld.raw  t0, r10
        la      r10, acts
        ld.raw  t1, r10
        tzero   t2
        bsmac   t2, t0, t1
        sync
        li      r1, 0
        halt    r1
