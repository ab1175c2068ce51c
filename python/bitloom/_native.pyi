"""Type stubs of the compiled module ``bitloom._native`` (re-exported by ``bitloom`` and
``bitloom.quant``). Arrays are NumPy copies: nothing returned aliases emulator memory."""

import os
from typing import Any, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

_Place = Union[str, int]
"""A symbol name or a DRAM address."""
_Path = Union[str, "os.PathLike[str]"]
_Hw = Union[None, _Path, Mapping[str, Any]]

class AssemblyError(Exception):
    """The source did not assemble; ``str(e)`` is the rendered report."""

    diagnostics: list[Diagnostic]
    """Every error and warning of the run, in source order."""

class Trap(Exception):
    """The program trapped (docs/ISA.md §9); the machine stays at the trapping instruction."""

    kind: str
    """The cause, e.g. ``"OutOfRange"``, ``"UndefinedTile"``, ``"Breakpoint"``."""
    message: str
    """The cause as a sentence."""
    pc: int
    word: int
    instruction: str
    """The trapping instruction, disassembled."""
    file: Optional[str]
    line: Optional[int]
    column: Optional[int]
    source_line: Optional[str]
    """The source line of the trapping instruction, when known."""
    rendered: str
    """The report ``bitloom run`` prints."""

class Diagnostic:
    """One assembler error or warning."""

    severity: str
    """``"error"`` or ``"warning"``."""
    file: str
    line: int
    column: int
    message: str
    rendered: str
    """The rustc-style snippet with the span underlined."""

class Symbol:
    """A program symbol."""

    name: str
    address: int
    """Address (the value of an ``.equ`` constant)."""
    size: int
    """Size in bytes (0 when unknown)."""
    kind: str
    """``"func"``, ``"object"`` or ``"absolute"``."""
    is_global: bool

class Program:
    """An assembled or loaded program (immutable)."""

    @property
    def entry(self) -> int: ...
    @property
    def symbols(self) -> dict[str, Symbol]:
        """Symbols by name."""
    @property
    def sections(self) -> list[tuple[str, int, int]]:
        """``(name, address, size)`` of each section."""
    @property
    def warnings(self) -> list[Diagnostic]:
        """Assembler warnings."""
    def disassemble(self) -> str:
        """The objdump-style disassembly of the text sections."""
    def to_elf(self) -> bytes:
        """The program as a Loom ELF32 executable."""

def assemble(
    source: str,
    path: Optional[_Path] = None,
    defines: Optional[Mapping[str, Union[int, bool, str]]] = None,
    include_dirs: Optional[Sequence[_Path]] = None,
) -> Program:
    """Assemble Loom source text; raises :class:`AssemblyError` with every diagnostic.

    ``path`` names the source in diagnostics and the line table and is the base of
    relative ``.include``/``.npy`` paths; ``include_dirs`` are searched after it.
    ``defines`` predefines absolute symbols like ``bitloom asm -D NAME=VALUE``: each value
    an int, a bool or an integer expression as a string (``"1 << 4"``)."""

def load(
    path: _Path, defines: Optional[Mapping[str, Union[int, bool, str]]] = None
) -> Program:
    """Load a ``.elf`` (by magic) or assemble a ``.s`` file (with ``defines`` as in
    :func:`assemble`)."""

class StopReason:
    """Why :meth:`Machine.run` or :meth:`Machine.step` returned (traps raise :class:`Trap`)."""

    kind: str
    """``"exited"``, ``"breakpoint"``, ``"step_limit"``, ``"cycle_limit"`` or ``"cancelled"``."""
    exit_code: Optional[int]
    limit: Optional[int]
    pc: int
    steps: int
    """Instructions retired by this call."""

class TileView:
    """A tile register when :meth:`Machine.tile` was called (copies)."""

    index: int
    codes: Optional[npt.NDArray[np.uint8]]
    """Codes, shape (rows, cols); None for an accumulator tile."""
    values: npt.NDArray[np.int32]
    """Decoded values, shape (rows, cols)."""
    descriptor: dict[str, Any]
    """space, base, rows, cols, prec, fmt, zp, lut, storage, nnz."""

class Snapshot:
    """A saved machine state (:meth:`Machine.snapshot`)."""

