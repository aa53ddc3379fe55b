"""What the two loaders of an exported course model share: report the
comparison, record it, save the state back for the course's `--back` check,
and fail when PyTorch does not reproduce the course's numbers."""

import json
import pathlib
import sys

from safetensors.torch import save_file


def finish(result, args, model, meta):
    print(json.dumps(result, indent=2, ensure_ascii=False))
    if args.record:
        pathlib.Path(args.record).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.record).write_text(
            json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    if args.save_back:
        state = {k: v.contiguous() for k, v in model.state_dict().items()}
        save_file(state, args.save_back, metadata=meta)
    if not result["greedy_identical"] or \
            result["validation_loss_relative_difference"] > 1e-12:
        sys.exit("PyTorch does not reproduce the course's numbers")
