#!/usr/bin/env python3
"""The PyTorch reference: every layer of the course built in PyTorch from
given weights and inputs, in float64, its outputs and every gradient written
to small JSON fixtures that the crates' `tests/pytorch.rs` compare with the
course's forward and backward (relative error <= 1e-12 on every quantity).

Optional: CI does not install PyTorch, the fixtures are committed. To
regenerate them (pinned version in scripts/pytorch/requirements.txt):

    python3 -m venv /tmp/torchenv
    /tmp/torchenv/bin/pip install -r scripts/pytorch/requirements.txt
    /tmp/torchenv/bin/python scripts/pytorch/reference.py          # all
    /tmp/torchenv/bin/python scripts/pytorch/reference.py --only lstm

Conventions. PyTorch stores a batch as rows (`B x D`, a sequence `T x B x D`),
the course as columns (`D x B`); the fixtures keep PyTorch's layout, the Rust
tests transpose. Where the course's convention differs from the PyTorch module
(LSTM gate order, the slides' GRU, SAME padding, the tanh GELU), the main
fixture is made with PyTorch code that reproduces the course's convention,
from the course's own parameters (leaf tensors, so autograd gives their
gradients in the course's layout), and a second fixture (`*_module`) records
the PyTorch module's own behaviour, so the tests can assert that the two
differ where the book says they do. The book's appendix *From this course to
PyTorch* includes the mapping functions below by their ANCHOR names.

Every fixture is one JSON object: `layer`, `note`, `torch` (version),
`script`, `args` (this script's arguments), `seed`, and `tensors`, each
`{"shape": [...], "data": [... row-major ...]}`; floats are written with
Python's shortest round-trip repr, so Rust parses back the same f64.
"""
import argparse
import json
import pathlib
import sys

import torch
import torch.nn.functional as F
from torch.func import functional_call

ROOT = pathlib.Path(__file__).resolve().parent.parent.parent
torch.set_default_dtype(torch.float64)


class Writer:
    """Collects named tensors and writes one fixture."""

    def __init__(self, args, crate, name, layer, note):
        self.args, self.crate, self.name = args, crate, name
        self.meta = {"layer": layer, "note": note}
        self.tensors = {}

    def put(self, name, t):
        t = t.detach().to(torch.float64).contiguous()
        self.tensors[name] = {"shape": list(t.shape),
                              "data": [float(v) for v in t.reshape(-1).tolist()]}

    def grads(self, named):
        """`grad.<name>` for every (name, leaf tensor)."""
        for name, t in named.items():
            assert t.grad is not None, f"{self.name}: no gradient for {name}"
            self.put(f"grad.{name}", t.grad)

    def write(self):
        out = ROOT / "crates" / self.crate / "tests" / "fixtures" / f"{self.name}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        doc = dict(self.meta)
        doc.update({
            "torch": torch.__version__,
            "script": "scripts/pytorch/reference.py",
            "args": self.args.argv,
            "seed": self.args.seed,
            "tensors": self.tensors,
        })
        text = json.dumps(doc, indent=None, separators=(",", ":"))
        out.write_text(text + "\n")
        print(f"{out.relative_to(ROOT)}: {len(text) / 1024:.1f} KB")


class Gen:
    """Seeded inputs: the same fixtures on every run."""

    def __init__(self, seed):
        self.g = torch.Generator().manual_seed(seed)

    def randn(self, *shape, scale=1.0):
        return (torch.randn(*shape, generator=self.g) * scale).requires_grad_()

    def targets(self, classes, n):
        return torch.randint(0, classes, (n,), generator=self.g)


def sum_weighted(outputs_and_weights):
    """The loss L = sum of <output, G> over every (output, G): its gradient
    with respect to each output is G, the upstream gradient the Rust tests
    feed to backward."""
    return sum((o * g).sum() for o, g in outputs_and_weights)


# ---------------------------------------------------------------- recurrent
T, B, D, N = 5, 2, 3, 4  # steps, batch, input size, hidden size


