#!/usr/bin/env python3
"""Load the course's tiny GPT into a small PyTorch GPT built from
`nn.Embedding`, `nn.LayerNorm`, `nn.MultiheadAttention(bias=False)`,
`nn.Linear` and `nn.GELU(approximate="tanh")`, and reproduce the course's
greedy continuation and validation loss.

The file comes from the course's export (crates/checkpoint/examples/
export_pytorch.rs --model gpt), a safetensors file whose tensors are the
`state_dict` of `Gpt` below, with the course's own numbers beside it in
`<file>.course.json`.

Optional: CI does not install PyTorch. Needs torch==2.15.0 (the version the
recorded result was measured with) and safetensors:

    pip install torch==2.15.0 safetensors
    python3 scripts/pytorch/load_gpt.py target/pytorch/gpt-torch.safetensors \
        --record scripts/pytorch/export-results/gpt.json
"""
import argparse
import json
import pathlib
import platform
import sys

import torch
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file

from export_common import finish

F64 = torch.float64


# ANCHOR: block
class Block(torch.nn.Module):
    """The course's `EncoderLayer` with the causal mask: self-attention and
    a feed-forward network, each with a residual and a layer norm, before
    (pre-norm, GPT-2) or after (post-norm, the paper) the sub-layer."""

    def __init__(self, d, heads, d_ff, activation, pre_norm):
        super().__init__()
        self.pre_norm = pre_norm
        self.ln1 = torch.nn.LayerNorm(d, eps=1e-5, dtype=F64)
        # the course's W_Q, W_K, W_V, W_O have no biases
        self.attn = torch.nn.MultiheadAttention(
            d, heads, bias=False, batch_first=True, dtype=F64)
        self.ln2 = torch.nn.LayerNorm(d, eps=1e-5, dtype=F64)
        act = (torch.nn.GELU(approximate="tanh") if activation == "Gelu"
               else torch.nn.ReLU())
        self.ffn = torch.nn.Sequential(
            torch.nn.Linear(d, d_ff, dtype=F64), act,
            torch.nn.Linear(d_ff, d, dtype=F64))

    def attend(self, x, mask):
        return self.attn(x, x, x, attn_mask=mask, need_weights=False)[0]

    def forward(self, x, mask):
        if self.pre_norm:  # z = x + MHA(LN1(x)), y = z + FFN(LN2(z))
            x = x + self.attend(self.ln1(x), mask)
            return x + self.ffn(self.ln2(x))
        x = self.ln1(x + self.attend(x, mask))  # post-norm
        return self.ln2(x + self.ffn(x))
# ANCHOR_END: block


class Gpt(torch.nn.Module):
    """The course's `Gpt`: token embedding plus positions, N blocks, a final
    layer norm and the output map `W_out` (no bias)."""

    def __init__(self, c):
        super().__init__()
        self.wte = torch.nn.Embedding(c["vocab"], c["d"], dtype=F64)
        pos = torch.zeros(c["max_len"], c["d"], dtype=F64)
        if c["positions"] == "Learned":
            self.pos = torch.nn.Parameter(pos)
        else:  # the fixed sinusoids, saved with the model
            self.register_buffer("pos", pos)
        self.blocks = torch.nn.ModuleList(
            Block(c["d"], c["heads"], c["d_ff"], c["activation"],
                  c["norm"] == "Pre")
            for _ in range(c["layers"]))
        self.ln_f = torch.nn.LayerNorm(c["d"], eps=1e-5, dtype=F64)
        self.lm_head = torch.nn.Linear(c["d"], c["vocab"], bias=False,
                                       dtype=F64)

    def forward(self, ids):
        """Logits `B x T x V` for ids `B x T`."""
        t = ids.shape[1]
        x = self.wte(ids) + self.pos[:t]
        # True = may not attend: query i sees keys j <= i
        mask = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        for block in self.blocks:
            x = block(x, mask)
        return self.lm_head(self.ln_f(x))


def greedy(model, prompt, n, max_len):
    ids = list(prompt)
    for _ in range(n):
        context = torch.tensor([ids[-max_len:]])
        ids.append(int(torch.argmax(model(context)[0, -1])))
    return ids[len(prompt):]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("file", help="the exported safetensors file")
    ap.add_argument("--record", help="write the comparison to this JSON file")
    ap.add_argument("--save-back", help="write the model's state_dict here "
                    "(safetensors, PyTorch's writer), for the course to read "
                    "back: export_pytorch --back FILE")
    args = ap.parse_args()
    path = pathlib.Path(args.file)
    course = json.loads(pathlib.Path(f"{path}.course.json").read_text())
    with safe_open(str(path), framework="pt") as f:
        meta = f.metadata()
    assert meta["kind"] == "torch-gpt", meta["kind"]
    config = json.loads(meta["config"])
    vocab = list(course["vocab"])
    index = {ch: i for i, ch in enumerate(vocab)}

    model = Gpt(config)
    model.load_state_dict(load_file(str(path)), strict=True)
    model.eval()
    t = config["max_len"]
    with torch.no_grad():
        prompt = [index[ch] for ch in course["prompt"]]
        ids = greedy(model, prompt, len(course["greedy"]), t)
        text = "".join(vocab[i] for i in ids)
        val = [index[ch] for ch in course["validation_text"]]
        # every non-overlapping window of T + 1 characters, as the course
        w = torch.tensor(val[:len(val) // (t + 1) * (t + 1)]).view(-1, t + 1)
        logits = model(w[:, :-1])
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)),
                               w[:, 1:].reshape(-1)).item()

    rel = abs(loss - course["validation_loss"]) / abs(course["validation_loss"])
    same = text == course["greedy"]
    result = {
        "model": "tiny GPT (nn.Embedding, nn.MultiheadAttention, "
                 "nn.LayerNorm, nn.Linear, nn.GELU(approximate='tanh'))",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "script": "scripts/pytorch/load_gpt.py",
        "args": sys.argv[1:],
        "course_checkpoint": course["course_checkpoint"],
        "config": config,
        "validation_windows": int(w.shape[0]),
        "prompt": course["prompt"],
        "course_greedy": course["greedy"],
        "torch_greedy": text,
        "greedy_identical": same,
        "course_validation_loss": course["validation_loss"],
        "torch_validation_loss": loss,
        "validation_loss_relative_difference": rel,
    }
    finish(result, args, model, meta)


if __name__ == "__main__":
    main()
