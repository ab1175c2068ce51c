"""Running machines from Python: stops, breakpoints, registers, CSRs, memory and tiles
as NumPy arrays, traps as exceptions, statistics, snapshots, hardware descriptions."""

import _thread
import signal
import threading

import numpy as np
import pytest

import bitloom
from conftest import gemm_source

RNG = np.random.default_rng(19)


def gemm_machine(m=4, k=8, n=3, azp=0, **kw):
    p = bitloom.assemble(gemm_source(m, k, n, azp), path="gemm.s")
    mach = bitloom.Machine(p, **kw)
    w = RNG.integers(-128, 128, size=(m, k), dtype=np.int8)
    a = RNG.integers(0, 256, size=(k, n), dtype=np.uint8)
    mach.write("weights", w)
    mach.write("acts", a)
    return mach, w, a


def test_gemm_memory_and_tiles():
    m, w, a = gemm_machine(azp=7)
    r = m.run()
    assert (r.kind, r.exit_code) == ("exited", 0)
    expect = w.astype(np.int64) @ (a.astype(np.int64) - 7)
    out = m.read("result", np.int32, (4, 3))
    assert out.dtype == np.int32 and out.shape == (4, 3)
    assert np.array_equal(out, expect)
    # Default shape: the symbol's size in elements.
    assert m.read("result", "int32").shape == (12,)
    assert m.read("weights").dtype == np.uint8
    assert np.array_equal(m.read("weights", np.int8, (4, 8)), w)
    # 16-bit little-endian view of the same bytes.
    assert np.array_equal(
        m.read("result", "<u2", 24), out.view(np.uint16).reshape(-1)
    )
    t0 = m.tile(0)
    assert t0.codes.dtype == np.uint8 and t0.codes.shape == (4, 8)
    assert np.array_equal(t0.codes, w.view(np.uint8))
    assert t0.values.dtype == np.int32 and np.array_equal(t0.values, w)
    assert t0.descriptor["space"] == "wsp" and t0.descriptor["fmt"] == "int"
    t1 = m.tile(1)
    assert t1.descriptor["zp"] == 7 and t1.descriptor["fmt"] == "uint"
    assert np.array_equal(t1.values, a.astype(np.int32) - 7)
    t2 = m.tile(2)
    assert t2.codes is None and t2.descriptor["fmt"] == "int32"
    assert np.array_equal(t2.values, expect)
    with pytest.raises(ValueError, match="never defined"):
        m.tile(5)
    with pytest.raises(IndexError):
        m.tile(16)


def test_arrays_are_copies():
    m, w, _ = gemm_machine()
    w[:] = 0  # the machine got a copy at write()
    got = m.read("weights", np.int8, (4, 8))
    assert got.any()
    got[:] = 0  # and read() hands out a copy
    assert m.read("weights", np.int8, (4, 8)).any()
    regs = m.regs
    regs[5] = 99
    assert m.regs[5] != 99


def test_write_checks_symbol_size_and_dram():
    m, _, _ = gemm_machine()
    with pytest.raises(ValueError, match="do not fit"):
        m.write("weights", np.zeros(33, np.uint8))
    with pytest.raises(KeyError):
        m.write("nosuch", np.zeros(1, np.uint8))
    with pytest.raises(ValueError):
        m.read(0xFFFF_FFF0, np.uint8, 64)
    with pytest.raises(TypeError):
        m.read("weights", np.complex64, 1)
    # Addresses work as well as symbols; floats go in as little-endian bytes.
    addr = bitloom.assemble(gemm_source()).symbols["result"].address
    m.write(addr, np.array([1.5, -2.25], dtype=np.float32))
    assert np.array_equal(m.read(addr, np.float32, 2), [1.5, -2.25])


def test_step_breakpoints_registers_csrs():
    m, w, a = gemm_machine()
    r = m.step()
    assert (r.kind, r.steps, r.limit) == ("step_limit", 1, 1)
    assert m.instret == 1
    addr = m.break_at("mac")
    assert m.breakpoints == [addr]
    r = m.run()
    assert r.kind == "breakpoint" and r.pc == addr == m.pc
    assert m.tile(2).values.sum() == 0  # bsmac not executed yet
    assert m.csr["wprec"] == 8 and m.csr["afmt"] == 1
    regs = m.regs
    assert regs.dtype == np.uint32 and regs.shape == (32,)
    assert regs[0] == 0 and regs[6] == 4
    assert m.delete_break(addr) and not m.delete_break(addr)
    m.set_reg(3, 0xDEADBEEF)
    assert m.regs[3] == 0xDEADBEEF
    with pytest.raises(IndexError):
        m.set_reg(0, 1)
    r = m.run()  # continues past the former breakpoint
    assert r.kind == "exited" and m.exit_code == 0
    assert m.csr["instret"] == m.instret
    with pytest.raises(bitloom.Trap) as e:
        m.run()
    assert e.value.kind == "Halted"


def test_limits():
    src = "_start: li r1, 0\nloop: addi r1, r1, 1\n j loop\n"
    m = bitloom.Machine(bitloom.assemble(src))
    r = m.run(max_steps=1001)
    assert (r.kind, r.limit, r.steps) == ("step_limit", 1001, 1001)
    assert m.regs[1] == 500
    r = m.run(max_cycles=50_000)
    assert r.kind == "cycle_limit" and r.limit == 50_000 and m.cycle > 50_000