# ANCHOR: rnn_map
def rnn_course_to_torch(w, u, b):
    """RnnCell {w: W (n x n), u: U (n x D), b (n x 1)} -> nn.RNN's names.
    h_t = tanh(W h_{t-1} + U x_t + b); PyTorch has two biases, b_hh = 0."""
    return {"weight_ih_l0": u, "weight_hh_l0": w,
            "bias_ih_l0": b[:, 0], "bias_hh_l0": torch.zeros_like(b[:, 0])}
# ANCHOR_END: rnn_map


def rnn(args, gen):
    w, u, b = gen.randn(N, N, scale=0.5), gen.randn(N, D, scale=0.5), gen.randn(N, 1, scale=0.5)
    x, h0, g = gen.randn(T, B, D), gen.randn(1, B, N), gen.randn(T, B, N)
    module = torch.nn.RNN(D, N, nonlinearity="tanh")
    hs, h_n = functional_call(module, rnn_course_to_torch(w, u, b), (x, h0))
    sum_weighted([(hs, g)]).backward()
    f = Writer(args, "vanilla-rnn-bptt", "rnn", "torch.nn.RNN",
               "RnnCell h_t = tanh(W h_{t-1} + U x_t + b) over T steps; L = sum_t <h_t, g_t>")
    for k, v in {"w": w, "u": u, "b": b, "x": x, "h0": h0, "g": g, "h": hs}.items():
        f.put(k, v)
    f.grads({"w": w, "u": u, "b": b, "x": x, "h0": h0})
    f.write()


# ANCHOR: lstm_map
def lstm_course_to_torch(w, b, n, layer=0):
    """Lstm {w: 4n x (n + D), b: 4n x 1}, gate blocks i, f, o, g, columns
    [h; x] -> nn.LSTM's weight_ih (4n x D), weight_hh (4n x n), gate blocks
    i, f, g, o, and two biases (b_hh = 0)."""
    i, f, o, g = (slice(k * n, (k + 1) * n) for k in range(4))
    w = torch.cat([w[i], w[f], w[g], w[o]])  # i, f, o, g -> i, f, g, o
    b = torch.cat([b[i], b[f], b[g], b[o]])[:, 0]
    return {f"weight_hh_l{layer}": w[:, :n], f"weight_ih_l{layer}": w[:, n:],
            f"bias_ih_l{layer}": b, f"bias_hh_l{layer}": torch.zeros_like(b)}
# ANCHOR_END: lstm_map


def lstm_module_order(w, b, n):
    """The mistake the book warns about: the course's rows handed to nn.LSTM
    as they are (gate blocks i, f, o, g read as i, f, g, o)."""
    return {"weight_hh_l0": w[:, :n], "weight_ih_l0": w[:, n:],
            "bias_ih_l0": b[:, 0], "bias_hh_l0": torch.zeros_like(b[:, 0])}


def lstm(args, gen):
    w, b = gen.randn(4 * N, N + D, scale=0.5), gen.randn(4 * N, 1, scale=0.5)
    x, h0, c0, g = gen.randn(T, B, D), gen.randn(1, B, N), gen.randn(1, B, N), gen.randn(T, B, N)
    module = torch.nn.LSTM(D, N)
    params = lstm_course_to_torch(w, b, N)
    hs, (h_n, c_n) = functional_call(module, params, (x, (h0, c0)))
    sum_weighted([(hs, g)]).backward()
    f = Writer(args, "lstm-gru", "lstm", "torch.nn.LSTM",
               "course Lstm (gates i, f, o, g; W acts on [h; x]) mapped by lstm_course_to_torch; "
               "L = sum_t <h_t, g_t>")
    for k, v in {"w": w, "b": b, "x": x, "h0": h0, "c0": c0, "g": g, "h": hs, "c_n": c_n}.items():
        f.put(k, v)
    for k, v in params.items():  # PyTorch's own names, for the torch -> course test
        f.put(k, v)
    f.grads({"w": w, "b": b, "x": x, "h0": h0, "c0": c0})
    f.write()
    # the module's own gate order, fed the course's rows unchanged
    hs_m, _ = functional_call(module, lstm_module_order(w, b, N), (x, (h0, c0)))
    m = Writer(args, "lstm-gru", "lstm_module", "torch.nn.LSTM",
               "nn.LSTM given the course's w without reordering the gates (i, f, o, g read as "
               "i, f, g, o): the same inputs as lstm.json, a different function")
    m.put("h", hs_m)
    m.write()


