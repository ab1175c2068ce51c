"""The quantisers against NumPy references written from the formulas of docs/QUANT.md and
the code rules of docs/ISA.md §5 (nearest value in the linear domain, saturating, ties
half away from zero)."""

import numpy as np
import pytest

from bitloom import quant

RNG = np.random.default_rng(2024)


def round_away(x):
    """Round half away from zero."""
    return np.sign(x) * np.floor(np.abs(x) + 0.5)


def twos(v, bits):
    """N-bit two's-complement codes of integer values."""
    return (v.astype(np.int64) & ((1 << bits) - 1)).astype(np.uint8)


def nearest(grid, x):
    """Index of the nearest grid value to each x (ties: larger magnitude)."""
    grid = np.asarray(grid, dtype=np.float64)
    d = np.abs(x[..., None] - grid)
    best = d.min(axis=-1, keepdims=True)
    cand = np.where(np.isclose(d, best, rtol=0, atol=1e-12), np.abs(grid), -1.0)
    return cand.argmax(axis=-1)


@pytest.mark.parametrize("bits", [2, 4, 8])
def test_int_per_channel(bits):
    w = RNG.normal(size=(6, 20))
    q = quant.int(w, bits=bits, axis=0)
    qmax = 2 ** (bits - 1) - 1
    s = np.abs(w).max(axis=1) / qmax
    v = np.clip(round_away(w / s[:, None]), -qmax - 1, qmax)
    assert np.allclose(q.scales, s)
    assert q.axis == 0
    assert q.codes.dtype == np.uint8 and q.codes.shape == w.shape
    assert np.array_equal(q.codes, twos(v, bits))
    assert np.allclose(q.values, v)
    assert np.allclose(q.dequant, v * s[:, None])
    sqnr = 10 * np.log10((w**2).sum() / ((w - v * s[:, None]) ** 2).sum())
    assert q.sqnr == pytest.approx(sqnr)


def test_int_per_tensor():
    w = RNG.uniform(-3, 1, size=(5, 7)).astype(np.float32)
    q = quant.int(w, bits=8)
    s = np.abs(w.astype(np.float64)).max() / 127
    assert q.scales.shape == (1,) and q.scales[0] == pytest.approx(s)
    assert np.array_equal(q.codes, twos(round_away(w / s), 8))


@pytest.mark.parametrize("bits", [3, 8])
def test_uint(bits):
    x = RNG.uniform(-0.5, 2.0, size=(4, 33))
    q = quant.uint(x, bits=bits, axis=0)
    top = 2**bits - 1
    lo = np.minimum(x.min(axis=1), 0)
    hi = np.maximum(x.max(axis=1), 0)
    s = (hi - lo) / top
    zp = np.clip(round_away(-lo / s), 0, top)
    c = np.clip(round_away(x / s[:, None]) + zp[:, None], 0, top)
    assert np.allclose(q.scales, s)
    assert np.array_equal(q.zero_points, zp.astype(np.uint8))
    assert np.array_equal(q.codes, c.astype(np.uint8))
    assert np.allclose(q.dequant, (c - zp[:, None]) * s[:, None])
    assert q.lut is None and q.vscale is None


