"""programs/python/digits_layer.py: layer 1 of the digits MLP from Python, bit-exact
against NumPy, and equal (accumulators and cycles) to the same kernel run by the CLI."""

import importlib.util
import os
import subprocess
import sys

from conftest import ROOT

SCRIPT = ROOT / "programs/python/digits_layer.py"


def bitloom_exe():
    """The CLI: $BITLOOM, else the workspace's release build (CI builds it first)."""
    exe = os.environ.get("BITLOOM", str(ROOT / "target/release/bitloom"))
    assert os.path.exists(exe), f"{exe}: build the CLI first (cargo build --release)"
    return exe


def test_script_matches_numpy_and_the_cli():
    out = subprocess.run(
        [sys.executable, str(SCRIPT), "--cli", bitloom_exe()],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "bit-exact against NumPy integer matmul: yes" in out.stdout
    assert "bitloom run gives the same accumulators and cycles: yes" in out.stdout


def test_layer_results():
    spec = importlib.util.spec_from_file_location("digits_layer", SCRIPT)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    r = mod.run_layer()
    assert r["exact"]
    assert r["acc"].shape == (64, 500)
    assert r["sqnr_db"] > 40
    # The README's float accuracy, and int8 weights lose at most a point of it.
    assert r["accuracy_float"] == 0.982
    assert r["accuracy_quant"] >= r["accuracy_float"] - 0.01
    assert r["macs"] == 64 * 64 * 500
