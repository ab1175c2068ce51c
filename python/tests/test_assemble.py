"""Assembling and loading from Python: diagnostics as AssemblyError, symbols,
disassembly, ELF round trip, loading files."""

import pytest

import bitloom
from conftest import gemm_source


def test_assemble_symbols_and_disassembly():
    p = bitloom.assemble(gemm_source(), path="gemm.s")
    syms = p.symbols
    assert syms["_start"].address == p.entry
    assert syms["_start"].kind == "func"
    assert syms["_start"].is_global
    assert syms["weights"].size == 4 * 8
    assert syms["acts"].address == syms["weights"].address + 32
    assert syms["M"].kind == "absolute" and syms["M"].address == 4
    text = p.disassemble()
    assert "<_start>:" in text and "bsmac\tt2, t0, t1" in text  # GNU objdump -d layout
    assert [s[0] for s in p.sections] == [".text", ".data"]


def test_every_diagnostic_with_location():
    src = "_start: li r1, 1\n  bogus r1\n  add r1, r2\n  halt r0\n"
    with pytest.raises(bitloom.AssemblyError) as e:
        bitloom.assemble(src, path="bad.s")
    d = e.value.diagnostics
    assert [(x.severity, x.file, x.line) for x in d] == [
        ("error", "bad.s", 2),
        ("error", "bad.s", 3),
    ]
    assert d[0].column == 3
    assert "bogus" in d[0].message
    assert "bad.s:2:3" in d[0].rendered and "bogus r1" in d[0].rendered
    assert "bad.s:3" in d[1].rendered
    # str(e) is the CLI's report: every snippet plus the summary.
    assert "could not assemble due to 2 errors" in str(e.value)


def test_warnings_are_kept():
    # An .equ redefinition or similar may warn; a program without any has none.
    p = bitloom.assemble("_start: halt r0\n")
    assert p.warnings == []


def test_defines():
    src = """
        .ifndef N
        .equ N, 7
        .endif
_start: li r1, N + 1
        halt r1
"""
    assert bitloom.Machine(bitloom.assemble(src)).run().exit_code == 8
    assert bitloom.Machine(bitloom.assemble(src, defines={"N": 4})).run().exit_code == 5
    assert bitloom.Machine(bitloom.assemble(src, defines={"N": "1 << 4"})).run().exit_code == 17
    assert bitloom.Machine(bitloom.assemble(src, defines={"N": True})).run().exit_code == 2
    with pytest.raises(ValueError):
        bitloom.assemble(src, defines={"1N": 4})
    with pytest.raises(TypeError):
        bitloom.assemble(src, defines={"N": 1.5})


def test_load_source_and_elf_round_trip(root, tmp_path):
    p = bitloom.load(root / "programs/examples/gemm_check.s")
    elf = tmp_path / "g.elf"
    elf.write_bytes(p.to_elf())
    q = bitloom.load(elf)
    assert {k: v.address for k, v in q.symbols.items()} == {
        k: v.address for k, v in p.symbols.items()
    }
    a, b = bitloom.Machine(p), bitloom.Machine(q)
    ra, rb = a.run(), b.run()
    assert (ra.kind, ra.exit_code) == (rb.kind, rb.exit_code) == ("exited", 0)
    assert a.stats_json() == b.stats_json()


def test_load_errors(tmp_path):
    with pytest.raises(OSError):
        bitloom.load(tmp_path / "missing.s")
    bad = tmp_path / "bad.s"
    bad.write_text("_start: nope\n")
    with pytest.raises(bitloom.AssemblyError) as e:
        bitloom.load(bad)
    assert e.value.diagnostics[0].file == str(bad)
    broken = tmp_path / "broken.elf"
    broken.write_bytes(b"\x7fELF" + b"\0" * 12)
    with pytest.raises(ValueError):
        bitloom.load(broken)
