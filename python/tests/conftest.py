"""Shared fixtures of the bitloom Python tests: the repository root and a small GEMM
kernel whose operands the tests write from NumPy."""

import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# An M×K int8 weight tile times a K×N uint8 activation tile (zero-point AZP) into an int32
# accumulator tile, written back to `result`. Operands are filled in by the tests.
GEMM = """
        .equ M, {m}
        .equ K, {k}
        .equ N, {n}
        .text
        .global _start
_start:
        cfgi    wprec, 8
        cfgi    wfmt, 0
        cfgi    aprec, 8
        cfgi    afmt, 1
        cfgi    azp, {azp}
        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7
        li      r6, K
        li      r7, N
        tdef    t1, asp, r5, r6, r7
        li      r6, M
        tdef    t2, acc, r5, r6, r7
        la      r10, weights
        ld.raw  t0, r10
        la      r10, acts
        ld.raw  t1, r10
        tzero   t2
mac:
        bsmac   t2, t0, t1
        la      r10, result
        st.raw  t2, r10
done:
        halt    r0
        .data
weights: .space M*K
acts:    .space K*N
        .balign 4
result:  .space 4*M*N
"""


def gemm_source(m=4, k=8, n=3, azp=0):
    """The GEMM kernel source for these sizes."""
    return GEMM.format(m=m, k=k, n=n, azp=azp)


@pytest.fixture
def root():
    """The repository root."""
    return ROOT
