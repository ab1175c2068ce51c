#!/usr/bin/env python3
"""Train the float digits MLP once; its outputs are committed, so nothing reruns this.

Data: the UCI "Optical Recognition of Handwritten Digits" test set (1,797 8x8 images,
pixels 0..16), as bundled with scikit-learn (`sklearn.datasets.load_digits`). Licence:
CC BY 4.0 (E. Alpaydin, C. Kaynak, UCI Machine Learning Repository,
https://doi.org/10.24432/C50P49). A fixed permutation splits it into 1,297 training and
500 test images; only the test images are committed.

Model: 64 -> 64 (ReLU) -> 10, float32, trained with full-batch Adam on cross-entropy,
inputs scaled by 1/16. Weights are stored as (out, in), the layout of a Loom weight tile
(rows = output channels, columns = reduction), biases as (out,).

Writes: w1.npy (64,64) b1.npy (64,) w2.npy (10,64) b2.npy (10,) float32;
        x_test.npy (500,64) uint8 pixels 0..16; y_test.npy (500,) uint8 labels.
Usage: pip install numpy scikit-learn && python3 train.py
"""
import numpy as np
from sklearn.datasets import load_digits

SEED = 20261130
N_TEST = 500
HIDDEN = 64


def main():
    d = load_digits()
    x = d.data.astype(np.uint8)
    y = d.target.astype(np.uint8)
    rng = np.random.default_rng(SEED)
    perm = rng.permutation(len(x))
    test, train = perm[:N_TEST], perm[N_TEST:]
    xtr = x[train].astype(np.float32) / 16.0
    ytr = y[train]
    onehot = np.eye(10, dtype=np.float32)[ytr]

    w1 = (rng.standard_normal((HIDDEN, 64)) * np.sqrt(2 / 64)).astype(np.float32)
    b1 = np.zeros(HIDDEN, np.float32)
    w2 = (rng.standard_normal((10, HIDDEN)) * np.sqrt(2 / HIDDEN)).astype(np.float32)
    b2 = np.zeros(10, np.float32)
    params = [w1, b1, w2, b2]
    m = [np.zeros_like(p) for p in params]
    v = [np.zeros_like(p) for p in params]
    lr, beta1, beta2, eps, wd = 1e-2, 0.9, 0.999, 1e-8, 1e-4
    for step in range(1, 1501):
        h = np.maximum(xtr @ w1.T + b1, 0)
        z = h @ w2.T + b2
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        dz = (p - onehot) / len(xtr)
        gw2 = dz.T @ h + wd * w2
        gb2 = dz.sum(0)
        dh = (dz @ w2) * (h > 0)
        gw1 = dh.T @ xtr + wd * w1
        gb1 = dh.sum(0)
        for i, g in enumerate([gw1, gb1, gw2, gb2]):
            m[i] = beta1 * m[i] + (1 - beta1) * g
            v[i] = beta2 * v[i] + (1 - beta2) * g * g
            mh = m[i] / (1 - beta1**step)
            vh = v[i] / (1 - beta2**step)
            params[i] -= (lr * mh / (np.sqrt(vh) + eps)).astype(np.float32)
    w1, b1, w2, b2 = params

    xte, yte = x[test], y[test]
    h = np.maximum((xte / 16.0) @ w1.T + b1, 0)
    acc = ((h @ w2.T + b2).argmax(1) == yte).mean()
    print(f"float model: test accuracy {acc:.4f} on {N_TEST} images")
    for name, arr in [("w1", w1), ("b1", b1), ("w2", w2), ("b2", b2)]:
        np.save(f"{name}.npy", arr.astype(np.float32))
    np.save("x_test.npy", xte)
    np.save("y_test.npy", yte)


if __name__ == "__main__":
    main()