@pytest.mark.parametrize("base", ["2", "sqrt2"])
def test_log(base):
    bits = 4
    w = RNG.normal(size=(3, 40))
    q = quant.log(w, bits=bits, axis=0, base=base)
    qs = np.arange(2 ** (bits - 1) - 1)  # m = 1..7, q = m - 1
    if base == "2":
        mags = 2.0**qs
    else:
        mags = np.where(qs % 2 == 0, 2.0 ** (qs // 2), 1.5 * 2.0 ** (qs // 2))
    s = np.abs(w).max(axis=1) / mags.max()
    # Grid of real values with their codes: 0, +mags, -mags.
    grid = np.concatenate([[0.0], mags, -mags])
    codes = np.concatenate(
        [[0], qs + 1, (1 << (bits - 1)) | (qs + 1)]
    ).astype(np.uint8)
    idx = nearest(grid, w / s[:, None])
    assert np.allclose(q.scales, s)
    assert np.array_equal(q.codes, codes[idx])
    assert np.allclose(q.dequant, grid[idx] * s[:, None])


def test_lut_quantile():
    bits = 3
    w = RNG.normal(size=(8, 16))
    q = quant.lut(w, bits=bits, method="quantile")
    srt = np.sort(w.ravel())
    k = 2**bits
    p = (np.arange(k) + 0.5) / k
    cents = srt[np.minimum(np.floor(p * srt.size).astype(int), srt.size - 1)]
    s = np.abs(cents).max() / 127
    entries = round_away(cents / s)
    assert q.lut.dtype == np.int8
    assert np.array_equal(q.lut, entries.astype(np.int8))
    assert q.scales[0] == pytest.approx(s)
    # Nearest entry (ties to the lower code).
    d = np.abs(w[..., None] / s - entries)
    assert np.array_equal(q.codes, d.argmin(axis=-1).astype(np.uint8))
    assert np.allclose(q.dequant, entries[q.codes] * s)


def test_lut_kmeans_is_a_fixed_point():
    w = np.concatenate([RNG.normal(-2, 0.1, 50), RNG.normal(1, 0.1, 50)])
    q = quant.lut(w, bits=1)
    s = q.scales[0]
    # Two well-separated clusters: each LUT entry is its cluster's mean, in LUT units.
    means = np.array([w[w < 0].mean(), w[w > 0].mean()])
    assert np.array_equal(np.sort(q.lut), np.sort(round_away(means / s)).astype(np.int8))
    assert np.abs(q.lut).max() == 127


@pytest.mark.parametrize("rnd", ["nearest", "up"])
def test_vsq(rnd):
    bits, vec, m_bits = 4, 8, 4
    w = RNG.normal(size=(3, 32)) * np.linspace(0.1, 3, 32)
    q = quant.vsq(w, bits=bits, vector=vec, scale_bits=m_bits, round=rnd)
    qmax = 2 ** (bits - 1) - 1
    vecs = w.reshape(3, 32 // vec, vec)
    s_fp = np.abs(vecs).max(axis=2) / qmax
    gamma = s_fp.max(axis=1) / (2**m_bits - 1)
    r = s_fp / gamma[:, None]
    sq = np.clip(round_away(r) if rnd == "nearest" else np.ceil(r), 1, 2**m_bits - 1)
    eff = (gamma[:, None] * sq)[:, :, None]
    v = np.clip(round_away(vecs / eff), -qmax - 1, qmax)
    assert np.allclose(q.scales, gamma)
    assert q.vscale.shape == (3, 4) and np.array_equal(q.vscale, sq.astype(np.uint8))
    assert np.array_equal(q.codes, twos(v, bits).reshape(3, 32))
    assert np.allclose(q.dequant, (v * eff).reshape(3, 32))


@pytest.mark.parametrize("k", [1, 3])
def test_cluster(k):
    bits = 6
    w = RNG.normal(size=(4, 25))
    q = quant.cluster(w, bits=bits, k=k, axis=0)
    # Legal magnitudes: at most k signed power-of-two terms (docs/ISA.md, cluster format),
    # i.e. at most k non-zero digits in the non-adjacent form.
    def naf_terms(m):
        n = 0
        while m:
            if m & 1:
                m -= 2 - (m & 3)  # digit +1 or -1
                n += 1
            m >>= 1
        return n

    mags = np.array([m for m in range(2 ** (bits - 1)) if naf_terms(m) <= k])
    top = mags.max()
    # One term reaches the top power of two; two terms reach 2^(p-1) - 1 = 2^(p-1) - 2^0.
    assert top == (2 ** (bits - 2) if k == 1 else 2 ** (bits - 1) - 1)
    s = np.abs(w).max(axis=1) / top
    grid = np.concatenate([mags, -mags[1:]]).astype(np.float64)
    codes = np.concatenate([mags, (1 << (bits - 1)) | mags[1:]]).astype(np.uint8)
    idx = nearest(grid, w / s[:, None])
    assert q.k == k
    assert np.array_equal(q.codes, codes[idx])
    assert np.allclose(q.dequant, grid[idx] * s[:, None])


def test_cluster_auto_k_reaches_target():
    w = RNG.normal(size=(8, 64))
    q = quant.cluster(w, bits=8, k="auto", target_sqnr=25.0)
    assert q.sqnr >= 25.0
    lower = quant.cluster(w, bits=8, k=q.k - 1) if q.k > 1 else None
    assert lower is None or lower.sqnr < 25.0


def test_bias_correction():
    w = RNG.normal(size=(5, 12))
    x = RNG.uniform(0, 4, size=(100, 12))
    q = quant.int(w, bits=3, axis=0, calib=x, act_scale=0.5)
    b = ((q.dequant - w) * x.mean(axis=0)).sum(axis=1)
    assert np.allclose(q.bcorr, b)
    assert q.bcorr_acc.dtype == np.int32 and q.bcorr_acc.shape == (5, 1)
    assert np.array_equal(q.bcorr_acc[:, 0], round_away(b / (q.scales * 0.5)))


def test_errors():
    with pytest.raises(ValueError, match="NaN|nan"):
        quant.int(np.array([1.0, np.nan]))
    with pytest.raises(ValueError):
        quant.int(np.ones(3), bits=9)
    with pytest.raises(ValueError):
        quant.int(np.ones(3), scale="max")
    with pytest.raises(ValueError):
        quant.log(np.ones(3), base="e")
    with pytest.raises(ValueError):
        quant.cluster(np.ones(3), k="some")
