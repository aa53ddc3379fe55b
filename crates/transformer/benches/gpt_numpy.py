"""The tiny GPT's forward + backward in numpy: the reference the Rust
engine (src/fast_gpt.rs) is timed against.

Same model as `Gpt` with pre-norm blocks, GELU, sinusoidal positions: it
reads the weights the `gpt_speed` example saved (JSON, column-major matrices),
builds the same batch of Sonnets windows, checks that its loss equals the
one Rust printed, and times one forward + backward on the whole batch.

    python3 crates/transformer/benches/gpt_numpy.py MODEL.safetensors --batch 16 \
        --context 64 --steps 10

Prints one line: `numpy loss <L> tokens/s <n> ms/step <t> cpu_ms/step <c>`
(wall-clock and process CPU time per step, medians).
"""
import argparse
import json
import time

import numpy as np

EPS = 1e-5
GELU_C = np.sqrt(2.0 / np.pi)


def load(path):
    """A course checkpoint (safetensors, read with numpy alone): an 8-byte
    header length, the JSON header (each tensor's dtype, shape and byte
    offsets; the configuration under __metadata__.config), then float64
    data, each `rows x cols` matrix row-major."""
    raw = open(path, "rb").read()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__")
    params = {}
    for name, t in header.items():
        assert t["dtype"] == "F64", (name, t["dtype"])
        a, b = t["data_offsets"]
        data = np.frombuffer(raw[8 + n + a:8 + n + b], dtype="<f8")
        params[name] = data.reshape(t["shape"]).copy()
    return json.loads(meta["config"]), params


