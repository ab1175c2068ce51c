#!/usr/bin/env python3
"""Run the digits MLP on the Loom emulator in six weight formats and compare with the float
model: one command from quantisation to an accuracy table.

For every format (int8, int4 per-channel, VSQ 4-bit, log 4-bit + bias correction, LUT
3-bit, BitCluster k = 2) this script

  1. quantises w1.npy and w2.npy with `bitloom quant` (quant outputs go to build/, which
     is not committed);
  2. copies the codes / LUTs / per-vector scales the kernel includes into data/<format>/
     and writes data/<format>/params.inc: the biases, bias corrections and requantisation
     multipliers as int32 words (data/ and the kernels' expect files are committed, so
     `bitloom test` runs the kernels on a fresh clone; this script regenerates them);
  3. runs programs/models/digits/<format>.s with `bitloom run --stats-json --dump`,
     dumping the logits (int32, 10 x 500) and the hidden activations (uint8 codes);
  4. computes the same integer pipeline in NumPy from docs/ISA.md (reference.py), checks
     the dumps equal it bit for bit, and prints accuracy against the labels and the float
     model with the statistics of the run.

Usage (from anywhere):
  python3 programs/models/digits/run.py                  # uses `cargo run --release --`
  python3 programs/models/digits/run.py --bitloom target/release/bitloom
  python3 programs/models/digits/run.py --check          # CI: work in a temporary copy,
        # fail unless the committed data/ and expect files equal fresh ones, every format
        # is bit-exact and int8 accuracy is within TOLERANCE_PP of the float model.
Needs Python 3 and NumPy.
"""
import argparse
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import reference as ref  # noqa: E402

# int8 must stay within this many percentage points of the float model (checked).
TOLERANCE_PP = 1.0
# Images whose logits the committed expect files pin (bitloom test).
EXPECT_IMAGES = 50
X_SCALE = 1.0 / 16.0  # the float model sees pixel / 16; the kernels see the pixel codes
HPREC = 8

# Each format: the kernel, the `bitloom quant` options for both layers, and how the
# integer pipeline runs. `{calib}` and `{act}` are filled per layer (bias correction).
FORMATS = {
    "int8": dict(title="int8 (per tensor)", quant=["--format", "int", "--bits", "8"],
                 fmt="int", bits=8),
    "int4": dict(title="int4 per-channel",
                 quant=["--format", "int", "--bits", "4", "--axis", "0"], fmt="int", bits=4),
    "vsq4": dict(title="VSQ 4-bit (V=16, 4-bit scales)",
                 quant=["--format", "vsq", "--bits", "4", "--vlen", "16", "--scale-bits", "4"],
                 fmt="vsq", bits=4, vlen=16),
    "log4": dict(title="log 4-bit base sqrt2 + bcorr",
                 quant=["--format", "log", "--bits", "4", "--axis", "0", "--log-base", "sqrt2",
                        "--calib", "{calib}", "--act-scale", "{act}"],
                 fmt="log", bits=4, log_base="sqrt2", bcorr=True),
    "lut3": dict(title="LUT 3-bit (k-means)", quant=["--format", "lut", "--bits", "3"],
                 fmt="lut", bits=3),
    "cluster2": dict(title="BitCluster k=2 (8-bit)",
                     quant=["--format", "cluster", "--bits", "8", "--k", "2", "--axis", "0"],
                     fmt="cluster", bits=8),
}


def sh(cmd, **kw):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True, cwd=HERE.parents[2], **kw)
    except OSError as e:
        sys.exit(f"cannot run {cmd[0]}: {e} (give the bitloom binary with --bitloom PATH)")
    if r.returncode != 0:
        sys.exit(f"command failed ({r.returncode}): {shlex.join(cmd)}\n{r.stdout}{r.stderr}")
    return r.stdout


def float_model(m):
    x = m["x"].astype(np.float64) * X_SCALE
    h = np.maximum(x @ m["w1"].T + m["b1"], 0)
    return h, h @ m["w2"].T + m["b2"]


def per_channel(scale, rows):
    """The weight scale of each output channel (per-tensor scales broadcast)."""
    s = np.asarray(scale, dtype=np.float64).ravel()
    return np.full(rows, s[0]) if s.size == 1 else s


