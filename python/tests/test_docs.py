"""docs/PYTHON.md and the package docstrings, run as doctests from the repository root."""

import doctest
import os

import bitloom
from conftest import ROOT

FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def test_python_md(monkeypatch):
    monkeypatch.chdir(ROOT)
    r = doctest.testfile(
        str(ROOT / "docs/PYTHON.md"), module_relative=False, optionflags=FLAGS
    )
    assert r.attempted > 40 and r.failed == 0


def test_module_docstrings():
    for mod in (bitloom, bitloom.quant):
        r = doctest.testmod(mod, optionflags=FLAGS)
        assert r.attempted > 0 and r.failed == 0, mod.__name__


def test_stub_covers_the_module():
    # Every public name of the compiled module appears in its type stub.
    stub = (ROOT / "python/bitloom/_native.pyi").read_text()
    names = [n for n in dir(bitloom._native) if not n.startswith("_")]
    missing = [n for n in names if f"class {n}" not in stub and f"def {n}(" not in stub]
    assert missing == [] and os.path.exists(ROOT / "python/bitloom/py.typed")