def lstm_stack(args, gen):
    # nn.LSTM(num_layers=2): layer 1 reads layer 0's h (size N)
    w0, b0 = gen.randn(4 * N, N + D, scale=0.5), gen.randn(4 * N, 1, scale=0.5)
    w1, b1 = gen.randn(4 * N, N + N, scale=0.5), gen.randn(4 * N, 1, scale=0.5)
    x, h0, c0, g = gen.randn(T, B, D), gen.randn(2, B, N), gen.randn(2, B, N), gen.randn(T, B, N)
    module = torch.nn.LSTM(D, N, num_layers=2)
    params = {**lstm_course_to_torch(w0, b0, N, 0), **lstm_course_to_torch(w1, b1, N, 1)}
    hs, (h_n, c_n) = functional_call(module, params, (x, (h0, c0)))
    sum_weighted([(hs, g)]).backward()
    f = Writer(args, "lstm-gru", "lstm_stack", "torch.nn.LSTM(num_layers=2)",
               "Stack of two course Lstm cells (cells.0, cells.1); h0/c0 row l is layer l; "
               "L = sum_t <h_t (top layer), g_t>")
    for k, v in {"cells.0.w": w0, "cells.0.b": b0, "cells.1.w": w1, "cells.1.b": b1,
                 "x": x, "h0": h0, "c0": c0, "g": g, "h": hs, "h_n": h_n, "c_n": c_n}.items():
        f.put(k, v)
    f.grads({"cells.0.w": w0, "cells.0.b": b0, "cells.1.w": w1, "cells.1.b": b1,
             "x": x, "h0": h0, "c0": c0})
    f.write()


GRU_NAMES = ["w_xr", "w_hr", "b_r", "w_xz", "w_hz", "b_z", "w_xh", "w_hh", "b_h"]


# ANCHOR: gru_course
def gru_course_step(p, h, x):
    """The slides' GRU, rows = batch: r and z as nn.GRU, but r before W_hh
    (W_hh (r * h)) and z on the new content (h = z * h~ + (1 - z) * h)."""
    r = torch.sigmoid(x @ p["w_xr"].T + h @ p["w_hr"].T + p["b_r"].T)
    z = torch.sigmoid(x @ p["w_xz"].T + h @ p["w_hz"].T + p["b_z"].T)
    h_tilde = torch.tanh(x @ p["w_xh"].T + (r * h) @ p["w_hh"].T + p["b_h"].T)
    return z * h_tilde + (1 - z) * h
# ANCHOR_END: gru_course


# ANCHOR: gru_map
def gru_course_to_torch(p):
    """The nearest nn.GRU: gate blocks r, z, n; z negated (sigma(-a) = 1 -
    sigma(a)) so that its z multiplies h_{t-1} as the course's 1 - z does.
    What cannot be mapped: nn.GRU computes n = tanh(W_in x + b_in + r *
    (W_hn h + b_hn)), r after the product; the slides put r before W_hh."""
    return {"weight_ih_l0": torch.cat([p["w_xr"], -p["w_xz"], p["w_xh"]]),
            "weight_hh_l0": torch.cat([p["w_hr"], -p["w_hz"], p["w_hh"]]),
            "bias_ih_l0": torch.cat([p["b_r"], -p["b_z"], p["b_h"]])[:, 0],
            "bias_hh_l0": torch.zeros(3 * p["b_r"].shape[0])}
# ANCHOR_END: gru_map


