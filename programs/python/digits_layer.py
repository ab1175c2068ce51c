"""Layer 1 of the digits MLP (programs/models/digits/) on Loom, driven from Python.

Notebook-style walk through the `bitloom` package:

1. load the float layer (w1 (64, 64) as (out, in), b1) and the 500 test images
   (uint8 pixels 0..16) with NumPy;
2. quantise w1 to int8, one scale per output channel, with ``bitloom.quant.int``;
3. assemble a GEMM kernel from a Python string: int8 weights (M×K) times uint8
   activations (K×N, the pixels, batch on N) tiled over N in blocks of NB images with
   strided DMA, int32 accumulators written back to DRAM;
4. write the operands into the machine, run it, read the accumulators;
5. check them bit-exactly against NumPy's integer matmul, and report the SQNR of the
   dequantised layer (accumulator × weight scale × 1/16, the pixels' scale in training,
   plus b1) against the float layer, the MLP's accuracy with the quantised
   layer, and the modelled cycles.

``--cli PATH`` also runs the same kernel through ``bitloom run`` (the data included with
``.npy`` directives instead of written from Python) and checks that its accumulators and
cycle count equal the Python run's.

Run: ``python programs/python/digits_layer.py [--cli target/release/bitloom]``.
"""

import argparse
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np

import bitloom

MODEL = pathlib.Path(__file__).resolve().parents[1] / "models" / "digits"
NB = 100  # images per tile

KERNEL = """
        .equ M, {m}
        .equ K, {k}
        .equ N, {n}
        .equ NB, {nb}
        .text
        .global _start
_start:
        cfgi    wprec, 8
        cfgi    wfmt, 0                 ; int8 weights
        cfgi    aprec, 8
        cfgi    afmt, 1                 ; uint8 activations
        cfgi    azp, 0
        li      r5, 0
        li      r6, M
        li      r7, K
        tdef    t0, wsp, r5, r6, r7     ; W: M x K
        li      r6, K
        li      r7, NB
        tdef    t1, asp, r5, r6, r7     ; X block: K x NB
        li      r6, M
        tdef    t2, acc, r5, r6, r7     ; Y block: M x NB
        la      r10, w1
        ld.raw  t0, r10
        la      r11, x                  ; first column of the X block
        la      r12, y                  ; first column of the Y block
        li      r13, N / NB             ; blocks left
        li      r14, N                  ; X row stride (bytes)
        li      r15, 4 * N              ; Y row stride (bytes)
block:
        cfg     dstride, r14
        ld.raw  t1, r11
        tzero   t2
        bsmac   t2, t0, t1
        cfg     dstride, r15
        st.raw  t2, r12
        addi    r11, r11, NB
        addi    r12, r12, 4 * NB
        addi    r13, r13, -1
        bnez    r13, block
        halt    r0
        .data
{data}
"""

DATA_SPACE = """w1:     .space M * K
x:      .space K * N
        .balign 4
y:      .space 4 * M * N"""

DATA_NPY = """w1:     .npy "w1_codes.npy", 8
x:      .npy "x.npy", 8
        .balign 4
y:      .space 4 * M * N"""


def kernel(m, k, n, data):
    """The kernel source for an M×K by K×N GEMM with the given data section."""
    return KERNEL.format(m=m, k=k, n=n, nb=NB, data=data)


def sqnr_db(ref, got):
    """Signal-to-quantisation-noise ratio of `got` against `ref`, in dB."""
    return 10 * np.log10((ref**2).sum() / ((ref - got) ** 2).sum())


