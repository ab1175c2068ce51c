"""Benchmark: the 256×256×256 dense int8 GEMM of `bitloom bench emu` (one `bsmac` on
256×256 tiles, random operands) through `bitloom.Machine.run` against `bitloom run` of
the same source file; and a scalar loop of `--loop` iterations (3 instructions each), to
show any per-instruction cost.

Both load the same `.s` (operands included with `.npy` directives), build a machine with
the default hardware and the timing model, and run it to `halt`. Measured: CPU time
(user + system) of the whole `bitloom run` process, minus the same for a program that
only halts (start-up, exit), against the CPU time of `bitloom.load` + `Machine` + `run`
in this process. Median of `--reps` runs each.

Run: ``python programs/python/bench_gemm.py --cli target/release/bitloom``.
"""

import argparse
import pathlib
import resource
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import bitloom

SOURCE = """
        .equ M, {n}
        .equ K, {n}
        .equ N, {n}
        .text
        .global _start
_start:
        cfgi    wprec, 8
        cfgi    aprec, 8
        cfgi    wfmt, 0
        cfgi    afmt, 0
        li      r5, 0
        li      r6, M
        li      r7, K
        li      r8, N
        tdef    t0, wsp, r5, r6, r7
        tdef    t1, asp, r5, r7, r8
        tdef    t2, acc, r5, r6, r8
        la      r10, w
        ld.raw  t0, r10
        la      r10, a
        ld.raw  t1, r10
        tzero   t2
        bsmac   t2, t0, t1
        halt    r0
        .data
w:      .npy "w.npy", 8
a:      .npy "a.npy", 8
"""


LOOP = """
_start: li      r1, 0
        li      r2, {iters}
loop:   addi    r1, r1, 1
        xor     r3, r3, r1
        blt     r1, r2, loop
        halt    r0
"""


def child_cpu():
    """CPU seconds (user + system) used by finished child processes so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def time_both(cli_exe, src, reps):
    """Median CPU seconds (user + system; wall time is at the mercy of other processes
    on a loaded machine): the CLI process, and load + Machine + run in Python."""
    cli, py = [], []
    m = None
    for _ in range(reps):
        t0 = child_cpu()
        subprocess.run([str(cli_exe), "run", str(src), "-q"], check=True)
        cli.append(child_cpu() - t0)
        t0 = time.process_time()
        m = bitloom.Machine(bitloom.load(src))
        stop = m.run()
        py.append(time.process_time() - t0)
        assert stop.kind == "exited", stop
    return statistics.median(cli), statistics.median(py), m


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cli", type=pathlib.Path, required=True, help="the bitloom binary")
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--loop", type=int, default=2_000_000)
    args = ap.parse_args(argv)
    n = args.size
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as d:
        d = pathlib.Path(d)
        np.save(d / "w.npy", rng.integers(-128, 128, (n, n), dtype=np.int8))
        np.save(d / "a.npy", rng.integers(-128, 128, (n, n), dtype=np.int8))
        src = d / "gemm.s"
        src.write_text(SOURCE.format(n=n))

        (d / "halt.s").write_text("_start: halt r0\n")
        (d / "loop.s").write_text(LOOP.format(iters=args.loop))
        base, _, _ = time_both(args.cli, d / "halt.s", args.reps)
        print(f"bitloom run start-up and exit (a program that halts): {1e3 * base:.1f} ms")
        for what, path in [
            (f"{n}x{n}x{n} int8 GEMM ({n**3 / 1e6:.1f} M MACs)", src),
            (f"scalar loop ({3 * args.loop / 1e6:.0f} M instructions)", d / "loop.s"),
        ]:
            cli, py, m = time_both(args.cli, path, args.reps)
            print(f"{what}, {m.cycle} cycles, median of {args.reps}:")
            print(f"  bitloom run, less start-up:     {1e3 * (cli - base):8.1f} ms")
            print(f"  Python load + Machine + run:    {1e3 * py:8.1f} ms")
            print(f"  ratio Python / CLI:             {py / (cli - base):8.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