def gru_params(gen):
    p = {}
    for name in GRU_NAMES:
        cols = D if name.startswith("w_x") else N if name.startswith("w_h") else 1
        p[name] = gen.randn(N, cols, scale=0.5)
    return p


def gru(args, gen):
    p = gru_params(gen)
    x, h0, g = gen.randn(T, B, D), gen.randn(1, B, N), gen.randn(T, B, N)
    h, hs = h0[0], []
    for t in range(T):
        h = gru_course_step(p, h, x[t])
        hs.append(h)
    hs = torch.stack(hs)
    sum_weighted([(hs, g)]).backward()
    f = Writer(args, "lstm-gru", "gru", "the slides' GRU in torch ops (gru_course_step)",
               "r before W_hh, z on h~; L = sum_t <h_t, g_t>")
    for k, v in {**p, "x": x, "h0": h0, "g": g, "h": hs}.items():
        f.put(k, v)
    f.grads({**p, "x": x, "h0": h0})
    f.write()
    # nn.GRU with the nearest weights, from h0 = 0: step 1 agrees (r * 0 = 0
    # either way), later steps differ (r after W_hn)
    zero = torch.zeros(1, B, N)
    hs_m, _ = functional_call(torch.nn.GRU(D, N), gru_course_to_torch(p), (x, zero))
    m = Writer(args, "lstm-gru", "gru_module", "torch.nn.GRU",
               "nn.GRU with gru_course_to_torch(p) (z negated), the same p and x as gru.json, "
               "from h0 = 0: equal to the course at t = 1, different after")
    for k, v in {"h0": zero, "h": hs_m, **gru_course_to_torch(p)}.items():
        m.put(k, v)
    m.write()


# ---------------------------------------------------------------- attention
def causal_additive(tq, tk):
    return torch.triu(torch.full((tq, tk), float("-inf")), diagonal=1)


def dot_attention(args, gen, name, tq, tk, causal):
    dk, dv = 4, 3
    q, k, v = gen.randn(tq, dk), gen.randn(tk, dk), gen.randn(tk, dv)
    g = gen.randn(tq, dv)
    y = F.scaled_dot_product_attention(q, k, v, is_causal=causal)
    # the weights, T_q x T_k (the course keeps their transpose, T_k x T_q)
    s = q @ k.T / dk ** 0.5 + (causal_additive(tq, tk) if causal else 0.0)
    attn = torch.softmax(s, dim=-1)
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "transformer", name, "torch.nn.functional.scaled_dot_product_attention",
               f"rows = tokens; is_causal={causal}; attn = softmax(q k^T / sqrt(d_k) + M), "
               "T_q x T_k; L = <y, g>")
    for key, val in {"q": q, "k": k, "v": v, "g": g, "y": y, "attn": attn}.items():
        f.put(key, val)
    f.grads({"q": q, "k": k, "v": v})
    f.write()


def attention_batched(args, gen):
    """The attention chapter's engine: B queries, each over its own N keys."""
    bsz, n, d, dv = 3, 5, 4, 2
    q, k, v, g = gen.randn(bsz, 1, d), gen.randn(bsz, n, d), gen.randn(bsz, n, dv), gen.randn(bsz, 1, dv)
    f = Writer(args, "attention", "attention", "torch.nn.functional.scaled_dot_product_attention",
               "batch of B single queries, each over its own N keys and values (batch dim 0); "
               "y_dot with scale=1 (the slides' dot score), y_scaled with 1/sqrt(d); "
               "L = <y_dot, g> + <y_scaled, g>")
    y_dot = F.scaled_dot_product_attention(q, k, v, scale=1.0)
    y_scaled = F.scaled_dot_product_attention(q, k, v)
    p_dot = torch.softmax((q @ k.transpose(1, 2))[:, 0, :], dim=-1)  # B x N
    for key, val in {"q": q, "k": k, "v": v, "g": g, "y_dot": y_dot,
                     "y_scaled": y_scaled, "p_dot": p_dot}.items():
        f.put(key, val)
    for key, y in (("dot", y_dot), ("scaled", y_scaled)):
        for t in (q, k, v):
            t.grad = None
        sum_weighted([(y, g)]).backward(retain_graph=True)
        for name, t in (("q", q), ("k", k), ("v", v)):
            f.put(f"grad_{key}.{name}", t.grad)
    f.write()


