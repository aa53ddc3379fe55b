#!/usr/bin/env python3
"""The numpy reference for the speed comparison: the same algorithm as the
Rust fast path, in the classic min-char-rnn setup (Karpathy, 2015), written
for this course.

Hidden size 100, chunks of 25 characters, Adagrad with learning rate 0.1,
gradients clipped element-wise to +-5, float64, the state carried from chunk
to chunk. Trains on the Sonnets and prints one JSON line with the characters
per second and the smoothed loss.

    python3 crates/vanilla-rnn-bptt/benches/min_char_rnn.py --steps 2000

`benches/compare.sh` runs it side by side with the Rust version.
"""
import argparse
import json
import os
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SONNETS = os.path.join(HERE, "..", "..", "datasets", "data", "sonnets_gut.txt")


def loss_fun(inputs, targets, hprev, p):
    """Forward and BPTT over one chunk (the summed loss, dense one-hot x)."""
    wxh, whh, why, bh, by = p
    xs, hs, ps = {}, {-1: np.copy(hprev)}, {}
    loss = 0.0
    vocab = why.shape[0]
    for t in range(len(inputs)):
        xs[t] = np.zeros((vocab, 1))
        xs[t][inputs[t]] = 1.0
        hs[t] = np.tanh(wxh @ xs[t] + whh @ hs[t - 1] + bh)   # a, h
        ys = why @ hs[t] + by                                  # o
        e = np.exp(ys - np.max(ys))
        ps[t] = e / np.sum(e)                                  # y hat
        loss += -np.log(ps[t][targets[t], 0])
    dwxh, dwhh, dwhy = np.zeros_like(wxh), np.zeros_like(whh), np.zeros_like(why)
    dbh, dby = np.zeros_like(bh), np.zeros_like(by)
    dhnext = np.zeros_like(hs[0])
    for t in reversed(range(len(inputs))):
        dy = np.copy(ps[t])
        dy[targets[t]] -= 1.0                                  # y hat - y
        dwhy += dy @ hs[t].T
        dby += dy
        dh = why.T @ dy + dhnext
        da = (1.0 - hs[t] * hs[t]) * dh
        dbh += da
        dwxh += da @ xs[t].T
        dwhh += da @ hs[t - 1].T
        dhnext = whh.T @ da
    return loss, (dwxh, dwhh, dwhy, dbh, dby), hs[len(inputs) - 1]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--seq-len", type=int, default=25)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--text", default=SONNETS)
    args = ap.parse_args()

    data = open(args.text, encoding="utf-8").read()
    chars = sorted(set(data))
    ix = {c: i for i, c in enumerate(chars)}
    ids = [ix[c] for c in data]
    v, n, T = len(chars), args.hidden, args.seq_len

    rng = np.random.RandomState(args.seed)
    p = [rng.randn(n, v) * 0.01, rng.randn(n, n) * 0.01,
         rng.randn(v, n) * 0.01, np.zeros((n, 1)), np.zeros((v, 1))]
    mem = [np.zeros_like(x) for x in p]
    smooth = -np.log(1.0 / v) * T
    pos, hprev = 0, np.zeros((n, 1))

    start = time.perf_counter()
    for _ in range(args.steps):
        if pos + T + 1 > len(ids):
            pos, hprev = 0, np.zeros((n, 1))
        inputs, targets = ids[pos:pos + T], ids[pos + 1:pos + T + 1]
        loss, grads, hprev = loss_fun(inputs, targets, hprev, p)
        if not np.isfinite(loss):
            raise SystemExit("non-finite loss")
        smooth = 0.999 * smooth + 0.001 * loss
        for param, g, m in zip(p, grads, mem):
            np.clip(g, -5, 5, out=g)
            m += g * g
            param += -args.lr * g / np.sqrt(m + 1e-8)
        pos += T
    secs = time.perf_counter() - start
    print(json.dumps({
        "impl": "numpy",
        "numpy": np.__version__,
        "steps": args.steps,
        "chars": args.steps * T,
        "seconds": round(secs, 3),
        "chars_per_sec": round(args.steps * T / secs),
        "smooth_loss": round(float(smooth), 4),
    }))


if __name__ == "__main__":
    main()