def words(label, vals):
    out = [f"        .align  4\n{label}:"]
    vals = [int(v) for v in np.asarray(vals).ravel()]
    for i in range(0, len(vals), 8):
        out.append("        .word   " + ", ".join(str(v) for v in vals[i:i + 8]))
    return "\n".join(out) + "\n"


def quantise(bitloom, name, spec, model, build, data):
    """Quantise both layers, fill data/<name>/, return what the reference needs."""
    h_float, _ = float_model(model)
    h_scale = float(h_float.max()) / ((1 << HPREC) - 1)
    qdir = build / name
    ddir = data / name
    ddir.mkdir(parents=True, exist_ok=True)
    calib = {1: build / "calib_x.npy", 2: build / "calib_h.npy"}
    act = {1: X_SCALE, 2: h_scale}
    layers = {}
    for layer in (1, 2):
        out = qdir / f"w{layer}"
        args = [a.format(calib=calib[layer], act=repr(act[layer])) for a in spec["quant"]]
        sh(bitloom + ["quant", str(model["dir"] / f"w{layer}.npy"), *args, "-o", str(out)])
        q = {"codes": np.load(out / "codes.npy"), "scale": np.load(out / "scale.npy"),
             "report": json.loads((out / "report.json").read_text())}
        shutil.copyfile(out / "codes.npy", ddir / f"w{layer}.npy")
        if spec["fmt"] == "lut":
            q["lut"] = np.load(out / "lut.npy")
            shutil.copyfile(out / "lut.npy", ddir / f"lut{layer}.npy")
        if spec["fmt"] == "vsq":
            q["vscale"] = np.load(out / "vscale.npy")
            shutil.copyfile(out / "vscale.npy", ddir / f"vs{layer}.npy")
        if spec.get("bcorr"):
            q["bcorr"] = np.load(out / "bcorr_acc.npy").ravel().astype(np.int64)
        layers[layer] = q
    rows = {1: model["w1"].shape[0], 2: model["w2"].shape[0]}
    s_w = {k: per_channel(layers[k]["scale"], rows[k]) for k in (1, 2)}
    # Biases in accumulator units: acc counts s_w[o] * s_act per unit. Seven hidden units
    # are dead (weights decayed to ~1e-35, negative bias: always 0 in the float model); their
    # per-channel scale is that tiny, so their bias is clamped to +-2^30 (|acc| < 2^22 here,
    # so acc + bias cannot wrap), and ReLU still gives 0.
    def to_acc(b, unit):
        return np.clip(np.round(b / unit), -(1 << 30), 1 << 30).astype(np.int64)

    b1 = to_acc(model["b1"].astype(np.float64), s_w[1] * X_SCALE)
    b2 = to_acc(model["b2"].astype(np.float64), s_w[2] * h_scale)
    # Layer-1 requantisation h = acc * m1 >> RSHIFT1 with m1 = s_w1 * s_x / s_h * 2^RSHIFT1,
    # the shift chosen so the largest multiplier has 24 significant bits.
    real = s_w[1] * X_SCALE / h_scale
    shift = int(np.floor(np.log2((1 << 24) / real.max())))
    m1 = np.round(real * 2.0**shift).astype(np.int64)
    assert 0 < m1.max() < (1 << 31) and 1 <= shift <= 62
    p = [f"; GENERATED by run.py from the float model and `bitloom quant` scales "
         f"(format {name}); do not edit.\n",
         f"        .equ    RSHIFT1, {shift}\n", words("b1_acc", b1), words("m1_acc", m1),
         words("b2_acc", b2)]
    if spec.get("bcorr"):
        p += [words("bc1_acc", layers[1]["bcorr"]), words("bc2_acc", layers[2]["bcorr"])]
    (ddir / "params.inc").write_text("".join(p))
    return dict(layers=layers, s_w=s_w, h_scale=h_scale, b1=b1, b2=b2, m1=m1, shift=shift)