# ANCHOR: mha_map
def mha_course_to_torch(w_q, w_k, w_v, w_o):
    """MultiHeadAttention {w_q, w_k, w_v, w_o: d x d}, no biases ->
    nn.MultiheadAttention(d, h, bias=False): in_proj_weight is the three
    projections stacked, head m owns rows m d_k .. (m + 1) d_k of each."""
    return {"in_proj_weight": torch.cat([w_q, w_k, w_v]), "out_proj.weight": w_o}
# ANCHOR_END: mha_map


def mha(args, gen, name, d, heads, tq, tk, causal):
    ws = {n: gen.randn(d, d, scale=d ** -0.5) for n in ("w_q", "w_k", "w_v", "w_o")}
    x_q = gen.randn(tq, d)
    x_kv = x_q if tk is None else gen.randn(tk, d)
    g = gen.randn(tq, d)
    module = torch.nn.MultiheadAttention(d, heads, bias=False)
    mask = torch.triu(torch.ones(tq, tq, dtype=torch.bool), diagonal=1) if causal else None
    y, _ = functional_call(module, mha_course_to_torch(**ws), (x_q, x_kv, x_kv),
                           {"attn_mask": mask, "need_weights": False})
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "transformer", name, "torch.nn.MultiheadAttention(bias=False)",
               f"d={d}, heads={heads}, causal={causal}, "
               + ("self-attention (query = key = value = x)" if tk is None else "cross-attention")
               + "; unbatched, rows = tokens; L = <y, g>")
    inputs = {"x": x_q} if tk is None else {"x_q": x_q, "x_kv": x_kv}
    for k, v in {**ws, **inputs, "g": g, "y": y}.items():
        f.put(k, v)
    f.grads({**ws, **inputs})
    f.write()


# ---------------------------------------------------------------- layers
def layer_norm(args, gen):
    d, t = 6, 4
    gamma, beta = gen.randn(d), gen.randn(d)
    x, g = gen.randn(t, d, scale=2.0), gen.randn(t, d)
    module = torch.nn.LayerNorm(d, eps=1e-5)
    y = functional_call(module, {"weight": gamma, "bias": beta}, (x,))
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "transformer", "layer_norm", "torch.nn.LayerNorm(eps=1e-5)",
               "rows = tokens, normalised over d; L = <y, g>")
    for k, v in {"gamma": gamma, "beta": beta, "x": x, "g": g, "y": y}.items():
        f.put(k, v)
    f.grads({"gamma": gamma, "beta": beta, "x": x})
    f.write()


def feed_forward(args, gen):
    d, d_ff, t = 4, 7, 3
    w1, b1 = gen.randn(d_ff, d), gen.randn(d_ff)
    w2, b2 = gen.randn(d, d_ff, scale=0.5), gen.randn(d)
    x, g = gen.randn(t, d), gen.randn(t, d)

    def net(approximate):
        return torch.nn.Sequential(torch.nn.Linear(d, d_ff), torch.nn.GELU(approximate=approximate),
                                   torch.nn.Linear(d_ff, d))

    params = {"0.weight": w1, "0.bias": b1, "2.weight": w2, "2.bias": b2}
    # the course's GELU is the tanh approximation
    y = functional_call(net("tanh"), params, (x,))
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "transformer", "feed_forward_gelu",
               "Linear -> torch.nn.GELU(approximate='tanh') -> Linear",
               "FeedForward with Activation::Gelu: 0.5 z (1 + tanh(sqrt(2/pi)(z + 0.044715 z^3))); "
               "rows = tokens; L = <y, g>")
    for k, v in {"w1": w1, "b1": b1, "w2": w2, "b2": b2, "x": x, "g": g, "y": y}.items():
        f.put(k, v)
    f.grads({"w1": w1, "b1": b1, "w2": w2, "b2": b2, "x": x})
    f.write()
    y_exact = functional_call(net("none"), params, (x,))
    m = Writer(args, "transformer", "feed_forward_gelu_module", "torch.nn.GELU() (exact, erf)",
               "the same weights and x as feed_forward_gelu.json with PyTorch's default, exact GELU "
               "z Phi(z): close to the tanh form, not equal")
    m.put("y", y_exact)
    m.write()