class Machine:
    """A Loom machine with a program loaded, reset for a hardware description."""

    def __init__(
        self,
        program: Program,
        hw: _Hw = None,
        *,
        timing: bool = True,
        checked: bool = False,
    ) -> None:
        """``hw``: None (defaults), a dict shaped like the TOML description, or a path.
        ``timing`` runs the timing model; ``checked`` recomputes accelerator results with
        the reference implementation."""
    def run(
        self, max_steps: Optional[int] = None, max_cycles: Optional[int] = None
    ) -> StopReason:
        """Run to ``halt``, a breakpoint or a limit; a trap raises :class:`Trap`. The GIL is
        released while the machine runs."""
    def step(self, n: int = 1) -> StopReason:
        """Execute ``n`` instructions (breakpoints ignored)."""
    def break_at(self, place: _Place) -> int:
        """Add a breakpoint at a symbol or address; returns the address."""
    def delete_break(self, place: _Place) -> bool:
        """Remove a breakpoint; False if there was none."""
    @property
    def breakpoints(self) -> list[int]: ...
    pc: int
    @property
    def regs(self) -> npt.NDArray[np.uint32]:
        """r0..r31 (a copy)."""
    def set_reg(self, n: int, value: int) -> None:
        """Set r1..r31."""
    @property
    def csr(self) -> dict[str, int]:
        """Every CSR by name (a copy)."""
    @property
    def instret(self) -> int: ...
    @property
    def cycle(self) -> int: ...
    @property
    def exit_code(self) -> Optional[int]: ...
    def source_of(self, pc: int) -> Optional[tuple[str, int, int]]:
        """``(file, line, column)`` of the instruction at ``pc``."""
    def read(
        self,
        place: _Place,
        dtype: npt.DTypeLike = None,
        shape: Union[None, int, Sequence[int]] = None,
    ) -> npt.NDArray[Any]:
        """DRAM at ``place`` as a new array (default uint8, the symbol's size)."""
    def write(self, place: _Place, array: npt.ArrayLike) -> None:
        """Copy ``array`` (little-endian, C order) into DRAM at ``place``."""
    def tile(self, n: int) -> TileView:
        """Tile register ``n`` (0..15)."""
    def stats(self) -> dict[str, Any]:
        """Statistics in the schema of ``bitloom run --stats-json``."""
    def stats_json(self) -> str:
        """The JSON text ``bitloom run --stats-json`` writes."""
    def snapshot(self) -> Snapshot: ...
    def restore(self, snapshot: Snapshot) -> None: ...
    def hw_toml(self) -> str:
        """The hardware description in force, as TOML."""

class Quantized:
    """A quantised tensor (docs/QUANT.md); fields that do not apply are None."""

    format: str
    bits: int
    codes: npt.NDArray[np.uint8]
    values: npt.NDArray[np.float64]
    dequant: npt.NDArray[np.float64]
    scales: npt.NDArray[np.float64]
    axis: Optional[int]
    zero_points: Optional[npt.NDArray[np.uint8]]
    lut: Optional[npt.NDArray[np.int8]]
    vscale: Optional[npt.NDArray[np.uint8]]
    k: Optional[int]
    sqnr: float
    bcorr: Optional[npt.NDArray[np.float64]]
    bcorr_acc: Optional[npt.NDArray[np.int32]]

def quant_int(
    w: npt.ArrayLike,
    bits: int = 8,
    *,
    axis: Optional[int] = None,
    scale: str = "absmax",
    calib: Optional[npt.ArrayLike] = None,
    act_scale: Optional[float] = None,
) -> Quantized: ...
def quant_uint(
    x: npt.ArrayLike,
    bits: int = 8,
    *,
    axis: Optional[int] = None,
    zpm: bool = False,
    slice: int = 4,
    zpm_window: Optional[int] = None,
    zpm_max_loss: float = 1.0,
    calib: Optional[npt.ArrayLike] = None,
    act_scale: Optional[float] = None,
) -> Quantized: ...
def quant_log(
    w: npt.ArrayLike,
    bits: int = 4,
    *,
    axis: Optional[int] = None,
    base: str = "2",
    scale: str = "absmax",
    calib: Optional[npt.ArrayLike] = None,
    act_scale: Optional[float] = None,
) -> Quantized: ...
def quant_lut(
    w: npt.ArrayLike,
    bits: int = 4,
    *,
    method: str = "kmeans",
    calib: Optional[npt.ArrayLike] = None,
    act_scale: Optional[float] = None,
) -> Quantized: ...
def quant_vsq(
    w: npt.ArrayLike,
    bits: int = 4,
    vector: int = 64,
    *,
    scale_bits: int = 4,
    vector_axis: int = 1,
    round: str = "nearest",
    calib: Optional[npt.ArrayLike] = None,
) -> Quantized: ...
def quant_cluster(
    w: npt.ArrayLike,
    bits: int = 8,
    k: Union[None, int, str] = None,
    *,
    axis: Optional[int] = None,
    scale: str = "absmax",
    target_sqnr: float = 30.0,
    calib: Optional[npt.ArrayLike] = None,
    act_scale: Optional[float] = None,
) -> Quantized: ...
