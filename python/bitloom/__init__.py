"""bitloom: the Loom accelerator toolchain from Python.

The same engine as the ``bitloom`` command line (assembler, emulator with its timing
model, quantisers), with NumPy arrays in and out. Arrays are always copied: nothing
returned aliases emulator memory. See docs/PYTHON.md.

>>> import bitloom
>>> p = bitloom.assemble("_start: li r1, 42\\n halt r1\\n")
>>> m = bitloom.Machine(p)
>>> m.run().exit_code
42
"""

from . import quant
from ._native import (
    AssemblyError,
    Diagnostic,
    Machine,
    Program,
    Snapshot,
    StopReason,
    Symbol,
    TileView,
    Trap,
    assemble,
    load,
)

__all__ = [
    "AssemblyError",
    "Diagnostic",
    "Machine",
    "Program",
    "Snapshot",
    "StopReason",
    "Symbol",
    "TileView",
    "Trap",
    "assemble",
    "load",
    "quant",
]