def run_layer():
    """Quantise, run and check layer 1; returns a dict of the results."""
    w1 = np.load(MODEL / "w1.npy").astype(np.float64)  # (64 out, 64 in)
    b1 = np.load(MODEL / "b1.npy").astype(np.float64)
    x = np.load(MODEL / "x_test.npy")  # (500, 64) uint8
    m, k = w1.shape
    n = x.shape[0]
    assert n % NB == 0

    q = bitloom.quant.int(w1, bits=8, axis=0)  # int8, one scale per output channel
    prog = bitloom.assemble(kernel(m, k, n, DATA_SPACE), path="digits_layer.s")
    mach = bitloom.Machine(prog)
    mach.write("w1", q.codes)
    mach.write("x", np.ascontiguousarray(x.T))  # K x N: one image per column
    stop = mach.run()
    assert stop.kind == "exited" and stop.exit_code == 0, stop
    acc = mach.read("y", np.int32, (m, n))

    w_int = q.values.astype(np.int64)  # the int8 weight values
    expect = w_int @ x.T.astype(np.int64)
    exact = bool(np.array_equal(acc, expect))

    # The model was trained on pixels / 16: that is the activations' scale.
    act_scale = 1 / 16
    y_float = w1 @ (x.T * act_scale) + b1[:, None]
    y_quant = acc * (q.scales[:, None] * act_scale) + b1[:, None]

    # The whole MLP with layer 1 quantised (layer 2 in float) against the float MLP.
    w2 = np.load(MODEL / "w2.npy").astype(np.float64)
    b2 = np.load(MODEL / "b2.npy").astype(np.float64)
    labels = np.load(MODEL / "y_test.npy")

    def accuracy(h):
        logits = w2 @ np.maximum(h, 0) + b2[:, None]
        return float((logits.argmax(axis=0) == labels).mean())

    stats = mach.stats()
    return {
        "acc": acc,
        "exact": exact,
        "sqnr_db": float(sqnr_db(y_float, y_quant)),
        "weight_sqnr_db": q.sqnr,
        "accuracy_float": accuracy(y_float),
        "accuracy_quant": accuracy(y_quant),
        "cycles": stats["cycles"],
        "macs": stats["mac"]["macs"],
        "codes": q.codes,
        "x": x,
        "shape": (m, k, n),
    }


def run_cli(bitloom_exe, r):
    """The same kernel through `bitloom run`, data from .npy files; returns the
    accumulators and the cycle count it reports."""
    m, k, n = r["shape"]
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        np.save(d / "w1_codes.npy", r["codes"])
        np.save(d / "x.npy", np.ascontiguousarray(r["x"].T))
        src = d / "digits_layer.s"
        src.write_text(kernel(m, k, n, DATA_NPY))
        out, stats = d / "y.npy", d / "stats.json"
        subprocess.run(
            [
                str(bitloom_exe),
                "run",
                str(src),
                "-q",
                "--stats-json",
                str(stats),
                "--dump",
                f"y:{m * n}:i32={out}",
            ],
            check=True,
            capture_output=True,
        )
        acc = np.load(out).reshape(m, n)
        cycles = json.loads(stats.read_text())["cycles"]
    return acc, cycles


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", type=pathlib.Path, help="also run through this bitloom binary")
    args = ap.parse_args(argv)
    r = run_layer()
    m, k, n = r["shape"]
    print(f"layer 1: {m}x{k} int8 weights (per-channel scales) x {k}x{n} uint8 pixels")
    print(f"bit-exact against NumPy integer matmul: {'yes' if r['exact'] else 'NO'}")
    print(f"weight SQNR: {r['weight_sqnr_db']:.2f} dB")
    print(f"layer SQNR against the float layer: {r['sqnr_db']:.2f} dB")
    print(
        f"MLP accuracy on {n} test images: float {100 * r['accuracy_float']:.1f} %, "
        f"layer 1 on Loom {100 * r['accuracy_quant']:.1f} %"
    )
    print(f"cycles: {r['cycles']} for {r['macs']} MACs")
    ok = r["exact"]
    if args.cli:
        acc, cycles = run_cli(args.cli, r)
        same = np.array_equal(acc, r["acc"]) and cycles == r["cycles"]
        print(f"bitloom run gives the same accumulators and cycles: {'yes' if same else 'NO'}")
        ok = ok and same
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
