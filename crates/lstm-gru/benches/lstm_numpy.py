"""The LSTM character model of lstm-gru in numpy, for the speed comparison.

Same model and update as lstm_gru::FastLstmTrainer / the generic
CharTrainer running an Lstm: W (4n x (n + V)) on [h; x] with gate blocks
i, f, o, g, biases b (forget bias 1), output layer V h + c, summed
cross-entropy over chunks of T characters, element-wise clipping to +-5,
Adagrad with learning rate 0.1. Written the way min-char-rnn is written
(one column per step, np.dot for every product), which is how such a
reference is usually written in numpy.

    python3 crates/lstm-gru/benches/lstm_numpy.py [--iters 300] [--hidden 100] [--seq 25]

With --shortcuts, the same model and update written with the shortcuts
the Rust fast path takes: the one-hot input selects a column of W instead
of multiplying the dense [h; x], and everything that does not feed the
next step (the logits, the output layer's backward, dW_h) is one matrix
product per chunk. The recurrence still runs step by step.

Prints one line: `numpy: <iterations/s> iterations/s (...)`.
"""

import argparse
import os
import time

import numpy as np


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--hidden", type=int, default=100)
    ap.add_argument("--seq", type=int, default=25)
    ap.add_argument("--shortcuts", action="store_true")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    path = os.path.join(here, "..", "..", "datasets", "data", "sonnets_gut.txt")
    with open(path, encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    ix = {c: i for i, c in enumerate(chars)}
    data = [ix[c] for c in text]
    V, n, T, lr = len(chars), args.hidden, args.seq, 0.1
    rng = np.random.default_rng(0)
    s = 1.0 / np.sqrt(n)
    W = rng.uniform(-s, s, (4 * n, n + V))
    b = np.zeros((4 * n, 1))
    b[n:2 * n] = 1.0
    Wy = rng.normal(0, 0.01, (V, n))
    by = np.zeros((V, 1))
    params = [W, b, Wy, by]
    mem = [np.zeros_like(p) for p in params]

    def sigmoid(x):
        return 1.0 / (1.0 + np.exp(-x))

    def loss_fun(inputs, targets, hprev, cprev):
        hs, cs, gs, xs, ps = {-1: hprev}, {-1: cprev}, {}, {}, {}
        loss = 0.0
        for t in range(len(inputs)):
            x = np.zeros((V, 1))
            x[inputs[t]] = 1
            xs[t] = np.vstack((hs[t - 1], x))
            a = np.dot(W, xs[t]) + b
            i, f, o = sigmoid(a[:n]), sigmoid(a[n:2 * n]), sigmoid(a[2 * n:3 * n])
            g = np.tanh(a[3 * n:])
            cs[t] = f * cs[t - 1] + i * g
            hs[t] = o * np.tanh(cs[t])
            gs[t] = (i, f, o, g)
            y = np.dot(Wy, hs[t]) + by
            e = np.exp(y - np.max(y))
            ps[t] = e / np.sum(e)
            loss += -np.log(ps[t][targets[t], 0])
        dW, db, dWy, dby = [np.zeros_like(p) for p in params]
        dhnext, dcnext = np.zeros((n, 1)), np.zeros((n, 1))
        for t in reversed(range(len(inputs))):
            dy = np.copy(ps[t])
            dy[targets[t]] -= 1
            dWy += np.dot(dy, hs[t].T)
            dby += dy
            dh = np.dot(Wy.T, dy) + dhnext
            i, f, o, g = gs[t]
            tc = np.tanh(cs[t])
            dc = dcnext + dh * o * (1 - tc * tc)
            da = np.vstack((
                dc * g * i * (1 - i),
                dc * cs[t - 1] * f * (1 - f),
                dh * tc * o * (1 - o),
                dc * i * (1 - g * g),
            ))
            dW += np.dot(da, xs[t].T)
            db += da
            dxh = np.dot(W.T, da)
            dhnext = dxh[:n]
            dcnext = dc * f
        for d in (dW, db, dWy, dby):
            np.clip(d, -5, 5, out=d)
        return loss, (dW, db, dWy, dby), hs[len(inputs) - 1], cs[len(inputs) - 1]

    Wh = W[:, :n]  # a view: the recurrent block of W

    def loss_fun_shortcuts(inputs, targets, hprev, cprev):
        Tn = len(inputs)
        H, C = np.zeros((n, Tn + 1)), np.zeros((n, Tn + 1))
        G = np.zeros((4 * n, Tn))
        H[:, :1], C[:, :1] = hprev, cprev
        for t in range(Tn):
            a = Wh @ H[:, t] + W[:, n + inputs[t]] + b[:, 0]
            a[:3 * n] = sigmoid(a[:3 * n])
            a[3 * n:] = np.tanh(a[3 * n:])
            G[:, t] = a
            C[:, t + 1] = a[n:2 * n] * C[:, t] + a[:n] * a[3 * n:]
            H[:, t + 1] = a[2 * n:3 * n] * np.tanh(C[:, t + 1])
        O = Wy @ H[:, 1:] + by
        E = np.exp(O - O.max(axis=0))
        P = E / E.sum(axis=0)
        cols = np.arange(Tn)
        loss = -np.log(P[targets, cols]).sum()
        P[targets, cols] -= 1.0  # dO
        dWy = P @ H[:, 1:].T
        dby = P.sum(axis=1, keepdims=True)
        dH = Wy.T @ P
        dA = np.zeros((4 * n, Tn))
        dhnext, dcnext = np.zeros(n), np.zeros(n)
        TC = np.tanh(C[:, 1:])
        for t in reversed(range(Tn)):
            i, f, o, g = G[:n, t], G[n:2 * n, t], G[2 * n:3 * n, t], G[3 * n:, t]
            tc = TC[:, t]
            dh = dH[:, t] + dhnext
            dc = dcnext + dh * o * (1 - tc * tc)
            dA[:n, t] = dc * g * i * (1 - i)
            dA[n:2 * n, t] = dc * C[:, t] * f * (1 - f)
            dA[2 * n:3 * n, t] = dh * tc * o * (1 - o)
            dA[3 * n:, t] = dc * i * (1 - g * g)
            dhnext = Wh.T @ dA[:, t]
            dcnext = dc * f
        dW = np.zeros_like(W)
        dW[:, :n] = dA @ H[:, :-1].T
        np.add.at(dW.T, n + np.asarray(inputs), dA.T)
        db = dA.sum(axis=1, keepdims=True)
        for d in (dW, db, dWy, dby):
            np.clip(d, -5, 5, out=d)
        return loss, (dW, db, dWy, dby), H[:, -1:], C[:, -1:]

    if args.shortcuts:
        loss_fun = loss_fun_shortcuts  # noqa: F811
    p = 0
    h, c = np.zeros((n, 1)), np.zeros((n, 1))
    start = time.perf_counter()
    for it in range(args.iters):
        if p + T + 1 > len(data):
            p = 0
            h, c = np.zeros((n, 1)), np.zeros((n, 1))
        loss, grads, h, c = loss_fun(data[p:p + T], data[p + 1:p + T + 1], h, c)
        for param, d, m in zip(params, grads, mem):
            m += d * d
            param += -lr * d / np.sqrt(m + 1e-8)
        p += T
    secs = time.perf_counter() - start
    print(
        f"numpy: {args.iters / secs:.1f} iterations/s "
        f"(hidden {n}, T {T}, V {V}, {args.iters} iterations, last loss {loss:.2f}, "
        f"{'shortcuts, ' if args.shortcuts else ''}"
        f"numpy {np.__version__})"
    )


if __name__ == "__main__":
    main()