def sinusoidal(d, t_max):
    r = np.arange(d)[:, None]
    t = np.arange(t_max)[None, :]
    angle = t / 10000.0 ** (2.0 * (r // 2) / d)
    return np.where(r % 2 == 0, np.sin(angle), np.cos(angle))


def ln_fwd(x, g, b):
    mu = x.mean(0)
    xc = x - mu
    r = 1.0 / np.sqrt((xc * xc).mean(0) + EPS)
    xh = xc * r
    return g * xh + b, (xh, r)


def ln_bwd(dy, g, cache):
    xh, r = cache
    dxh = dy * g
    dg = (dy * xh).sum(1, keepdims=True)
    db = dy.sum(1, keepdims=True)
    dx = r * (dxh - dxh.mean(0) - xh * (dxh * xh).mean(0))
    return dx, dg, db


def gelu(z):
    return 0.5 * z * (1.0 + np.tanh(GELU_C * (z + 0.044715 * z ** 3)))


def gelu_grad(z):
    th = np.tanh(GELU_C * (z + 0.044715 * z ** 3))
    du = GELU_C * (1.0 + 3.0 * 0.044715 * z * z)
    return 0.5 * (1.0 + th) + 0.5 * z * (1.0 - th * th) * du


def split_heads(m, h, B, T):
    # (d, B*T) -> (B, h, T, dk)
    d = m.shape[0]
    return m.reshape(h, d // h, B, T).transpose(2, 0, 3, 1)


def merge_heads(m):
    # (B, h, T, dk) -> (d, B*T)
    B, h, T, dk = m.shape
    return m.transpose(1, 3, 0, 2).reshape(h * dk, B * T)


def step(cfg, p, table, inputs, targets):
    """Mean cross-entropy and every gradient of the batch."""
    B, T = inputs.shape
    h, d = cfg["heads"], cfg["d"]
    dk = d // h
    scale = 1.0 / np.sqrt(dk)
    ids = inputs.reshape(-1)
    x = p["wte"][:, ids] + np.tile(table[:, :T], B)
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    caches = []
    for i in range(cfg["layers"]):
        b = f"blocks.{i}."
        n1, c1 = ln_fwd(x, p[b + "ln1.gamma"], p[b + "ln1.beta"])
        q = split_heads(p[b + "attn.w_q"] @ n1, h, B, T)
        k = split_heads(p[b + "attn.w_k"] @ n1, h, B, T)
        v = split_heads(p[b + "attn.w_v"] @ n1, h, B, T)
        s = (q @ k.transpose(0, 1, 3, 2)) * scale
        s[..., mask] = -np.inf
        a = np.exp(s - s.max(-1, keepdims=True))
        a /= a.sum(-1, keepdims=True)
        concat = merge_heads(a @ v)
        z = x + p[b + "attn.w_o"] @ concat
        n2, c2 = ln_fwd(z, p[b + "ln2.gamma"], p[b + "ln2.beta"])
        zf = p[b + "ffn.w1"] @ n2 + p[b + "ffn.b1"]
        hf = gelu(zf)
        y = z + p[b + "ffn.w2"] @ hf + p[b + "ffn.b2"]
        caches.append((n1, c1, q, k, v, a, concat, n2, c2, zf, hf))
        x = y
    zfin, cf = ln_fwd(x, p["ln_f.gamma"], p["ln_f.beta"])
    logits = p["w_out"] @ zfin
    logits -= logits.max(0)
    e = np.exp(logits)
    prob = e / e.sum(0)
    n = B * T
    tgt = targets.reshape(-1)
    cols = np.arange(n)
    loss = -np.log(prob[tgt, cols]).mean()
    dlog = prob
    dlog[tgt, cols] -= 1.0
    dlog /= n
    g = {"w_out": dlog @ zfin.T}
    dx, g["ln_f.gamma"], g["ln_f.beta"] = ln_bwd(
        p["w_out"].T @ dlog, p["ln_f.gamma"], cf)
    for i in reversed(range(cfg["layers"])):
        b = f"blocks.{i}."
        n1, c1, q, k, v, a, concat, n2, c2, zf, hf = caches[i]
        dy = dx
        g[b + "ffn.w2"] = dy @ hf.T
        g[b + "ffn.b2"] = dy.sum(1, keepdims=True)
        dzf = (p[b + "ffn.w2"].T @ dy) * gelu_grad(zf)
        g[b + "ffn.w1"] = dzf @ n2.T
        g[b + "ffn.b1"] = dzf.sum(1, keepdims=True)
        dz, g[b + "ln2.gamma"], g[b + "ln2.beta"] = ln_bwd(
            p[b + "ffn.w1"].T @ dzf, p[b + "ln2.gamma"], c2)
        dz += dy
        g[b + "attn.w_o"] = dz @ concat.T
        dyh = split_heads(p[b + "attn.w_o"].T @ dz, h, B, T)
        dv = a.transpose(0, 1, 3, 2) @ dyh
        da = dyh @ v.transpose(0, 1, 3, 2)
        ds = a * (da - (da * a).sum(-1, keepdims=True)) * scale
        dq = merge_heads(ds @ k)
        dkk = merge_heads(ds.transpose(0, 1, 3, 2) @ q)
        dv = merge_heads(dv)
        g[b + "attn.w_q"] = dq @ n1.T
        g[b + "attn.w_k"] = dkk @ n1.T
        g[b + "attn.w_v"] = dv @ n1.T
        dn1 = (p[b + "attn.w_q"].T @ dq + p[b + "attn.w_k"].T @ dkk
               + p[b + "attn.w_v"].T @ dv)
        dx, g[b + "ln1.gamma"], g[b + "ln1.beta"] = ln_bwd(
            dn1, p[b + "ln1.gamma"], c1)
        dx += dz
    dwte = np.zeros_like(p["wte"])
    np.add.at(dwte.T, ids, dx.T)
    g["wte"] = dwte
    return loss, g


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--batch", type=int, default=16)
    ap.add_argument("--context", type=int, default=64)
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--grads", help="write the gradients here (JSON)")
    args = ap.parse_args()
    cfg, p = load(args.model)
    text = open(__file__.rsplit("/", 3)[0]
                + "/datasets/data/sonnets_gut.txt", newline="").read()
    chars = sorted(set(text))
    ids = np.array([chars.index(c) for c in text])
    B, T = args.batch, args.context
    # the speed example's batch: windows starting at s * 5000
    win = np.stack([ids[s * 5000: s * 5000 + T + 1] for s in range(B)])
    inputs, targets = win[:, :T], win[:, 1:]
    table = sinusoidal(cfg["d"], cfg["max_len"])
    loss, g = step(cfg, p, table, inputs, targets)
    if args.grads:
        json.dump({k: v.T.reshape(-1).tolist() for k, v in g.items()},
                  open(args.grads, "w"))
    times, cpu = [], []
    for _ in range(args.steps):
        t0, c0 = time.perf_counter(), time.process_time()
        step(cfg, p, table, inputs, targets)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    t, c = float(np.median(times)), float(np.median(cpu))
    print(f"numpy loss {loss:.12f} tokens/s {B * T / t:.0f} "
          f"ms/step {1000 * t:.2f} cpu_ms/step {1000 * c:.2f}")


if __name__ == "__main__":
    main()