def reference(spec, q, x):
    """The integer pipeline of the kernel, from docs/ISA.md: (h codes, logits)."""
    def layer(k, act):
        L = q["layers"][k]
        if spec["fmt"] == "vsq":
            vlen = spec["vlen"]
            ones = np.ones(((act.shape[0] + vlen - 1) // vlen, act.shape[1]), np.int64)
            return ref.vscale(L["codes"], act, spec["bits"], L["vscale"], ones, vlen)
        base = 2 if spec.get("log_base", "2") == "2" else "sqrt2"
        return ref.gemm(L["codes"], act, spec["fmt"], spec["bits"], L.get("lut"), base)

    acc1 = ref.add_channel(layer(1, x), q["b1"])
    if spec.get("bcorr"):
        acc1 = ref.add_channel(acc1, q["layers"][1]["bcorr"], -1)
    h = ref.rqnt_uint_relu(acc1, q["m1"], q["shift"], HPREC)
    acc2 = ref.add_channel(layer(2, h), q["b2"])
    if spec.get("bcorr"):
        acc2 = ref.add_channel(acc2, q["layers"][2]["bcorr"], -1)
    return h, acc2


def expect_file(name, spec, logits):
    n = logits.shape[1]
    out = [f"# {name}.expect.toml -- GENERATED by run.py from its NumPy integer pipeline",
           "# (reference.py, docs/ISA.md semantics), not from an emulator run. The logits of",
           f"# the first {EXPECT_IMAGES} images, class by class; run.py checks all {n}.",
           f'description = "digits MLP, {spec["title"]} weights: logits bit-exact"', ""]
    for c in range(logits.shape[0]):
        vals = ", ".join(str(int(v)) for v in logits[c, :EXPECT_IMAGES])
        out += ["[[mem]]", 'symbol = "logits"', f"offset = {c * n * 4}", 'type = "i32"',
                f"values = [{vals}]", ""]
    return "\n".join(out)


def run_kernel(bitloom, kernel, work):
    st, lg, hh = work / "stats.json", work / "logits.npy", work / "h.npy"
    for f in (st, lg, hh):
        f.unlink(missing_ok=True)
    sh(bitloom + ["run", str(kernel), "-q", "--stats-json", str(st),
                  "--dump", f"logits:5000:i32={lg}", "--dump", f"t6:codes={hh}"])
    return json.loads(st.read_text()), np.load(lg).reshape(10, -1), np.load(hh)


def accuracy(logits, s_w2, labels):
    real = logits * s_w2.reshape(-1, 1)  # dequantise per class before the arg-max
    return float((real.argmax(0) == labels).mean())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bitloom", default="cargo run --release --quiet --",
                    help="command that runs bitloom (default: %(default)s)")
    ap.add_argument("--check", action="store_true",
                    help="work in a temporary copy; fail on any drift, mismatch or "
                         "an int8 accuracy more than TOLERANCE_PP below the float model")
    ap.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()
    bitloom = shlex.split(args.bitloom)
    if not Path(bitloom[0]).is_absolute() and Path(bitloom[0]).exists():
        bitloom[0] = str(Path(bitloom[0]).resolve())
    if not args.check:
        return pipeline(args, bitloom, HERE)
    with tempfile.TemporaryDirectory(prefix="bitloom-digits-") as tmp:
        # The kernels include ../../kernels/include/k.inc: keep that layout in the copy.
        root = Path(tmp) / "programs/models/digits"
        shutil.copytree(HERE, root, ignore=shutil.ignore_patterns("build", "data",
                                                                  "__pycache__", "*.expect.toml"))
        inc = Path(tmp) / "programs/kernels/include"
        inc.mkdir(parents=True)
        shutil.copy(HERE.parents[2] / "programs/kernels/include/k.inc", inc)
        return pipeline(args, bitloom, root)


def pipeline(args, bitloom, root):
    """Quantise, generate, run and compare every format with the kernels in `root`."""
    build, data = root / "build", root / "data"
    build.mkdir(parents=True, exist_ok=True)
    data.mkdir(parents=True, exist_ok=True)

    model = {k: np.load(HERE / f"{k}.npy") for k in ("w1", "b1", "w2", "b2")}
    model["x"] = np.load(HERE / "x_test.npy")
    model["dir"] = HERE
    labels = np.load(HERE / "y_test.npy")
    h_float, z_float = float_model(model)
    float_acc = float((z_float.argmax(1) == labels).mean())
    np.save(build / "calib_x.npy", model["x"].astype(np.float32) * np.float32(X_SCALE))
    np.save(build / "calib_h.npy", h_float.astype(np.float32))
    x = np.ascontiguousarray(model["x"].T)  # (64, 500): one image per column
    np.save(data / "x.npy", x)

    rows, failures = [], []
    for name, spec in FORMATS.items():
        q = quantise(bitloom, name, spec, model, build, data)
        h_ref, y_ref = reference(spec, q, x.astype(np.int64))
        (root / f"{name}.expect.toml").write_text(expect_file(name, spec, y_ref))
        stats, y_emu, h_emu = run_kernel(bitloom, root / f"{name}.s", build / name)
        exact = bool(np.array_equal(y_emu, y_ref) and np.array_equal(h_emu, h_ref))
        if not exact:
            failures.append(f"{name}: emulator output differs from the NumPy pipeline "
                            f"({int((y_emu != y_ref).sum())} logits, "
                            f"{int((h_emu != h_ref).sum())} hidden codes)")
        acc = accuracy(y_emu, q["s_w"][2], labels)
        m = stats["mac"]
        skipped = sum(m["skipped"][k] for k in ("zero_value", "zero_slice", "compressed_slice"))
        rows.append(dict(format=name, title=spec["title"], accuracy=acc,
                         delta_pp=100 * (acc - float_acc), bit_exact=exact,
                         sqnr_db=[q["layers"][k]["report"].get("sqnr_db") for k in (1, 2)],
                         cycles=stats["cycles"], mac_cycles=stats["units"]["mac"]["busy_cycles"],
                         macs=m["macs"], macs_skipped=skipped,
                         dram_bytes=stats["bytes"]["dram_read"] + stats["bytes"]["dram_written"],
                         energy_uj=stats["energy"]["total_uj"]))

    print(f"digits MLP 64-64-10, {len(labels)} test images; float model accuracy "
          f"{100 * float_acc:.1f} %")
    cols = ["format", "accuracy", "vs float", "SQNR W1/W2", "cycles", "MAC busy",
            "MACs skipped", "DRAM bytes", "energy", "bit-exact"]
    table = [cols, ["---"] + ["--:"] * (len(cols) - 2) + [":-:"]]
    for r in rows:
        sq = "/".join("inf" if s is None else f"{s:.1f}" for s in r["sqnr_db"])
        table.append([r["title"], f"{100 * r['accuracy']:.1f} %", f"{r['delta_pp']:+.1f} pp",
                      f"{sq} dB", f"{r['cycles']:,}", f"{r['mac_cycles']:,}",
                      f"{r['macs_skipped']:,} ({100 * r['macs_skipped'] / r['macs']:.0f} %)",
                      f"{r['dram_bytes']:,}", f"{r['energy_uj']:.2f} uJ",
                      "yes" if r["bit_exact"] else "NO"])
    width = [max(len(row[i]) for row in table) for i in range(len(cols))]
    for row in table:
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, width))]
        print("| " + " | ".join(cells) + " |")
    print(f"MACs per run: {rows[0]['macs']:,} (500 images x (64x64 + 10x64)); skipped: a "
          f"zero operand. Accuracy: arg-max of the int32 logits dequantised per class.\n"
          f"DRAM bytes: read + written. Energy: the timing model's estimate (docs/TIMING.md).")
    if args.json:
        Path(args.json).write_text(json.dumps(dict(float_accuracy=float_acc, formats=rows),
                                              indent=1))

    if args.check:
        int8 = next(r for r in rows if r["format"] == "int8")
        if int8["delta_pp"] < -TOLERANCE_PP:
            failures.append(f"int8 accuracy {100 * int8['accuracy']:.1f} % is more than "
                            f"{TOLERANCE_PP} points below the float model")
        # Regenerate check: the committed kernel inputs and expectations equal fresh ones.
        fresh = sorted(p.relative_to(root) for p in data.rglob("*") if p.is_file())
        fresh += sorted(p.relative_to(root) for p in root.glob("*.expect.toml"))
        committed = sorted(p.relative_to(HERE) for p in (HERE / "data").rglob("*")
                           if p.is_file())
        committed += sorted(p.relative_to(HERE) for p in HERE.glob("*.expect.toml"))
        if sorted(fresh) != sorted(committed):
            failures.append(f"committed files differ in names from fresh ones: "
                            f"{sorted(set(map(str, fresh)) ^ set(map(str, committed)))}")
        for rel in fresh:
            if (HERE / rel).is_file() and (HERE / rel).read_bytes() != (root / rel).read_bytes():
                failures.append(f"{rel} is stale: rerun programs/models/digits/run.py")
        if failures:
            print("CHECK FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
            return 1
        print(f"check passed: committed data current, all formats bit-exact on "
              f"{len(labels)} images, int8 within {TOLERANCE_PP} points of float")
    elif failures:
        print("\n".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