def cross_entropy(args, gen):
    v, b = 5, 4
    logits, targets = gen.randn(b, v, scale=2.0), gen.targets(v, b)
    f = Writer(args, "foundations", "cross_entropy", "torch.nn.functional.cross_entropy",
               "rows = examples (the course: columns); loss_mean and loss_sum with their gradients")
    f.put("logits", logits)
    f.put("targets", targets.to(torch.float64))
    for red in ("mean", "sum"):
        logits.grad = None
        loss = F.cross_entropy(logits, targets, reduction=red)
        loss.backward()
        f.put(f"loss_{red}", loss.reshape(1))
        f.put(f"grad_{red}.logits", logits.grad)
    f.write()


def affine(args, gen):
    n_in, n_out, b = 5, 3, 4
    w, bias = gen.randn(n_out, n_in), gen.randn(n_out)
    x, g = gen.randn(b, n_in), gen.randn(b, n_out)
    y = functional_call(torch.nn.Linear(n_in, n_out), {"weight": w, "bias": bias}, (x,))
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "fc-and-conv", "affine", "torch.nn.Linear",
               "y = x W^T + b, rows = examples (the course: Y = W X + b 1^T); L = <y, g>")
    for k, v in {"w": w, "b": bias, "x": x, "g": g, "y": y}.items():
        f.put(k, v)
    f.grads({"w": w, "b": bias, "x": x})
    f.write()


# ANCHOR: same_padding
def same_padding(n, f, s):
    """TensorFlow's SAME along one axis, as the course's Padding::Same: the
    output is ceil(n / s), the odd zero goes after (bottom, right)."""
    out = -(-n // s)
    total = max((out - 1) * s + f - n, 0)
    return total // 2, total - total // 2
# ANCHOR_END: same_padding


def conv(args, gen):
    c, k, f_ = 2, 3, 3
    # explicit padding: nn.Conv2d itself, stride 2, padding 1 on 7 x 7
    w, b = gen.randn(k, c, f_, f_, scale=0.5), gen.randn(k)
    x = gen.randn(B, c, 7, 7)
    y = functional_call(torch.nn.Conv2d(c, k, f_, stride=2, padding=1), {"weight": w, "bias": b}, (x,))
    g = gen.randn(*y.shape)
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "fc-and-conv", "conv", "torch.nn.Conv2d(stride=2, padding=1)",
               "K=3 filters of 2x3x3 on a batch of 2 images 2x7x7; NCHW; L = <y, g>")
    for key, v in {"w": w, "b": b, "x": x, "g": g, "y": y}.items():
        f.put(key, v)
    f.grads({"w": w, "b": b, "x": x})
    f.write()
    # SAME with stride 2 on 8 x 8: one zero, after. nn.Conv2d's padding is
    # symmetric and padding='same' refuses stride > 1, so pad by hand.
    w, b = gen.randn(k, c, f_, f_, scale=0.5), gen.randn(k)
    x = gen.randn(B, c, 8, 8)
    before, after = same_padding(8, f_, 2)
    # ANCHOR: same_conv
    y = F.conv2d(F.pad(x, (before, after, before, after)), w, b, stride=2)
    # ANCHOR_END: same_conv
    g = gen.randn(*y.shape)
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "fc-and-conv", "conv_same", "F.pad + torch.nn.functional.conv2d(stride=2)",
               f"SAME padding on 8x8, F=3, S=2: {before} zero before, {after} after "
               "(the course's Padding::Same); L = <y, g>")
    for key, v in {"w": w, "b": b, "x": x, "g": g, "y": y}.items():
        f.put(key, v)
    f.grads({"w": w, "b": b, "x": x})
    f.write()
    y_sym = torch.nn.functional.conv2d(x, w, b, stride=2, padding=1)
    m = Writer(args, "fc-and-conv", "conv_same_module", "torch.nn.Conv2d(stride=2, padding=1)",
               "the same w, b, x as conv_same.json with PyTorch's symmetric padding 1: the same "
               "4x4 output shape, windows shifted by one pixel")
    m.put("y", y_sym)
    m.write()


