"""The digits kernels' integer pipeline in NumPy, written from docs/ISA.md (sections 5-7),
not from the emulator: code values, products (log shifts included), bsmac, vscale, bias,
bcorr and rqnt. run.py compares the emulator's dumped outputs with these, bit for bit.

All arithmetic is on int64 arrays; accumulators are wrapped to 32 bits where the ISA wraps.
"""
import numpy as np


def wrap32(a):
    """wrap32: keep the low 32 bits, two's complement."""
    return ((a.astype(np.int64) + (1 << 31)) % (1 << 32)) - (1 << 31)


def code_values(codes, fmt, prec, lut=None):
    """val(c) of docs/ISA.md section 5 for the linear formats (int, uint zp 0, lut, cluster)."""
    c = codes.astype(np.int64)
    if fmt == "int":
        return np.where(c >> (prec - 1) & 1, c - (1 << prec), c)
    if fmt == "uint":
        return c
    if fmt == "lut":
        table = np.asarray(lut, dtype=np.int64)
        if (c >= len(table)).any():
            raise ValueError("lut code past the table (the machine traps LutIndex)")
        return table[c]
    if fmt == "cluster":
        m = c & ((1 << (prec - 1)) - 1)
        return np.where(c >> (prec - 1) & 1, -m, m)
    raise ValueError(f"no linear value for format {fmt}")


def log_products(code, x, prec, base):
    """prod(w, a) for one log weight code and every activation value x (section 5)."""
    s = (code >> (prec - 1)) & 1
    m = code & ((1 << (prec - 1)) - 1)
    if m == 0:
        return np.zeros_like(x)
    q = m - 1
    if base == 2:
        y = x << q
    else:  # base sqrt(2): (x << h) + (q odd ? (x << h) >> 1 : 0), arithmetic shifts
        h = q >> 1
        y = (x << h) + (((x << h) >> 1) if q & 1 else 0)
    return -y if s else y


def gemm(codes, x, fmt, prec, lut=None, log_base=2):
    """bsmac on a zeroed accumulator: acc[m][n] = sum_k prod(W[m][k], x[k][n])."""
    x = x.astype(np.int64)
    if fmt != "log":
        return wrap32(code_values(codes, fmt, prec, lut) @ x)
    acc = np.zeros((codes.shape[0], x.shape[1]), dtype=np.int64)
    for c in np.unique(codes):
        sel = (codes == c).astype(np.int64)
        acc += sel @ log_products(int(c), x, prec, log_base)
    return wrap32(acc)


def vscale(codes, x, prec, sw, sa, vlen):
    """vscale (section 6) with int weight codes: per-vector scaled dot products."""
    k = codes.shape[1]
    acc = np.zeros((codes.shape[0], x.shape[1]), dtype=np.int64)
    for v in range((k + vlen - 1) // vlen):
        ks = slice(v * vlen, min(k, (v + 1) * vlen))
        part = gemm(codes[:, ks], x[ks], "int", prec)
        acc += sw[:, v:v + 1].astype(np.int64) * sa[v:v + 1, :].astype(np.int64) * part
    return wrap32(acc)


def add_channel(acc, vec, sign=1):
    """bias (sign +1) / bcorr (sign -1) with an M x 1 vector."""
    return wrap32(acc + sign * np.asarray(vec, dtype=np.int64).reshape(-1, 1))


def rqnt_uint_relu(acc, mult, shift, prec=8):
    """rqnt into a uint tile with zero-point 0, rmode 0 (half up), fused ReLU (section 7)."""
    p = acc.astype(np.int64) * np.asarray(mult, dtype=np.int64).reshape(-1, 1)
    v = (p + (1 << (shift - 1))) >> shift if shift > 0 else p
    v = np.maximum(v, 0)
    return np.clip(v, 0, (1 << prec) - 1)