def test_trap_is_an_exception_with_source():
    src = "_start: li r2, 0x7ffffff0\n  li r1, 1\n  lw r3, 64(r2)\n  halt r0\n"
    p = bitloom.assemble(src, path="trap.s")
    m = bitloom.Machine(p)
    with pytest.raises(bitloom.Trap) as e:
        m.run()
    t = e.value
    assert t.kind == "OutOfRange"
    assert (t.file, t.line, t.column) == ("trap.s", 3, 3)
    assert t.source_line.strip() == "lw r3, 64(r2)"
    assert t.pc == m.pc  # the machine stays at the trapping instruction
    assert t.instruction.startswith("lw r3")
    assert "trap.s:3:3" in str(t) and "lw r3, 64(r2)" in str(t)
    assert "error:" in t.rendered and "pc 0x" in t.rendered
    assert m.regs[1] == 1


def test_stats_match_the_cli_golden(root):
    # tests/golden/stats/*.json are byte-identical `bitloom run --stats-json` outputs.
    for name in ["gemm_check", "vsq"]:
        m = bitloom.Machine(bitloom.load(root / f"programs/examples/{name}.s"))
        assert m.run().exit_code == 0
        golden = (root / f"tests/golden/stats/{name}.json").read_text()
        assert m.stats_json().strip() == golden.strip()
        s = m.stats()
        assert s["timing"] is True and s["cycles"] == m.cycle
        assert s["instructions"] == m.instret
        assert set(s) >= {"units", "classes", "mac", "bytes", "energy", "tops"}


def test_no_timing():
    m, _, _ = gemm_machine(timing=False)
    m.run()
    s = m.stats()
    assert s["timing"] is False and s["cycles"] == m.instret


def test_snapshot_restore():
    m, w, a = gemm_machine()
    m.break_at("mac")
    m.run()
    snap = m.snapshot()
    at = (m.pc, m.instret, m.cycle)
    m.run()
    first = (m.read("result", np.int32, 12), m.cycle, m.stats_json())
    m.restore(snap)
    assert (m.pc, m.instret, m.cycle) == at
    assert m.exit_code is None
    assert not m.read("result", np.int32, 12).any()
    m.write("weights", np.zeros((4, 8), np.int8))  # diverge, then go back again
    m.restore(snap)
    m.run()
    again = (m.read("result", np.int32, 12), m.cycle, m.stats_json())
    assert np.array_equal(first[0], again[0]) and first[1:] == again[1:]


def test_hw_dict_path_and_errors(root):
    p = bitloom.assemble(gemm_source(16, 64, 16))
    base = bitloom.Machine(p)
    small = bitloom.Machine(p, hw={"mac": {"rows": 4, "cols": 4}})
    assert "rows = 4" in small.hw_toml()
    for mach in (base, small):
        mach.write("weights", np.ones((16, 64), np.int8))
        mach.write("acts", np.ones((64, 16), np.uint8))
        mach.run()
    assert np.array_equal(
        base.read("result", np.int32, 256), small.read("result", np.int32, 256)
    )
    assert small.cycle > base.cycle  # fewer PEs, same result, more cycles
    m = bitloom.Machine(p, hw=root / "emu/hw/default.toml")
    assert m.hw_toml() == base.hw_toml()
    with pytest.raises(ValueError, match="unknown field"):
        bitloom.Machine(p, hw={"mac": {"rowz": 4}})
    with pytest.raises(ValueError):
        bitloom.Machine(p, hw={"mac": {"rows": 0}})
    seed = bitloom.Machine(p, hw="preset:seed000")
    assert 'sync = "lockstep"' in seed.hw_toml() and seed.hw_toml() != base.hw_toml()
    with pytest.raises(ValueError, match="preset"):
        bitloom.Machine(p, hw="preset:no-such-design")
    with pytest.raises(TypeError):
        bitloom.Machine(p, hw=3)


def test_ctrl_c_interrupts_a_run():
    # An endless loop; a timer thread raises SIGINT's flag as Ctrl-C would. A Python that
    # starts with SIGINT ignored (a background job of a shell without job control) keeps
    # it ignored, and then interrupt_main does nothing: install the default handler. The
    # step bound (about a minute) turns a missed interrupt into a failure, not a hang.
    old = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        m = bitloom.Machine(bitloom.assemble("_start: addi r1, r1, 1\n j _start\n"))
        timer = threading.Timer(0.3, _thread.interrupt_main)
        timer.start()
        with pytest.raises(KeyboardInterrupt):
            m.run(max_steps=1 << 36)
        timer.join()
    finally:
        signal.signal(signal.SIGINT, old)
    n = m.instret
    assert n > 0 and n % (1 << 20) == 0  # stopped between two slices
    assert m.regs[1] == n // 2
    assert m.run(max_steps=10).kind == "step_limit" and m.instret == n + 10


def test_breakpoint_at_a_slice_boundary():
    # `end` is first reached after exactly 2**20 instructions (li = lui + addi, then
    # 524287 two-instruction iterations): the first instruction of the run's second slice.
    src = "_start: li r2, 524287\nloop: addi r1, r1, 1\n blt r1, r2, loop\nend: halt r0\n"
    m = bitloom.Machine(bitloom.assemble(src))
    m.break_at("end")
    r = m.run()
    assert (r.kind, r.steps) == ("breakpoint", 1 << 20)
    assert m.run().kind == "exited"


def test_runs_release_the_gil():
    # Two machines in two threads finish with the right results (the GIL is released
    # inside run, so they may overlap).
    src = "_start: li r1, 0\n li r2, 200000\nloop: addi r1, r1, 1\n blt r1, r2, loop\n halt r0\n"
    p = bitloom.assemble(src)
    ms = [bitloom.Machine(p) for _ in range(2)]
    ts = [threading.Thread(target=m.run) for m in ms]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert [int(m.regs[1]) for m in ms] == [200000, 200000]