def pooling(args, gen):
    c, size, f_, s = 2, 7, 3, 2  # overlapping windows: gradients add up
    x = gen.randn(B, c, size, size)
    for name, module in (("max_pool", torch.nn.MaxPool2d(f_, s)), ("avg_pool", torch.nn.AvgPool2d(f_, s))):
        x.grad = None
        y = module(x)
        g = gen.randn(*y.shape)
        sum_weighted([(y, g)]).backward()
        f = Writer(args, "pooling", name, f"torch.nn.{type(module).__name__}({f_}, {s})",
                   f"F={f_}, S={s} on a batch of 2 images {c}x{size}x{size} (overlapping windows); "
                   "NCHW; L = <y, g>")
        for key, v in {"x": x, "g": g, "y": y}.items():
            f.put(key, v)
        f.grads({"x": x})
        f.write()


def max_pool_ties(args, gen):
    """Small integers: many ties. Both PyTorch and the course route a
    window's gradient to its first maximum in reading order."""
    x = torch.randint(0, 3, (B, 2, 7, 7), generator=gen.g).to(torch.float64).requires_grad_()
    y = torch.nn.MaxPool2d(3, 2)(x)
    g = gen.randn(*y.shape)
    sum_weighted([(y, g)]).backward()
    f = Writer(args, "pooling", "max_pool_ties", "torch.nn.MaxPool2d(3, 2)",
               "inputs in {0, 1, 2}: ties in every window; the gradient goes to the first "
               "maximum in reading order; L = <y, g>")
    for key, v in {"x": x, "g": g, "y": y}.items():
        f.put(key, v)
    f.grads({"x": x})
    f.write()


FIXTURES = {
    "rnn": rnn,
    "lstm": lstm,
    "lstm_stack": lstm_stack,
    "gru": gru,
    "attention": attention_batched,
    "dot_attention": lambda a, g: dot_attention(a, g, "dot_attention", 4, 6, False),
    "dot_attention_causal": lambda a, g: dot_attention(a, g, "dot_attention_causal", 5, 5, True),
    "mha_self_causal": lambda a, g: mha(a, g, "mha_self_causal", 6, 2, 5, None, True),
    "mha_cross": lambda a, g: mha(a, g, "mha_cross", 6, 3, 3, 5, False),
    "layer_norm": layer_norm,
    "feed_forward": feed_forward,
    "cross_entropy": cross_entropy,
    "affine": affine,
    "conv": conv,
    "pooling": pooling,
    "max_pool_ties": max_pool_ties,
}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=19, help="each fixture's generator seed")
    ap.add_argument("--only", action="append", choices=sorted(FIXTURES),
                    help="write only these fixtures (repeatable)")
    args = ap.parse_args()
    args.argv = sys.argv[1:]
    if torch.__version__.split("+")[0] != "2.15.0":
        print(f"warning: torch {torch.__version__}, the fixtures were made with 2.15.0",
              file=sys.stderr)
    for name, make in FIXTURES.items():
        if args.only and name not in args.only:
            continue
        # one generator per fixture: regenerating one leaves the others unchanged
        make(args, Gen(args.seed + sum(map(ord, name))))


if __name__ == "__main__":
    main()
