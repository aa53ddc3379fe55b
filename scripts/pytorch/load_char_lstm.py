#!/usr/bin/env python3
"""Load the course's trained character LSTM into `torch.nn.LSTM` and
reproduce the course's greedy continuation and validation loss.

The file comes from the course's export (crates/checkpoint/examples/
export_pytorch.rs), a safetensors file whose tensors are the `state_dict` of
`CharLstm` below (PyTorch's names and gate order i, f, g, o), with the course's
own numbers beside it in `<file>.course.json`.

Optional: CI does not install PyTorch. Needs torch==2.15.0 (the version the
recorded result was measured with) and safetensors:

    pip install torch==2.15.0 safetensors
    python3 scripts/pytorch/load_char_lstm.py \
        target/pytorch/char-lstm-torch.safetensors \
        --record scripts/pytorch/export-results/char-lstm.json

It prints the comparison and, with --record, writes it (without the
validation text) to a small JSON file, committed as the measured result.
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


# ANCHOR: char_lstm
class CharLstm(torch.nn.Module):
    """The course's `RecurrentModel<Lstm>`: a one-hot character in, one
    `nn.LSTM` layer, and the output layer `o = V h + c` as `nn.Linear`."""

    def __init__(self, vocab, hidden):
        super().__init__()
        self.vocab = vocab
        self.lstm = torch.nn.LSTM(vocab, hidden, dtype=torch.float64)
        self.out = torch.nn.Linear(hidden, vocab, dtype=torch.float64)

    def forward(self, ids, state=None):
        """Logits (`T x V`) for the ids, and the state after the last."""
        x = F.one_hot(torch.tensor(ids), self.vocab).to(torch.float64)
        h, state = self.lstm(x.unsqueeze(1), state)  # T x 1 x n
        return self.out(h[:, 0, :]), state
# ANCHOR_END: char_lstm


def greedy(model, prompt, n):
    """Feed the prompt from a zero state, then the argmax at every step."""
    logits, state = model(prompt)
    out = []
    for _ in range(n):
        nxt = int(torch.argmax(logits[-1]))
        out.append(nxt)
        logits, state = model([nxt], state)
    return out


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
    config = json.loads(meta["config"])
    assert meta["kind"] == "torch-char-lstm", meta["kind"]
    vocab = list(config["vocab"])
    index = {c: i for i, c in enumerate(vocab)}

    model = CharLstm(len(vocab), config["hidden"])
    model.load_state_dict(load_file(str(path)), strict=True)
    model.eval()
    with torch.no_grad():
        prompt = [index[c] for c in course["prompt"]]
        ids = greedy(model, prompt, len(course["greedy"]))
        text = "".join(vocab[i] for i in ids)
        val = [index[c] for c in course["validation_text"]]
        logits, _ = model(val[:-1])
        loss = F.cross_entropy(logits, torch.tensor(val[1:])).item()

    rel = abs(loss - course["validation_loss"]) / abs(course["validation_loss"])
    same = text == course["greedy"]
    result = {
        "model": "char LSTM (torch.nn.LSTM + nn.Linear)",
        "torch": torch.__version__,
        "python": platform.python_version(),
        "script": "scripts/pytorch/load_char_lstm.py",
        "args": sys.argv[1:],
        "course_checkpoint": course["course_checkpoint"],
        "hidden": config["hidden"],
        "vocab_size": len(vocab),
        "validation_chars": course["validation_chars"],
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
