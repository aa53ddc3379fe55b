#!/usr/bin/env bash
# Characters per second, side by side in one run: the numpy reference
# (min_char_rnn.py) and the Rust fast path and engine (examples/rnn_speed.rs),
# same setup: hidden 100, T = 25, Adagrad 0.1, clipping to ±5, float64, on
# the Sonnets. numpy is pinned to one thread so both use one core.
#
#   crates/vanilla-rnn-bptt/benches/compare.sh [STEPS]
#
# Needs python3 with numpy (`pip install numpy`); CI does not run this.
set -euo pipefail
cd "$(dirname "$0")/../../.."
steps=${1:-2000}
cargo build --quiet --release -p vanilla-rnn-bptt --example rnn_speed
export OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1
for round in 1 2; do
  echo "# round $round"
  python3 crates/vanilla-rnn-bptt/benches/min_char_rnn.py --steps "$steps"
  ./target/release/examples/rnn_speed --steps $((steps * 10)) --engine-steps "$steps"
done
