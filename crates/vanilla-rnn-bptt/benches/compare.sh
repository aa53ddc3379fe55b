#!/usr/bin/env bash
# Characters per second, side by side in one run: the numpy reference
# (min_char_rnn.py, one thread) and the Rust fast path and engine
# (examples/rnn_speed.rs), same setup: hidden 100, T = 25, Adagrad 0.1,
# clipping to ±5, float64, on the Sonnets, interleaved over three rounds.
#
#   crates/vanilla-rnn-bptt/benches/compare.sh [STEPS] [--figures]
#
# Needs python3 with numpy (`pip install numpy`); CI does not run this.
set -euo pipefail
cd "$(dirname "$0")/../../.."
steps=${1:-1000}
shift || true
cargo build --quiet --release -p vanilla-rnn-bptt --features examples --example rnn_speed
./target/release/examples/rnn_speed --steps "$steps" --numpy "$@"
